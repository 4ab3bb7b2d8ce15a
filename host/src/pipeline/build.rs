//! `ocipipe image build`: layers from directories or tars, an image config
//! and manifest, written into any destination by the one sequence
//! ([`super::build_image::put_image`]): an archive file, a stream, an OCI
//! layout, or straight into the engine.
//!
//! The components decide (tar-assembly: each layer's tar and where every
//! blob of an archive goes; manifest-generation: the config and manifest,
//! and a layout's `index.json`); the
//! destinations write, every byte hashed once on the way.

use super::Error;
use super::build_image::{PutImage, put_image};
use super::engine_stream::EngineLoad;
use super::planner::{IndexPlanning, Planner};
use crate::docker::{Engine, LoadReport};
use crate::model::destination::{Destination, PutLayer};
use crate::model::{
    ArchiveFormat, ArchiveImage, ArchiveLayer, ConfigRequest, Descriptor, Digest, Document,
    LayerCompression, LayerOptions, ManifestFormat, Progress,
};
use crate::runtime::{ManifestGeneration, Tagging, TarAssembly};
use crate::store::layout_writer::LayoutDestination;
use crate::store::plan::{LayerSource, PlannedLayer};
use crate::store::sink::{ArchiveFile, ArchiveStream};
use crate::store::source::SourceLayer;
use crate::store::spool::{Spooled, copy_unless_rereadable};
use crate::store::tar::Compression;
use crate::store::unpack::check_layer;
use crate::store::walk::walk;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

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

/// One `--layer`.
#[derive(Debug, Clone)]
pub enum LayerInput {
    /// A directory, made into a layer tar deterministically.
    Dir(PathBuf),
    /// A layer tar, plain or gzip-compressed (stored uncompressed); a file
    /// that cannot be read twice (a FIFO) is spooled first.
    File(PathBuf),
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
    /// The image to build on (`--from`): its layers come first, and its
    /// config is where the new one starts.
    pub base: Option<std::sync::Arc<BaseImage>>,
    /// Every base layer goes as it is stored, whatever its compression
    /// (`image append`: the image's layers are kept, not made again);
    /// otherwise the manifest-generation component says which do
    /// (`base-layer-as-stored`).
    pub base_as_stored: bool,
}

/// A base image, ready to build on.
pub struct BaseImage {
    /// Its config.
    pub config: Document,
    /// Its layers as stored (compressed or not), bottom first.
    pub layers: Vec<SourceLayer>,
    /// The registry repository it came from, to mount its blobs from.
    pub origin: Option<crate::model::Reference>,
    /// Where the layers are read from, kept for the build.
    pub(super) _kept: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for BaseImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BaseImage")
            .field("config", &self.config.descriptor.digest)
            .field("layers", &self.layers.len())
            .finish()
    }
}

/// Where the image goes.
pub enum BuildOutput<'a> {
    /// An archive file, written atomically.
    File(PathBuf),
    /// An archive streamed to a writer (stdout, a device, a FIFO), and how
    /// errors name it.
    Stream(Box<dyn Write + Send + 'a>, String),
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

/// Builds the image `spec` describes into `output`, its layers read from
/// `sources` (those of [`layer_sources`], or tars made from them already).
pub(super) fn build_from(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
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
    let planner = Planner(ops.tar_assembly);
    let format = ArchiveFormat::DockerAndOci;
    let tags = &repo_tags;
    match output {
        BuildOutput::File(path) => {
            let into = ArchiveFile::create(&path, format, &planner)?;
            write_image(ops, spec, sources, tags, into)
        }
        BuildOutput::Stream(out, name) => {
            let into = ArchiveStream::new(out, format, &planner, format!("cannot write {name}"));
            write_image(ops, spec, sources, tags, into)
        }
        BuildOutput::OciLayout(dir) => {
            let index = IndexPlanning(ops.manifest_generation);
            let into = LayoutDestination::create(&dir, index)?;
            write_image(ops, spec, sources, tags, into)
        }
        BuildOutput::Load {
            runtime,
            engine,
            base,
        } => {
            let loaded = EngineLoad::new(ops, runtime, engine, &base)?.load(|into| {
                let put = put(ops, spec, sources, &repo_tags, &into)?;
                into.commit(&put.image.manifest.descriptor, None)?;
                let id = put.image.config.descriptor.digest.clone();
                Ok((put, vec![id]))
            })?;
            let put = &loaded.written;
            Ok(built(&put.image, &put.layers, Some(loaded.report)))
        }
    }
}

/// Where a layer's bytes come from: a directory planned by the component,
/// or a tar file checked first (no escaping names, not cut short). A file
/// that cannot be read twice is spooled into `spooled` first.
fn layer_source(
    tar_assembly: &TarAssembly,
    input: &LayerInput,
    options: LayerOptions,
    spooled: &mut Vec<Spooled>,
) -> Result<LayerSource, Error> {
    Ok(match input {
        LayerInput::Dir(dir) => {
            let entries = walk(dir)?;
            let plan = tar_assembly.plan_layer(&entries, options)?;
            LayerSource::Planned(PlannedLayer::new(dir, &entries, plan)?)
        }
        LayerInput::File(given) => {
            let what = format!("--layer {}", given.display());
            let path = match copy_unless_rereadable(given).map_err(Error::input(&what))? {
                None => given.clone(),
                Some(copy) => {
                    let path = copy.path().to_path_buf();
                    spooled.push(copy);
                    path
                }
            };
            match check_layer(&path, given)? {
                Compression::Gzip => LayerSource::Gzip(path),
                Compression::Zstd => LayerSource::Zstd(path),
                _ => LayerSource::Tar(path),
            }
        }
    })
}

/// The image into `destination` by the one sequence: the layers, then the
/// config and manifest the components write for them, then the commit.
fn write_image<D: Destination>(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    repo_tags: &[String],
    destination: D,
) -> Result<Built, Error>
where
    Error: From<D::Error>,
{
    let put = put(ops, spec, sources, repo_tags, &destination)?;
    destination.commit(&put.image.manifest.descriptor, None)?;
    Ok(built(&put.image, &put.layers, None))
}

/// The image's layers and documents into `destination`, uncompressed
/// (where the place takes compressed layers, it is a layout a build made).
fn put<D: Destination>(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    repo_tags: &[String],
    destination: &D,
) -> Result<PutImage, Error>
where
    Error: From<D::Error>,
{
    let none = LayerCompression::None;
    put_image(ops, spec, sources, none, repo_tags.to_vec(), destination)
}

/// Refuses a base layer whose bytes, as read, hash to another diff_id than
/// its config lists: the base's layers are read where they are (a layout,
/// an archive), after its config was checked.
pub(super) fn check_base(spec: &BuildSpec, diff_ids: &[Digest]) -> Result<(), Error> {
    let base = spec.base.iter().flat_map(|b| b.layers.iter());
    for (i, (layer, read)) in base.zip(diff_ids).enumerate() {
        if &layer.diff_id != read {
            return Err(Error::Source(crate::store::source::Error::Malformed {
                source_name: "the base image".into(),
                message: format!(
                    "its layer {} reads as {read}, not the diff_id {} its config lists",
                    i + 1,
                    layer.diff_id
                ),
            }));
        }
    }
    Ok(())
}

/// The config request of `spec` for layers of these `diff_ids`: from the
/// base's config when there is one.
pub(super) fn config_request(spec: &BuildSpec, diff_ids: Vec<Digest>) -> ConfigRequest {
    let mut request = spec.config.clone();
    request.diff_ids = diff_ids;
    if let Some(base) = &spec.base {
        request.base = Some(String::from_utf8_lossy(&base.config.bytes).into_owned());
    }
    request
}

/// Where every layer of `spec` comes from, the base's first; inputs that
/// can be read only once are spooled into `spooled`.
pub(super) fn layer_sources(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    spooled: &mut Vec<Spooled>,
) -> Result<Vec<LayerSource>, Error> {
    let base_layers = spec.base.iter().flat_map(|b| b.layers.iter());
    base_layers
        .map(|layer| layer.tar().map_err(Error::from))
        .chain(
            spec.layers
                .iter()
                .map(|input| layer_source(ops.tar_assembly, input, spec.layer_options, spooled)),
        )
        .collect()
}

/// An image of `config` and the layers an output took, with the OCI
/// manifest the manifest-generation component writes for them.
pub(super) fn with_manifest(
    ops: &Operations<'_>,
    config: Document,
    layers: &[PutLayer],
    repo_tags: Vec<String>,
) -> Result<ArchiveImage, Error> {
    // The layer tars are written as they are: uncompressed.
    let media_type = ops
        .manifest_generation
        .layer_media_type(LayerCompression::None, ManifestFormat::Oci)?;
    let layers = layers
        .iter()
        .map(|l| ArchiveLayer {
            descriptor: Descriptor::new(media_type.clone(), l.digest.clone(), l.size),
            omitted: l.omitted(),
        })
        .collect();
    image_of(ops, config, layers, repo_tags)
}

/// The image of `config` and `layers`, with the OCI manifest the
/// manifest-generation component writes for them.
pub(super) fn image_of(
    ops: &Operations<'_>,
    config: Document,
    layers: Vec<ArchiveLayer>,
    repo_tags: Vec<String>,
) -> Result<ArchiveImage, Error> {
    let descriptors: Vec<Descriptor> = layers.iter().map(|l| l.descriptor.clone()).collect();
    let manifest = ops
        .manifest_generation
        .image_manifest(&config.descriptor, &descriptors, &[])?;
    Ok(ArchiveImage {
        config,
        manifest,
        layers,
        repo_tags,
    })
}

fn built(image: &ArchiveImage, put: &[PutLayer], loaded: Option<LoadReport>) -> Built {
    Built {
        image_id: image.config.descriptor.digest.clone(),
        manifest_digest: image.manifest.descriptor.digest.clone(),
        layers: put
            .iter()
            .map(|l| LayerSummary {
                digest: l.digest.clone(),
                size: l.size,
            })
            .collect(),
        repo_tags: image.repo_tags.clone(),
        bytes_skipped: put.iter().filter(|l| l.omitted()).map(|l| l.size).sum(),
        loaded,
    }
}
