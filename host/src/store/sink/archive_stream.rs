//! An archive streamed into a writer that cannot seek, a [`Destination`]:
//! a pipe (`image build -o -`, `docker-and-oci`) or the body of an engine
//! load (`docker`, whose blob names do not depend on digests).
//!
//! In a pipe a blob's head must carry its digest before its bytes, so a
//! layer whose digest is not known beforehand is made twice: hashed first
//! (the one output that reads layers twice), checked again as it is
//! written. The `docker` format needs no digests, except to leave out the
//! layers the engine already has ([`Omitting`]): those go in as
//! placeholders, [`Moved::Omitted`].

use super::blobs::{self, Blobs, learn, same_layer, write_blob};
use super::{ArchivePlanner, Error, ordinal};
use crate::model::destination::{
    Destination, Expected, Found, Layer, MakeBlob, Moved, OpenBlob, PutLayer, in_parallel,
};
use crate::model::{
    ArchiveFormat, ArchiveImage, BlobPlacement, Descriptor, Digest, Document, LayerCompression,
};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The layers a load may leave out: the layer chains of the images the
/// engine holds, and where the bytes left out are counted.
pub struct Omitting<'o> {
    /// Each held image's diff_ids, bottom first.
    pub chains: &'o [Vec<Digest>],
    /// Layer bytes left out so far.
    pub omitted: &'o AtomicU64,
}

/// An archive being streamed into `W`.
pub struct ArchiveStream<'p, 'o, W: Write> {
    state: Mutex<(W, Blobs<'p>)>,
    omitting: Option<Omitting<'o>>,
    what: String,
}

impl<'p, 'o, W: Write> ArchiveStream<'p, 'o, W> {
    /// An archive of `format` into `out`; `what` says in errors what was
    /// being written, e.g. `cannot write /dev/full`.
    pub fn new(
        out: W,
        format: ArchiveFormat,
        planner: &'p dyn ArchivePlanner,
        what: impl Into<String>,
    ) -> Self {
        Self {
            state: Mutex::new((out, Blobs::new(format, planner))),
            omitting: None,
            what: what.into(),
        }
    }

    /// Leaves out the layers `omitting` says the receiver holds, as the
    /// planner decides (`docker` format only).
    pub fn omitting(mut self, omitting: Omitting<'o>) -> Self {
        self.omitting = Some(omitting);
        self
    }

    /// Which of `known` layers to leave out.
    fn omit(&self, planner: &dyn ArchivePlanner, known: &[Expected]) -> Result<Vec<bool>, Error> {
        let Some(omitting) = self.omitting.as_ref().filter(|o| !o.chains.is_empty()) else {
            return Ok(vec![false; known.len()]);
        };
        let digests: Vec<Digest> = known
            .iter()
            .map(|k| k.digest.clone().expect("learnt"))
            .collect();
        let omit = planner
            .layers_to_omit(&digests, omitting.chains)
            .map_err(Error::Planner)?;
        if omit.len() != known.len() {
            return Err(Error::Contract(
                "layers-to-omit gave another number of flags than layers".into(),
            ));
        }
        let bytes = known
            .iter()
            .zip(&omit)
            .filter(|(_, omit)| **omit)
            .map(|(k, _)| k.size.expect("learnt"))
            .sum();
        omitting.omitted.fetch_add(bytes, Ordering::Relaxed);
        Ok(omit)
    }
}

impl<W: Write + Send> Destination for ArchiveStream<'_, '_, W> {
    type Error = Error;

    /// Nothing is in a new archive but what was put.
    fn find_blob(&self, _: &Descriptor) -> Result<Found, Error> {
        Ok(Found::Absent)
    }

    fn put_blob(&self, blob: &Descriptor, open: &OpenBlob) -> Result<(), Error> {
        super::put_loose_blob(self, blob, open)
    }

    fn put_made(&self, make: &MakeBlob<'_>) -> Result<(Digest, u64), Error> {
        super::put_loose_made(self, make)
    }

    fn put_manifest(&self, _: &Document) -> Result<(), Error> {
        Err(super::names_images())
    }

    fn commit(self, _: &Descriptor, _: Option<&str>) -> Result<(), Error> {
        let (mut out, blobs) = self.state.into_inner().expect("not poisoned");
        blobs.write_rest(&mut out, &self.what)?;
        out.flush().map_err(Error::output(&self.what))
    }

    fn layer_compression(&self, _: LayerCompression) -> LayerCompression {
        LayerCompression::None
    }

    fn put_layers(&self, layers: &[Layer<'_>]) -> Result<Vec<PutLayer>, Error> {
        let mut state = self.state.lock().expect("not poisoned");
        let (out, blobs) = &mut *state;
        let needs_digests = blobs.format != ArchiveFormat::Docker;
        // Digests are learnt first only where a head names them or a layer
        // may be left out (a load with chains to match), several at once.
        let omitting = (self.omitting.as_ref()).is_some_and(|o| !o.chains.is_empty());
        let known = match needs_digests || omitting {
            true => in_parallel(layers.len(), |i| learn(&layers[i], true, &self.what))?,
            false => layers.iter().map(blobs::expected).collect(),
        };
        let omit = self.omit(blobs.planner, &known)?;
        let first = blobs.take_ordinals(layers.len());
        let mut put = Vec::with_capacity(layers.len());
        for (i, layer) in layers.iter().enumerate() {
            let known = &known[i];
            if omit[i] {
                let (digest, size) = (known.digest.clone(), known.size);
                let (digest, size) = (digest.expect("learnt"), size.expect("learnt"));
                put.push(blobs::put(digest, size, Moved::Omitted(size)));
                continue;
            }
            let size = match known.size {
                Some(size) => size,
                None => learn(layer, false, &self.what)?.size.expect("learnt"),
            };
            let digest = known.digest.as_ref().filter(|_| needs_digests);
            let head = match blobs.place(digest, ordinal(first + i), size)? {
                BlobPlacement::Write(head) => head,
                BlobPlacement::Stored(_) => {
                    let digest = digest.expect("only a known digest is a duplicate").clone();
                    put.push(blobs::put(digest, size, Moved::Skipped(size)));
                    continue;
                }
            };
            let made = write_blob(out, &head, layer, &self.what)?;
            same_layer(i, known, &made)?;
            let (digest, size) = made;
            blobs.wrote(digest.clone(), head.path);
            put.push(blobs::put(digest, size, Moved::Sent(size)));
        }
        Ok(put)
    }

    fn put_image(&self, image: &ArchiveImage) -> Result<u64, Error> {
        let mut state = self.state.lock().expect("not poisoned");
        state.1.images.push(image.clone());
        Ok(0)
    }
}
