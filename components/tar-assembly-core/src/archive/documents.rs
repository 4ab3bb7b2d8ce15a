//! The small documents of an output that name its images: `oci-layout`,
//! `index.json` and `manifest.json`, and the tar entry of a document.
//!
//! - `index.json`: `{"schemaVersion":2,"mediaType":
//!   "application/vnd.oci.image.index.v1+json","manifests":[…]}` with, per
//!   image and per repo tag, the manifest's descriptor (the OCI descriptor's
//!   fields and order, see [`DescriptorJson`]) whose annotations also hold
//!   `io.containerd.image.name` = the repo tag and
//!   `org.opencontainers.image.ref.name` = its tag (as `docker save` with
//!   the containerd image store writes them); an image without repo tags
//!   gets one descriptor without those two annotations.
//! - `manifest.json`: `[{"Config":…,"RepoTags":[…],"Layers":[…]},…]`, one
//!   object per image, with the paths the format gives.
//!
//! Both are written compactly by serde_json, as they always were here (the
//! names and tags in them hold no character Go would escape differently).

use ocipipe_sdk::json::DescriptorJson;
use serde::Serialize;

use super::ArchiveImage;
use super::catalog::tag_of;
use crate::Error;
use crate::header::{self, Header};
use crate::plan::PlanBuilder;

/// Media type of `index.json`.
pub const MEDIA_TYPE_IMAGE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Annotation with the full image name (containerd).
pub const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";
/// Annotation with the tag (OCI).
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Contents of `oci-layout`.
pub const OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestItem<'a> {
    config: String,
    repo_tags: &'a [String],
    layers: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OciIndex<'a> {
    schema_version: u32,
    media_type: &'static str,
    manifests: Vec<DescriptorJson<'a>>,
}

/// `index.json`: one descriptor per image and repo tag.
pub(super) fn index_json(images: &[ArchiveImage]) -> Vec<u8> {
    let mut manifests: Vec<DescriptorJson<'_>> = Vec::new();
    for image in images {
        let base = DescriptorJson::from(&image.manifest.descriptor);
        if image.repo_tags.is_empty() {
            if !manifests.contains(&base) {
                manifests.push(base);
            }
            continue;
        }
        for tag in &image.repo_tags {
            let mut tagged = base.clone();
            tagged.annotations.insert(ANNOTATION_IMAGE_NAME, tag);
            tagged
                .annotations
                .insert(ANNOTATION_REF_NAME, tag_of(tag).unwrap_or_default());
            manifests.push(tagged);
        }
    }
    to_json(&OciIndex {
        schema_version: 2,
        media_type: MEDIA_TYPE_IMAGE_INDEX,
        manifests,
    })
}

/// `manifest.json`: per image, the paths of its config and layers.
pub(super) fn manifest_json<'a>(
    images: &'a [ArchiveImage],
    config_path: impl Fn(&'a ArchiveImage) -> String,
    layer_path: impl Fn(&'a str) -> String,
) -> Vec<u8> {
    let items: Vec<ManifestItem<'_>> = images
        .iter()
        .map(|image| ManifestItem {
            config: config_path(image),
            repo_tags: &image.repo_tags,
            layers: image
                .layers
                .iter()
                .map(|l| layer_path(&l.descriptor.digest))
                .collect(),
        })
        .collect();
    to_json(&items)
}

/// A regular file entry with contents produced here, padded.
pub(super) fn document_entry(
    plan: &mut PlanBuilder,
    name: &str,
    bytes: &[u8],
) -> Result<(), Error> {
    plan.bytes(&header::encode(&Header::archive(
        name,
        header::TYPE_REG,
        bytes.len() as u64,
    ))?);
    plan.data(bytes);
    Ok(())
}

fn to_json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("plain structs serialise")
}
