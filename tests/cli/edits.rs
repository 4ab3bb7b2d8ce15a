//! The image edits' refusals that need no engine or registry: a Docker
//! schema 1 manifest, an index where an image is needed, a layer that is
//! not there. Each is refused before anything is written.

use crate::harness::{Ocipipe, a_layer, build, sha256_hex};
use std::path::Path;

/// An OCI layout at `dir` whose one entry, tagged `1`, is `manifest` of
/// `media_type`.
fn layout_of_one(dir: &Path, media_type: &str, manifest: &[u8]) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    let hex = sha256_hex(manifest);
    std::fs::write(dir.join("blobs/sha256").join(&hex), manifest).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": media_type,
            "digest": format!("sha256:{hex}"),
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "1"},
        }],
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
}

/// Runs `ocipipe ARGS`: it fails, naming every one of `words`, and `out`
/// is not there.
fn refused(args: &[&str], words: &[&str], out: &Path) {
    let run = Ocipipe::new().run(args);
    assert_ne!(run.code, 0, "{args:?}: {}", run.stdout);
    for word in words {
        assert!(run.stderr.contains(word), "{word:?} not in: {}", run.stderr);
    }
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
}

#[test]
fn a_schema_1_manifest_is_refused_by_every_edit() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("old");
    let schema1 = br#"{"schemaVersion":1,"name":"old","tag":"1","fsLayers":[],"history":[]}"#;
    layout_of_one(
        &layout,
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        schema1,
    );
    let out = dir.path().join("out");
    let to = format!("oci:{}:x", out.display());
    // Listed as schema 1: the layout's entry is refused, naming its type.
    refused(
        &[
            "image",
            "mutate",
            &format!("oci:{}:1", layout.display()),
            &to,
            "--label",
            "a=b",
        ],
        &["manifest.v1+prettyjws"],
        &out,
    );
    // Listed as an OCI manifest, but schema 1 inside.
    let layout = dir.path().join("disguised");
    layout_of_one(
        &layout,
        "application/vnd.oci.image.manifest.v1+json",
        schema1,
    );
    let from = format!("oci:{}:1", layout.display());
    let layer = a_layer(dir.path(), "added", "added\n");
    refused(
        &["image", "mutate", &from, &to, "--label", "a=b"],
        &["schema 1"],
        &out,
    );
    refused(
        &[
            "image",
            "append",
            &from,
            &to,
            "--layer",
            layer.to_str().unwrap(),
        ],
        &["schema 1"],
        &out,
    );
    refused(&["index", "create", &to, &from], &["schema 1"], &out);
}

#[test]
fn an_image_where_an_index_is_needed_and_a_missing_layer_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("image");
    let layer = a_layer(dir.path(), "layer", "contents\n");
    build(&[
        "--layer",
        layer.to_str().unwrap(),
        "--oci-layout",
        layout.to_str().unwrap(),
        "-t",
        "app:1",
    ]);
    let from = format!("oci:{}", layout.display());
    let out = dir.path().join("out");
    let to = format!("oci:{}:x", out.display());
    refused(
        &["index", "filter", &from, &to, "--platform", "linux/amd64"],
        &["not an index"],
        &out,
    );
    let missing = dir.path().join("no-such-layer");
    refused(
        &[
            "image",
            "append",
            &from,
            &to,
            "--layer",
            missing.to_str().unwrap(),
        ],
        &["no-such-layer"],
        &out,
    );
    // An index appended to must be one.
    let image_copy = dir.path().join("copy");
    let copy = Ocipipe::new().run(&["copy", &from, &format!("oci:{}:1", image_copy.display())]);
    assert_eq!(copy.code, 0, "{}", copy.stderr);
    let before = std::fs::read(image_copy.join("index.json")).unwrap();
    let run = Ocipipe::new().run(&[
        "index",
        "append",
        &format!("oci:{}:1", image_copy.display()),
        &from,
    ]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("not an index"), "{}", run.stderr);
    assert_eq!(
        std::fs::read(image_copy.join("index.json")).unwrap(),
        before
    );
}
