//! Compressing layer tars for a registry: gzip (what `docker push` sends)
//! and zstd, each as a [`Write`] that the tar is streamed into.
//!
//! gzip is deflate at level 2, except for stretches that cannot shrink:
//! already-compressed files (archives, images, packed binaries) and random
//! bytes. Looking for matches in them costs the compressor ~10× the time of
//! storing them (55–90 against 760 MB/s per core here) only to make them
//! bigger, so each 128 KiB chunk whose bytes are near 8 bits of entropy goes
//! into stored deflate blocks instead (RFC 1951 §3.2.4), as zstd does by
//! itself. Any gzip reader takes the result; the byte stream stays a pure
//! function of the input.
//!
//! Why level 2: on the files of `/usr` (zlib-rs, one core here) level 1
//! runs at 125 MB/s to 48.5% of the size, level 2 at 82 MB/s to 40.5%,
//! level 6 (about what `docker push` sends) at 41 MB/s to 37.4%. Level 1
//! uses fixed Huffman codes only; level 2 is the first with a real ratio.

use super::plan::{self, LayerSource};
use super::sink::Counted;
use super::tar::Compression;
use crate::hashing::HashingWriter;
use crate::model::{Digest, Progress};
use std::io::{self, Write};
use std::path::Path;

pub use crate::model::LayerCompression;

impl LayerCompression {
    /// How a layer stored as `stored` is compressed: none for a format
    /// ocipipe does not write.
    pub fn of(stored: Compression) -> Option<Self> {
        match stored {
            Compression::None => Some(LayerCompression::None),
            Compression::Gzip => Some(LayerCompression::Gzip),
            Compression::Zstd => Some(LayerCompression::Zstd),
            Compression::Unsupported(_) => None,
        }
    }

    /// What a layer compressed this way is stored as.
    pub fn stored(self) -> Compression {
        match self {
            LayerCompression::None => Compression::None,
            LayerCompression::Gzip => Compression::Gzip,
            LayerCompression::Zstd => Compression::Zstd,
        }
    }

    /// A writer that compresses into `out`; [`Compressor::finish`] ends the
    /// stream and gives `out` back.
    pub fn writer<W: Write>(self, out: W) -> io::Result<Compressor<W>> {
        Ok(match self {
            LayerCompression::Gzip => Compressor::Gzip(Box::new(GzipWriter::new(out)?)),
            LayerCompression::Zstd => {
                Compressor::Zstd(zstd::stream::write::Encoder::new(out, ZSTD_LEVEL)?)
            }
            LayerCompression::None => Compressor::None(out),
        })
    }
}

/// zstd's own default level, which containerd and buildkit use too.
const ZSTD_LEVEL: i32 = 3;

/// A compressing writer of any [`LayerCompression`].
pub enum Compressor<W: Write> {
    /// gzip.
    Gzip(Box<GzipWriter<W>>),
    /// zstd.
    Zstd(zstd::stream::write::Encoder<'static, W>),
    /// Bytes as they are.
    None(W),
}

impl<W: Write> Compressor<W> {
    /// Ends the compressed stream; the writer inside, flushed.
    pub fn finish(self) -> io::Result<W> {
        let mut out = match self {
            Compressor::Gzip(gzip) => gzip.finish()?,
            Compressor::Zstd(zstd) => zstd.finish()?,
            Compressor::None(out) => out,
        };
        out.flush()?;
        Ok(out)
    }
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Compressor::Gzip(gzip) => gzip.write(data),
            Compressor::Zstd(zstd) => zstd.write(data),
            Compressor::None(out) => out.write(data),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressor::Gzip(gzip) => gzip.flush(),
            Compressor::Zstd(zstd) => zstd.flush(),
            Compressor::None(out) => out.flush(),
        }
    }
}

/// The deflate level of gzip layers (see the module's doc).
const DEFLATE_LEVEL: u32 = 2;
/// Input is judged, and compressed or stored, this much at a time.
const CHUNK: usize = 128 * 1024;
/// Order-0 entropy (bits per byte) at or above which a chunk is stored:
/// random bytes measure 7.998 over 128 KiB, deflate's output ≈7.99, while
/// text and code measure 4–6 and binaries 5–7.
const STORE_ABOVE_BITS: f64 = 7.97;
/// The most bytes one stored block holds.
const STORED_BLOCK_MAX: usize = 65_535;

/// gzip (RFC 1952) around deflate that stores incompressible chunks.
pub struct GzipWriter<W: Write> {
    out: W,
    deflate: flate2::Compress,
    crc: flate2::Crc,
    /// Input not yet judged, up to [`CHUNK`].
    pending: Vec<u8>,
    /// Compressed bytes on their way to `out`.
    buffer: Vec<u8>,
    /// The deflate stream holds input it has not flushed into a block.
    deflate_open: bool,
}

impl<W: Write> GzipWriter<W> {
    /// Writes the gzip header (no name, mtime 0, OS unknown: the same
    /// bytes on every machine) into `out`.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])?;
        Ok(Self {
            out,
            deflate: flate2::Compress::new(flate2::Compression::new(DEFLATE_LEVEL), false),
            crc: flate2::Crc::new(),
            pending: Vec::with_capacity(CHUNK),
            buffer: Vec::with_capacity(CHUNK + CHUNK / 8),
            deflate_open: false,
        })
    }

    /// Deflates or stores the pending chunk.
    fn put_chunk(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.crc.update(&self.pending);
        let chunk = std::mem::take(&mut self.pending);
        if entropy_bits(&chunk) >= STORE_ABOVE_BITS {
            // Stored blocks start on a byte boundary: flush what deflate
            // holds first, and start it afresh after, so that its matches
            // never reach back across bytes it did not see.
            self.close_deflate()?;
            for block in chunk.chunks(STORED_BLOCK_MAX) {
                let len = block.len() as u16;
                self.out.write_all(&[0])?;
                self.out.write_all(&len.to_le_bytes())?;
                self.out.write_all(&(!len).to_le_bytes())?;
                self.out.write_all(block)?;
            }
        } else {
            self.deflate_open = true;
            self.run_deflate(&chunk, flate2::FlushCompress::None)?;
        }
        self.pending = chunk;
        self.pending.clear();
        Ok(())
    }

    /// Ends the current deflate blocks on a byte boundary (a sync flush)
    /// and resets deflate's window.
    fn close_deflate(&mut self) -> io::Result<()> {
        if self.deflate_open {
            self.run_deflate(&[], flate2::FlushCompress::Sync)?;
            self.deflate.reset();
            self.deflate_open = false;
        }
        Ok(())
    }

    /// Feeds `input` to deflate and writes what comes out.
    fn run_deflate(&mut self, mut input: &[u8], flush: flate2::FlushCompress) -> io::Result<()> {
        loop {
            self.buffer.clear();
            let before = self.deflate.total_in();
            let status = self
                .deflate
                .compress_vec(input, &mut self.buffer, flush)
                .map_err(io::Error::other)?;
            input = &input[(self.deflate.total_in() - before) as usize..];
            self.out.write_all(&self.buffer)?;
            let room_left = self.buffer.len() < self.buffer.capacity();
            let finishing = matches!(flush, flate2::FlushCompress::Finish);
            if status == flate2::Status::StreamEnd || (input.is_empty() && room_left && !finishing)
            {
                return Ok(());
            }
        }
    }

    /// Ends the deflate stream with a final block, writes the trailer
    /// (CRC-32 and length mod 2^32), and gives `out` back.
    pub fn finish(mut self) -> io::Result<W> {
        self.put_chunk()?;
        if self.deflate_open {
            self.run_deflate(&[], flate2::FlushCompress::Finish)?;
        } else {
            // An empty final stored block.
            self.out.write_all(&[1, 0, 0, 0xff, 0xff])?;
        }
        self.out.write_all(&self.crc.sum().to_le_bytes())?;
        self.out.write_all(&self.crc.amount().to_le_bytes())?;
        Ok(self.out)
    }
}

impl<W: Write> Write for GzipWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.pending.len();
        let taken = &data[..data.len().min(room)];
        self.pending.extend_from_slice(taken);
        if self.pending.len() == CHUNK {
            self.put_chunk()?;
        }
        Ok(taken.len())
    }

    /// Flushes `out` only: a gzip stream is complete at [`Self::finish`].
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Order-0 (byte-frequency) entropy of `data` in bits per byte.
fn entropy_bits(data: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let total = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / total;
            -p * p.log2()
        })
        .sum()
}

/// A layer compressed into a file: the digest of its tar, and the digest
/// and size of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressedFile {
    /// The tar's digest (its diff_id).
    pub diff_id: Digest,
    /// The file's digest.
    pub digest: Digest,
    /// The file's size.
    pub size: u64,
}

/// Compresses the layer tar `blob` with `compression` into the new file
/// `path` (a hashed copy: read once, written once), `progress` advanced by
/// the tar bytes.
pub fn compress_to_file(
    blob: &LayerSource,
    compression: LayerCompression,
    path: &Path,
    progress: &dyn Progress,
) -> Result<CompressedFile, plan::Error> {
    let failed = |source: io::Error| plan::Error::Io {
        what: format!("cannot write {}", path.display()),
        source,
    };
    let file = std::fs::File::create(path).map_err(failed)?;
    let hashed = HashingWriter::new(io::BufWriter::new(file));
    let compressor = compression.writer(hashed).map_err(failed)?;
    let mut tar = HashingWriter::new(Counted::new(compressor, progress));
    blob.stream(&mut tar, None)?;
    let (diff_id, _, counted) = tar.finish().map_err(failed)?;
    let hashed = counted.into_inner().finish().map_err(failed)?;
    let (digest, size, file) = hashed.finish().map_err(failed)?;
    file.into_inner().map_err(|e| failed(e.into_error()))?;
    Ok(CompressedFile {
        diff_id,
        digest,
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn random(len: usize, seed: u64) -> Vec<u8> {
        // xorshift: enough to be incompressible, and the same every run.
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    fn text(len: usize) -> Vec<u8> {
        let line = b"usr/share/doc/ocipipe/README: a line of text, quite compressible\n";
        line.iter().copied().cycle().take(len).collect()
    }

    fn gzip(data: &[u8], write_size: usize) -> Vec<u8> {
        let mut w = LayerCompression::Gzip.writer(Vec::new()).unwrap();
        for piece in data.chunks(write_size) {
            w.write_all(piece).unwrap();
        }
        w.finish().unwrap()
    }

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut reader = flate2::read::GzDecoder::new(data);
        reader.read_to_end(&mut out).unwrap();
        // Exactly one member, and nothing after it.
        let mut rest = Vec::new();
        reader.into_inner().read_to_end(&mut rest).unwrap();
        assert!(
            rest.is_empty(),
            "{} bytes after the gzip member",
            rest.len()
        );
        out
    }

    #[test]
    fn gzip_round_trips_mixed_input_at_any_write_size() {
        let mut data = text(300_000);
        data.extend(random(500_000, 7));
        data.extend(text(200_001));
        data.extend(random(CHUNK, 9));
        for write_size in [1, 4096, 100_000, usize::MAX] {
            let packed = gzip(&data, write_size.min(data.len()));
            assert_eq!(gunzip(&packed), data, "write size {write_size}");
        }
    }

    #[test]
    fn gzip_stores_random_bytes_and_compresses_text() {
        let noise = random(4 * CHUNK + 123, 3);
        let packed = gzip(&noise, 65_536);
        // Stored blocks cost 5 bytes per 64 KiB, plus header and trailer.
        assert!(packed.len() <= noise.len() + noise.len() / 10_000 + 40);
        assert!(packed.len() > noise.len());
        let words = text(4 * CHUNK);
        let packed = gzip(&words, 65_536);
        assert!(packed.len() < words.len() / 20, "{} bytes", packed.len());
        assert_eq!(gunzip(&packed), words);
    }

    #[test]
    fn gzip_of_nothing_is_a_valid_empty_member() {
        let packed = gzip(&[], 1);
        assert_eq!(gunzip(&packed), b"");
        assert_eq!(&packed[..2], &[0x1f, 0x8b]);
    }

    #[test]
    fn gzip_is_deterministic() {
        let mut data = random(300_000, 5);
        data.extend(text(300_000));
        assert_eq!(gzip(&data, 1000), gzip(&data, 77_777));
    }

    #[test]
    fn zstd_and_none_round_trip() {
        let mut data = text(200_000);
        data.extend(random(200_000, 11));
        let mut w = LayerCompression::Zstd.writer(Vec::new()).unwrap();
        w.write_all(&data).unwrap();
        let packed = w.finish().unwrap();
        assert_eq!(&packed[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd magic");
        assert_eq!(zstd::stream::decode_all(&packed[..]).unwrap(), data);
        let mut w = LayerCompression::None.writer(Vec::new()).unwrap();
        w.write_all(&data).unwrap();
        assert_eq!(w.finish().unwrap(), data);
    }

    #[test]
    fn entropy_tells_noise_from_text() {
        assert!(entropy_bits(&random(CHUNK, 1)) > STORE_ABOVE_BITS);
        assert!(entropy_bits(&text(CHUNK)) < 5.0);
        assert_eq!(entropy_bits(&[0; 1000]), 0.0);
    }
}
