//! Walking a directory into the entries the tar-assembly component orders
//! and encodes. Reports what is on disk; decides nothing about the tar.

use crate::model::{Entry, EntryKind};
use std::collections::HashMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Failures walking a layer directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A name is not UTF-8 (a layer's names cross into WIT as strings).
    #[error("{0}: file names must be UTF-8")]
    NotUtf8(PathBuf),
    /// The layer root is not a directory.
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
}

/// The namespaces whose extended attributes are recorded (what GNU tar's
/// `--xattrs` and buildkit keep), e.g. `security.capability` for file
/// capabilities.
const XATTR_NAMESPACES: [&str; 3] = ["user.", "security.", "trusted."];

/// The extended attributes of `path` (not following a symlink), sorted by
/// name. `security.selinux` is left out: it is the build host's policy,
/// not the file's content. A file system without extended attributes has
/// none; `trusted.` ones are only visible to root.
fn xattrs(path: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let names = match xattr::list(path) {
        Ok(names) => names,
        Err(e) if e.raw_os_error() == Some(95) => return Ok(Vec::new()), // ENOTSUP
        Err(e) => return Err(e),
    };
    let mut found = Vec::new();
    for name in names {
        let Some(name) = name.to_str() else { continue };
        if !XATTR_NAMESPACES.iter().any(|ns| name.starts_with(ns)) || name == "security.selinux" {
            continue;
        }
        if let Some(value) = xattr::get(path, name)? {
            found.push((name.to_string(), value));
        }
    }
    found.sort();
    Ok(found)
}

/// The entries under `root` (not `root` itself), in no particular order,
/// and the paths of the regular files by entry path. Sockets are skipped:
/// tar cannot hold them.
pub fn walk(root: &Path) -> Result<Vec<Entry>, Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    if !std::fs::metadata(root).map_err(io(root))?.is_dir() {
        return Err(Error::NotADirectory(root.to_path_buf()));
    }
    let mut entries = Vec::new();
    let mut groups: HashMap<(u64, u64), u64> = HashMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for item in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let item = item.map_err(io(&dir))?;
            let path = item.path();
            let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
            let relative = path
                .strip_prefix(root)
                .expect("read_dir yields children of root")
                .to_str()
                .ok_or_else(|| Error::NotUtf8(path.clone()))?
                .to_string();
            let file_type = meta.file_type();
            let kind = if file_type.is_dir() {
                pending.push(path.clone());
                EntryKind::Directory
            } else if file_type.is_file() {
                EntryKind::Regular
            } else if file_type.is_symlink() {
                EntryKind::Symlink
            } else if file_type.is_char_device() {
                EntryKind::CharDevice
            } else if file_type.is_block_device() {
                EntryKind::BlockDevice
            } else if file_type.is_fifo() {
                EntryKind::Fifo
            } else {
                tracing::warn!(path = %path.display(), "skipping a socket: tar cannot hold it");
                continue;
            };
            let link_target = if kind == EntryKind::Symlink {
                let target = std::fs::read_link(&path).map_err(io(&path))?;
                Some(
                    target
                        .to_str()
                        .ok_or_else(|| Error::NotUtf8(target.clone()))?
                        .to_string(),
                )
            } else {
                None
            };
            let link_group = (kind == EntryKind::Regular && meta.nlink() > 1).then(|| {
                let next = groups.len() as u64;
                *groups.entry((meta.dev(), meta.ino())).or_insert(next)
            });
            let rdev = meta.rdev();
            entries.push(Entry {
                path: relative,
                kind,
                mode: meta.mode() & 0o7777,
                uid: meta.uid(),
                gid: meta.gid(),
                size: if kind == EntryKind::Regular {
                    meta.len()
                } else {
                    0
                },
                link_target,
                link_group,
                device_major: (((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff)) as u32,
                device_minor: ((rdev & 0xff) | ((rdev >> 12) & !0xff)) as u32,
                xattrs: xattrs(&path).map_err(io(&path))?,
            });
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_attributes_are_recorded_sorted_and_only_from_known_namespaces() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        xattr::set(&file, "user.zeta", b"2").unwrap();
        xattr::set(&file, "user.alpha", b"1").unwrap();
        std::os::unix::fs::symlink("f", dir.path().join("link")).unwrap();
        let entries = walk(dir.path()).unwrap();
        let f = entries.iter().find(|e| e.path == "f").unwrap();
        assert_eq!(
            f.xattrs,
            vec![
                ("user.alpha".to_string(), b"1".to_vec()),
                ("user.zeta".to_string(), b"2".to_vec())
            ]
        );
        let link = entries.iter().find(|e| e.path == "link").unwrap();
        assert!(link.xattrs.is_empty(), "a symlink's target is not read");
    }
}
