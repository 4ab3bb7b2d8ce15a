//! The one safe-name rule: a name inside a root is relative and never
//! climbs (`..`); empty and `.` components mean nothing. Tar member names,
//! archive entry names, link targets inside an archive and paths a
//! component plans (layout files, changeset removals) all go through
//! [`components`], so there is one place where "inside" is decided. Paths
//! a component plans must moreover be in normal form
//! ([`normal_components`]): anything else breaks its contract.
//!
//! Must not: touch the file system (symlinks on disk are resolved by
//! `unpack`, component by component) or accept a name it cannot prove
//! stays inside.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// Why a name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// It is not UTF-8 (only where a name must be).
    NonUtf8,
    /// It starts with `/`.
    Absolute,
    /// It has a `..` component (or, joined onto a base, climbs above the root).
    Parent,
}

/// The components of a relative name, empty and `.` ones dropped; none
/// for the root (`./`). Refuses an absolute name and a `..` component.
pub fn components(raw: &[u8]) -> Result<Vec<&[u8]>, NameProblem> {
    if raw.first() == Some(&b'/') {
        return Err(NameProblem::Absolute);
    }
    push(Vec::new(), raw, false)
}

/// The components of a name that must already be in normal form (no
/// empty, `.` or `..` component, no leading or trailing `/`), as a
/// component must plan paths; `None` otherwise. The empty name is the
/// root: no components.
pub fn normal_components(raw: &[u8]) -> Option<Vec<&[u8]>> {
    if raw.is_empty() {
        return Some(Vec::new());
    }
    let parts = components(raw).ok()?;
    (parts.len() == raw.split(|b| *b == b'/').count()).then_some(parts)
}

/// A UTF-8 name normalised to `a/b/c`; `None` for the root.
pub fn normalize(raw: &[u8]) -> Result<Option<String>, NameProblem> {
    let name = std::str::from_utf8(raw).map_err(|_| NameProblem::NonUtf8)?;
    let parts = components(name.as_bytes())?;
    Ok((!parts.is_empty()).then(|| to_string(&parts)))
}

/// `target` resolved lexically against the directory `base` (a normalised
/// name), `..` climbing; `None` when it climbs above the root. A leading
/// `/` of `target` is not special here: callers refuse absolute targets.
pub fn join_lexically(base: &str, target: &str) -> Option<String> {
    let base = components(base.as_bytes()).ok()?;
    push(base, target.as_bytes(), true)
        .ok()
        .map(|parts| to_string(&parts))
}

/// A path a component plans (e.g. a layout file), as a relative path that
/// stays inside its root: `None` unless it is non-empty and in normal form.
pub fn relative_path(path: &str) -> Option<PathBuf> {
    let parts = normal_components(path.as_bytes())?;
    (!parts.is_empty()).then(|| parts.into_iter().map(OsStr::from_bytes).collect())
}

/// Appends the components of `raw` to `parts`; `..` pops one when `climb`
/// (refused above the root), and is refused otherwise.
fn push<'a>(
    mut parts: Vec<&'a [u8]>,
    raw: &'a [u8],
    climb: bool,
) -> Result<Vec<&'a [u8]>, NameProblem> {
    for part in raw.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." if climb => {
                parts.pop().ok_or(NameProblem::Parent)?;
            }
            b".." => return Err(NameProblem::Parent),
            part => parts.push(part),
        }
    }
    Ok(parts)
}

/// Joins components known to be UTF-8.
fn to_string(parts: &[&[u8]]) -> String {
    String::from_utf8_lossy(&parts.join(&b'/')).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(raw: &[u8]) -> Option<Vec<&str>> {
        components(raw)
            .ok()
            .map(|p| p.iter().map(|c| std::str::from_utf8(c).unwrap()).collect())
    }

    #[test]
    fn names_are_split_component_wise() {
        assert_eq!(strings(b"./a//b/./c/"), Some(vec!["a", "b", "c"]));
        assert_eq!(strings(b"./"), Some(vec![]));
        assert_eq!(components(b"a/.."), Err(NameProblem::Parent));
        assert_eq!(components(b"/a"), Err(NameProblem::Absolute));
        assert_eq!(strings(b"..a/b.."), Some(vec!["..a", "b.."]));
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalize(b"./a//b/./c/").unwrap().as_deref(), Some("a/b/c"));
        assert_eq!(normalize(b"./").unwrap(), None);
        assert_eq!(normalize(b"caf\xe9"), Err(NameProblem::NonUtf8));
        assert_eq!(join_lexically("a/b", "../c/./d").as_deref(), Some("a/c/d"));
        assert_eq!(join_lexically("a", "../../x"), None);
        assert_eq!(join_lexically("", "x/../y").as_deref(), Some("y"));
    }

    #[test]
    fn planned_paths_must_be_in_normal_form() {
        assert_eq!(normal_components(b"a/b"), Some(vec![&b"a"[..], b"b"]));
        assert_eq!(normal_components(b""), Some(vec![]));
        for bad in [&b"./a"[..], b"a//b", b"a/", b"/a", b"a/../b", b"a/."] {
            assert_eq!(normal_components(bad), None, "{bad:?}");
        }
        assert_eq!(
            relative_path("blobs/sha256/x"),
            Some(PathBuf::from("blobs/sha256/x"))
        );
        assert_eq!(relative_path("../x"), None);
        assert_eq!(relative_path("/x"), None);
        assert_eq!(relative_path("."), None);
        assert_eq!(relative_path(""), None);
        assert_eq!(relative_path("a//b"), None);
    }
}
