//! Where a copy reads: a registry repository, a layout, or the images of
//! an archive or the engine (which keep no manifest: the
//! manifest-generation component writes one for their stored layers).

use super::{CopyContext, Location, Registries, Tree, contents};
use crate::hashing::digest_of;
use crate::model::{
    Descriptor, Digest, Document, ImageContents, IndexContents, ManifestContents, ManifestFormat,
    Platform,
};
use crate::pipeline::build::Operations;
use crate::pipeline::planner::IndexPlanning;
use crate::pipeline::tag::identifier;
use crate::pipeline::{EngineSource, Error};
use crate::registry::{BlobReader, OpenBlob, Registry, Repository};
use crate::runtime::Tagging;
use crate::store::compress::{LayerCompression, compress_to_file};
use crate::store::files::{Scratch, open_input};
use crate::store::plan::LayerSource;
use crate::store::source::{
    ArchiveSource, Compression, ImageSource, LayoutSource, OpenedBlob, SourceImage,
};
use crate::store::spool::copy_unless_rereadable;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::Arc;

/// Opens a blob's bytes, again for each try.
pub(super) type Opener = Box<OpenBlob>;

/// A temporary file or directory a source reads from, kept while it is.
type Kept = Box<dyn std::any::Any + Send + Sync>;

/// A copy's source.
pub(super) enum Source {
    /// A registry repository, and the tag or digest asked for.
    Registry {
        repository: Repository,
        reference: String,
    },
    /// A layout, and the tag of its entry.
    Layout {
        layout: LayoutSource,
        tag: Option<String>,
    },
    /// One image of an archive or the engine.
    Local(Box<Local>),
    /// Another source with blobs an edit made (new configs), read from
    /// memory; every other blob is the other source's.
    Edited(Box<Source>, HashMap<Digest, bytes::Bytes>),
    /// Several sources (the images of a new index), each blob read from
    /// the one that listed it first.
    Joined(Vec<Source>, HashMap<Digest, usize>),
}

/// Where a push into a registry mounts blobs from: one repository for
/// every blob, or one per blob.
#[derive(Debug, Default)]
pub(super) struct Mounts {
    pub(super) every: Option<String>,
    pub(super) by_blob: HashMap<Digest, String>,
}

impl Mounts {
    /// Every repository blobs are mounted from, each once, in order (a
    /// token's scopes are the same from one run to the next).
    pub(super) fn repositories(&self) -> Vec<String> {
        let by_blob: std::collections::BTreeSet<&String> = self.by_blob.values().collect();
        let mut all: Vec<String> = self.every.iter().cloned().collect();
        all.extend(
            by_blob
                .into_iter()
                .filter(|r| !all.contains(r))
                .cloned()
                .collect::<Vec<_>>(),
        );
        all
    }
}

/// An image whose blobs are files: an archive's, or the engine's saved.
pub(super) struct Local {
    manifest: Document,
    config: Document,
    layers: HashMap<Digest, LayerSource>,
    /// The temporary files the layers are read from (the engine's save, a
    /// spooled FIFO, compressed layers), removed when the copy is done.
    _kept: Vec<Kept>,
}

impl Source {
    /// Opens what `from` names.
    pub(super) fn open(
        ctx: &CopyContext<'_>,
        registries: &mut Registries<'_>,
        from: &Location,
    ) -> Result<Self, Error> {
        Ok(match from {
            Location::Registry(reference) => Source::Registry {
                repository: registries.source(reference)?,
                reference: identifier(reference)?,
            },
            Location::Layout { path, tag } if ctx.compression.is_some() => {
                // Layers to compress: the image is rewritten as an
                // archive's would be.
                let layout = LayoutSource::open(path)?;
                let reader = IndexPlanning(ctx.ops.manifest_generation);
                let entry = ctx
                    .ops
                    .manifest_generation
                    .layout_entry(&layout.index(&reader)?, tag.as_deref())?;
                let image = layout
                    .images(&reader)?
                    .into_iter()
                    .find(|i| {
                        i.manifest.as_ref().map(|m| &m.descriptor.digest) == Some(&entry.digest)
                    })
                    .ok_or_else(|| Error::NotFound {
                        source_name: from.to_string(),
                        message: "it names an index; --compression copies one image".into(),
                    })?;
                Source::Local(Box::new(Local::new(ctx, image, None)?))
            }
            Location::Layout { path, tag } => Source::Layout {
                layout: LayoutSource::open(path)?,
                tag: tag.clone(),
            },
            Location::Archive { path, name } => {
                // A FIFO cannot be read twice: it is spooled first.
                let spooled = copy_unless_rereadable(path)
                    .map_err(Error::input(format!("{}", path.display())))?;
                let read = spooled.as_ref().map_or(path.as_path(), |s| s.path());
                let archive = ArchiveSource::open_as(read, path)?;
                let image = pick(
                    ctx.ops.tagging,
                    archive.images()?,
                    name.as_ref(),
                    &from.to_string(),
                )?;
                let kept = spooled.map(|s| Box::new(s) as Kept);
                Source::Local(Box::new(Local::new(ctx, image, kept)?))
            }
            Location::Daemon(reference) => {
                let engine = ctx.engine.expect("an engine for docker-daemon:");
                let saved =
                    EngineSource::save(ctx.runtime, engine, &[reference.for_engine().to_string()])?;
                let image = pick(ctx.ops.tagging, saved.images()?, None, &from.to_string())?;
                Source::Local(Box::new(Local::new(ctx, image, Some(Box::new(saved)))?))
            }
        })
    }

    /// The repositories a push to `registry` can mount blobs from.
    pub(super) fn mounts_into(&self, registry: &Arc<Registry>) -> Mounts {
        match self {
            Source::Joined(sources, by_blob) => Mounts {
                every: None,
                by_blob: (by_blob.iter())
                    .filter_map(|(digest, &i)| {
                        let from = sources[i].mounts_into(registry).every?;
                        Some((digest.clone(), from))
                    })
                    .collect(),
            },
            _ => Mounts {
                every: self.mountable_into(registry),
                by_blob: HashMap::new(),
            },
        }
    }

    /// The repository a push to `registry` can mount every blob from.
    fn mountable_into(&self, registry: &Arc<Registry>) -> Option<String> {
        match self {
            Source::Registry { repository, .. } if Arc::ptr_eq(repository.registry(), registry) => {
                Some(repository.name().to_string())
            }
            Source::Edited(inner, _) => inner.mountable_into(registry),
            Source::Joined(..) => None,
            _ => None,
        }
    }

    /// The manifest the source names.
    async fn root(&self, ops: &Operations<'_>) -> Result<Document, Error> {
        match self {
            Source::Registry {
                repository,
                reference,
            } => Ok(repository.manifest(reference).await?.into_document()),
            Source::Layout { layout, tag } => {
                let reader = IndexPlanning(ops.manifest_generation);
                let entry = ops
                    .manifest_generation
                    .layout_entry(&layout.index(&reader)?, tag.as_deref())?;
                Ok(layout.document(&entry)?)
            }
            Source::Local(local) => Ok(local.manifest.clone()),
            Source::Edited(inner, _) => Box::pin(inner.root(ops)).await,
            Source::Joined(..) => Err(Error::Contract("a joined source has no root".into())),
        }
    }

    /// The manifest `descriptor` (a child of an index) names.
    async fn manifest(&self, descriptor: &Descriptor) -> Result<Document, Error> {
        match self {
            Source::Registry { repository, .. } => {
                let fetched = repository.manifest(descriptor.digest.as_str()).await?;
                Ok(Document {
                    descriptor: descriptor.clone(),
                    bytes: fetched.bytes,
                })
            }
            Source::Layout { layout, .. } => Ok(layout.document(descriptor)?),
            Source::Local(_) => Err(Error::Contract(format!(
                "a manifest of an archive names another manifest, {}",
                descriptor.digest
            ))),
            Source::Edited(inner, _) => Box::pin(inner.manifest(descriptor)).await,
            Source::Joined(..) => Err(Error::Contract(format!(
                "a joined source reads no manifest, {}",
                descriptor.digest
            ))),
        }
    }

    /// The images to copy: the root manifest, or when it is an index and
    /// `platforms` are given, the one platform's image, or a new index of
    /// the several platforms' images; every child of an index.
    pub(super) async fn tree(
        &self,
        ops: &Operations<'_>,
        platforms: &[Platform],
    ) -> Result<Tree, Error> {
        let mut root = self.root(ops).await?;
        let mut root_contents = contents(ops, &mut root)?;
        if let Some(chosen) = chosen_platforms(ops, &root_contents, platforms)? {
            root = match chosen {
                Chosen::One(one) => self.manifest(&one).await?,
                Chosen::Index(index) => index,
            };
            root_contents = contents(ops, &mut root)?;
        }
        let mut tree = Tree {
            root: root.clone(),
            manifests: Vec::new(),
            blobs: Vec::new(),
            config: None,
        };
        if let ManifestContents::Image(ImageContents { config, .. }) = &root_contents {
            tree.config = Some(config.digest.clone());
        }
        let mut seen = HashSet::new();
        // Each manifest fetched and read once, however often the indexes
        // list it (an index may list one child 10,000 times, and a child
        // may be listed by several indexes), and copied once.
        let root_digest = root.descriptor.digest.clone();
        let mut read: HashMap<Digest, (Document, ManifestContents)> = HashMap::new();
        read.insert(root_digest.clone(), (root, root_contents));
        let mut copied = HashSet::new();
        // Depth first, children before the index that lists them: an
        // index is expanded, then taken again once its children are in.
        let mut pending = vec![(root_digest, false)];
        while let Some((digest, expanded)) = pending.pop() {
            if copied.contains(&digest) {
                continue;
            }
            let (manifest, contents_of) = read.get(&digest).expect("read before it is pending");
            match contents_of {
                ManifestContents::Index(IndexContents { manifests, .. }) if !expanded => {
                    let children = manifests.clone();
                    pending.push((digest, true));
                    let mut listed = HashSet::new();
                    for child in children.iter().rev() {
                        if copied.contains(&child.digest) || !listed.insert(&child.digest) {
                            continue;
                        }
                        if !read.contains_key(&child.digest) {
                            let mut document = self.manifest(child).await?;
                            let child_contents = contents(ops, &mut document)?;
                            read.insert(child.digest.clone(), (document, child_contents));
                        }
                        pending.push((child.digest.clone(), false));
                    }
                }
                ManifestContents::Image(ImageContents { config, layers, .. }) => {
                    // Which blobs go with it (not the foreign layers) is
                    // the component's to say.
                    let blobs = ops.manifest_generation.copied_blobs(config, layers)?;
                    let left = layers.len() + 1 - blobs.len();
                    tracing::debug!(left, "listed blobs not copied (foreign layers, repeats)");
                    for blob in blobs {
                        if seen.insert(blob.digest.clone()) {
                            tree.blobs.push(blob);
                        }
                    }
                    tree.manifests.push(manifest.clone());
                    copied.insert(digest);
                }
                ManifestContents::Index(IndexContents { .. }) => {
                    tree.manifests.push(manifest.clone());
                    copied.insert(digest);
                }
            }
        }
        Ok(tree)
    }

    /// Opens blob `descriptor` for a file or registry destination.
    pub(super) fn opener(
        &self,
        descriptor: &Descriptor,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Opener, Error> {
        let digest = descriptor.digest.clone();
        Ok(match self {
            Source::Edited(_, made) if made.contains_key(&digest) => {
                let bytes = made[&digest].clone();
                Box::new(move || Ok(Box::new(std::io::Cursor::new(bytes.clone())) as BlobReader))
            }
            Source::Edited(inner, _) => inner.opener(descriptor, runtime)?,
            Source::Joined(sources, by_blob) => {
                let i = by_blob
                    .get(&digest)
                    .copied()
                    .ok_or_else(|| Error::Contract(format!("no source lists blob {digest}")))?;
                sources[i].opener(descriptor, runtime)?
            }
            Source::Layout { layout, .. } => {
                let path = layout.blob_path(&digest);
                Box::new(move || Ok(Box::new(open_input(&path, "a blob")?) as BlobReader))
            }
            Source::Local(local) => {
                if digest == local.config.descriptor.digest {
                    let bytes = local.config.bytes.clone();
                    Box::new(
                        move || Ok(Box::new(std::io::Cursor::new(bytes.clone())) as BlobReader),
                    )
                } else {
                    let layer = local.layers.get(&digest).cloned().ok_or_else(|| {
                        Error::Contract(format!("no layer {digest} in the image"))
                    })?;
                    Box::new(move || layer.open_stored())
                }
            }
            Source::Registry { repository, .. } => {
                let repository = repository.clone();
                let size = descriptor.size;
                let handle = runtime.clone();
                Box::new(move || {
                    Ok(Box::new(pipe(
                        handle.clone(),
                        repository.clone(),
                        digest.clone(),
                        size,
                    )) as BlobReader)
                })
            }
        })
    }

    /// Where the stored bytes of layer `descriptor` are read from, reading
    /// nothing yet: a file of the layout, the archive or the engine's save,
    /// or a registry's blob, downloaded each time an output reads it. Call
    /// within the runtime: a download runs on it.
    pub(super) fn layer(&self, descriptor: &Descriptor) -> Result<LayerSource, Error> {
        Ok(match self {
            Source::Edited(inner, _) => inner.layer(descriptor)?,
            Source::Joined(sources, by_blob) => {
                let i = by_blob.get(&descriptor.digest).copied().ok_or_else(|| {
                    Error::Contract(format!("no source lists blob {}", descriptor.digest))
                })?;
                sources[i].layer(descriptor)?
            }
            Source::Layout { layout, .. } => LayerSource::Tar(layout.blob_path(&descriptor.digest)),
            Source::Local(local) => {
                local
                    .layers
                    .get(&descriptor.digest)
                    .cloned()
                    .ok_or_else(|| {
                        Error::Contract(format!("no layer {} in the image", descriptor.digest))
                    })?
            }
            Source::Registry { repository, .. } => LayerSource::Opened(OpenedBlob::new(
                format!("blob {} of {}", descriptor.digest, repository.name()),
                descriptor.size,
                Arc::from(self.opener(descriptor, &tokio::runtime::Handle::current())?),
            )),
        })
    }
}

/// A blob of another registry as a blocking reader: a task streams it
/// into a small channel. A download cut short is fetched again and read
/// on from where it was cut (the whole blob is checked against its digest
/// again); a failed download reads as an error.
fn pipe(
    handle: tokio::runtime::Handle,
    repository: Repository,
    digest: Digest,
    size: u64,
) -> impl Read + Send {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(4);
    handle.spawn(async move {
        let what = format!("GET blob {digest}");
        let given = std::sync::atomic::AtomicU64::new(0);
        let (tx, given, repository, digest) = (&tx, &given, &repository, &digest);
        let result = repository
            .transport()
            .retrying(&what, || async move {
                let mut stream = repository.blob(digest, size).await?;
                let mut at = 0u64;
                while let Some(piece) = stream.next().await? {
                    let end = at + piece.len() as u64;
                    let before = given.load(std::sync::atomic::Ordering::Relaxed);
                    if end > before {
                        let new = piece.slice(before.saturating_sub(at) as usize..);
                        if tx.send(Ok(new)).await.is_err() {
                            return Ok(());
                        }
                        given.store(end, std::sync::atomic::Ordering::Relaxed);
                    }
                    at = end;
                }
                Ok::<_, crate::registry::Error>(())
            })
            .await;
        if let Err(e) = result {
            let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    ChannelReader {
        rx,
        piece: bytes::Bytes::new(),
    }
}

struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>,
    piece: bytes::Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.piece.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(piece)) => self.piece = piece,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.piece.len());
        buf[..n].copy_from_slice(&self.piece.split_to(n));
        Ok(n)
    }
}

/// The image ID (config digest) of the image `name` of the archive at
/// `path` (or its only image): what a copy from it takes, learnt from its
/// `manifest.json` and config alone, no layer read.
pub(crate) fn archive_image_id(
    tagging: &Tagging,
    path: &std::path::Path,
    name: Option<&crate::model::Reference>,
    shown: &str,
) -> Result<Digest, Error> {
    let archive = ArchiveSource::open(path)?;
    let image = pick(tagging, archive.images()?, name, shown)?;
    Ok(image.config.descriptor.digest)
}

/// The image of `images` named `name` (as the tagging component finds it
/// among their names), or the only one.
fn pick(
    tagging: &Tagging,
    images: Vec<SourceImage>,
    name: Option<&crate::model::Reference>,
    shown: &str,
) -> Result<SourceImage, Error> {
    let names = |i: &SourceImage| i.repo_tags.join(", ");
    match name {
        Some(name) => {
            let listed: Vec<String> = images.iter().map(names).filter(|n| !n.is_empty()).collect();
            // Every name of every image, and whose it is: the tagging
            // component finds which one `name` means.
            let (owners, tags): (Vec<usize>, Vec<String>) = images
                .iter()
                .enumerate()
                .flat_map(|(i, image)| image.repo_tags.iter().map(move |t| (i, t.clone())))
                .unzip();
            let found = tagging.find_name(&name.full, &tags)?;
            found
                .map(|t| owners[t])
                .map(|i| images.into_iter().nth(i).expect("an image of the archive"))
                .ok_or_else(|| Error::NotFound {
                    source_name: shown.to_string(),
                    message: format!(
                        "no image is named {} (it holds: {})",
                        name.familiar,
                        listed.join("; ")
                    ),
                })
        }
        None if images.len() == 1 => Ok(images.into_iter().next().expect("one")),
        None => Err(Error::NotFound {
            source_name: shown.to_string(),
            message: format!(
                "it holds {} images; name one as docker-archive:PATH:NAME (names: {})",
                images.len(),
                images.iter().map(names).collect::<Vec<_>>().join("; ")
            ),
        }),
    }
}

impl Local {
    /// The image with its manifest: the one it came with, else one the
    /// manifest-generation component writes for its stored layers.
    /// With `ctx.compression`, layers stored uncompressed are compressed
    /// first (several at once, into temporary files), and the manifest is
    /// written anew for them.
    fn new(
        ctx: &CopyContext<'_>,
        mut image: SourceImage,
        kept: Option<Kept>,
    ) -> Result<Self, Error> {
        let ops = ctx.ops;
        let mut kept: Vec<Kept> = kept.into_iter().collect();
        let compress = ctx.compression.filter(|c| *c != LayerCompression::None);
        if let Some(compression) = compress
            && image
                .layers
                .iter()
                .any(|l| l.compression == Compression::None)
        {
            let dir = Scratch::new("ocipipe-compress-")
                .map_err(Error::output("a temporary directory for compressed layers"))?;
            ops.progress
                .start("compress", Some(image.layers.iter().map(|l| l.size).sum()));
            let compressed = crate::store::sink::in_parallel(image.layers.len(), |i| {
                let layer = &image.layers[i];
                if layer.compression != Compression::None {
                    ops.progress.advance(layer.size);
                    return Ok::<_, Error>(None);
                }
                let path = dir.path().join(format!("{i}"));
                let done = compress_to_file(&layer.blob, compression, &path, ops.progress)?;
                Ok(Some((done, path)))
            })?;
            ops.progress.finish();
            for (layer, done) in image.layers.iter_mut().zip(compressed) {
                if let Some((done, path)) = done {
                    layer.digest = Some(done.digest);
                    layer.size = done.size;
                    layer.blob = LayerSource::Tar(path);
                    layer.compression = compression.stored();
                }
            }
            // The manifest names the layers as they were stored.
            image.manifest = None;
            kept.push(Box::new(dir));
        }
        let mut layers = HashMap::new();
        let mut descriptors = Vec::new();
        for layer in &image.layers {
            let (digest, size) = match &layer.digest {
                Some(digest) => (digest.clone(), layer.size),
                None => stored_digest(&layer.blob)?,
            };
            let media_type = ops.manifest_generation.layer_media_type(
                LayerCompression::of(layer.compression).unwrap_or(LayerCompression::None),
                ManifestFormat::Oci,
            )?;
            descriptors.push(Descriptor::new(media_type, digest.clone(), size));
            layers.insert(digest, layer.blob.clone());
        }
        let manifest = match image.manifest {
            Some(manifest) => manifest,
            None => ops.manifest_generation.image_manifest(
                &image.config.descriptor,
                &descriptors,
                &[],
            )?,
        };
        Ok(Self {
            manifest,
            config: image.config,
            layers,
            _kept: kept,
        })
    }
}

/// The digest and size of a layer's stored bytes.
fn stored_digest(layer: &LayerSource) -> Result<(Digest, u64), Error> {
    let mut reader = layer.open_stored().map_err(Error::input("a layer"))?;
    digest_of(&mut reader).map_err(Error::input("a layer"))
}

/// What a copy of some platforms of an index takes as its root.
pub(crate) enum Chosen {
    /// One platform: its image, as the index lists it.
    One(Descriptor),
    /// Several: a new index of theirs.
    Index(Document),
}

/// The root a copy of `platforms` takes of a manifest that reads as
/// `contents`: none when it is not an index or every platform is wanted.
pub(crate) fn chosen_platforms(
    ops: &Operations<'_>,
    contents: &ManifestContents,
    platforms: &[Platform],
) -> Result<Option<Chosen>, Error> {
    let ManifestContents::Index(IndexContents { manifests, .. }) = contents else {
        return Ok(None);
    };
    if platforms.is_empty() {
        return Ok(None);
    }
    let mut chosen: Vec<Descriptor> = Vec::new();
    for platform in platforms {
        let one = ops
            .manifest_generation
            .select_platform(manifests, platform)?;
        if !chosen.contains(&one) {
            chosen.push(one);
        }
    }
    Ok(Some(match &chosen[..] {
        [one] => Chosen::One(one.clone()),
        several => Chosen::Index(ops.manifest_generation.image_index(several, &[])?),
    }))
}
