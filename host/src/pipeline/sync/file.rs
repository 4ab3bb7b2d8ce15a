//! The sync file: the YAML a user writes for `ocipipe sync`, read into a
//! [`SyncFile`] whose every value remembers the line and key it came from.
//!
//! Owns: which keys exist where and what each holds, the defaults an entry
//! inherits (per key; an entry's own key wins, its `tags` replacing the
//! default's whole), that `x-` keys are ignored everywhere, and every
//! refusal that needs no request: unknown keys, wrong types, missing keys,
//! `version` other than 1, counts and budgets that are not positive, empty
//! text, `tags` on an image entry, two entries writing the same target
//! text. Each refusal is one line, `FILE:LINE: KEY: message`, saying what
//! would be right. Anchors, aliases and merge keys work as regsync users
//! write them ([`yaml`]).
//! Must not: judge a regular expression or a semver range (the tagging
//! component does, and its answer is reported with [`error_at`]), resolve
//! a tag or reach a registry, or read any file but the one named, and that
//! through `store::files`.

mod build;
#[cfg(test)]
mod tests;
mod yaml;

use std::fmt;
use std::path::Path;

/// The largest sync file read: thousands of entries fit in far less.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// A line of the file, counted from 1.
pub type Line = usize;

/// A value as written, with where: for errors that point at it.
#[derive(Clone, Debug, PartialEq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// The line it is written on (an inherited default's: the default's).
    pub line: Line,
    /// Its path in the file, such as `sync[2].tags.allow[0]` (indexes
    /// from 0).
    pub key: String,
}

/// A sync file, read and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncFile {
    /// The file as named in errors.
    pub shown: String,
    /// The `sync` entries, in file order, defaults applied.
    pub entries: Vec<Entry>,
    /// The `registries` budgets, keyed by host as written, in file order.
    pub registries: Vec<(String, Budget)>,
}

/// What one registry may be asked: the registry module's budget.
pub use crate::registry::Budget;

/// One `sync` entry, with the defaults it did not override.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Where the entry starts.
    pub at: Line,
    /// The source, as written.
    pub source: At<String>,
    /// The target, as written.
    pub target: At<String>,
    /// What source and target name.
    pub kind: Kind,
    /// Images copied at once (>= 1; default 4).
    pub parallel: usize,
    /// Which platforms of an index are copied (default all).
    pub platforms: Platforms,
    /// Whether each image's referrers are copied too (default false).
    pub referrers: bool,
    /// The referrers' `artifactType`s copied; empty: all.
    pub referrer_types: Vec<String>,
    /// How layers are stored at the target (default keep).
    pub compression: Compression,
    /// Which tags of a repository are copied (empty: all); always empty
    /// for an image entry.
    pub tags: TagFilter,
}

/// What an entry's source and target name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Repositories: the source's tags, filtered, each copied (default).
    Repository,
    /// One image each, by tag or digest.
    Image,
}

/// The platforms an entry copies.
#[derive(Clone, Debug, PartialEq)]
pub enum Platforms {
    /// Every platform of an index, the index itself unchanged.
    All,
    /// These `os/arch[/variant]` names, as written (never empty).
    List(Vec<At<String>>),
}

/// How layers stored uncompressed at the source (a layout's) are sent;
/// compressed ones always go as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// As at the source: blobs copied unchanged.
    Keep,
    /// Compressed with gzip.
    Gzip,
    /// Compressed with zstd.
    Zstd,
}

/// Which tags of a repository are copied; regexes and range unchecked
/// here (the tagging component checks them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TagFilter {
    /// A tag must match one of these (if any), searched unanchored.
    pub allow: Vec<At<String>>,
    /// A tag must match none of these.
    pub deny: Vec<At<String>>,
    /// A semver range the tag must satisfy.
    pub semver: Option<At<String>>,
    /// Only the N highest versions of those left (>= 1).
    pub latest: Option<u32>,
}

/// Why a sync file was refused; shown on one line.
#[derive(Clone, Debug, PartialEq)]
pub struct FileError {
    /// The file as named.
    pub shown: String,
    /// The line at fault, when there is one.
    pub line: Option<Line>,
    /// The key at fault, such as `sync[2].tags.semver`.
    pub key: Option<String>,
    /// What is wrong, and what would be right.
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.shown)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for FileError {}

/// An error about a value of the file `shown`, at its line and key: for
/// checks made after reading (a regex the tagging component refuses).
pub fn error_at<T>(shown: &str, at: &At<T>, message: impl fmt::Display) -> FileError {
    FileError {
        shown: shown.to_string(),
        line: Some(at.line),
        key: Some(at.key.clone()),
        message: message.to_string(),
    }
}

/// Reads and checks the sync file at `path` (`-`: standard input), at
/// most [`MAX_FILE_BYTES`].
pub fn read(path: &Path) -> Result<SyncFile, FileError> {
    let (path, shown) = crate::store::files::input(path);
    let refuse = |message: String| FileError {
        shown: shown.clone(),
        line: None,
        key: None,
        message,
    };
    let bytes = crate::store::files::read_at_most(path, MAX_FILE_BYTES)
        .map_err(|e| refuse(format!("cannot read the sync file: {e}")))?
        .ok_or_else(|| {
            refuse(format!(
                "the file is larger than {} MiB; a sync file is a few kilobytes (split it)",
                MAX_FILE_BYTES >> 20
            ))
        })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid = e.utf8_error().valid_up_to();
        let line = 1 + bytes[..valid].iter().filter(|b| **b == b'\n').count();
        FileError {
            line: Some(line),
            ..refuse("not UTF-8 text; a sync file is YAML in UTF-8".to_string())
        }
    })?;
    parse(&shown, &text)
}

/// Checks `text`, the sync file named `shown` in errors.
pub fn parse(shown: &str, text: &str) -> Result<SyncFile, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = yaml::parse(text).map_err(|e| FileError {
        shown: shown.to_string(),
        line: Some(e.line),
        key: None,
        message: e.message,
    })?;
    build::sync_file(shown, root)
}
