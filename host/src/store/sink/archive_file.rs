//! An archive written into a file (`image build -o FILE`, `plugin build
//! -o FILE`): the `docker-and-oci` or `oci-archive` format, each blob
//! once, committed by renaming.
//!
//! Blob entries are named by digest, known only after the bytes: each
//! layer goes under a placeholder head (as long as the real one) that is
//! rewritten in place once hashed, so every byte is read once. Several
//! layers are written at once, each at an offset computed from the sizes.

use super::blobs::{Blobs, check_same_length, same_digest, size_of, write_blob};
use super::{ArchivePlanner, Counted, Error, ImageSink, PutLayer, in_parallel, ordinal, task};
use crate::hashing::HashingWriter;
use crate::model::{ArchiveFormat, ArchiveImage, BlobHead, BlobPlacement, Digest, Progress};
use crate::store::atomic::AtomicFile;
use crate::store::plan::LayerSource;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// An archive file being written.
pub struct ArchiveFile<'p> {
    target: PathBuf,
    out: AtomicFile,
    blobs: Blobs<'p>,
    what: String,
}

impl<'p> ArchiveFile<'p> {
    /// Starts writing the archive `target` in `format` (one whose blobs
    /// are named by digest).
    pub fn create(
        target: &Path,
        format: ArchiveFormat,
        planner: &'p dyn ArchivePlanner,
    ) -> Result<Self, Error> {
        let what = format!("cannot write {}", target.display());
        let out = AtomicFile::create(target).map_err(Error::output(&what))?;
        Ok(Self {
            target: target.to_path_buf(),
            out,
            blobs: Blobs::new(format, planner),
            what,
        })
    }

    /// Drops everything written from `offset` on, and writes there next.
    fn cut_back_to(&mut self, offset: u64) -> Result<(), Error> {
        let file = self.out.file();
        file.set_len(offset).map_err(Error::output(&self.what))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(Error::output(&self.what))?;
        Ok(())
    }

    /// One layer at the file's end: placeholder head, bytes, padding, then
    /// the real head; dropped again when the planner calls it a duplicate.
    fn put_one(
        &mut self,
        first: usize,
        i: usize,
        layer: &LayerSource,
        of: usize,
        progress: &dyn Progress,
    ) -> Result<PutLayer, Error> {
        let (known, size) = size_of(layer)?;
        let placeholder = match self.blobs.place(known.as_ref(), ordinal(first + i), size)? {
            BlobPlacement::Write(head) => head,
            BlobPlacement::Stored(_) => {
                let digest = known.expect("the planner can only call a known digest stored");
                self.blobs.remember(&digest, layer, size);
                return Ok(PutLayer {
                    digest,
                    size,
                    skipped: false,
                });
            }
        };
        let what = self.what.clone();
        let file = self.out.file();
        let start = file.stream_position().map_err(Error::output(&what))?;
        progress.start(&task("layer", i, of), Some(size));
        let digest = write_blob(file, &placeholder, layer, size, progress, &what);
        progress.finish();
        let digest = digest?;
        if let Some(known) = &known {
            same_digest(i, known, digest.clone())?;
        }
        match self.blobs.place(Some(&digest), ordinal(first + i), size)? {
            BlobPlacement::Stored(_) => {
                // The same layer twice, found by hashing: drop the copy.
                self.cut_back_to(start)?;
                self.blobs.remember(&digest, layer, size);
            }
            BlobPlacement::Write(real) => {
                if known.is_none() {
                    check_same_length(&placeholder, &real)?;
                    self.out
                        .file()
                        .write_all_at(&real.header, start)
                        .map_err(Error::output(&what))?;
                }
                self.blobs.wrote(digest.clone(), real.path, layer, size);
            }
        }
        Ok(PutLayer {
            digest,
            size,
            skipped: false,
        })
    }

    /// Every layer at once, each at its own offset under a placeholder
    /// head. `None`, with the file put back as it was, when two layers turn
    /// out to be the same blob: the one-by-one path then stores it once.
    fn put_in_parallel(
        &mut self,
        first: usize,
        layers: &[LayerSource],
        progress: &dyn Progress,
    ) -> Result<Option<Vec<PutLayer>>, Error> {
        let what = self.what.clone();
        let start = self
            .out
            .file()
            .stream_position()
            .map_err(Error::output(&what))?;
        let mut slots: Vec<Slot> = Vec::with_capacity(layers.len());
        let mut end = start;
        for (i, layer) in layers.iter().enumerate() {
            let (known, size) = size_of(layer)?;
            // Placeholders only: whether a digest repeats is asked once all are known.
            let head = self.blobs.head(None, ordinal(first + i), size)?;
            let data = end + head.header.len() as u64;
            let next = data + size + u64::from(head.padding);
            slots.push(Slot {
                at: end,
                head,
                size,
                known,
            });
            end = next;
        }
        let file = self.out.file();
        for slot in &slots {
            file.write_all_at(&slot.head.header, slot.at)
                .map_err(Error::output(&what))?;
            let pad_at = slot.at + slot.head.header.len() as u64 + slot.size;
            file.write_all_at(&vec![0; slot.head.padding as usize], pad_at)
                .map_err(Error::output(&what))?;
        }
        let total = slots.iter().map(|s| s.size).sum();
        progress.start(&format!("{} layers", layers.len()), Some(total));
        let digests = write_at_offsets(&*file, layers, &slots, progress, &what);
        progress.finish();
        let mut put = Vec::with_capacity(layers.len());
        for (i, (slot, digest)) in slots.iter().zip(digests?).enumerate() {
            if let Some(known) = &slot.known {
                same_digest(i, known, digest.clone())?;
            }
            put.push(PutLayer {
                digest,
                size: slot.size,
                skipped: false,
            });
        }
        let mut placed = Vec::with_capacity(slots.len());
        for (i, (slot, layer)) in slots.iter().zip(&put).enumerate() {
            let real = match self
                .blobs
                .place(Some(&layer.digest), ordinal(first + i), slot.size)?
            {
                BlobPlacement::Write(real) => real,
                BlobPlacement::Stored(_) => {
                    self.cut_back_to(start)?;
                    let keep = self.blobs.written.len() - i;
                    self.blobs.written.truncate(keep);
                    return Ok(None);
                }
            };
            check_same_length(&slot.head, &real)?;
            self.blobs.wrote(
                layer.digest.clone(),
                real.path.clone(),
                &layers[i],
                slot.size,
            );
            placed.push(real);
        }
        let file = self.out.file();
        for (slot, real) in slots.iter().zip(&placed) {
            file.write_all_at(&real.header, slot.at)
                .map_err(Error::output(&what))?;
        }
        file.seek(SeekFrom::Start(end))
            .map_err(Error::output(&what))?;
        Ok(Some(put))
    }
}

/// Where one layer goes in the file.
struct Slot {
    /// Offset of its head.
    at: u64,
    head: BlobHead,
    size: u64,
    /// Its digest when finding its size meant hashing it (gzip).
    known: Option<Digest>,
}

/// Streams each layer to its slot's data offset, several at once, hashing
/// as it goes; the digests in layer order.
fn write_at_offsets(
    file: &File,
    layers: &[LayerSource],
    slots: &[Slot],
    progress: &dyn Progress,
    what: &str,
) -> Result<Vec<Digest>, Error> {
    in_parallel(layers.len(), |i| {
        let slot = &slots[i];
        let out = PositionedWriter {
            file,
            pos: slot.at + slot.head.header.len() as u64,
        };
        let mut hashing = HashingWriter::new(Counted::new(out, progress));
        layers[i]
            .stream(&mut hashing, Some(slot.size))
            .map_err(Error::naming_output(what))?;
        let (digest, _, _) = hashing.finish().map_err(Error::output(what))?;
        Ok(digest)
    })
}

/// Writes at a fixed place in a file shared by several writers (`pwrite`).
struct PositionedWriter<'f> {
    file: &'f File,
    pos: u64,
}

impl Write for PositionedWriter<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write_at(data, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ImageSink for ArchiveFile<'_> {
    fn put_layers(
        &mut self,
        layers: &[LayerSource],
        progress: &dyn Progress,
    ) -> Result<Vec<PutLayer>, Error> {
        let first = self.blobs.take_ordinals(layers.len());
        if layers.len() > 1
            && let Some(put) = self.put_in_parallel(first, layers, progress)?
        {
            return Ok(put);
        }
        (0..layers.len())
            .map(|i| self.put_one(first, i, &layers[i], layers.len(), progress))
            .collect()
    }

    fn put_images(&mut self, images: &[ArchiveImage]) -> Result<(), Error> {
        let mut out = std::io::BufWriter::new(self.out.file());
        self.blobs.write_rest(images, &mut out, &self.what)?;
        out.flush().map_err(Error::output(&self.what))
    }

    fn finish(self: Box<Self>) -> Result<(), Error> {
        self.out
            .commit(&self.target)
            .map_err(Error::output(&self.what))
    }
}
