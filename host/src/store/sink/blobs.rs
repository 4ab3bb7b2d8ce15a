//! What every tar output does with blobs, written once: ask the planner
//! where a blob goes, write a blob entry (head, bytes hashed on the way,
//! padding), rewrite a placeholder head, measure a layer, and keep the
//! blobs the rest of the plan may name.

use super::{ArchivePlanner, Counted, Error, PutLayer, task};
use crate::hashing::HashingWriter;
use crate::model::{
    ArchiveFormat, ArchiveImage, BlobHead, BlobPlacement, Digest, Progress, WrittenBlob,
};
use crate::store::plan::{Blob, LayerSource, write_plan};
use std::collections::HashMap;
use std::io::Write;

/// The blobs of one output: where the planner put them and how to stream
/// the ones the plan names.
pub(super) struct Blobs<'p> {
    pub(super) format: ArchiveFormat,
    pub(super) planner: &'p dyn ArchivePlanner,
    /// Blobs written so far, in order, each once.
    pub(super) written: Vec<WrittenBlob>,
    /// Every blob a plan may name, by digest, with its size.
    sources: HashMap<Digest, (Blob, u64)>,
    /// Layers put so far: the next layer's ordinal.
    layers_put: usize,
}

impl<'p> Blobs<'p> {
    pub(super) fn new(format: ArchiveFormat, planner: &'p dyn ArchivePlanner) -> Self {
        Self {
            format,
            planner,
            written: Vec::new(),
            sources: HashMap::new(),
            layers_put: 0,
        }
    }

    /// Takes the ordinals of `count` more layers; returns the first. Layers
    /// are numbered across every `put_layers` call of one output.
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

    /// Records a layer as written at `path`, and as a blob the plan may name.
    pub(super) fn wrote(&mut self, digest: Digest, path: String, source: &LayerSource, size: u64) {
        self.remember(&digest, source, size);
        self.written.push(WrittenBlob { digest, path });
    }

    /// Records a layer the plan may name without it being written here.
    pub(super) fn remember(&mut self, digest: &Digest, source: &LayerSource, size: u64) {
        self.sources
            .insert(digest.clone(), (Blob::Layer(source.clone()), size));
    }

    /// Plans the rest of a tar archive and streams it into `out`.
    pub(super) fn write_rest(
        &mut self,
        images: &[ArchiveImage],
        out: &mut impl Write,
        what: &str,
    ) -> Result<(), Error> {
        let plan = self
            .planner
            .plan_archive(self.format, images, &self.written)
            .map_err(Error::Planner)?;
        self.remember_documents(images);
        write_plan(&plan, &self.sources, out).map_err(Error::naming_output(what))
    }

    /// The configs and manifests as blobs a plan may name.
    pub(super) fn remember_documents(&mut self, images: &[ArchiveImage]) {
        for doc in images.iter().flat_map(|i| [&i.config, &i.manifest]) {
            self.sources.insert(
                doc.descriptor.digest.clone(),
                (Blob::Bytes(doc.bytes.clone()), doc.descriptor.size),
            );
        }
    }

    /// The blobs the plan may name.
    pub(super) fn sources(&self) -> &HashMap<Digest, (Blob, u64)> {
        &self.sources
    }
}

/// Writes one blob entry: `head`'s header, the layer's `size` bytes hashed
/// on the way, `head`'s padding. Returns the digest of the bytes.
pub(super) fn write_blob(
    out: &mut impl Write,
    head: &BlobHead,
    source: &LayerSource,
    size: u64,
    progress: &dyn Progress,
    what: &str,
) -> Result<Digest, Error> {
    out.write_all(&head.header).map_err(Error::output(what))?;
    let mut hashing = HashingWriter::new(Counted::new(&mut *out, progress));
    source
        .stream(&mut hashing, Some(size))
        .map_err(Error::naming_output(what))?;
    let (digest, _, _) = hashing.finish().map_err(Error::output(what))?;
    out.write_all(&vec![0; head.padding as usize])
        .map_err(Error::output(what))?;
    Ok(digest)
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

/// Every layer's digest and size, by hashing it (nothing is written):
/// for outputs that need digests before bytes.
pub fn measure_all(
    layers: &[LayerSource],
    progress: &dyn Progress,
) -> Result<Vec<PutLayer>, Error> {
    let mut measured = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        progress.start(&task("hashing layer", i, layers.len()), layer.known_size()?);
        let (digest, size) = layer.measure(Counted::new(std::io::sink(), progress))?;
        progress.finish();
        measured.push(PutLayer {
            digest,
            size,
            skipped: false,
        });
    }
    Ok(measured)
}

/// The layer's size: known from its plan or file, else by reading it.
pub(super) fn size_of(layer: &LayerSource) -> Result<(Option<Digest>, u64), Error> {
    Ok(match layer.known_size()? {
        Some(size) => (None, size),
        None => {
            let (digest, size) = layer.measure(std::io::sink())?;
            (Some(digest), size)
        }
    })
}

/// Refuses a layer whose bytes hashed differently on a second read.
pub(super) fn same_digest(ordinal: usize, first: &Digest, second: Digest) -> Result<(), Error> {
    if *first == second {
        Ok(())
    } else {
        Err(Error::Changed {
            ordinal: ordinal + 1,
            first: first.clone(),
            second,
        })
    }
}
