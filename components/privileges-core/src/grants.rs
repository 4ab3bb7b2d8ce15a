//! Which privileges a person's grants cover ([`judge_privileges`]): the
//! policy `ocipipe plugin install` keeps where `docker plugin install` has
//! a prompt or "grant all".
//!
//! Owns: what a grant grants. Must not: compute what a config asks for
//! (`config` does), or decide anything about the install itself.

use crate::Privilege;

/// What a person grants a plugin before it is installed. It stands for the
/// WIT variant `ocipipe:image/plugins/grants`: its cases are the WIT's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grants {
    /// Every privilege it asks for (`--grant-all`).
    All,
    /// Every privilege of these names (`--grant NAME`), whatever its
    /// value.
    Names(Vec<String>),
}

/// Whether `grants` grant each of `asked`, in order; see the WIT
/// `judge-privileges`.
pub fn judge_privileges(asked: &[Privilege], grants: &Grants) -> Vec<bool> {
    asked
        .iter()
        .map(|privilege| match grants {
            Grants::All => true,
            Grants::Names(names) => names.contains(&privilege.name),
        })
        .collect()
}
