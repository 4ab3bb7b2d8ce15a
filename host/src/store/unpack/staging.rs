//! Where layers are applied: the destination is checked first (absent, or
//! an empty directory), layers land in a fresh private directory beside
//! it, and that directory is renamed onto the destination only when
//! everything succeeded, and removed otherwise. So there is no partial
//! output.
//!
//! Must not: write into the destination itself, or leave the private
//! directory behind on any failure.

use std::fs::{self, Permissions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::Error;

/// Checks `dest` is absent or an empty directory; returns its parent.
pub(super) fn check_destination(dest: &Path) -> Result<PathBuf, Error> {
    if dest.file_name().is_none() {
        return Err(Error::BadDestination {
            dest: dest.to_owned(),
        });
    }
    let io_error = |action| {
        move |source| Error::Io {
            action,
            path: dest.to_owned(),
            entry: None,
            source,
        }
    };
    match fs::symlink_metadata(dest) {
        Ok(meta) if meta.is_dir() => {
            if fs::read_dir(dest)
                .map_err(io_error("list"))?
                .next()
                .is_some()
            {
                return Err(Error::DestinationExists {
                    dest: dest.to_owned(),
                });
            }
        }
        Ok(_) => {
            return Err(Error::DestinationExists {
                dest: dest.to_owned(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error("inspect")(e)),
    }
    Ok(match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    })
}

/// The private directory layers are applied into; removed unless committed.
pub(super) struct Staging {
    pub(super) path: PathBuf,
    committed: bool,
    _registered: crate::store::cleanup::Registered,
}

impl Staging {
    pub(super) fn new(parent: &Path) -> Result<Self, Error> {
        let (dir, registered) = crate::store::cleanup::create(
            || {
                tempfile::Builder::new()
                    .prefix(".ocipipe-unpack-")
                    .tempdir_in(parent)
            },
            |dir| dir.path(),
        )
        .map_err(|source| Error::Io {
            action: "create a staging directory in",
            path: parent.to_owned(),
            entry: None,
            source,
        })?;
        Ok(Staging {
            _registered: registered,
            path: dir.keep(),
            committed: false,
        })
    }

    /// Renames the staging directory onto `dest` (atomically replacing an
    /// empty directory there).
    pub(super) fn commit(mut self, dest: &Path) -> Result<(), Error> {
        fs::rename(&self.path, dest).map_err(|source| match source.kind() {
            io::ErrorKind::DirectoryNotEmpty
            | io::ErrorKind::AlreadyExists
            | io::ErrorKind::NotADirectory => Error::DestinationExists {
                dest: dest.to_owned(),
            },
            _ => Error::Io {
                action: "rename the unpacked root onto",
                path: dest.to_owned(),
                entry: None,
                source,
            },
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            remove_tree(&self.path);
        }
    }
}

/// Removes a tree, opening up directories whose restored mode denies the
/// owner (when not root) if the first attempt fails.
fn remove_tree(path: &Path) {
    if fs::remove_dir_all(path).is_ok() {
        return;
    }
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        let _ = fs::set_permissions(&dir, Permissions::from_mode(0o700));
        if let Ok(listing) = fs::read_dir(&dir) {
            for child in listing.flatten() {
                if child.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(child.path());
                }
            }
        }
    }
    if let Err(e) = fs::remove_dir_all(path) {
        tracing::warn!("cannot remove staging directory {}: {e}", path.display());
    }
}
