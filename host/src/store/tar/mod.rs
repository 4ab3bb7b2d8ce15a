//! What reading tars needs in both the archive reader and unpacking: the
//! block size, the compression a stream announces, which read errors mean
//! "cut short", a member's kind from its header, and (in [`name`]) the one
//! safe-name rule every tar name and every planned path goes through.
//!
//! Must not: open files, write anything, or decide what a member means for
//! an image (whiteouts and the like are the tar-assembly component's).

pub mod name;

use std::io;

use crate::model::MemberKind;

/// A tar block, in bytes: headers and data are padded to it.
pub const BLOCK: u64 = 512;

/// The compression a stream's first bytes announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (one or more members).
    Gzip,
    /// zstd (one or more frames).
    Zstd,
    /// Recognised but unsupported: the name of the format.
    Unsupported(&'static str),
}

/// The compression announced by up to the first four bytes of a stream.
pub fn sniff(prefix: &[u8]) -> Compression {
    if prefix.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else if prefix.starts_with(b"BZh") {
        Compression::Unsupported("bzip2")
    } else if prefix.starts_with(&[0xfd, b'7', b'z', b'X']) {
        Compression::Unsupported("xz")
    } else {
        Compression::None
    }
}

/// Reads up to `buf.len()` bytes (the few a [`sniff`] needs), fewer only
/// at the end of the stream.
pub fn read_prefix(reader: &mut dyn io::Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Why a stream whose first header cannot be read is not a tar, in words
/// of our own: the tar reader's can quote the raw bytes.
pub fn not_a_tar_reason(error: &io::Error) -> &'static str {
    if is_truncation(error) {
        "it ends before its first 512-byte header is complete"
    } else {
        "its first 512 bytes are not a tar header"
    }
}

/// Whether a tar or gzip read error means the stream ended early. The tar
/// crate reports a cut header or a cut skip as `Other` errors.
pub fn is_truncation(error: &io::Error) -> bool {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        return true;
    }
    let message = error.to_string();
    [
        "failed to read entire block",
        "unexpected EOF during skip",
        "members found describing a future member but no future member found",
    ]
    .iter()
    .any(|known| message.contains(known))
}

/// The kind of a member, from its header's type byte.
pub fn member_kind(header: &tar::Header) -> MemberKind {
    match header.entry_type().as_byte() {
        b'0' | b'\0' | b'7' => MemberKind::Regular,
        b'5' => MemberKind::Directory,
        b'2' => MemberKind::Symlink,
        b'1' => MemberKind::HardLink,
        b'3' => MemberKind::CharDevice,
        b'4' => MemberKind::BlockDevice,
        b'6' => MemberKind::Fifo,
        b'g' => MemberKind::PaxGlobal,
        _ => MemberKind::Other,
    }
}
