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
                xattrs: Vec::new(),
            });
        }
    }
    Ok(entries)
}
