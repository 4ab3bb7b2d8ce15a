//! `plugin build`: a managed Docker plugin from a plugin context (a
//! directory holding `config.json` and `rootfs/`, as `docker plugin
//! create` takes it), pushed straight to a registry or written into an
//! OCI-layout tar, with no engine.
//!
//! The rootfs becomes one gzip layer, planned by the tar-assembly
//! component from the directory (sorted entries, normalised headers), so
//! the same context always gives the same digest. The privileges
//! component checks the config and writes it as the engine's `create`
//! does, with the layer's diff_id; the manifest-generation component
//! writes the schema2 plugin manifest. A push writes into the repository
//! as into any destination, under the plugin token scope: the layer as it
//! is made (its digest known at its end), then the config, the manifest,
//! and the tag last.
//!
//! Two choices differ from moby's `CreateFromContext`, and Engine 20.10
//! installs the plugin either way (`tests/e2e/plugin_build.rs` asks it):
//! - `rootfs.diff_ids` holds the digest of the *uncompressed* layer tar,
//!   which is what a diff ID is (image spec, and the engine's own image
//!   configs); moby writes the gzip blob's digest there. The engine's
//!   plugin pull checks each blob against its manifest digest and never
//!   compares diff IDs, so both install; only ours can be checked.
//! - the layer's media type is Docker's gzip layer
//!   (`application/vnd.docker.image.rootfs.diff.tar.gzip`), the schema2
//!   family the manifest belongs to, as moby's `buildManifest` writes.
//!
//! Must not: read or judge the config, plan the tar, or write a manifest
//! or archive layout itself (the components do).

use super::build_image::{Failure, made};
use super::copy::{CopyContext, Registries, push_destination};
use super::planner::Planner;
use super::tag::identifier;
use super::{Error, Operations};
use crate::model::destination::{Destination as _, Expected, Layer, write_images};
use crate::model::{
    ArchiveFormat, ArchiveImage, ArchiveLayer, Descriptor, Digest, Document, LayerOptions,
    ManifestFormat, Reference,
};
use crate::runtime::Privileges;
use crate::store::atomic::Target;
use crate::store::compress::{CompressedFile, LayerCompression, compress_to_file};
use crate::store::files::{self, Kind};
use crate::store::plan::{LayerSource, PlannedLayer};
use crate::store::sink::Archive;
use crate::store::walk::walk;
use std::path::{Path, PathBuf};

/// The file of a context holding the plugin config.
const CONFIG_FILE: &str = "config.json";
/// The directory of a context holding the plugin's root file system.
const ROOTFS_DIR: &str = "rootfs";

/// Where a built plugin goes.
#[derive(Debug, Clone)]
pub enum PluginOutput {
    /// To its name's registry.
    Push,
    /// Into an OCI-layout tar (`oci-archive:`), written atomically.
    File(PathBuf),
}

/// What to build.
#[derive(Debug, Clone)]
pub struct PluginBuild<'a> {
    /// The plugin context.
    pub context: &'a Path,
    /// The plugin's name, normalised, with a tag (as
    /// [`super::plugin_name`] gives it: a digest is refused, as moby's
    /// `create` refuses it).
    pub name: &'a Reference,
    /// Where it goes.
    pub output: PluginOutput,
    /// How the rootfs layer's headers are normalised.
    pub layer_options: LayerOptions,
}

/// A plugin built.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuiltPlugin {
    /// Its name, in full.
    pub name: String,
    /// The manifest's digest: what the registry serves it as.
    pub digest: Digest,
    /// The config's digest.
    pub config_digest: Digest,
    /// The rootfs layer's digest (gzip) and size.
    pub layer: Descriptor,
    /// The rootfs layer's diff ID (the digest of its tar).
    pub diff_id: Digest,
    /// Where it went: the registry name, or the file.
    pub output: String,
    /// Blob bytes sent to the registry (0 for a file).
    pub bytes_sent: u64,
}

/// Builds the plugin `build` describes and puts it where it goes.
pub fn build_plugin(
    ctx: &CopyContext<'_>,
    privileges: &Privileges,
    build: &PluginBuild<'_>,
) -> Result<BuiltPlugin, Error> {
    let context_config = read_context_config(build.context)?;
    // Checked before any layer byte is made: a config the engine could
    // not install should not cost an upload.
    privileges.plugin_config(&context_config, &Digest::sha256(b""))?;
    let rootfs = rootfs_layer(ctx.ops, build.context, build.layer_options)?;
    let (made, output) = match &build.output {
        PluginOutput::Push => (
            push(ctx, privileges, build.name, &context_config, &rootfs)?,
            build.name.full.clone(),
        ),
        PluginOutput::File(path) => (
            write_file(
                ctx.ops,
                privileges,
                build.name,
                &context_config,
                &rootfs,
                path,
            )?,
            path.display().to_string(),
        ),
    };
    Ok(BuiltPlugin {
        name: build.name.full.clone(),
        digest: made.manifest.descriptor.digest,
        config_digest: made.config.descriptor.digest,
        layer: made.layer,
        diff_id: made.diff_id,
        output,
        bytes_sent: made.bytes_sent,
    })
}

/// What an output took.
struct Made {
    config: Document,
    manifest: Document,
    layer: Descriptor,
    diff_id: Digest,
    bytes_sent: u64,
}

/// The context's `config.json`: a regular file, read as `plugin
/// privileges --config` reads one.
fn read_context_config(context: &Path) -> Result<String, Error> {
    let path = context.join(CONFIG_FILE);
    let what = path.display().to_string();
    let refused = |message: String| Error::Input {
        what: what.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, message),
    };
    match files::kind(&path, true).map_err(Error::input(&what))? {
        Kind::File => {}
        Kind::Absent => {
            return Err(refused(format!(
                "a plugin context holds its config in {CONFIG_FILE} (and its files in \
                 {ROOTFS_DIR}/); {} has none",
                context.display()
            )));
        }
        Kind::Dir | Kind::Other => return Err(refused("it is not a regular file".to_string())),
    }
    let file = files::open_input(&path, "a plugin config").map_err(Error::input(&what))?;
    super::plugin::read_config(file, &what)
}

/// The context's `rootfs/` as one layer planned by the component.
fn rootfs_layer(
    ops: &Operations<'_>,
    context: &Path,
    options: LayerOptions,
) -> Result<LayerSource, Error> {
    let dir = context.join(ROOTFS_DIR);
    let shown = dir.display().to_string();
    match files::kind(&dir, false).map_err(Error::input(&shown))? {
        Kind::Dir => {}
        Kind::Absent => {
            return Err(Error::Input {
                what: shown,
                source: std::io::Error::other(format!(
                    "a plugin context holds the plugin's files in {ROOTFS_DIR}/; {} has none",
                    context.display()
                )),
            });
        }
        Kind::File | Kind::Other => {
            return Err(Error::Input {
                what: shown,
                source: std::io::Error::other("the plugin's rootfs must be a directory"),
            });
        }
    }
    let entries = walk(&dir)?;
    let plan = ops.tar_assembly.plan_layer(&entries, options)?;
    Ok(LayerSource::Planned(PlannedLayer::new(
        &dir, &entries, plan,
    )?))
}

/// The media type of a plugin's layer: gzip, in the Docker schema 2
/// manifest it is listed in.
fn layer_media_type(ops: &Operations<'_>) -> Result<String, Error> {
    Ok(ops
        .manifest_generation
        .layer_media_type(LayerCompression::Gzip, ManifestFormat::Docker)?)
}

/// The config and manifest of a plugin whose layer is `layer`.
fn documents(
    ops: &Operations<'_>,
    privileges: &Privileges,
    context_config: &str,
    diff_id: &Digest,
    layer: &Descriptor,
) -> Result<(Document, Document), Error> {
    let config = privileges.plugin_config(context_config, diff_id)?;
    let manifest = ops
        .manifest_generation
        .docker_manifest(&config.descriptor, std::slice::from_ref(layer))?;
    Ok((config, manifest))
}

/// Layer (streamed as it is made), config, the manifest, then the tag.
fn push(
    ctx: &CopyContext<'_>,
    privileges: &Privileges,
    name: &Reference,
    context_config: &str,
    rootfs: &LayerSource,
) -> Result<Made, Error> {
    let repository = Registries::new(ctx.access).plugin_target(name)?;
    let destination = push_destination(ctx, repository);
    let size = rootfs.known_size()?;
    let failure = Failure::default();
    let expected = Expected { size, digest: None };
    let gzip = LayerCompression::Gzip;
    let layer = made(ctx.ops.progress, rootfs, gzip, expected, &failure);
    ctx.ops.progress.start("push", size);
    let put = destination.put_layers(std::slice::from_ref(&layer));
    ctx.ops.progress.finish();
    drop(layer);
    let put = put.map_err(|e| failure.or(e))?.remove(0);
    let diff_id = put.diff_id.expect("a made layer has its diff_id");
    // A plugin's manifest is Docker's: its layer is named so.
    let layer = Descriptor::new(layer_media_type(ctx.ops)?, put.digest, put.size);
    let (config, manifest) = documents(ctx.ops, privileges, context_config, &diff_id, &layer)?;
    let image = ArchiveImage {
        config,
        manifest,
        layers: vec![ArchiveLayer {
            descriptor: layer.clone(),
            omitted: false,
        }],
        repo_tags: vec![name.full.clone()],
    };
    let config_sent = destination.put_image(&image)?;
    destination.commit(&image.manifest.descriptor, Some(&identifier(name)?))?;
    Ok(Made {
        config: image.config,
        manifest: image.manifest,
        layer,
        diff_id,
        bytes_sent: put.moved.sent() + config_sent,
    })
}

/// The layer made into a temporary file first (its digest names its
/// entry), then the archive the tar-assembly component lays out. The
/// target is resolved and opened before any work, as every `-o` is: a
/// directory is refused at once; a FIFO or a device is written into, not
/// replaced; a regular file is written beside and renamed over when whole
/// (its temporary file there from the start).
fn write_file(
    ops: &Operations<'_>,
    privileges: &Privileges,
    name: &Reference,
    context_config: &str,
    rootfs: &LayerSource,
    path: &Path,
) -> Result<Made, Error> {
    let what = format!("cannot write {}", path.display());
    let target = Target::resolve(path).map_err(Error::output(&what))?;
    let planner = Planner(ops.tar_assembly);
    let into = Archive::at(target, path, ArchiveFormat::OciArchive, &planner)?;
    let staging = files::Scratch::new("ocipipe-plugin-").map_err(Error::output(&what))?;
    let blob_path = staging.path().join("rootfs.tar.gz");
    ops.progress
        .start("rootfs", rootfs.known_size().ok().flatten());
    let made = compress_to_file(rootfs, LayerCompression::Gzip, &blob_path, ops.progress);
    ops.progress.finish();
    let CompressedFile {
        diff_id,
        digest,
        size,
    } = made?;
    let layer = Descriptor::new(layer_media_type(ops)?, digest, size);
    let (config, manifest) = documents(ops, privileges, context_config, &diff_id, &layer)?;

    // The gzip file goes in as it is, a known blob: its bytes must hash to
    // the digest it was made with.
    let image = ArchiveImage {
        config: config.clone(),
        manifest: manifest.clone(),
        layers: vec![ArchiveLayer {
            descriptor: layer.clone(),
            omitted: false,
        }],
        repo_tags: vec![name.full.clone()],
    };
    let stored = LayerSource::Tar(blob_path);
    let layers = vec![Layer::Known {
        blob: Box::new(layer.clone()),
        open: Box::new(move || stored.open_stored()),
    }];
    write_images(into, &[layers], None, |_, _| Ok::<_, Error>(image.clone()))?;
    Ok(Made {
        config,
        manifest,
        layer,
        diff_id,
        bytes_sent: 0,
    })
}
