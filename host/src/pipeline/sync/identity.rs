//! What a sync compares at each end of a copy. Registries and layouts keep
//! manifests: an image there is its manifest digest. A `docker load`
//! archive and the engine keep none: an image there is its image ID, the
//! config digest. Comparing one kind with the other takes the config of a
//! registry's or a layout's manifest (one `GET`, read by the
//! manifest-generation component's `read-manifest`, as a copy reads it).

use crate::model::{AnyReference, Digest, Document, ImageContents, ManifestContents, Platform};
use crate::pipeline::Error;
use crate::pipeline::copy::{
    Chosen, CopyContext, Location, Registries, archive_image_id, chosen_platforms, contents,
};
use crate::pipeline::planner::IndexPlanning;
use crate::store::source::LayoutSource;

/// What a target holds under the name an image goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum There {
    /// Nothing.
    Absent,
    /// A manifest, by digest (a registry, a layout).
    Manifest(Digest),
    /// An image of the engine, by ID.
    Image(Digest),
    /// An archive file: a copy rewrites it whole, whatever it holds.
    File,
}

/// Whether images at `location` are named by manifest digest (a registry,
/// a layout); else by image ID (an archive, the engine).
pub(super) fn keeps_manifests(location: &Location) -> bool {
    matches!(location, Location::Registry(_) | Location::Layout { .. })
}

/// The image ID of the image an archive or the engine holds at `at`; none
/// when it is not there (no archive file, no such image in the engine).
pub(super) async fn image_id(
    ctx: &CopyContext<'_>,
    at: &Location,
) -> Result<Option<Digest>, Error> {
    match at {
        Location::Archive { path, name } => {
            if !path.exists() {
                return Ok(None);
            }
            let id = archive_image_id(ctx.ops.tagging, path, name.as_ref(), &at.to_string())?;
            Ok(Some(id))
        }
        Location::Daemon(reference) => {
            let engine = ctx
                .engine
                .ok_or_else(|| Error::Contract(format!("no engine connected for {at}")))?;
            match engine.inspect(reference.for_engine()).await {
                Ok(info) => Ok(Some(Digest::parse(&info.id).map_err(|e| {
                    Error::Contract(format!("the engine's ID of {at}, {:?}: {e}", info.id))
                })?)),
                Err(crate::docker::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            }
        }
        other => Err(Error::Contract(format!(
            "{other} keeps manifests, not image IDs"
        ))),
    }
}

/// The image ID of an archive's or the engine's image at `at`, which a
/// sync copies; an error when it is not there.
pub(super) async fn source_image_id(ctx: &CopyContext<'_>, at: &Location) -> Result<Digest, Error> {
    image_id(ctx, at).await?.ok_or_else(|| Error::NotFound {
        source_name: at.to_string(),
        message: match at {
            Location::Archive { .. } => "no such archive file".to_string(),
            Location::Daemon(AnyReference::Id(_)) => "the engine has no image of that ID".into(),
            _ => "the engine has no image of that name".to_string(),
        },
    })
}

/// The manifest `digest` at a registry or a layout `at` (a layout's by
/// the tag of `at`, whose entry names `digest`).
pub(super) async fn root_document(
    ctx: &CopyContext<'_>,
    at: &Location,
    digest: &Digest,
) -> Result<Document, Error> {
    match at {
        Location::Registry(r) => {
            let fetched = Registries::new(ctx.access)
                .source(r)?
                .manifest(digest.as_str())
                .await?;
            Ok(fetched.into_document())
        }
        Location::Layout { path, tag } => {
            let layout = LayoutSource::open(path)?;
            let generation = ctx.ops.manifest_generation;
            let entry = generation
                .layout_entry(&layout.index(&IndexPlanning(generation))?, tag.as_deref())?;
            Ok(layout.document(&entry)?)
        }
        other => Err(Error::Contract(format!("{other} keeps no manifest"))),
    }
}

/// The config digest of the manifest `digest` at a registry or a layout
/// `at`; none when it is an index.
pub(super) async fn manifest_config(
    ctx: &CopyContext<'_>,
    at: &Location,
    digest: &Digest,
) -> Result<Option<Digest>, Error> {
    let mut document = root_document(ctx, at, digest).await?;
    Ok(config_digest(&contents(ctx.ops, &mut document)?))
}

/// The image ID a copy of the image `digest` at a registry or a layout
/// `from` gives an archive or the engine: of an index, the image of the
/// one platform of `platforms` (the host's when none is given); none when
/// several are given (the copy refuses them).
pub(super) async fn copied_image_id(
    ctx: &CopyContext<'_>,
    from: &Location,
    digest: &Digest,
    platforms: &[Platform],
) -> Result<Option<Digest>, Error> {
    let mut root = root_document(ctx, from, digest).await?;
    let read = contents(ctx.ops, &mut root)?;
    let host;
    let platforms = match platforms {
        [] => {
            host = [ctx
                .ops
                .manifest_generation
                .normalize_platform(None, &crate::model::HostMachine::current())?];
            &host[..]
        }
        given => given,
    };
    match chosen_platforms(ctx.ops, &read, platforms)? {
        None => Ok(config_digest(&read)),
        Some(Chosen::Index(_)) => Ok(None),
        Some(Chosen::One(one)) => {
            let mut child = match from {
                Location::Registry(r) => {
                    let fetched = Registries::new(ctx.access)
                        .source(r)?
                        .manifest(one.digest.as_str())
                        .await?;
                    Document {
                        descriptor: one,
                        bytes: fetched.bytes,
                    }
                }
                Location::Layout { path, .. } => LayoutSource::open(path)?.document(&one)?,
                other => return Err(Error::Contract(format!("{other} keeps no manifest"))),
            };
            Ok(config_digest(&contents(ctx.ops, &mut child)?))
        }
    }
}

fn config_digest(contents: &ManifestContents) -> Option<Digest> {
    match contents {
        ManifestContents::Image(ImageContents { config, .. }) => Some(config.digest.clone()),
        ManifestContents::Index(_) => None,
    }
}
