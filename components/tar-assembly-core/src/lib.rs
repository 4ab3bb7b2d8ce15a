//! The decisions of the `tar-assembly` operation, as plans: pure functions
//! with no I/O, no clock and no randomness, so the same input always gives
//! the same bytes.
//!
//! A plan is a list of [`Segment`]s: bytes this crate produced (tar headers,
//! padding, small JSON documents) and references to big contents the host
//! streams itself (a file of the layer directory, a blob by digest). The host
//! writes the segments in order; nothing else goes between them.
//!
//! - [`plan_layer`]: the tar stream of one layer from the entries of a
//!   directory, sorted and normalised (see [`layer`]).
//! - [`blob_entry`], [`plan_archive`]: an image archive that `docker load`
//!   reads, optionally also an OCI image layout (see [`archive`]).
//! - [`plan_layout`]: the files of an OCI image layout directory.
//!
//! Tar headers are written the way Go's `archive/tar` writes them (the
//! library the Docker Engine, containerd and most registry tools read and
//! write archives with): ustar when every field fits, otherwise a PAX
//! extended header first (see [`header`]).

use std::fmt;

pub mod archive;
pub mod header;
pub mod layer;
mod plan;

pub use archive::{
    ArchiveFormat, ArchiveImage, ArchiveLayer, BlobHead, Descriptor, Document, LayoutFile,
    Platform, WrittenBlob, blob_entry, plan_archive, plan_layout,
};
pub use layer::{Entry, EntryKind, LayerOptions, plan_layer};

/// One piece of an output stream; a plan is a list of these, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Bytes produced here: tar headers, padding, small documents. Two
    /// `Bytes` segments are never adjacent in a plan: they are coalesced.
    Bytes(Vec<u8>),
    /// The contents of the layer entry at `path` (exactly as given), exactly
    /// `size` bytes, streamed by the host.
    File { path: String, size: u64 },
    /// The blob `digest`, exactly `size` bytes, streamed by the host.
    Blob { digest: String, size: u64 },
}

/// Why an input was refused. Every message names the offending path, digest
/// or image, so a person can act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An argument is malformed or inconsistent.
    InvalidInput(String),
    /// The input is well formed but asks for something tar (as Go and GNU tar
    /// read it) cannot express, e.g. a device number beyond 7 octal digits.
    Unsupported(String),
    /// A PAX extended header would exceed 1 MiB, the most Go's `archive/tar`
    /// reads.
    TooLarge(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Error::Unsupported(m) => write!(f, "unsupported: {m}"),
            Error::TooLarge(m) => write!(f, "too large: {m}"),
        }
    }
}

impl std::error::Error for Error {}

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidInput(message.into())
}
