//! The index of an archive's entries: one pass over its tar headers
//! (seeking over data) that validates every name, then lookups, link
//! resolution within the archive, and readers of one entry's bytes.
//!
//! Must not: read `manifest.json` or configs for meaning (that is
//! [`super::manifest`]), follow a link out of the archive, or read past
//! what an entry's header says it holds.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::error::{Error, after, corrupt, header_error, name_error};
use crate::model::MemberKind;
use crate::store::tar::name::{join_lexically, normalize};
use crate::store::tar::{BLOCK, member_kind};

/// The most links (symbolic or hard) followed to resolve one entry name.
const MAX_LINK_HOPS: usize = 16;

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
        match member_kind(header) {
            MemberKind::Regular => EntryKind::Regular,
            MemberKind::Directory => EntryKind::Directory,
            MemberKind::Symlink => EntryKind::Symlink,
            MemberKind::HardLink => EntryKind::HardLink,
            _ => EntryKind::Other(header.entry_type().as_byte()),
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
/// no empty or `.` components, no trailing `/`), built by
/// [`ArchiveIndex::scan`]; it keeps the archive's path to open entries.
#[derive(Debug, Clone)]
pub struct ArchiveIndex {
    path: PathBuf,
    /// How errors name the archive (its path, or `standard input` for a
    /// spooled copy of stdin).
    shown: PathBuf,
    entries: BTreeMap<String, Entry>,
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

/// Where the data of entry `shown` (`size` bytes from `offset`) ends;
/// refuses an entry whose data runs past the end of the file.
fn data_end(
    archive_name: &Path,
    shown: &str,
    offset: u64,
    size: u64,
    file_len: u64,
) -> Result<u64, Error> {
    let data_end = offset.saturating_add(size);
    if data_end > file_len {
        return Err(Error::Truncated {
            archive: archive_name.to_owned(),
            entry: Some(shown.to_owned()),
            detail: format!(
                "entry {shown:?} has {size} bytes of data but the file ends {} bytes into it",
                file_len.saturating_sub(offset)
            ),
        });
    }
    Ok(data_end)
}

/// The normalised name of entry `shown` (its `raw` name), or `None` for a
/// directory naming the archive's root, which is skipped; refuses an empty
/// name otherwise and a name that is not UTF-8, absolute or climbs out.
fn entry_name(
    archive_name: &Path,
    raw: &[u8],
    shown: &str,
    kind: EntryKind,
) -> Result<Option<String>, Error> {
    match normalize(raw) {
        Ok(Some(name)) => Ok(Some(name)),
        Ok(None) if kind == EntryKind::Directory => Ok(None),
        Ok(None) => Err(Error::EmptyName {
            archive: archive_name.to_owned(),
            entry: shown.to_owned(),
            kind,
        }),
        Err(problem) => Err(name_error(archive_name, shown.to_owned(), problem)),
    }
}

impl ArchiveIndex {
    /// One pass over the headers of the archive at `path` (seeking over
    /// data), validating every entry name: refuses non-UTF-8, absolute, `..`
    /// and duplicate names, corrupt headers, and a tar that is truncated
    /// (data past the end of the file, or no end-of-archive marker).
    pub fn scan(path: &Path) -> Result<Self, Error> {
        Self::scan_as(path, path)
    }

    /// [`Self::scan`], errors naming the archive `archive_name`.
    pub fn scan_as(path: &Path, archive_name: &Path) -> Result<Self, Error> {
        let io_error = |source| Error::Io {
            archive: archive_name.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        let file_len = file.metadata().map_err(io_error)?.len();
        if file_len == 0 {
            return Err(Error::Empty {
                archive: archive_name.to_owned(),
            });
        }
        let mut archive = tar::Archive::new(file);
        let mut entries = BTreeMap::new();
        let mut last: Option<String> = None;
        // Where the header after the last entry starts.
        let mut end = 0u64;
        for item in archive.entries_with_seek().map_err(io_error)? {
            let entry = item.map_err(|e| header_error(archive_name, &last, e))?;
            let raw = entry.path_bytes();
            let shown = String::from_utf8_lossy(&raw).into_owned();
            let kind = EntryKind::of(entry.header());
            let offset = entry.raw_file_position();
            let size = entry.size();
            let data_end = data_end(archive_name, &shown, offset, size, file_len)?;
            end = data_end.div_ceil(BLOCK) * BLOCK;
            if entry.header().entry_type().is_pax_global_extensions() {
                continue;
            }
            let Some(name) = entry_name(archive_name, &raw, &shown, kind)? else {
                last = Some(shown);
                continue;
            };
            if entries.contains_key(&name) {
                return Err(Error::DuplicateEntry {
                    archive: archive_name.to_owned(),
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
                archive: archive_name.to_owned(),
                detail: format!("it ends without an end-of-archive marker {}", after(&last)),
                entry: last,
            });
        }
        Ok(ArchiveIndex {
            path: path.to_owned(),
            shown: archive_name.to_owned(),
            entries,
        })
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

    /// The archive file this index is of.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How errors name the archive.
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// A reader of one regular entry's bytes (a `Read` over its range of
    /// the archive). Links within the archive are followed.
    pub fn open(&self, name: &str) -> Result<EntryReader, Error> {
        let (_, entry) = self.resolve(name, "the caller")?;
        let io_error = |source| Error::Io {
            archive: self.shown.clone(),
            source,
        };
        let mut handle = File::open(&self.path).map_err(io_error)?;
        handle
            .seek(SeekFrom::Start(entry.offset))
            .map_err(io_error)?;
        Ok(EntryReader {
            inner: handle.take(entry.size),
            size: entry.size,
        })
    }

    /// Reads a small regular entry whole, refusing one larger than `limit`.
    pub(crate) fn read_small(
        &self,
        name: &str,
        limit: u64,
        wanted_by: &str,
    ) -> Result<Vec<u8>, Error> {
        let (target, entry) = self.resolve(name, wanted_by)?;
        if entry.size > limit {
            return Err(Error::TooLarge {
                archive: self.shown.clone(),
                entry: target.to_owned(),
                size: entry.size,
                limit,
            });
        }
        let mut bytes = Vec::with_capacity(entry.size as usize);
        self.open(target)?
            .read_to_end(&mut bytes)
            .map_err(|e| corrupt(&self.shown, target, e))?;
        Ok(bytes)
    }

    /// Follows links within the archive from `name` to a regular entry.
    pub(crate) fn resolve(&self, name: &str, wanted_by: &str) -> Result<(&str, &Entry), Error> {
        let archive = || self.shown.clone();
        let mut current =
            normalize(name.as_bytes())
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
                EntryKind::Symlink | EntryKind::HardLink => {
                    link_target(key, entry).map_err(bad_link)?
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

/// The name the link `entry` (named `key`) points to, normalised: a
/// symbolic link relative to its directory, a hard link from the root; or
/// why it is not followed.
fn link_target(key: &str, entry: &Entry) -> Result<String, &'static str> {
    let link = entry.link.as_deref().ok_or("has no UTF-8 target")?;
    if entry.kind == EntryKind::HardLink {
        return match normalize(link.as_bytes()) {
            Ok(Some(target)) => Ok(target),
            _ => Err("is not a safe name within the archive"),
        };
    }
    if link.is_empty() {
        return Err("has no UTF-8 target");
    }
    if link.starts_with('/') {
        return Err("is absolute; only links within the archive are followed");
    }
    let base = key.rsplit_once('/').map_or("", |(dir, _)| dir);
    join_lexically(base, link).ok_or("points outside the archive")
}
