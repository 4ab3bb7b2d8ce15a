//! Image inputs ("sources"): a `docker load` archive, an OCI image layout
//! directory, the engine (through a saved archive) — and, next, a registry.
//! Every source answers the same question: which images do you hold, with
//! their config and manifest read and checked against their digests, and
//! where are their layers' bytes. Layers are never read here: consumers
//! stream them (and check each against its digest as they do).
//!
//! Must not: decide anything about the images (components do), read a
//! layer into memory, or trust a name, size or digest it has not checked.

mod layout;

pub use layout::LayoutSource;

use crate::model::{Descriptor, Digest, Document};
use crate::store::plan::LayerSource;
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
    /// The layer as stored: media type, digest of the stored bytes, size.
    pub descriptor: Descriptor,
    /// The digest of the uncompressed tar (the config's `diff_id`).
    pub diff_id: Digest,
    /// How it is compressed as stored.
    pub compression: Compression,
    /// Where the stored bytes are.
    pub blob: LayerSource,
}

/// How a stored layer is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip.
    Gzip,
    /// zstd (not read by ocipipe yet).
    Zstd,
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
    /// The source is not what it claims, or breaks its format's rules.
    #[error("{source_name}: {message}")]
    Malformed {
        /// The source, as the user named it.
        source_name: String,
        /// What is wrong, naming the file or digest.
        message: String,
    },
}
