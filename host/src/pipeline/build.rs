//! `ocipipe image build`: layers from directories or tars, an image config
//! and manifest, written as an archive, an OCI layout, or straight into the
//! engine.
//!
//! Every layer byte is read once and hashed on a second thread while it is
//! written. Blob entries are named by digest, which is only known after the
//! bytes: into a seekable file each layer goes under a placeholder header
//! that is rewritten once hashed; into a pipe the layers are hashed in a
//! first pass (the one case that reads them twice); into the engine the
//! `docker` format names blobs by position, so nothing waits for a digest.

use super::Error;
use super::engine_stream::{ChannelWriter, layers_the_engine_has, stream_into_engine};
use crate::docker::{Engine, LoadReport};
use crate::model::{
    ArchiveFormat, ArchiveImage, ArchiveLayer, BlobHead, BlobPlacement, ConfigRequest, Descriptor,
    Digest, LayerOptions, Progress, WrittenBlob,
};
use crate::runtime::{ManifestGeneration, Tagging, TarAssembly};
use crate::store::atomic::{AtomicFile, parent_dir};
use crate::store::hashing::HashingWriter;
use crate::store::plan::{Blob, LayerSource, PlannedLayer, write_plan};
use crate::store::unpack::check_layer;
use crate::store::walk::walk;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Media type of the (uncompressed) layer tars ocipipe writes.
pub(super) const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";

/// The components a build uses, and where it reports progress.
pub struct Operations<'a> {
    /// Names.
    pub tagging: &'a Tagging,
    /// Layer tars and archives.
    pub tar_assembly: &'a TarAssembly,
    /// Image config and manifest.
    pub manifest_generation: &'a ManifestGeneration,
    /// Progress of streaming layers.
    pub progress: &'a dyn Progress,
}

/// A writer that reports what passes through it as progress.
pub(super) struct Counted<'p, W> {
    inner: W,
    progress: &'p dyn Progress,
}

impl<'p, W: Write> Counted<'p, W> {
    pub(super) fn new(inner: W, progress: &'p dyn Progress) -> Self {
        Self { inner, progress }
    }
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(data)?;
        self.progress.advance(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// `layer 2/4`, for progress.
fn task(verb: &str, ordinal: usize, of: usize) -> String {
    format!("{verb} {}/{of}", ordinal + 1)
}

/// One `--layer`.
#[derive(Debug, Clone)]
pub enum LayerInput {
    /// A directory, made into a layer tar deterministically.
    Dir(PathBuf),
    /// An uncompressed layer tar.
    Tar(PathBuf),
    /// A gzip-compressed layer tar (stored uncompressed).
    TarGz(PathBuf),
}

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildSpec {
    /// The layers, bottom first.
    pub layers: Vec<LayerInput>,
    /// The image config request; `diff_ids` are filled in by the build.
    pub config: ConfigRequest,
    /// Target names, comma-separated; none for an untagged image.
    pub targets: Option<String>,
    /// How layer headers are normalised.
    pub layer_options: LayerOptions,
}

/// Where the image goes.
pub enum BuildOutput<'a> {
    /// An archive file, written atomically.
    File(PathBuf),
    /// An archive streamed to a writer (stdout).
    Stream(Box<dyn Write + 'a>),
    /// An OCI image layout directory, created atomically.
    OciLayout(PathBuf),
    /// Straight into the engine; layers of `base` images go in as
    /// placeholders when the engine can take them.
    Load {
        /// The async runtime the engine client runs on.
        runtime: &'a tokio::runtime::Runtime,
        /// The engine.
        engine: &'a Engine,
        /// Images whose layers the engine already has.
        base: Vec<String>,
    },
}

/// What a build made.
#[derive(Debug, Clone, Serialize)]
pub struct Built {
    /// The image ID: the config's digest.
    pub image_id: Digest,
    /// The OCI manifest's digest.
    pub manifest_digest: Digest,
    /// The layers: digest (= diff ID) and size.
    pub layers: Vec<LayerSummary>,
    /// The names given.
    pub repo_tags: Vec<String>,
    /// Layer bytes not sent because the engine had them (incremental load).
    pub bytes_skipped: u64,
    /// What the engine reported loading.
    pub loaded: Option<LoadReport>,
}

/// A layer of a built image.
#[derive(Debug, Clone, Serialize)]
pub struct LayerSummary {
    /// Digest of the layer tar.
    pub digest: Digest,
    /// Size in bytes.
    pub size: u64,
}

/// Builds the image `spec` describes into `output`.
pub fn build(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    output: BuildOutput<'_>,
) -> Result<Built, Error> {
    let repo_tags = match &spec.targets {
        Some(names) => ops
            .tagging
            .parse_targets(names)?
            .into_iter()
            .map(|r| r.full)
            .collect(),
        None => Vec::new(),
    };
    let sources = spec
        .layers
        .iter()
        .map(|input| layer_source(ops.tar_assembly, input, spec.layer_options))
        .collect::<Result<Vec<_>, _>>()?;
    match output {
        BuildOutput::File(path) => to_file(ops, spec, &sources, repo_tags, &path),
        BuildOutput::Stream(out) => to_stream(ops, spec, &sources, repo_tags, out),
        BuildOutput::OciLayout(dir) => to_layout(ops, spec, &sources, repo_tags, &dir),
        BuildOutput::Load {
            runtime,
            engine,
            base,
        } => to_engine(ops, spec, &sources, repo_tags, runtime, engine, &base),
    }
}

fn layer_source(
    tar_assembly: &TarAssembly,
    input: &LayerInput,
    options: LayerOptions,
) -> Result<LayerSource, Error> {
    Ok(match input {
        LayerInput::Dir(dir) => {
            let entries = walk(dir)?;
            let plan = tar_assembly.plan_layer(&entries, options)?;
            LayerSource::Planned(PlannedLayer::new(dir, &entries, plan)?)
        }
        LayerInput::Tar(path) => {
            check_layer(path)?;
            LayerSource::Tar(path.clone())
        }
        LayerInput::TarGz(path) => {
            check_layer(path)?;
            LayerSource::Gzip(path.clone())
        }
    })
}

/// Config and manifest for layers of known digests.
fn image(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    layers: &[LayerSummary],
    omitted: &[bool],
    repo_tags: Vec<String>,
) -> Result<ArchiveImage, Error> {
    let mut request = spec.config.clone();
    request.diff_ids = layers.iter().map(|l| l.digest.clone()).collect();
    let config = ops.manifest_generation.image_config(&request)?;
    let descriptors: Vec<Descriptor> = layers
        .iter()
        .map(|l| Descriptor::new(LAYER_MEDIA_TYPE, l.digest.clone(), l.size))
        .collect();
    let manifest = ops
        .manifest_generation
        .image_manifest(&config.descriptor, &descriptors, &[])?;
    Ok(ArchiveImage {
        config,
        manifest,
        layers: descriptors
            .into_iter()
            .zip(omitted.iter().copied().chain(std::iter::repeat(false)))
            .map(|(descriptor, omitted)| ArchiveLayer {
                descriptor,
                omitted,
            })
            .collect(),
        repo_tags,
    })
}

/// The blobs an archive plan may name: documents in memory, layers by source.
fn blobs(image: &ArchiveImage, sources: &[LayerSource]) -> HashMap<Digest, (Blob, u64)> {
    let mut blobs = HashMap::new();
    for doc in [&image.config, &image.manifest] {
        blobs.insert(
            doc.descriptor.digest.clone(),
            (Blob::Bytes(doc.bytes.clone()), doc.descriptor.size),
        );
    }
    for (layer, source) in image.layers.iter().zip(sources) {
        blobs.insert(
            layer.descriptor.digest.clone(),
            (Blob::Layer(source.clone()), layer.descriptor.size),
        );
    }
    blobs
}

fn built(
    image: &ArchiveImage,
    layers: Vec<LayerSummary>,
    bytes_skipped: u64,
    loaded: Option<LoadReport>,
) -> Built {
    Built {
        image_id: image.config.descriptor.digest.clone(),
        manifest_digest: image.manifest.descriptor.digest.clone(),
        layers,
        repo_tags: image.repo_tags.clone(),
        bytes_skipped,
        loaded,
    }
}

/// An archive file, written beside `path` and renamed into place.
fn to_file(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    repo_tags: Vec<String>,
    path: &Path,
) -> Result<Built, Error> {
    let what = format!("cannot write {}", path.display());
    let mut file = AtomicFile::create(path).map_err(Error::output(&what))?;
    let built = write_archive(ops, spec, sources, repo_tags, Sink::Seekable(file.file()))?;
    file.commit(path).map_err(Error::output(&what))?;
    Ok(built)
}

/// An archive streamed into a pipe.
fn to_stream(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    repo_tags: Vec<String>,
    mut out: Box<dyn Write + '_>,
) -> Result<Built, Error> {
    let built = write_archive(ops, spec, sources, repo_tags, Sink::Pipe(&mut out))?;
    out.flush()
        .map_err(Error::output("cannot write the archive"))?;
    Ok(built)
}

/// Where a `docker-and-oci` archive goes.
enum Sink<'a> {
    /// A file: layer heads can be rewritten once the digest is known.
    Seekable(&'a mut std::fs::File),
    /// A pipe: layers are hashed in a first pass instead.
    Pipe(&'a mut dyn Write),
}

/// Writes the layers first (each blob once), then everything else: the
/// same bytes into a file or a pipe.
fn write_archive(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    repo_tags: Vec<String>,
    mut sink: Sink<'_>,
) -> Result<Built, Error> {
    let what = "cannot write the archive";
    let format = ArchiveFormat::DockerAndOci;
    let measured = match sink {
        Sink::Seekable(_) => None,
        Sink::Pipe(_) => Some(measure_all(sources, ops.progress)?),
    };
    if let Sink::Seekable(file) = &mut sink
        && sources.len() > 1
        && let Some((layers, written)) = write_layers_in_parallel(ops, sources, file)?
    {
        let image = image(ops, spec, &layers, &[], repo_tags)?;
        let plan = ops
            .tar_assembly
            .plan_archive(format, std::slice::from_ref(&image), &written)?;
        write_plan(&plan, &blobs(&image, sources), *file)?;
        return Ok(built(&image, layers, 0, None));
    }
    let mut layers = Vec::new();
    let mut written: Vec<WrittenBlob> = Vec::new();
    for (ordinal, source) in sources.iter().enumerate() {
        let ordinal = u32::try_from(ordinal).unwrap_or(u32::MAX);
        // Digest and size when known before writing: measured for a pipe;
        // for a gzip layer, whose size is only known by decompressing it.
        let (known, size) = match (&measured, source.known_size()?) {
            (Some(m), _) => (
                Some(m[ordinal as usize].digest.clone()),
                m[ordinal as usize].size,
            ),
            (None, Some(size)) => (None, size),
            (None, None) => {
                let (digest, size) = source.measure(std::io::sink())?;
                (Some(digest), size)
            }
        };
        if let Some(digest) = &known
            && written.iter().any(|w| &w.digest == digest)
        {
            layers.push(LayerSummary {
                digest: digest.clone(),
                size,
            });
            continue; // the same layer twice: stored once
        }
        let head = placed_head(ops.tar_assembly.blob_entry(
            format,
            known.as_ref(),
            ordinal,
            size,
            &written,
        )?)?;
        ops.progress
            .start(&task("layer", ordinal as usize, sources.len()), Some(size));
        let (digest, path) = match &mut sink {
            Sink::Pipe(out) => {
                out.write_all(&head.header).map_err(Error::output(what))?;
                let mut hashing = HashingWriter::new(Counted::new(&mut **out, ops.progress));
                source.stream(&mut hashing, Some(size))?;
                let (digest, _, mut out) = hashing.finish().map_err(Error::output(what))?;
                out.write_all(&vec![0; head.padding as usize])
                    .map_err(Error::output(what))?;
                (digest, head.path)
            }
            Sink::Seekable(file) => {
                let start = file.stream_position().map_err(Error::output(what))?;
                file.write_all(&head.header).map_err(Error::output(what))?;
                let mut hashing = HashingWriter::new(Counted::new(&mut **file, ops.progress));
                source.stream(&mut hashing, Some(size))?;
                let (digest, _, _) = hashing.finish().map_err(Error::output(what))?;
                if written.iter().any(|w| w.digest == digest) {
                    // The same layer twice, found by hashing: drop the copy.
                    ops.progress.finish();
                    file.set_len(start).map_err(Error::output(what))?;
                    file.seek(SeekFrom::Start(start))
                        .map_err(Error::output(what))?;
                    layers.push(LayerSummary { digest, size });
                    continue;
                }
                file.write_all(&vec![0; head.padding as usize])
                    .map_err(Error::output(what))?;
                let path = if known.is_some() {
                    head.path
                } else {
                    let real = placed_head(ops.tar_assembly.blob_entry(
                        format,
                        Some(&digest),
                        ordinal,
                        size,
                        &written,
                    )?)?;
                    if real.header.len() != head.header.len() || real.padding != head.padding {
                        return Err(Error::Contract {
                            component: "tar-assembly",
                            message: "blob-entry gave heads of different lengths for a placeholder and a digest".into(),
                        });
                    }
                    let end = file.stream_position().map_err(Error::output(what))?;
                    file.seek(SeekFrom::Start(start))
                        .map_err(Error::output(what))?;
                    file.write_all(&real.header).map_err(Error::output(what))?;
                    file.seek(SeekFrom::Start(end))
                        .map_err(Error::output(what))?;
                    real.path
                };
                (digest, path)
            }
        };
        ops.progress.finish();
        written.push(WrittenBlob {
            digest: digest.clone(),
            path,
        });
        layers.push(LayerSummary { digest, size });
    }
    let image = image(ops, spec, &layers, &[], repo_tags)?;
    let plan = ops
        .tar_assembly
        .plan_archive(format, std::slice::from_ref(&image), &written)?;
    let blobs = blobs(&image, sources);
    match sink {
        Sink::Seekable(file) => write_plan(&plan, &blobs, file)?,
        Sink::Pipe(mut out) => write_plan(&plan, &blobs, &mut out)?,
    }
    Ok(built(&image, layers, 0, None))
}

/// The head to write a blob under. Each caller stores a blob once before it
/// asks, and the runtime passes `stored` on only for a blob already
/// written, so `stored` does not arise here; it is reported, not trusted.
fn placed_head(placement: BlobPlacement) -> Result<BlobHead, Error> {
    match placement {
        BlobPlacement::Write(head) => Ok(head),
        BlobPlacement::Stored(path) => Err(Error::Contract {
            component: "tar-assembly",
            message: format!("blob-entry placed a blob this build had not written at {path:?}"),
        }),
    }
}

/// Layers into a file, several at once: hashing runs at ≈1.8 GB/s per
/// core, so one stream cannot keep up with the disk cache, but layers are
/// independent. Every layer's place is known before its bytes (sizes come
/// from the plans, heads have a fixed length), so each worker writes its
/// layer at its own offset under a placeholder head, rewritten once hashed.
/// `None` (the file put back as it was) when two layers turn out to be the
/// same: the sequential path then stores that blob once.
fn write_layers_in_parallel(
    ops: &Operations<'_>,
    sources: &[LayerSource],
    file: &mut std::fs::File,
) -> Result<Option<WrittenLayers>, Error> {
    use std::os::unix::fs::FileExt;
    let what = "cannot write the archive";
    let format = ArchiveFormat::DockerAndOci;
    let start = file.stream_position().map_err(Error::output(what))?;
    // Where each layer goes: its head's offset, the head, its size.
    let mut slots = Vec::with_capacity(sources.len());
    let mut end = start;
    for (ordinal, source) in sources.iter().enumerate() {
        let (known, size) = match source.known_size()? {
            Some(size) => (None, size),
            None => {
                let (digest, size) = source.measure(std::io::sink())?;
                (Some(digest), size)
            }
        };
        let ordinal = u32::try_from(ordinal).unwrap_or(u32::MAX);
        let head = placed_head(ops.tar_assembly.blob_entry(
            format,
            known.as_ref(),
            ordinal,
            size,
            &[],
        )?)?;
        file.write_all_at(&head.header, end)
            .map_err(Error::output(what))?;
        let data = end + head.header.len() as u64;
        file.write_all_at(&vec![0; head.padding as usize], data + size)
            .map_err(Error::output(what))?;
        slots.push((end, head, size));
        end = data + size + u64::from(slots.last().expect("just pushed").1.padding);
    }
    let total = slots.iter().map(|(_, _, size)| size).sum();
    ops.progress
        .start(&format!("{} layers", sources.len()), Some(total));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let digests: Vec<std::sync::Mutex<Option<Result<Digest, Error>>>> = sources
        .iter()
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    let (shared, progress) = (&*file, ops.progress);
    std::thread::scope(|scope| {
        for _ in 0..workers.min(sources.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((at, head, size)) = slots.get(i) else {
                        break;
                    };
                    let out = PositionedWriter {
                        file: shared,
                        pos: at + head.header.len() as u64,
                    };
                    let mut hashing = HashingWriter::new(Counted::new(out, progress));
                    let result = sources[i]
                        .stream(&mut hashing, Some(*size))
                        .map_err(Error::from)
                        .and_then(|()| {
                            hashing
                                .finish()
                                .map(|(d, _, _)| d)
                                .map_err(Error::output(what))
                        });
                    *digests[i].lock().expect("not poisoned") = Some(result);
                }
            });
        }
    });
    ops.progress.finish();
    let mut layers = Vec::with_capacity(sources.len());
    for (slot, digest) in slots.iter().zip(digests) {
        let digest = digest
            .into_inner()
            .expect("not poisoned")
            .expect("every layer ran")?;
        layers.push(LayerSummary {
            digest,
            size: slot.2,
        });
    }
    let mut unique = std::collections::HashSet::new();
    if !layers.iter().all(|l| unique.insert(&l.digest)) {
        file.set_len(start).map_err(Error::output(what))?;
        file.seek(SeekFrom::Start(start))
            .map_err(Error::output(what))?;
        return Ok(None);
    }
    let mut written = Vec::with_capacity(sources.len());
    for (ordinal, ((at, head, size), layer)) in slots.iter().zip(&layers).enumerate() {
        let ordinal = u32::try_from(ordinal).unwrap_or(u32::MAX);
        let real = placed_head(ops.tar_assembly.blob_entry(
            format,
            Some(&layer.digest),
            ordinal,
            *size,
            &written,
        )?)?;
        if real.header.len() != head.header.len() || real.padding != head.padding {
            return Err(Error::Contract {
                component: "tar-assembly",
                message:
                    "blob-entry gave heads of different lengths for a placeholder and a digest"
                        .into(),
            });
        }
        file.write_all_at(&real.header, *at)
            .map_err(Error::output(what))?;
        written.push(WrittenBlob {
            digest: layer.digest.clone(),
            path: real.path,
        });
    }
    file.seek(SeekFrom::Start(end))
        .map_err(Error::output(what))?;
    Ok(Some((layers, written)))
}

/// The layers written so far and the blob entries they occupy.
type WrittenLayers = (Vec<LayerSummary>, Vec<WrittenBlob>);

/// Writes at a fixed place in a file shared by several writers (`pwrite`).
struct PositionedWriter<'f> {
    file: &'f std::fs::File,
    pos: u64,
}

impl Write for PositionedWriter<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = std::os::unix::fs::FileExt::write_at(self.file, data, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every layer's digest and size, by hashing it (nothing is written).
fn measure_all(
    sources: &[LayerSource],
    progress: &dyn Progress,
) -> Result<Vec<LayerSummary>, Error> {
    let mut layers = Vec::with_capacity(sources.len());
    for (i, source) in sources.iter().enumerate() {
        progress.start(
            &task("hashing layer", i, sources.len()),
            source.known_size()?,
        );
        let (digest, size) = source.measure(Counted::new(std::io::sink(), progress))?;
        progress.finish();
        layers.push(LayerSummary { digest, size });
    }
    Ok(layers)
}

/// An OCI layout directory, built beside `dir` and renamed into place.
fn to_layout(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    repo_tags: Vec<String>,
    dir: &Path,
) -> Result<Built, Error> {
    let what = format!("cannot write {}", dir.display());
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(Error::output(&what))?
            .next()
            .is_some()
    {
        return Err(Error::Output {
            what,
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the directory exists and is not empty",
            ),
        });
    }
    let parent = parent_dir(dir);
    let staging = tempfile::Builder::new()
        .prefix(".ocipipe-layout-")
        .tempdir_in(parent)
        .map_err(Error::output(&what))?;
    let blob_dir = staging.path().join("blobs/sha256");
    std::fs::create_dir_all(&blob_dir).map_err(Error::output(&what))?;
    let mut layers = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let tmp = tempfile::NamedTempFile::new_in(&blob_dir).map_err(Error::output(&what))?;
        let known = source.known_size()?;
        ops.progress.start(&task("layer", i, sources.len()), known);
        let mut hashing = HashingWriter::new(Counted::new(tmp, ops.progress));
        source.stream(&mut hashing, known)?;
        let (digest, size, counted) = hashing.finish().map_err(Error::output(&what))?;
        ops.progress.finish();
        let tmp = counted.inner;
        let hex = digest.encoded();
        tmp.persist(blob_dir.join(hex)).map_err(|e| Error::Output {
            what: what.clone(),
            source: e.error,
        })?;
        layers.push(LayerSummary { digest, size });
    }
    let image = image(ops, spec, &layers, &[], repo_tags)?;
    // No blobs given as written: the plan names every file, and the layers
    // written above are skipped below.
    let files = ops
        .tar_assembly
        .plan_layout(std::slice::from_ref(&image), &[])?;
    let blobs = blobs(&image, sources);
    for file in files {
        let target = staging.path().join(safe_relative(&file.path)?);
        if layers
            .iter()
            .any(|l| target == blob_dir.join(l.digest.encoded()))
        {
            continue; // written above
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(Error::output(&what))?;
        }
        let mut out = std::fs::File::create(&target).map_err(Error::output(&what))?;
        write_plan(&file.contents, &blobs, &mut out)?;
    }
    if dir.exists() {
        std::fs::remove_dir(dir).map_err(Error::output(&what))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, dir).map_err(|source| {
        let _ = std::fs::remove_dir_all(&staged);
        Error::Output {
            what: what.clone(),
            source,
        }
    })?;
    Ok(built(&image, layers, 0, None))
}

/// A layout path from a plan, refused unless it is relative, normal and
/// stays inside the layout.
fn safe_relative(path: &str) -> Result<PathBuf, Error> {
    crate::store::tar::name::relative_path(path).ok_or_else(|| Error::Contract {
        component: "tar-assembly",
        message: format!(
            "plan-layout named the path {path:?}, not a relative path in normal form inside the layout"
        ),
    })
}

/// Straight into the engine, in the `docker` format, streamed.
fn to_engine(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    repo_tags: Vec<String>,
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    base: &[String],
) -> Result<Built, Error> {
    let known = layers_the_engine_has(runtime, engine, base)?;
    // With layers to skip, their digests are needed before streaming.
    let measured = if known.is_empty() {
        None
    } else {
        Some(measure_all(sources, ops.progress)?)
    };
    let omitted: Vec<bool> = match &measured {
        Some(layers) => layers
            .iter()
            .map(|l| known.iter().any(|k| l.digest == k.as_str()))
            .collect(),
        None => vec![false; sources.len()],
    };
    let load = |omitted: &[bool]| {
        load_once(
            ops,
            spec,
            sources,
            &repo_tags,
            runtime,
            engine,
            omitted,
            measured.as_deref(),
        )
    };
    match load(&omitted) {
        Err(Error::Docker(crate::docker::Error::LoadRefused { message }))
            if omitted.contains(&true) =>
        {
            tracing::warn!(%message, "the engine refused the placeholder layers; loading every layer");
            load(&vec![false; sources.len()])
        }
        other => other,
    }
}

/// Streams the archive into one load request.
#[allow(clippy::too_many_arguments)]
fn load_once(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    repo_tags: &[String],
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    omitted: &[bool],
    measured: Option<&[LayerSummary]>,
) -> Result<Built, Error> {
    let ((image, layers), loaded) = stream_into_engine(runtime, engine, |out| {
        write_for_engine(ops, spec, sources, repo_tags, omitted, measured, out)
    })?;
    let skipped = image
        .layers
        .iter()
        .filter(|l| l.omitted)
        .map(|l| l.descriptor.size)
        .sum();
    Ok(built(&image, layers, skipped, Some(loaded)))
}

fn write_for_engine(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    repo_tags: &[String],
    omitted: &[bool],
    measured: Option<&[LayerSummary]>,
    out: &mut ChannelWriter,
) -> Result<(ArchiveImage, Vec<LayerSummary>), Error> {
    let format = ArchiveFormat::Docker;
    let mut layers = Vec::new();
    let mut written: Vec<WrittenBlob> = Vec::new();
    for (ordinal, source) in sources.iter().enumerate() {
        if omitted.get(ordinal) == Some(&true) {
            layers.push(measured.expect("omission needs measuring")[ordinal].clone());
            continue;
        }
        let size = match (measured, source.known_size()?) {
            (Some(m), _) => m[ordinal].size,
            (None, Some(size)) => size,
            (None, None) => source.measure(std::io::sink())?.1,
        };
        let ordinal_u32 = u32::try_from(ordinal).unwrap_or(u32::MAX);
        let head =
            placed_head(
                ops.tar_assembly
                    .blob_entry(format, None, ordinal_u32, size, &written)?,
            )?;
        out.write_all(&head.header)
            .map_err(Error::output("cannot stream to the engine"))?;
        ops.progress
            .start(&task("layer", ordinal, sources.len()), Some(size));
        let mut hashing = HashingWriter::new(Counted::new(&mut *out, ops.progress));
        source.stream(&mut hashing, Some(size))?;
        let (digest, _, mut out_again) = hashing
            .finish()
            .map_err(Error::output("cannot stream to the engine"))?;
        out_again
            .write_all(&vec![0; head.padding as usize])
            .map_err(Error::output("cannot stream to the engine"))?;
        ops.progress.finish();
        written.push(WrittenBlob {
            digest: digest.clone(),
            path: head.path,
        });
        layers.push(LayerSummary { digest, size });
    }
    let image = image(ops, spec, &layers, omitted, repo_tags.to_vec())?;
    let plan = ops
        .tar_assembly
        .plan_archive(format, std::slice::from_ref(&image), &written)?;
    write_plan(&plan, &blobs(&image, sources), out)?;
    Ok((image, layers))
}
