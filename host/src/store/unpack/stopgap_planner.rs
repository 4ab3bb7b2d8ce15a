//! TODO(changesets): the tar-assembly component plans changesets once its
//! `changesets` WIT lands; then this module goes.
//!
//! A stopgap [`ChangesetPlanner`] written in the host: the OCI image-spec
//! rules (`layer.md`, "Applying Changesets") the component will own. It
//! stands in for the component in the store's tests (through
//! `store::test_support::planner`, one place to swap) and in the CLI's
//! `image unpack`, which has no component bound for it yet.
//!
//! Must not: grow, or be used by anything else: an `if` about whiteouts in
//! the host belongs in a component (STYLE rule 2).

use super::changeset::{ChangesetPlanner, PlannerError};
use crate::model::{Change, Member, MemberKind};
use crate::store::tar::name::components;

/// Whiteouts `.wh.<name>` remove `<name>`, `.wh..wh..opq` clears its
/// directory, other `.wh..wh.` names (AUFS bookkeeping) and PAX global
/// headers are skipped, every other member is applied.
#[derive(Debug, Clone, Copy, Default)]
pub struct StopgapPlanner;

impl ChangesetPlanner for StopgapPlanner {
    fn plan_changeset(&self, members: &[Member]) -> Result<Vec<Change>, PlannerError> {
        let mut removals = Vec::new();
        let mut applies = Vec::new();
        for (index, member) in members.iter().enumerate() {
            if member.kind == MemberKind::PaxGlobal {
                continue;
            }
            let shown = || String::from_utf8_lossy(&member.path).into_owned();
            let parts = components(&member.path)
                .map_err(|_| format!("member {:?} is not a safe name", shown()))?;
            let hidden = parts
                .split_last()
                .and_then(|(name, parents)| Some((name.strip_prefix(b".wh.")?, parents)));
            let Some((hidden, parents)) = hidden else {
                applies.push(Change::Apply(u32::try_from(index)?));
                continue;
            };
            match hidden {
                b"" | b"." | b".." => {
                    return Err(format!("whiteout {:?} names no file", shown()).into());
                }
                b".wh..opq" => removals.push(Change::ClearDirectory(parents.join(&b'/'))),
                aufs if aufs.starts_with(b".wh.") => {}
                name => removals.push(Change::Remove([parents, &[name]].concat().join(&b'/'))),
            }
        }
        removals.extend(applies);
        Ok(removals)
    }
}
