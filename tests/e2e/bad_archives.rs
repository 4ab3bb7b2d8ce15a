//! Bad and hostile archives are refused with a clear error, nothing is
//! written outside the target, and no partial output is left.

use crate::harness::{
    RawEntry, docker, docker_archive, ocipipe, raw_tar, simple_layer, unique_repo,
};
use std::path::Path;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn assert_refused(run: &crate::harness::Run, words: &str) {
    assert_eq!(run.code, 1, "must be refused: {}", run.stderr);
    assert!(
        run.first_error_line().starts_with("error: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(words),
        "expected {words:?} in: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

fn only(dir: &Path, names: &[&str]) {
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, names, "no partial output may remain");
}

#[test]
fn layer_tars_that_escape_are_refused_before_building() {
    let dir = tempfile::tempdir().unwrap();
    let escapes = [
        (
            "dotdot.tar",
            raw_tar(&[RawEntry::file("../escape", b"x")]),
            "escape",
        ),
        (
            "absolute.tar",
            raw_tar(&[RawEntry::file("/etc/shadow", b"x")]),
            "/etc/shadow",
        ),
        (
            "hardlink.tar",
            raw_tar(&[RawEntry {
                name: "innocent",
                kind: tar::EntryType::Link,
                link: Some("../../etc/passwd"),
                data: b"",
            }]),
            "innocent",
        ),
    ];
    let mut names = vec![];
    for (name, bytes, words) in &escapes {
        let layer = write(dir.path(), name, bytes);
        names.push(*name);
        let out = dir.path().join("image.tar");
        let run = ocipipe(&[
            "image",
            "build",
            "--layer",
            &layer,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_refused(&run, words);
    }
    let good = raw_tar(&[RawEntry::file("ok", b"fine")]);
    let truncated = gzip(&good);
    let cut = write(dir.path(), "cut.tar.gz", &truncated[..truncated.len() - 9]);
    names.push("cut.tar.gz");
    let run = ocipipe(&[
        "image",
        "build",
        "--layer",
        &cut,
        "-o",
        dir.path().join("image.tar").to_str().unwrap(),
    ]);
    assert_eq!(
        run.code, 1,
        "a truncated gzip layer must be refused: {}",
        run.stderr
    );
    names.sort();
    only(dir.path(), &names);
}

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
    // The config claims a diff_id that the layer's bytes do not have.
    let (mut archive, id) = docker_archive(
        &format!("{repo}:1"),
        "digest",
        &[simple_layer("f", b"data")],
    );
    let layer_at = archive
        .windows(4)
        .position(|w| w == b"data")
        .expect("layer bytes");
    archive[layer_at] = b'D';
    let path = write(dir.path(), "wrong-digest.tar", &archive);
    let run = ocipipe(&["image", "load", &path]);
    assert_refused(&run, "the Docker Engine refused the archive");
    assert!(!docker(&["image", "inspect", &id]).status.success());
}

#[test]
fn unpack_refuses_escapes_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let dest = dir.path().join("dest");
    let evil_sibling = format!("../{}", "dest-evil");
    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        (
            "a symlink to an absolute path, then a file through it",
            vec![
                raw_tar(&[RawEntry::symlink("evil", outside.to_str().unwrap())]),
                raw_tar(&[RawEntry::file("evil/owned", b"x")]),
            ],
        ),
        (
            "a symlink climbing out, then a file through it",
            vec![
                raw_tar(&[RawEntry::symlink("up", "../outside")]),
                raw_tar(&[RawEntry::file("up/owned", b"x")]),
            ],
        ),
        (
            "a sibling sharing the destination's prefix",
            vec![
                raw_tar(&[RawEntry::dir("x"), RawEntry::symlink("x/s", &evil_sibling)]),
                raw_tar(&[RawEntry::file("x/s/owned", b"x")]),
            ],
        ),
        (
            "a parent component",
            vec![raw_tar(&[RawEntry::file("a/../../owned", b"x")])],
        ),
    ];
    for (what, layers) in cases {
        let (archive, _) = docker_archive("bad/unpack:1", "unpack", &layers);
        let path = write(dir.path(), "evil.tar", &archive);
        let run = ocipipe(&["image", "unpack", &path, dest.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        assert!(
            run.first_error_line().starts_with("error: cannot unpack"),
            "{what}: {}",
            run.stderr
        );
        assert!(
            !dest.exists(),
            "{what}: the destination must not be created"
        );
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            0,
            "{what}: nothing written outside"
        );
        assert!(!dir.path().join("dest-evil").exists(), "{what}");
        only(dir.path(), &["evil.tar", "outside"]);
    }

    // A destination that already holds files is not touched.
    std::fs::create_dir(&dest).unwrap();
    std::fs::write(dest.join("keep"), b"mine").unwrap();
    let (archive, _) = docker_archive("ok/unpack:1", "unpack", &[simple_layer("f", b"x")]);
    let path = write(dir.path(), "ok.tar", &archive);
    let run = ocipipe(&["image", "unpack", &path, dest.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(std::fs::read(dest.join("keep")).unwrap(), b"mine");
}
