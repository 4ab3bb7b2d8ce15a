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
    /// An empty temporary file in the system's temporary directory, to
    /// [`Self::write`] into.
    pub fn new() -> io::Result<Self> {
        let (file, registered) = cleanup::create(
            || {
                tempfile::Builder::new()
                    .prefix(".ocipipe-spool-")
                    .tempfile()
            },
            |file| file.path(),
        )?;
        Ok(Self {
            file,
            size: 0,
            _registered: registered,
        })
    }

    /// Copies all of `input` into a new temporary file, in large writes
    /// (a reader that gives little at a time would otherwise make a write
    /// of each piece).
    pub fn copy(input: &mut dyn Read) -> io::Result<Self> {
        use std::io::Write;
        let mut spooled = Self::new()?;
        let mut out = io::BufWriter::with_capacity(1 << 20, spooled.file.as_file_mut());
        spooled.size = io::copy(input, &mut out)?;
        out.flush()?;
        drop(out);
        Ok(spooled)
    }

    /// Appends `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        use std::io::Write;
        self.file.as_file_mut().write_all(bytes)?;
        self.size += bytes.len() as u64;
        Ok(())
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

/// `None` when `path` can be read twice as it is; otherwise (a FIFO, a
/// device) a spooled copy of it, to read instead.
pub fn copy_unless_rereadable(path: &Path) -> io::Result<Option<Spooled>> {
    if is_rereadable(path) {
        return Ok(None);
    }
    Spooled::copy(&mut std::fs::File::open(path)?).map(Some)
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
