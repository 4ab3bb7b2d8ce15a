//! The system calls std does not wrap: `mknod(3)`, for FIFOs and device
//! nodes, and the device-number encoding it takes.
//!
//! Must not: decide whether a node may be made (the applier checks that
//! devices are allowed) or follow a symlink (the path's parents are
//! resolved before it gets here).

use std::io;
use std::path::Path;

/// `S_IFIFO`.
pub const S_IFIFO: u32 = 0o010000;
/// `S_IFCHR`.
pub const S_IFCHR: u32 = 0o020000;
/// `S_IFBLK`.
pub const S_IFBLK: u32 = 0o060000;

/// Creates a node of `mode` (type and permission bits) at `path`.
#[cfg(target_os = "linux")]
pub fn make_node(path: &Path, mode: u32, dev: u64) -> io::Result<()> {
    use std::ffi::{CString, c_char, c_int};
    use std::os::unix::ffi::OsStrExt;

    unsafe extern "C" {
        // Exported by glibc (2.33 and later) and musl; on Linux `mode_t`
        // is 32 bits and `dev_t` 64.
        fn mknod(path: *const c_char, mode: u32, dev: u64) -> c_int;
    }

    let path = CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: `path` is a NUL-terminated string that lives through the
    // call; mknod only reads it.
    if unsafe { mknod(path.as_ptr(), mode, dev) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Creates a node: not supported off Linux.
#[cfg(not(target_os = "linux"))]
pub fn make_node(_path: &Path, _mode: u32, _dev: u64) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "device nodes and FIFOs are only created on Linux",
    ))
}

/// A device number from its major and minor parts (glibc's encoding).
pub fn makedev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (u64::from(major), u64::from(minor));
    ((major & 0xffff_f000) << 32)
        | ((major & 0x0000_0fff) << 8)
        | ((minor & 0xffff_ff00) << 12)
        | (minor & 0x0000_00ff)
}
