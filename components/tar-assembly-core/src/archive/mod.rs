//! Where the images of an output go: a tar archive that `docker load` reads
//! (optionally also an OCI image layout in the same tar), or an OCI image
//! layout alone in a tar (`oci-archive:`). An OCI image layout directory is
//! not planned here: manifest-generation's `layout_index` decides its
//! `index.json`.
//!
//! # Blobs the host writes itself
//! Blob names in the `DockerAndOci` and `OciArchive` formats depend on
//! digests, which the host knows only after streaming. So the host writes
//! blob entries itself, ahead of everything else, where [`blob_entry`]
//! places them: each as `head.header`, the blob's bytes, then
//! `head.padding` zero bytes; then it writes the plan of [`plan_archive`],
//! telling it which blobs it wrote.
//!
//! | format         | blob path (`blob_entry`)                                           | head           |
//! |----------------|--------------------------------------------------------------------|----------------|
//! | `DockerAndOci`, `OciArchive` | `blobs/sha256/<hex>`; without a digest `blobs/sha256/` + 64 `0` | tar header |
//! | `Docker`       | `layer-<ordinal>.tar` (a digest, if given, only for the check)     | tar header     |
//!
//! An output holds each blob once: a digest already among the `written`
//! blobs is placed as [`BlobPlacement::Stored`] at the path it was written
//! at, and the host writes nothing (or, when it only learnt the digest by
//! writing under a placeholder, drops what it wrote).
//!
//! The head of a placeholder has exactly the length of the head for any
//! real digest (one 512-byte block below 8 GiB, three blocks with a PAX
//! `size` record from 8 GiB), so a seekable output can write the
//! placeholder and overwrite it in place once the digest is known.
//!
//! # `plan_archive`, `DockerAndOci`
//! 1. Directory entries `blobs/` and `blobs/sha256/`. They are always the
//!    first entries of the plan: when the host wrote blob entries before it,
//!    those come before the directories. Tar readers (GNU tar, Go's
//!    `archive/tar`, the engine's loader, skopeo, umoci) accept a directory
//!    entry after entries inside it; extraction then sets the directory's
//!    mode 0755 last. Putting them in the first blob head instead would make
//!    the head of the first blob differ from every other and tie
//!    `plan_archive` to the order the host wrote blobs in.
//! 2. Every blob not in `written`, once, in this order: for each image,
//!    its config, its layers in order, its manifest (the first image that
//!    names a digest decides where it goes). Configs and manifests are
//!    `Bytes`; layers are `Bytes(header) Blob(digest, size) Bytes(padding)`.
//! 3. `oci-layout`: `{"imageLayoutVersion":"1.0.0"}`.
//! 4. `index.json` (see [`documents`]).
//! 5. `manifest.json` (see [`documents`]), blobs at `blobs/sha256/<hex>`.
//! 6. Two zero blocks.
//!
//! # `plan_archive`, `Docker`
//! Per image: the config at `<config-hex>.json` (once per config), then its
//! layers not yet in the archive: a layer the host wrote keeps the path it
//! was written at; any other stored layer gets `layer-<n>.tar` with `n` the
//! smallest ordinal no written or earlier planned layer uses, as a
//! `Blob` segment; a layer that is `omitted` in every image that has it
//! gets a zero-length entry `blank-<k>.tar` (`k` counts such layers from 0;
//! the name echoes imgutil's `blank_<n>`). Then `manifest.json` with these
//! paths, and two zero blocks.
//!
//! # Entries
//! ustar headers (PAX only for a blob of 8 GiB or more), mode 0644 for files
//! and 0755 for directories, uid/gid 0, mtime 0, empty uname/gname. JSON is
//! compact, keys in a fixed order, no trailing newline.
//!
//! # Validation (`InvalidInput`)
//! See [`catalog`]: digests (sha256), document sizes, manifests naming their config and layers, one
//! size per digest, repo tags; `omitted` only in the `Docker` format; a
//! written blob is a blob of the output (a layer in the `Docker` format),
//! written once, at the path `blob_entry` gives for it.

mod blob;
mod catalog;
mod docker;
mod docker_and_oci;
pub mod documents;
mod incremental;

use crate::{Document, Error, Segment};

pub use blob::blob_entry;
pub use incremental::{ImageStore, layers_to_omit, omits_layers};

pub use crate::wit::exports::ocipipe::image::archives::ArchiveFormat;

/// A layer of an image in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLayer {
    /// The (uncompressed) layer tar: its digest is the diff ID.
    pub descriptor: crate::Descriptor,
    /// The engine already has it: a zero-length entry (`Docker` only).
    pub omitted: bool,
}

/// One image to put in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveImage {
    /// The image config.
    pub config: Document,
    /// The OCI image manifest naming the config and layers.
    pub manifest: Document,
    /// The layers, in order.
    pub layers: Vec<ArchiveLayer>,
    /// Normalised names with a tag, e.g. `docker.io/library/ubuntu:24.04`.
    pub repo_tags: Vec<String>,
}

/// The head of a blob entry the host writes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHead {
    /// Path in the archive.
    pub path: String,
    /// Tar header block(s) before the blob's bytes.
    pub header: Vec<u8>,
    /// Zero bytes after the blob's bytes.
    pub padding: u32,
}

/// Where a blob goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobPlacement {
    /// Write it under this head.
    Write(BlobHead),
    /// A blob with this digest is already written at this path: write
    /// nothing.
    Stored(String),
}

/// A blob the host already wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenBlob {
    /// The blob's digest.
    pub digest: String,
    /// Where it was written: the path its head named.
    pub path: String,
}

/// Every entry of the archive except the `written` blobs, then the
/// end-of-archive blocks (see the module documentation).
pub fn plan_archive(
    format: ArchiveFormat,
    images: &[ArchiveImage],
    written: &[WrittenBlob],
) -> Result<Vec<Segment>, Error> {
    match format {
        ArchiveFormat::DockerAndOci => docker_and_oci::plan(images, written, true),
        ArchiveFormat::OciArchive => docker_and_oci::plan(images, written, false),
        ArchiveFormat::Docker => docker::plan(images, written),
    }
}
