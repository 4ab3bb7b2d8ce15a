//! `image build --push`: the image goes to the registry names it is
//! tagged with, with no archive, no engine and no file in between.
//!
//! The image is written by the one destination sequence
//! ([`crate::model::destination`]) into any [`Destination`]: the base's
//! layers stored compressed as known blobs (looked for first: a registry
//! that holds them, or can mount them, is sent none of their bytes, and
//! nothing reads them), every other layer made, hashed (its `diff_id`) and
//! compressed in one pass as it is sent (its digest known at its end),
//! several at once (one per core); then the config and the manifest, then
//! the commit, so the tag never points at something missing. Every other
//! name gets the image by `copy` from the first (mounted within a
//! registry).

use super::Error;
use super::build::{BuildSpec, Operations, check_base, config_request};
use super::copy::{CopyContext, Location, Registries, copy, put_document};
use super::tag::identifier;
use crate::hashing::HashingWriter;
use crate::model::destination::{Destination, put_known};
use crate::model::{Descriptor, Digest, ManifestFormat, Reference};
use crate::registry::RepositoryDestination;
use crate::store::compress::LayerCompression;
use crate::store::plan::LayerSource;
use crate::store::sink::Counted;
use crate::store::source::SourceLayer;
use std::io::{self, Write};
use std::sync::Mutex;

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

/// How one layer reaches the destination.
enum Upload<'a> {
    /// A base layer stored compressed: its blob as it is.
    AsStored(&'a SourceLayer, LayerCompression),
    /// Made (and compressed) as it is sent.
    Made(&'a LayerSource),
}

/// A layer put: its diff_id, its descriptor, bytes sent.
pub(super) type Pushed = (Digest, Descriptor, u64);

/// What [`push_image`] put.
pub(super) struct PushedImage {
    /// The manifest.
    pub manifest: Descriptor,
    /// The image ID (the config digest).
    pub image_id: Digest,
    /// Blob bytes sent (or reported put by the destination).
    pub bytes_sent: u64,
}

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
    // A base from another repository of the same registry lends its blobs.
    let mount_from = spec
        .base
        .as_ref()
        .and_then(|b| b.origin.as_ref())
        .filter(|origin| origin.domain == first.domain && origin.path != first.path)
        .map(|origin| origin.path.as_str());
    let repository = Registries::new(ctx.access).push_target(first, mount_from)?;
    let destination = RepositoryDestination::new(
        repository,
        ctx.runtime.handle().clone(),
        mount_from.map(Into::into),
    );
    let tag = identifier(first)?;
    let image = put_image(ops, spec, sources, compression, &destination)?;
    let mut bytes_sent = image.bytes_sent;
    destination.commit(&image.manifest, Some(&tag))?;

    let mut pushed = Vec::with_capacity(targets.len());
    for target in &targets {
        if !std::ptr::eq(target, first) {
            let from = Location::Registry(first.clone());
            bytes_sent = copy(ctx, &from, &Location::Registry(target.clone()))?.bytes_sent;
        }
        pushed.push(PushedName {
            name: target.full.clone(),
            digest: image.manifest.digest.clone(),
            image_id: image.image_id.clone(),
            bytes_sent,
        });
    }
    Ok(pushed)
}

/// Puts the image `spec` describes, from the layers `sources`, into
/// `destination`: its layers (the base's stored compressed as known blobs,
/// the others made as they are sent), then its config and manifest. The
/// caller commits it.
pub(super) fn put_image<D: Destination>(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    compression: LayerCompression,
    destination: &D,
) -> Result<PushedImage, Error>
where
    Error: From<D::Error>,
{
    let uploads = uploads(ops, spec, sources)?;
    let total = uploads
        .iter()
        .map(|u| match u {
            Upload::AsStored(layer, _) => Some(layer.size),
            Upload::Made(source) => source.known_size().ok().flatten(),
        })
        .sum();
    ops.progress.start("push", total);
    let layers = crate::store::sink::in_parallel(uploads.len(), |i| match &uploads[i] {
        Upload::AsStored(layer, stored) => put_as_stored(ops, destination, layer, *stored),
        Upload::Made(source) => put_layer_made(ops, destination, source, compression),
    });
    ops.progress.finish();
    let layers = layers?;

    let diff_ids: Vec<Digest> = layers
        .iter()
        .map(|(diff_id, _, _)| diff_id.clone())
        .collect();
    check_base(spec, &diff_ids)?;
    let config = ops
        .manifest_generation
        .image_config(&config_request(spec, diff_ids))?;
    let config_sent = put_document(destination, &config)?;
    let bytes_sent = config_sent + layers.iter().map(|(_, _, sent)| sent).sum::<u64>();
    let descriptors: Vec<Descriptor> = layers.into_iter().map(|(_, d, _)| d).collect();
    let manifest = ops
        .manifest_generation
        .image_manifest(&config.descriptor, &descriptors, &[])?;
    destination.put_manifest(&manifest)?;
    Ok(PushedImage {
        manifest: manifest.descriptor,
        image_id: config.descriptor.digest,
        bytes_sent,
    })
}

/// How each layer goes: a base layer of known digest as it is stored when
/// the manifest-generation component says so (a compressed one), every
/// other one made from its source.
fn uploads<'a>(
    ops: &Operations<'_>,
    spec: &'a BuildSpec,
    sources: &'a [LayerSource],
) -> Result<Vec<Upload<'a>>, Error> {
    let base = spec.base.as_ref().map_or(&[][..], |b| &b.layers[..]);
    let mut uploads = Vec::with_capacity(sources.len());
    for (i, source) in sources.iter().enumerate() {
        let stored = base
            .get(i)
            .filter(|layer| layer.digest.is_some())
            .and_then(|layer| LayerCompression::of(layer.compression).map(|c| (layer, c)));
        uploads.push(match stored {
            Some((layer, compression))
                if ops.manifest_generation.base_layer_as_stored(compression)? =>
            {
                Upload::AsStored(layer, compression)
            }
            _ => Upload::Made(source),
        });
    }
    Ok(uploads)
}

/// A base layer stored compressed, as it is: its bytes are read only when
/// the destination neither has it nor can mount it.
fn put_as_stored<D: Destination>(
    ops: &Operations<'_>,
    destination: &D,
    layer: &SourceLayer,
    stored: LayerCompression,
) -> Result<Pushed, Error>
where
    Error: From<D::Error>,
{
    let digest = layer.digest.clone().expect("chosen for its known digest");
    let media_type = ops
        .manifest_generation
        .layer_media_type(stored, ManifestFormat::Oci)?;
    let descriptor = Descriptor::new(media_type, digest, layer.size);
    let source = layer.blob.clone();
    let moved = put_known(destination, &descriptor, &move || source.open_stored())?;
    ops.progress.advance(layer.size);
    Ok((layer.diff_id.clone(), descriptor, moved.sent()))
}

/// A layer made, compressed and sent in one pass; made again for each try
/// the destination makes. A failure to make it (its source) is reported as
/// itself; a failure of the destination as the destination's.
pub(super) fn put_layer_made<D: Destination>(
    ops: &Operations<'_>,
    destination: &D,
    source: &LayerSource,
    compression: LayerCompression,
) -> Result<Pushed, Error>
where
    Error: From<D::Error>,
{
    let diff_id: Mutex<Option<Digest>> = Mutex::new(None);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let make = |out: &mut dyn Write| -> io::Result<()> {
        let mut watched = Watched {
            inner: out,
            failed: false,
        };
        match compress_into(source, compression, &mut watched, ops) {
            Ok(made) => {
                *diff_id.lock().expect("not poisoned") = Some(made);
                Ok(())
            }
            Err(e) if watched.failed => Err(io::Error::other(e.to_string())),
            Err(e) => {
                let message = e.to_string();
                *failure.lock().expect("not poisoned") = Some(e);
                Err(io::Error::other(message))
            }
        }
    };
    let (digest, size) = match destination.put_made(&make) {
        Ok(made) => made,
        Err(e) => {
            return Err(failure
                .into_inner()
                .expect("not poisoned")
                .unwrap_or_else(|| e.into()));
        }
    };
    let diff_id = diff_id
        .into_inner()
        .expect("not poisoned")
        .expect("a whole blob has its diff_id");
    let media_type = ops
        .manifest_generation
        .layer_media_type(compression, ManifestFormat::Oci)?;
    Ok((diff_id, Descriptor::new(media_type, digest, size), size))
}

/// A writer that remembers whether a write into it failed: the
/// destination's failure, not the source's.
struct Watched<'w> {
    inner: &'w mut dyn Write,
    failed: bool,
}

impl Write for Watched<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(data);
        self.failed |= written.is_err();
        written
    }

    fn flush(&mut self) -> io::Result<()> {
        let flushed = self.inner.flush();
        self.failed |= flushed.is_err();
        flushed
    }
}

/// `source`'s tar, hashed (its diff_id) and compressed into `out`.
/// Progress counts the tar's bytes.
fn compress_into<W: Write>(
    source: &LayerSource,
    compression: LayerCompression,
    out: W,
    ops: &Operations<'_>,
) -> Result<Digest, Error> {
    let what = "cannot write a layer";
    let compressor = compression.writer(out).map_err(Error::output(what))?;
    let mut tar = HashingWriter::new(Counted::new(compressor, ops.progress));
    source.stream(&mut tar, None)?;
    let (diff_id, _, counted) = tar.finish().map_err(Error::output(what))?;
    counted
        .into_inner()
        .finish()
        .and_then(|mut out| out.flush())
        .map_err(Error::output(what))?;
    Ok(diff_id)
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
