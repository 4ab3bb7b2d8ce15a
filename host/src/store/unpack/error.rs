//! Failures of unpacking: one named case per refusal, each naming the
//! layer and the entry at fault, and the helpers that build them.

use std::io;
use std::path::{Path, PathBuf};

use super::changeset::PlannerError;
use super::resolve::MAX_SYMLINKS;
use crate::model::Digest;
use crate::store::archive;
use crate::store::tar::name::NameProblem;
use crate::store::tar::{is_truncation, not_a_tar_reason};

/// Failures of unpacking. Whatever the failure, the destination was not
/// created (or left as the empty directory it was) and nothing was
/// written outside it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The archive itself is unreadable, unsafe or inconsistent.
    #[error(transparent)]
    Archive(#[from] archive::Error),
    /// An image source (a layout) is malformed.
    #[error(transparent)]
    Source(crate::store::source::Error),
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
    /// A layer is not a tar at all: its first header is missing or is not
    /// a tar header (random bytes, a text file).
    #[error("{layer} is not a tar archive (plain or gzip-compressed): {reason}")]
    NotATar {
        /// The layer.
        layer: String,
        /// What its start looks like.
        reason: &'static str,
    },
    /// A layer's uncompressed bytes do not hash to its config's `diff_id`.
    #[error("{layer} should have diff_id {expected} but has {actual}")]
    DiffIdMismatch {
        /// The layer.
        layer: String,
        /// The diff_id the config lists.
        expected: Digest,
        /// The digest of the layer's uncompressed bytes.
        actual: Digest,
    },
    /// A layer could not be opened (for either of its two reads).
    #[error("cannot open {layer}: {source}")]
    OpenLayer {
        /// The layer.
        layer: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The changeset planner refused a layer (e.g. a whiteout naming nothing).
    #[error("{layer}: the changeset planner refused it: {source}")]
    PlannerRefused {
        /// The layer.
        layer: String,
        /// What the planner said.
        source: PlannerError,
    },
    /// The changeset planner answered something its contract rules out.
    #[error("{layer}: the changeset planner broke its contract: {message}")]
    PlannerContract {
        /// The layer.
        layer: String,
        /// What it did.
        message: String,
    },
    /// A layer read differently the second time (it changed while being read).
    #[error("{layer} changed while being read: {detail}; refusing it")]
    LayerChanged {
        /// The layer.
        layer: String,
        /// The member where the reads differ, as the second read has it.
        entry: Option<String>,
        /// How they differ.
        detail: String,
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

pub(super) fn after(entry: &Option<String>) -> String {
    match entry {
        Some(name) => format!("at or after entry {name:?}"),
        None => "at its start".to_owned(),
    }
}

/// The layer and the entry (or removal) being applied, for errors.
pub(super) struct At<'a> {
    pub(super) layer: &'a str,
    pub(super) entry: &'a str,
}

impl At<'_> {
    pub(super) fn io(&self, action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Error {
        let (path, entry) = (path.to_owned(), self.entry.to_owned());
        move |source| Error::Io {
            action,
            path,
            entry: Some(entry),
            source,
        }
    }

    /// The refusal of an unsafe name (an absolute one, or one with `..`).
    pub(super) fn unsafe_name(&self, problem: NameProblem) -> Error {
        let (layer, entry) = (self.layer.to_owned(), self.entry.to_owned());
        match problem {
            NameProblem::Absolute => Error::AbsolutePath { layer, entry },
            NameProblem::Parent | NameProblem::NonUtf8 => Error::ParentComponent { layer, entry },
        }
    }

    pub(super) fn corrupt(&self, message: impl std::fmt::Display) -> Error {
        Error::Corrupt {
            layer: self.layer.to_owned(),
            entry: Some(self.entry.to_owned()),
            message: message.to_string(),
        }
    }
}

/// Maps an error reading a layer's stream to `Truncated` or `Corrupt`.
pub(super) fn stream_error(layer: &str, entry: &Option<String>, error: io::Error) -> Error {
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

impl Error {
    /// The error with a path under the staging directory `staging` named
    /// as the same path under `dest`.
    pub(super) fn relocated(self, staging: &Path, dest: &Path) -> Self {
        match self {
            Error::Io {
                action,
                path,
                entry,
                source,
            } => Error::Io {
                action,
                path: match path.strip_prefix(staging) {
                    Ok(inside) => dest.join(inside),
                    Err(_) => path,
                },
                entry,
                source,
            },
            other => other,
        }
    }
}

/// An uncompressed layer whose first header cannot be read is not a tar,
/// whatever the tar reader's own words (which can quote raw bytes) say.
pub(super) fn not_a_tar(layer: &str, error: &io::Error) -> Error {
    Error::NotATar {
        layer: layer.to_owned(),
        reason: not_a_tar_reason(error),
    }
}

impl From<crate::store::source::Error> for Error {
    fn from(e: crate::store::source::Error) -> Self {
        match e {
            crate::store::source::Error::Archive(e) => Error::Archive(e),
            other => Error::Source(other),
        }
    }
}
