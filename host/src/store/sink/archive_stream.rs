//! An archive streamed into a writer that cannot seek: a pipe
//! (`image build -o -`, `docker-and-oci`) or the body of an engine load
//! (`docker`, whose blob names do not depend on digests).
//!
//! In a pipe a blob's head must carry its digest before its bytes, so the
//! layers are hashed in a first pass (the one output that reads them twice)
//! and checked again as they are written. The `docker` format needs no
//! digests, except to leave out layers the engine already has.

use super::blobs::{Blobs, measure_all, same_digest, size_of, write_blob};
use super::{ArchivePlanner, Error, ImageSink, PutLayer, ordinal, task};
use crate::model::{ArchiveFormat, ArchiveImage, BlobPlacement, Digest, Progress};
use crate::store::plan::LayerSource;
use std::io::Write;

/// A layer whose digest and size are known before it is streamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownLayer {
    /// Its digest.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// Leave its bytes out: the receiver has it (`docker` format only).
    pub omit: bool,
}

/// An archive being streamed into `W`.
pub struct ArchiveStream<'p, W: Write> {
    out: W,
    blobs: Blobs<'p>,
    known: Option<Vec<KnownLayer>>,
    what: String,
}

impl<'p, W: Write> ArchiveStream<'p, W> {
    /// An archive of `format` into `out`; `what` says in errors what was
    /// being written, e.g. `cannot write /dev/full`.
    pub fn new(
        out: W,
        format: ArchiveFormat,
        planner: &'p dyn ArchivePlanner,
        what: impl Into<String>,
    ) -> Self {
        Self {
            out,
            blobs: Blobs::new(format, planner),
            known: None,
            what: what.into(),
        }
    }

    /// The digests and sizes of the layers the next `put_layers` gets,
    /// measured beforehand, and which to leave out.
    pub fn with_known(mut self, known: Vec<KnownLayer>) -> Self {
        self.known = Some(known);
        self
    }

    /// The writer, once finished.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> ImageSink for ArchiveStream<'_, W> {
    fn put_layers(
        &mut self,
        layers: &[LayerSource],
        progress: &dyn Progress,
    ) -> Result<Vec<PutLayer>, Error> {
        let needs_digests = self.blobs.format != ArchiveFormat::Docker;
        let known: Option<Vec<KnownLayer>> = match self.known.take() {
            Some(known) => Some(known),
            None if needs_digests => Some(
                measure_all(layers, progress)?
                    .into_iter()
                    .map(|l| KnownLayer {
                        digest: l.digest,
                        size: l.size,
                        omit: false,
                    })
                    .collect(),
            ),
            None => None,
        };
        if known.as_ref().is_some_and(|k| k.len() != layers.len()) {
            return Err(Error::Contract(
                "the known layers do not match the layers to write".into(),
            ));
        }
        let first = self.blobs.take_ordinals(layers.len());
        let mut put = Vec::with_capacity(layers.len());
        for (i, layer) in layers.iter().enumerate() {
            let known = known.as_ref().map(|k| &k[i]);
            if let Some(k) = known.filter(|k| k.omit) {
                self.blobs.remember(&k.digest, layer, k.size);
                put.push(PutLayer {
                    digest: k.digest.clone(),
                    size: k.size,
                    skipped: true,
                });
                continue;
            }
            let size = match known {
                Some(k) => k.size,
                None => size_of(layer)?.1,
            };
            let digest = known.map(|k| &k.digest).filter(|_| needs_digests);
            let head = match self.blobs.place(digest, ordinal(first + i), size)? {
                BlobPlacement::Write(head) => head,
                BlobPlacement::Stored(_) => {
                    let digest = digest.expect("only a known digest is a duplicate").clone();
                    self.blobs.remember(&digest, layer, size);
                    put.push(PutLayer {
                        digest,
                        size,
                        skipped: false,
                    });
                    continue;
                }
            };
            progress.start(&task("layer", i, layers.len()), Some(size));
            let written = write_blob(&mut self.out, &head, layer, size, progress, &self.what);
            progress.finish();
            let written = written?;
            if let Some(k) = known {
                same_digest(i, &k.digest, written.clone())?;
            }
            self.blobs.wrote(written.clone(), head.path, layer, size);
            put.push(PutLayer {
                digest: written,
                size,
                skipped: false,
            });
        }
        Ok(put)
    }

    fn put_images(&mut self, images: &[ArchiveImage]) -> Result<(), Error> {
        self.blobs.write_rest(images, &mut self.out, &self.what)
    }

    fn finish(mut self: Box<Self>) -> Result<(), Error> {
        self.out.flush().map_err(Error::output(&self.what))
    }

    fn know(&mut self, known: Vec<KnownLayer>) -> Result<(), Error> {
        self.known = Some(known);
        Ok(())
    }
}
