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
mod sys;
#[cfg(test)]
mod tests;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::Serialize;

use self::apply::Applier;
use self::layer::Layer;
use self::staging::{Staging, check_destination};
use super::source::{ArchiveSource, Compression, ImageSource};

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

/// Unpacks an image of a source (an archive, a layout) — its first image,
/// or the one named exactly `image` — into `dest`, which must not exist or
/// be an empty directory (it is then replaced). The source has checked its
/// documents; each layer's uncompressed digest is checked against the
/// config's `diff_id` before anything of it is written. `name` is how
/// errors call the source.
pub fn unpack_image(
    source: &dyn ImageSource,
    name: &Path,
    image: Option<&str>,
    dest: &Path,
    opts: &UnpackOptions,
    planner: &dyn ChangesetPlanner,
) -> Result<UnpackReport, Error> {
    let images = source.images()?;
    let chosen = match image {
        None => images.first(),
        Some(tag) => images.iter().find(|i| i.repo_tags.iter().any(|t| t == tag)),
    };
    let Some(chosen) = chosen else {
        return Err(Error::NoImage {
            archive: name.to_owned(),
            image: image.map(str::to_owned),
            available: images
                .iter()
                .flat_map(|i| i.repo_tags.iter().cloned())
                .collect(),
        });
    };
    let count = chosen.layers.len();
    let mut layers = Vec::with_capacity(count);
    for (i, layer) in chosen.layers.iter().enumerate() {
        let label = format!("layer {} of {count} ({})", i + 1, layer.diff_id);
        if layer.size == 0 {
            return Err(Error::MissingLayer {
                archive: name.to_owned(),
                layer: label,
            });
        }
        if let Compression::Unsupported(format) = layer.compression {
            return Err(Error::UnsupportedCompression {
                layer: label,
                format,
            });
        }
        let blob = &layer.blob;
        layers.push(Layer {
            label,
            tar: move || blob.open_stored(),
            diff_id: Some(layer.diff_id.clone()),
        });
    }
    unpack_into(dest, opts, planner, layers)
}

/// [`unpack_image`] of the archive file `archive`.
pub fn unpack_archive(
    archive: &Path,
    image: Option<&str>,
    dest: &Path,
    opts: &UnpackOptions,
    planner: &dyn ChangesetPlanner,
) -> Result<UnpackReport, Error> {
    let source = ArchiveSource::open(archive)?;
    unpack_image(&source, archive, image, dest, opts, planner)
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
    let applied = (|| {
        for layer in layers {
            let members = layer::members(&layer)?;
            let changeset = changeset::plan(planner, &layer.label, &members)?;
            applier.apply(&layer, &members, &changeset)?;
        }
        applier.finish()
    })();
    // The staging directory is gone by the time a person reads the error:
    // name the place in the destination instead.
    let report = applied.map_err(|e| e.relocated(&staging.path, dest))?;
    staging.commit(dest)?;
    Ok(report)
}
