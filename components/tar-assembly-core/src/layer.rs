//! Layer tars from the entries of a directory.
//!
//! [`plan_layer`] decides everything about the tar stream of a layer except
//! the bytes of regular files, which the host streams:
//!
//! - **Validation** (`InvalidInput`, naming the path): a path must be
//!   non-empty, relative, `/`-separated, without empty, `.` or `..`
//!   components and without NUL; no path twice; a symlink has a non-empty
//!   `link_target`; only regular files have a `link_group`; xattr names are
//!   non-empty, without `=` or NUL, and not repeated; an entry whose parent
//!   is also an entry must have a directory as that parent. A missing parent
//!   is allowed (tar readers create it). Device numbers above 2097151 are
//!   `Unsupported`.
//! - **Order**: paths compared component by component, bytewise, so a
//!   directory comes right before its contents and the input order does not
//!   matter.
//! - **Headers** (see [`crate::header`]): mtime from the options for every
//!   entry; uid/gid 0 unless `keep_owner`; uname/gname empty; mode masked to
//!   0o7777; directories named with a trailing `/`; typeflags `0` regular,
//!   `1` hard link, `2` symlink, `3`/`4` char/block device (with
//!   devmajor/devminor), `5` directory, `6` fifo. `size` is only read for
//!   regular files.
//! - **Hard links**: regular files sharing a `link_group`: the first in
//!   archive order is a regular file with the bytes; each later one has
//!   typeflag `1`, linkname = the first one's path, size 0.
//! - **Segments**: headers and padding as `Bytes`, every regular file that
//!   carries bytes as one `File { path, size }` (also when `size` is 0), data
//!   padded with zeros to 512, two zero blocks at the end; adjacent bytes are
//!   coalesced.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::header::{self, Header};
use crate::plan::PlanBuilder;
use crate::{Error, Segment};

pub use crate::wit::exports::ocipipe::image::layers::{Entry, EntryKind};

impl Entry {
    /// An entry of `kind` at `path` with every other field zero or empty.
    pub fn new(path: impl Into<String>, kind: EntryKind) -> Self {
        Entry {
            path: path.into(),
            kind,
            mode: 0,
            uid: 0,
            gid: 0,
            size: 0,
            link_target: None,
            link_group: None,
            device_major: 0,
            device_minor: 0,
            xattrs: Vec::new(),
        }
    }
}

/// The name of `kind` in messages: its Rust case name, as the messages
/// have always said it.
fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Regular => "Regular",
        EntryKind::Directory => "Directory",
        EntryKind::Symlink => "Symlink",
        EntryKind::CharDevice => "CharDevice",
        EntryKind::BlockDevice => "BlockDevice",
        EntryKind::Fifo => "Fifo",
    }
}

/// How headers are normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayerOptions {
    /// Modification time of every entry, seconds since the Unix epoch.
    pub mtime: i64,
    /// Keep `uid`/`gid` from disk instead of 0.
    pub keep_owner: bool,
}

/// Compares two paths component by component, bytewise: `a/b` < `a.txt`
/// (`a` < `a.txt`), so every directory is directly followed by its subtree.
pub fn compare_paths(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

/// The tar stream of one layer (see the module documentation).
pub fn plan_layer(entries: &[Entry], options: &LayerOptions) -> Result<Vec<Segment>, Error> {
    for entry in entries {
        validate(entry)?;
    }
    let mut order: Vec<&Entry> = entries.iter().collect();
    order.sort_by(|a, b| compare_paths(&a.path, &b.path));
    for pair in order.windows(2) {
        if pair[0].path == pair[1].path {
            return Err(Error::invalid(format!(
                "entry {:?} is given twice",
                pair[0].path
            )));
        }
    }
    let kinds: BTreeMap<&str, EntryKind> =
        order.iter().map(|e| (e.path.as_str(), e.kind)).collect();
    for entry in &order {
        if let Some((parent, _)) = entry.path.rsplit_once('/')
            && let Some(kind) = kinds.get(parent)
            && *kind != EntryKind::Directory
        {
            return Err(Error::invalid(format!(
                "entry {:?}: its parent {parent:?} is a {} entry, not a directory",
                entry.path,
                kind_name(*kind)
            )));
        }
    }

    let mut plan = PlanBuilder::new();
    let mut first_of_group: BTreeMap<u64, &str> = BTreeMap::new();
    for entry in order {
        let (uid, gid) = if options.keep_owner {
            (entry.uid, entry.gid)
        } else {
            (0, 0)
        };
        let mut xattrs = entry.xattrs.clone();
        xattrs.sort();
        let dir_name;
        let mut h = Header {
            name: &entry.path,
            typeflag: header::TYPE_REG,
            mode: entry.mode & 0o7777,
            uid: uid.into(),
            gid: gid.into(),
            size: 0,
            mtime: options.mtime,
            linkname: "",
            devmajor: 0,
            devminor: 0,
            xattrs: &xattrs,
        };
        let mut data = None;
        match entry.kind {
            EntryKind::Regular => {
                let first = entry
                    .link_group
                    .and_then(|g| first_of_group.get(&g).copied());
                if let Some(first) = first {
                    h.typeflag = header::TYPE_LINK;
                    h.linkname = first;
                } else {
                    if let Some(group) = entry.link_group {
                        first_of_group.insert(group, &entry.path);
                    }
                    h.size = entry.size;
                    data = Some(entry.size);
                }
            }
            EntryKind::Directory => {
                dir_name = format!("{}/", entry.path);
                h.name = &dir_name;
                h.typeflag = header::TYPE_DIR;
            }
            EntryKind::Symlink => {
                h.typeflag = header::TYPE_SYMLINK;
                h.linkname = entry.link_target.as_deref().unwrap_or_default();
            }
            EntryKind::CharDevice | EntryKind::BlockDevice => {
                h.typeflag = if entry.kind == EntryKind::CharDevice {
                    header::TYPE_CHAR
                } else {
                    header::TYPE_BLOCK
                };
                h.devmajor = entry.device_major;
                h.devminor = entry.device_minor;
            }
            EntryKind::Fifo => h.typeflag = header::TYPE_FIFO,
        }
        plan.bytes(&header::encode(&h)?);
        if let Some(size) = data {
            plan.file(&entry.path, size);
        }
    }
    Ok(plan.finish())
}

fn validate(entry: &Entry) -> Result<(), Error> {
    let path = &entry.path;
    let fail = |why: &str| Err(Error::invalid(format!("entry {path:?}: {why}")));
    if path.is_empty() {
        return Err(Error::invalid("an entry has an empty path"));
    }
    if path.contains('\0') {
        return fail("the path contains a NUL byte");
    }
    if path.starts_with('/') {
        return fail("the path is absolute; paths are relative to the layer root");
    }
    for component in path.split('/') {
        match component {
            "" => return fail("the path has an empty component (`//` or a trailing `/`)"),
            "." | ".." => return fail("the path has a `.` or `..` component"),
            _ => {}
        }
    }
    match (&entry.kind, &entry.link_target) {
        (EntryKind::Symlink, None) => return fail("a symlink without a link target"),
        (EntryKind::Symlink, Some(t)) if t.is_empty() => {
            return fail("a symlink with an empty link target");
        }
        (EntryKind::Symlink, Some(t)) if t.contains('\0') => {
            return fail("the link target contains a NUL byte");
        }
        _ => {}
    }
    if entry.link_group.is_some() && entry.kind != EntryKind::Regular {
        return fail("only regular files can have a link group (hard links)");
    }
    let mut names = BTreeSet::new();
    for (name, _) in &entry.xattrs {
        if name.is_empty() || name.contains('=') || name.contains('\0') {
            return Err(Error::invalid(format!(
                "entry {path:?}: xattr name {name:?} is empty or contains `=` or NUL"
            )));
        }
        if !names.insert(name.as_str()) {
            return Err(Error::invalid(format!(
                "entry {path:?}: xattr {name:?} is given twice"
            )));
        }
    }
    Ok(())
}
