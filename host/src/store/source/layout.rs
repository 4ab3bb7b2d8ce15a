//! An OCI image layout directory as a source (image-spec `image-layout.md`):
//! `oci-layout` says which version, `index.json` lists the images (an entry
//! may be an index of platform images, followed one level), every blob is
//! `blobs/<algorithm>/<encoded>`. Documents are read under a size cap and
//! checked against their descriptors' digest and size; a blob path is only
//! ever built from a validated digest, so a hostile `index.json` cannot
//! name a file outside the layout.

use super::{Compression, Error, ImageSource, SourceImage, SourceLayer};
use crate::model::{Descriptor, Digest, Document};
use crate::store::plan::LayerSource;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The most a manifest, index or config may hold.
const MAX_DOCUMENT_BYTES: u64 = 16 << 20;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const IMAGE_NAME: &str = "io.containerd.image.name";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A layout directory.
pub struct LayoutSource {
    root: PathBuf,
}

impl LayoutSource {
    /// The layout at `root`; checks `oci-layout` names version 1.0.0.
    pub fn open(root: &Path) -> Result<Self, Error> {
        let me = Self {
            root: root.to_path_buf(),
        };
        let marker = me.read_file(&root.join("oci-layout"), 4096)?;
        let version = serde_json::from_slice::<Value>(&marker)
            .ok()
            .and_then(|v| v.get("imageLayoutVersion")?.as_str().map(str::to_owned));
        if version.as_deref() != Some("1.0.0") {
            return Err(me.malformed(format!(
                "oci-layout says imageLayoutVersion {version:?}; only \"1.0.0\" is read"
            )));
        }
        Ok(me)
    }

    fn malformed(&self, message: String) -> Error {
        Error::Malformed {
            source_name: format!("OCI layout {}", self.root.display()),
            message,
        }
    }

    fn read_file(&self, path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
        use std::io::Read;
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
        if bytes.len() as u64 > limit {
            return Err(self.malformed(format!(
                "{} is larger than the {limit} bytes a document may have",
                path.display()
            )));
        }
        Ok(bytes)
    }

    /// Where the blob `digest` is.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm())
            .join(digest.encoded())
    }

    /// A small blob, read whole and checked against its descriptor.
    pub fn document(&self, descriptor: &Descriptor) -> Result<Document, Error> {
        if descriptor.size > MAX_DOCUMENT_BYTES {
            return Err(self.malformed(format!(
                "document {} claims {} bytes, more than the {MAX_DOCUMENT_BYTES} allowed",
                descriptor.digest, descriptor.size
            )));
        }
        let bytes = self.read_file(&self.blob_path(&descriptor.digest), MAX_DOCUMENT_BYTES)?;
        let actual = Digest::sha256(&bytes);
        if bytes.len() as u64 != descriptor.size || actual != descriptor.digest {
            return Err(self.malformed(format!(
                "blob {} holds {} bytes hashing to {actual}, not the {} bytes its descriptor says",
                descriptor.digest,
                bytes.len(),
                descriptor.size
            )));
        }
        Ok(Document {
            descriptor: descriptor.clone(),
            bytes,
        })
    }

    /// A descriptor from JSON, its digest validated.
    fn descriptor(&self, value: &Value, what: &str) -> Result<Descriptor, Error> {
        let field = |name: &str| value.get(name);
        let media_type = field("mediaType")
            .and_then(Value::as_str)
            .ok_or_else(|| self.malformed(format!("{what} has no mediaType")))?;
        let digest = field("digest")
            .and_then(Value::as_str)
            .ok_or_else(|| self.malformed(format!("{what} has no digest")))?;
        let digest = Digest::parse(digest).map_err(|e| self.malformed(format!("{what}: {e}")))?;
        let size = field("size")
            .and_then(Value::as_u64)
            .ok_or_else(|| self.malformed(format!("{what} has no size")))?;
        let mut descriptor = Descriptor::new(media_type, digest, size);
        if let Some(annotations) = field("annotations").and_then(Value::as_object) {
            descriptor.annotations = annotations
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect();
        }
        Ok(descriptor)
    }

    fn json(&self, doc: &Document) -> Result<Value, Error> {
        serde_json::from_slice(&doc.bytes).map_err(|e| {
            self.malformed(format!(
                "document {} is not JSON: {e}",
                doc.descriptor.digest
            ))
        })
    }

    /// The image a manifest descriptor names.
    fn image(&self, entry: &Descriptor, names: Vec<String>) -> Result<SourceImage, Error> {
        let manifest = self.document(entry)?;
        let value = self.json(&manifest)?;
        let config = value
            .get("config")
            .ok_or_else(|| self.malformed(format!("manifest {} has no config", entry.digest)))?;
        let config = self.document(&self.descriptor(config, "the config descriptor")?)?;
        let config_value = self.json(&config)?;
        let diff_ids: Vec<Digest> = config_value
            .pointer("/rootfs/diff_ids")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                self.malformed(format!(
                    "config {} has no rootfs.diff_ids",
                    config.descriptor.digest
                ))
            })?
            .iter()
            .map(|d| {
                d.as_str()
                    .ok_or("not a string".to_string())
                    .and_then(|d| Digest::parse(d).map_err(|e| e.to_string()))
                    .map_err(|e| {
                        self.malformed(format!(
                            "a diff_id of config {}: {e}",
                            config.descriptor.digest
                        ))
                    })
            })
            .collect::<Result<_, _>>()?;
        let layers = value
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| self.malformed(format!("manifest {} has no layers", entry.digest)))?;
        if layers.len() != diff_ids.len() {
            return Err(self.malformed(format!(
                "manifest {} lists {} layers but its config {} diff_ids",
                entry.digest,
                layers.len(),
                diff_ids.len()
            )));
        }
        let layers = layers
            .iter()
            .zip(diff_ids)
            .enumerate()
            .map(|(i, (layer, diff_id))| {
                let descriptor = self.descriptor(layer, &format!("layer {}", i + 1))?;
                let compression = compression_of(&descriptor.media_type).ok_or_else(|| {
                    self.malformed(format!(
                        "layer {} has media type {}, which is not a layer",
                        i + 1,
                        descriptor.media_type
                    ))
                })?;
                Ok(SourceLayer {
                    blob: LayerSource::Tar(self.blob_path(&descriptor.digest)),
                    digest: Some(descriptor.digest),
                    size: descriptor.size,
                    diff_id,
                    compression,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(SourceImage {
            config,
            manifest: Some(manifest),
            layers,
            repo_tags: names,
        })
    }
}

/// How a layer media type says its bytes are compressed; `None` when it is
/// not a layer media type.
pub fn compression_of(media_type: &str) -> Option<Compression> {
    match media_type {
        "application/vnd.oci.image.layer.v1.tar"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar"
        | "application/vnd.docker.image.rootfs.diff.tar" => Some(Compression::None),
        "application/vnd.oci.image.layer.v1.tar+gzip"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        | "application/vnd.docker.image.rootfs.diff.tar.gzip"
        | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => Some(Compression::Gzip),
        "application/vnd.oci.image.layer.v1.tar+zstd" => Some(Compression::Zstd),
        _ => None,
    }
}

/// The name an `index.json` entry gives its image, if any.
fn name_of(entry: &Descriptor) -> Option<String> {
    let get = |key: &str| {
        entry
            .annotations
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    get(IMAGE_NAME).or_else(|| get(REF_NAME))
}

impl LayoutSource {
    /// The bytes of `index.json`.
    pub fn index(&self) -> Result<Vec<u8>, Error> {
        self.read_file(&self.root.join("index.json"), MAX_DOCUMENT_BYTES)
    }
}

impl ImageSource for LayoutSource {
    fn images(&self) -> Result<Vec<SourceImage>, Error> {
        let index = self.index()?;
        let index: Value = serde_json::from_slice(&index)
            .map_err(|e| self.malformed(format!("index.json is not JSON: {e}")))?;
        let entries = index
            .get("manifests")
            .and_then(Value::as_array)
            .ok_or_else(|| self.malformed("index.json has no manifests".into()))?;
        let mut images = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let entry = self.descriptor(entry, &format!("index.json entry {}", i + 1))?;
            let names: Vec<String> = name_of(&entry).into_iter().collect();
            match entry.media_type.as_str() {
                OCI_MANIFEST | DOCKER_MANIFEST => images.push(self.image(&entry, names)?),
                OCI_INDEX | DOCKER_LIST => {
                    let nested = self.document(&entry)?;
                    let nested = self.json(&nested)?;
                    for (j, platform) in nested
                        .get("manifests")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let what = format!("index {} entry {}", entry.digest, j + 1);
                        let platform = self.descriptor(platform, &what)?;
                        if matches!(platform.media_type.as_str(), OCI_MANIFEST | DOCKER_MANIFEST) {
                            images.push(self.image(&platform, names.clone())?);
                        }
                    }
                }
                other => tracing::info!(
                    media_type = other,
                    "skipping an index.json entry that is not an image"
                ),
            }
        }
        if images.is_empty() {
            return Err(self.malformed("index.json lists no image".into()));
        }
        Ok(images)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Writes a blob into the layout at `root`; its descriptor as JSON.
    fn blob(root: &Path, media_type: &str, bytes: &[u8]) -> Value {
        let digest = Digest::sha256(bytes);
        let dir = root.join("blobs/sha256");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(digest.encoded()), bytes).unwrap();
        json!({"mediaType": media_type, "digest": digest.as_str(), "size": bytes.len()})
    }

    /// A layout of one image with one layer; the manifest's descriptor.
    fn layout(root: &Path, layer: &[u8]) -> Value {
        std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        let layer_desc = blob(root, "application/vnd.oci.image.layer.v1.tar", layer);
        let config = json!({"rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]}});
        let config = blob(
            root,
            "application/vnd.oci.image.config.v1+json",
            config.to_string().as_bytes(),
        );
        let manifest = json!({"schemaVersion": 2, "config": config, "layers": [layer_desc]});
        blob(root, OCI_MANIFEST, manifest.to_string().as_bytes())
    }

    fn index(root: &Path, entries: Vec<Value>) {
        let index = json!({"schemaVersion": 2, "manifests": entries});
        std::fs::write(root.join("index.json"), index.to_string()).unwrap();
    }

    #[test]
    fn reads_images_their_names_and_where_their_layers_are() {
        let dir = tempfile::tempdir().unwrap();
        let mut entry = layout(dir.path(), b"layer bytes");
        entry["annotations"] = json!({IMAGE_NAME: "docker.io/library/app:1", REF_NAME: "1"});
        let nested = json!({"schemaVersion": 2, "manifests": [layout(dir.path(), b"other")]});
        let nested = blob(dir.path(), OCI_INDEX, nested.to_string().as_bytes());
        index(dir.path(), vec![entry, nested]);
        let images = LayoutSource::open(dir.path()).unwrap().images().unwrap();
        assert_eq!(images.len(), 2);
        assert_eq!(images[0].repo_tags, ["docker.io/library/app:1"]);
        assert!(images[1].repo_tags.is_empty());
        let layer = &images[0].layers[0];
        assert_eq!(layer.diff_id, Digest::sha256(b"layer bytes"));
        assert_eq!(layer.compression, Compression::None);
        match &layer.blob {
            LayerSource::Tar(path) => assert_eq!(std::fs::read(path).unwrap(), b"layer bytes"),
            other => panic!("{other:?}"),
        }
        assert!(images[0].manifest.is_some());
    }

    #[test]
    fn refuses_tampered_blobs_unsafe_digests_and_a_missing_marker() {
        let dir = tempfile::tempdir().unwrap();
        let entry = layout(dir.path(), b"layer");
        index(dir.path(), vec![entry.clone()]);
        let manifest = dir.path().join("blobs/sha256").join(
            entry["digest"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:"),
        );
        let mut bytes = std::fs::read(&manifest).unwrap();
        bytes[0] = b' ';
        std::fs::write(&manifest, &bytes).unwrap();
        let err = LayoutSource::open(dir.path())
            .unwrap()
            .images()
            .unwrap_err();
        assert!(err.to_string().contains("hashing to"), "{err}");

        let mut unsafe_entry = entry.clone();
        unsafe_entry["digest"] = json!("sha256:../../../../etc/passwd");
        index(dir.path(), vec![unsafe_entry]);
        let err = LayoutSource::open(dir.path())
            .unwrap()
            .images()
            .unwrap_err();
        assert!(err.to_string().contains("not a digest"), "{err}");

        std::fs::remove_file(dir.path().join("oci-layout")).unwrap();
        assert!(LayoutSource::open(dir.path()).is_err());
    }
}
