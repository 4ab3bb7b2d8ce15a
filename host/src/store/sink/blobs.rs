//! What every tar place does with blobs, written once: ask the planner
//! where a blob goes, make a layer (head, bytes hashed on the way,
//! padding), rewrite a placeholder head, learn a layer's size or digest
//! beforehand, and keep the images whose documents the rest of the plan
//! holds.

use super::{ArchivePlanner, Error, plan};
use crate::hashing::{HashingWriter, OutputError};
use crate::model::destination::{Expected, Layer, Moved, PutLayer};
use crate::model::{ArchiveFormat, ArchiveImage, BlobHead, BlobPlacement, Digest, WrittenBlob};
use crate::store::plan::{Blob, write_plan};
use std::collections::HashMap;
use std::io::{self, Write};

/// The blobs of one output: where the planner put them, and the images
/// put so far.
pub(super) struct Blobs<'p> {
    pub(super) format: ArchiveFormat,
    pub(super) planner: &'p dyn ArchivePlanner,
    /// Blobs written so far, in order, each once.
    pub(super) written: Vec<WrittenBlob>,
    /// The images put so far, in order.
    pub(super) images: Vec<ArchiveImage>,
    /// Layers put so far: the next layer's ordinal.
    layers_put: usize,
}

impl<'p> Blobs<'p> {
    pub(super) fn new(format: ArchiveFormat, planner: &'p dyn ArchivePlanner) -> Self {
        Self {
            format,
            planner,
            written: Vec::new(),
            images: Vec::new(),
            layers_put: 0,
        }
    }

    /// Takes the ordinals of `count` more layers; returns the first. Layers
    /// are numbered across every image of one output.
    pub(super) fn take_ordinals(&mut self, count: usize) -> usize {
        let first = self.layers_put;
        self.layers_put += count;
        first
    }

    /// Where the `ordinal`-th blob goes.
    pub(super) fn place(
        &self,
        digest: Option<&Digest>,
        ordinal: u32,
        size: u64,
    ) -> Result<BlobPlacement, Error> {
        self.planner
            .blob_entry(self.format, digest, ordinal, size, &self.written)
            .map_err(Error::Planner)
    }

    /// The head for a blob the planner must not call a duplicate: one whose
    /// digest is not known yet, or was checked against `written` already.
    pub(super) fn head(
        &self,
        digest: Option<&Digest>,
        ordinal: u32,
        size: u64,
    ) -> Result<BlobHead, Error> {
        match self.place(digest, ordinal, size)? {
            BlobPlacement::Write(head) => Ok(head),
            BlobPlacement::Stored(path) => Err(Error::Contract(format!(
                "blob-entry called blob {ordinal} a duplicate (of {path}) although {}",
                match digest {
                    Some(d) => format!("no blob with its digest {d} was written"),
                    None => "it was given no digest".to_string(),
                }
            ))),
        }
    }

    /// Records a layer as written at `path`.
    pub(super) fn wrote(&mut self, digest: Digest, path: String) {
        self.written.push(WrittenBlob { digest, path });
    }

    /// Plans the rest of a tar archive and streams it into `out`.
    pub(super) fn write_rest(&self, out: &mut impl Write, what: &str) -> Result<(), Error> {
        let plan = self
            .planner
            .plan_archive(self.format, &self.images, &self.written)
            .map_err(Error::Planner)?;
        write_plan(&plan, &self.documents(), out).map_err(Error::naming_output(what))
    }

    /// The configs and manifests, the blobs a plan may name: every layer
    /// is written when it is put.
    pub(super) fn documents(&self) -> HashMap<Digest, (Blob, u64)> {
        let docs = self.images.iter().flat_map(|i| [&i.config, &i.manifest]);
        docs.map(|doc| {
            let blob = Blob::Bytes(doc.bytes.clone());
            (doc.descriptor.digest.clone(), (blob, doc.descriptor.size))
        })
        .collect()
    }
}

/// What is known of `layer` before its bytes.
pub(crate) fn expected(layer: &Layer<'_>) -> Expected {
    match layer {
        Layer::Known { blob, .. } => Expected {
            size: Some(blob.size),
            digest: Some(blob.digest.clone()),
        },
        Layer::Made { expected, .. } => expected.clone(),
    }
}

/// Makes `layer`'s tar into `out`: its digest and size. A known layer (a
/// place that keeps layer tars is given only uncompressed ones) is hashed
/// here.
pub(crate) fn make(layer: &Layer<'_>, out: &mut dyn Write) -> io::Result<(Digest, u64)> {
    match layer {
        Layer::Known { blob, open } => {
            let mut reader = open()?;
            let mut hashing = HashingWriter::new(out);
            hashing.copy_exact(&mut reader, blob.size, true)?;
            let (digest, size, _) = hashing.finish()?;
            Ok((digest, size))
        }
        Layer::Made { make, .. } => make(out),
    }
}

/// A layer maker's failure as this output's: a plan's error as itself, a
/// failure to write named as `what`.
pub(super) fn made_error(what: &str) -> impl FnOnce(io::Error) -> Error + '_ {
    move |e| {
        if OutputError::of(&e).is_some() {
            let inner = OutputError::of(&e).expect("checked");
            return Error::output(what)(io::Error::new(inner.kind(), inner.to_string()));
        }
        let kind = e.kind();
        match e.into_inner().map(|inner| inner.downcast::<plan::Error>()) {
            Some(Ok(plan)) => Error::naming_output(what)(*plan),
            Some(Err(other)) => Error::output(what)(io::Error::new(kind, other)),
            None => Error::output(what)(io::Error::from(kind)),
        }
    }
}

/// A layer's size and digest, made into nothing when not known beforehand
/// (`digest` too when `need_digest`).
pub(super) fn learn(layer: &Layer<'_>, need_digest: bool, what: &str) -> Result<Expected, Error> {
    let known = expected(layer);
    if known.size.is_some() && (known.digest.is_some() || !need_digest) {
        return Ok(known);
    }
    let (digest, size) = make(layer, &mut io::sink()).map_err(made_error(what))?;
    Ok(Expected {
        size: Some(size),
        digest: Some(digest),
    })
}

/// Writes one blob entry: `head`'s header, the layer's bytes, `head`'s
/// padding. Returns the digest and size of the bytes.
pub(super) fn write_blob(
    out: &mut dyn Write,
    head: &BlobHead,
    layer: &Layer<'_>,
    what: &str,
) -> Result<(Digest, u64), Error> {
    out.write_all(&head.header).map_err(Error::output(what))?;
    let made = make(layer, out).map_err(made_error(what))?;
    out.write_all(&vec![0; head.padding as usize])
        .map_err(Error::output(what))?;
    Ok(made)
}

/// Checks that the head for the real digest can replace the placeholder
/// head in place: a longer or shorter one would shift every later byte.
pub(super) fn check_same_length(placeholder: &BlobHead, real: &BlobHead) -> Result<(), Error> {
    if real.header.len() != placeholder.header.len() || real.padding != placeholder.padding {
        return Err(Error::Contract(
            "blob-entry gave heads of different lengths for a placeholder and a digest".into(),
        ));
    }
    Ok(())
}

/// Refuses a layer whose bytes were not what was known of them: another
/// digest, or another size.
pub(super) fn same_layer(
    ordinal: usize,
    known: &Expected,
    made: &(Digest, u64),
) -> Result<(), Error> {
    if let Some(first) = &known.digest
        && *first != made.0
    {
        return Err(Error::Changed {
            ordinal: ordinal + 1,
            first: first.clone(),
            second: made.0.clone(),
        });
    }
    if let Some(size) = known.size
        && size != made.1
    {
        return Err(Error::Contract(format!(
            "layer {} was to have {size} bytes and has {}",
            ordinal + 1,
            made.1
        )));
    }
    Ok(())
}

/// A layer as a tar place took it: stored uncompressed, so its digest is
/// its diff_id.
pub(super) fn put(digest: Digest, size: u64, moved: Moved) -> PutLayer {
    PutLayer {
        diff_id: Some(digest.clone()),
        digest,
        size,
        moved,
    }
}
