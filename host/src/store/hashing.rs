//! A writer that hashes what passes through it on a second thread, so that
//! hashing (≈1.8 GB/s with SHA extensions) overlaps with reading and
//! writing instead of adding to them.

use sha2::{Digest as _, Sha256};
use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Size of each buffer handed between the threads.
const CHUNK: usize = 1 << 20;
/// Buffers in flight: enough for the hasher to lag a little.
const BUFFERS: usize = 4;

/// Writes to `out` and hashes everything written; [`Self::finish`] gives
/// the digest and the byte count.
pub struct HashingWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    to_hasher: Option<SyncSender<Vec<u8>>>,
    free: Receiver<Vec<u8>>,
    hasher: Option<JoinHandle<Sha256>>,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        let (to_hasher, chunks) = sync_channel::<Vec<u8>>(BUFFERS);
        let (give_back, free) = sync_channel::<Vec<u8>>(BUFFERS);
        for _ in 1..BUFFERS {
            give_back
                .send(Vec::with_capacity(CHUNK))
                .expect("channel has room");
        }
        let hasher = std::thread::Builder::new()
            .name("ocipipe-sha256".into())
            .spawn(move || {
                let mut hasher = Sha256::new();
                for mut chunk in chunks {
                    hasher.update(&chunk);
                    chunk.clear();
                    // The writer may be gone (finish drops it last); fine.
                    let _ = give_back.send(chunk);
                }
                hasher
            })
            .expect("spawning the hashing thread");
        Self {
            out,
            buf: Vec::with_capacity(CHUNK),
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
            if self.buf.len() == CHUNK {
                self.pass_on()?;
            }
            let room = (CHUNK - self.buf.len()).min(usize::try_from(left).unwrap_or(usize::MAX));
            let start = self.buf.len();
            self.buf.resize(start + room, 0);
            let n = match reader.read(&mut self.buf[start..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
                Err(e) => {
                    self.buf.truncate(start);
                    return Err(e);
                }
            };
            self.buf.truncate(start + n);
            if n == 0 && room > 0 {
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
        loop {
            if self.buf.len() == CHUNK {
                self.pass_on()?;
            }
            let start = self.buf.len();
            self.buf.resize(CHUNK, 0);
            match reader.read(&mut self.buf[start..]) {
                Ok(0) => {
                    self.buf.truncate(start);
                    return Ok(());
                }
                Ok(n) => self.buf.truncate(start + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => self.buf.truncate(start),
                Err(e) => {
                    self.buf.truncate(start);
                    return Err(e);
                }
            }
        }
    }

    /// Writes the full buffer out and hands it to the hasher.
    fn pass_on(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.out.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        let next = self
            .free
            .recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let full = std::mem::replace(&mut self.buf, next);
        self.to_hasher
            .as_ref()
            .expect("present until finish")
            .send(full)
            .map_err(|_| io::Error::other("the hashing thread stopped"))
    }

    /// Flushes, and returns `sha256:<hex>`, the byte count and the writer.
    pub fn finish(mut self) -> io::Result<(String, u64, W)> {
        self.pass_on()?;
        self.out.flush()?;
        drop(self.to_hasher.take());
        let hasher = self
            .hasher
            .take()
            .expect("present until finish")
            .join()
            .map_err(|_| io::Error::other("the hashing thread panicked"))?;
        let digest = format!("sha256:{}", hex::encode(hasher.finalize()));
        Ok((digest, self.written, self.out))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        while !rest.is_empty() {
            if self.buf.len() == CHUNK {
                self.pass_on()?;
            }
            let n = rest.len().min(CHUNK - self.buf.len());
            self.buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
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
        assert_eq!(digest, crate::model::sha256_digest(&data));
    }

    #[test]
    fn a_short_or_long_source_is_an_error() {
        let mut w = HashingWriter::new(Vec::new());
        assert!(w.copy_exact(&mut &b"abc"[..], 4, true).is_err());
        let mut w = HashingWriter::new(Vec::new());
        assert!(w.copy_exact(&mut &b"abcd"[..], 3, true).is_err());
    }
}
