//! The layer changeset as a planner decides it, and the host's checks of
//! the planner's contract. Which members are whiteouts, what they hide and
//! which members are written is the planner's decision (the tar-assembly
//! component's `changesets` interface, behind the pipeline); the host
//! only executes it, and refuses a plan that breaks the contract: removals
//! first, then `Apply` indexes in range and increasing, removal paths
//! relative, `/`-separated and in normal form.
//!
//! Must not: decide anything about whiteouts itself, or import `runtime`
//! (the pipeline implements [`ChangesetPlanner`] over the component).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use super::error::Error;
use crate::model::{Change, Member};
use crate::store::tar::name::normal_components;

/// Why a planner refused a layer, in its own words.
pub type PlannerError = Box<dyn std::error::Error + Send + Sync>;

/// Decides how one layer changes the file system the layers below it made
/// (OCI image-spec `layer.md`, "Applying Changesets").
pub trait ChangesetPlanner {
    /// The changes a layer with these `members` (in tar order) makes: every
    /// `Remove` and `ClearDirectory` first, then an `Apply` for each
    /// member to write, in tar order. Members left out are not written.
    fn plan_changeset(&self, members: &[Member]) -> Result<Vec<Change>, PlannerError>;
}

/// A layer's changeset, checked against the planner's contract.
#[derive(Debug, Default)]
pub(super) struct Changeset {
    /// What to remove before the layer writes anything.
    pub(super) removals: Vec<Removal>,
    /// The members to apply, by index, increasing.
    pub(super) applies: Vec<usize>,
}

/// Something lower layers made, to remove.
#[derive(Debug)]
pub(super) struct Removal {
    /// The path's components, relative to the root (none: the root).
    pub(super) parts: Vec<OsString>,
    /// Keep the directory, removing only what it holds (an opaque directory).
    pub(super) keep_directory: bool,
    /// The path as the planner wrote it, for errors.
    pub(super) shown: String,
}

impl Removal {
    /// The path's components.
    pub(super) fn parts(&self) -> Vec<&OsStr> {
        self.parts.iter().map(OsString::as_os_str).collect()
    }
}

/// Asks `planner` for the changeset of the layer `label` and checks it.
pub(super) fn plan(
    planner: &dyn ChangesetPlanner,
    label: &str,
    members: &[Member],
) -> Result<Changeset, Error> {
    let changes = planner
        .plan_changeset(members)
        .map_err(|source| Error::PlannerRefused {
            layer: label.to_owned(),
            source,
        })?;
    let broke = |message: String| Error::PlannerContract {
        layer: label.to_owned(),
        message,
    };
    let mut set = Changeset::default();
    for change in changes {
        let (path, keep_directory) = match change {
            Change::Apply(index) => {
                let index = usize::try_from(index).unwrap_or(usize::MAX);
                if index >= members.len() {
                    return Err(broke(format!(
                        "it applied member {index}, but the layer has {} members",
                        members.len()
                    )));
                }
                if let Some(&last) = set.applies.last().filter(|&&last| last >= index) {
                    return Err(broke(format!(
                        "it applied member {index} after member {last}; members are applied once each, in tar order"
                    )));
                }
                set.applies.push(index);
                continue;
            }
            Change::Remove(path) => (path, false),
            Change::ClearDirectory(path) => (path, true),
        };
        let shown = String::from_utf8_lossy(&path).into_owned();
        if !set.applies.is_empty() {
            return Err(broke(format!(
                "it removed {shown:?} after applying a member; removals come first"
            )));
        }
        let parts = normal_components(&path)
            .filter(|parts| keep_directory || !parts.is_empty())
            .ok_or_else(|| {
                broke(format!(
                    "it removed {shown:?}, which is not a relative `/`-separated path in normal form"
                ))
            })?;
        set.removals.push(Removal {
            parts: parts
                .into_iter()
                .map(|p| OsStr::from_bytes(p).to_os_string())
                .collect(),
            keep_directory,
            shown,
        });
    }
    Ok(set)
}
