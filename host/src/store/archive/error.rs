//! Failures of reading an image archive: one named case per refusal, each
//! naming the archive and, where there is one, the entry at fault.

use std::io;
use std::path::{Path, PathBuf};

use super::EntryKind;
use crate::model::Digest;
use crate::store::tar::name::NameProblem;
use crate::store::tar::{is_truncation, not_a_tar_reason};

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
    /// The file has no bytes at all.
    #[error("{archive} is empty: expected an image archive (a tar, as `docker save` writes)")]
    Empty {
        /// The archive file.
        archive: PathBuf,
    },
    /// The file is not a tar at all.
    #[error("{archive} is not an image archive (a tar, as `docker save` writes): {reason}")]
    NotATar {
        /// The archive file.
        archive: PathBuf,
        /// What its start looks like.
        reason: &'static str,
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
        expected: Digest,
        /// The digest of its bytes.
        actual: Digest,
    },
    /// An entry's bytes could not be read: the archive shrank since it
    /// was scanned.
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

pub(super) fn after(entry: &Option<String>) -> String {
    match entry {
        Some(name) => format!("after entry {name:?}"),
        None => "at its start".to_owned(),
    }
}

pub(super) fn corrupt(file: &Path, entry: &str, source: io::Error) -> Error {
    Error::CorruptData {
        archive: file.to_owned(),
        entry: entry.to_owned(),
        source,
    }
}

pub(super) fn name_error(archive: &Path, entry: String, problem: NameProblem) -> Error {
    let archive = archive.to_owned();
    match problem {
        NameProblem::NonUtf8 => Error::NonUtf8Name { archive, entry },
        NameProblem::Absolute => Error::AbsoluteName { archive, entry },
        NameProblem::Parent => Error::ParentComponent { archive, entry },
    }
}

pub(super) fn header_error(archive: &Path, last: &Option<String>, error: io::Error) -> Error {
    if last.is_none() {
        // Nothing was read yet: not a tar, whatever the tar reader's own
        // words (which can quote the raw bytes) say.
        return Error::NotATar {
            archive: archive.to_owned(),
            reason: not_a_tar_reason(&error),
        };
    }
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
