//! Layer entries and the plans components return for byte streams.

use wasmtime::component::{ComponentType, Lift, Lower};

use super::Digest;

/// The type of a file-system entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
pub enum EntryKind {
    /// Regular file.
    #[component(name = "regular")]
    Regular,
    /// Directory.
    #[component(name = "directory")]
    Directory,
    /// Symbolic link.
    #[component(name = "symlink")]
    Symlink,
    /// Character device.
    #[component(name = "char-device")]
    CharDevice,
    /// Block device.
    #[component(name = "block-device")]
    BlockDevice,
    /// Named pipe.
    #[component(name = "fifo")]
    Fifo,
}

/// One entry of a directory tree as found on disk.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Entry {
    /// Path relative to the layer root, `/`-separated.
    pub path: String,
    /// Entry type.
    pub kind: EntryKind,
    /// Permission bits incl. setuid/setgid/sticky.
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Size of a regular file.
    pub size: u64,
    /// Symlink target.
    #[component(name = "link-target")]
    pub link_target: Option<String>,
    /// Hard-link group (same device and inode).
    #[component(name = "link-group")]
    pub link_group: Option<u64>,
    /// Device major number.
    #[component(name = "device-major")]
    pub device_major: u32,
    /// Device minor number.
    #[component(name = "device-minor")]
    pub device_minor: u32,
    /// Extended attributes, sorted by name.
    pub xattrs: Vec<(String, Vec<u8>)>,
}

/// How layer headers are normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct LayerOptions {
    /// Modification time of every entry, seconds since the epoch.
    pub mtime: i64,
    /// Keep uid/gid from disk.
    #[component(name = "keep-owner")]
    pub keep_owner: bool,
}

/// A file's contents, by the path the host gave in an [`Entry`] (WIT
/// `file-ref`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct FileRef {
    /// The entry's path, exactly as given.
    pub path: String,
    /// Exactly this many bytes are streamed.
    pub size: u64,
}

/// A blob the host holds, by digest and size (WIT `blob-ref`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct BlobRef {
    /// The blob's digest.
    pub digest: Digest,
    /// Exactly this many bytes are streamed.
    pub size: u64,
}

/// One piece of an output stream in a plan (WIT `segment`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum Segment {
    /// Bytes the component produced.
    #[component(name = "bytes")]
    Bytes(Vec<u8>),
    /// The contents of an input file, by the path given in an entry.
    #[component(name = "file")]
    File(FileRef),
    /// A blob the host holds, by digest.
    #[component(name = "blob")]
    Blob(BlobRef),
}

impl Segment {
    /// How many bytes this segment puts in the stream.
    pub fn len(&self) -> u64 {
        match self {
            Segment::Bytes(b) => b.len() as u64,
            Segment::File(FileRef { size, .. }) | Segment::Blob(BlobRef { size, .. }) => *size,
        }
    }

    /// Whether the segment adds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
