//! An archive written into a file (`image build -o FILE`, `plugin build
//! -o FILE`, `copy … docker-archive:FILE`): the `docker-and-oci` or
//! `oci-archive` format, each blob once, committed by renaming; a
//! [`Destination`].
//!
//! Blob entries are named by digest, known only after the bytes: each
//! layer goes under a placeholder head (as long as the real one) that is
//! rewritten in place once hashed, so every byte is read once. Several
//! layers are written at once, each at an offset computed from the sizes.

use super::blobs::{self, Blobs, check_same_length, learn, made_error, same_layer, write_blob};
use super::{ArchivePlanner, Error, ordinal};
use crate::model::destination::{
    Destination, Expected, Found, Layer, MakeBlob, Moved, OpenBlob, PutLayer,
};
use crate::model::{
    ArchiveFormat, ArchiveImage, BlobHead, BlobPlacement, Descriptor, Digest, Document,
    LayerCompression,
};
use crate::store::atomic::AtomicFile;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// An archive file being written.
pub struct ArchiveFile<'p> {
    target: PathBuf,
    state: Mutex<State<'p>>,
    what: String,
}

/// The file and what is in it.
struct State<'p> {
    out: AtomicFile,
    blobs: Blobs<'p>,
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
            state: Mutex::new(State {
                out,
                blobs: Blobs::new(format, planner),
            }),
            what,
        })
    }

    fn state(&self) -> MutexGuard<'_, State<'p>> {
        self.state.lock().expect("not poisoned")
    }
}

impl State<'_> {
    /// Drops everything written from `offset` on, and writes there next.
    fn cut_back_to(&mut self, offset: u64, what: &str) -> Result<(), Error> {
        let file = self.out.file();
        file.set_len(offset).map_err(Error::output(what))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(Error::output(what))?;
        Ok(())
    }

    /// One layer at the file's end: placeholder head, bytes, padding, then
    /// the real head; dropped again when the planner calls it a duplicate.
    fn put_one(
        &mut self,
        ordinal: usize,
        i: usize,
        layer: &Layer<'_>,
        what: &str,
    ) -> Result<PutLayer, Error> {
        let known = learn(layer, false, what)?;
        let size = known.size.expect("learnt");
        let at = self::ordinal(ordinal);
        let placeholder = match self.blobs.place(known.digest.as_ref(), at, size)? {
            BlobPlacement::Write(head) => head,
            BlobPlacement::Stored(_) => {
                let digest = known.digest.expect("only a known digest is a duplicate");
                return Ok(blobs::put(digest, size, Moved::Skipped(size)));
            }
        };
        let file = self.out.file();
        let start = file.stream_position().map_err(Error::output(what))?;
        let made = write_blob(file, &placeholder, layer, what)?;
        same_layer(i, &known, &made)?;
        let (digest, size) = made;
        match self.blobs.place(Some(&digest), at, size)? {
            BlobPlacement::Stored(_) => {
                // The same layer twice, found by hashing: drop the copy.
                self.cut_back_to(start, what)?;
                return Ok(blobs::put(digest, size, Moved::Skipped(size)));
            }
            BlobPlacement::Write(real) => {
                if known.digest.is_none() {
                    check_same_length(&placeholder, &real)?;
                    self.out
                        .file()
                        .write_all_at(&real.header, start)
                        .map_err(Error::output(what))?;
                }
                self.blobs.wrote(digest.clone(), real.path);
            }
        }
        Ok(blobs::put(digest, size, Moved::Sent(size)))
    }

    /// Every layer at once, each at its own offset under a placeholder
    /// head. `None`, with the file put back as it was, when two layers turn
    /// out to be the same blob: the one-by-one path then stores it once.
    fn put_in_parallel(
        &mut self,
        first: usize,
        layers: &[Layer<'_>],
        what: &str,
    ) -> Result<Option<Vec<PutLayer>>, Error> {
        let start = self
            .out
            .file()
            .stream_position()
            .map_err(Error::output(what))?;
        let mut slots: Vec<Slot> = Vec::with_capacity(layers.len());
        let mut end = start;
        for (i, layer) in layers.iter().enumerate() {
            let known = learn(layer, false, what)?;
            let size = known.size.expect("learnt");
            // Placeholders only: whether a digest repeats is asked once all are known.
            let head = self.blobs.head(None, ordinal(first + i), size)?;
            let data = end + head.header.len() as u64;
            let next = data + size + u64::from(head.padding);
            slots.push(Slot {
                at: end,
                head,
                known,
            });
            end = next;
        }
        let file = self.out.file();
        for slot in &slots {
            file.write_all_at(&slot.head.header, slot.at)
                .map_err(Error::output(what))?;
            let pad_at = slot.data() + slot.size();
            file.write_all_at(&vec![0; slot.head.padding as usize], pad_at)
                .map_err(Error::output(what))?;
        }
        let made = write_at_offsets(&*file, layers, &slots, what)?;
        let mut placed = Vec::with_capacity(slots.len());
        let mut put = Vec::with_capacity(slots.len());
        for (i, (slot, made)) in slots.iter().zip(made).enumerate() {
            same_layer(i, &slot.known, &made)?;
            let (digest, size) = made;
            let real = match self.blobs.place(Some(&digest), ordinal(first + i), size)? {
                BlobPlacement::Write(real) => real,
                BlobPlacement::Stored(_) => {
                    self.cut_back_to(start, what)?;
                    let keep = self.blobs.written.len() - i;
                    self.blobs.written.truncate(keep);
                    return Ok(None);
                }
            };
            check_same_length(&slot.head, &real)?;
            self.blobs.wrote(digest.clone(), real.path.clone());
            placed.push(real);
            put.push(blobs::put(digest, size, Moved::Sent(size)));
        }
        let file = self.out.file();
        for (slot, real) in slots.iter().zip(&placed) {
            file.write_all_at(&real.header, slot.at)
                .map_err(Error::output(what))?;
        }
        file.seek(SeekFrom::Start(end))
            .map_err(Error::output(what))?;
        Ok(Some(put))
    }
}

/// Where one layer goes in the file.
struct Slot {
    /// Offset of its head.
    at: u64,
    head: BlobHead,
    /// Its size, and its digest when finding its size meant hashing it
    /// (gzip) or it was known.
    known: Expected,
}

impl Slot {
    fn data(&self) -> u64 {
        self.at + self.head.header.len() as u64
    }

    fn size(&self) -> u64 {
        self.known.size.expect("learnt")
    }
}

/// Streams each layer to its slot's data offset, several at once, hashed
/// as it is made; the digests and sizes in layer order.
fn write_at_offsets(
    file: &File,
    layers: &[Layer<'_>],
    slots: &[Slot],
    what: &str,
) -> Result<Vec<(Digest, u64)>, Error> {
    super::in_parallel(layers.len(), |i| {
        let mut out = PositionedWriter {
            file,
            pos: slots[i].data(),
        };
        blobs::make(&layers[i], &mut out).map_err(made_error(what))
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

impl Destination for ArchiveFile<'_> {
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
        let Self {
            target,
            state,
            what,
        } = self;
        let mut state = state.into_inner().expect("not poisoned");
        let mut out = std::io::BufWriter::new(state.out.file());
        state.blobs.write_rest(&mut out, &what)?;
        out.flush().map_err(Error::output(&what))?;
        drop(out);
        state.out.commit(&target).map_err(Error::output(&what))
    }

    fn layer_compression(&self, _: LayerCompression) -> LayerCompression {
        LayerCompression::None
    }

    fn put_layers(&self, layers: &[Layer<'_>]) -> Result<Vec<PutLayer>, Error> {
        let mut state = self.state();
        let first = state.blobs.take_ordinals(layers.len());
        if layers.len() > 1
            && let Some(put) = state.put_in_parallel(first, layers, &self.what)?
        {
            return Ok(put);
        }
        (0..layers.len())
            .map(|i| state.put_one(first + i, i, &layers[i], &self.what))
            .collect()
    }

    fn put_image(&self, image: &ArchiveImage) -> Result<u64, Error> {
        self.state().blobs.images.push(image.clone());
        Ok(0)
    }
}
