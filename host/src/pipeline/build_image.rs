//! A build's image into any [`Destination`], by the one sequence
//! ([`crate::model::destination`]): its layers (the base's stored
//! compressed as known blobs where the component says so and the place
//! keeps them so:
//! looked for first, so a registry that holds them, or can mount them, is
//! sent none of their bytes, and nothing reads them; every other layer
//! made, hashed (its `diff_id`) and compressed as the place stores it in
//! one pass as it is written), then the config and manifest the components
//! write for them; the caller commits. A registry, a layout, an archive
//! file or stream and the engine all take it so.
//!
//! Also the layer tars of images already made (a load, a copy into an
//! archive) as made layers: [`tar_layer`].

use super::Error;
use super::build::{BuildSpec, Operations, check_base, config_request, image_of};
use crate::hashing::HashingWriter;
use crate::model::destination::{Destination, Expected, Layer, PutLayer};
use crate::model::{ArchiveImage, ArchiveLayer, Descriptor, Digest, ManifestFormat, Progress};
use crate::store::compress::LayerCompression;
use crate::store::plan::LayerSource;
use crate::store::sink::Counted;
use crate::store::source::SourceLayer;
use std::io::{self, Write};
use std::sync::Mutex;

/// What [`put_image`] put.
pub(super) struct PutImage {
    /// The image: its documents and layers.
    pub image: ArchiveImage,
    /// What the destination did with each layer.
    pub layers: Vec<PutLayer>,
    /// Blob bytes sent (or reported put by the destination).
    pub bytes_sent: u64,
}

/// How one layer reaches the destination.
enum Upload<'a> {
    /// A base layer stored compressed: its blob as it is.
    AsStored(&'a SourceLayer, LayerCompression),
    /// Made (and compressed as the place stores it) as it is written.
    Made(&'a LayerSource),
}

/// The first failure of a layer's maker (its source, not the
/// destination), reported as itself rather than as the destination's.
#[derive(Default)]
pub(super) struct Failure(Mutex<Option<Error>>);

impl Failure {
    /// `e`, the destination's failure, or the maker's that caused it.
    pub(super) fn or(self, e: impl Into<Error>) -> Error {
        let first = self.0.into_inner().expect("not poisoned");
        first.unwrap_or_else(|| e.into())
    }

    fn keep(&self, e: Error) {
        self.0.lock().expect("not poisoned").get_or_insert(e);
    }
}

/// Puts the image `spec` describes, from the layers `sources` (those of
/// `layer_sources`, or tars made from them already), named `repo_tags`
/// where the place names images, into `destination`: its layers, then its
/// config and manifest. New layers are `compression` where the place keeps
/// compressed layers. The caller commits.
pub(super) fn put_image<D: Destination>(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    compression: LayerCompression,
    repo_tags: Vec<String>,
    destination: &D,
) -> Result<PutImage, Error>
where
    Error: From<D::Error>,
{
    let compression = destination.layer_compression(compression);
    let uploads = uploads(ops, spec, sources, destination)?;
    let failure = Failure::default();
    let layers = (uploads.iter())
        .map(|upload| layer(ops, upload, compression, &failure))
        .collect::<Result<Vec<_>, _>>()?;
    let total = uploads
        .iter()
        .map(|u| match u {
            Upload::AsStored(layer, _) => Some(layer.size),
            Upload::Made(source) => source.known_size().ok().flatten(),
        })
        .sum();
    let task = match uploads.len() {
        1 => "layer 1/1".to_string(),
        n => format!("{n} layers"),
    };
    ops.progress.start(&task, total);
    let put = destination.put_layers(&layers);
    // A base layer as stored is done once put, read or not.
    for upload in &uploads {
        if let Upload::AsStored(layer, _) = upload {
            ops.progress.advance(layer.size);
        }
    }
    ops.progress.finish();
    drop(layers);
    let put = put.map_err(|e| failure.or(e))?;
    let image = documents(ops, spec, &uploads, &put, compression, repo_tags)?;
    let config_sent = destination.put_image(&image)?;
    Ok(PutImage {
        bytes_sent: config_sent + put.iter().map(|p| p.moved.sent()).sum::<u64>(),
        image,
        layers: put,
    })
}

/// How each layer goes: a base layer of known digest as it is stored when
/// the manifest-generation component says so (a compressed one) and the
/// place keeps that compression as it is; every other one made from its
/// source, as the place stores it.
fn uploads<'a, D: Destination>(
    ops: &Operations<'_>,
    spec: &'a BuildSpec,
    sources: &'a [LayerSource],
    destination: &D,
) -> Result<Vec<Upload<'a>>, Error> {
    let base = spec.base.as_ref().map_or(&[][..], |b| &b.layers[..]);
    let mut uploads = Vec::with_capacity(sources.len());
    for (i, source) in sources.iter().enumerate() {
        let stored = base
            .get(i)
            .filter(|layer| layer.digest.is_some())
            .and_then(|layer| LayerCompression::of(layer.compression).map(|c| (layer, c)))
            .filter(|(_, c)| destination.layer_compression(*c) == *c);
        uploads.push(match stored {
            Some((layer, compression))
                if spec.base_as_stored
                    || ops.manifest_generation.base_layer_as_stored(compression)? =>
            {
                Upload::AsStored(layer, compression)
            }
            _ => Upload::Made(source),
        });
    }
    Ok(uploads)
}

/// One layer for the destination: a base layer as stored, its bytes read
/// only when the destination neither has it nor can mount it; or made.
fn layer<'a>(
    ops: &'a Operations<'a>,
    upload: &Upload<'a>,
    compression: LayerCompression,
    failure: &'a Failure,
) -> Result<Layer<'a>, Error> {
    Ok(match upload {
        Upload::AsStored(layer, stored) => {
            let digest = layer.digest.clone().expect("chosen for its known digest");
            let media_type = ops
                .manifest_generation
                .layer_media_type(*stored, ManifestFormat::Oci)?;
            let source = layer.blob.clone();
            Layer::Known {
                blob: Box::new(Descriptor::new(media_type, digest, layer.size)),
                open: Box::new(move || source.open_stored()),
            }
        }
        Upload::Made(source) => {
            let expected = Expected {
                size: source.known_size()?,
                digest: None,
            };
            made(ops.progress, source, compression, expected, failure)
        }
    })
}

/// Each image's layer tars, with the digests (diff_ids) they must hash
/// to, as made layers (stored uncompressed).
pub(super) fn tar_layers<'a>(
    progress: &'a dyn Progress,
    tars: &'a [Vec<(LayerSource, Digest)>],
    failure: &'a Failure,
) -> Result<Vec<Vec<Layer<'a>>>, Error> {
    (tars.iter())
        .map(|image| {
            (image.iter())
                .map(|(tar, diff_id)| tar_layer(progress, tar, diff_id, failure))
                .collect()
        })
        .collect()
}

/// The layer tar `source`, whose size and digest (diff_id) are known
/// beforehand, as a made layer (stored uncompressed).
fn tar_layer<'a>(
    progress: &'a dyn Progress,
    source: &'a LayerSource,
    diff_id: &Digest,
    failure: &'a Failure,
) -> Result<Layer<'a>, Error> {
    let expected = Expected {
        size: source.known_size()?,
        digest: Some(diff_id.clone()),
    };
    Ok(made(
        progress,
        source,
        LayerCompression::None,
        expected,
        failure,
    ))
}

/// `source` made, compressed and written in one pass; made again for each
/// try. A failure to make it (its source) is kept in `failure`; a failure
/// of the destination is given back to it as it was. A tar whose digest
/// is expected (the diff_id an image's config names) is refused, by every
/// pass that makes it, when it hashes otherwise: whatever the destination
/// checks, it never takes another layer.
pub(super) fn made<'a>(
    progress: &'a dyn Progress,
    source: &'a LayerSource,
    compression: LayerCompression,
    expected: Expected,
    failure: &'a Failure,
) -> Layer<'a> {
    let (size, diff_id) = (expected.size, expected.digest.clone());
    let make = move |out: &mut dyn Write| -> io::Result<(Digest, u64)> {
        let mut watched = Watched {
            inner: out,
            failed: None,
        };
        let made = compress_into(source, size, compression, &mut watched, progress)
            .and_then(|made| is_expected(made, diff_id.as_ref()));
        match made {
            Ok(made) => Ok(made),
            Err(e) => match watched.failed.take() {
                Some(write) => Err(write),
                None => {
                    let message = e.to_string();
                    failure.keep(e);
                    Err(io::Error::other(message))
                }
            },
        }
    };
    Layer::Made {
        expected,
        make: Box::new(make),
    }
}

/// `made` (a tar's digest and size), unless `diff_id` expects another
/// digest.
fn is_expected(made: (Digest, u64), diff_id: Option<&Digest>) -> Result<(Digest, u64), Error> {
    match diff_id {
        Some(diff_id) if *diff_id != made.0 => Err(Error::NotItsDiffId {
            diff_id: diff_id.clone(),
            actual: made.0,
        }),
        _ => Ok(made),
    }
}

/// The config and manifest the components write for the layers as put.
fn documents(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    uploads: &[Upload<'_>],
    put: &[PutLayer],
    compression: LayerCompression,
    repo_tags: Vec<String>,
) -> Result<ArchiveImage, Error> {
    let diff_ids: Vec<Digest> = (uploads.iter().zip(put))
        .map(|(upload, put)| match upload {
            Upload::AsStored(layer, _) => layer.diff_id.clone(),
            Upload::Made(_) => put.diff_id.clone().expect("a made layer has its diff_id"),
        })
        .collect();
    check_base(spec, &diff_ids)?;
    let config = ops
        .manifest_generation
        .image_config(&config_request(spec, diff_ids))?;
    let made_type = ops
        .manifest_generation
        .layer_media_type(compression, ManifestFormat::Oci)?;
    let layers = (uploads.iter().zip(put))
        .map(|(upload, put)| {
            let media_type = match upload {
                Upload::AsStored(_, stored) => ops
                    .manifest_generation
                    .layer_media_type(*stored, ManifestFormat::Oci)?,
                Upload::Made(_) => made_type.clone(),
            };
            Ok(ArchiveLayer {
                descriptor: Descriptor::new(media_type, put.digest.clone(), put.size),
                omitted: put.omitted(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    image_of(ops, config, layers, repo_tags)
}

/// A writer that keeps the first error writing into it: the
/// destination's failure, not the source's.
struct Watched<'w> {
    inner: &'w mut dyn Write,
    failed: Option<io::Error>,
}

impl Watched<'_> {
    fn watch<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        result.inspect_err(|e| {
            self.failed
                .get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
        })
    }
}

impl Write for Watched<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(data);
        self.watch(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        let flushed = self.inner.flush();
        self.watch(flushed)
    }
}

/// `source`'s tar (of `size` bytes when known), hashed (its diff_id and
/// size) and compressed into `out`. Progress counts the tar's bytes.
fn compress_into<W: Write>(
    source: &LayerSource,
    size: Option<u64>,
    compression: LayerCompression,
    out: W,
    progress: &dyn Progress,
) -> Result<(Digest, u64), Error> {
    let what = "cannot write a layer";
    let compressor = compression.writer(out).map_err(Error::output(what))?;
    let mut tar = HashingWriter::new(Counted::new(compressor, progress));
    source.stream(&mut tar, size)?;
    let (diff_id, size, counted) = tar.finish().map_err(Error::output(what))?;
    counted
        .into_inner()
        .finish()
        .and_then(|mut out| out.flush())
        .map_err(Error::output(what))?;
    Ok((diff_id, size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Quiet;
    use crate::model::destination::{BlobBytes, OpenBlob};
    use crate::store::source::{Compression, OpenedBlob};
    use std::sync::Arc;

    /// `tar` as a gzip blob, read decompressed.
    fn gzip_layer(tar: &[u8]) -> LayerSource {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(tar).unwrap();
        let gzip = bytes::Bytes::from(gzip.finish().unwrap());
        let size = gzip.len() as u64;
        let open: Arc<OpenBlob> =
            Arc::new(move || Ok(Box::new(io::Cursor::new(gzip.clone())) as BlobBytes));
        LayerSource::Opened(
            OpenedBlob::new("layer".into(), size, open).decompressed(Compression::Gzip),
        )
    }

    /// Makes the one layer of `tars` into a buffer.
    fn make_one(layers: &[Vec<Layer<'_>>]) -> io::Result<(Digest, u64)> {
        let Layer::Made { make, .. } = &layers[0][0] else {
            panic!("a tar is a made layer")
        };
        make(&mut Vec::new())
    }

    #[test]
    fn a_tar_that_is_not_its_diff_id_is_refused_by_every_pass() {
        let tar = b"the bytes of a layer".repeat(100);
        let right = [vec![(gzip_layer(&tar), Digest::sha256(&tar))]];
        let failure = Failure::default();
        let layers = tar_layers(&Quiet, &right, &failure).unwrap();
        assert_eq!(
            make_one(&layers).unwrap(),
            (Digest::sha256(&tar), tar.len() as u64)
        );

        let other = Digest::sha256(b"another layer");
        let wrong = [vec![(gzip_layer(&tar), other.clone())]];
        let failure = Failure::default();
        let layers = tar_layers(&Quiet, &wrong, &failure).unwrap();
        // A place that learns the size first, then writes: both refused.
        assert!(make_one(&layers).is_err());
        assert!(make_one(&layers).is_err());
        drop(layers);
        let refused = failure.or(Error::Contract("the destination's own".into()));
        match refused {
            Error::NotItsDiffId { diff_id, actual } => {
                assert_eq!(diff_id, other);
                assert_eq!(actual, Digest::sha256(&tar));
            }
            other => panic!("{other}"),
        }
    }
}
