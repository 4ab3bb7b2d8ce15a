//! Copies into one OCI layout at the same time: every copy keeps its tag
//! (the layout's `index.json` is read and replaced under a lock), whether
//! the layout exists already or the copies create it together; what they
//! leave is a layout skopeo and umoci read.

use crate::harness::{build, tool};
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `ocipipe copy oci:FROM oci:TO:TAG` for every tag at once, with
/// the component cache `cache` (warm, so that the runs start together);
/// asserts that each succeeded.
fn copy_all_at_once(cache: &Path, from: &Path, to: &Path, tags: &[String]) {
    let children: Vec<_> = tags
        .iter()
        .map(|tag| {
            crate::harness::ocipipe_command()
                .args([
                    "copy",
                    &format!("oci:{}", path(from)),
                    &format!("oci:{}:{tag}", path(to)),
                ])
                .env("OCIPIPE_CACHE_DIR", cache)
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

/// A layout `dir/NAME` of one image whose layer holds 16 MiB of random
/// bytes: each copy spends a while writing it, so concurrent copies meet.
fn source(dir: &Path, name: &str) -> PathBuf {
    let layer = dir.join(format!("{name}-layer"));
    std::fs::create_dir_all(layer.join("data")).unwrap();
    let mut bytes = vec![0u8; 16 << 20];
    getrandom::fill(&mut bytes).unwrap();
    std::fs::write(layer.join("data/random"), bytes).unwrap();
    let layout = dir.join(name);
    build(&["--layer", path(&layer), "--oci-layout", path(&layout)]);
    layout
}

/// skopeo and umoci read `tag` of `layout`, and no temporary file is left
/// in it or beside it.
fn readable_and_clean(layout: &Path, tag: &str) {
    tool(
        "skopeo",
        &["inspect", &format!("oci:{}:{tag}", path(layout))],
    );
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
    let cache = dir.path().join("cache");
    let layout = dir.path().join("layout");
    let first = source(dir.path(), "first");
    copy_all_at_once(&cache, &first, &layout, &["first".to_string()]);
    let mut expected = vec!["first".to_string()];
    // Three rounds of six, each of an image the layout does not hold yet:
    // a lost tag would show in one of them.
    for round in 1..=3 {
        let from = source(dir.path(), &format!("source-{round}"));
        let batch: Vec<String> = (1..=6).map(|i| format!("r{round}t{i}")).collect();
        copy_all_at_once(&cache, &from, &layout, &batch);
        expected.extend(batch);
        expected.sort();
        assert_eq!(tags(&layout), expected, "after round {round}");
    }
    readable_and_clean(&layout, "first");
    readable_and_clean(&layout, "r3t6");
}

#[test]
fn concurrent_copies_creating_one_layout_keep_every_tag() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let from = source(dir.path(), "source");
    // Warms the component cache.
    copy_all_at_once(&cache, &from, &dir.path().join("warm"), &["w".to_string()]);
    for round in 1..=3 {
        let layout = dir.path().join(format!("new-{round}"));
        let batch: Vec<String> = (1..=6).map(|i| format!("t{i}")).collect();
        copy_all_at_once(&cache, &from, &layout, &batch);
        assert_eq!(tags(&layout), batch, "round {round}");
        readable_and_clean(&layout, "t1");
    }
}
