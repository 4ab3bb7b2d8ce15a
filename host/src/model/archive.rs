//! Image archives and OCI layouts, as the tar-assembly component plans them.

use super::{Descriptor, Digest, Document, Segment};

/// What an archive holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// `docker load` layout and OCI image layout in one tar.
    DockerAndOci,
    /// An OCI image layout in one tar, no `docker load` layout (what the
    /// engine cannot load, e.g. a managed plugin).
    OciArchive,
    /// `docker load` layout only; blob names do not depend on digests.
    Docker,
    /// An OCI image layout directory: blobs are files named by digest.
    OciLayout,
}

/// A layer of an image in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLayer {
    /// The layer tar's descriptor.
    pub descriptor: Descriptor,
    /// The engine already has it: write a zero-length placeholder.
    pub omitted: bool,
}

/// One image of an archive or layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveImage {
    /// The image config.
    pub config: Document,
    /// The OCI image manifest.
    pub manifest: Document,
    /// The layers, in order.
    pub layers: Vec<ArchiveLayer>,
    /// Names to tag the image with on load.
    pub repo_tags: Vec<String>,
}

/// The head of a blob entry the host writes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHead {
    /// Path in the archive.
    pub path: String,
    /// Header bytes before the blob.
    pub header: Vec<u8>,
    /// Zero bytes after the blob.
    pub padding: u32,
}

/// Where a blob goes, as the tar-assembly component placed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobPlacement {
    /// Write it under this head.
    Write(BlobHead),
    /// A blob with this digest is already written, at this path: write
    /// nothing (drop what was written when the digest was found by writing).
    Stored(String),
}

/// A blob the host already wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenBlob {
    /// Its digest.
    pub digest: Digest,
    /// Its path in the archive.
    pub path: String,
}

/// A file of an OCI image layout directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutFile {
    /// Path relative to the layout root.
    pub path: String,
    /// Its contents.
    pub contents: Vec<Segment>,
}
