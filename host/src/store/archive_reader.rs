//! Reading image archives (`docker save` / `docker load` tars) safely.
//!
//! Owns: one pass over an archive's tar headers into an [`ArchiveIndex`]
//! (validating every entry name), reading and checking `manifest.json`,
//! opening one entry's bytes, and verifying digests: blobs named by a digest
//! and each image's layer `diff_ids`. Reads the legacy layout Docker Engine
//! 20.10 writes (`<hex>.json` configs, `<id>/layer.tar` layers) and
//! ocipipe's dual-format one (`manifest.json` pointing into
//! `blobs/sha256/<hex>`, beside `index.json` and `oci-layout`).
//!
//! Must not: write anything to disk (unpacking is [`super::unpack`]),
//! decide an archive's layout (the tar-assembly component does), read a
//! layer into memory (layers stream; only small documents such as
//! `manifest.json` and configs are read whole, under a cap), or trust a
//! name, size or digest it has not checked.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

/// The name of the archive's table of contents.
pub const MANIFEST: &str = "manifest.json";
/// The largest `manifest.json` read, in bytes.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// The largest image config read, in bytes.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;
/// The most links (symbolic or hard) followed to resolve one entry name.
const MAX_LINK_HOPS: usize = 16;
/// A tar block.
pub(super) const BLOCK: u64 = 512;

/// Failures of reading an image archive. Every case names the archive and,
/// where there is one, the entry at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The archive file could not be opened or read.
    #[error("cannot read image archive {archive}: {source}")]
    Io {
        /// The archive file.
        archive: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The tar ends before an entry's data, inside a header, or without its
    /// end-of-archive marker.
    #[error("image archive {archive} is truncated: {detail}")]
    Truncated {
        /// The archive file.
        archive: PathBuf,
        /// The entry cut short, or the last whole entry before the cut.
        entry: Option<String>,
        /// Where it is cut.
        detail: String,
    },
    /// A tar header is corrupt: a bad checksum, a bad number field, a bad
    /// extension header.
    #[error(
        "image archive {archive} has a corrupt tar header {}: {message}",
        after(entry)
    )]
    CorruptHeader {
        /// The archive file.
        archive: PathBuf,
        /// The last good entry before the corrupt header.
        entry: Option<String>,
        /// What is wrong with it.
        message: String,
    },
    /// An entry name is not UTF-8.
    #[error("image archive {archive} has an entry whose name is not UTF-8: {entry:?}")]
    NonUtf8Name {
        /// The archive file.
        archive: PathBuf,
        /// The name, with invalid bytes replaced.
        entry: String,
    },
    /// An entry name (or a path `manifest.json` names) is absolute.
    #[error("image archive {archive} names an absolute path {entry:?}; names must be relative")]
    AbsoluteName {
        /// The archive file.
        archive: PathBuf,
        /// The name.
        entry: String,
    },
    /// An entry name (or a path `manifest.json` names) has a `..` component.
    #[error("image archive {archive} names {entry:?}, which has a `..` component")]
    ParentComponent {
        /// The archive file.
        archive: PathBuf,
        /// The name.
        entry: String,
    },
    /// A non-directory entry whose name is empty or `.`.
    #[error("image archive {archive} has a {kind} with an empty name {entry:?}")]
    EmptyName {
        /// The archive file.
        archive: PathBuf,
        /// The name as written.
        entry: String,
        /// Its kind.
        kind: EntryKind,
    },
    /// Two entries whose names normalise to the same path.
    #[error("image archive {archive} has two entries for {path:?} (the second spelled {entry:?})")]
    DuplicateEntry {
        /// The archive file.
        archive: PathBuf,
        /// The second entry's name as written.
        entry: String,
        /// The normalised path both name.
        path: String,
    },
    /// The archive has no `manifest.json`.
    #[error("image archive {archive} has no manifest.json; it is not a docker-archive")]
    MissingManifest {
        /// The archive file.
        archive: PathBuf,
    },
    /// `manifest.json` is not JSON, or not the shape `docker load` reads.
    #[error("image archive {archive} has an invalid manifest.json: {message}")]
    BadManifest {
        /// The archive file.
        archive: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A name refers to no entry of the archive.
    #[error("image archive {archive} has no entry {entry:?} (named by {wanted_by})")]
    MissingEntry {
        /// The archive file.
        archive: PathBuf,
        /// The missing name.
        entry: String,
        /// Who named it, e.g. `manifest.json (Layers of image 1)`.
        wanted_by: String,
    },
    /// A name refers to an entry that is not a regular file (nor a link to one).
    #[error(
        "image archive {archive}: {entry:?} (named by {wanted_by}) is a {kind}, not a regular file"
    )]
    NotRegular {
        /// The archive file.
        archive: PathBuf,
        /// The entry.
        entry: String,
        /// Its kind.
        kind: EntryKind,
        /// Who named it.
        wanted_by: String,
    },
    /// A link entry on the way to a regular file cannot be followed.
    #[error("image archive {archive}: link {entry:?} -> {target:?} {reason}")]
    BadLink {
        /// The archive file.
        archive: PathBuf,
        /// The link entry.
        entry: String,
        /// Its target as written.
        target: String,
        /// Why it cannot be followed.
        reason: &'static str,
    },
    /// A document is larger than its cap.
    #[error(
        "image archive {archive}: {entry:?} is {size} bytes, more than the {limit} read for it"
    )]
    TooLarge {
        /// The archive file.
        archive: PathBuf,
        /// The entry.
        entry: String,
        /// Its size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// An image config is not JSON or has no usable `rootfs.diff_ids`.
    #[error("image archive {archive}: invalid image config {entry:?}: {message}")]
    BadConfig {
        /// The archive file.
        archive: PathBuf,
        /// The config entry.
        entry: String,
        /// What is wrong.
        message: String,
    },
    /// A config lists a different number of `diff_ids` than `manifest.json` lists layers.
    #[error(
        "image archive {archive}: config {config:?} lists {diff_ids} diff_ids but manifest.json lists {layers} layers"
    )]
    LayerCountMismatch {
        /// The archive file.
        archive: PathBuf,
        /// The config entry.
        config: String,
        /// How many `rootfs.diff_ids`.
        diff_ids: usize,
        /// How many `Layers`.
        layers: usize,
    },
    /// A blob named by a digest does not hash to it.
    #[error("image archive {archive}: {entry:?} should have digest {expected} but has {actual}")]
    DigestMismatch {
        /// The archive file.
        archive: PathBuf,
        /// The entry.
        entry: String,
        /// The digest its name says.
        expected: String,
        /// The digest of its bytes.
        actual: String,
    },
    /// A layer's uncompressed bytes do not hash to its config's `diff_id`.
    #[error(
        "image archive {archive}: layer {entry:?} should have diff_id {expected} (config {config:?}) but has {actual}"
    )]
    DiffIdMismatch {
        /// The archive file.
        archive: PathBuf,
        /// The layer entry.
        entry: String,
        /// The config that lists the diff_id.
        config: String,
        /// The diff_id the config lists.
        expected: String,
        /// The digest of the layer's uncompressed bytes.
        actual: String,
    },
    /// A layer is compressed with something other than gzip.
    #[error(
        "image archive {archive}: layer {entry:?} is {format}-compressed; only gzip is supported"
    )]
    UnsupportedCompression {
        /// The archive file.
        archive: PathBuf,
        /// The layer entry.
        entry: String,
        /// The compression found, e.g. `zstd`.
        format: &'static str,
    },
    /// An entry's bytes could not be read: a corrupt or truncated gzip
    /// stream, or the archive shrank since it was scanned.
    #[error("image archive {archive}: cannot read {entry:?}: {source}")]
    CorruptData {
        /// The archive file.
        archive: PathBuf,
        /// The entry.
        entry: String,
        /// What failed.
        source: io::Error,
    },
}

fn after(entry: &Option<String>) -> String {
    match entry {
        Some(name) => format!("after entry {name:?}"),
        None => "at its start".to_owned(),
    }
}

/// What an archive entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// A regular file (tar types `0`, NUL, `7`).
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// A hard link to an earlier entry.
    HardLink,
    /// Anything else (devices, FIFOs, sparse files...): the tar type byte.
    Other(u8),
}

impl EntryKind {
    fn of(header: &tar::Header) -> Self {
        match header.entry_type().as_byte() {
            b'0' | b'\0' | b'7' => EntryKind::Regular,
            b'5' => EntryKind::Directory,
            b'2' => EntryKind::Symlink,
            b'1' => EntryKind::HardLink,
            other => EntryKind::Other(other),
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryKind::Regular => f.write_str("regular file"),
            EntryKind::Directory => f.write_str("directory"),
            EntryKind::Symlink => f.write_str("symbolic link"),
            EntryKind::HardLink => f.write_str("hard link"),
            EntryKind::Other(byte) => write!(f, "tar entry of type {:?}", char::from(*byte)),
        }
    }
}

/// One entry of an archive, as its header describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What it is.
    pub kind: EntryKind,
    /// Where its data starts in the archive file, in bytes.
    pub offset: u64,
    /// How many bytes of data it has.
    pub size: u64,
    /// A link's target as written (symbolic or hard link), when UTF-8.
    pub link: Option<String>,
}

/// The entries of an image archive by normalised name (no leading `./`,
/// no empty or `.` components, no trailing `/`), built by [`ArchiveIndex::scan`].
#[derive(Debug, Clone)]
pub struct ArchiveIndex {
    entries: BTreeMap<String, Entry>,
}

/// One image `manifest.json` lists, its paths checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveImage {
    /// The config's entry (`<hex>.json`, or `blobs/sha256/<hex>`).
    pub config_path: String,
    /// The names the image is loaded under (`RepoTags`; empty when null).
    pub repo_tags: Vec<String>,
    /// The layers' entries, base first.
    pub layers: Vec<String>,
}

/// One item of `manifest.json`, as `docker load` reads it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestItem {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

/// The part of an image config that verification reads.
#[derive(Deserialize)]
struct ConfigDoc {
    rootfs: RootFs,
}

#[derive(Deserialize)]
struct RootFs {
    diff_ids: Vec<String>,
}

/// Why a name is refused.
enum NameProblem {
    NonUtf8,
    Absolute,
    Parent,
}

/// Normalises an archive entry name: `None` for the archive's root (`./`).
fn normalize_name(raw: &[u8]) -> Result<Option<String>, NameProblem> {
    let name = std::str::from_utf8(raw).map_err(|_| NameProblem::NonUtf8)?;
    if name.starts_with('/') {
        return Err(NameProblem::Absolute);
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(NameProblem::Parent),
            part => parts.push(part),
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join("/")))
}

/// Resolves `target` against the directory `base` lexically; `None` when
/// it climbs above the archive's root.
fn join_lexically(base: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The hex digest a blob's name claims: `blobs/sha256/<hex>` or a
/// top-level `<hex>.json` (a legacy config).
fn digest_in_name(name: &str) -> Option<&str> {
    let hex = name
        .strip_prefix("blobs/sha256/")
        .or_else(|| name.strip_suffix(".json").filter(|h| !h.contains('/')))?;
    is_sha256_hex(hex).then_some(hex)
}

fn is_sha256_hex(hex: &str) -> bool {
    hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The compression a stream's first bytes announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Compression {
    None,
    Gzip,
    /// Recognised but unsupported: the name of the format.
    Unsupported(&'static str),
}

/// Looks at up to the first four bytes of a stream.
pub(super) fn sniff(prefix: &[u8]) -> Compression {
    if prefix.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Unsupported("zstd")
    } else if prefix.starts_with(b"BZh") {
        Compression::Unsupported("bzip2")
    } else if prefix.starts_with(&[0xfd, b'7', b'z', b'X']) {
        Compression::Unsupported("xz")
    } else {
        Compression::None
    }
}

/// A reader that hashes (sha256) and counts every byte read through it.
pub(super) struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> Hashing<R> {
    pub(super) fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// How many bytes went through so far.
    pub(super) fn count(&self) -> u64 {
        self.count
    }

    /// The `sha256:<hex>` digest of the bytes read so far.
    pub(super) fn digest(self) -> String {
        format!("sha256:{}", hex::encode(self.hasher.finalize()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// The bytes of one regular archive entry, from [`ArchiveIndex::open`].
/// Reading past what the file holds is an error (`UnexpectedEof`), never
/// a silently shorter entry.
#[derive(Debug)]
pub struct EntryReader {
    inner: io::Take<File>,
    size: u64,
}

impl EntryReader {
    /// The entry's size in bytes.
    pub fn len(&self) -> u64 {
        self.size
    }

    /// Whether the entry has no bytes (an incremental-load placeholder, for a layer).
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }
}

impl Read for EntryReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && self.inner.limit() > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the archive ends {} bytes into this entry's data",
                    self.size - self.inner.limit()
                ),
            ));
        }
        Ok(n)
    }
}

/// Uncompressed and raw digests of one layer entry.
#[derive(Clone)]
struct LayerDigests {
    raw: String,
    diff: Option<String>,
}

impl ArchiveIndex {
    /// One pass over the headers of the archive at `path` (seeking over
    /// data), validating every entry name: refuses non-UTF-8, absolute, `..`
    /// and duplicate names, corrupt headers, and a tar that is truncated
    /// (data past the end of the file, or no end-of-archive marker).
    pub fn scan(path: &Path) -> Result<Self, Error> {
        let io_error = |source| Error::Io {
            archive: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        let file_len = file.metadata().map_err(io_error)?.len();
        let mut archive = tar::Archive::new(file);
        let mut entries = BTreeMap::new();
        let mut last: Option<String> = None;
        // Where the header after the last entry starts.
        let mut end = 0u64;
        for item in archive.entries_with_seek().map_err(io_error)? {
            let entry = item.map_err(|e| header_error(path, &last, e))?;
            let raw = entry.path_bytes();
            let shown = String::from_utf8_lossy(&raw).into_owned();
            let kind = EntryKind::of(entry.header());
            let offset = entry.raw_file_position();
            let size = entry.size();
            let data_end = offset.saturating_add(size);
            if data_end > file_len {
                return Err(Error::Truncated {
                    archive: path.to_owned(),
                    entry: Some(shown.clone()),
                    detail: format!(
                        "entry {shown:?} has {size} bytes of data but the file ends {} bytes into it",
                        file_len.saturating_sub(offset)
                    ),
                });
            }
            end = data_end.div_ceil(BLOCK) * BLOCK;
            if entry.header().entry_type().is_pax_global_extensions() {
                continue;
            }
            let name = match normalize_name(&raw) {
                Ok(Some(name)) => name,
                Ok(None) if kind == EntryKind::Directory => {
                    last = Some(shown);
                    continue;
                }
                Ok(None) => {
                    return Err(Error::EmptyName {
                        archive: path.to_owned(),
                        entry: shown,
                        kind,
                    });
                }
                Err(problem) => return Err(name_error(path, shown, problem)),
            };
            if entries.contains_key(&name) {
                return Err(Error::DuplicateEntry {
                    archive: path.to_owned(),
                    entry: shown,
                    path: name,
                });
            }
            let link = entry
                .link_name_bytes()
                .and_then(|bytes| String::from_utf8(bytes.into_owned()).ok());
            entries.insert(
                name,
                Entry {
                    kind,
                    offset,
                    size,
                    link,
                },
            );
            last = Some(shown);
        }
        // The tar crate stops at the first zero block, or at the end of the
        // file: only the first is a whole archive.
        if end.saturating_add(BLOCK) > file_len {
            return Err(Error::Truncated {
                archive: path.to_owned(),
                detail: format!("it ends without an end-of-archive marker {}", after(&last)),
                entry: last,
            });
        }
        Ok(ArchiveIndex { entries })
    }

    /// The entry with this normalised name, if any (links not followed).
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// Every entry, by normalised name in byte order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries
            .iter()
            .map(|(name, entry)| (name.as_str(), entry))
    }

    /// `manifest.json` of the archive `file`, parsed and checked: every
    /// `Config` and `Layers` path is a safe name of a regular file in the
    /// archive (or of a link, within the archive, to one: `docker save`
    /// writes `<id>/layer.tar` as a symlink when two images share a layer).
    pub fn images(&self, file: &Path) -> Result<Vec<ArchiveImage>, Error> {
        if !self.entries.contains_key(MANIFEST) {
            return Err(Error::MissingManifest {
                archive: file.to_owned(),
            });
        }
        let bytes = self.read_small(
            file,
            MANIFEST,
            MAX_MANIFEST_BYTES,
            "the docker-archive format",
        )?;
        let items: Vec<ManifestItem> =
            serde_json::from_slice(&bytes).map_err(|e| Error::BadManifest {
                archive: file.to_owned(),
                message: e.to_string(),
            })?;
        let mut images = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let number = i + 1;
            let config_path =
                self.checked_path(file, &item.config, &format!("Config of image {number}"))?;
            let layers = item
                .layers
                .iter()
                .map(|layer| self.checked_path(file, layer, &format!("Layers of image {number}")))
                .collect::<Result<Vec<_>, _>>()?;
            images.push(ArchiveImage {
                config_path,
                repo_tags: item.repo_tags.unwrap_or_default(),
                layers,
            });
        }
        Ok(images)
    }

    /// The `rootfs.diff_ids` of an image's config, one per layer (checked:
    /// as many as `Layers`, each `sha256:<64 hex>`). A config whose name
    /// claims a digest (`<hex>.json`, `blobs/sha256/<hex>`) is checked
    /// against it first, so the diff_ids are those of the image ID.
    pub fn diff_ids(&self, file: &Path, image: &ArchiveImage) -> Result<Vec<String>, Error> {
        let config = &image.config_path;
        let bytes = self.read_small(file, config, MAX_CONFIG_BYTES, "manifest.json (Config)")?;
        if let Some(hex) = digest_in_name(config) {
            let actual = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
            let expected = format!("sha256:{hex}");
            if actual != expected {
                return Err(Error::DigestMismatch {
                    archive: file.to_owned(),
                    entry: config.clone(),
                    expected,
                    actual,
                });
            }
        }
        let bad = |message: String| Error::BadConfig {
            archive: file.to_owned(),
            entry: config.clone(),
            message,
        };
        let doc: ConfigDoc = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        let diff_ids = doc.rootfs.diff_ids;
        if diff_ids.len() != image.layers.len() {
            return Err(Error::LayerCountMismatch {
                archive: file.to_owned(),
                config: config.clone(),
                diff_ids: diff_ids.len(),
                layers: image.layers.len(),
            });
        }
        for diff_id in &diff_ids {
            if !diff_id.strip_prefix("sha256:").is_some_and(is_sha256_hex) {
                return Err(bad(format!(
                    "diff_id {diff_id:?} is not sha256:<64 lowercase hex>"
                )));
            }
        }
        Ok(diff_ids)
    }

    /// A reader of one regular entry's bytes (a `Read` over its range of
    /// the archive `file`). Links within the archive are followed.
    pub fn open(&self, file: &Path, name: &str) -> Result<EntryReader, Error> {
        let (_, entry) = self.resolve(file, name, "the caller")?;
        let io_error = |source| Error::Io {
            archive: file.to_owned(),
            source,
        };
        let mut handle = File::open(file).map_err(io_error)?;
        handle
            .seek(SeekFrom::Start(entry.offset))
            .map_err(io_error)?;
        Ok(EntryReader {
            inner: handle.take(entry.size),
            size: entry.size,
        })
    }

    /// Checks every blob named by a digest (`blobs/sha256/<hex>` entries
    /// and top-level `<hex>.json` configs) hashes to that digest, and that
    /// each image config's `rootfs.diff_ids` match the sha256 of the
    /// (uncompressed) layers `manifest.json` lists. Streams everything;
    /// hashes each entry once. Zero-length layers (incremental-load
    /// placeholders) are not checked against their diff_id.
    pub fn verify(&self, file: &Path) -> Result<(), Error> {
        let mut hashed: HashMap<String, LayerDigests> = HashMap::new();
        for image in self.images(file)? {
            let diff_ids = self.diff_ids(file, &image)?;
            for (layer, expected) in image.layers.iter().zip(&diff_ids) {
                let (target, entry) = self.resolve(file, layer, "manifest.json (Layers)")?;
                if entry.size == 0 {
                    continue;
                }
                let digests = match hashed.get(target) {
                    Some(found @ LayerDigests { diff: Some(_), .. }) => found.clone(),
                    _ => {
                        let digests = self.hash_layer(file, target)?;
                        hashed.insert(target.to_owned(), digests.clone());
                        digests
                    }
                };
                let actual = digests.diff.unwrap_or_default();
                if &actual != expected {
                    return Err(Error::DiffIdMismatch {
                        archive: file.to_owned(),
                        entry: layer.clone(),
                        config: image.config_path.clone(),
                        expected: expected.clone(),
                        actual,
                    });
                }
            }
        }
        for (name, entry) in &self.entries {
            let Some(hex) = digest_in_name(name) else {
                continue;
            };
            if entry.kind == EntryKind::Directory {
                return Err(Error::NotRegular {
                    archive: file.to_owned(),
                    entry: name.clone(),
                    kind: entry.kind,
                    wanted_by: "its digest name".to_owned(),
                });
            }
            let (target, _) = self.resolve(file, name, "its digest name")?;
            let actual = match hashed.get(target) {
                Some(found) => found.raw.clone(),
                None => {
                    let mut reader = Hashing::new(self.open(file, target)?);
                    io::copy(&mut reader, &mut io::sink()).map_err(|e| corrupt(file, target, e))?;
                    let raw = reader.digest();
                    hashed.insert(
                        target.to_owned(),
                        LayerDigests {
                            raw: raw.clone(),
                            diff: None,
                        },
                    );
                    raw
                }
            };
            let expected = format!("sha256:{hex}");
            if actual != expected {
                return Err(Error::DigestMismatch {
                    archive: file.to_owned(),
                    entry: name.clone(),
                    expected,
                    actual,
                });
            }
        }
        Ok(())
    }

    /// Hashes a layer entry as stored and uncompressed, in one pass.
    fn hash_layer(&self, file: &Path, name: &str) -> Result<LayerDigests, Error> {
        let mut raw = BufReader::new(Hashing::new(self.open(file, name)?));
        let prefix = raw.fill_buf().map_err(|e| corrupt(file, name, e))?;
        let compression = sniff(prefix);
        let diff = match compression {
            Compression::None => None,
            Compression::Unsupported(format) => {
                return Err(Error::UnsupportedCompression {
                    archive: file.to_owned(),
                    entry: name.to_owned(),
                    format,
                });
            }
            Compression::Gzip => {
                let mut plain = Hashing::new(flate2::bufread::MultiGzDecoder::new(raw));
                io::copy(&mut plain, &mut io::sink()).map_err(|e| corrupt(file, name, e))?;
                let digest_of_plain = plain.hasher.finalize();
                raw = plain.inner.into_inner();
                Some(format!("sha256:{}", hex::encode(digest_of_plain)))
            }
        };
        // Whatever follows the compressed stream is part of the blob too.
        io::copy(&mut raw, &mut io::sink()).map_err(|e| corrupt(file, name, e))?;
        let raw = raw.into_inner().digest();
        Ok(LayerDigests {
            diff: Some(diff.unwrap_or_else(|| raw.clone())),
            raw,
        })
    }

    /// Reads a small regular entry whole, refusing one larger than `limit`.
    fn read_small(
        &self,
        file: &Path,
        name: &str,
        limit: u64,
        wanted_by: &str,
    ) -> Result<Vec<u8>, Error> {
        let (target, entry) = self.resolve(file, name, wanted_by)?;
        if entry.size > limit {
            return Err(Error::TooLarge {
                archive: file.to_owned(),
                entry: target.to_owned(),
                size: entry.size,
                limit,
            });
        }
        let mut bytes = Vec::with_capacity(entry.size as usize);
        self.open(file, target)?
            .read_to_end(&mut bytes)
            .map_err(|e| corrupt(file, target, e))?;
        Ok(bytes)
    }

    /// Normalises a path `manifest.json` names and checks it is a regular
    /// entry (or a link to one).
    fn checked_path(&self, file: &Path, path: &str, wanted_by: &str) -> Result<String, Error> {
        let name = match normalize_name(path.as_bytes()) {
            Ok(Some(name)) => name,
            Ok(None) => {
                return Err(Error::BadManifest {
                    archive: file.to_owned(),
                    message: format!("{wanted_by} is the empty path {path:?}"),
                });
            }
            Err(problem) => return Err(name_error(file, path.to_owned(), problem)),
        };
        self.resolve(file, &name, &format!("manifest.json ({wanted_by})"))?;
        Ok(name)
    }

    /// Follows links within the archive from `name` to a regular entry.
    fn resolve(&self, file: &Path, name: &str, wanted_by: &str) -> Result<(&str, &Entry), Error> {
        let archive = || file.to_owned();
        let mut current = normalize_name(name.as_bytes())
            .ok()
            .flatten()
            .ok_or_else(|| Error::MissingEntry {
                archive: archive(),
                entry: name.to_owned(),
                wanted_by: wanted_by.to_owned(),
            })?;
        let mut via: Option<(String, String)> = None;
        for _ in 0..=MAX_LINK_HOPS {
            let Some((key, entry)) = self.entries.get_key_value(&current) else {
                return Err(match via {
                    None => Error::MissingEntry {
                        archive: archive(),
                        entry: current,
                        wanted_by: wanted_by.to_owned(),
                    },
                    Some((entry, target)) => Error::BadLink {
                        archive: archive(),
                        entry,
                        target,
                        reason: "names no entry of the archive",
                    },
                });
            };
            let target = || entry.link.clone().unwrap_or_default();
            let bad_link = |reason| Error::BadLink {
                archive: archive(),
                entry: key.clone(),
                target: target(),
                reason,
            };
            current = match entry.kind {
                EntryKind::Regular => return Ok((key.as_str(), entry)),
                EntryKind::Symlink => {
                    let link = entry
                        .link
                        .as_deref()
                        .filter(|l| !l.is_empty())
                        .ok_or_else(|| bad_link("has no UTF-8 target"))?;
                    if link.starts_with('/') {
                        return Err(bad_link(
                            "is absolute; only links within the archive are followed",
                        ));
                    }
                    let base = key.rsplit_once('/').map_or("", |(dir, _)| dir);
                    join_lexically(base, link)
                        .ok_or_else(|| bad_link("points outside the archive"))?
                }
                EntryKind::HardLink => {
                    let link = entry
                        .link
                        .as_deref()
                        .ok_or_else(|| bad_link("has no UTF-8 target"))?;
                    match normalize_name(link.as_bytes()) {
                        Ok(Some(target)) => target,
                        _ => return Err(bad_link("is not a safe name within the archive")),
                    }
                }
                kind => {
                    return Err(Error::NotRegular {
                        archive: archive(),
                        entry: key.clone(),
                        kind,
                        wanted_by: wanted_by.to_owned(),
                    });
                }
            };
            via = Some((key.clone(), target()));
        }
        let (entry, target) = via.unwrap_or_default();
        Err(Error::BadLink {
            archive: archive(),
            entry,
            target,
            reason: "is part of a chain of too many links",
        })
    }
}

fn corrupt(file: &Path, entry: &str, source: io::Error) -> Error {
    Error::CorruptData {
        archive: file.to_owned(),
        entry: entry.to_owned(),
        source,
    }
}

fn name_error(archive: &Path, entry: String, problem: NameProblem) -> Error {
    let archive = archive.to_owned();
    match problem {
        NameProblem::NonUtf8 => Error::NonUtf8Name { archive, entry },
        NameProblem::Absolute => Error::AbsoluteName { archive, entry },
        NameProblem::Parent => Error::ParentComponent { archive, entry },
    }
}

/// Whether a tar or gzip read error means the stream ended early. The tar
/// crate reports a cut header or a cut skip as `Other` errors.
pub(super) fn is_truncation(error: &io::Error) -> bool {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        return true;
    }
    let message = error.to_string();
    [
        "failed to read entire block",
        "unexpected EOF during skip",
        "members found describing a future member but no future member found",
    ]
    .iter()
    .any(|known| message.contains(known))
}

fn header_error(archive: &Path, last: &Option<String>, error: io::Error) -> Error {
    if is_truncation(&error) {
        Error::Truncated {
            archive: archive.to_owned(),
            entry: last.clone(),
            detail: format!("a header is cut short {}", after(last)),
        }
    } else {
        Error::CorruptHeader {
            archive: archive.to_owned(),
            entry: last.clone(),
            message: error.to_string(),
        }
    }
}

/// Builders of tars and image archives for the tests of `store`.
#[cfg(test)]
pub(super) mod test_support {
    use std::io::{Read, Write};
    use std::path::{Path, PathBuf};

    use sha2::{Digest as _, Sha256};

    /// The mtime every test entry has.
    pub(in crate::store) const MTIME: u64 = 1_600_000_000;

    /// A tar in memory, headers written raw so hostile names get through.
    pub(in crate::store) struct TarBuilder(tar::Builder<Vec<u8>>);

    impl TarBuilder {
        pub(in crate::store) fn new() -> Self {
            TarBuilder(tar::Builder::new(Vec::new()))
        }

        /// Appends an entry with `name` and `link` copied byte for byte.
        pub(in crate::store) fn raw_with(
            mut self,
            name: &[u8],
            kind: tar::EntryType,
            link: &[u8],
            data: &[u8],
            edit: impl FnOnce(&mut tar::Header),
        ) -> Self {
            let mut header = tar::Header::new_ustar();
            header.set_entry_type(kind);
            header.set_size(data.len() as u64);
            header.set_mode(if kind == tar::EntryType::Directory {
                0o755
            } else {
                0o644
            });
            header.set_mtime(MTIME);
            header.set_uid(0);
            header.set_gid(0);
            header.as_old_mut().name[..name.len()].copy_from_slice(name);
            header.as_old_mut().linkname[..link.len()].copy_from_slice(link);
            edit(&mut header);
            header.set_cksum();
            self.0.append(&header, data).unwrap();
            self
        }

        pub(in crate::store) fn raw(
            self,
            name: &[u8],
            kind: tar::EntryType,
            link: &[u8],
            data: &[u8],
        ) -> Self {
            self.raw_with(name, kind, link, data, |_| {})
        }

        pub(in crate::store) fn file(self, name: &str, data: &[u8]) -> Self {
            self.raw(name.as_bytes(), tar::EntryType::Regular, b"", data)
        }

        pub(in crate::store) fn file_mode(self, name: &str, data: &[u8], mode: u32) -> Self {
            self.raw_with(name.as_bytes(), tar::EntryType::Regular, b"", data, |h| {
                h.set_mode(mode)
            })
        }

        pub(in crate::store) fn dir(self, name: &str) -> Self {
            self.raw(name.as_bytes(), tar::EntryType::Directory, b"", b"")
        }

        pub(in crate::store) fn symlink(self, name: &str, target: &str) -> Self {
            self.raw(
                name.as_bytes(),
                tar::EntryType::Symlink,
                target.as_bytes(),
                b"",
            )
        }

        pub(in crate::store) fn hardlink(self, name: &str, target: &str) -> Self {
            self.raw(
                name.as_bytes(),
                tar::EntryType::Link,
                target.as_bytes(),
                b"",
            )
        }

        /// Finishes the tar (with its two zero blocks).
        pub(in crate::store) fn finish(self) -> Vec<u8> {
            self.0.into_inner().unwrap()
        }
    }

    pub(in crate::store) fn sha256_hex(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    pub(in crate::store) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// The diff_id of a layer as stored (gzip or plain).
    pub(in crate::store) fn diff_id(stored: &[u8]) -> String {
        if stored.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(stored)
                .read_to_end(&mut plain)
                .unwrap();
            format!("sha256:{}", sha256_hex(&plain))
        } else {
            format!("sha256:{}", sha256_hex(stored))
        }
    }

    /// An image config listing these diff_ids.
    pub(in crate::store) fn config(diff_ids: &[String]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": { "type": "layers", "diff_ids": diff_ids },
        }))
        .unwrap()
    }

    /// An image to put in an archive: tags and layers as stored.
    pub(in crate::store) struct Image<'a> {
        pub(in crate::store) tags: &'a [&'a str],
        pub(in crate::store) layers: Vec<Vec<u8>>,
    }

    /// The files of a legacy `docker save` archive (Docker Engine 20.10):
    /// `<hex>.json` configs, `<id>/layer.tar` layers. Names ending in `/`
    /// are directories.
    pub(in crate::store) fn legacy_files(images: &[Image<'_>]) -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        let mut manifest = Vec::new();
        for image in images {
            let diff_ids: Vec<String> = image.layers.iter().map(|l| diff_id(l)).collect();
            let config = config(&diff_ids);
            let config_name = format!("{}.json", sha256_hex(&config));
            let mut layers = Vec::new();
            for (i, layer) in image.layers.iter().enumerate() {
                let id = sha256_hex(format!("{config_name}{i}").as_bytes());
                files.push((format!("{id}/"), Vec::new()));
                files.push((format!("{id}/VERSION"), b"1.0".to_vec()));
                files.push((format!("{id}/json"), b"{}".to_vec()));
                files.push((format!("{id}/layer.tar"), layer.clone()));
                layers.push(format!("{id}/layer.tar"));
            }
            files.push((config_name.clone(), config));
            manifest.push(serde_json::json!({ "Config": config_name, "RepoTags": image.tags, "Layers": layers }));
        }
        files.push((
            "manifest.json".to_owned(),
            serde_json::to_vec(&manifest).unwrap(),
        ));
        files
    }

    /// The files of an ocipipe dual-format archive: blobs under
    /// `blobs/sha256/`, `index.json` and `oci-layout`, and a
    /// `manifest.json` pointing into the blobs.
    pub(in crate::store) fn dual_files(images: &[Image<'_>]) -> Vec<(String, Vec<u8>)> {
        let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
        let mut manifest = Vec::new();
        let mut index = Vec::new();
        for image in images {
            let diff_ids: Vec<String> = image.layers.iter().map(|l| diff_id(l)).collect();
            let config = config(&diff_ids);
            let config_hex = sha256_hex(&config);
            let mut layers = Vec::new();
            for layer in &image.layers {
                let hex = sha256_hex(layer);
                layers.push(format!("blobs/sha256/{hex}"));
                if !blobs.iter().any(|(name, _)| name.ends_with(&hex)) {
                    blobs.push((format!("blobs/sha256/{hex}"), layer.clone()));
                }
            }
            let oci_manifest = serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{config_hex}"), "size": config.len() },
                "layers": image.layers.iter().map(|l| serde_json::json!({
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": format!("sha256:{}", sha256_hex(l)),
                    "size": l.len(),
                })).collect::<Vec<_>>(),
            }))
            .unwrap();
            let manifest_hex = sha256_hex(&oci_manifest);
            index.push(serde_json::json!({
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": format!("sha256:{manifest_hex}"),
                "size": oci_manifest.len(),
            }));
            blobs.push((format!("blobs/sha256/{config_hex}"), config));
            blobs.push((format!("blobs/sha256/{manifest_hex}"), oci_manifest));
            manifest.push(serde_json::json!({
                "Config": format!("blobs/sha256/{config_hex}"),
                "RepoTags": image.tags,
                "Layers": layers,
            }));
        }
        let mut files = vec![
            ("blobs/".to_owned(), Vec::new()),
            ("blobs/sha256/".to_owned(), Vec::new()),
            (
                "oci-layout".to_owned(),
                br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
            ),
        ];
        files.extend(blobs);
        let index = serde_json::json!({ "schemaVersion": 2, "manifests": index });
        files.push(("index.json".to_owned(), serde_json::to_vec(&index).unwrap()));
        files.push((
            "manifest.json".to_owned(),
            serde_json::to_vec(&manifest).unwrap(),
        ));
        files
    }

    /// A tar of these files (a trailing `/` makes a directory).
    pub(in crate::store) fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut tar = TarBuilder::new();
        for (name, data) in files {
            tar = if name.ends_with('/') {
                tar.dir(name)
            } else {
                tar.file(name, data)
            };
        }
        tar.finish()
    }

    /// Writes `bytes` to `dir/name`.
    pub(in crate::store) fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Replaces the contents of the file `name` in a file list.
    pub(in crate::store) fn replace(files: &mut [(String, Vec<u8>)], name: &str, data: Vec<u8>) {
        let slot = files
            .iter_mut()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no file {name}"));
        slot.1 = data;
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    fn layer(name: &str, data: &[u8]) -> Vec<u8> {
        TarBuilder::new().dir("etc/").file(name, data).finish()
    }

    fn one_image() -> Vec<(String, Vec<u8>)> {
        legacy_files(&[Image {
            tags: &["example.com/app:1"],
            layers: vec![layer("etc/a", b"a")],
        }])
    }

    fn layer_name(files: &[(String, Vec<u8>)]) -> String {
        files
            .iter()
            .find(|(n, _)| n.ends_with("/layer.tar"))
            .unwrap()
            .0
            .clone()
    }

    /// An archive holding `files` plus one raw entry, scanned.
    fn scan_with_raw(name: &[u8]) -> Result<ArchiveIndex, Error> {
        let dir = tempfile::tempdir().unwrap();
        let mut tar = TarBuilder::new();
        for (n, data) in one_image() {
            tar = tar.file(&n, &data);
        }
        let bytes = tar
            .raw(name, tar::EntryType::Regular, b"", b"evil")
            .finish();
        ArchiveIndex::scan(&write(dir.path(), "image.tar", &bytes))
    }

    #[test]
    fn legacy_archive_is_indexed_checked_and_verified() {
        let plain = layer("etc/a", b"a");
        let gzipped = gzip(&layer("etc/b", b"b"));
        let files = legacy_files(&[Image {
            tags: &["example.com/app:1", "app:latest"],
            layers: vec![plain.clone(), gzipped],
        }]);
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));

        let index = ArchiveIndex::scan(&path).unwrap();
        let images = index.images(&path).unwrap();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].repo_tags, ["example.com/app:1", "app:latest"]);
        assert_eq!(images[0].layers.len(), 2);
        assert!(images[0].config_path.ends_with(".json"));
        let dir_entry = index
            .get(images[0].layers[0].split_once('/').unwrap().0)
            .unwrap();
        assert_eq!(dir_entry.kind, EntryKind::Directory);
        index.verify(&path).unwrap();
        assert_eq!(
            index.diff_ids(&path, &images[0]).unwrap()[0],
            diff_id(&plain)
        );

        let mut bytes = Vec::new();
        index
            .open(&path, &images[0].layers[0])
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        assert_eq!(bytes, plain);
    }

    #[test]
    fn dual_format_archive_is_verified() {
        let files = dual_files(&[Image {
            tags: &["app:1"],
            layers: vec![layer("etc/a", b"a"), gzip(&layer("etc/b", b"b"))],
        }]);
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        let index = ArchiveIndex::scan(&path).unwrap();
        let images = index.images(&path).unwrap();
        assert!(images[0].config_path.starts_with("blobs/sha256/"));
        assert!(
            images[0]
                .layers
                .iter()
                .all(|l| l.starts_with("blobs/sha256/"))
        );
        assert!(index.get("index.json").is_some() && index.get("oci-layout").is_some());
        index.verify(&path).unwrap();
    }

    #[test]
    fn shared_layer_symlink_is_followed() {
        // `docker save a b` writes a layer both images share once, and the
        // second image's `<id>/layer.tar` as a symlink to the first.
        let base = layer("etc/a", b"a");
        let mut files = legacy_files(&[Image {
            tags: &["a:1"],
            layers: vec![base.clone()],
        }]);
        let first = layer_name(&files);
        let config = config(&[diff_id(&base)]);
        files.retain(|(name, _)| name != "manifest.json");
        let config_name = format!("{}.json", sha256_hex(&config));
        let manifest = serde_json::json!([
            { "Config": config_name, "RepoTags": ["a:1"], "Layers": [first] },
            { "Config": config_name, "RepoTags": ["b:1"], "Layers": ["second/layer.tar"] },
        ]);
        let mut tar = TarBuilder::new();
        for (name, data) in &files {
            tar = if name.ends_with('/') {
                tar.dir(name)
            } else {
                tar.file(name, data)
            };
        }
        let bytes = tar
            .dir("second/")
            .symlink("second/layer.tar", &format!("../{first}"))
            .file("manifest.json", &serde_json::to_vec(&manifest).unwrap())
            .finish();
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &bytes);
        let index = ArchiveIndex::scan(&path).unwrap();
        assert_eq!(
            index.get("second/layer.tar").unwrap().kind,
            EntryKind::Symlink
        );
        let images = index.images(&path).unwrap();
        assert_eq!(images[1].layers, ["second/layer.tar"]);
        index.verify(&path).unwrap();
        let mut bytes = Vec::new();
        index
            .open(&path, "second/layer.tar")
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        assert_eq!(bytes, base);
    }

    #[test]
    fn refuses_an_absolute_name() {
        let err = scan_with_raw(b"/etc/passwd").unwrap_err();
        assert!(
            matches!(&err, Error::AbsoluteName { entry, .. } if entry == "/etc/passwd"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_parent_component() {
        let err = scan_with_raw(b"blobs/../../x").unwrap_err();
        assert!(
            matches!(&err, Error::ParentComponent { entry, .. } if entry == "blobs/../../x"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_non_utf8_name() {
        let err = scan_with_raw(b"caf\xe9.json").unwrap_err();
        assert!(matches!(&err, Error::NonUtf8Name { .. }), "{err}");
    }

    #[test]
    fn refuses_names_that_normalise_to_the_same_path() {
        let err = scan_with_raw(b".//manifest.json").unwrap_err();
        assert!(
            matches!(&err, Error::DuplicateEntry { entry, path, .. } if entry == ".//manifest.json" && path == "manifest.json"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_header_with_a_bad_checksum() {
        let mut bytes = tar_of(&one_image());
        bytes[512 + 1] ^= 0x20; // the second header's name (the first, a directory, has no data)
        let dir = tempfile::tempdir().unwrap();
        let err = ArchiveIndex::scan(&write(dir.path(), "image.tar", &bytes)).unwrap_err();
        assert!(
            matches!(&err, Error::CorruptHeader { entry: Some(_), .. }),
            "{err}"
        );
        assert!(err.to_string().contains("checksum"), "{err}");
    }

    #[test]
    fn refuses_an_archive_cut_inside_data() {
        let files = one_image();
        let bytes = tar_of(&files);
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &bytes);
        let layer = ArchiveIndex::scan(&path)
            .unwrap()
            .get(&layer_name(&files))
            .unwrap()
            .clone();
        let cut = (layer.offset + layer.size / 2) as usize;
        let err = ArchiveIndex::scan(&write(dir.path(), "cut.tar", &bytes[..cut])).unwrap_err();
        assert!(
            matches!(&err, Error::Truncated { entry: Some(e), .. } if e.ends_with("layer.tar")),
            "{err}"
        );
    }

    #[test]
    fn refuses_an_archive_cut_inside_a_header() {
        let bytes = tar_of(&one_image());
        let dir = tempfile::tempdir().unwrap();
        let err =
            ArchiveIndex::scan(&write(dir.path(), "cut.tar", &bytes[..512 + 100])).unwrap_err();
        assert!(matches!(&err, Error::Truncated { .. }), "{err}");
    }

    #[test]
    fn refuses_an_archive_without_its_end_marker() {
        let bytes = tar_of(&one_image());
        let dir = tempfile::tempdir().unwrap();
        // The builder ends with two zero blocks: drop both.
        let err = ArchiveIndex::scan(&write(dir.path(), "cut.tar", &bytes[..bytes.len() - 1024]))
            .unwrap_err();
        assert!(
            matches!(&err, Error::Truncated { entry: Some(e), .. } if e == "manifest.json"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_missing_manifest() {
        let mut files = one_image();
        files.retain(|(name, _)| name != "manifest.json");
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        let err = ArchiveIndex::scan(&path)
            .unwrap()
            .images(&path)
            .unwrap_err();
        assert!(matches!(&err, Error::MissingManifest { .. }), "{err}");
    }

    #[test]
    fn refuses_a_manifest_that_is_not_json() {
        let mut files = one_image();
        replace(&mut files, "manifest.json", b"[{\"Config\": ".to_vec());
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        let err = ArchiveIndex::scan(&path)
            .unwrap()
            .images(&path)
            .unwrap_err();
        assert!(matches!(&err, Error::BadManifest { .. }), "{err}");
    }

    #[test]
    fn refuses_a_manifest_naming_a_missing_layer() {
        let mut files = one_image();
        let name = layer_name(&files);
        files.retain(|(n, _)| *n != name);
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        let err = ArchiveIndex::scan(&path)
            .unwrap()
            .images(&path)
            .unwrap_err();
        assert!(
            matches!(&err, Error::MissingEntry { entry, .. } if *entry == name),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_manifest_naming_a_directory() {
        let mut files = one_image();
        let name = layer_name(&files);
        let id = name.split_once('/').unwrap().0.to_owned();
        let manifest = String::from_utf8(
            files
                .iter()
                .find(|(n, _)| n == "manifest.json")
                .unwrap()
                .1
                .clone(),
        )
        .unwrap();
        replace(
            &mut files,
            "manifest.json",
            manifest.replace(&name, &format!("{id}/")).into_bytes(),
        );
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        let err = ArchiveIndex::scan(&path)
            .unwrap()
            .images(&path)
            .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::NotRegular {
                    kind: EntryKind::Directory,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_manifest_naming_an_unsafe_path() {
        let mut files = one_image();
        let name = layer_name(&files);
        let manifest = String::from_utf8(
            files
                .iter()
                .find(|(n, _)| n == "manifest.json")
                .unwrap()
                .1
                .clone(),
        )
        .unwrap();
        replace(
            &mut files,
            "manifest.json",
            manifest.replace(&name, "../../etc/shadow").into_bytes(),
        );
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        let err = ArchiveIndex::scan(&path)
            .unwrap()
            .images(&path)
            .unwrap_err();
        assert!(
            matches!(&err, Error::ParentComponent { entry, .. } if entry == "../../etc/shadow"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_layer_symlink_out_of_the_archive() {
        let mut files = one_image();
        let name = layer_name(&files);
        files.retain(|(n, _)| *n != name);
        let mut tar = TarBuilder::new();
        for (n, data) in &files {
            tar = if n.ends_with('/') {
                tar.dir(n)
            } else {
                tar.file(n, data)
            };
        }
        let bytes = tar.symlink(&name, "../../outside.tar").finish();
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &bytes);
        let err = ArchiveIndex::scan(&path)
            .unwrap()
            .images(&path)
            .unwrap_err();
        assert!(
            matches!(&err, Error::BadLink { entry, .. } if *entry == name),
            "{err}"
        );
    }

    #[test]
    fn verify_refuses_a_blob_that_does_not_match_its_digest() {
        let mut files = dual_files(&[Image {
            tags: &["app:1"],
            layers: vec![layer("etc/a", b"a")],
        }]);
        let config_name = {
            let manifest: serde_json::Value = serde_json::from_slice(
                &files.iter().find(|(n, _)| n == "manifest.json").unwrap().1,
            )
            .unwrap();
            manifest[0]["Config"].as_str().unwrap().to_owned()
        };
        let mut config = files
            .iter()
            .find(|(n, _)| *n == config_name)
            .unwrap()
            .1
            .clone();
        config.push(b'\n'); // same diff_ids, other bytes
        replace(&mut files, &config_name, config);
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        let index = ArchiveIndex::scan(&path).unwrap();
        index.images(&path).unwrap();
        let err = index.verify(&path).unwrap_err();
        assert!(
            matches!(&err, Error::DigestMismatch { entry, .. } if *entry == config_name),
            "{err}"
        );
    }

    #[test]
    fn verify_refuses_a_layer_that_does_not_match_its_diff_id() {
        let mut files = one_image();
        let name = layer_name(&files);
        replace(&mut files, &name, layer("etc/a", b"tampered"));
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        let err = ArchiveIndex::scan(&path)
            .unwrap()
            .verify(&path)
            .unwrap_err();
        assert!(
            matches!(&err, Error::DiffIdMismatch { entry, .. } if *entry == name),
            "{err}"
        );
    }

    #[test]
    fn verify_refuses_a_corrupt_gzip_layer() {
        let gzipped = gzip(&layer("etc/a", b"a"));
        let mut files = legacy_files(&[Image {
            tags: &["app:1"],
            layers: vec![gzipped.clone()],
        }]);
        let mut corrupt = gzipped;
        let at = corrupt.len() - 6; // inside the CRC of the trailer
        corrupt[at] ^= 0xff;
        let name = layer_name(&files);
        replace(&mut files, &name, corrupt);
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        let err = ArchiveIndex::scan(&path)
            .unwrap()
            .verify(&path)
            .unwrap_err();
        assert!(matches!(&err, Error::CorruptData { .. }), "{err}");
    }

    #[test]
    fn verify_refuses_a_layer_count_mismatch() {
        let mut files = one_image();
        let manifest: serde_json::Value =
            serde_json::from_slice(&files.iter().find(|(n, _)| n == "manifest.json").unwrap().1)
                .unwrap();
        let mut manifest = manifest;
        let first = manifest[0]["Layers"][0].clone();
        manifest[0]["Layers"] = serde_json::json!([first.clone(), first]);
        replace(
            &mut files,
            "manifest.json",
            serde_json::to_vec(&manifest).unwrap(),
        );
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        let err = ArchiveIndex::scan(&path)
            .unwrap()
            .verify(&path)
            .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::LayerCountMismatch {
                    diff_ids: 1,
                    layers: 2,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn verify_skips_zero_length_layer_placeholders() {
        let mut files = legacy_files(&[Image {
            tags: &["app:1"],
            layers: vec![layer("etc/a", b"a"), layer("etc/b", b"b")],
        }]);
        let first = files
            .iter()
            .find(|(n, _)| n.ends_with("/layer.tar"))
            .unwrap()
            .0
            .clone();
        replace(&mut files, &first, Vec::new());
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        ArchiveIndex::scan(&path).unwrap().verify(&path).unwrap();
    }

    #[test]
    fn open_refuses_to_read_past_a_file_that_shrank() {
        let files = one_image();
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "image.tar", &tar_of(&files));
        let index = ArchiveIndex::scan(&path).unwrap();
        let layer = index.get(&layer_name(&files)).unwrap().clone();
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(layer.offset + 10)
            .unwrap();
        let mut bytes = Vec::new();
        let err = index
            .open(&path, &layer_name(&files))
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(
            normalize_name(b"./a//b/./c/").ok().flatten().as_deref(),
            Some("a/b/c")
        );
        assert_eq!(normalize_name(b"./").ok().flatten(), None);
        assert_eq!(join_lexically("a/b", "../c/./d"), Some("a/c/d".to_owned()));
        assert_eq!(join_lexically("a", "../../x"), None);
        assert_eq!(
            digest_in_name(&format!("{}.json", "a".repeat(64))),
            Some("a".repeat(64).as_str())
        );
        assert_eq!(digest_in_name(&format!("x/{}.json", "a".repeat(64))), None);
        assert_eq!(
            digest_in_name(&format!("blobs/sha256/{}", "A".repeat(64))),
            None
        );
    }
}
