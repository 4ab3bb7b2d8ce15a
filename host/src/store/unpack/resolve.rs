//! Path resolution inside the root, symlink-safe: every directory on the
//! way to an entry is looked at by this module, component by component,
//! never by the OS. A symlink's relative target is spliced in and resolved
//! the same way, `..` climbing the real path (so a sibling `<dest>-evil`
//! is outside, whatever its spelling); an absolute target, or one
//! climbing above the root, is refused.
//!
//! Must not: let the OS follow a symlink, or create anything unless asked
//! to (removals resolve without creating).

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Component, Path, PathBuf};

use super::attrs::{Attrs, DeferredDirs};
use super::error::{At, Error};

/// The most symlinks followed while resolving one entry's parent (as Linux's `ELOOP`).
pub(super) const MAX_SYMLINKS: usize = 40;

/// What to do when a directory on the way is missing.
pub(super) enum Missing<'a> {
    /// Create it (implicit attributes, recorded here); a file in the way is refused.
    Create(&'a mut DeferredDirs),
    /// Stop: there is nothing there (or a file is in the way).
    Stop,
}

/// Resolves the directories `parts` inside `root`; returns their real path
/// relative to the root, or `None` when [`Missing::Stop`] stopped at
/// something missing or not a directory.
pub(super) fn resolve_dirs(
    root: &Path,
    parts: &[&OsStr],
    mut missing: Missing<'_>,
    at: &At<'_>,
) -> Result<Option<PathBuf>, Error> {
    let mut real: Vec<OsString> = Vec::new();
    let mut pending: VecDeque<OsString> = parts.iter().map(|p| p.to_os_string()).collect();
    let mut hops = 0;
    let mut last_link = (PathBuf::new(), PathBuf::new());
    let escape = |(link, target): (PathBuf, PathBuf)| Error::SymlinkEscape {
        layer: at.layer.to_owned(),
        entry: at.entry.to_owned(),
        link,
        target,
    };
    while let Some(part) = pending.pop_front() {
        if part == ".." {
            if real.pop().is_none() {
                return Err(escape(last_link));
            }
            continue;
        }
        let here: PathBuf = real.iter().collect::<PathBuf>().join(&part);
        let path = root.join(&here);
        match (fs::symlink_metadata(&path), &mut missing) {
            (Ok(meta), _) if meta.is_dir() => real.push(part),
            (Ok(meta), _) if meta.file_type().is_symlink() => {
                hops += 1;
                if hops > MAX_SYMLINKS {
                    return Err(Error::SymlinkLoop {
                        layer: at.layer.to_owned(),
                        entry: at.entry.to_owned(),
                    });
                }
                let target = fs::read_link(&path).map_err(at.io("read symbolic link", &path))?;
                if target.has_root() {
                    return Err(escape((here, target)));
                }
                for component in target.components().rev() {
                    match component {
                        Component::Normal(c) => pending.push_front(c.to_os_string()),
                        Component::ParentDir => pending.push_front(OsString::from("..")),
                        _ => {}
                    }
                }
                last_link = (here, target);
            }
            (Ok(_), Missing::Create(_)) => {
                return Err(Error::ParentNotDirectory {
                    layer: at.layer.to_owned(),
                    entry: at.entry.to_owned(),
                    parent: here,
                });
            }
            (Ok(_), Missing::Stop) => return Ok(None),
            (Err(e), Missing::Create(dirs)) if e.kind() == io::ErrorKind::NotFound => {
                fs::DirBuilder::new()
                    .mode(0o700)
                    .create(&path)
                    .map_err(at.io("create directory", &path))?;
                dirs.set(here, Attrs::IMPLICIT);
                real.push(part);
            }
            (Err(e), Missing::Stop) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            (Err(e), _) => return Err(at.io("inspect", &path)(e)),
        }
    }
    Ok(Some(real.iter().collect()))
}
