//! `ocipipe sync FILE`: many images mirrored or promoted from one
//! declarative file, as skopeo sync and regsync do it.
//!
//! A sync runs in two steps. The plan ([`plan()`]) resolves each entry of
//! the file into images: a repository's tags are listed (every page) and
//! filtered by the tagging component (`select-tags`), each tag's digest is
//! learnt with one manifest `HEAD` on the source and the target's with
//! one on the target, and each image is `new`, `changed` or `unchanged`.
//! The run ([`run()`]) copies what is not unchanged through the one copy
//! path (`copy::copy`: blobs looked for, mounted, sent; manifests last),
//! pinned to the digest the plan saw, several images at once; then, when
//! asked, the images' referrers. A plan can be kept as a lockfile and run
//! later as it is (`--from-lock`): promotion by digest.
//!
//! Owns: the entries' resolution into images, the order and the
//! parallelism of their copies, which images a shard takes, and what each
//! image's result says.
//! Must not: read the sync file or the lockfile (the CLI does, and gives
//! [`Job`]s and [`Work`]), decide which tags a filter selects (the tagging
//! component) or how an image is copied (`copy`).

pub mod file;
mod identity;
mod plan;
mod run;
mod shard;

pub use plan::{plan, recheck};
pub use run::run;
pub use shard::Shard;

use super::copy::Location;
use crate::model::{AnyReference, Digest};
use serde::Serialize;

/// One entry of the sync file, its locations read.
#[derive(Debug, Clone)]
pub struct Job {
    /// How errors name the entry: `sync.yaml:12 (sync[2])`.
    pub name: String,
    /// Where images come from: a registry repository or image, an OCI
    /// layout (with a tag for one image), or one image of a `docker load`
    /// archive or the engine.
    pub source: Location,
    /// Where they go, named as `source` is.
    pub target: Location,
    /// Whether the locations name repositories (every selected tag) or one
    /// image.
    pub kind: file::Kind,
    /// Which tags of a repository are copied.
    pub filter: crate::model::TagFilter,
    /// How each image is copied.
    pub settings: Settings,
}

/// How the images of an entry are copied; kept in each line of a plan, so
/// that a lockfile runs alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// Images of the same target repository copied at once.
    pub parallel: usize,
    /// The platforms of an index copied, as written (`linux/arm64`); none:
    /// every one, the index byte for byte.
    pub platforms: Option<Vec<String>>,
    /// Whether each image's referrers are copied too.
    pub referrers: bool,
    /// The referrers' artifact types copied; empty: every one.
    pub referrer_types: Vec<String>,
    /// How layers stored uncompressed (in a layout) are sent.
    pub compression: file::Compression,
}

/// Why an image is in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The target has no image under the tag.
    New,
    /// The target's tag names another digest.
    Changed,
    /// The target's tag names the source's digest.
    Unchanged,
}

/// One image of a plan: one line of `--plan` and of a lockfile.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    /// The source repository (`docker://HOST/PATH`, `oci:PATH`,
    /// `docker-archive:PATH[:NAME]`, `docker-daemon:NAME`; a name without
    /// its tag).
    pub source: String,
    /// The source's tag, when it was named by one.
    pub tag: Option<String>,
    /// What the source's tag named when planned: what is copied. An
    /// archive's or the engine's image, which has no manifest, by its image
    /// ID (the config digest).
    pub digest: Digest,
    /// The target image (`docker://HOST/PATH:TAG`, `oci:PATH:TAG`,
    /// `docker-archive:PATH[:NAME]`, `docker-daemon:NAME:TAG`).
    pub target: String,
    /// Why it is there.
    pub reason: Reason,
    /// How it is copied.
    #[serde(flatten)]
    pub settings: Settings,
}

/// One image to copy: its plan line and its locations.
#[derive(Debug, Clone)]
pub struct Work {
    /// The plan line.
    pub planned: Planned,
    /// The source, pinned to the planned digest (a registry's by digest; a
    /// layout's by tag, an archive's or the engine's by name, each checked
    /// against the digest before the copy).
    pub from: Location,
    /// The target image.
    pub to: Location,
    /// The entry it comes from, for errors.
    pub entry: String,
}

impl Work {
    /// The repository the image goes to: what shards and the parallelism
    /// of an entry are counted by.
    pub fn repository(&self) -> String {
        repository_key(&self.to)
    }
}

/// What happened to one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Copied to the target.
    Copied,
    /// The target had it already.
    Unchanged,
    /// It could not be planned or copied.
    Failed,
}

/// One image's result: a line of `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Done {
    /// The source repository.
    pub source: String,
    /// The source's tag, if any.
    pub tag: Option<String>,
    /// The digest copied (none when the entry failed before it was known).
    pub digest: Option<Digest>,
    /// The target image (or repository, for an entry that failed before
    /// its tags were known).
    pub target: String,
    /// What happened.
    pub action: Action,
    /// Blob bytes sent, referrers' included.
    pub bytes_sent: u64,
    /// Referrers copied with it.
    pub referrers_copied: u64,
    /// Why it failed.
    pub error: Option<String>,
}

/// The whole run, for the summary line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Images planned (failed entries count once each).
    pub images: usize,
    /// Copied.
    pub copied: usize,
    /// Already there.
    pub unchanged: usize,
    /// Failed.
    pub failed: usize,
    /// Not started: a failure stopped the run (no `--keep-going`).
    pub not_started: usize,
    /// Blob bytes sent in all.
    pub bytes_sent: u64,
}

impl Summary {
    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Summary) {
        self.images += other.images;
        self.copied += other.copied;
        self.unchanged += other.unchanged;
        self.failed += other.failed;
        self.not_started += other.not_started;
        self.bytes_sent += other.bytes_sent;
    }

    /// Counts `done`.
    pub fn add(&mut self, done: &Done) {
        self.images += 1;
        self.bytes_sent += done.bytes_sent;
        match done.action {
            Action::Copied => self.copied += 1,
            Action::Unchanged => self.unchanged += 1,
            Action::Failed => self.failed += 1,
        }
    }
}

/// The repository a location names, as shards count them: a registry's
/// `docker://HOST/PATH`, a layout's `oci:PATH`, an archive file's
/// `docker-archive:PATH`, the engine's `docker-daemon:NAME` (no tag).
pub fn repository_key(location: &Location) -> String {
    match location {
        Location::Registry(reference) => format!("docker://{}", reference.name),
        Location::Layout { path, .. } => format!("oci:{}", path.display()),
        Location::Archive { path, .. } => format!("docker-archive:{}", path.display()),
        Location::Daemon(AnyReference::Named(r)) => format!("docker-daemon:{}", untagged(r)),
        Location::Daemon(AnyReference::Id(id)) => format!("docker-daemon:{id}"),
    }
}

/// The `source` of a plan line: [`repository_key`], and for an archive
/// the name of its image (without its tag, which is the line's `tag`), so
/// that a lockfile names the image again.
pub fn source_key(location: &Location) -> String {
    match location {
        Location::Archive {
            path,
            name: Some(name),
        } => format!("docker-archive:{}:{}", path.display(), untagged(name)),
        other => repository_key(other),
    }
}

/// A name without its tag, its digest kept: `NAME[@DIGEST]`.
fn untagged(reference: &crate::model::Reference) -> String {
    match &reference.digest {
        Some(digest) => format!("{}@{digest}", reference.name),
        None => reference.name.clone(),
    }
}

/// What a copy to `target` writes, so that two images bound there are
/// refused: an archive file (written whole, whatever its image is named),
/// else the image.
pub fn written(target: &Location) -> String {
    match target {
        Location::Archive { path, .. } => format!("docker-archive:{}", path.display()),
        other => other.to_string(),
    }
}

/// The platforms `settings` name, normalised by the manifest-generation
/// component; empty for every one.
fn platforms(
    ops: &super::Operations<'_>,
    settings: &Settings,
) -> Result<Vec<crate::model::Platform>, super::Error> {
    settings
        .platforms
        .iter()
        .flatten()
        .map(|spec| {
            ops.manifest_generation
                .normalize_platform(Some(spec), &crate::model::HostMachine::current())
                .map_err(super::Error::from)
        })
        .collect()
}
