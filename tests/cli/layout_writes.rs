//! Copies into one OCI layout at the same time: every copy keeps its tag
//! (the layout's `index.json` is read and replaced under a lock), whether
//! the layout exists already or the copies create it together; what they
//! leave is a layout skopeo and umoci read.

use crate::harness::{a_layer, build, tool};
use std::path::Path;
use std::process::{Command, Stdio};

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `ocipipe copy oci:FROM oci:TO:TAG` for every tag at once; asserts
/// that each succeeded.
fn copy_all_at_once(from: &Path, to: &Path, tags: &[String]) {
    let cache = tempfile::tempdir().unwrap();
    let children: Vec<_> = tags
        .iter()
        .map(|tag| {
            Command::new(env!("CARGO_BIN_EXE_ocipipe"))
                .args([
                    "copy",
                    &format!("oci:{}", path(from)),
                    &format!("oci:{}:{tag}", path(to)),
                ])
                .env("OCIPIPE_CACHE_DIR", cache.path())
                .env_remove("RUST_LOG")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (tag, child) in tags.iter().zip(children) {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "copy to {tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The tags of `layout`'s `index.json`, sorted.
fn tags(layout: &Path) -> Vec<String> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let mut tags: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["annotations"]["org.opencontainers.image.ref.name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    tags.sort();
    tags
}

/// A layout `dir/source` of one small image.
fn source(dir: &Path) -> std::path::PathBuf {
    let layout = dir.join("source");
    let layer = a_layer(dir, "layer", "contents\n");
    build(&["--layer", path(&layer), "--oci-layout", path(&layout)]);
    layout
}

/// skopeo and umoci read `tag` of `layout`, and no temporary file is left
/// in it or beside it.
fn readable_and_clean(layout: &Path, tag: &str) {
    tool("skopeo", &["inspect", &format!("oci:{}:{tag}", path(layout))]);
    tool(
        "umoci",
        &["stat", "--image", &format!("{}:{tag}", path(layout))],
    );
    let mut names: Vec<String> = std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.extend(
        std::fs::read_dir(layout.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap()),
    );
    let temporary: Vec<_> = names.iter().filter(|n| n.starts_with(".ocipipe")).collect();
    assert!(temporary.is_empty(), "left: {temporary:?}");
}

#[test]
fn concurrent_copies_into_one_layout_keep_every_tag() {
    let dir = tempfile::tempdir().unwrap();
    let from = source(dir.path());
    let layout = dir.path().join("layout");
    copy_all_at_once(&from, &layout, &["first".to_string()]);
    let mut expected = vec!["first".to_string()];
    // Three rounds of six: a lost tag would show in one of them.
    for round in 1..=3 {
        let batch: Vec<String> = (1..=6).map(|i| format!("r{round}t{i}")).collect();
        copy_all_at_once(&from, &layout, &batch);
        expected.extend(batch);
        expected.sort();
        assert_eq!(tags(&layout), expected, "after round {round}");
    }
    readable_and_clean(&layout, "r3t6");
}

#[test]
fn concurrent_copies_creating_one_layout_keep_every_tag() {
    let dir = tempfile::tempdir().unwrap();
    let from = source(dir.path());
    for round in 1..=3 {
        let layout = dir.path().join(format!("new-{round}"));
        let batch: Vec<String> = (1..=6).map(|i| format!("t{i}")).collect();
        copy_all_at_once(&from, &layout, &batch);
        assert_eq!(tags(&layout), batch, "round {round}");
        readable_and_clean(&layout, "t1");
    }
}
