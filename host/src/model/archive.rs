//! Image archives, as the tar-assembly component plans them.

use wasmtime::component::{ComponentType, Lift, Lower};

use super::{Descriptor, Digest, Document};

/// What an archive holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
pub enum ArchiveFormat {
    /// `docker load` layout and OCI image layout in one tar.
    #[component(name = "docker-and-oci")]
    DockerAndOci,
    /// An OCI image layout in one tar, no `docker load` layout (what the
    /// engine cannot load, e.g. a managed plugin).
    #[component(name = "oci-archive")]
    OciArchive,
    /// `docker load` layout only; blob names do not depend on digests.
    #[component(name = "docker")]
    Docker,
}

/// How an engine keeps its images (WIT `image-store`; its cases in the
/// WIT's order): whether an incremental load may leave layers out, the
/// tar-assembly component decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
pub enum ImageStore {
    /// The classic graph-driver store.
    #[component(name = "graph-driver")]
    GraphDriver,
    /// containerd's image store (Engine 24+ with the snapshotter).
    #[component(name = "containerd")]
    Containerd,
}

/// A layer of an image in an archive.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ArchiveLayer {
    /// The layer tar's descriptor.
    pub descriptor: Descriptor,
    /// The engine already has it: write a zero-length placeholder.
    pub omitted: bool,
}

/// One image of an archive or layout.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ArchiveImage {
    /// The image config.
    pub config: Document,
    /// The OCI image manifest.
    pub manifest: Document,
    /// The layers, in order.
    pub layers: Vec<ArchiveLayer>,
    /// Names to tag the image with on load.
    #[component(name = "repo-tags")]
    pub repo_tags: Vec<String>,
}

/// The head of a blob entry the host writes itself.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct BlobHead {
    /// Path in the archive.
    pub path: String,
    /// Header bytes before the blob.
    pub header: Vec<u8>,
    /// Zero bytes after the blob.
    pub padding: u32,
}

/// Where a blob goes, as the tar-assembly component placed it.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum BlobPlacement {
    /// Write it under this head.
    #[component(name = "write")]
    Write(BlobHead),
    /// A blob with this digest is already written, at this path: write
    /// nothing (drop what was written when the digest was found by writing).
    #[component(name = "stored")]
    Stored(String),
}

/// A blob the host already wrote.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct WrittenBlob {
    /// Its digest.
    pub digest: Digest,
    /// Its path in the archive.
    pub path: String,
}
