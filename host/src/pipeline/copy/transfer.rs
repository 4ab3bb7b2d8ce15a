//! Moving a copy's [`Tree`] into its destination. A registry repository
//! or a layout takes the tree's blobs and manifests as they are, byte for
//! byte ([`transfer`]). An archive or the engine, destinations that name
//! images and store layers uncompressed, take the tree's one image by the
//! one sequence ([`write_images`], [`to_images`]), streamed from the
//! source: each layer's tar read where it is (a layout's or an archive's
//! file, decompressed on the way; a registry's blob downloaded once into
//! a temporary file) and checked against the diff_id its config names.
//! No private layout is made.

use super::source::Source;
use super::{Copied, CopyContext, Location, Tree, base};
use crate::docker::Engine;
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
use crate::store::plan::LayerSource;
use crate::store::sink::Archive;
use crate::store::source::SourceLayer;
use crate::store::spool::Spooled;
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
            referrers_copied: None,
        }
    }

    /// Blob bytes sent.
    pub(super) fn sent(&self) -> u64 {
        self.sent
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
    let mounts = source.mounts_into(repository.registry());
    RepositoryDestination::new(repository, ctx.runtime.handle().clone(), mounts.every)
        .mounting(mounts.by_blob)
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

/// An archive or the engine: the one image `tree` holds, read from
/// `source` (what `from` names) and written by the one sequence
/// ([`write_images`]), named as `to` says. Each layer goes in as its tar,
/// read where it is (decompressed on the way) and checked against the
/// diff_id its config names; a registry's layers are downloaded once
/// first ([`read_once`]).
pub(super) fn to_images(
    ctx: &CopyContext<'_>,
    source: &Source,
    tree: &Tree,
    (from, to): (&Location, &Location),
    destination: String,
) -> Result<Copied, Error> {
    let into = ImagesTo::resolve(ctx, to, &destination)?;
    let ops = ctx.ops;
    let (config, mut layers) = base::image(ctx, source, tree, from)?;
    let _spooled = read_once(ctx, &mut layers)?;
    let tars = [(layers.iter())
        .map(|l| Ok((l.tar()?, l.diff_id.clone())))
        .collect::<Result<Vec<_>, Error>>()?];
    let total: Option<u64> = (tars[0].iter())
        .map(|(tar, _)| tar.known_size())
        .sum::<Result<_, _>>()?;
    let failure = Failure::default();
    let layers = tar_layers(ops.progress, &tars, &failure)?;
    let config = &config;
    let documents = |names: &[String]| {
        let names = names.to_vec();
        move |_: usize, put: &[PutLayer]| with_manifest(ops, config.clone(), put, names.clone())
    };
    let planner = Planner(ops.tar_assembly);
    ops.progress.start("copy", total);
    let written = match into {
        ImagesTo::Archive(target, path, names) => {
            let into = Archive::at(target, path, ArchiveFormat::DockerAndOci, &planner)?;
            write_images(into, &layers, None, documents(&names)).map(|w| (w, false))
        }
        ImagesTo::Engine(engine, names) => EngineLoad::new(ops, ctx.runtime, engine, &[])?
            .load(|into| {
                let written = write_images(into, &layers, None, documents(&names))?;
                Ok((written, vec![config.descriptor.digest.clone()]))
            })
            .map(|loaded| (loaded.written, true)),
    };
    ops.progress.finish();
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
        referrers_copied: None,
    })
}

/// Where [`to_images`] writes, and the names the image goes by there.
enum ImagesTo<'a> {
    /// An archive: where it is written, and the path it was named by.
    Archive(Target, &'a Path, Vec<String>),
    /// The engine.
    Engine(&'a Engine, Vec<String>),
}

impl<'a> ImagesTo<'a> {
    /// `to` resolved before any work: an archive's target (a directory
    /// refused at once, a FIFO or a device written into, not replaced),
    /// the engine's name (an image ID refused).
    fn resolve(ctx: &CopyContext<'a>, to: &'a Location, destination: &str) -> Result<Self, Error> {
        Ok(match to {
            Location::Archive { path, name } => {
                let target = Target::resolve(path)
                    .map_err(Error::output(format!("cannot write {}", path.display())))?;
                ImagesTo::Archive(target, path, name.iter().map(|n| n.full.clone()).collect())
            }
            Location::Daemon(reference) => ImagesTo::Engine(
                ctx.engine.expect("an engine for docker-daemon:"),
                engine_names(reference, destination)?,
            ),
            _ => unreachable!("to_images is for archives and the engine"),
        })
    }
}

/// Reads once, into a temporary file, each layer of a registry that
/// would otherwise be downloaded twice: a compressed one, whose tar's
/// size an archive or a load takes before its bytes (and only reading it
/// tells), and one the image lists twice. Several at once, each checked
/// against its digest as it arrives. Every other layer is read once where
/// it is: a local file, or a registry's blob streamed straight into the
/// place (the engine is sent no placeholders here, so nothing is sent
/// again). The files, removed when dropped.
fn read_once(ctx: &CopyContext<'_>, layers: &mut [SourceLayer]) -> Result<Vec<Spooled>, Error> {
    // The first layer of each blob to read once.
    let mut spool = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let same = |l: &SourceLayer| l.digest == layer.digest;
        let first = layers.iter().position(same) == Some(i);
        if matches!(layer.blob, LayerSource::Opened(_))
            && first
            && (layers.iter().filter(|l| same(l)).count() > 1
                || layer.tar()?.known_size()?.is_none())
        {
            spool.push(i);
        }
    }
    if spool.is_empty() {
        return Ok(Vec::new());
    }
    let progress = ctx.ops.progress;
    progress.start(
        "download",
        Some(spool.iter().map(|&i| layers[i].size).sum()),
    );
    let spooled = at_once(spool.len(), ctx.access.jobs, |k| {
        match &layers[spool[k]].blob {
            LayerSource::Opened(blob) => blob.spool(progress).map_err(Error::input(blob.name())),
            _ => unreachable!("chosen for being opened"),
        }
    });
    progress.finish();
    let spooled = spooled?;
    for (&i, file) in spool.iter().zip(&spooled) {
        let digest = layers[i].digest.clone();
        for layer in layers.iter_mut().filter(|l| l.digest == digest) {
            layer.blob = LayerSource::Tar(file.path().to_path_buf());
        }
    }
    Ok(spooled)
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
