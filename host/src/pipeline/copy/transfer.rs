//! Moving a copy's [`Tree`] into its destination: a registry repository,
//! a layout, or (through a private layout) an archive or the engine.

use super::source::Source;
use super::{Copied, CopyContext, Location, Tree};
use crate::model::destination::{Destination as _, Found, Moved, put_known};
use crate::model::{AnyReference, ArchiveFormat, Descriptor, Digest, Document};
use crate::pipeline::Error;
use crate::pipeline::build::{Operations, with_manifest};
use crate::pipeline::engine_stream::EngineLoad;
use crate::pipeline::planner::{IndexPlanning, Planner};
use crate::registry::{Repository, Uploaded};
use crate::store::atomic::Target;
use crate::store::layout_writer::{BlobFile, LayoutDestination, LayoutWriter};
use crate::store::sink::{ImageLayers, archive_at, write_images};
use crate::store::source::LayoutSource;
use futures_util::{StreamExt as _, TryStreamExt as _};
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

/// Where a content-addressed copy writes: a registry repository or a
/// layout. Both take blobs (each looked for first), then manifests,
/// children before the root, then finish. A layout is the one
/// [`model::destination::Destination`](crate::model::destination) of
/// `store`; the registry is written here until `registry` implements that
/// interface too.
pub(super) enum Destination<'a> {
    /// A repository; the root is tagged `tag` (or named by its digest),
    /// and blobs are mounted from `mount_from` of the same registry.
    Registry {
        repository: &'a Repository,
        tag: String,
        mount_from: Option<String>,
    },
    /// A layout being written; the root's entry is tagged `tag`.
    Layout {
        layout: LayoutDestination<IndexPlanning<'a>>,
        tag: Option<String>,
    },
}

impl<'a> Destination<'a> {
    /// The repository `repository`, the root tagged `tag`; mounts from the
    /// source's repository when it is another of the same registry.
    pub(super) fn registry(repository: &'a Repository, tag: &str, source: &Source) -> Self {
        let mount_from = source
            .mountable_into(repository.registry())
            .filter(|from| from != repository.name());
        Destination::Registry {
            repository,
            tag: tag.to_string(),
            mount_from,
        }
    }

    /// The layout at `path` (new, or existing), the root's entry tagged
    /// `tag` in the `index.json` the manifest-generation component writes
    /// from the layout's current one, read under the layout's lock.
    pub(super) fn layout(
        ops: &Operations<'a>,
        path: &Path,
        tag: Option<&str>,
    ) -> Result<Self, Error> {
        Ok(Destination::Layout {
            layout: LayoutDestination::open(path, IndexPlanning(ops.manifest_generation))?,
            tag: tag.map(str::to_string),
        })
    }

    /// Puts `blob` unless the destination has it.
    async fn put_blob(&self, source: &Source, blob: &Descriptor) -> Result<Moved, Error> {
        match self {
            Destination::Registry {
                repository,
                mount_from,
                ..
            } => {
                if repository.blob_size(&blob.digest).await?.is_some() {
                    return Ok(Moved::Skipped(blob.size));
                }
                let open = source.opener(blob)?;
                Ok(
                    match repository
                        .put_blob(&blob.digest, blob.size, mount_from.as_deref(), &*open)
                        .await?
                    {
                        Uploaded::Mounted => Moved::Mounted,
                        Uploaded::Sent => Moved::Sent(blob.size),
                    },
                )
            }
            Destination::Layout { layout, .. } => match source.repository() {
                // A download starts over in a new file when its
                // connection breaks: the transport's retry, not the reader's.
                Some(repository) => {
                    if layout.find_blob(blob)? == Found::Present {
                        return Ok(Moved::Skipped(blob.size));
                    }
                    let writer = layout.writer();
                    let file = download(repository, writer, blob).await?;
                    writer.commit_blob(file, &blob.digest, blob.size)?;
                    Ok(Moved::Sent(blob.size))
                }
                None => Ok(put_known(layout, blob, &*source.opener(blob)?)?),
            },
        }
    }

    /// Puts a manifest; the `root` one under the tag.
    async fn put_manifest(&self, manifest: &Document, root: bool) -> Result<(), Error> {
        let descriptor = &manifest.descriptor;
        match self {
            Destination::Registry {
                repository, tag, ..
            } => {
                let reference = if root {
                    tag.clone()
                } else {
                    descriptor.digest.to_string()
                };
                repository
                    .put_manifest(&reference, &descriptor.media_type, &manifest.bytes)
                    .await?;
            }
            Destination::Layout { layout, .. } => layout.put_manifest(manifest)?,
        }
        Ok(())
    }

    /// Makes the copy appear (a registry's tag is already its last step).
    fn finish(self, root: &Descriptor) -> Result<(), Error> {
        if let Destination::Layout { layout, tag } = self {
            layout.commit(root, tag.as_deref())?;
        }
        Ok(())
    }
}

/// Copies `tree` into `destination`: the blobs first, several at once,
/// then the manifests, children before the root, so that a tag never
/// points at something missing; then finishes it.
pub(super) fn transfer(
    ctx: &CopyContext<'_>,
    source: &Source,
    tree: &Tree,
    destination: Destination<'_>,
) -> Result<Stats, Error> {
    let progress = ctx.ops.progress;
    progress.start("copy", Some(tree.blobs.iter().map(|b| b.size).sum()));
    let moved: Vec<Moved> = ctx.runtime.block_on(async {
        let moved = futures_util::stream::iter(tree.blobs.iter().map(|blob| {
            let destination = &destination;
            async move {
                let moved = destination.put_blob(source, blob).await?;
                progress.advance(blob.size);
                Ok::<_, Error>(moved)
            }
        }))
        .buffer_unordered(ctx.access.jobs.max(1))
        .try_collect()
        .await?;
        progress.finish();
        let (root, children) = tree.manifests.split_last().expect("the root is listed");
        for manifest in children {
            destination.put_manifest(manifest, false).await?;
        }
        destination.put_manifest(root, true).await?;
        Ok::<_, Error>(moved)
    })?;
    destination.finish(&tree.root.descriptor)?;
    Ok(Stats::of(&moved))
}

/// A registry blob into a new temporary file of the layout, started over
/// when the connection breaks.
async fn download(
    repository: &Repository,
    writer: &LayoutWriter,
    blob: &Descriptor,
) -> Result<BlobFile, Error> {
    Ok(repository
        .fetch_blob(
            &blob.digest,
            blob.size,
            &format!("cannot store blob {}", blob.digest),
            || {
                writer
                    .blob_file(&blob.digest)
                    .map_err(|e| std::io::Error::other(e.to_string()))
            },
        )
        .await?)
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
    let (staging, _registered) = crate::store::cleanup::create(
        || tempfile::Builder::new().prefix("ocipipe-copy-").tempdir(),
        |dir| dir.path(),
    )
    .map_err(Error::output("a temporary layout"))?;
    let layout = staging.path().join("layout");
    transfer(
        ctx,
        source,
        tree,
        Destination::layout(ctx.ops, &layout, None)?,
    )?;
    let images =
        LayoutSource::open(&layout)?.images(&IndexPlanning(ctx.ops.manifest_generation))?;
    let ops = ctx.ops;
    let planner = Planner(ops.tar_assembly);
    let layers: Vec<Vec<_>> = images
        .iter()
        .map(|image| image.layers.iter().map(|l| l.blob.clone()).collect())
        .collect();
    let layers: Vec<&[_]> = layers.iter().map(Vec::as_slice).collect();
    let (written, loaded) = match to {
        Location::Archive { path, name } => {
            let names: Vec<String> = name.iter().map(|n| n.full.clone()).collect();
            let sink = archive_at(
                target.expect("resolved above"),
                path,
                ArchiveFormat::DockerAndOci,
                &planner,
            )?;
            let each = layers
                .iter()
                .map(|layers| ImageLayers {
                    layers,
                    known: None,
                })
                .collect();
            let written = write_images(sink, each, ops.progress, |i, put| {
                with_manifest(ops, images[i].config.clone(), put, names.clone())
            })?;
            (written, false)
        }
        Location::Daemon(reference) => {
            let engine = ctx.engine.expect("an engine for docker-daemon:");
            let names = match reference {
                AnyReference::Named(name) => vec![name.full.clone()],
                AnyReference::Id(id) => {
                    return Err(Error::NotFound {
                        source_name: destination,
                        message: format!(
                            "{id} is an image ID; an image goes into the engine under a name (docker-daemon:NAME[:TAG])"
                        ),
                    });
                }
            };
            let known = vec![None; layers.len()];
            let loaded = EngineLoad::new(ops, ctx.runtime, engine, &[])?.load(
                &layers,
                known,
                |i, put| with_manifest(ops, images[i].config.clone(), put, names.clone()),
            )?;
            (loaded.images, true)
        }
        _ => unreachable!("to_images is for archives and the engine"),
    };
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
