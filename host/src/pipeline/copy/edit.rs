//! `image mutate SRC DST`: an image, or every image of an index, with its
//! config edited, written as a copy writes (`write_tree`): only the new
//! configs and manifests are new, every layer is the source's, so between
//! two repositories of one registry the layers are found or mounted,
//! never downloaded.
//!
//! Decisions are the manifest-generation component's: the new config
//! (`edit-config`), the manifest listing it (`edit-manifest`), the index
//! listing the new manifests (`edit-index`). The host reads the configs,
//! walks the tree children first, and keeps the new blobs in memory.
//! Must not: write a config, a manifest or an index itself.

use super::base::read_config;
use super::source::Source;
use super::{
    Copied, CopyContext, Location, Registries, Tree, contents, platforms_for, push_new_blob,
    write_tree,
};
use crate::model::{
    ConfigEdits, Descriptor, Digest, ImageContents, IndexContents, ManifestContents, Platform,
    ReplacedChild,
};
use crate::pipeline::Error;
use std::collections::HashMap;

/// What `image mutate` changes.
#[derive(Debug, Clone, Default)]
pub struct Mutation {
    /// The config's edits.
    pub config: ConfigEdits,
    /// Annotations added to each image manifest.
    pub annotations: Vec<(String, String)>,
    /// Annotations added to the index, when the image is one.
    pub index_annotations: Vec<(String, String)>,
}

/// One image an edit made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EditedImage {
    /// Its platform, as its index lists it (none for an image alone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The new manifest's digest.
    pub digest: Digest,
    /// The new image ID (config digest).
    pub image_id: Digest,
}

/// What `image mutate` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Edited {
    /// The copy of the edited image.
    #[serde(flatten)]
    pub copied: Copied,
    /// Each image edited, in the order of its index.
    pub images: Vec<EditedImage>,
}

/// Edits the image `from` names as `mutation` says and writes it to `to`.
/// Every decision is checked before anything is written: an edit the
/// component refuses writes nothing.
pub fn mutate(
    ctx: &CopyContext<'_>,
    from: &Location,
    to: &Location,
    mutation: &Mutation,
) -> Result<Edited, Error> {
    let mut registries = Registries::new(ctx.access);
    let source = Source::open(ctx, &mut registries, from)?;
    let platforms = platforms_for(ctx, from, to)?;
    let tree = ctx.runtime.block_on(source.tree(ctx.ops, &platforms))?;
    let (tree, made, images) = edit_tree(ctx, &source, tree, from, mutation)?;
    let source = Source::Edited(Box::new(source), made);
    let copied = write_tree(ctx, source, tree, (from, to))?;
    Ok(Edited { copied, images })
}

/// The new configs, by digest, served from memory.
type Made = HashMap<Digest, bytes::Bytes>;

/// `tree` with each image's config edited and every manifest that lists
/// an edited one rewritten, children before their index as the tree
/// lists them.
fn edit_tree(
    ctx: &CopyContext<'_>,
    source: &Source,
    tree: Tree,
    from: &Location,
    mutation: &Mutation,
) -> Result<(Tree, Made, Vec<EditedImage>), Error> {
    let mg = ctx.ops.manifest_generation;
    let mut made = Made::new();
    // Old manifest digest → the new manifest (and its config, for an
    // image); old config digest → the new config.
    let mut manifests: HashMap<Digest, (Descriptor, Option<Digest>)> = HashMap::new();
    let mut configs: HashMap<Digest, Descriptor> = HashMap::new();
    let mut images = Vec::new();
    let mut edited = Vec::with_capacity(tree.manifests.len());
    let skipped = skipped_children(ctx, &tree)?;
    for mut document in tree.manifests {
        let old = document.descriptor.digest.clone();
        match contents(ctx.ops, &mut document)? {
            ManifestContents::Image(_) if skipped.contains(&old) => edited.push(document),
            ManifestContents::Image(ImageContents { config, .. }) => {
                let bytes = read_config(ctx, source, &config, from)?.bytes;
                let new_config = mg.edit_config(&bytes, &mutation.config)?;
                let listed = Descriptor {
                    digest: new_config.descriptor.digest.clone(),
                    size: new_config.descriptor.size,
                    ..config.clone()
                };
                let manifest = mg.edit_manifest(&document, &listed, &mutation.annotations)?;
                made.insert(listed.digest.clone(), new_config.bytes.into());
                manifests.insert(
                    old,
                    (manifest.descriptor.clone(), Some(listed.digest.clone())),
                );
                configs.insert(config.digest, listed);
                edited.push(manifest);
            }
            ManifestContents::Index(IndexContents {
                manifests: children,
                ..
            }) => {
                let mut replaced = Vec::new();
                for child in &children {
                    let Some((new, image_id)) = manifests.get(&child.digest) else {
                        continue;
                    };
                    if !replaced
                        .iter()
                        .any(|r: &ReplacedChild| r.old == child.digest)
                    {
                        replaced.push(ReplacedChild {
                            old: child.digest.clone(),
                            new: new.clone(),
                        });
                    }
                    if let Some(image_id) = image_id {
                        images.push(EditedImage {
                            platform: child.platform.as_ref().map(Platform::to_string),
                            digest: new.digest.clone(),
                            image_id: image_id.clone(),
                        });
                    }
                }
                let index = mg.edit_index(&document, &replaced, &mutation.index_annotations)?;
                manifests.insert(old, (index.descriptor.clone(), None));
                edited.push(index);
            }
        }
    }
    let root = edited.last().cloned().expect("a tree has a root");
    let config = tree
        .config
        .as_ref()
        .map(|old| configs.get(old).map_or(old.clone(), |c| c.digest.clone()));
    if let Some(image_id) = &config {
        images.push(EditedImage {
            platform: None,
            digest: root.descriptor.digest.clone(),
            image_id: image_id.clone(),
        });
    }
    let mut blobs: Vec<Descriptor> = Vec::with_capacity(tree.blobs.len());
    for blob in tree.blobs {
        push_new_blob(
            &mut blobs,
            configs.get(&blob.digest).cloned().unwrap_or(blob),
        );
    }
    let tree = Tree {
        root,
        manifests: edited,
        blobs,
        config,
    };
    Ok((tree, made, images))
}

/// The children of the tree's indexes an edit leaves as they are: those
/// listed for no platform (`unknown/unknown`, as buildx lists its
/// attestations), which describe an image rather than being one.
fn skipped_children(ctx: &CopyContext<'_>, tree: &Tree) -> Result<Vec<Digest>, Error> {
    let mut skipped = Vec::new();
    for document in &tree.manifests {
        let mut document = document.clone();
        if let ManifestContents::Index(index) = contents(ctx.ops, &mut document)? {
            skipped.extend(
                (index.manifests.into_iter())
                    .filter(|c| c.platform.as_ref().is_some_and(|p| p.os == "unknown"))
                    .map(|c| c.digest),
            );
        }
    }
    Ok(skipped)
}
