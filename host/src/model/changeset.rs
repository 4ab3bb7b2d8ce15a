//! How one layer changes the file system below it (unpacking), as the
//! tar-assembly component decides it from the layer's members.

use wasmtime::component::{ComponentType, Lift, Lower};

/// The type of a member of a layer tar, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
pub enum MemberKind {
    /// A regular file (`0`, NUL, `7`).
    #[component(name = "regular")]
    Regular,
    /// A directory (`5`).
    #[component(name = "directory")]
    Directory,
    /// A symbolic link (`2`).
    #[component(name = "symlink")]
    Symlink,
    /// A hard link to an earlier member (`1`).
    #[component(name = "hard-link")]
    HardLink,
    /// A character device (`3`).
    #[component(name = "char-device")]
    CharDevice,
    /// A block device (`4`).
    #[component(name = "block-device")]
    BlockDevice,
    /// A named pipe (`6`).
    #[component(name = "fifo")]
    Fifo,
    /// A PAX global header (`g`).
    #[component(name = "pax-global")]
    PaxGlobal,
    /// Any other type.
    #[component(name = "other")]
    Other,
}

/// A member of a layer tar.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Member {
    /// The name, exactly as in the tar.
    pub path: Vec<u8>,
    /// The type.
    pub kind: MemberKind,
}

/// One change to the file system below a layer.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum Change {
    /// Remove what lower layers put at this path.
    #[component(name = "remove")]
    Remove(Vec<u8>),
    /// Remove what lower layers put inside this directory, keeping it.
    #[component(name = "clear-directory")]
    ClearDirectory(Vec<u8>),
    /// Create the member with this index, replacing what is at its path (a
    /// directory over a directory keeps what it holds).
    #[component(name = "apply")]
    Apply(u32),
}
