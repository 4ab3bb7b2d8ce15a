//! Archives `image load` must refuse before, or report after, the engine
//! sees them.

use crate::harness::{
    RawEntry, assert_refused, docker, docker_archive, ocipipe, raw_tar, simple_layer, unique_repo,
    write, wrong_diff_id_archive,
};

#[test]
fn load_refuses_unsafe_or_broken_archives_before_the_engine_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("bad-load");
    let (good, id) = docker_archive(&format!("{repo}:1"), "bad", &[simple_layer("f", b"data")]);

    // An entry name with `..` in the archive itself.
    let mut with_escape = good[..good.len() - 1024].to_vec();
    with_escape.extend(raw_tar(&[RawEntry::file("../../outside", b"x")]));
    let path = write(dir.path(), "escape.tar", &with_escape);
    assert_refused(&ocipipe(&["image", "load", &path]), "outside");

    // manifest.json naming a file that is not there.
    let missing_manifest = serde_json::json!([{"Config": "nope.json", "RepoTags": [format!("{repo}:2")], "Layers": ["gone/layer.tar"]}]);
    let bytes = raw_tar(&[RawEntry::file(
        "manifest.json",
        &serde_json::to_vec(&missing_manifest).unwrap(),
    )]);
    let path = write(dir.path(), "missing.tar", &bytes);
    assert_refused(&ocipipe(&["image", "load", &path]), "nope.json");

    // Cut short.
    let path = write(dir.path(), "cut.tar", &good[..good.len() / 2]);
    assert_eq!(ocipipe(&["image", "load", &path]).code, 1);

    // Not a tar at all.
    let path = write(
        dir.path(),
        "junk.tar",
        b"this is not an archive at all, not even close",
    );
    assert_eq!(ocipipe(&["image", "load", &path]).code, 1);

    assert!(
        !docker(&["image", "inspect", &id]).status.success(),
        "nothing was loaded"
    );
}

#[test]
fn load_reports_an_archive_the_engine_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("bad-digest");
    let (archive, id) = wrong_diff_id_archive(&format!("{repo}:1"));
    let path = write(dir.path(), "wrong-digest.tar", &archive);
    let run = ocipipe(&["image", "load", &path]);
    assert_refused(&run, "the Docker Engine refused the archive");
    assert!(!docker(&["image", "inspect", &id]).status.success());
}
