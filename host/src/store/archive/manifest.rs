//! An archive's table of contents: `manifest.json` (which images, under
//! which tags, with which config and layers) and each config's
//! `rootfs.diff_ids`, every path checked to name a regular entry and every
//! digest a name claims checked against the bytes.
//!
//! Must not: read a layer (only small documents, under a cap), or take a
//! path from `manifest.json` without the safe-name check.

use serde::Deserialize;

use super::error::{Error, name_error};
use super::index::ArchiveIndex;
use crate::model::Digest;
use crate::store::tar::name::normalize;

/// The name of the archive's table of contents.
pub const MANIFEST: &str = "manifest.json";
/// The largest `manifest.json` read, in bytes.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// The largest image config read, in bytes.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// One image `manifest.json` lists, its paths checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveImage {
    /// The config's entry (`<hex>.json`, or `blobs/sha256/<hex>`).
    pub config_path: String,
    /// The names the image is loaded under (`RepoTags`; empty when null).
    pub repo_tags: Vec<String>,
    /// The layers' entries, base first.
    pub layers: Vec<String>,
}

/// One item of `manifest.json`, as `docker load` reads it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestItem {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

/// The part of an image config read here.
#[derive(Deserialize)]
struct ConfigDoc {
    rootfs: RootFs,
}

#[derive(Deserialize)]
struct RootFs {
    diff_ids: Vec<String>,
}

impl ArchiveIndex {
    /// `manifest.json`, parsed and checked: every `Config` and `Layers`
    /// path is a safe name of a regular file in the archive (or of a link,
    /// within the archive, to one: `docker save` writes `<id>/layer.tar` as
    /// a symlink when two images share a layer).
    pub fn images(&self) -> Result<Vec<ArchiveImage>, Error> {
        if self.get(MANIFEST).is_none() {
            return Err(Error::MissingManifest {
                archive: self.shown().to_owned(),
            });
        }
        let bytes = self.read_small(MANIFEST, MAX_MANIFEST_BYTES, "the docker-archive format")?;
        let items: Vec<ManifestItem> =
            serde_json::from_slice(&bytes).map_err(|e| Error::BadManifest {
                archive: self.shown().to_owned(),
                message: e.to_string(),
            })?;
        let mut images = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let number = i + 1;
            let config_path =
                self.checked_path(&item.config, &format!("Config of image {number}"))?;
            let layers = item
                .layers
                .iter()
                .map(|layer| self.checked_path(layer, &format!("Layers of image {number}")))
                .collect::<Result<Vec<_>, _>>()?;
            images.push(ArchiveImage {
                config_path,
                repo_tags: item.repo_tags.unwrap_or_default(),
                layers,
            });
        }
        Ok(images)
    }

    /// The `rootfs.diff_ids` of an image's config, one per layer (checked:
    /// as many as `Layers`, each a sha256 digest). A config whose name
    /// claims a digest (`<hex>.json`, `blobs/sha256/<hex>`) is checked
    /// against it first, so the diff_ids are those of the image ID.
    pub fn diff_ids(&self, image: &ArchiveImage) -> Result<Vec<Digest>, Error> {
        let config = &image.config_path;
        let bytes = self.read_small(config, MAX_CONFIG_BYTES, "manifest.json (Config)")?;
        if let Some(expected) = digest_in_name(config) {
            let actual = Digest::sha256(&bytes);
            if actual != expected {
                return Err(Error::DigestMismatch {
                    archive: self.shown().to_owned(),
                    entry: config.clone(),
                    expected,
                    actual,
                });
            }
        }
        let bad = |message: String| Error::BadConfig {
            archive: self.shown().to_owned(),
            entry: config.clone(),
            message,
        };
        let doc: ConfigDoc = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        if doc.rootfs.diff_ids.len() != image.layers.len() {
            return Err(Error::LayerCountMismatch {
                archive: self.shown().to_owned(),
                config: config.clone(),
                diff_ids: doc.rootfs.diff_ids.len(),
                layers: image.layers.len(),
            });
        }
        doc.rootfs
            .diff_ids
            .iter()
            .map(|diff_id| match Digest::parse(diff_id) {
                // Layers are hashed with sha256 as they stream.
                Ok(digest) if digest.algorithm() == "sha256" => Ok(digest),
                _ => Err(bad(format!(
                    "diff_id {diff_id:?} is not sha256:<64 lowercase hex>"
                ))),
            })
            .collect()
    }

    /// Normalises a path `manifest.json` names and checks it is a regular
    /// entry (or a link to one).
    fn checked_path(&self, path: &str, wanted_by: &str) -> Result<String, Error> {
        let name = match normalize(path.as_bytes()) {
            Ok(Some(name)) => name,
            Ok(None) => {
                return Err(Error::BadManifest {
                    archive: self.shown().to_owned(),
                    message: format!("{wanted_by} is the empty path {path:?}"),
                });
            }
            Err(problem) => return Err(name_error(self.shown(), path.to_owned(), problem)),
        };
        self.resolve(&name, &format!("manifest.json ({wanted_by})"))?;
        Ok(name)
    }
}

/// The digest a blob's name claims: `blobs/sha256/<hex>` or a top-level
/// `<hex>.json` (a legacy config).
fn digest_in_name(name: &str) -> Option<Digest> {
    let hex = name
        .strip_prefix("blobs/sha256/")
        .or_else(|| name.strip_suffix(".json").filter(|h| !h.contains('/')))?;
    Digest::parse(&format!("sha256:{hex}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_claims_a_digest_only_in_the_two_layouts() {
        let hex = "a".repeat(64);
        assert_eq!(
            digest_in_name(&format!("{hex}.json")).map(|d| d.encoded().to_owned()),
            Some(hex.clone())
        );
        assert!(digest_in_name(&format!("blobs/sha256/{hex}")).is_some());
        assert_eq!(digest_in_name(&format!("x/{hex}.json")), None);
        assert_eq!(
            digest_in_name(&format!("blobs/sha256/{}", "A".repeat(64))),
            None
        );
    }
}
