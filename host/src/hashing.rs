//! Hashing what passes through: the one place sha256 is computed over
//! streams. A writer that hashes on a second thread, so that hashing
//! (≈1.5 GB/s here, with SHA extensions) overlaps with reading and writing
//! instead of adding to them; and a reader or writer that hashes inline,
//! for streams parsed as they are read (layer tars being unpacked) and
//! blobs made into an upload's bounded channel.

use crate::model::Digest;
use sha2::{Digest as _, Sha256};
use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Size of each buffer handed between the threads.
const CHUNK: usize = 1 << 20;
/// Buffers in flight: enough for the hasher to lag a little.
const BUFFERS: usize = 4;

/// A full buffer and how much of it is filled.
type Chunk = (Vec<u8>, usize);

/// Writes to `out` and hashes everything written; [`Self::finish`] gives
/// the digest and the byte count.
pub struct HashingWriter<W: Write> {
    out: W,
    /// Always `CHUNK` long (allocated once, never zeroed again); `len`
    /// bytes of it are filled.
    buf: Vec<u8>,
    len: usize,
    to_hasher: Option<SyncSender<Chunk>>,
    free: Receiver<Vec<u8>>,
    hasher: Option<JoinHandle<Sha256>>,
    written: u64,
}

/// An error of the output a [`HashingWriter`] writes to, told apart from
/// an error reading its input: a full disk must be blamed on the output,
/// not on the layer file being copied.
#[derive(Debug)]
pub struct OutputError(pub io::Error);

impl OutputError {
    fn wrap(e: io::Error) -> io::Error {
        io::Error::new(e.kind(), OutputError(e))
    }

    /// The output's error inside `e`, when `e` came from the output.
    pub fn of(e: &io::Error) -> Option<&io::Error> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<OutputError>())
            .map(|o| &o.0)
    }
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for OutputError {}

impl<W: Write> HashingWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        let (to_hasher, chunks) = sync_channel::<Chunk>(BUFFERS);
        let (give_back, free) = sync_channel::<Vec<u8>>(BUFFERS);
        for _ in 1..BUFFERS {
            give_back.send(vec![0; CHUNK]).expect("channel has room");
        }
        let hasher = std::thread::Builder::new()
            .name("ocipipe-sha256".into())
            .spawn(move || {
                let mut hasher = Sha256::new();
                for (chunk, len) in chunks {
                    hasher.update(&chunk[..len]);
                    // The writer may be gone (finish drops it last); fine.
                    let _ = give_back.send(chunk);
                }
                hasher
            })
            .expect("spawning the hashing thread");
        Self {
            out,
            buf: vec![0; CHUNK],
            len: 0,
            to_hasher: Some(to_hasher),
            free,
            hasher: Some(hasher),
            written: 0,
        }
    }

    /// Copies exactly `size` bytes from `reader`; fewer is an error (the
    /// source shrank), and so is more when `exact` (the source grew).
    pub fn copy_exact(&mut self, reader: &mut impl Read, size: u64, exact: bool) -> io::Result<()> {
        let mut left = size;
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(usize::MAX);
            let n = self.fill_from(reader, want)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("ended {left} bytes early (it changed while being read)"),
                ));
            }
            left -= n as u64;
        }
        if exact && reader.read(&mut [0u8; 1])? != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("is longer than the {size} bytes planned (it changed while being read)"),
            ));
        }
        Ok(())
    }

    /// Copies everything `reader` yields.
    pub fn copy_all(&mut self, reader: &mut impl Read) -> io::Result<()> {
        while self.fill_from(reader, usize::MAX)? > 0 {}
        Ok(())
    }

    /// Reads at most `want` bytes straight into the free part of the
    /// buffer; returns how many, 0 at the end of `reader`.
    fn fill_from(&mut self, reader: &mut impl Read, want: usize) -> io::Result<usize> {
        if self.len == CHUNK {
            self.pass_on()?;
        }
        let room = (CHUNK - self.len).min(want);
        loop {
            match reader.read(&mut self.buf[self.len..self.len + room]) {
                Ok(n) => {
                    self.len += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes the filled buffer out and hands it to the hasher.
    fn pass_on(&mut self) -> io::Result<()> {
        if self.len == 0 {
            return Ok(());
        }
        self.out
            .write_all(&self.buf[..self.len])
            .map_err(OutputError::wrap)?;
        self.written += self.len as u64;
        let next = self.free.recv().unwrap_or_else(|_| vec![0; CHUNK]);
        let full = std::mem::replace(&mut self.buf, next);
        let len = std::mem::take(&mut self.len);
        self.to_hasher
            .as_ref()
            .expect("present until finish")
            .send((full, len))
            .map_err(|_| io::Error::other("the hashing thread stopped"))
    }

    /// Flushes, and returns the digest, the byte count and the writer.
    pub fn finish(mut self) -> io::Result<(Digest, u64, W)> {
        self.pass_on()?;
        self.out.flush()?;
        drop(self.to_hasher.take());
        let hasher = self
            .hasher
            .take()
            .expect("present until finish")
            .join()
            .map_err(|_| io::Error::other("the hashing thread panicked"))?;
        let digest = Digest::from_sha256(hasher.finalize().into());
        Ok((digest, self.written, self.out))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        while !rest.is_empty() {
            if self.len == CHUNK {
                self.pass_on()?;
            }
            let n = rest.len().min(CHUNK - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&rest[..n]);
            self.len += n;
            rest = &rest[n..];
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A reader or a writer that hashes (sha256) and counts every byte read or
/// written through it, inline, in the thread doing so: for streams that are
/// parsed as they are read (layer tars being unpacked), and for a writer
/// whose bytes already leave through a bounded channel (a blob made into
/// an upload), where a second thread's buffers would only add memory.
pub struct InlineHashing<T> {
    inner: T,
    hasher: Sha256,
    count: u64,
}

impl<T> InlineHashing<T> {
    /// Hashes what goes through `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// How many bytes went through so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The digest of the bytes so far.
    pub fn digest(self) -> Digest {
        self.finish().0
    }

    /// The digest and count of the bytes so far, and what they went
    /// through.
    pub fn finish(self) -> (Digest, u64, T) {
        let digest = Digest::from_sha256(self.hasher.finalize().into());
        (digest, self.count, self.inner)
    }
}

impl<R: Read> Read for InlineHashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for InlineHashing<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(data)?;
        self.hasher.update(&data[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The sha256 digest and size of everything `reader` gives.
pub fn digest_of(reader: &mut impl Read) -> io::Result<(Digest, u64)> {
    let mut hashed = HashingWriter::new(io::sink());
    io::copy(reader, &mut hashed)?;
    let (digest, size, _) = hashed.finish()?;
    Ok((digest, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_and_bytes_match_a_plain_hash() {
        let data: Vec<u8> = (0..3 * CHUNK + 12345)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(&data[..100]).unwrap();
        w.copy_exact(&mut &data[100..2 * CHUNK], (2 * CHUNK - 100) as u64, true)
            .unwrap();
        w.copy_all(&mut &data[2 * CHUNK..]).unwrap();
        let (digest, n, out) = w.finish().unwrap();
        assert_eq!(out, data);
        assert_eq!(n, data.len() as u64);
        assert_eq!(digest, Digest::sha256(&data));
    }

    #[test]
    fn the_reader_hashes_and_counts_what_it_reads() {
        let data = b"some bytes to hash".repeat(1000);
        let mut reader = InlineHashing::new(&data[..]);
        io::copy(&mut reader, &mut io::sink()).unwrap();
        assert_eq!(reader.count(), data.len() as u64);
        assert_eq!(reader.digest(), Digest::sha256(&data));
    }

    #[test]
    fn a_short_or_long_source_is_an_error() {
        let mut w = HashingWriter::new(Vec::new());
        assert!(w.copy_exact(&mut &b"abc"[..], 4, true).is_err());
        let mut w = HashingWriter::new(Vec::new());
        assert!(w.copy_exact(&mut &b"abcd"[..], 3, true).is_err());
    }
}
