//! How one layer changes the file system below it (unpacking), as the
//! tar-assembly component decides it from the layer's members.

/// The type of a member of a layer tar, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// A regular file (`0`, NUL, `7`).
    Regular,
    /// A directory (`5`).
    Directory,
    /// A symbolic link (`2`).
    Symlink,
    /// A hard link to an earlier member (`1`).
    HardLink,
    /// A character device (`3`).
    CharDevice,
    /// A block device (`4`).
    BlockDevice,
    /// A named pipe (`6`).
    Fifo,
    /// A PAX global header (`g`).
    PaxGlobal,
    /// Any other type.
    Other,
}

/// A member of a layer tar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The name, exactly as in the tar.
    pub path: Vec<u8>,
    /// The type.
    pub kind: MemberKind,
}

/// One change to the file system below a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Remove what lower layers put at this path.
    Remove(Vec<u8>),
    /// Remove what lower layers put inside this directory, keeping it.
    ClearDirectory(Vec<u8>),
    /// Create the member with this index, replacing what is at its path (a
    /// directory over a directory keeps what it holds).
    Apply(u32),
}
