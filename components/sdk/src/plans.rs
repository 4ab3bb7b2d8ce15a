//! The Rust types of the WIT interface `ocipipe:image/plans`: an output as
//! a list of segments, where big contents are named, never carried.
//!
//! Owns: the shape of these types (a component's `generate!` uses them with
//! `with: { "ocipipe:image/plans@0.3.0": ocipipe_sdk::plans }`). Must not: hold
//! anything but these types.

use crate::types::Digest;

/// A file's contents, by the path the host gave for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    /// The path, exactly as the host gave it.
    pub path: String,
    /// Exactly this many bytes are streamed.
    pub size: u64,
}

/// A blob the host holds, by digest and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    /// The blob's digest.
    pub digest: Digest,
    /// Exactly this many bytes are streamed.
    pub size: u64,
}

/// One piece of an output stream; a plan is a list of these, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Bytes the component produced: headers, padding, small documents.
    Bytes(Vec<u8>),
    /// The contents of an input file, streamed by the host.
    File(FileRef),
    /// A blob streamed by the host.
    Blob(BlobRef),
}
