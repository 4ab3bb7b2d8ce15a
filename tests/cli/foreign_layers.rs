//! A copy leaves a foreign layer behind: a layer that names `urls` (a
//! Docker foreign layer, an OCI non-distributable one) is fetched from
//! there by whoever runs the image, and a copy sends only the blobs the
//! manifest-generation component says go with the image.

use crate::harness::{ocipipe, sha256_hex};
use serde_json::json;
use std::path::Path;

/// Writes `bytes` as a blob of the layout at `root`; its digest.
fn blob(root: &Path, bytes: &[u8]) -> String {
    let hex = sha256_hex(bytes);
    std::fs::write(root.join("blobs/sha256").join(&hex), bytes).unwrap();
    format!("sha256:{hex}")
}

#[test]
fn a_copy_does_not_send_a_foreign_layer_and_keeps_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("blobs/sha256")).unwrap();
    std::fs::write(src.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let own = b"the layer this image carries";
    let own_digest = blob(&src, own);
    // The foreign layer's bytes are not in the layout: they live at its URL.
    let foreign = b"a base layer fetched from elsewhere";
    let foreign_digest = format!("sha256:{}", sha256_hex(foreign));
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [&foreign_digest, &own_digest]},
    }))
    .unwrap();
    let config_digest = blob(&src, &config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar",
                "digest": foreign_digest,
                "size": foreign.len(),
                "urls": ["https://example.com/base-layer"],
            },
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": own_digest,
                "size": own.len(),
            },
        ],
    }))
    .unwrap();
    let manifest_digest = blob(&src, &manifest);
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "1"},
        }],
    });
    std::fs::write(src.join("index.json"), index.to_string()).unwrap();

    let dst = dir.path().join("dst");
    let run = ocipipe(&[
        "copy",
        &format!("oci:{}:1", src.display()),
        &format!("oci:{}:1", dst.display()),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let has = |digest: &str| {
        let hex = digest.strip_prefix("sha256:").unwrap();
        dst.join("blobs/sha256").join(hex).is_file()
    };
    assert!(has(&config_digest), "the config is copied");
    assert!(has(&own_digest), "the image's own layer is copied");
    assert!(has(&manifest_digest), "the manifest is copied unchanged");
    assert!(!has(&foreign_digest), "the foreign layer is left behind");
    let copied: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dst.join("index.json")).unwrap()).unwrap();
    assert_eq!(copied["manifests"][0]["digest"], manifest_digest.as_str());
}
