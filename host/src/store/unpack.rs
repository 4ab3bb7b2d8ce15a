//! Unpacking an image into a root filesystem directory, safely.
//!
//! Owns: applying layer tars in order the way the OCI image-spec
//! (`layer.md`, "Applying Changesets") says — whiteouts `.wh.<name>` hide
//! `<name>` from lower layers, `.wh..wh..opq` hides everything lower layers
//! put in its directory, whiteout files are never written, a later entry
//! replaces an earlier one — restoring permission bits and mtimes, creating
//! symlinks, hard links, FIFOs and (when allowed) device nodes, and restoring
//! ownership when running as root. Owns the safety rules too; each refusal
//! is an [`Error`] naming the layer and the entry:
//!
//! - absolute entry names and `..` components;
//! - paths through a symlink that leads outside the root: every parent
//!   component is resolved inside the root by this module (never by the
//!   OS), relative link targets lexically and component-wise (so a sibling
//!   `<dest>-evil` is outside, whatever its spelling), absolute link targets
//!   are refused outright;
//! - hard links to targets outside the root or not yet extracted;
//! - device nodes unless [`UnpackOptions::allow_devices`];
//! - truncated or corrupt tar and gzip streams (a layer must end with its
//!   end-of-archive marker, and a gzip layer with its checksummed trailer);
//! - a `manifest.json` naming missing files (through [`super::archive_reader`]),
//!   and, for [`unpack_archive`], layers whose uncompressed digest is not
//!   their config's `diff_id`.
//!
//! Decisions: two entries for one path within a layer are applied in order,
//! the later winning (the image-spec forbids producing them, but
//! `docker load` and containerd accept them, so refusing would make such
//! images unusable). Not running as root, ownership is not restored and
//! setuid/setgid bits are dropped (files would otherwise be setuid to the
//! unpacking user). Mtimes are restored on files, directories and symlinks,
//! not on FIFOs and device nodes; extended attributes are not restored.
//!
//! There is no partial output: layers are applied into a fresh private
//! directory beside the destination, renamed onto it only when everything
//! succeeded, and removed otherwise.
//!
//! Must not: write outside the destination, let the OS follow a symlink
//! while writing, read a layer into memory, or interpret references (an
//! image is chosen by the exact strings in the archive's `RepoTags`).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::ops::Bound;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::archive_reader::{
    self, ArchiveIndex, BLOCK, Compression, Hashing, is_truncation, sniff,
};

/// The most symlinks followed while resolving one entry's parent (as Linux's `ELOOP`).
const MAX_SYMLINKS: usize = 40;
/// The copy buffer for file data.
const COPY_BUFFER: usize = 64 * 1024;

/// How to unpack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackOptions {
    /// Create character and block device nodes. Defaults to
    /// [`running_as_root`]: only root can make them, and only root should
    /// want them. When false a layer holding a device is refused.
    pub allow_devices: bool,
}

impl Default for UnpackOptions {
    fn default() -> Self {
        UnpackOptions {
            allow_devices: running_as_root(),
        }
    }
}

/// Whether this process runs as root: `/proc/self` is owned by the
/// effective user id. Decides whether ownership (uid, gid, and the setuid
/// and setgid bits) is restored; false when `/proc` cannot be read.
pub fn running_as_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// What an unpack did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UnpackReport {
    /// Layers applied.
    pub layers: usize,
    /// Files, directories, links and nodes written (whiteouts not counted).
    pub entries: u64,
    /// Whiteout entries applied (opaque ones included).
    pub whiteouts: u64,
    /// Bytes of regular-file data written.
    pub bytes: u64,
}

/// Failures of unpacking. Whatever the failure, the destination was not
/// created (or left as the empty directory it was) and nothing was
/// written outside it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The archive itself is unreadable, unsafe or inconsistent.
    #[error(transparent)]
    Archive(#[from] archive_reader::Error),
    /// The archive has no image, or none tagged as asked.
    #[error("image archive {archive} has no image{}{}", image.as_ref().map(|i| format!(" tagged {i:?}")).unwrap_or_default(), listed(available))]
    NoImage {
        /// The archive file.
        archive: PathBuf,
        /// The tag asked for.
        image: Option<String>,
        /// The `RepoTags` it has.
        available: Vec<String>,
    },
    /// A layer of the image is a zero-length placeholder (an incremental
    /// `docker load` archive): its bytes are not in the archive.
    #[error(
        "image archive {archive}: {layer} is an empty placeholder; the archive lacks that layer's data"
    )]
    MissingLayer {
        /// The archive file.
        archive: PathBuf,
        /// Which layer, e.g. `layer 2 of 3 (<id>/layer.tar)`.
        layer: String,
    },
    /// The destination does not name a directory that can be created.
    #[error("cannot unpack into {}: name a new directory (or an empty one)", dest.display())]
    BadDestination {
        /// The destination.
        dest: PathBuf,
    },
    /// The destination exists and is not an empty directory.
    #[error("cannot unpack into {}: it exists and is not an empty directory", dest.display())]
    DestinationExists {
        /// The destination.
        dest: PathBuf,
    },
    /// A file-system operation failed.
    #[error("cannot {action} {}{}: {source}", path.display(), for_entry(entry))]
    Io {
        /// What was being done, e.g. `create file`.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The entry being applied, if any.
        entry: Option<String>,
        /// The I/O error.
        source: io::Error,
    },
    /// An entry name is absolute.
    #[error("{layer}: entry {entry:?} is an absolute path; layer entries must be relative")]
    AbsolutePath {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
    },
    /// An entry name has a `..` component.
    #[error("{layer}: entry {entry:?} has a `..` component")]
    ParentComponent {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
    },
    /// An entry naming the root itself is not a directory.
    #[error("{layer}: entry {entry:?} names the root but is not a directory")]
    RootNotDirectory {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
    },
    /// An entry's path goes through a symlink that leads outside the root
    /// (an absolute target, or one climbing above the root).
    #[error("{layer}: entry {entry:?} goes through symlink {} -> {}, which leads outside the root", link.display(), target.display())]
    SymlinkEscape {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
        /// The symlink, relative to the root.
        link: PathBuf,
        /// Its target.
        target: PathBuf,
    },
    /// An entry's path goes through too many symlinks (a loop).
    #[error("{layer}: entry {entry:?} goes through more than {MAX_SYMLINKS} symlinks")]
    SymlinkLoop {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
    },
    /// A parent component of an entry's path is an existing non-directory.
    #[error("{layer}: entry {entry:?} needs {} to be a directory, but it is a file", parent.display())]
    ParentNotDirectory {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
        /// The parent, relative to the root.
        parent: PathBuf,
    },
    /// A hard link's target is outside the root.
    #[error("{layer}: hard link {entry:?} -> {target:?} points outside the root")]
    HardLinkEscape {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
        /// The link's target as written.
        target: String,
    },
    /// A hard link's target has not been extracted (yet).
    #[error("{layer}: hard link {entry:?} -> {target:?} names nothing extracted before it")]
    HardLinkMissing {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
        /// The link's target as written.
        target: String,
    },
    /// A hard link's target is a directory.
    #[error("{layer}: hard link {entry:?} -> {target:?} names a directory")]
    HardLinkToDirectory {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
        /// The link's target as written.
        target: String,
    },
    /// A device node, and devices are not allowed.
    #[error(
        "{layer}: entry {entry:?} is a {kind}; device nodes are only created when allowed (as root)"
    )]
    DeviceNotAllowed {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
        /// `character device` or `block device`.
        kind: &'static str,
    },
    /// An entry of a type that cannot be applied (GNU sparse, multi-volume, unknown).
    #[error("{layer}: entry {entry:?} has unsupported tar type {kind:?}")]
    UnsupportedEntry {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
        /// The tar type byte.
        kind: char,
    },
    /// A whiteout naming nothing (`.wh.`, `.wh..`, `.wh...`).
    #[error("{layer}: whiteout {entry:?} names no file")]
    BadWhiteout {
        /// The layer.
        layer: String,
        /// The entry name.
        entry: String,
    },
    /// A layer compressed with something other than gzip.
    #[error("{layer} is {format}-compressed; only plain and gzip layers are supported")]
    UnsupportedCompression {
        /// The layer.
        layer: String,
        /// The compression found.
        format: &'static str,
    },
    /// A layer ends early: inside an entry's data or a header, inside the
    /// gzip stream, or without its end-of-archive marker.
    #[error("{layer} is truncated: {detail}")]
    Truncated {
        /// The layer.
        layer: String,
        /// The entry cut short, or the last whole one before the cut.
        entry: Option<String>,
        /// Where it is cut.
        detail: String,
    },
    /// A layer is corrupt: a bad tar header (checksum, number field) or a
    /// bad gzip stream (header, data, checksum).
    #[error("{layer} is corrupt {}: {message}", after(entry))]
    Corrupt {
        /// The layer.
        layer: String,
        /// The entry at fault, or the last good one before the fault.
        entry: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A layer's uncompressed bytes do not hash to its config's `diff_id`.
    #[error("{layer} should have diff_id {expected} but has {actual}")]
    DiffIdMismatch {
        /// The layer.
        layer: String,
        /// The diff_id the config lists.
        expected: String,
        /// The digest of the layer's uncompressed bytes.
        actual: String,
    },
}

fn listed(available: &[String]) -> String {
    if available.is_empty() {
        String::new()
    } else {
        format!(" (it has {})", available.join(", "))
    }
}

fn for_entry(entry: &Option<String>) -> String {
    entry
        .as_ref()
        .map(|e| format!(" for entry {e:?}"))
        .unwrap_or_default()
}

fn after(entry: &Option<String>) -> String {
    match entry {
        Some(name) => format!("at or after entry {name:?}"),
        None => "at its start".to_owned(),
    }
}

/// Unpacks the image of an archive — its first image, or the one whose
/// `RepoTags` contain `image` exactly — into `dest`, which must not exist
/// or be an empty directory (it is then replaced). The archive is scanned
/// and its `manifest.json` checked first, and the config against the digest
/// its name claims; each layer's uncompressed digest is checked against the
/// config's `diff_id` as it streams, before anything is renamed into place.
pub fn unpack_archive(
    archive: &Path,
    image: Option<&str>,
    dest: &Path,
    opts: &UnpackOptions,
) -> Result<UnpackReport, Error> {
    let index = ArchiveIndex::scan(archive)?;
    let images = index.images(archive)?;
    let chosen = match image {
        None => images.first(),
        Some(tag) => images.iter().find(|i| i.repo_tags.iter().any(|t| t == tag)),
    };
    let Some(chosen) = chosen else {
        return Err(Error::NoImage {
            archive: archive.to_owned(),
            image: image.map(str::to_owned),
            available: images
                .iter()
                .flat_map(|i| i.repo_tags.iter().cloned())
                .collect(),
        });
    };
    let diff_ids = index.diff_ids(archive, chosen)?;
    let count = chosen.layers.len();
    let mut layers = Vec::with_capacity(count);
    for (i, (path, diff_id)) in chosen.layers.iter().zip(diff_ids).enumerate() {
        let label = format!("layer {} of {count} ({path})", i + 1);
        let reader = index.open(archive, path)?;
        if reader.is_empty() {
            return Err(Error::MissingLayer {
                archive: archive.to_owned(),
                layer: label,
            });
        }
        layers.push(Layer {
            label,
            reader: Box::new(reader),
            diff_id: Some(diff_id),
        });
    }
    unpack_into(dest, opts, layers)
}

/// Applies layer tars (plain or gzip readers, detected by their magic
/// bytes) in order onto `dest`, which must not exist or be an empty
/// directory (it is then replaced).
pub fn apply_layers(
    layers: impl IntoIterator<Item = Box<dyn Read>>,
    dest: &Path,
    opts: &UnpackOptions,
) -> Result<UnpackReport, Error> {
    let layers = layers.into_iter().enumerate().map(|(i, reader)| Layer {
        label: format!("layer {}", i + 1),
        reader,
        diff_id: None,
    });
    unpack_into(dest, opts, layers)
}

/// One layer to apply.
struct Layer {
    /// How errors name it.
    label: String,
    reader: Box<dyn Read>,
    /// The `sha256:<hex>` its uncompressed bytes must have, when known.
    diff_id: Option<String>,
}

fn unpack_into(
    dest: &Path,
    opts: &UnpackOptions,
    layers: impl IntoIterator<Item = Layer>,
) -> Result<UnpackReport, Error> {
    let parent = check_destination(dest)?;
    let staging = Staging::new(&parent)?;
    let mut applier = Applier::new(&staging.path, opts);
    for layer in layers {
        applier.apply(layer)?;
    }
    let report = applier.finish()?;
    staging.commit(dest)?;
    Ok(report)
}

/// Checks `dest` is absent or an empty directory; returns its parent.
fn check_destination(dest: &Path) -> Result<PathBuf, Error> {
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
struct Staging {
    path: PathBuf,
    committed: bool,
}

impl Staging {
    fn new(parent: &Path) -> Result<Self, Error> {
        let dir = tempfile::Builder::new()
            .prefix(".ocipipe-unpack-")
            .tempdir_in(parent)
            .map_err(|source| Error::Io {
                action: "create a staging directory in",
                path: parent.to_owned(),
                entry: None,
                source,
            })?;
        Ok(Staging {
            path: dir.keep(),
            committed: false,
        })
    }

    /// Renames the staging directory onto `dest` (atomically replacing an
    /// empty directory there).
    fn commit(mut self, dest: &Path) -> Result<(), Error> {
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

/// Attributes a directory gets once everything is applied (a directory's
/// mtime changes as entries land in it, and a read-only mode would stop
/// them landing).
#[derive(Debug, Clone, Copy)]
struct DirAttrs {
    mode: u32,
    mtime: Option<u64>,
    owner: Option<(u32, u32)>,
}

impl DirAttrs {
    /// A directory no entry describes: created as a parent.
    const IMPLICIT: DirAttrs = DirAttrs {
        mode: 0o755,
        mtime: None,
        owner: None,
    };
}

/// The entry being applied, for errors.
struct At<'a> {
    layer: &'a str,
    entry: &'a str,
}

impl At<'_> {
    fn io(&self, action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Error {
        let (path, entry) = (path.to_owned(), self.entry.to_owned());
        move |source| Error::Io {
            action,
            path,
            entry: Some(entry),
            source,
        }
    }

    fn corrupt(&self, message: impl std::fmt::Display) -> Error {
        Error::Corrupt {
            layer: self.layer.to_owned(),
            entry: Some(self.entry.to_owned()),
            message: message.to_string(),
        }
    }
}

/// Maps an error reading a layer's stream to `Truncated` or `Corrupt`.
fn stream_error(layer: &str, entry: &Option<String>, error: io::Error) -> Error {
    if is_truncation(&error) {
        Error::Truncated {
            layer: layer.to_owned(),
            entry: entry.clone(),
            detail: format!("{error} {}", after(entry)),
        }
    } else {
        Error::Corrupt {
            layer: layer.to_owned(),
            entry: entry.clone(),
            message: error.to_string(),
        }
    }
}

/// Why an entry path is refused.
enum PathProblem {
    Absolute,
    Parent,
}

/// Splits an entry path into its components, dropping empty and `.` ones.
fn split_path(raw: &[u8]) -> Result<Vec<&OsStr>, PathProblem> {
    if raw.first() == Some(&b'/') {
        return Err(PathProblem::Absolute);
    }
    let mut parts = Vec::new();
    for part in raw.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err(PathProblem::Parent),
            part => parts.push(OsStr::from_bytes(part)),
        }
    }
    Ok(parts)
}

/// Reads one layer tar (plain or gzip) entry by entry, calling `each` on
/// every entry, then checks that the stream ended with its end-of-archive
/// marker, that a gzip trailer is intact, and that the bytes hash to the
/// layer's diff_id when one is given.
fn read_layer(
    layer: Layer,
    preserve_ownership: bool,
    mut each: impl FnMut(
        &mut tar::Entry<'_, Hashing<Box<dyn Read>>>,
        &[u8],
        &At<'_>,
    ) -> Result<(), Error>,
) -> Result<(), Error> {
    let Layer {
        label,
        mut reader,
        diff_id,
    } = layer;
    let mut prefix = [0u8; 4];
    let got = read_prefix(&mut reader, &mut prefix).map_err(|e| stream_error(&label, &None, e))?;
    let stream = io::Cursor::new(prefix[..got].to_vec()).chain(reader);
    let plain: Box<dyn Read> = match sniff(&prefix[..got]) {
        Compression::None => Box::new(stream),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(stream)),
        Compression::Unsupported(format) => {
            return Err(Error::UnsupportedCompression {
                layer: label,
                format,
            });
        }
    };
    let mut archive = tar::Archive::new(Hashing::new(plain));
    archive.set_preserve_ownerships(preserve_ownership);
    archive.set_preserve_mtime(true);
    archive.set_unpack_xattrs(false);
    let mut last: Option<String> = None;
    // Where the header after the last entry starts.
    let mut end = 0u64;
    for item in archive
        .entries()
        .map_err(|e| stream_error(&label, &None, e))?
    {
        let mut entry = item.map_err(|e| stream_error(&label, &last, e))?;
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        end = entry
            .raw_file_position()
            .saturating_add(entry.size())
            .div_ceil(BLOCK)
            * BLOCK;
        each(
            &mut entry,
            &raw,
            &At {
                layer: &label,
                entry: &shown,
            },
        )?;
        last = Some(shown);
    }
    let mut rest = archive.into_inner();
    // The tar reader stops at a zero block or at the end of the stream:
    // only the first is a whole layer.
    if rest.count() < end.saturating_add(BLOCK) {
        return Err(Error::Truncated {
            layer: label,
            detail: format!("it ends without an end-of-archive marker {}", after(&last)),
            entry: last,
        });
    }
    // Read to the end: a gzip stream's trailer (its checksum) is checked there.
    io::copy(&mut rest, &mut io::sink()).map_err(|e| stream_error(&label, &last, e))?;
    let actual = rest.digest();
    if let Some(expected) = diff_id
        && actual != expected
    {
        return Err(Error::DiffIdMismatch {
            layer: label,
            expected,
            actual,
        });
    }
    Ok(())
}

/// Checks a layer tar given as a build input (plain or gzip) without
/// writing anything: every name and hard-link target stays inside the
/// root (no absolute paths, no `..`), no entry is truncated, the stream
/// ends properly. Device nodes and absolute symlink targets are image
/// content, not escapes, and pass.
pub fn check_layer(path: &Path) -> Result<(), Error> {
    let label = path.display().to_string();
    let file = File::open(path).map_err(|source| Error::Io {
        action: "open layer",
        path: path.to_path_buf(),
        entry: None,
        source,
    })?;
    let layer = Layer {
        label,
        reader: Box::new(io::BufReader::new(file)),
        diff_id: None,
    };
    read_layer(layer, false, |entry, raw, at| {
        let refuse = |problem| {
            let (layer, entry) = (at.layer.to_owned(), at.entry.to_owned());
            match problem {
                PathProblem::Absolute => Error::AbsolutePath { layer, entry },
                PathProblem::Parent => Error::ParentComponent { layer, entry },
            }
        };
        split_path(raw).map_err(refuse)?;
        if entry.header().entry_type().as_byte() == b'1'
            && let Some(target) = entry.link_name_bytes()
        {
            split_path(&target).map_err(refuse)?;
        }
        io::copy(entry, &mut io::sink())
            .map_err(|e| stream_error(at.layer, &Some(at.entry.to_owned()), e))?;
        Ok(())
    })
}

/// Applies layers onto a root directory.
struct Applier<'a> {
    root: &'a Path,
    allow_devices: bool,
    /// Restore ownership (and keep setuid/setgid bits): running as root.
    as_root: bool,
    mode_mask: u32,
    /// Directories to give their attributes at the end, by path relative to the root.
    dirs: BTreeMap<PathBuf, DirAttrs>,
    /// Paths (relative, resolved) this layer wrote, with their ancestors:
    /// whiteouts hide only what lower layers wrote.
    touched: HashSet<PathBuf>,
    report: UnpackReport,
    buffer: Vec<u8>,
}

impl<'a> Applier<'a> {
    fn new(root: &'a Path, opts: &UnpackOptions) -> Self {
        let as_root = running_as_root();
        let mut dirs = BTreeMap::new();
        dirs.insert(PathBuf::new(), DirAttrs::IMPLICIT);
        Applier {
            root,
            allow_devices: opts.allow_devices,
            as_root,
            mode_mask: if as_root { 0o7777 } else { 0o1777 },
            dirs,
            touched: HashSet::new(),
            report: UnpackReport::default(),
            buffer: vec![0; COPY_BUFFER],
        }
    }

    /// Applies one layer: every entry in order, then checks the stream
    /// ended properly and hashed to its diff_id.
    fn apply(&mut self, layer: Layer) -> Result<(), Error> {
        self.touched.clear();
        let as_root = self.as_root;
        read_layer(layer, as_root, |entry, raw, at| {
            self.apply_entry(entry, raw, at)
        })?;
        self.report.layers += 1;
        Ok(())
    }

    fn apply_entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        raw: &[u8],
        at: &At<'_>,
    ) -> Result<(), Error> {
        let kind = entry.header().entry_type().as_byte();
        if kind == b'g' {
            return Ok(()); // a pax global header: metadata for the archive, nothing to apply
        }
        let parts = split_path(raw).map_err(|problem| {
            let (layer, entry) = (at.layer.to_owned(), at.entry.to_owned());
            match problem {
                PathProblem::Absolute => Error::AbsolutePath { layer, entry },
                PathProblem::Parent => Error::ParentComponent { layer, entry },
            }
        })?;
        let is_dir = kind == b'5' || (matches!(kind, b'0' | b'\0' | b'7') && raw.ends_with(b"/"));
        let Some((name, parents)) = parts.split_last() else {
            if !is_dir {
                return Err(Error::RootNotDirectory {
                    layer: at.layer.to_owned(),
                    entry: at.entry.to_owned(),
                });
            }
            let attrs = self.attrs(entry.header(), at)?;
            self.dirs.insert(PathBuf::new(), attrs);
            self.report.entries += 1;
            return Ok(());
        };
        if let Some(hidden) = name.as_bytes().strip_prefix(b".wh.") {
            self.report.whiteouts += 1;
            return self.whiteout(parents, hidden, at);
        }
        let parent = self.resolve_dirs(parents, true, at)?.unwrap_or_default();
        let rel = parent.join(name);
        let path = self.root.join(&rel);
        self.touch(&rel);
        self.report.entries += 1;
        match kind {
            _ if is_dir => self.make_dir(entry.header(), &rel, &path, at),
            b'0' | b'\0' | b'7' => self.write_file(entry, &rel, &path, at),
            b'2' => {
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
            b'1' => self.make_hard_link(entry.link_name_bytes().as_deref(), &rel, &path, at),
            b'3' | b'4' | b'6' => self.make_node(entry.header(), kind, &rel, &path, at),
            other => Err(Error::UnsupportedEntry {
                layer: at.layer.to_owned(),
                entry: at.entry.to_owned(),
                kind: char::from(other),
            }),
        }
    }

    /// The attributes a header gives a directory.
    fn attrs(&self, header: &tar::Header, at: &At<'_>) -> Result<DirAttrs, Error> {
        Ok(DirAttrs {
            mode: header.mode().map_err(|e| at.corrupt(e))?,
            mtime: header.mtime().ok(),
            owner: if self.as_root {
                Some(owner(header, at)?)
            } else {
                None
            },
        })
    }

    /// Applies a whiteout: `.wh.<hidden>` in the directory `parents`.
    fn whiteout(&mut self, parents: &[&OsStr], hidden: &[u8], at: &At<'_>) -> Result<(), Error> {
        if matches!(hidden, b"" | b"." | b"..") {
            return Err(Error::BadWhiteout {
                layer: at.layer.to_owned(),
                entry: at.entry.to_owned(),
            });
        }
        let Some(dir) = self.resolve_dirs(parents, false, at)? else {
            return Ok(()); // nothing below to hide
        };
        if hidden == b".wh..opq" {
            let path = self.root.join(&dir);
            let children: Vec<OsString> = match fs::read_dir(&path) {
                Ok(listing) => listing
                    .map(|child| child.map(|c| c.file_name()))
                    .collect::<Result<_, _>>()
                    .map_err(at.io("list", &path))?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(at.io("list", &path)(e)),
            };
            for child in children {
                self.remove_lower(&dir.join(child), at)?;
            }
        } else if !hidden.starts_with(b".wh.") {
            // `.wh..wh.<anything else>` is AUFS bookkeeping: skipped, never written.
            self.remove_lower(&dir.join(OsStr::from_bytes(hidden)), at)?;
        }
        Ok(())
    }

    /// Removes what lower layers put at `rel`, keeping what this layer wrote.
    fn remove_lower(&mut self, rel: &Path, at: &At<'_>) -> Result<(), Error> {
        let mut stack = vec![rel.to_owned()];
        while let Some(rel) = stack.pop() {
            if !self.touched.contains(&rel) {
                self.clear(&rel, at)?;
                continue;
            }
            let path = self.root.join(&rel);
            if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                for child in fs::read_dir(&path).map_err(at.io("list", &path))? {
                    let child = child.map_err(at.io("list", &path))?;
                    stack.push(rel.join(child.file_name()));
                }
            }
        }
        Ok(())
    }

    /// Marks `rel` and its ancestors as written by this layer.
    fn touch(&mut self, rel: &Path) {
        for path in rel.ancestors() {
            if path.as_os_str().is_empty() || !self.touched.insert(path.to_owned()) {
                break;
            }
        }
    }

    /// Resolves the directories `parts` inside the root without letting
    /// the OS follow a symlink: each component is looked at with
    /// `symlink_metadata`; a symlink's relative target is spliced in and
    /// resolved the same way, `..` climbing the real path; an absolute
    /// target, or one climbing above the root, is refused. With `create`,
    /// missing directories are made (and a file in the way refused);
    /// without, `None` when something is missing or not a directory.
    /// Returns the real path relative to the root.
    fn resolve_dirs(
        &mut self,
        parts: &[&OsStr],
        create: bool,
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
            let path = self.root.join(&here);
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => real.push(part),
                Ok(meta) if meta.file_type().is_symlink() => {
                    hops += 1;
                    if hops > MAX_SYMLINKS {
                        return Err(Error::SymlinkLoop {
                            layer: at.layer.to_owned(),
                            entry: at.entry.to_owned(),
                        });
                    }
                    let target =
                        fs::read_link(&path).map_err(at.io("read symbolic link", &path))?;
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
                Ok(_) if create => {
                    return Err(Error::ParentNotDirectory {
                        layer: at.layer.to_owned(),
                        entry: at.entry.to_owned(),
                        parent: here,
                    });
                }
                Ok(_) => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                    fs::DirBuilder::new()
                        .mode(0o700)
                        .create(&path)
                        .map_err(at.io("create directory", &path))?;
                    self.dirs.insert(here, DirAttrs::IMPLICIT);
                    real.push(part);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(at.io("inspect", &path)(e)),
            }
        }
        Ok(Some(real.iter().collect()))
    }

    /// Removes whatever is at `rel` (a directory with all it holds).
    fn clear(&mut self, rel: &Path, at: &At<'_>) -> Result<(), Error> {
        let path = self.root.join(rel);
        match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(at.io("inspect", &path)(e)),
            Ok(meta) if meta.is_dir() => {
                fs::remove_dir_all(&path).map_err(at.io("remove directory", &path))?;
                let doomed: Vec<PathBuf> = self
                    .dirs
                    .range::<Path, _>((Bound::Included(rel), Bound::Unbounded))
                    .take_while(|(dir, _)| dir.starts_with(rel))
                    .map(|(dir, _)| dir.clone())
                    .collect();
                for dir in doomed {
                    self.dirs.remove(&dir);
                }
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
        let attrs = self.attrs(header, at)?;
        if !fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
            self.clear(rel, at)?;
            fs::DirBuilder::new()
                .mode(0o700)
                .create(path)
                .map_err(at.io("create directory", path))?;
        }
        self.dirs.insert(rel.to_owned(), attrs);
        Ok(())
    }

    fn write_file<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        rel: &Path,
        path: &Path,
        at: &At<'_>,
    ) -> Result<(), Error> {
        let header = entry.header();
        let mode = header.mode().map_err(|e| at.corrupt(e))?;
        let mtime = header.mtime().ok();
        let owner = if self.as_root {
            Some(owner(header, at)?)
        } else {
            None
        };
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
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::fchown(&file, Some(uid), Some(gid))
                .map_err(at.io("set the owner of", path))?;
        }
        file.set_permissions(Permissions::from_mode(mode & self.mode_mask))
            .map_err(at.io("set the mode of", path))?;
        if let Some(mtime) = mtime {
            file.set_modified(epoch_plus(mtime))
                .map_err(at.io("set the mtime of", path))?;
        }
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
        let parts = split_path(target).map_err(|_| Error::HardLinkEscape {
            layer: layer.clone(),
            entry: entry.clone(),
            target: shown.clone(),
        })?;
        let Some((name, parents)) = parts.split_last() else {
            return Err(Error::HardLinkToDirectory {
                layer,
                entry,
                target: shown,
            });
        };
        let parent = match self.resolve_dirs(parents, false, at) {
            Ok(Some(parent)) => parent,
            Ok(None) => {
                return Err(Error::HardLinkMissing {
                    layer,
                    entry,
                    target: shown,
                });
            }
            Err(Error::SymlinkEscape { .. }) => {
                return Err(Error::HardLinkEscape {
                    layer,
                    entry,
                    target: shown,
                });
            }
            Err(e) => return Err(e),
        };
        let target_rel = parent.join(name);
        let target_path = self.root.join(&target_rel);
        match fs::symlink_metadata(&target_path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::HardLinkMissing {
                    layer,
                    entry,
                    target: shown,
                });
            }
            Err(e) => return Err(at.io("inspect", &target_path)(e)),
            Ok(meta) if meta.is_dir() => {
                return Err(Error::HardLinkToDirectory {
                    layer,
                    entry,
                    target: shown,
                });
            }
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
        kind: u8,
        rel: &Path,
        path: &Path,
        at: &At<'_>,
    ) -> Result<(), Error> {
        let (format, device) = match kind {
            b'3' => (sys::S_IFCHR, Some("character device")),
            b'4' => (sys::S_IFBLK, Some("block device")),
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
        let mode = header.mode().map_err(|e| at.corrupt(e))?;
        let owner = if self.as_root {
            Some(owner(header, at)?)
        } else {
            None
        };
        self.clear(rel, at)?;
        sys::make_node(path, format | 0o600, number).map_err(at.io("create node", path))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::lchown(path, Some(uid), Some(gid))
                .map_err(at.io("set the owner of", path))?;
        }
        fs::set_permissions(path, Permissions::from_mode(mode & self.mode_mask))
            .map_err(at.io("set the mode of", path))
    }

    /// Gives directories their attributes, deepest first, and returns the report.
    fn finish(self) -> Result<UnpackReport, Error> {
        for (rel, attrs) in self.dirs.iter().rev() {
            let path = self.root.join(rel);
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
            fs::set_permissions(&path, Permissions::from_mode(attrs.mode & self.mode_mask))
                .map_err(io_error("set the mode of"))?;
        }
        Ok(self.report)
    }
}

fn owner(header: &tar::Header, at: &At<'_>) -> Result<(u32, u32), Error> {
    let uid = header.uid().map_err(|e| at.corrupt(e))?;
    let gid = header.gid().map_err(|e| at.corrupt(e))?;
    match (u32::try_from(uid), u32::try_from(gid)) {
        (Ok(uid), Ok(gid)) => Ok((uid, gid)),
        _ => Err(at.corrupt(format!("owner {uid}:{gid} does not fit 32 bits"))),
    }
}

fn epoch_plus(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

/// Reads up to `buf.len()` bytes, fewer only at the end of the stream.
fn read_prefix(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Making FIFOs and device nodes: `mknod(3)`, which std does not wrap.
mod sys {
    use std::io;
    use std::path::Path;

    /// `S_IFIFO`.
    pub const S_IFIFO: u32 = 0o010000;
    /// `S_IFCHR`.
    pub const S_IFCHR: u32 = 0o020000;
    /// `S_IFBLK`.
    pub const S_IFBLK: u32 = 0o060000;

    /// Creates a node of `mode` (type and permission bits) at `path`.
    #[cfg(target_os = "linux")]
    pub fn make_node(path: &Path, mode: u32, dev: u64) -> io::Result<()> {
        use std::ffi::{CString, c_char, c_int};
        use std::os::unix::ffi::OsStrExt;

        unsafe extern "C" {
            // Exported by glibc (2.33 and later) and musl; on Linux `mode_t`
            // is 32 bits and `dev_t` 64.
            fn mknod(path: *const c_char, mode: u32, dev: u64) -> c_int;
        }

        let path = CString::new(path.as_os_str().as_bytes())?;
        // SAFETY: `path` is a NUL-terminated string that lives through the
        // call; mknod only reads it.
        if unsafe { mknod(path.as_ptr(), mode, dev) } == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Creates a node: not supported off Linux.
    #[cfg(not(target_os = "linux"))]
    pub fn make_node(_path: &Path, _mode: u32, _dev: u64) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "device nodes and FIFOs are only created on Linux",
        ))
    }

    /// A device number from its major and minor parts (glibc's encoding).
    pub fn makedev(major: u32, minor: u32) -> u64 {
        let (major, minor) = (u64::from(major), u64::from(minor));
        ((major & 0xffff_f000) << 32)
            | ((major & 0x0000_0fff) << 8)
            | ((minor & 0xffff_ff00) << 12)
            | (minor & 0x0000_00ff)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::io::Cursor;
    use std::os::unix::fs::FileTypeExt;

    use super::super::archive_reader::test_support::*;
    use super::*;

    /// A test's directories: `top` holds `outside/keep` (what escapes would
    /// reach) and is where `rootfs` (the destination) goes; archives live
    /// in `inputs`, elsewhere.
    struct Scene {
        top: tempfile::TempDir,
        inputs: tempfile::TempDir,
        dest: PathBuf,
        outside: PathBuf,
    }

    fn scene() -> Scene {
        let top = tempfile::tempdir().unwrap();
        let outside = top.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("keep"), b"keep").unwrap();
        let dest = top.path().join("rootfs");
        Scene {
            inputs: tempfile::tempdir().unwrap(),
            dest,
            outside,
            top,
        }
    }

    impl Scene {
        fn apply(&self, layers: Vec<Vec<u8>>) -> Result<UnpackReport, Error> {
            self.apply_with(layers, &UnpackOptions::default())
        }

        fn apply_with(
            &self,
            layers: Vec<Vec<u8>>,
            opts: &UnpackOptions,
        ) -> Result<UnpackReport, Error> {
            let readers = layers
                .into_iter()
                .map(|l| Box::new(Cursor::new(l)) as Box<dyn Read>);
            apply_layers(readers, &self.dest, opts)
        }

        fn archive(&self, files: &[(String, Vec<u8>)]) -> PathBuf {
            write(self.inputs.path(), "image.tar", &tar_of(files))
        }

        /// After a refusal: `dest` not created, no staging directory
        /// left, nothing added outside.
        fn assert_untouched(&self, also: &[&str]) {
            let mut expected: BTreeSet<String> = also.iter().map(|s| s.to_string()).collect();
            expected.insert("outside".to_owned());
            assert_eq!(names(self.top.path()), expected, "beside the destination");
            assert_eq!(
                names(&self.outside),
                BTreeSet::from(["keep".to_owned()]),
                "outside"
            );
            assert_eq!(fs::read(self.outside.join("keep")).unwrap(), b"keep");
        }

        fn read(&self, path: &str) -> String {
            String::from_utf8(fs::read(self.dest.join(path)).unwrap()).unwrap()
        }
    }

    fn names(dir: &Path) -> BTreeSet<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect()
    }

    /// Every path under `dir`, relative.
    fn tree(dir: &Path) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut stack = vec![PathBuf::new()];
        while let Some(rel) = stack.pop() {
            for entry in fs::read_dir(dir.join(&rel)).unwrap() {
                let entry = entry.unwrap();
                let child = rel.join(entry.file_name());
                if entry.file_type().unwrap().is_dir() {
                    stack.push(child.clone());
                }
                found.insert(child.to_string_lossy().into_owned());
            }
        }
        found
    }

    fn set(paths: &[&str]) -> BTreeSet<String> {
        paths.iter().map(|s| s.to_string()).collect()
    }

    // ---- what layers do ----

    #[test]
    fn whiteouts_remove_lower_files_and_directories() {
        let s = scene();
        let lower = TarBuilder::new()
            .dir("etc/")
            .file("etc/a", b"a")
            .file("etc/b", b"b")
            .dir("var/")
            .dir("var/cache/")
            .file("var/cache/x", b"x")
            .finish();
        let upper = TarBuilder::new()
            .file("etc/.wh.a", b"")
            .file(".wh.var", b"")
            .file("etc/.wh.never-there", b"")
            .finish();
        let report = s.apply(vec![lower, upper]).unwrap();
        assert_eq!(tree(&s.dest), set(&["etc", "etc/b"]));
        assert_eq!(
            report,
            UnpackReport {
                layers: 2,
                entries: 6,
                whiteouts: 3,
                bytes: 3
            }
        );
    }

    #[test]
    fn an_opaque_directory_hides_lower_entries_and_keeps_its_own() {
        let lower = || {
            TarBuilder::new()
                .dir("d/")
                .file("d/old", b"o")
                .dir("d/sub/")
                .file("d/sub/old2", b"o")
                .file("top", b"t")
                .finish()
        };
        // The marker before or after this layer's entries: the same result.
        for marker_first in [true, false] {
            let s = scene();
            let mut upper = TarBuilder::new().dir("d/");
            if marker_first {
                upper = upper.file("d/.wh..wh..opq", b"");
            }
            upper = upper
                .file("d/new", b"n")
                .dir("d/sub/")
                .file("d/sub/new2", b"n");
            if !marker_first {
                upper = upper.file("d/.wh..wh..opq", b"");
            }
            s.apply(vec![lower(), upper.finish()]).unwrap();
            assert_eq!(
                tree(&s.dest),
                set(&["d", "d/new", "d/sub", "d/sub/new2", "top"]),
                "marker first: {marker_first}"
            );
        }
    }

    #[test]
    fn a_whiteout_hides_only_lower_layers() {
        let s = scene();
        let lower = TarBuilder::new().dir("a/").file("a/old", b"o").finish();
        let upper = TarBuilder::new()
            .file("a/new", b"n")
            .file(".wh.a", b"")
            .finish();
        s.apply(vec![lower, upper]).unwrap();
        assert_eq!(tree(&s.dest), set(&["a", "a/new"]));
    }

    #[test]
    fn symlinks_are_created_and_written_through_inside_the_root() {
        let s = scene();
        let lower = TarBuilder::new()
            .dir("usr/")
            .dir("usr/lib/")
            .symlink("lib", "usr/lib")
            .dir("opt/")
            .symlink("opt/up", "../usr")
            .symlink("passwd", "/etc/passwd")
            .finish();
        let upper = TarBuilder::new()
            .file("lib/libx.so", b"x")
            .file("opt/up/lib/liby.so", b"y")
            .finish();
        s.apply(vec![lower, upper]).unwrap();
        assert_eq!(s.read("usr/lib/libx.so"), "x");
        assert_eq!(s.read("usr/lib/liby.so"), "y");
        assert_eq!(
            fs::read_link(s.dest.join("lib")).unwrap(),
            Path::new("usr/lib")
        );
        // Created as written, never followed.
        assert_eq!(
            fs::read_link(s.dest.join("passwd")).unwrap(),
            Path::new("/etc/passwd")
        );
        let mtime = fs::symlink_metadata(s.dest.join("passwd")).unwrap().mtime();
        assert_eq!(mtime as u64, MTIME);
    }

    #[test]
    fn hard_links_share_the_inode() {
        let s = scene();
        let lower = TarBuilder::new()
            .dir("bin/")
            .file("bin/busybox", b"bb")
            .hardlink("bin/sh", "bin/busybox")
            .finish();
        let upper = TarBuilder::new().hardlink("ls", "./bin/busybox").finish();
        s.apply(vec![lower, upper]).unwrap();
        let inode = |p: &str| fs::metadata(s.dest.join(p)).unwrap().ino();
        assert_eq!(inode("bin/sh"), inode("bin/busybox"));
        assert_eq!(inode("ls"), inode("bin/busybox"));
        assert_eq!(fs::metadata(s.dest.join("ls")).unwrap().nlink(), 3);
    }

    #[test]
    fn modes_and_mtimes_are_restored() {
        let s = scene();
        let layer = TarBuilder::new()
            .raw_with(b"./", tar::EntryType::Directory, b"", b"", |h| {
                h.set_mode(0o751)
            })
            .raw_with(b"ro/", tar::EntryType::Directory, b"", b"", |h| {
                h.set_mode(0o555)
            })
            .file_mode("ro/file", b"r", 0o444)
            .file_mode("run", b"#!", 0o755)
            .file_mode("secret", b"s", 0o600)
            .raw_with(b"tmp/", tar::EntryType::Directory, b"", b"", |h| {
                h.set_mode(0o1777)
            })
            .finish();
        s.apply(vec![layer]).unwrap();
        let meta = |p: &str| fs::symlink_metadata(s.dest.join(p)).unwrap();
        assert_eq!(meta("").mode() & 0o7777, 0o751);
        assert_eq!(meta("ro").mode() & 0o7777, 0o555);
        assert_eq!(meta("ro/file").mode() & 0o7777, 0o444);
        assert_eq!(meta("run").mode() & 0o7777, 0o755);
        assert_eq!(meta("secret").mode() & 0o7777, 0o600);
        assert_eq!(meta("tmp").mode() & 0o7777, 0o1777);
        for path in ["", "ro", "ro/file", "run", "tmp"] {
            assert_eq!(meta(path).mtime() as u64, MTIME, "{path}");
        }
    }

    #[test]
    fn ownership_is_restored_only_as_root() {
        let s = scene();
        let layer = TarBuilder::new()
            .raw_with(b"owned", tar::EntryType::Regular, b"", b"o", |h| {
                h.set_uid(1234);
                h.set_gid(4321);
            })
            .finish();
        s.apply(vec![layer]).unwrap();
        let meta = fs::metadata(s.dest.join("owned")).unwrap();
        if running_as_root() {
            assert_eq!((meta.uid(), meta.gid()), (1234, 4321));
        } else {
            assert_eq!(meta.uid(), fs::metadata(s.top.path()).unwrap().uid());
        }
    }

    #[test]
    fn a_gzip_layer_is_decompressed() {
        let s = scene();
        let layer = gzip(
            &TarBuilder::new()
                .dir("etc/")
                .file("etc/os-release", b"ID=test\n")
                .finish(),
        );
        let report = s.apply(vec![layer]).unwrap();
        assert_eq!(s.read("etc/os-release"), "ID=test\n");
        assert_eq!(report.bytes, 8);
    }

    #[test]
    fn later_entries_replace_earlier_ones() {
        let s = scene();
        // Duplicates within one layer: the later entry wins.
        let lower = TarBuilder::new()
            .file("dup", b"one")
            .file("dup", b"two")
            .dir("d/")
            .file("d/child", b"c")
            .file("f", b"f")
            .symlink("s", "../outside/keep")
            .finish();
        let upper = TarBuilder::new()
            .file("d", b"now a file")
            .dir("f/")
            .file("f/inside", b"i")
            .file("s", b"plain")
            .finish();
        s.apply(vec![lower, upper]).unwrap();
        assert_eq!(s.read("dup"), "two");
        assert_eq!(s.read("d"), "now a file");
        assert_eq!(s.read("f/inside"), "i");
        assert!(fs::symlink_metadata(s.dest.join("s")).unwrap().is_file());
        assert_eq!(s.read("s"), "plain");
        s.assert_untouched(&["rootfs"]);
    }

    #[test]
    fn fifos_and_allowed_devices_are_created() {
        let s = scene();
        let layer = TarBuilder::new()
            .raw(b"pipe", tar::EntryType::Fifo, b"", b"")
            .raw_with(b"null", tar::EntryType::Char, b"", b"", |h| {
                h.set_device_major(1).unwrap();
                h.set_device_minor(3).unwrap();
            })
            .finish();
        let opts = UnpackOptions {
            allow_devices: true,
        };
        match s.apply_with(vec![layer], &opts) {
            Ok(_) => {
                assert!(
                    fs::symlink_metadata(s.dest.join("pipe"))
                        .unwrap()
                        .file_type()
                        .is_fifo()
                );
                let null = fs::symlink_metadata(s.dest.join("null")).unwrap();
                assert!(null.file_type().is_char_device());
                assert_eq!(null.rdev(), sys::makedev(1, 3));
            }
            // Only root may make device nodes.
            Err(Error::Io { source, .. }) if !running_as_root() => {
                assert_eq!(source.kind(), io::ErrorKind::PermissionDenied);
                s.assert_untouched(&[]);
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn an_empty_destination_directory_is_replaced() {
        let s = scene();
        fs::create_dir(&s.dest).unwrap();
        s.apply(vec![TarBuilder::new().file("a", b"a").finish()])
            .unwrap();
        assert_eq!(s.read("a"), "a");
        s.assert_untouched(&["rootfs"]);
    }

    #[test]
    fn a_legacy_archive_unpacks_the_image_asked_for() {
        let s = scene();
        let files = legacy_files(&[
            Image {
                tags: &["a:1"],
                layers: vec![TarBuilder::new().file("who", b"a").finish()],
            },
            Image {
                tags: &["b:1", "b:latest"],
                layers: vec![
                    TarBuilder::new()
                        .file("who", b"b")
                        .file("gone", b"g")
                        .finish(),
                    gzip(
                        &TarBuilder::new()
                            .file(".wh.gone", b"")
                            .file("more", b"m")
                            .finish(),
                    ),
                ],
            },
        ]);
        let archive = s.archive(&files);
        let report = unpack_archive(
            &archive,
            Some("b:latest"),
            &s.dest,
            &UnpackOptions::default(),
        )
        .unwrap();
        assert_eq!(tree(&s.dest), set(&["who", "more"]));
        assert_eq!(s.read("who"), "b");
        assert_eq!(
            report,
            UnpackReport {
                layers: 2,
                entries: 3,
                whiteouts: 1,
                bytes: 3
            }
        );

        let first = s.top.path().join("first");
        unpack_archive(&archive, None, &first, &UnpackOptions::default()).unwrap();
        assert_eq!(fs::read(first.join("who")).unwrap(), b"a");

        let err = unpack_archive(
            &archive,
            Some("c:1"),
            &s.top.path().join("none"),
            &UnpackOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::NoImage { available, .. } if available.len() == 3),
            "{err}"
        );
        assert_eq!(names(s.top.path()), set(&["outside", "rootfs", "first"]));
    }

    #[test]
    fn a_dual_format_archive_unpacks() {
        let s = scene();
        let files = dual_files(&[Image {
            tags: &["app:1"],
            layers: vec![
                TarBuilder::new().dir("etc/").file("etc/a", b"a").finish(),
                gzip(&TarBuilder::new().file("etc/b", b"b").finish()),
            ],
        }]);
        let report = unpack_archive(
            &s.archive(&files),
            Some("app:1"),
            &s.dest,
            &UnpackOptions::default(),
        )
        .unwrap();
        assert_eq!(tree(&s.dest), set(&["etc", "etc/a", "etc/b"]));
        assert_eq!(report.layers, 2);
    }

    // ---- refusals: each leaves no destination and nothing outside ----

    #[test]
    fn refuses_an_absolute_path() {
        let s = scene();
        let layer = TarBuilder::new()
            .file("ok", b"ok")
            .raw(b"/etc/evil", tar::EntryType::Regular, b"", b"x")
            .finish();
        let err = s.apply(vec![layer]).unwrap_err();
        assert!(
            matches!(&err, Error::AbsolutePath { entry, .. } if entry == "/etc/evil"),
            "{err}"
        );
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_parent_component() {
        let s = scene();
        let layer = TarBuilder::new()
            .raw(b"a/../../outside/evil", tar::EntryType::Regular, b"", b"x")
            .finish();
        let err = s.apply(vec![layer]).unwrap_err();
        assert!(
            matches!(&err, Error::ParentComponent { entry, .. } if entry == "a/../../outside/evil"),
            "{err}"
        );
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_path_through_a_symlink_to_an_absolute_path() {
        let s = scene();
        let lower = TarBuilder::new()
            .symlink("evil", s.outside.to_str().unwrap())
            .finish();
        let upper = TarBuilder::new().file("evil/passwd", b"root::0:0").finish();
        let err = s.apply(vec![lower, upper]).unwrap_err();
        assert!(
            matches!(&err, Error::SymlinkEscape { entry, link, .. } if entry == "evil/passwd" && link == Path::new("evil")),
            "{err}"
        );
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_path_through_a_symlink_climbing_out() {
        for target in ["../outside", "../../x", "a/../../outside"] {
            let s = scene();
            let lower = TarBuilder::new()
                .dir("d/")
                .symlink("d/evil", &format!("../{target}"))
                .finish();
            let upper = TarBuilder::new()
                .file("d/evil/passwd", b"root::0:0")
                .finish();
            let err = s.apply(vec![lower, upper]).unwrap_err();
            assert!(
                matches!(&err, Error::SymlinkEscape { entry, .. } if entry == "d/evil/passwd"),
                "{target}: {err}"
            );
            s.assert_untouched(&[]);
        }
    }

    #[test]
    fn refuses_a_sibling_that_shares_the_destination_prefix() {
        // imgutil's cleanPath compared strings: `<dest>-evil/...` passed as "inside `<dest>`".
        let s = scene();
        fs::create_dir(s.top.path().join("rootfs-evil")).unwrap();
        let lower = TarBuilder::new().symlink("x", "../rootfs-evil").finish();
        let upper = TarBuilder::new().file("x/f", b"f").finish();
        let err = s.apply(vec![lower, upper]).unwrap_err();
        assert!(matches!(&err, Error::SymlinkEscape { .. }), "{err}");
        let link = TarBuilder::new()
            .raw(b"h", tar::EntryType::Link, b"../rootfs-evil/f", b"")
            .finish();
        let err = s.apply(vec![link]).unwrap_err();
        assert!(matches!(&err, Error::HardLinkEscape { .. }), "{err}");
        assert!(names(&s.top.path().join("rootfs-evil")).is_empty());
        s.assert_untouched(&["rootfs-evil"]);
    }

    #[test]
    fn refuses_a_hard_link_to_outside_the_root() {
        for (layer, target) in [
            (TarBuilder::new(), "../outside/keep"),
            (TarBuilder::new(), "/etc/passwd"),
            (TarBuilder::new().symlink("up", ".."), "up/outside/keep"),
        ] {
            let s = scene();
            let layer = layer
                .raw(b"h", tar::EntryType::Link, target.as_bytes(), b"")
                .finish();
            let err = s.apply(vec![layer]).unwrap_err();
            assert!(
                matches!(&err, Error::HardLinkEscape { entry, .. } if entry == "h"),
                "{target}: {err}"
            );
            s.assert_untouched(&[]);
        }
    }

    #[test]
    fn refuses_a_hard_link_to_an_entry_not_yet_extracted() {
        let s = scene();
        let layer = TarBuilder::new()
            .hardlink("early", "late")
            .file("late", b"l")
            .finish();
        let err = s.apply(vec![layer]).unwrap_err();
        assert!(
            matches!(&err, Error::HardLinkMissing { entry, target, .. } if entry == "early" && target == "late"),
            "{err}"
        );
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_devices_unless_allowed() {
        for kind in [tar::EntryType::Char, tar::EntryType::Block] {
            let s = scene();
            let layer = TarBuilder::new().raw(b"dev/sda", kind, b"", b"").finish();
            let err = s
                .apply_with(
                    vec![layer],
                    &UnpackOptions {
                        allow_devices: false,
                    },
                )
                .unwrap_err();
            assert!(
                matches!(&err, Error::DeviceNotAllowed { entry, .. } if entry == "dev/sda"),
                "{err}"
            );
            s.assert_untouched(&[]);
        }
    }

    #[test]
    fn refuses_a_symlink_loop() {
        let s = scene();
        let layer = TarBuilder::new()
            .symlink("a", "b")
            .symlink("b", "a")
            .file("a/x", b"x")
            .finish();
        let err = s.apply(vec![layer]).unwrap_err();
        assert!(matches!(&err, Error::SymlinkLoop { .. }), "{err}");
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_path_through_a_file() {
        let s = scene();
        let layer = TarBuilder::new().file("f", b"f").file("f/x", b"x").finish();
        let err = s.apply(vec![layer]).unwrap_err();
        assert!(
            matches!(&err, Error::ParentNotDirectory { parent, .. } if parent == Path::new("f")),
            "{err}"
        );
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_layer_cut_inside_data() {
        let s = scene();
        let layer = TarBuilder::new().file("a", &[7; 4000]).finish();
        let err = s.apply(vec![layer[..512 + 1000].to_vec()]).unwrap_err();
        assert!(
            matches!(&err, Error::Truncated { entry: Some(e), .. } if e == "a"),
            "{err}"
        );
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_layer_cut_inside_a_header() {
        let s = scene();
        let layer = TarBuilder::new().file("a", b"a").file("b", b"b").finish();
        let err = s.apply(vec![layer[..1024 + 200].to_vec()]).unwrap_err();
        assert!(matches!(&err, Error::Truncated { .. }), "{err}");
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_layer_without_its_end_marker() {
        let s = scene();
        let layer = TarBuilder::new().file("a", b"a").finish();
        let err = s
            .apply(vec![layer[..layer.len() - 1024].to_vec()])
            .unwrap_err();
        assert!(
            matches!(&err, Error::Truncated { entry: Some(e), .. } if e == "a"),
            "{err}"
        );
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_corrupt_tar_header() {
        let s = scene();
        let mut layer = TarBuilder::new().file("a", b"a").file("b", b"b").finish();
        layer[1024] ^= 0x01; // the second header's name
        let err = s.apply(vec![layer]).unwrap_err();
        assert!(
            matches!(&err, Error::Corrupt { entry: Some(e), .. } if e == "a"),
            "{err}"
        );
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_truncated_gzip_layer() {
        let plain = TarBuilder::new().file("a", &[1; 3000]).finish();
        let gzipped = gzip(&plain);
        // Cut in the deflate data, and cut only the trailer: every tar
        // byte is there then, but the gzip stream is not whole.
        for cut in [gzipped.len() / 2, gzipped.len() - 4] {
            let s = scene();
            let err = s.apply(vec![gzipped[..cut].to_vec()]).unwrap_err();
            assert!(
                matches!(&err, Error::Truncated { .. }),
                "cut at {cut}: {err}"
            );
            s.assert_untouched(&[]);
        }
    }

    #[test]
    fn refuses_a_corrupt_gzip_layer() {
        let s = scene();
        let mut gzipped = gzip(&TarBuilder::new().file("a", b"a").finish());
        let crc = gzipped.len() - 8;
        gzipped[crc] ^= 0xff;
        let err = s.apply(vec![gzipped]).unwrap_err();
        assert!(matches!(&err, Error::Corrupt { .. }), "{err}");
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_zstd_layer() {
        let s = scene();
        let err = s
            .apply(vec![vec![0x28, 0xb5, 0x2f, 0xfd, 0, 0]])
            .unwrap_err();
        assert!(
            matches!(&err, Error::UnsupportedCompression { format: "zstd", .. }),
            "{err}"
        );
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_manifest_naming_a_missing_file() {
        let s = scene();
        let mut files = legacy_files(&[Image {
            tags: &["a:1"],
            layers: vec![TarBuilder::new().file("a", b"a").finish()],
        }]);
        files.retain(|(name, _)| !name.ends_with("/layer.tar"));
        let err = unpack_archive(&s.archive(&files), None, &s.dest, &UnpackOptions::default())
            .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Archive(archive_reader::Error::MissingEntry { .. })
            ),
            "{err}"
        );
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_layer_that_does_not_match_its_diff_id() {
        let s = scene();
        let mut files = legacy_files(&[Image {
            tags: &["a:1"],
            layers: vec![TarBuilder::new().file("a", b"a").finish()],
        }]);
        let layer = files
            .iter()
            .find(|(n, _)| n.ends_with("/layer.tar"))
            .unwrap()
            .0
            .clone();
        replace(
            &mut files,
            &layer,
            TarBuilder::new().file("a", b"tampered").finish(),
        );
        let err = unpack_archive(&s.archive(&files), None, &s.dest, &UnpackOptions::default())
            .unwrap_err();
        assert!(matches!(&err, Error::DiffIdMismatch { .. }), "{err}");
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_config_that_does_not_match_its_name() {
        let s = scene();
        let mut files = legacy_files(&[Image {
            tags: &["a:1"],
            layers: vec![TarBuilder::new().file("a", b"a").finish()],
        }]);
        let (name, mut config) = files
            .iter()
            .find(|(n, _)| n.ends_with(".json") && !n.contains('/') && n != "manifest.json")
            .cloned()
            .unwrap();
        config.push(b' ');
        replace(&mut files, &name, config);
        let err = unpack_archive(&s.archive(&files), None, &s.dest, &UnpackOptions::default())
            .unwrap_err();
        assert!(
            matches!(&err, Error::Archive(archive_reader::Error::DigestMismatch { entry, .. }) if *entry == name),
            "{err}"
        );
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_an_image_with_a_placeholder_layer() {
        let s = scene();
        let mut files = legacy_files(&[Image {
            tags: &["a:1"],
            layers: vec![TarBuilder::new().file("a", b"a").finish()],
        }]);
        let layer = files
            .iter()
            .find(|(n, _)| n.ends_with("/layer.tar"))
            .unwrap()
            .0
            .clone();
        replace(&mut files, &layer, Vec::new());
        let err = unpack_archive(&s.archive(&files), None, &s.dest, &UnpackOptions::default())
            .unwrap_err();
        assert!(matches!(&err, Error::MissingLayer { .. }), "{err}");
        s.assert_untouched(&[]);
    }

    #[test]
    fn refuses_a_destination_that_is_not_empty() {
        let s = scene();
        fs::create_dir(&s.dest).unwrap();
        fs::write(s.dest.join("mine"), b"mine").unwrap();
        let err = s
            .apply(vec![TarBuilder::new().file("a", b"a").finish()])
            .unwrap_err();
        assert!(matches!(&err, Error::DestinationExists { .. }), "{err}");
        assert_eq!(names(&s.dest), set(&["mine"]));
        s.assert_untouched(&["rootfs"]);

        let file = s.top.path().join("file");
        fs::write(&file, b"f").unwrap();
        let err = apply_layers(
            Vec::<Box<dyn Read>>::new(),
            &file,
            &UnpackOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(&err, Error::DestinationExists { .. }), "{err}");
        s.assert_untouched(&["rootfs", "file"]);
    }

    #[test]
    fn paths_are_split_component_wise() {
        let parts = |raw: &[u8]| {
            split_path(raw).ok().map(|p| {
                p.iter()
                    .map(|c| c.to_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            parts(b"./a//b/./c/"),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(parts(b"./"), Some(vec![]));
        assert_eq!(parts(b"a/.."), None);
        assert_eq!(parts(b"/a"), None);
        assert_eq!(parts(b"..a/b..").map(|p| p.len()), Some(2));
    }
}
