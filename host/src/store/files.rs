//! The files a command reads and writes besides images: inputs opened,
//! temporary directories, directories staged beside their target and
//! renamed into place, files written whole or not at all, and files
//! hashed. `pipeline` asks for these here and touches no file itself, so
//! that every temporary path is registered with [`super::cleanup`] and
//! every output appears whole or not at all in one place.
//!
//! Must not: decide what a file holds (that is the caller's, or a
//! component's).

use super::atomic::{self, AtomicFile, Target};
use super::cleanup::{self, Registered};
use crate::model::Digest;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What is at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nothing.
    Absent,
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// Anything else (a device, a FIFO, a socket; a symbolic link when
    /// links are not followed).
    Other,
}

/// What is at `path`, following symbolic links when `follow`.
pub fn kind(path: &Path, follow: bool) -> io::Result<Kind> {
    let meta = match follow {
        true => std::fs::metadata(path),
        false => std::fs::symlink_metadata(path),
    };
    Ok(match meta {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Kind::Absent,
        Err(e) => return Err(e),
        Ok(m) if m.is_file() => Kind::File,
        Ok(m) if m.is_dir() => Kind::Dir,
        Ok(_) => Kind::Other,
    })
}

/// Opens the input `path` for reading (a file, a FIFO, a device);
/// refuses a directory, saying it is not `expected`.
pub fn open_input(path: &Path, expected: &str) -> io::Result<File> {
    let file = File::open(path)?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(io::Error::other(format!(
            "it is a directory, not {expected}"
        )));
    }
    Ok(file)
}

/// Creates (or empties) the file `path` in a directory being staged.
pub fn create(path: &Path) -> io::Result<File> {
    File::create(path)
}

/// Where an input named `path` on the command line is read, and how
/// errors name it: `-` is standard input.
pub fn input(path: &Path) -> (&Path, String) {
    if path == Path::new("-") {
        (Path::new("/dev/stdin"), "standard input".to_string())
    } else {
        (path, path.display().to_string())
    }
}

/// The bytes of the file at `path`, unless it holds more than `limit`
/// (`None`): no more than `limit + 1` bytes are read.
pub fn read_at_most(path: &Path, limit: u64) -> io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    File::open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// The sha256 digest and size of the file at `path`.
pub fn hash_file(path: &Path) -> io::Result<(Digest, u64)> {
    crate::hashing::digest_of(&mut File::open(path)?)
}

/// A private temporary directory, removed when dropped or when the
/// process is interrupted.
pub struct Scratch {
    dir: tempfile::TempDir,
    _registered: Registered,
}

impl Scratch {
    /// A new one in the system's temporary directory, its name starting
    /// with `prefix`.
    pub fn new(prefix: &str) -> io::Result<Self> {
        Self::made(|| tempfile::Builder::new().prefix(prefix).tempdir())
    }

    /// A new hidden one in the directory `target` lives in (so that it can
    /// be renamed to `target`), its name starting with `prefix`.
    pub fn beside(target: &Path, prefix: &str) -> io::Result<Self> {
        Self::made(|| {
            tempfile::Builder::new()
                .prefix(prefix)
                .tempdir_in(atomic::parent_dir(target))
        })
    }

    fn made(make: impl FnOnce() -> io::Result<tempfile::TempDir>) -> io::Result<Self> {
        let (dir, registered) = cleanup::create(make, |d| d.path())?;
        Ok(Self {
            dir,
            _registered: registered,
        })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Leaves it in place (it was renamed to an output): its path, no
    /// longer removed.
    pub fn keep(self) -> PathBuf {
        self.dir.keep()
    }
}

/// A new directory output (`artifact pull -o DIR`) filled in a hidden
/// directory beside it, then renamed into place: it appears whole or not
/// at all.
pub struct StagedDir {
    target: PathBuf,
    staging: Scratch,
}

impl StagedDir {
    /// Starts filling `target`: absent or an empty directory, or a
    /// symbolic link to one (the link stays; the directory it names is
    /// filled, as `-o` follows a link to a regular file).
    pub fn new(target: &Path) -> io::Result<Self> {
        let target = dir_target(target)?;
        atomic::check_new_dir(&target)?;
        let staging = Scratch::beside(&target, ".ocipipe-pull-")?;
        Ok(Self { target, staging })
    }

    /// Where its files go until [`Self::commit`].
    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// Renames the filled directory to the target (replacing an empty
    /// one); on failure the staged files are removed.
    pub fn commit(self) -> io::Result<()> {
        if self.target.exists() {
            std::fs::remove_dir(&self.target)?;
        }
        let Self { target, staging } = self;
        let staged = staging.keep();
        std::fs::rename(&staged, &target).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&staged);
        })
    }
}

/// The directory a directory output fills: `dir`, or the directory it
/// names when it is a symbolic link to one. Refused: a link to nothing,
/// and anything that is not a directory.
fn dir_target(dir: &Path) -> io::Result<PathBuf> {
    let refuse = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    match kind(dir, false)? {
        Kind::Absent | Kind::Dir => return Ok(dir.to_path_buf()),
        Kind::File => return Err(refuse("it exists and is not a directory".to_string())),
        Kind::Other => {}
    }
    if !std::fs::symlink_metadata(dir)?.file_type().is_symlink() {
        return Err(refuse("it exists and is not a directory".to_string()));
    }
    let to = std::fs::read_link(dir)?;
    match kind(dir, true)? {
        Kind::Dir => std::fs::canonicalize(dir),
        Kind::Absent => Err(refuse(format!(
            "it is a symbolic link to {}, which does not exist (create that directory, \
             or remove the link)",
            to.display()
        ))),
        Kind::File | Kind::Other => Err(refuse(format!(
            "it is a symbolic link to {}, which is not a directory",
            to.display()
        ))),
    }
}

/// A file written in place of `path` by [`Self::write`] callers, then
/// committed: beside it and renamed over it when it is a regular file
/// (or absent), straight into it when it is a device, a FIFO or a
/// descriptor of this process.
pub struct Output {
    path: PathBuf,
    out: OutputFile,
}

enum OutputFile {
    Atomic(AtomicFile),
    Direct(File),
}

impl Output {
    /// Starts writing `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        let out = match Target::resolve(path)? {
            Target::Replace(resolved) => {
                return Ok(Self {
                    out: OutputFile::Atomic(AtomicFile::create(&resolved)?),
                    path: resolved,
                });
            }
            Target::Into(file) => OutputFile::Direct(file),
        };
        Ok(Self {
            path: path.to_path_buf(),
            out,
        })
    }

    /// Makes what was written final.
    pub fn commit(self) -> io::Result<()> {
        match self.out {
            OutputFile::Atomic(file) => file.commit(&self.path),
            OutputFile::Direct(mut file) => file.flush(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.out {
            OutputFile::Atomic(file) => file.file().write(buf),
            OutputFile::Direct(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            OutputFile::Atomic(file) => file.file().flush(),
            OutputFile::Direct(file) => file.flush(),
        }
    }
}

/// A new entry `path` of a cache directory (the directory created if
/// missing), only its owner's: written under a temporary name beside it,
/// renamed once whole.
pub fn cache_entry(path: &Path) -> io::Result<AtomicFile> {
    std::fs::create_dir_all(atomic::parent_dir(path))?;
    AtomicFile::with_mode(path, 0o600)
}

#[cfg(test)]
mod tests;
