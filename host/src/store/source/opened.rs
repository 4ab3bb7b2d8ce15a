//! A layer whose stored bytes are not a file here but are opened when
//! read (a registry's blob, downloaded as it is read): what makes a base
//! image lazy. Nothing is read until an output asks for the bytes, and
//! each ask opens them anew; an output that needs them twice (a size
//! before the bytes) reads a local copy instead: a build's staged layout
//! (see `pipeline::outputs`), or a copy's [`OpenedBlob::spool`].

use super::Compression;
use crate::model::Progress;
use crate::model::destination::{BlobBytes, OpenBlob};
use crate::store::sink::Counted;
use crate::store::spool::Spooled;
use std::io::{self, Read};
use std::sync::Arc;

/// A blob opened when read.
#[derive(Clone)]
pub struct OpenedBlob {
    open: Arc<OpenBlob>,
    /// The stored bytes' size.
    size: u64,
    /// What reading it as a tar undoes: the stored compression, or none
    /// when it is read as stored.
    decompress: Compression,
    /// How errors name it.
    name: String,
}

impl std::fmt::Debug for OpenedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedBlob")
            .field("name", &self.name)
            .field("size", &self.size)
            .field("decompress", &self.decompress)
            .finish()
    }
}

impl OpenedBlob {
    /// The blob `name` of `size` stored bytes, read as stored from what
    /// `open` returns (called once per read).
    pub fn new(name: String, size: u64, open: Arc<OpenBlob>) -> Self {
        Self {
            open,
            size,
            decompress: Compression::None,
            name,
        }
    }

    /// The same blob read as the tar inside `stored` compression.
    pub fn decompressed(&self, stored: Compression) -> Self {
        Self {
            decompress: stored,
            ..self.clone()
        }
    }

    /// How errors name it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The size of what [`Self::tar`] reads, when known without reading
    /// it: the stored size unless it is decompressed.
    pub fn known_size(&self) -> Option<u64> {
        (self.decompress == Compression::None).then_some(self.size)
    }

    /// The stored bytes, opened anew.
    pub fn stored(&self) -> io::Result<BlobBytes> {
        (self.open)()
    }

    /// The stored bytes read once into a temporary file (counted on
    /// `progress`) and checked as reading them checks them (a registry's:
    /// against their digest and size), for a reader that needs them more
    /// than once. The file is removed when the copy is dropped.
    pub fn spool(&self, progress: &dyn Progress) -> io::Result<Spooled> {
        Spooled::copy(&mut Counted::new(self.stored()?, progress))
    }

    /// The bytes as read: the stored ones, decompressed when asked.
    pub fn tar(&self) -> io::Result<Box<dyn Read + Send>> {
        let stored = self.stored()?;
        Ok(match self.decompress {
            Compression::None => stored,
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(
                stored,
            ))),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(stored)?),
            Compression::Unsupported(format) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("{} is {format}-compressed", self.name),
                ));
            }
        })
    }
}
