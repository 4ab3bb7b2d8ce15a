//! Outputs written atomically: a temporary file beside the target, renamed
//! over it only when complete, so a failure never leaves half a file.
//! Like `cp`, `tar` and `docker save`, nothing is fsynced: that would cost
//! about 0.4 s per GiB here and only matters for a power cut.
//!
//! Only a regular file is ever replaced. A target that is something else —
//! a device such as `/dev/null`, a FIFO, a terminal, or a symlink to one —
//! is written into directly, as `cp` and `tar` do ([`Target`]); a symlink
//! to a regular file is followed and the file it names is replaced. A new
//! file gets `0666` less the umask; a replaced one keeps its mode.

use super::cleanup::{self, Registered};
use std::fs::{File, Permissions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Symlinks followed at most when resolving a target.
const MAX_LINKS: usize = 40;

/// Where an output named on the command line goes.
#[derive(Debug)]
pub enum Target {
    /// A regular file, existing or not, at this path (symlinks resolved):
    /// written beside it and renamed over it.
    Replace(PathBuf),
    /// Not a regular file (a device, a FIFO, a socket's peer, a terminal):
    /// opened and written into directly; nothing is renamed.
    Into(File),
}

impl Target {
    /// Resolves `path`: follows symlinks to what they name, refuses a
    /// directory, opens anything that is not a regular file for writing.
    pub fn resolve(path: &Path) -> io::Result<Self> {
        let mut path = path.to_path_buf();
        for _ in 0..MAX_LINKS {
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::Replace(path)),
                Err(e) => return Err(e),
            };
            let kind = meta.file_type();
            if kind.is_symlink() {
                let link = std::fs::read_link(&path)?;
                path = parent_dir(&path).join(link);
            } else if kind.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a directory; name a file",
                ));
            } else if kind.is_file() {
                return Ok(Self::Replace(path));
            } else {
                let file = std::fs::OpenOptions::new().write(true).open(&path)?;
                return Ok(Self::Into(file));
            }
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "too many levels of symbolic links",
        ))
    }
}

/// A file being written in place of `target`.
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    /// The mode the finished file gets.
    mode: u32,
    _registered: Registered,
}

impl AtomicFile {
    /// Starts writing `target`: a hidden temporary file in its directory,
    /// removed again if this is dropped before [`Self::commit`] or the
    /// process is interrupted.
    pub fn create(target: &Path) -> io::Result<Self> {
        let mode = match std::fs::metadata(target) {
            Ok(meta) => meta.permissions().mode() & 0o7777,
            Err(_) => 0o666 & !umask(),
        };
        let (tmp, registered) = cleanup::create(
            || {
                tempfile::Builder::new()
                    .prefix(".ocipipe-")
                    .tempfile_in(parent_dir(target))
            },
            |tmp| tmp.path(),
        )?;
        Ok(Self {
            tmp,
            mode,
            _registered: registered,
        })
    }

    /// [`Self::create`], the finished file getting `mode` whatever the
    /// target's is (0600 for a file of secrets).
    pub fn with_mode(target: &Path, mode: u32) -> io::Result<Self> {
        let mut file = Self::create(target)?;
        file.mode = mode;
        Ok(file)
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// Gives the complete file its mode and renames it to `target`.
    pub fn commit(self, target: &Path) -> io::Result<()> {
        self.tmp
            .as_file()
            .set_permissions(Permissions::from_mode(self.mode))?;
        self.tmp.persist(target).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Fails unless `target` is absent or an empty directory: a directory
/// output (a layout, a pull) never mixes with what was there.
pub fn check_new_dir(target: &Path) -> io::Result<()> {
    if target.exists() && std::fs::read_dir(target)?.next().is_some() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the directory exists and is not empty",
        ));
    }
    Ok(())
}

/// The directory a relative or absolute path lives in (`.` for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The process's umask, read without changing it (`umask(2)` can only be
/// read by setting it, which races with other threads creating files).
pub fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let value = line.strip_prefix("Umask:")?.trim();
                u32::from_str_radix(value, 8).ok()
            })
        })
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_new_file_gets_the_umask_and_a_replaced_one_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new");
        let mut out = AtomicFile::create(&new).unwrap();
        out.file().write_all(b"x").unwrap();
        out.commit(&new).unwrap();
        let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask());
        std::fs::set_permissions(&new, Permissions::from_mode(0o640)).unwrap();
        let mut out = AtomicFile::create(&new).unwrap();
        out.file().write_all(b"y").unwrap();
        out.commit(&new).unwrap();
        let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(std::fs::read(&new).unwrap(), b"y");
    }

    #[test]
    fn targets_resolve_to_the_file_a_symlink_names_or_into_what_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("file", &link).unwrap();
        match Target::resolve(&link).unwrap() {
            Target::Replace(path) => assert_eq!(path, file),
            other => panic!("{other:?}"),
        }
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("sub/../absent", &dangling).unwrap();
        match Target::resolve(&dangling).unwrap() {
            Target::Replace(path) => assert_eq!(path, dir.path().join("sub/../absent")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Target::resolve(Path::new("/dev/null")).unwrap(),
            Target::Into(_)
        ));
        let to_null = dir.path().join("null");
        std::os::unix::fs::symlink("/dev/null", &to_null).unwrap();
        assert!(matches!(
            Target::resolve(&to_null).unwrap(),
            Target::Into(_)
        ));
        assert!(std::fs::symlink_metadata(&to_null).unwrap().is_symlink());
        let err = Target::resolve(dir.path()).unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
        let looped = dir.path().join("loop");
        std::os::unix::fs::symlink("loop", &looped).unwrap();
        assert!(Target::resolve(&looped).is_err());
    }
}
