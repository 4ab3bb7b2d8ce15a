//! A small file that concurrent processes change in place (the Docker
//! config `login` and `logout` edit): read, changed and replaced under an
//! exclusive lock, so that no update loses another's.
//!
//! The lock is the file's directory's ([`super::dir_lock`]): it leaves no
//! lock file behind, ends with the process however that ends, and is
//! waited for within a bound. A symlink is
//! followed and the file it names is replaced, the link kept (as docker
//! does); the replacement is atomic and removed on an interrupt
//! ([`super::atomic`]). Only a regular file is read or replaced.
//!
//! Must not: know what the file means (callers decide the new bytes).

use super::atomic::{AtomicFile, Target, parent_dir};
use super::dir_lock::{DirLock, Mode};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// A file read under its directory's lock, held until this is dropped.
#[derive(Debug)]
pub struct LockedFile {
    path: PathBuf,
    contents: Option<Vec<u8>>,
    _lock: DirLock,
}

impl LockedFile {
    /// Follows `path`'s symlinks, locks the directory of the file they
    /// name (made if missing), waiting for another update to finish (at
    /// most [`super::dir_lock::LOCK_WAIT`]), and reads the file (`None`
    /// when there is none).
    pub fn open(path: &Path) -> io::Result<Self> {
        let path = match Target::resolve(path)? {
            Target::Replace(path) => path,
            Target::Into(_) => return Err(io::Error::other("it is not a regular file")),
        };
        let dir = parent_dir(&path);
        std::fs::create_dir_all(dir)?;
        let lock = DirLock::take(dir, Mode::Exclusive).map_err(io::Error::other)?;
        let contents = match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
            Ok(meta) if !meta.is_file() => {
                return Err(io::Error::other("it is not a regular file"));
            }
            Ok(_) => Some(std::fs::read(&path)?),
        };
        Ok(Self {
            path,
            contents,
            _lock: lock,
        })
    }

    /// The file's path, symlinks followed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file held when it was locked; `None`: there was none.
    pub fn contents(&self) -> Option<&[u8]> {
        self.contents.as_deref()
    }

    /// Replaces the file with `bytes`, mode `mode`, then lets the next
    /// update in.
    pub fn replace(self, bytes: &[u8], mode: u32) -> io::Result<()> {
        let mut out = AtomicFile::with_mode(&self.path, mode)?;
        out.file().write_all(bytes)?;
        out.commit(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn concurrent_updates_each_see_the_others_and_none_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config").join("counter");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        let file = LockedFile::open(&path).unwrap();
                        let n: u32 = file
                            .contents()
                            .map(|c| std::str::from_utf8(c).unwrap().parse().unwrap())
                            .unwrap_or(0);
                        file.replace((n + 1).to_string().as_bytes(), 0o600).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "200");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["counter"], "nothing left beside it");
    }

    #[test]
    fn a_symlink_is_followed_the_mode_set_and_a_non_file_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::write(&real, b"old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("real", &link).unwrap();
        let file = LockedFile::open(&link).unwrap();
        assert_eq!(file.path(), real);
        assert_eq!(file.contents(), Some(&b"old"[..]));
        file.replace(b"new", 0o600).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(LockedFile::open(dir.path()).is_err());
        assert!(LockedFile::open(Path::new("/dev/null")).is_err());
    }
}
