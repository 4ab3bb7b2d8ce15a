//! An OCI image layout directory as a source (image-spec `image-layout.md`):
//! `oci-layout` says which version, `index.json` lists the images (an entry
//! may be an index of platform images, followed one level), every blob is
//! `blobs/<algorithm>/<encoded>`. Documents are read under a size cap and
//! checked against their descriptors' digest and size; a blob path is only
//! ever built from a validated digest, so a hostile `index.json` cannot
//! name a file outside the layout.
//!
//! What the documents say (whether `oci-layout` names a version that is
//! read, which entries are images and what they are called, each image's
//! config and layers, how each layer is compressed) is the
//! manifest-generation component's to read: the pipeline lends it through
//! [`LayoutReader`]. `index.json` is read only through [`LayoutSource::index`],
//! which has the component accept `oci-layout` first.

use super::{Error, ImageSource, SourceImage, SourceLayer};
use crate::model::{
    Descriptor, Digest, Document, ImageContents, ImageLayer, IndexEntry, IndexEntryKind,
    ManifestContents,
};
use crate::store::layout_writer::{LayoutMarker, MAX_MARKER_BYTES};
use crate::store::plan::LayerSource;
use crate::store::sink::PlannerError;
use std::path::{Path, PathBuf};

/// The most a manifest, index or config may hold.
const MAX_DOCUMENT_BYTES: u64 = 16 << 20;

/// What reading a layout needs decided, by the manifest-generation
/// component (see `layout-marker`, `index-entries`, `read-manifest` and
/// `image-layers` in `wit/manifest-generation.wit`). The pipeline
/// implements this over the runtime; `store` never imports it.
pub trait LayoutReader: LayoutMarker {
    /// The entries of an index: a layout's `index.json` without
    /// `media_type`; entries without a name of their own are called `name`.
    fn index_entries(
        &self,
        media_type: Option<&str>,
        index: &[u8],
        name: Option<&str>,
    ) -> Result<Vec<IndexEntry>, PlannerError>;

    /// What a manifest refers to.
    fn read_manifest(
        &self,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<ManifestContents, PlannerError>;

    /// The layers of an image, with their compression and `diff_id`.
    fn image_layers(
        &self,
        layers: &[Descriptor],
        config: &[u8],
    ) -> Result<Vec<ImageLayer>, PlannerError>;
}

/// A layout directory.
pub struct LayoutSource {
    root: PathBuf,
    /// The bytes of its `oci-layout`, which a reader accepts before
    /// `index.json` is read.
    marker: Vec<u8>,
}

impl LayoutSource {
    /// The layout at `root`, which must hold an `oci-layout` file (what it
    /// says is checked by the reader [`Self::index`] is given).
    pub fn open(root: &Path) -> Result<Self, Error> {
        let mut me = Self {
            root: root.to_path_buf(),
            marker: Vec::new(),
        };
        me.marker = me.read_file(&root.join("oci-layout"), MAX_MARKER_BYTES)?;
        Ok(me)
    }

    fn malformed(&self, message: String) -> Error {
        Error::Malformed {
            source_name: format!("OCI layout {}", self.root.display()),
            message,
        }
    }

    fn read_file(&self, path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
        let read = crate::store::files::read_at_most(path, limit).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        read.ok_or_else(|| {
            self.malformed(format!(
                "{} is larger than the {limit} bytes a document may have",
                path.display()
            ))
        })
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
        Document::described(descriptor, bytes).map_err(|e| self.malformed(format!("blob {e}")))
    }

    /// A component's refusal, about `what` of this layout.
    fn refused(&self, what: &str, e: PlannerError) -> Error {
        self.malformed(format!("{what}: {e}"))
    }

    /// The image the manifest `entry` names, known by `name`.
    fn image(
        &self,
        reader: &dyn LayoutReader,
        entry: &Descriptor,
        name: Option<&str>,
    ) -> Result<SourceImage, Error> {
        let manifest = self.document(entry)?;
        let what = format!("manifest {}", entry.digest);
        let contents = reader
            .read_manifest(&entry.media_type, &manifest.bytes)
            .map_err(|e| self.refused(&what, e))?;
        let ManifestContents::Image(ImageContents { config, layers, .. }) = contents else {
            return Err(self.malformed(format!("{what} is an index, listed as an image")));
        };
        let config = self.document(&config)?;
        let layers = reader
            .image_layers(&layers, &config.bytes)
            .map_err(|e| self.refused(&what, e))?;
        Ok(SourceImage {
            config,
            manifest: Some(manifest),
            layers: layers
                .into_iter()
                .map(|layer| SourceLayer {
                    blob: LayerSource::Tar(self.blob_path(&layer.descriptor.digest)),
                    size: layer.descriptor.size,
                    digest: Some(layer.descriptor.digest),
                    diff_id: layer.diff_id,
                    compression: layer.compression.stored(),
                })
                .collect(),
            repo_tags: name.into_iter().map(str::to_owned).collect(),
        })
    }

    /// The bytes of `index.json`, once `reader` has accepted the
    /// layout's `oci-layout` (a version that is read): every read of the
    /// layout starts here.
    pub fn index(&self, reader: &dyn LayoutReader) -> Result<Vec<u8>, Error> {
        reader
            .layout_marker(Some(&self.marker))
            .map_err(|e| self.malformed(e.to_string()))?;
        self.read_file(&self.root.join("index.json"), MAX_DOCUMENT_BYTES)
    }

    /// The images the layout holds, in the order `index.json` lists them,
    /// an index's images in its place; what is neither is skipped.
    pub fn images(&self, reader: &dyn LayoutReader) -> Result<Vec<SourceImage>, Error> {
        let entries = reader
            .index_entries(None, &self.index(reader)?, None)
            .map_err(|e| self.refused("index.json", e))?;
        let mut images = Vec::new();
        for entry in entries {
            match entry.kind {
                IndexEntryKind::Image => {
                    images.push(self.image(reader, &entry.manifest, entry.name.as_deref())?)
                }
                IndexEntryKind::Index => {
                    let nested = self.document(&entry.manifest)?;
                    let what = format!("index {}", entry.manifest.digest);
                    let children = reader
                        .index_entries(
                            Some(&entry.manifest.media_type),
                            &nested.bytes,
                            entry.name.as_deref(),
                        )
                        .map_err(|e| self.refused(&what, e))?;
                    // One level: an index in an index is skipped.
                    for child in children.iter().filter(|c| c.kind == IndexEntryKind::Image) {
                        images.push(self.image(reader, &child.manifest, child.name.as_deref())?);
                    }
                }
                IndexEntryKind::Other => tracing::info!(
                    media_type = entry.manifest.media_type,
                    "skipping an index.json entry that is not an image"
                ),
            }
        }
        if images.is_empty() {
            return Err(self.malformed("index.json lists no image".into()));
        }
        Ok(images)
    }

    /// The layout as an [`ImageSource`], its documents read by `reader`.
    pub fn read_by<'a>(&'a self, reader: &'a dyn LayoutReader) -> ReadLayout<'a> {
        ReadLayout {
            layout: self,
            reader,
        }
    }
}

/// A layout and what reads its documents: an [`ImageSource`].
pub struct ReadLayout<'a> {
    layout: &'a LayoutSource,
    reader: &'a dyn LayoutReader,
}

impl ImageSource for ReadLayout<'_> {
    fn images(&self) -> Result<Vec<SourceImage>, Error> {
        self.layout.images(self.reader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::source::Compression;
    use crate::store::test_support::NativeLayoutReader;
    use serde_json::{Value, json};

    const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    const IMAGE_NAME: &str = "io.containerd.image.name";
    const REF_NAME: &str = "org.opencontainers.image.ref.name";

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
        let images = LayoutSource::open(dir.path())
            .unwrap()
            .images(&NativeLayoutReader)
            .unwrap();
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
            .images(&NativeLayoutReader)
            .unwrap_err();
        assert!(err.to_string().contains("hashing to"), "{err}");

        let mut unsafe_entry = entry.clone();
        unsafe_entry["digest"] = json!("sha256:../../../../etc/passwd");
        index(dir.path(), vec![unsafe_entry]);
        let err = LayoutSource::open(dir.path())
            .unwrap()
            .images(&NativeLayoutReader)
            .unwrap_err();
        assert!(err.to_string().contains("invalid digest"), "{err}");

        std::fs::remove_file(dir.path().join("oci-layout")).unwrap();
        assert!(LayoutSource::open(dir.path()).is_err());
    }

    #[test]
    fn refuses_a_marker_of_another_version_before_reading_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let entry = layout(dir.path(), b"layer");
        index(dir.path(), vec![entry]);
        for (marker, says) in [
            (
                &br#"{"imageLayoutVersion":"2.0.0"}"#[..],
                r#"oci-layout says imageLayoutVersion "2.0.0"; only "1.0.0" is read"#,
            ),
            (&br#"{"imageLayoutVersion":1}"#[..], "not a string"),
            (&b"{}"[..], "has no imageLayoutVersion"),
        ] {
            std::fs::write(dir.path().join("oci-layout"), marker).unwrap();
            let layout = LayoutSource::open(dir.path()).unwrap();
            for err in [
                layout.images(&NativeLayoutReader).unwrap_err(),
                layout.index(&NativeLayoutReader).unwrap_err(),
                layout.read_by(&NativeLayoutReader).images().unwrap_err(),
            ] {
                let message = err.to_string();
                assert!(message.contains(says), "{message}");
                assert!(message.starts_with("OCI layout "), "{message}");
            }
        }
        // Refused before index.json is read: its absence is not the error.
        std::fs::write(
            dir.path().join("oci-layout"),
            br#"{"imageLayoutVersion":"2.0.0"}"#,
        )
        .unwrap();
        std::fs::remove_file(dir.path().join("index.json")).unwrap();
        let err = LayoutSource::open(dir.path())
            .unwrap()
            .images(&NativeLayoutReader)
            .unwrap_err();
        assert!(err.to_string().contains("only \"1.0.0\""), "{err}");
    }
}
