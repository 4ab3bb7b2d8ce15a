//! Unpacking an image into a root filesystem directory, safely.
//!
//! Owns: executing layer changesets in order — a planner (the tar-assembly
//! component, behind [`ChangesetPlanner`]) decides from each layer's
//! members what it removes from lower layers and which members it writes,
//! the way the OCI image-spec (`layer.md`, "Applying Changesets") says;
//! this module checks that plan and carries it out — restoring permission
//! bits and mtimes, creating symlinks, hard links, FIFOs and (when
//! allowed) device nodes, and restoring ownership when running as root.
//! Each layer is read twice: pass 1 reads its members and checks the whole
//! stream (so a layer that is cut short or does not match its `diff_id` is
//! refused before anything of it is written), pass 2 applies it. Owns the
//! safety rules too; each refusal is an [`Error`] naming the layer and the
//! entry:
//!
//! - absolute entry names and `..` components;
//! - paths through a symlink that leads outside the root: every parent
//!   component is resolved inside the root by this module (never by the
//!   OS), relative link targets lexically and component-wise (so a sibling
//!   `<dest>-evil` is outside, whatever its spelling), absolute link targets
//!   are refused outright;
//! - hard links to targets outside the root or not yet extracted;
//! - device nodes unless [`UnpackOptions::allow_devices`];
//! - truncated or corrupt tar and gzip streams (a layer must end with its
//!   end-of-archive marker, and a gzip layer with its checksummed trailer);
//! - a `manifest.json` naming missing files (through [`super::archive`]),
//!   and, for [`unpack_archive`], layers whose uncompressed digest is not
//!   their config's `diff_id`;
//! - a plan that breaks the planner's contract (removals after an apply,
//!   member indexes out of range or not increasing, removal paths not
//!   relative and normal), and a layer whose members differ between the
//!   two reads (it changed while being read).
//!
//! Decisions: two entries for one path within a layer are applied in order,
//! the later winning (the image-spec forbids producing them, but
//! `docker load` and containerd accept them, so refusing would make such
//! images unusable). Attributes: see `attrs`.
//!
//! There is no partial output: layers are applied into a fresh private
//! directory beside the destination (`staging`), renamed onto it only
//! when everything succeeded, and removed otherwise.
//!
//! Must not: write outside the destination, let the OS follow a symlink
//! while writing, read a layer into memory, decide what a whiteout means
//! (the planner does), import `runtime`, or interpret references (an image
//! is chosen by the exact strings in the archive's `RepoTags`).

mod apply;
mod attrs;
mod changeset;
mod error;
mod layer;
mod resolve;
mod staging;
pub mod stopgap_planner;
mod sys;
#[cfg(test)]
mod tests;

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::Serialize;

use self::apply::Applier;
use self::layer::Layer;
use self::staging::{Staging, check_destination};
use super::archive::ArchiveIndex;

pub use changeset::{ChangesetPlanner, PlannerError};
pub use error::Error;
pub use layer::{LayerTar, check_layer};

/// How to unpack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackOptions {
    /// Create character and block device nodes. Defaults to
    /// [`running_as_root`]: only root can make them, and only root should
    /// want them. When false a layer holding a device is refused.
    pub allow_devices: bool,
}

impl Default for UnpackOptions {
    fn default() -> Self {
        UnpackOptions {
            allow_devices: running_as_root(),
        }
    }
}

/// Whether this process runs as root: `/proc/self` is owned by the
/// effective user id. Decides whether ownership (uid, gid, and the setuid
/// and setgid bits) is restored; false when `/proc` cannot be read.
pub fn running_as_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// What an unpack did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UnpackReport {
    /// Layers applied.
    pub layers: usize,
    /// Files, directories, links and nodes written (whiteouts not counted).
    pub entries: u64,
    /// Removals applied (whiteouts and opaque directories).
    pub whiteouts: u64,
    /// Bytes of regular-file data written.
    pub bytes: u64,
}

/// Unpacks the image of an archive — its first image, or the one whose
/// `RepoTags` contain `image` exactly — into `dest`, which must not exist
/// or be an empty directory (it is then replaced). The archive is scanned
/// and its `manifest.json` checked first, and the config against the digest
/// its name claims; each layer's uncompressed digest is checked against the
/// config's `diff_id` before anything of it is written.
pub fn unpack_archive(
    archive: &Path,
    image: Option<&str>,
    dest: &Path,
    opts: &UnpackOptions,
    planner: &dyn ChangesetPlanner,
) -> Result<UnpackReport, Error> {
    let index = ArchiveIndex::scan(archive)?;
    let images = index.images()?;
    let chosen = match image {
        None => images.first(),
        Some(tag) => images.iter().find(|i| i.repo_tags.iter().any(|t| t == tag)),
    };
    let Some(chosen) = chosen else {
        return Err(Error::NoImage {
            archive: archive.to_owned(),
            image: image.map(str::to_owned),
            available: images
                .iter()
                .flat_map(|i| i.repo_tags.iter().cloned())
                .collect(),
        });
    };
    let diff_ids = index.diff_ids(chosen)?;
    let count = chosen.layers.len();
    let mut layers = Vec::with_capacity(count);
    for (i, (path, diff_id)) in chosen.layers.iter().zip(diff_ids).enumerate() {
        let label = format!("layer {} of {count} ({path})", i + 1);
        if index.open(path)?.is_empty() {
            return Err(Error::MissingLayer {
                archive: archive.to_owned(),
                layer: label,
            });
        }
        let index = &index;
        layers.push(Layer {
            label,
            tar: move || index.open(path).map_err(io::Error::other),
            diff_id: Some(diff_id),
        });
    }
    unpack_into(dest, opts, planner, layers)
}

/// Applies layer tars (plain or gzip, detected by their magic bytes) in
/// order onto `dest`, which must not exist or be an empty directory (it is
/// then replaced).
pub fn apply_layers<L: LayerTar>(
    layers: impl IntoIterator<Item = L>,
    dest: &Path,
    opts: &UnpackOptions,
    planner: &dyn ChangesetPlanner,
) -> Result<UnpackReport, Error> {
    let layers = layers.into_iter().enumerate().map(|(i, tar)| Layer {
        label: format!("layer {}", i + 1),
        tar,
        diff_id: None,
    });
    unpack_into(dest, opts, planner, layers)
}

fn unpack_into<L: LayerTar>(
    dest: &Path,
    opts: &UnpackOptions,
    planner: &dyn ChangesetPlanner,
    layers: impl IntoIterator<Item = Layer<L>>,
) -> Result<UnpackReport, Error> {
    let parent = check_destination(dest)?;
    let staging = Staging::new(&parent)?;
    let mut applier = Applier::new(&staging.path, opts.allow_devices, running_as_root());
    for layer in layers {
        let members = layer::members(&layer)?;
        let changeset = changeset::plan(planner, &layer.label, &members)?;
        applier.apply(&layer, &members, &changeset)?;
    }
    let report = applier.finish()?;
    staging.commit(dest)?;
    Ok(report)
}
