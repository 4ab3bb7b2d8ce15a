//! Executing the plans components return: streaming segments into an
//! output, resolving `file` segments against the entries the host walked
//! and `blob` segments against the blobs it holds. A plan that names a file
//! it was not given, or a size that differs, is refused: a third-party
//! component cannot make the host read anything else.

use crate::hashing::{HashingWriter, OutputError};
use crate::model::{BlobRef, Digest, Entry, EntryKind, FileRef, Segment};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Failures executing a plan.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The plan names a file the component was not given, or another size.
    #[error("the plan names {path:?} ({size} bytes), which is not a file the component was given")]
    UnknownFile {
        /// The path in the plan.
        path: String,
        /// The size in the plan.
        size: u64,
    },
    /// The plan names a blob the host does not hold, or another size.
    #[error("the plan names blob {digest} ({size} bytes), which the host does not hold")]
    UnknownBlob {
        /// The digest in the plan.
        digest: Digest,
        /// The size in the plan.
        size: u64,
    },
    /// A layer's bytes hashed differently from what was planned: its
    /// source changed while being written.
    #[error(
        "layer {digest} changed while it was read: its bytes now hash to {actual}; \
         keep its files still while building"
    )]
    Changed {
        /// The digest planned.
        digest: Digest,
        /// What its bytes hash to now.
        actual: Digest,
    },
    /// Writing the output failed (a full disk, a closed pipe); the
    /// output's writer says which output.
    #[error("cannot write the output: {source}")]
    Write {
        /// The I/O error.
        source: io::Error,
    },
    /// Reading a source or writing the output failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being read or written.
        what: String,
        /// The I/O error.
        source: io::Error,
    },
}

/// An I/O error while copying from `what`: the output's own error when
/// the output failed, else one that names `what`.
fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let what = what.into();
    move |source| match OutputError::of(&source) {
        Some(output) => Error::Write {
            source: io::Error::new(output.kind(), output.to_string()),
        },
        None => Error::Io { what, source },
    }
}

/// Where a layer's bytes come from.
#[derive(Debug, Clone)]
pub enum LayerSource {
    /// A layer planned from a directory.
    Planned(PlannedLayer),
    /// An existing uncompressed layer tar.
    Tar(PathBuf),
    /// An existing gzip-compressed layer tar; streamed decompressed.
    Gzip(PathBuf),
    /// An existing zstd-compressed layer tar; streamed decompressed.
    Zstd(PathBuf),
    /// An uncompressed layer tar inside an archive, read in place.
    Slice {
        /// The archive.
        path: PathBuf,
        /// Where the layer's bytes start.
        offset: u64,
        /// How many bytes it has.
        size: u64,
    },
    /// A blob opened when read (a registry's, downloaded as it is read).
    Opened(crate::store::source::OpenedBlob),
}

/// A layer tar planned by the tar-assembly component from a directory.
#[derive(Debug, Clone)]
pub struct PlannedLayer {
    root: PathBuf,
    plan: Vec<Segment>,
    files: HashMap<String, u64>,
    size: u64,
}

impl PlannedLayer {
    /// The plan for the directory `root`, whose walked `entries` the
    /// component was given.
    pub fn new(root: &Path, entries: &[Entry], plan: Vec<Segment>) -> Result<Self, Error> {
        let files: HashMap<String, u64> = entries
            .iter()
            .filter(|e| e.kind == EntryKind::Regular)
            .map(|e| (e.path.clone(), e.size))
            .collect();
        for segment in &plan {
            match segment {
                Segment::Bytes(_) => {}
                Segment::File(FileRef { path, size }) if files.get(path) == Some(size) => {}
                Segment::File(FileRef { path, size }) => {
                    return Err(Error::UnknownFile {
                        path: path.clone(),
                        size: *size,
                    });
                }
                Segment::Blob(BlobRef { digest, size }) => {
                    return Err(Error::UnknownBlob {
                        digest: digest.clone(),
                        size: *size,
                    });
                }
            }
        }
        let size = plan.iter().map(Segment::len).sum();
        Ok(Self {
            root: root.to_path_buf(),
            plan,
            files,
            size,
        })
    }

    /// The layer tar's size in bytes, known before it is written.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl LayerSource {
    /// The layer tar's size when known without reading it (not for gzip).
    pub fn known_size(&self) -> Result<Option<u64>, Error> {
        Ok(match self {
            LayerSource::Planned(p) => Some(p.size),
            LayerSource::Tar(path) => Some(
                std::fs::metadata(path)
                    .map_err(io_error(format!("cannot read {}", path.display())))?
                    .len(),
            ),
            LayerSource::Gzip(_) | LayerSource::Zstd(_) => None,
            LayerSource::Slice { size, .. } => Some(*size),
            LayerSource::Opened(blob) => blob.known_size(),
        })
    }

    /// Streams the layer tar into `out`, exactly `expected` bytes when given.
    pub fn stream<W: Write>(
        &self,
        out: &mut HashingWriter<W>,
        expected: Option<u64>,
    ) -> Result<(), Error> {
        match self {
            LayerSource::Planned(layer) => {
                for segment in &layer.plan {
                    match segment {
                        Segment::Bytes(b) => out
                            .write_all(b)
                            .map_err(io_error("cannot write the layer"))?,
                        Segment::File(FileRef { path, size }) => {
                            debug_assert_eq!(layer.files.get(path), Some(size));
                            let full = layer.root.join(path);
                            let what = || format!("{}", full.display());
                            let mut file = std::fs::File::open(&full).map_err(io_error(what()))?;
                            out.copy_exact(&mut file, *size, true)
                                .map_err(io_error(what()))?;
                        }
                        Segment::Blob(_) => unreachable!("refused in PlannedLayer::new"),
                    }
                }
                Ok(())
            }
            LayerSource::Slice { path, offset, size } => {
                use std::io::Seek;
                let what = || format!("{}", path.display());
                let mut file = std::fs::File::open(path).map_err(io_error(what()))?;
                file.seek(io::SeekFrom::Start(*offset))
                    .map_err(io_error(what()))?;
                out.copy_exact(&mut file.take(*size), *size, true)
                    .map_err(io_error(what()))
            }
            LayerSource::Opened(blob) => {
                let mut reader = blob.tar().map_err(io_error(blob.name()))?;
                match expected {
                    Some(size) => out.copy_exact(&mut reader, size, true),
                    None => out.copy_all(&mut reader),
                }
                .map_err(io_error(blob.name()))
            }
            LayerSource::Tar(path) | LayerSource::Gzip(path) | LayerSource::Zstd(path) => {
                let what = || format!("{}", path.display());
                let file = std::fs::File::open(path).map_err(io_error(what()))?;
                let mut reader: Box<dyn Read> = match self {
                    LayerSource::Gzip(_) => {
                        Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(file)))
                    }
                    LayerSource::Zstd(_) => {
                        Box::new(zstd::stream::read::Decoder::new(file).map_err(io_error(what()))?)
                    }
                    _ => Box::new(file),
                };
                match expected {
                    Some(size) => out.copy_exact(&mut reader, size, true),
                    None => out.copy_all(&mut reader),
                }
                .map_err(io_error(what()))
            }
        }
    }

    /// A reader of the layer's bytes as stored (a gzip layer still
    /// compressed); not for a layer planned from a directory.
    pub fn open_stored(&self) -> io::Result<Box<dyn Read + Send>> {
        use std::io::Seek;
        match self {
            LayerSource::Planned(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a planned layer has no stored bytes",
            )),
            LayerSource::Tar(path) | LayerSource::Gzip(path) | LayerSource::Zstd(path) => {
                Ok(Box::new(io::BufReader::new(std::fs::File::open(path)?)))
            }
            LayerSource::Slice { path, offset, size } => {
                let mut file = std::fs::File::open(path)?;
                file.seek(io::SeekFrom::Start(*offset))?;
                Ok(Box::new(io::BufReader::new(file.take(*size))))
            }
            LayerSource::Opened(blob) => blob.stored(),
        }
    }

    /// The layer's digest (diff ID) and size, by streaming it through the
    /// hasher into `sink` (which writes nothing, or counts progress).
    pub fn measure(&self, sink: impl Write) -> Result<(Digest, u64), Error> {
        let mut hasher = HashingWriter::new(sink);
        self.stream(&mut hasher, self.known_size()?)?;
        let (digest, size, _) = hasher.finish().map_err(io_error("cannot hash the layer"))?;
        Ok((digest, size))
    }
}

/// A blob the host can stream by digest.
#[derive(Debug, Clone)]
pub enum Blob {
    /// A small document held in memory.
    Bytes(Vec<u8>),
    /// A layer.
    Layer(LayerSource),
}

/// Streams an archive or layout `plan` into `out`, resolving `blob`
/// segments in `blobs` (by digest, with the size checked).
pub fn write_plan(
    plan: &[Segment],
    blobs: &HashMap<Digest, (Blob, u64)>,
    out: &mut impl Write,
) -> Result<(), Error> {
    for segment in plan {
        match segment {
            Segment::Bytes(b) => out.write_all(b).map_err(|source| Error::Write { source })?,
            Segment::Blob(BlobRef { digest, size }) => match blobs.get(digest) {
                Some((Blob::Bytes(bytes), n)) if n == size => out
                    .write_all(bytes)
                    .map_err(|source| Error::Write { source })?,
                Some((Blob::Layer(layer), n)) if n == size => {
                    let mut hashing = HashingWriter::new(&mut *out);
                    layer.stream(&mut hashing, Some(*size))?;
                    let (actual, _, _) =
                        hashing.finish().map_err(|source| Error::Write { source })?;
                    if &actual != digest {
                        return Err(Error::Changed {
                            digest: digest.clone(),
                            actual,
                        });
                    }
                }
                _ => {
                    return Err(Error::UnknownBlob {
                        digest: digest.clone(),
                        size: *size,
                    });
                }
            },
            Segment::File(FileRef { path, size }) => {
                return Err(Error::UnknownFile {
                    path: path.clone(),
                    size: *size,
                });
            }
        }
    }
    Ok(())
}
