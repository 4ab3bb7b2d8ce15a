//! Outputs written atomically: a temporary file beside the target, renamed
//! over it only when complete, so a failure never leaves half a file.
//! Like `cp`, `tar` and `docker save`, nothing is fsynced: that would cost
//! about 0.4 s per GiB here and only matters for a power cut.

use std::io;
use std::path::Path;

/// A file being written in place of `target`.
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
}

impl AtomicFile {
    /// Starts writing `target`: a hidden temporary file in its directory
    /// (removed again if this is dropped before [`Self::commit`]).
    pub fn create(target: &Path) -> io::Result<Self> {
        let tmp = tempfile::Builder::new()
            .prefix(".ocipipe-")
            .tempfile_in(parent_dir(target))?;
        Ok(Self { tmp })
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut std::fs::File {
        self.tmp.as_file_mut()
    }

    /// Renames the complete file to `target`.
    pub fn commit(self, target: &Path) -> io::Result<()> {
        self.tmp.persist(target).map_err(|e| e.error)?;
        Ok(())
    }
}

/// The directory a relative or absolute path lives in (`.` for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
