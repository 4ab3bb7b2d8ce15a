//! `image build --push`: the image goes to the registry names it is
//! tagged with, with no archive, no engine and no file in between.
//!
//! Each new layer is made, hashed (its `diff_id`), compressed and hashed
//! again (its digest) in one pass that streams straight into its upload,
//! as `docker push` sends layers: a `PATCH` of unknown length, closed by
//! `PUT ?digest=` once the digest is known. Several layers go at once (one
//! per core). A base image's layers already stored compressed go as they
//! are, looked for first and never recompressed; uncompressed ones are
//! compressed like new layers. The config and manifest go last, so the tag
//! never points at something missing. Every other name gets the image by
//! `copy` from the first (mounted within a registry).

use super::Error;
use super::build::{BuildSpec, Operations, config_request};
use super::copy::{CopyContext, Location, Registries, copy, put_bytes, put_known};
use super::tag::identifier;
use crate::model::{Descriptor, Digest, ManifestFormat, Reference};
use crate::registry::{self, Made, Repository};
use crate::store::compress::LayerCompression;
use crate::store::hashing::HashingWriter;
use crate::store::plan::LayerSource;
use crate::store::sink::Counted;
use crate::store::source::SourceLayer;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

/// One name pushed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PushedName {
    /// The name, in full.
    pub name: String,
    /// The manifest digest in the registry.
    pub digest: Digest,
    /// The image ID (the config digest).
    pub image_id: Digest,
    /// Blob bytes sent to this name's repository.
    pub bytes_sent: u64,
}

/// How one layer reaches the registry.
enum Upload<'a> {
    /// A base layer stored compressed: its blob as it is.
    AsStored(&'a SourceLayer, LayerCompression),
    /// Made (and compressed) as it is sent.
    Made(&'a LayerSource),
}

/// A layer in the registry: its diff_id, its descriptor, bytes sent.
pub(super) type Pushed = (Digest, Descriptor, u64);

/// Builds the image `spec` describes from the layers `sources` (those of
/// `layer_sources`, or tars made from them already) and pushes it to every
/// name of its `targets` (at least one).
pub(super) fn push_from(
    ops: &Operations<'_>,
    ctx: &CopyContext<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    compression: LayerCompression,
) -> Result<Vec<PushedName>, Error> {
    let targets: Vec<Reference> = match &spec.targets {
        Some(names) => ops.tagging.parse_targets(names)?,
        None => Vec::new(),
    };
    let Some(first) = targets.first() else {
        return Err(Error::NotFound {
            source_name: "image build --push".to_string(),
            message: "there is no name to push to: give one with -t REGISTRY/REPO[:TAG]".into(),
        });
    };
    let base = spec.base.as_ref().map_or(&[][..], |b| &b.layers[..]);
    let uploads: Vec<Upload<'_>> = sources
        .iter()
        .enumerate()
        .map(|(i, source)| {
            let stored = base
                .get(i)
                .filter(|layer| layer.digest.is_some())
                .and_then(|layer| {
                    LayerCompression::of(layer.compression)
                        .filter(|c| *c != LayerCompression::None)
                        .map(|c| (layer, c))
                });
            match stored {
                Some((layer, compression)) => Upload::AsStored(layer, compression),
                None => Upload::Made(source),
            }
        })
        .collect();

    // A base from another repository of the same registry lends its blobs.
    let mount_from = spec
        .base
        .as_ref()
        .and_then(|b| b.origin.as_ref())
        .filter(|origin| origin.domain == first.domain && origin.path != first.path)
        .map(|origin| origin.path.as_str());
    let repository = Registries::new(ctx.access).push_target(first, mount_from)?;
    let total = uploads
        .iter()
        .map(|u| match u {
            Upload::AsStored(layer, _) => Some(layer.size),
            Upload::Made(source) => source.known_size().ok().flatten(),
        })
        .sum();
    ops.progress.start("push", total);
    let layers = crate::store::sink::in_parallel(uploads.len(), |i| match &uploads[i] {
        Upload::AsStored(layer, stored) => {
            put_as_stored(ctx, &repository, layer, *stored, mount_from)
        }
        Upload::Made(source) => make_and_put(ctx, &repository, source, compression),
    })?;
    ops.progress.finish();

    let diff_ids = layers
        .iter()
        .map(|(diff_id, _, _)| diff_id.clone())
        .collect();
    let config = ops
        .manifest_generation
        .image_config(&config_request(spec, diff_ids))?;
    let config_sent = put_bytes(ctx, &repository, &config.descriptor, &config.bytes)?;
    let mut bytes_sent = config_sent + layers.iter().map(|(_, _, sent)| sent).sum::<u64>();
    let descriptors: Vec<Descriptor> = layers.into_iter().map(|(_, d, _)| d).collect();
    let manifest = ops
        .manifest_generation
        .image_manifest(&config.descriptor, &descriptors, &[])?;
    let tag = identifier(first)?;
    ctx.runtime.block_on(repository.put_manifest(
        &tag,
        &manifest.descriptor.media_type,
        &manifest.bytes,
    ))?;

    let mut pushed = Vec::with_capacity(targets.len());
    for target in &targets {
        if !std::ptr::eq(target, first) {
            let from = Location::Registry(first.clone());
            bytes_sent = copy(ctx, &from, &Location::Registry(target.clone()))?.bytes_sent;
        }
        pushed.push(PushedName {
            name: target.full.clone(),
            digest: manifest.descriptor.digest.clone(),
            image_id: config.descriptor.digest.clone(),
            bytes_sent,
        });
    }
    Ok(pushed)
}

/// A base layer stored compressed, as it is (mounted from its origin when
/// it can be).
fn put_as_stored(
    ctx: &CopyContext<'_>,
    repository: &Repository,
    layer: &SourceLayer,
    stored: LayerCompression,
    mount_from: Option<&str>,
) -> Result<Pushed, Error> {
    let digest = layer.digest.clone().expect("chosen for its known digest");
    let media_type = ctx
        .ops
        .manifest_generation
        .layer_media_type(stored, ManifestFormat::Oci)?;
    let descriptor = Descriptor::new(media_type, digest, layer.size);
    let source = layer.blob.clone();
    let sent = put_known(
        ctx,
        repository,
        &descriptor,
        mount_from,
        Box::new(move || source.open_stored()),
    )?;
    ctx.ops.progress.advance(layer.size);
    Ok((layer.diff_id.clone(), descriptor, sent))
}

/// A layer made, compressed and sent in one pass; made again for each
/// try of the upload (sources are re-readable: inputs that are not were
/// spooled). A failure to make it is reported as itself, not retried.
pub(super) fn make_and_put(
    ctx: &CopyContext<'_>,
    repository: &Repository,
    source: &LayerSource,
    compression: LayerCompression,
) -> Result<Pushed, Error> {
    type Start = (registry::BlobWriter, tokio::sync::oneshot::Sender<Made>);
    let (start, starts) = std::sync::mpsc::channel::<Start>();
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let diff_id: Mutex<Option<Digest>> = Mutex::new(None);
    let uploaded = std::thread::scope(|scope| {
        // The maker: one thread, one try after another.
        scope.spawn(|| {
            for (writer, made) in starts {
                let ended = writer.ended();
                match make(source, compression, writer, ctx.ops) {
                    Ok((made_diff_id, digest, size)) => {
                        *diff_id.lock().expect("not poisoned") = Some(made_diff_id);
                        let _ = made.send(Made::Whole { digest, size });
                    }
                    // The upload stopped: its error is the one to report.
                    Err(_) if ended.load(Ordering::Relaxed) => drop(made),
                    Err(e) => {
                        *failure.lock().expect("not poisoned") = Some(e);
                        let _ = made.send(Made::Failed);
                    }
                }
            }
        });
        let uploaded = ctx.runtime.block_on(repository.transport().retrying(
            "upload a layer as it is made",
            || {
                let (writer, body) = registry::blob_channel();
                let (made, made_rx) = tokio::sync::oneshot::channel();
                start
                    .send((writer, made))
                    .expect("the maker runs until told to stop");
                repository.put_streamed(body, made_rx)
            },
        ));
        drop(start);
        uploaded
    });
    if let Some(e) = failure.into_inner().expect("not poisoned") {
        return Err(e);
    }
    let (digest, size) = uploaded?;
    let diff_id = diff_id
        .into_inner()
        .expect("not poisoned")
        .expect("a whole blob has its diff_id");
    let media_type = ctx
        .ops
        .manifest_generation
        .layer_media_type(compression, ManifestFormat::Oci)?;
    Ok((diff_id, Descriptor::new(media_type, digest, size), size))
}

/// Streams `source`'s tar through a hash (the diff_id) into the
/// compressor, whose output is hashed (the digest) on its way into
/// `writer`; ends the body once whole. Progress counts the tar's bytes.
fn make(
    source: &LayerSource,
    compression: LayerCompression,
    writer: registry::BlobWriter,
    ops: &Operations<'_>,
) -> Result<(Digest, Digest, u64), Error> {
    let (diff_id, digest, size, writer) = compress_layer(source, compression, writer, ops)?;
    writer
        .finish()
        .map_err(Error::output("cannot send a layer"))?;
    Ok((diff_id, digest, size))
}

/// `source`'s tar, hashed (its diff_id), compressed and hashed again (its
/// digest and size) into `out`, which is given back. Progress counts the
/// tar's bytes.
pub(super) fn compress_layer<W: std::io::Write>(
    source: &LayerSource,
    compression: LayerCompression,
    out: W,
    ops: &Operations<'_>,
) -> Result<(Digest, Digest, u64, W), Error> {
    let what = "cannot write a layer";
    let sent = HashingWriter::new(out);
    let compressor = compression.writer(sent).map_err(Error::output(what))?;
    let mut tar = HashingWriter::new(Counted::new(compressor, ops.progress));
    source.stream(&mut tar, None)?;
    let (diff_id, _, counted) = tar.finish().map_err(Error::output(what))?;
    let sent = counted.into_inner().finish().map_err(Error::output(what))?;
    let (digest, size, out) = sent.finish().map_err(Error::output(what))?;
    Ok((diff_id, digest, size, out))
}
