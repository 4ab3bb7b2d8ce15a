//! Bad and hostile layer tars and archives are refused with a clear error,
//! nothing is written outside the target, and no partial output is left.

use crate::harness::{
    RawEntry, assert_refused, build_refused, docker_archive, gzip, ocipipe, only, raw_tar,
    simple_layer, write,
};

#[test]
fn layer_tars_that_escape_are_refused_before_building() {
    let dir = tempfile::tempdir().unwrap();
    let escapes = [
        (
            "dotdot.tar",
            raw_tar(&[RawEntry::file("../escape", b"x")]),
            "entry \"../escape\" has a `..` component",
        ),
        (
            "absolute.tar",
            raw_tar(&[RawEntry::file("/etc/shadow", b"x")]),
            "entry \"/etc/shadow\" is an absolute path",
        ),
        (
            "hardlink.tar",
            raw_tar(&[RawEntry {
                name: "innocent",
                kind: tar::EntryType::Link,
                link: Some("../../etc/passwd"),
                data: b"",
            }]),
            "hard link \"innocent\" -> \"../../etc/passwd\" points outside the root",
        ),
    ];
    let mut names = vec![];
    for (name, bytes, words) in &escapes {
        let layer = write(dir.path(), name, bytes);
        names.push(*name);
        let run = build_refused(&layer, &dir.path().join("image.tar"));
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
fn unpack_refuses_escapes_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let dest = dir.path().join("dest");
    // From `x/s`, two levels up is the destination's parent.
    let evil_sibling = "../../dest-evil";
    // What is tried, its layers, and the cause the refusal gives.
    let cases: Vec<(&str, Vec<Vec<u8>>, &str)> = vec![
        (
            "a symlink to an absolute path, then a file through it",
            vec![
                raw_tar(&[RawEntry::symlink("evil", outside.to_str().unwrap())]),
                raw_tar(&[RawEntry::file("evil/owned", b"x")]),
            ],
            "goes through symlink evil -> ",
        ),
        (
            "a symlink climbing out, then a file through it",
            vec![
                raw_tar(&[RawEntry::symlink("up", "../outside")]),
                raw_tar(&[RawEntry::file("up/owned", b"x")]),
            ],
            "goes through symlink up -> ../outside, which leads outside the root",
        ),
        (
            "a sibling sharing the destination's prefix",
            vec![
                raw_tar(&[RawEntry::dir("x"), RawEntry::symlink("x/s", evil_sibling)]),
                raw_tar(&[RawEntry::file("x/s/owned", b"x")]),
            ],
            "goes through symlink x/s -> ../../dest-evil, which leads outside the root",
        ),
        (
            "a parent component",
            vec![raw_tar(&[RawEntry::file("a/../../owned", b"x")])],
            "entry \"a/../../owned\" has a `..` component",
        ),
    ];
    for (what, layers, cause) in cases {
        let (archive, _) = docker_archive("bad/unpack:1", "unpack", &layers);
        let path = write(dir.path(), "evil.tar", &archive);
        let run = ocipipe(&["image", "unpack", &path, dest.to_str().unwrap()]);
        assert_refused(&run, cause);
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
    assert_refused(&run, "it exists and is not an empty directory");
    assert_eq!(std::fs::read(dest.join("keep")).unwrap(), b"mine");
}
