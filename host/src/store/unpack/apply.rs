//! Executing a layer's changeset onto the root: its removals first, then
//! its members in tar order — files, directories, symlinks, hard links,
//! FIFOs and (when allowed) device nodes — each at a path whose parents
//! were resolved inside the root, replacing what was there.
//!
//! Must not: write outside the root, let the OS follow a symlink while
//! writing, apply a member the changeset does not name, or apply a member
//! that differs from what pass 1 read (the layer changed in between).

use std::ffi::{OsStr, OsString};
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::UnpackReport;
use super::attrs::{DeferredDirs, Restore};
use super::changeset::{Changeset, Removal};
use super::error::{At, Error, stream_error};
use super::layer::{Layer, LayerTar, Stream, read_layer};
use super::resolve::{Missing, resolve_dirs};
use super::sys;
use crate::model::{Member, MemberKind};
use crate::store::tar::member_kind;
use crate::store::tar::name::components;

/// The copy buffer for file data.
const COPY_BUFFER: usize = 64 * 1024;

/// Applies layers onto a root directory.
pub(super) struct Applier<'a> {
    root: &'a Path,
    allow_devices: bool,
    restore: Restore,
    dirs: DeferredDirs,
    report: UnpackReport,
    buffer: Vec<u8>,
}

impl<'a> Applier<'a> {
    /// An applier onto `root`; `as_root` restores ownership and setuid/setgid bits.
    pub(super) fn new(root: &'a Path, allow_devices: bool, as_root: bool) -> Self {
        Applier {
            root,
            allow_devices,
            restore: Restore { as_root },
            dirs: DeferredDirs::new(),
            report: UnpackReport::default(),
            buffer: vec![0; COPY_BUFFER],
        }
    }

    /// Applies one layer's checked changeset: its removals, then pass 2
    /// over the layer, applying the members it names; each member must be
    /// the one pass 1 read (`members`).
    pub(super) fn apply<L: LayerTar>(
        &mut self,
        layer: &Layer<L>,
        members: &[Member],
        changeset: &Changeset,
    ) -> Result<(), Error> {
        for removal in &changeset.removals {
            self.remove(removal, &layer.label)?;
            self.report.whiteouts += 1;
        }
        let mut applies = changeset.applies.iter().copied().peekable();
        let mut index = 0;
        read_layer(layer, self.restore.as_root, |entry, raw, at| {
            let kind = member_kind(entry.header());
            let detail = match members.get(index) {
                Some(member) if member.path == raw && member.kind == kind => None,
                Some(member) => Some(format!(
                    "member {index} was {:?} ({:?}) on the first read, {:?} ({kind:?}) now",
                    String::from_utf8_lossy(&member.path),
                    member.kind,
                    at.entry
                )),
                None => Some(format!(
                    "it had {} members on the first read",
                    members.len()
                )),
            };
            if let Some(detail) = detail {
                return Err(Error::LayerChanged {
                    layer: at.layer.to_owned(),
                    entry: Some(at.entry.to_owned()),
                    detail,
                });
            }
            if applies.next_if_eq(&index).is_some() {
                self.apply_member(entry, raw, kind, at)?;
            }
            index += 1;
            Ok(())
        })?;
        if index != members.len() {
            return Err(Error::LayerChanged {
                layer: layer.label.clone(),
                entry: None,
                detail: format!(
                    "it had {} members on the first read, {index} now",
                    members.len()
                ),
            });
        }
        self.report.layers += 1;
        Ok(())
    }

    /// Gives directories their attributes and returns the report.
    pub(super) fn finish(self) -> Result<UnpackReport, Error> {
        self.dirs.apply(self.root)?;
        Ok(self.report)
    }

    /// Removes what lower layers put at a removal's path (or, keeping the
    /// directory, inside it). Parents are resolved inside the root without
    /// creating anything: nothing there, nothing to do.
    fn remove(&mut self, removal: &Removal, layer: &str) -> Result<(), Error> {
        let at = At {
            layer,
            entry: &removal.shown,
        };
        let parts = removal.parts();
        if removal.keep_directory {
            let Some(dir) = resolve_dirs(self.root, &parts, Missing::Stop, &at)? else {
                return Ok(());
            };
            let path = self.root.join(&dir);
            let children: Vec<OsString> = fs::read_dir(&path)
                .and_then(|listing| listing.map(|c| c.map(|c| c.file_name())).collect())
                .map_err(at.io("list", &path))?;
            for child in children {
                self.clear(&dir.join(child), &at)?;
            }
            return Ok(());
        }
        let (name, parents) = parts.split_last().expect("checked: a removal names a path");
        match resolve_dirs(self.root, parents, Missing::Stop, &at)? {
            Some(dir) => self.clear(&dir.join(name), &at),
            None => Ok(()),
        }
    }

    fn apply_member(
        &mut self,
        entry: &mut tar::Entry<'_, Stream>,
        raw: &[u8],
        kind: MemberKind,
        at: &At<'_>,
    ) -> Result<(), Error> {
        if kind == MemberKind::PaxGlobal {
            return Ok(()); // metadata for the archive, nothing to apply
        }
        let parts: Vec<&OsStr> = components(raw)
            .map_err(|problem| at.unsafe_name(problem))?
            .into_iter()
            .map(OsStr::from_bytes)
            .collect();
        let is_dir =
            kind == MemberKind::Directory || (kind == MemberKind::Regular && raw.ends_with(b"/"));
        let Some((name, parents)) = parts.split_last() else {
            if !is_dir {
                return Err(Error::RootNotDirectory {
                    layer: at.layer.to_owned(),
                    entry: at.entry.to_owned(),
                });
            }
            let attrs = self.restore.of(entry.header(), at)?;
            self.dirs.set(PathBuf::new(), attrs);
            self.report.entries += 1;
            return Ok(());
        };
        let parent = resolve_dirs(self.root, parents, Missing::Create(&mut self.dirs), at)?
            .unwrap_or_default();
        let rel = parent.join(name);
        let path = self.root.join(&rel);
        self.report.entries += 1;
        match kind {
            _ if is_dir => self.make_dir(entry.header(), &rel, &path, at),
            MemberKind::Regular => self.write_file(entry, &rel, &path, at),
            MemberKind::Symlink => {
                if entry
                    .link_name_bytes()
                    .is_none_or(|target| target.is_empty())
                {
                    return Err(at.corrupt("a symbolic link without a target"));
                }
                self.clear(&rel, at)?;
                entry
                    .unpack(&path)
                    .map_err(at.io("create symbolic link", &path))?;
                Ok(())
            }
            MemberKind::HardLink => {
                self.make_hard_link(entry.link_name_bytes().as_deref(), &rel, &path, at)
            }
            MemberKind::CharDevice | MemberKind::BlockDevice | MemberKind::Fifo => {
                self.make_node(entry.header(), kind, &rel, &path, at)
            }
            _ => Err(Error::UnsupportedEntry {
                layer: at.layer.to_owned(),
                entry: at.entry.to_owned(),
                kind: char::from(entry.header().entry_type().as_byte()),
            }),
        }
    }

    /// Removes whatever is at `rel` (a directory with all it holds).
    fn clear(&mut self, rel: &Path, at: &At<'_>) -> Result<(), Error> {
        let path = self.root.join(rel);
        match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(at.io("inspect", &path)(e)),
            Ok(meta) if meta.is_dir() => {
                fs::remove_dir_all(&path).map_err(at.io("remove directory", &path))?;
                self.dirs.forget_under(rel);
                Ok(())
            }
            Ok(_) => fs::remove_file(&path).map_err(at.io("remove", &path)),
        }
    }

    fn make_dir(
        &mut self,
        header: &tar::Header,
        rel: &Path,
        path: &Path,
        at: &At<'_>,
    ) -> Result<(), Error> {
        let attrs = self.restore.of(header, at)?;
        if !fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
            self.clear(rel, at)?;
            fs::DirBuilder::new()
                .mode(0o700)
                .create(path)
                .map_err(at.io("create directory", path))?;
        }
        self.dirs.set(rel.to_owned(), attrs);
        Ok(())
    }

    fn write_file(
        &mut self,
        entry: &mut tar::Entry<'_, Stream>,
        rel: &Path,
        path: &Path,
        at: &At<'_>,
    ) -> Result<(), Error> {
        let attrs = self.restore.of(entry.header(), at)?;
        let size = entry.size();
        self.clear(rel, at)?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(at.io("create file", path))?;
        let mut copied = 0u64;
        loop {
            let n = match entry.read(&mut self.buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(stream_error(at.layer, &Some(at.entry.to_owned()), e)),
            };
            file.write_all(&self.buffer[..n])
                .map_err(at.io("write", path))?;
            copied += n as u64;
        }
        if copied != size {
            return Err(Error::Truncated {
                layer: at.layer.to_owned(),
                entry: Some(at.entry.to_owned()),
                detail: format!(
                    "entry {:?} has {size} bytes of data but the layer ends {copied} bytes into it",
                    at.entry
                ),
            });
        }
        attrs.set_on_file(&file, path, at)?;
        self.report.bytes += copied;
        Ok(())
    }

    fn make_hard_link(
        &mut self,
        target: Option<&[u8]>,
        rel: &Path,
        path: &Path,
        at: &At<'_>,
    ) -> Result<(), Error> {
        let target = target.ok_or_else(|| at.corrupt("a hard link without a target"))?;
        let shown = String::from_utf8_lossy(target).into_owned();
        let (layer, entry) = (at.layer.to_owned(), at.entry.to_owned());
        let escape = || Error::HardLinkEscape {
            layer: layer.clone(),
            entry: entry.clone(),
            target: shown.clone(),
        };
        let missing = || Error::HardLinkMissing {
            layer: layer.clone(),
            entry: entry.clone(),
            target: shown.clone(),
        };
        let to_directory = || Error::HardLinkToDirectory {
            layer: layer.clone(),
            entry: entry.clone(),
            target: shown.clone(),
        };
        let parts: Vec<&OsStr> = components(target)
            .map_err(|_| escape())?
            .into_iter()
            .map(OsStr::from_bytes)
            .collect();
        let Some((name, parents)) = parts.split_last() else {
            return Err(to_directory());
        };
        let parent = match resolve_dirs(self.root, parents, Missing::Stop, at) {
            Ok(Some(parent)) => parent,
            Ok(None) => return Err(missing()),
            Err(Error::SymlinkEscape { .. }) => return Err(escape()),
            Err(e) => return Err(e),
        };
        let target_rel = parent.join(name);
        let target_path = self.root.join(&target_rel);
        match fs::symlink_metadata(&target_path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(missing()),
            Err(e) => return Err(at.io("inspect", &target_path)(e)),
            Ok(meta) if meta.is_dir() => return Err(to_directory()),
            Ok(_) => {}
        }
        if target_rel == rel {
            return Ok(());
        }
        self.clear(rel, at)?;
        // linkat(2) without AT_SYMLINK_FOLLOW: a symlink target is linked, not followed.
        fs::hard_link(&target_path, path).map_err(at.io("create hard link", path))
    }

    fn make_node(
        &mut self,
        header: &tar::Header,
        kind: MemberKind,
        rel: &Path,
        path: &Path,
        at: &At<'_>,
    ) -> Result<(), Error> {
        let (format, device) = match kind {
            MemberKind::CharDevice => (sys::S_IFCHR, Some("character device")),
            MemberKind::BlockDevice => (sys::S_IFBLK, Some("block device")),
            _ => (sys::S_IFIFO, None),
        };
        if let Some(kind) = device
            && !self.allow_devices
        {
            return Err(Error::DeviceNotAllowed {
                layer: at.layer.to_owned(),
                entry: at.entry.to_owned(),
                kind,
            });
        }
        let number = match device {
            Some(_) => {
                let major = header
                    .device_major()
                    .map_err(|e| at.corrupt(e))?
                    .unwrap_or(0);
                let minor = header
                    .device_minor()
                    .map_err(|e| at.corrupt(e))?
                    .unwrap_or(0);
                sys::makedev(major, minor)
            }
            None => 0,
        };
        let attrs = self.restore.of(header, at)?;
        self.clear(rel, at)?;
        sys::make_node(path, format | 0o600, number).map_err(at.io("create node", path))?;
        attrs.set_on_node(path, at)
    }
}
