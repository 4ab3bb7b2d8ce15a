//! One suite run against every implementation of the one destination
//! interface ([`Destination`]: an OCI layout, a registry repository), as
//! go-containerregistry's `validate` runs against each of its writers:
//! an image (a config, a known layer, a layer made while it is written,
//! its manifest and an index naming it) goes in by the one sequence and is
//! read back whole under its tag; a blob present is skipped; bytes that
//! are not their blob are refused and not kept; and a destination dropped
//! uncommitted leaves no tag.
//!
//! Here, in `pipeline`, because the implementations live in `store` and
//! `registry`, which never import each other.

use crate::model::destination::{BlobBytes, Destination, Moved, put_known};
use crate::model::{Descriptor, Digest, Document};
use crate::registry::RepositoryDestination;
use crate::registry::test_registry::{Auth, TestRegistry};
use crate::store::layout_writer::{IndexPlanner, LayoutDestination, PlannerError};
use std::path::{Path, PathBuf};

/// A place under test: opens its destination and reads back what a
/// reader of the place finds there.
trait Place {
    type Destination: Destination;
    /// What the place is, for messages.
    fn name(&self) -> &'static str;
    fn open(&self) -> Self::Destination;
    /// The bytes of blob `digest`, if a reader finds it.
    fn blob(&self, digest: &Digest) -> Option<Vec<u8>>;
    /// The bytes of the manifest or index `digest`, if a reader finds it.
    fn manifest(&self, digest: &Digest) -> Option<Vec<u8>>;
    /// The bytes of the manifest or index `tag` names, if any.
    fn tagged(&self, tag: &str) -> Option<Vec<u8>>;
}

/// An OCI layout at `path`.
struct Layout {
    path: PathBuf,
}

/// The index a layout's commit writes: the root alone, under its tag (a
/// stand-in for the component's `layout-index`).
struct RootIndex;

impl IndexPlanner for RootIndex {
    fn layout_index(
        &self,
        _existing: Option<&[u8]>,
        root: &Descriptor,
        tag: Option<&str>,
        _image_name: Option<&str>,
    ) -> Result<Vec<u8>, PlannerError> {
        let mut entry = descriptor_json(root);
        if let Some(tag) = tag {
            entry["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": tag});
        }
        Ok(
            serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [entry]}))
                .unwrap(),
        )
    }
}

impl Place for Layout {
    type Destination = LayoutDestination<RootIndex>;

    fn name(&self) -> &'static str {
        "an OCI layout"
    }

    fn open(&self) -> Self::Destination {
        LayoutDestination::open(&self.path, RootIndex).unwrap()
    }

    fn blob(&self, digest: &Digest) -> Option<Vec<u8>> {
        let path = self
            .path
            .join("blobs")
            .join(digest.algorithm())
            .join(digest.encoded());
        std::fs::read(path).ok()
    }

    fn manifest(&self, digest: &Digest) -> Option<Vec<u8>> {
        self.blob(digest)
    }

    fn tagged(&self, tag: &str) -> Option<Vec<u8>> {
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.path.join("index.json")).ok()?).unwrap();
        let entry = index["manifests"]
            .as_array()?
            .iter()
            .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)?;
        self.blob(&Digest::parse(entry["digest"].as_str()?).unwrap())
    }
}

/// Repository `REPOSITORY` of an in-process registry.
struct Repository {
    registry: TestRegistry,
    runtime: tokio::runtime::Runtime,
}

const REPOSITORY: &str = "conformance/app";

impl Place for Repository {
    type Destination = RepositoryDestination;

    fn name(&self) -> &'static str {
        "a registry repository"
    }

    fn open(&self) -> Self::Destination {
        let client = self.registry.client(None);
        let repository = self.registry.pushing(&client, REPOSITORY, &[]);
        RepositoryDestination::new(repository, self.runtime.handle().clone(), None)
    }

    fn blob(&self, digest: &Digest) -> Option<Vec<u8>> {
        self.registry.blob(REPOSITORY, digest)
    }

    fn manifest(&self, digest: &Digest) -> Option<Vec<u8>> {
        (self.registry)
            .manifest(REPOSITORY, digest.as_str())
            .map(|(_, bytes)| bytes)
    }

    fn tagged(&self, tag: &str) -> Option<Vec<u8>> {
        self.registry
            .manifest(REPOSITORY, tag)
            .map(|(_, bytes)| bytes)
    }
}

fn descriptor_json(d: &Descriptor) -> serde_json::Value {
    serde_json::json!({"mediaType": d.media_type, "digest": d.digest.as_str(), "size": d.size})
}

fn document(media_type: &str, value: serde_json::Value) -> Document {
    let bytes = serde_json::to_vec(&value).unwrap();
    Document {
        descriptor: Descriptor::new(media_type, Digest::sha256(&bytes), bytes.len() as u64),
        bytes,
    }
}

fn opens(bytes: Vec<u8>) -> impl Fn() -> std::io::Result<BlobBytes> {
    move || Ok(Box::new(std::io::Cursor::new(bytes.clone())) as BlobBytes)
}

const LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// Writes an image and an index naming it into `place` by the one
/// sequence, tagged `tag`; the documents, and the bytes of each blob.
fn write_image(place: &impl Place, tag: Option<&str>) -> (Document, Document, Vec<Vec<u8>>) {
    let destination = place.open();
    let config = document(
        "application/vnd.oci.image.config.v1+json",
        serde_json::json!({"architecture": "amd64", "os": "linux"}),
    );
    let known: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let known_blob = Descriptor::new(LAYER, Digest::sha256(&known), known.len() as u64);
    let made: Vec<u8> = b"made while it was written".repeat(1000);
    for (blob, bytes) in [
        (&config.descriptor, config.bytes.clone()),
        (&known_blob, known.clone()),
    ] {
        let moved = put_known(&destination, blob, &opens(bytes)).unwrap();
        assert_eq!(moved, Moved::Sent(blob.size), "{}", place.name());
    }
    let (digest, size) = destination
        .put_made(&|out: &mut dyn std::io::Write| out.write_all(&made))
        .unwrap();
    assert_eq!((&digest, size), (&Digest::sha256(&made), made.len() as u64));
    let made_blob = Descriptor::new(LAYER, digest, size);
    let manifest = document(
        "application/vnd.oci.image.manifest.v1+json",
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": descriptor_json(&config.descriptor),
            "layers": [descriptor_json(&known_blob), descriptor_json(&made_blob)],
        }),
    );
    let mut entry = descriptor_json(&manifest.descriptor);
    entry["platform"] = serde_json::json!({"architecture": "amd64", "os": "linux"});
    let index = document(
        "application/vnd.oci.image.index.v1+json",
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [entry],
        }),
    );
    destination.put_manifest(&manifest).unwrap();
    destination.put_manifest(&index).unwrap();
    destination.commit(&index.descriptor, tag).unwrap();
    (manifest, index, vec![config.bytes, known, made])
}

/// The suite, against one place.
fn conforms(place: &impl Place) {
    let what = place.name();
    let (manifest, index, blobs) = write_image(place, Some("v1"));
    assert_eq!(
        place.tagged("v1"),
        Some(index.bytes.clone()),
        "{what}: the tag"
    );
    assert_eq!(
        place.manifest(&manifest.descriptor.digest),
        Some(manifest.bytes),
        "{what}: the manifest"
    );
    for bytes in &blobs {
        assert_eq!(
            place.blob(&Digest::sha256(bytes)).as_ref(),
            Some(bytes),
            "{what}: a blob"
        );
    }

    // Again: every blob is found and skipped.
    let destination = place.open();
    for bytes in &blobs {
        let blob = Descriptor::new(LAYER, Digest::sha256(bytes), bytes.len() as u64);
        let moved = put_known(&destination, &blob, &opens(bytes.clone())).unwrap();
        assert_eq!(moved, Moved::Skipped(blob.size), "{what}: a blob it has");
    }

    // Bytes that are not the blob described are refused and not kept.
    let wanted = b"the blob described".to_vec();
    let blob = Descriptor::new(LAYER, Digest::sha256(&wanted), wanted.len() as u64);
    for (case, bytes) in [
        ("other bytes", b"the blob substituted".to_vec()),
        ("fewer bytes", wanted[..10].to_vec()),
        ("more bytes", [&wanted[..], b"!"].concat()),
    ] {
        let refused = destination.put_blob(&blob, &opens(bytes));
        assert!(refused.is_err(), "{what}: {case} taken");
    }
    drop(destination);
    assert_eq!(
        place.blob(&blob.digest),
        None,
        "{what}: a refused blob kept"
    );

    // A destination dropped uncommitted tags nothing.
    let destination = place.open();
    let other = document(
        "application/vnd.oci.image.config.v1+json",
        serde_json::json!({"architecture": "arm64", "os": "linux"}),
    );
    put_known(&destination, &other.descriptor, &opens(other.bytes.clone())).unwrap();
    drop(destination);
    assert_eq!(
        place.tagged("v1"),
        Some(index.bytes),
        "{what}: the tag kept"
    );
}

#[test]
fn an_oci_layout_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout {
        path: dir.path().join("layout"),
    };
    conforms(&layout);
    // A new layout written and dropped uncommitted never appears.
    let fresh = Layout {
        path: dir.path().join("fresh"),
    };
    let destination = fresh.open();
    destination
        .put_made(&|out: &mut dyn std::io::Write| out.write_all(b"partial"))
        .unwrap();
    drop(destination);
    assert!(!path_exists(&fresh.path), "an uncommitted layout appeared");
}

fn path_exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

#[test]
fn a_registry_repository_conforms() {
    let repository = Repository {
        registry: TestRegistry::start(Auth::None),
        runtime: tokio::runtime::Runtime::new().unwrap(),
    };
    conforms(&repository);
    // A push that fails before its commit leaves no tag.
    let destination = repository.open();
    let stray = document(
        "application/vnd.oci.image.config.v1+json",
        serde_json::json!({"os": "linux"}),
    );
    put_known(&destination, &stray.descriptor, &opens(stray.bytes)).unwrap();
    drop(destination);
    assert_eq!(repository.registry.tags(REPOSITORY), ["v1"]);
}
