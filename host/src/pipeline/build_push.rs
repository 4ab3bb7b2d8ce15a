//! `image build --push`: the image goes to the registry names it is
//! tagged with, with no archive, no engine and no file in between.
//!
//! The image is written into the first name's repository as into any
//! destination ([`super::build_image::put_image`]): the base's layers
//! stored compressed as known blobs, every other layer made and compressed
//! as it is sent, several at once (one per core); then the config and the
//! manifest, then the commit, so the tag never points at something
//! missing. Every other name gets the image by `copy` from the first
//! (mounted within a registry).

use super::Error;
use super::build::{BuildSpec, Operations};
use super::build_image::put_image;
use super::copy::{CopyContext, Location, Registries, copy};
use super::tag::identifier;
use crate::model::destination::Destination as _;
use crate::model::{Digest, Reference};
use crate::registry::RepositoryDestination;
use crate::store::compress::LayerCompression;
use crate::store::plan::LayerSource;

/// One name pushed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PushedName {
    /// The name, in full.
    pub name: String,
    /// The manifest digest in the registry.
    pub digest: Digest,
    /// The image ID (the config digest).
    pub image_id: Digest,
    /// Blob bytes sent to this name's repository.
    pub bytes_sent: u64,
}

/// Builds the image `spec` describes from the layers `sources` (those of
/// `layer_sources`, or tars made from them already) and pushes it to every
/// name of its `targets` (at least one). The first name is tagged only
/// once `before_tag` agrees (the build's other outputs are whole); a
/// refusal is the push's error, and no name is tagged.
pub(super) fn push_from(
    ops: &Operations<'_>,
    ctx: &CopyContext<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    compression: LayerCompression,
    before_tag: impl FnOnce() -> Result<(), Error>,
) -> Result<Vec<PushedName>, Error> {
    let targets: Vec<Reference> = match &spec.targets {
        Some(names) => ops.tagging.parse_targets(names)?,
        None => Vec::new(),
    };
    let Some(first) = targets.first() else {
        return Err(Error::NotFound {
            source_name: "image build --push".to_string(),
            message: "there is no name to push to: give one with -t REGISTRY/REPO[:TAG]".into(),
        });
    };
    // A base from another repository of the same registry lends its blobs.
    let mount_from = spec
        .base
        .as_ref()
        .and_then(|b| b.origin.as_ref())
        .filter(|origin| origin.domain == first.domain && origin.path != first.path)
        .map(|origin| origin.path.as_str());
    let repository = Registries::new(ctx.access).push_target(first, mount_from)?;
    let destination = RepositoryDestination::new(
        repository,
        ctx.runtime.handle().clone(),
        mount_from.map(Into::into),
    );
    let tag = identifier(first)?;
    let repo_tags = targets.iter().map(|t| t.full.clone()).collect();
    let put = put_image(ops, spec, sources, compression, repo_tags, &destination)?;
    let mut bytes_sent = put.bytes_sent;
    let manifest = put.image.manifest.descriptor;
    let image_id = put.image.config.descriptor.digest;
    before_tag()?;
    destination.commit(&manifest, Some(&tag))?;

    let mut pushed = Vec::with_capacity(targets.len());
    for target in &targets {
        if !std::ptr::eq(target, first) {
            let from = Location::Registry(first.clone());
            bytes_sent = copy(ctx, &from, &Location::Registry(target.clone()))?.bytes_sent;
        }
        pushed.push(PushedName {
            name: target.full.clone(),
            digest: manifest.digest.clone(),
            image_id: image_id.clone(),
            bytes_sent,
        });
    }
    Ok(pushed)
}
