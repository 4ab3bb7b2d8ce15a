//! `image build --push`: the image goes to the registry names it is
//! tagged with, with no archive and no engine. Each layer is compressed
//! once, several at once (one per core), its uncompressed digest (the
//! `diff_id`) and its compressed digest computed in the same pass; the
//! layers, config and manifest go into a private layout, which is then
//! copied to each name with `copy`'s protocol (HEAD, mount, retries).

use super::Error;
use super::build::{BuildSpec, Operations, config_request, layer_sources};
use super::copy::{CopyContext, Location, copy};
use crate::model::{Descriptor, Digest, Reference};
use crate::store::hashing::HashingWriter;
use crate::store::layout_writer::LayoutWriter;
use crate::store::plan::LayerSource;
use std::io::Write;

/// How pushed layers are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerCompression {
    /// gzip, as `docker push` sends layers.
    Gzip,
    /// None: the layer tars as they are.
    None,
}

impl LayerCompression {
    fn media_type(self) -> &'static str {
        match self {
            LayerCompression::Gzip => super::build::LAYER_GZIP_MEDIA_TYPE,
            LayerCompression::None => super::build::LAYER_MEDIA_TYPE,
        }
    }
}

/// One name pushed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PushedName {
    /// The name, in full.
    pub name: String,
    /// The manifest digest in the registry.
    pub digest: Digest,
    /// The image ID (the config digest).
    pub image_id: Digest,
    /// Layer bytes sent to this name's repository.
    pub bytes_sent: u64,
}

/// Builds the image `spec` describes and pushes it to every name of its
/// `targets` (at least one).
pub fn build_and_push(
    ops: &Operations<'_>,
    ctx: &CopyContext<'_>,
    spec: &BuildSpec,
    compression: LayerCompression,
) -> Result<Vec<PushedName>, Error> {
    let targets: Vec<Reference> = match &spec.targets {
        Some(names) => ops.tagging.parse_targets(names)?,
        None => Vec::new(),
    };
    if targets.is_empty() {
        return Err(Error::NotFound {
            source_name: "image build --push".to_string(),
            message: "there is no name to push to: give one with -t REGISTRY/REPO[:TAG]".into(),
        });
    }
    let mut spooled = Vec::new();
    let sources = layer_sources(ops, spec, &mut spooled)?;

    let (staging, _registered) = crate::store::cleanup::create(
        || tempfile::Builder::new().prefix("ocipipe-push-").tempdir(),
        |dir| dir.path(),
    )
    .map_err(Error::output("a temporary layout for the push"))?;
    let layout = staging.path().join("layout");
    let writer = LayoutWriter::open(&layout)?;
    ops.progress.start(
        "compress",
        sources.iter().map(|s| s.known_size().ok().flatten()).sum(),
    );
    let layers = compress_all(&writer, &sources, compression, ops)?;
    ops.progress.finish();

    let diff_ids = layers.iter().map(|(diff_id, _)| diff_id.clone()).collect();
    let config = ops
        .manifest_generation
        .image_config(&config_request(spec, diff_ids))?;
    writer.put_bytes(&config.descriptor.digest, &config.bytes)?;
    let descriptors: Vec<Descriptor> = layers.into_iter().map(|(_, d)| d).collect();
    let manifest = ops
        .manifest_generation
        .image_manifest(&config.descriptor, &descriptors, &[])?;
    writer.put_bytes(&manifest.descriptor.digest, &manifest.bytes)?;
    let index = ops
        .manifest_generation
        .layout_index(None, &manifest.descriptor, None)?;
    writer.finish(&index.bytes)?;

    let from = Location::Layout {
        path: layout,
        tag: None,
    };
    targets
        .into_iter()
        .map(|target| {
            let copied = copy(ctx, &from, &Location::Registry(target.clone()))?;
            Ok(PushedName {
                name: target.full,
                digest: manifest.descriptor.digest.clone(),
                image_id: config.descriptor.digest.clone(),
                bytes_sent: copied.bytes_sent,
            })
        })
        .collect()
}

/// Compresses every layer into the layout, one per core at once (up to 4);
/// each layer's diff_id and its stored descriptor, in order.
fn compress_all(
    writer: &LayoutWriter,
    sources: &[LayerSource],
    compression: LayerCompression,
    ops: &Operations<'_>,
) -> Result<Vec<(Digest, Descriptor)>, Error> {
    crate::store::sink::in_parallel(sources.len(), |i| {
        compress(writer, &sources[i], compression, ops)
    })
}

/// One layer: its tar streamed through a hash (the diff_id) into the
/// compressor, whose output is hashed as it is written into the layout.
fn compress(
    writer: &LayoutWriter,
    source: &LayerSource,
    compression: LayerCompression,
    ops: &Operations<'_>,
) -> Result<(Digest, Descriptor), Error> {
    let what = "cannot write a compressed layer";
    let blob = writer.made_blob()?;
    let counted = crate::store::sink::Counted::new(blob, ops.progress);
    let blob = match compression {
        LayerCompression::Gzip => {
            let gzip = flate2::write::GzEncoder::new(counted, flate2::Compression::fast());
            let mut tar = HashingWriter::new(gzip);
            source.stream(&mut tar, None)?;
            let (diff_id, _, gzip) = tar.finish().map_err(Error::output(what))?;
            let mut blob = gzip.finish().map_err(Error::output(what))?.into_inner();
            blob.flush().map_err(Error::output(what))?;
            (diff_id, blob)
        }
        LayerCompression::None => {
            let mut tar = HashingWriter::new(counted);
            source.stream(&mut tar, None)?;
            let (diff_id, _, counted) = tar.finish().map_err(Error::output(what))?;
            (diff_id, counted.into_inner())
        }
    };
    let (diff_id, blob) = blob;
    let (digest, size) = writer.commit_made(blob)?;
    Ok((
        diff_id,
        Descriptor::new(compression.media_type(), digest, size),
    ))
}
