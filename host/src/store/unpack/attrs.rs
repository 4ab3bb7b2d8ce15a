//! Attributes: what a member's header gives what it creates (mode, mtime,
//! owner), how much of it is restored, and directories' attributes, given
//! at the end, deepest first (a directory's mtime changes as entries land
//! in it, and a read-only mode would stop them landing).
//!
//! Decisions: not running as root, ownership is not restored and
//! setuid/setgid bits are dropped (files would otherwise be setuid to the
//! unpacking user). Mtimes are restored on files, directories and
//! symlinks, not on FIFOs and device nodes; extended attributes are not
//! restored.
//!
//! Must not: follow a symlink when setting an attribute.

use std::collections::BTreeMap;
use std::fs::{self, File, Permissions};
use std::ops::Bound;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::error::{At, Error};

/// The attributes to give one file, directory or node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Attrs {
    /// Permission bits, already without what is not restored.
    pub(super) mode: u32,
    pub(super) mtime: Option<u64>,
    pub(super) owner: Option<(u32, u32)>,
}

impl Attrs {
    /// A directory no entry describes: created as a parent.
    pub(super) const IMPLICIT: Attrs = Attrs {
        mode: 0o755,
        mtime: None,
        owner: None,
    };

    /// Gives an open file (just written) its owner, mode and mtime.
    pub(super) fn set_on_file(&self, file: &File, path: &Path, at: &At<'_>) -> Result<(), Error> {
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::fchown(file, Some(uid), Some(gid))
                .map_err(at.io("set the owner of", path))?;
        }
        file.set_permissions(Permissions::from_mode(self.mode))
            .map_err(at.io("set the mode of", path))?;
        if let Some(mtime) = self.mtime {
            file.set_modified(epoch_plus(mtime))
                .map_err(at.io("set the mtime of", path))?;
        }
        Ok(())
    }

    /// Gives a node (FIFO, device) its owner and mode.
    pub(super) fn set_on_node(&self, path: &Path, at: &At<'_>) -> Result<(), Error> {
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::lchown(path, Some(uid), Some(gid))
                .map_err(at.io("set the owner of", path))?;
        }
        fs::set_permissions(path, Permissions::from_mode(self.mode))
            .map_err(at.io("set the mode of", path))
    }
}

/// How much of a header's attributes is restored.
#[derive(Debug, Clone, Copy)]
pub(super) struct Restore {
    /// Ownership and setuid/setgid bits too: running as root.
    pub(super) as_root: bool,
}

impl Restore {
    /// The permission bits restored from a header's `mode`.
    pub(super) fn mode(&self, mode: u32) -> u32 {
        mode & if self.as_root { 0o7777 } else { 0o1777 }
    }

    /// The attributes a member's header gives what it creates.
    pub(super) fn of(&self, header: &tar::Header, at: &At<'_>) -> Result<Attrs, Error> {
        let owner = if self.as_root {
            let raw = header.as_old();
            let uid = lenient(&raw.uid, header.uid()).map_err(|e| at.corrupt(e))?;
            let gid = lenient(&raw.gid, header.gid()).map_err(|e| at.corrupt(e))?;
            match (u32::try_from(uid), u32::try_from(gid)) {
                (Ok(uid), Ok(gid)) => Some((uid, gid)),
                _ => return Err(at.corrupt(format!("owner {uid}:{gid} does not fit 32 bits"))),
            }
        } else {
            None
        };
        Ok(Attrs {
            mode: self.mode(
                lenient(&header.as_old().mode, header.mode().map(u64::from))
                    .map_err(|e| at.corrupt(e))? as u32,
            ),
            mtime: header.mtime().ok(),
            owner,
        })
    }
}

/// A numeric header field as GNU tar and `docker load` read it: a field of
/// only NULs or spaces is 0 (some writers leave unused fields empty), any
/// other unparsable one stays an error.
fn lenient(field: &[u8], parsed: std::io::Result<u64>) -> std::io::Result<u64> {
    match parsed {
        Err(_) if field.iter().all(|b| matches!(b, 0 | b' ')) => Ok(0),
        other => other,
    }
}

/// Directories to give their attributes at the end, by path relative to
/// the root (the root itself is the empty path).
pub(super) struct DeferredDirs(BTreeMap<PathBuf, Attrs>);

impl DeferredDirs {
    /// The root, with implicit attributes until an entry describes it.
    pub(super) fn new() -> Self {
        Self(BTreeMap::from([(PathBuf::new(), Attrs::IMPLICIT)]))
    }

    /// Records the attributes of the directory `rel`.
    pub(super) fn set(&mut self, rel: PathBuf, attrs: Attrs) {
        self.0.insert(rel, attrs);
    }

    /// Forgets `rel` and every directory under it (they were removed).
    pub(super) fn forget_under(&mut self, rel: &Path) {
        let doomed: Vec<PathBuf> = self
            .0
            .range::<Path, _>((Bound::Included(rel), Bound::Unbounded))
            .take_while(|(dir, _)| dir.starts_with(rel))
            .map(|(dir, _)| dir.clone())
            .collect();
        for dir in doomed {
            self.0.remove(&dir);
        }
    }

    /// Gives the directories under `root` their attributes, deepest first.
    pub(super) fn apply(&self, root: &Path) -> Result<(), Error> {
        for (rel, attrs) in self.0.iter().rev() {
            let path = root.join(rel);
            if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            let io_error = |action| {
                let path = path.clone();
                move |source| Error::Io {
                    action,
                    path,
                    entry: None,
                    source,
                }
            };
            if let Some(mtime) = attrs.mtime {
                File::open(&path)
                    .and_then(|dir| dir.set_modified(epoch_plus(mtime)))
                    .map_err(io_error("set the mtime of"))?;
            }
            if let Some((uid, gid)) = attrs.owner {
                std::os::unix::fs::lchown(&path, Some(uid), Some(gid))
                    .map_err(io_error("set the owner of"))?;
            }
            fs::set_permissions(&path, Permissions::from_mode(attrs.mode))
                .map_err(io_error("set the mode of"))?;
        }
        Ok(())
    }
}

fn epoch_plus(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

#[cfg(test)]
mod tests {
    use super::lenient;

    #[test]
    fn an_empty_numeric_field_is_zero_and_garbage_is_still_an_error() {
        let bad = || Err(std::io::Error::other("numeric field was not a number"));
        assert_eq!(lenient(&[0; 8], bad()).unwrap(), 0);
        assert_eq!(lenient(b"       \0", bad()).unwrap(), 0);
        assert!(lenient(b"12x4567\0", bad()).is_err());
        assert_eq!(lenient(b"0000017\0", Ok(15)).unwrap(), 15);
    }
}
