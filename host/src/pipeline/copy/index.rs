//! `index create`, `index append` and `index filter`: multi-platform
//! indexes made from images anywhere, written as a copy writes
//! (`write_tree`): each image copied with its blobs, then the new index.
//! Between repositories of one registry every blob is mounted from the
//! repository its image came from, never downloaded.
//!
//! Decisions are the manifest-generation component's: the platform an
//! image is listed under (`config-platform`, from its config), the new
//! index (`plan-index`: duplicates refused), which children a filter keeps
//! (`filter-index`). Must not: write an index itself.

use super::base::read_config;
use super::source::Source;
use super::{
    Copied, CopyContext, Location, Registries, Tree, contents, push_new_blob, push_new_document,
    write_tree,
};
use crate::model::{Digest, Document, ImageContents, IndexChild, ManifestContents};
use crate::pipeline::Error;
use std::collections::HashMap;

/// A new index listing the images (or indexes) `sources` name, each whole,
/// after the entries of `existing` (`index append`: the index there,
/// which must be one); written to `to`.
pub fn index_create(
    ctx: &CopyContext<'_>,
    existing: Option<&Location>,
    sources: &[Location],
    to: &Location,
    annotations: &[(String, String)],
) -> Result<Copied, Error> {
    let mut registries = Registries::new(ctx.access);
    let existing = existing
        .map(|at| existing_index(ctx, &mut registries, at))
        .transpose()?;
    let mut opened = Vec::new();
    let mut children = Vec::new();
    let mut manifests = Vec::new();
    let mut blobs = Vec::new();
    let mut by_blob: HashMap<Digest, usize> = HashMap::new();
    for (i, from) in sources.iter().enumerate() {
        let source = Source::open(ctx, &mut registries, from)?;
        let tree = ctx.runtime.block_on(source.tree(ctx.ops, &[]))?;
        let mut root = tree.root.clone();
        let platform = match contents(ctx.ops, &mut root)? {
            ManifestContents::Image(ImageContents { config, .. }) => {
                let config = read_config(ctx, &source, &config, from)?;
                Some(ctx.ops.manifest_generation.config_platform(&config.bytes)?)
            }
            ManifestContents::Index(_) => None,
        };
        children.push(IndexChild {
            manifest: root.descriptor.clone(),
            platform,
        });
        for blob in tree.blobs {
            if !by_blob.contains_key(&blob.digest) {
                by_blob.insert(blob.digest.clone(), i);
                blobs.push(blob);
            }
        }
        for manifest in tree.manifests {
            push_new_document(&mut manifests, manifest);
        }
        opened.push(source);
    }
    let index =
        ctx.ops
            .manifest_generation
            .plan_index(existing.as_ref(), &children, annotations)?;
    manifests.push(index.clone());
    let tree = Tree {
        root: index,
        manifests,
        blobs,
        config: None,
    };
    let from = sources.first().expect("at least one source");
    write_tree(ctx, Source::Joined(opened, by_blob), tree, (from, to))
}

/// The index `at` names, for `index append`: refused when it is an image.
fn existing_index(
    ctx: &CopyContext<'_>,
    registries: &mut Registries<'_>,
    at: &Location,
) -> Result<Document, Error> {
    let source = Source::open(ctx, registries, at)?;
    let tree = ctx.runtime.block_on(source.tree(ctx.ops, &[]))?;
    let mut root = tree.root;
    match contents(ctx.ops, &mut root)? {
        ManifestContents::Index(_) => Ok(root),
        ManifestContents::Image(_) => Err(Error::NotFound {
            source_name: at.to_string(),
            message: "it names an image, not an index: append to an index, or make one with \
                      `index create`"
                .into(),
        }),
    }
}

/// The index `from` names keeping the images of `ctx.platforms` (and
/// their attestations), written to `to` with the images it keeps.
pub fn index_filter(
    ctx: &CopyContext<'_>,
    from: &Location,
    to: &Location,
) -> Result<Copied, Error> {
    let mut registries = Registries::new(ctx.access);
    let source = Source::open(ctx, &mut registries, from)?;
    let tree = ctx.runtime.block_on(source.tree(ctx.ops, &[]))?;
    let mut root = tree.root.clone();
    if !matches!(contents(ctx.ops, &mut root)?, ManifestContents::Index(_)) {
        return Err(Error::NotFound {
            source_name: from.to_string(),
            message: "it names an image, not an index".into(),
        });
    }
    let filtered = ctx
        .ops
        .manifest_generation
        .filter_index(&root, &ctx.platforms)?;
    let mut kept = filtered.clone();
    let ManifestContents::Index(listed) = contents(ctx.ops, &mut kept)? else {
        return Err(Error::Contract(
            "filter-index answered with an image".into(),
        ));
    };
    // The images kept and their blobs: the tree of each kept child.
    let mut manifests = Vec::new();
    let mut blobs = Vec::new();
    for child in &listed.manifests {
        let Some(document) = tree
            .manifests
            .iter()
            .find(|m| m.descriptor.digest == child.digest)
        else {
            return Err(Error::Contract(format!(
                "filter-index listed {}, which the index does not",
                child.digest
            )));
        };
        let mut document = document.clone();
        if let ManifestContents::Image(ImageContents { config, layers, .. }) =
            contents(ctx.ops, &mut document)?
        {
            for blob in ctx.ops.manifest_generation.copied_blobs(&config, &layers)? {
                push_new_blob(&mut blobs, blob);
            }
        }
        push_new_document(&mut manifests, document);
    }
    manifests.push(filtered.clone());
    let tree = Tree {
        root: filtered,
        manifests,
        blobs,
        config: None,
    };
    write_tree(ctx, source, tree, (from, to))
}
