//! Unpacking: how one layer tar changes the file system the layers below it
//! made (OCI image-spec `layer.md`, "Applying Changesets"), decided from the
//! members' names and types alone; the host reads the tar and writes files.
//!
//! [`plan_changeset`] gives every `Remove` and `ClearDirectory` first, in tar
//! order (whiteouts hide only what lower layers made, whatever their place
//! in the tar), then one `Apply` per member to write, in tar order. Names
//! are normalised first: `/`-separated components, empty and `.` ones
//! dropped (`./a//b/` is `a/b`); the paths in `Remove` and `ClearDirectory`
//! are relative to the root, joined with `/` (the root itself is the empty
//! path). Bytes pass through: names need not be UTF-8.
//!
//! | member (last component)        | change                                             |
//! |--------------------------------|----------------------------------------------------|
//! | `.wh..wh..opq` in `<dir>`      | `ClearDirectory(<dir>)` (an opaque directory)       |
//! | `.wh..wh.<other>`              | nothing: AUFS bookkeeping, never written           |
//! | `.wh.<name>` in `<dir>`        | `Remove(<dir>/<name>)` (a whiteout)                 |
//! | a PAX global header            | nothing: metadata for the archive                  |
//! | anything else                  | `Apply(index)`; two members for one path are both applied, the later wins (as the engine accepts) |
//!
//! Members under a top-level `.wh..wh.<name>` directory (AUFS's `.wh..wh.plnk`
//! hard-link store, `.wh..wh.orph`) are AUFS bookkeeping too, as moby's
//! `UnpackLayer` skips them.
//!
//! Refusals: a whiteout that names nothing, `.`, or `..` (`.wh.`, `.wh..`,
//! `.wh...`), a name with a `..` component, an absolute name, an empty name
//! or one with a NUL byte, and a member inside a directory whose name starts
//! with `.wh.` (no file system can hold such a name) are `InvalidInput`; a
//! member of a type this crate does not know is `Unsupported`. The host
//! checks paths again as it writes; this is defence in depth.

use crate::Error;

pub use crate::wit::exports::ocipipe::image::changesets::{Member, MemberKind};

/// One change to the file system below a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Remove what lower layers put at this path.
    Remove(Vec<u8>),
    /// Remove what lower layers put inside this directory, keeping it.
    ClearDirectory(Vec<u8>),
    /// Create member `index` at its path, replacing what is there.
    Apply(u32),
}

/// The prefix of a whiteout's name.
const WHITEOUT: &[u8] = b".wh.";
/// The prefix of AUFS's own names.
const AUFS_META: &[u8] = b".wh..wh.";
/// The name of an opaque-directory marker.
const OPAQUE: &[u8] = b".wh..wh..opq";

/// The changes one layer makes, given its members in tar order (see the
/// module documentation).
pub fn plan_changeset(members: &[Member]) -> Result<Vec<Change>, Error> {
    let mut hides = Vec::new();
    let mut applies = Vec::new();
    for (i, member) in members.iter().enumerate() {
        let index = u32::try_from(i).map_err(|_| {
            Error::TooLarge(format!(
                "a layer of more than {} members cannot be described",
                u32::MAX
            ))
        })?;
        let what = || format!("member {i} {:?}", String::from_utf8_lossy(&member.path));
        match member.kind {
            MemberKind::PaxGlobal => continue,
            MemberKind::Other => {
                return Err(Error::Unsupported(format!(
                    "{}: a tar entry type that is not a file, directory, link, device or fifo",
                    what()
                )));
            }
            _ => {}
        }
        let components =
            components(&member.path).map_err(|why| Error::invalid(format!("{}: {why}", what())))?;
        let Some((name, parents)) = components.split_last() else {
            applies.push(Change::Apply(index)); // the root directory itself
            continue;
        };
        if parents
            .first()
            .is_some_and(|top| top.starts_with(AUFS_META))
        {
            continue;
        }
        if parents.iter().any(|p| p.starts_with(WHITEOUT)) {
            return Err(Error::invalid(format!(
                "{}: a member inside a directory named like a whiteout (`.wh.`), which no file system holds",
                what()
            )));
        }
        if *name == OPAQUE {
            hides.push(Change::ClearDirectory(join(parents, None)));
        } else if name.starts_with(AUFS_META) {
            // AUFS bookkeeping: neither a whiteout nor a file.
        } else if let Some(hidden) = name.strip_prefix(WHITEOUT) {
            if matches!(hidden, b"" | b"." | b"..") {
                return Err(Error::invalid(format!(
                    "{}: a whiteout must name a file or directory (`.wh.<name>`)",
                    what()
                )));
            }
            hides.push(Change::Remove(join(parents, Some(hidden))));
        } else {
            applies.push(Change::Apply(index));
        }
    }
    hides.append(&mut applies);
    Ok(hides)
}

/// The components of a member's name, without empty and `.` ones.
fn components(path: &[u8]) -> Result<Vec<&[u8]>, &'static str> {
    if path.is_empty() {
        return Err("an empty name");
    }
    if path.contains(&0) {
        return Err("a NUL byte in the name");
    }
    if path.starts_with(b"/") {
        return Err("an absolute name; a layer's names are relative to its root");
    }
    let mut out = Vec::new();
    for component in path.split(|&b| b == b'/') {
        match component {
            b"" | b"." => {}
            b".." => return Err("a `..` component, which would reach outside the root"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// `parents` and then `last`, joined with `/`.
fn join(parents: &[&[u8]], last: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for component in parents.iter().copied().chain(last) {
        if !out.is_empty() {
            out.push(b'/');
        }
        out.extend_from_slice(component);
    }
    out
}
