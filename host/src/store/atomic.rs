//! Outputs written atomically: a temporary file beside the target, renamed
//! over it only when complete, so a failure never leaves half a file.

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

    /// Syncs the data and renames the file to `target`.
    pub fn commit(self, target: &Path) -> io::Result<()> {
        self.tmp.as_file().sync_data()?;
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
