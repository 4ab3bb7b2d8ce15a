//! Inputs that must be read more than once but can only be read once
//! (stdin, a FIFO such as `--layer <(tar -c …)`) are spooled into a
//! temporary file first, so they get exactly the checks a file gets. The
//! copy is removed when dropped, or on an interrupt.

use super::cleanup::{self, Registered};
use std::io::{self, Read};
use std::path::Path;

/// A temporary copy of an input.
pub struct Spooled {
    file: tempfile::NamedTempFile,
    size: u64,
    _registered: Registered,
}

impl Spooled {
    /// Copies all of `input` into a temporary file in the system's
    /// temporary directory.
    pub fn copy(input: &mut dyn Read) -> io::Result<Self> {
        let mut file = tempfile::Builder::new()
            .prefix(".ocipipe-spool-")
            .tempfile()?;
        let registered = cleanup::register(file.path());
        let size = io::copy(input, file.as_file_mut())?;
        Ok(Self {
            file,
            size,
            _registered: registered,
        })
    }

    /// Where the copy is.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// How many bytes were copied.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// Whether `path` can be read twice: a regular file (symlinks followed).
pub fn is_rereadable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spooled_copy_holds_the_input_and_goes_away() {
        let mut input: &[u8] = b"what came on stdin";
        let spooled = Spooled::copy(&mut input).unwrap();
        assert_eq!(spooled.size(), 18);
        let path = spooled.path().to_path_buf();
        assert_eq!(std::fs::read(&path).unwrap(), b"what came on stdin");
        assert!(is_rereadable(&path));
        assert!(!is_rereadable(Path::new("/dev/null")));
        drop(spooled);
        assert!(!path.exists());
    }
}
