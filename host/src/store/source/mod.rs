//! Image inputs ("sources") on disk: a `docker load` archive, an OCI image
//! layout directory, and the engine through a saved archive
//! (`pipeline::EngineSource`). A registry is read by `pipeline::copy`'s
//! source over `registry` (which `store` never imports); its layers are
//! [`OpenedBlob`]s, downloaded only when an output reads them.
//! Every source answers the same question: which images do you hold, with
//! their config and manifest read and checked against their digests, and
//! where are their layers' bytes. Layers are never read here: consumers
//! stream them (and check each against its digest as they do).
//!
//! Must not: decide anything about the images (components do), read a
//! layer into memory, or trust a name, size or digest it has not checked.

mod archive;
mod layout;
mod opened;

pub use archive::ArchiveSource;
pub use layout::{LayoutReader, LayoutSource, ReadLayout};
pub use opened::OpenedBlob;

use crate::model::{Digest, Document};
use crate::store::plan::LayerSource;
pub use crate::store::tar::Compression;
use std::path::PathBuf;

/// An image input.
pub trait ImageSource {
    /// The images it holds, in order, with their documents checked.
    fn images(&self) -> Result<Vec<SourceImage>, Error>;
}

/// One image a source holds.
#[derive(Debug, Clone)]
pub struct SourceImage {
    /// The image config, its bytes matching its digest.
    pub config: Document,
    /// The image manifest, when the source keeps one (a layout, a
    /// registry); a `docker load` archive has none.
    pub manifest: Option<Document>,
    /// The layers, bottom first.
    pub layers: Vec<SourceLayer>,
    /// The names it is known by (`RepoTags`, or a layout's
    /// `io.containerd.image.name` annotations).
    pub repo_tags: Vec<String>,
}

/// A layer of a source image.
#[derive(Debug, Clone)]
pub struct SourceLayer {
    /// The digest of the stored bytes, when the source names it without
    /// reading them (a layout, a registry; a plain layer's is its diff_id).
    pub digest: Option<Digest>,
    /// The size of the stored bytes; 0 for an incremental-load placeholder.
    pub size: u64,
    /// The digest of the uncompressed tar (the config's `diff_id`).
    pub diff_id: Digest,
    /// How it is compressed as stored.
    pub compression: Compression,
    /// Where the stored bytes are.
    pub blob: LayerSource,
}

impl SourceLayer {
    /// Where its uncompressed tar is read from: its blob, decompressed on
    /// the way when stored compressed.
    pub fn tar(&self) -> Result<LayerSource, Error> {
        let path = match &self.blob {
            LayerSource::Tar(path) if self.compression != Compression::None => path.clone(),
            LayerSource::Opened(blob) if self.compression != Compression::None => {
                return match self.compression {
                    Compression::Unsupported(format) => Err(Error::Malformed {
                        source_name: blob.name().to_string(),
                        message: format!(
                            "layer {} is {format}-compressed, which ocipipe cannot read",
                            self.diff_id
                        ),
                    }),
                    stored => Ok(LayerSource::Opened(blob.decompressed(stored))),
                };
            }
            other => return Ok(other.clone()),
        };
        match self.compression {
            Compression::Gzip => Ok(LayerSource::Gzip(path)),
            Compression::Zstd => Ok(LayerSource::Zstd(path)),
            Compression::Unsupported(format) => Err(Error::Malformed {
                source_name: path.display().to_string(),
                message: format!(
                    "layer {} is {format}-compressed, which ocipipe cannot read",
                    self.diff_id
                ),
            }),
            Compression::None => unreachable!("matched above"),
        }
    }
}

/// Failures reading a source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file of the source could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `docker load` archive is unsafe or broken.
    #[error(transparent)]
    Archive(#[from] crate::store::archive::Error),
    /// The source is not what it claims, or breaks its format's rules.
    #[error("{source_name}: {message}")]
    Malformed {
        /// The source, as the user named it.
        source_name: String,
        /// What is wrong, naming the file or digest.
        message: String,
    },
}
