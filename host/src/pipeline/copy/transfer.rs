//! Moving a copy's [`Tree`] into its destination: a registry repository
//! or a layout, each a [`Destination`] written by one sequence
//! ([`transfer`]); an archive or the engine, destinations that name images
//! and store layers uncompressed, through a private layout, by the same
//! steps ([`write_images`]).

use super::source::Source;
use super::{Copied, CopyContext, Location, Tree};
use crate::model::destination::{Destination, Moved, PutLayer, at_once, put_known, write_images};
use crate::model::{AnyReference, ArchiveFormat, Digest};
use crate::pipeline::Error;
use crate::pipeline::build::{Operations, with_manifest};
use crate::pipeline::build_image::{Failure, tar_layers};
use crate::pipeline::engine_stream::EngineLoad;
use crate::pipeline::planner::{IndexPlanning, Planner};
use crate::registry::{Repository, RepositoryDestination};
use crate::store::atomic::Target;
use crate::store::layout_writer::LayoutDestination;
use crate::store::sink::Archive;
use crate::store::source::LayoutSource;
use std::path::Path;

/// Totals of a copy.
#[derive(Debug, Default)]
pub(super) struct Stats {
    sent: u64,
    skipped: u64,
    mounted: u64,
}

impl Stats {
    fn of(moved: &[Moved]) -> Self {
        let mut stats = Self::default();
        for m in moved {
            match m {
                Moved::Sent(n) => stats.sent += n,
                Moved::Skipped(n) => stats.skipped += n,
                Moved::Mounted => stats.mounted += 1,
                Moved::Omitted(n) => stats.skipped += n,
            }
        }
        stats
    }

    /// The report of a copy to `destination`.
    pub(super) fn report(
        self,
        digest: Option<Digest>,
        image_id: Option<Digest>,
        destination: String,
    ) -> Copied {
        Copied {
            digest,
            image_id,
            destination,
            bytes_sent: self.sent,
            bytes_skipped: self.skipped,
            blobs_mounted: self.mounted,
        }
    }
}

/// The registry repository `repository` as a copy's destination: blobs
/// mounted from the source's repository when it is another of the same
/// registry.
pub(super) fn registry(
    ctx: &CopyContext<'_>,
    repository: Repository,
    source: &Source,
) -> RepositoryDestination {
    let mount_from = source.mountable_into(repository.registry());
    RepositoryDestination::new(repository, ctx.runtime.handle().clone(), mount_from)
}

/// The layout at `path` (new, or existing) as a copy's destination, its
/// root's entry written into the `index.json` the manifest-generation
/// component makes of the layout's current one, read under its lock.
pub(super) fn layout<'a>(
    ops: &Operations<'a>,
    path: &Path,
) -> Result<LayoutDestination<IndexPlanning<'a>>, Error> {
    Ok(LayoutDestination::open(
        path,
        IndexPlanning(ops.manifest_generation),
    )?)
}

/// Copies `tree` into `destination`, the one sequence of every place a
/// copy writes: the blobs first, each looked for and put unless found,
/// several at once; then the manifests, children before the root; then
/// the commit, the root named `tag`, so that a tag never points at
/// something missing.
pub(super) fn transfer<D>(
    ctx: &CopyContext<'_>,
    source: &Source,
    tree: &Tree,
    destination: D,
    tag: Option<&str>,
) -> Result<Stats, Error>
where
    D: Destination,
    Error: From<D::Error>,
{
    let progress = ctx.ops.progress;
    progress.start("copy", Some(tree.blobs.iter().map(|b| b.size).sum()));
    let handle = ctx.runtime.handle();
    let openers = (tree.blobs.iter())
        .map(|blob| source.opener(blob, handle))
        .collect::<Result<Vec<_>, _>>()?;
    let put = |i: usize| {
        let blob = &tree.blobs[i];
        let moved = put_known(&destination, blob, &*openers[i])?;
        progress.advance(blob.size);
        Ok::<_, Error>(moved)
    };
    // The smallest blob goes first, alone: a place that cannot be reached
    // or refuses the push fails it once, not once per blob at once.
    let first = (0..tree.blobs.len()).min_by_key(|&i| tree.blobs[i].size);
    let rest: Vec<usize> = (0..tree.blobs.len())
        .filter(|&i| Some(i) != first)
        .collect();
    let moved = first.map(put).transpose().and_then(|first| {
        let mut moved = at_once(rest.len(), ctx.access.jobs, |k| put(rest[k]))?;
        moved.extend(first);
        Ok(moved)
    });
    progress.finish();
    let moved = moved?;
    for manifest in &tree.manifests {
        destination.put_manifest(manifest)?;
    }
    destination.commit(&tree.root.descriptor, tag)?;
    Ok(Stats::of(&moved))
}

/// An archive or the engine: `tree` (one image) is copied whole into a
/// private layout first, checked, then written as an archive or streamed
/// into the engine, named as `to` says.
pub(super) fn to_images(
    ctx: &CopyContext<'_>,
    source: &Source,
    tree: &Tree,
    to: &Location,
    destination: String,
) -> Result<Copied, Error> {
    // An archive target is resolved before any work: a directory is
    // refused at once, a FIFO or a device is written into, not replaced.
    let target = match to {
        Location::Archive { path, .. } => Some(
            Target::resolve(path)
                .map_err(Error::output(format!("cannot write {}", path.display())))?,
        ),
        _ => None,
    };
    let engine_names = match to {
        Location::Daemon(reference) => engine_names(reference, &destination)?,
        _ => Vec::new(),
    };
    let staging = crate::store::files::Scratch::new("ocipipe-copy-")
        .map_err(Error::output("a temporary layout"))?;
    let layout = staging.path().join("layout");
    transfer(ctx, source, tree, self::layout(ctx.ops, &layout)?, None)?;
    let images =
        LayoutSource::open(&layout)?.images(&IndexPlanning(ctx.ops.manifest_generation))?;
    let ops = ctx.ops;
    let planner = Planner(ops.tar_assembly);
    let failure = Failure::default();
    // Stored uncompressed, as their media type in the manifest says: each
    // layer decompressed from the layout on the way.
    let tars = (images.iter())
        .map(|image| {
            (image.layers.iter())
                .map(|l| Ok((l.tar()?, l.diff_id.clone())))
                .collect()
        })
        .collect::<Result<Vec<Vec<_>>, Error>>()?;
    let layers = tar_layers(ops.progress, &tars, &failure)?;
    let images = &images;
    let documents = |names: &[String]| {
        let names = names.to_vec();
        move |i: usize, put: &[PutLayer]| {
            with_manifest(ops, images[i].config.clone(), put, names.clone())
        }
    };
    let written = match to {
        Location::Archive { path, name } => {
            let names: Vec<String> = name.iter().map(|n| n.full.clone()).collect();
            let target = target.expect("resolved above");
            let into = Archive::at(target, path, ArchiveFormat::DockerAndOci, &planner)?;
            write_images(into, &layers, None, documents(&names)).map(|w| (w, false))
        }
        Location::Daemon(_) => {
            let engine = ctx.engine.expect("an engine for docker-daemon:");
            let names = engine_names;
            let loaded = EngineLoad::new(ops, ctx.runtime, engine, &[])?.load(|into| {
                let written = write_images(into, &layers, None, documents(&names))?;
                let ids = (written.iter())
                    .map(|(image, _)| image.config.descriptor.digest.clone())
                    .collect();
                Ok((written, ids))
            });
            loaded.map(|l| (l.written, true))
        }
        _ => unreachable!("to_images is for archives and the engine"),
    };
    drop(layers);
    let (written, loaded) = written.map_err(|e| failure.or(e))?;
    let (image, _) = written.first().expect("one image");
    Ok(Copied {
        digest: (!loaded).then(|| image.manifest.descriptor.digest.clone()),
        image_id: Some(image.config.descriptor.digest.clone()),
        destination,
        bytes_sent: image.layers.iter().map(|l| l.descriptor.size).sum::<u64>()
            + image.config.descriptor.size,
        bytes_skipped: 0,
        blobs_mounted: 0,
    })
}

/// The names an image goes into the engine under: the one given, not an
/// image ID (refused before any work).
fn engine_names(reference: &AnyReference, destination: &str) -> Result<Vec<String>, Error> {
    match reference {
        AnyReference::Named(name) => Ok(vec![name.full.clone()]),
        AnyReference::Id(id) => Err(Error::NotFound {
            source_name: destination.to_string(),
            message: format!(
                "{id} is an image ID; an image goes into the engine under a name (docker-daemon:NAME[:TAG])"
            ),
        }),
    }
}
