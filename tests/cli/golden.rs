//! Byte identity: fixed inputs built into every engine-free output must
//! give the same bytes as before the restructure into sinks and sources.
//!
//! Where the numbers come from: `/work/ocipipe-baseline`, a release build
//! of commit 91f4f8a (before the restructure), run on exactly the inputs
//! [`inputs`] makes, with the same flags and `SOURCE_DATE_EPOCH`, through
//! this test's own code (the harness briefly took its binary from an
//! environment variable to record them). Do not re-record them to make
//! this test pass: a difference is a change in the bytes ocipipe writes.

use crate::harness::{EPOCH, Ocipipe, RawEntry, build, raw_tar, sha256_hex, stored_gzip, write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The image ID.
const IMAGE_ID: &str = "sha256:37132510ac7ad69cd4055cb0d8519ac4b90544c07735bedfb1ab4fb0e500b3f8";
/// sha256 of the `-o FILE` archive.
const ARCHIVE: &str = "93043626aaa026d19fa44723aa3f837d3e955ba016ade399312296fdc63f767a";
/// sha256 of the `-o -` stream: the archive's, byte for byte.
const STREAM: &str = "93043626aaa026d19fa44723aa3f837d3e955ba016ade399312296fdc63f767a";
/// sha256 of every file of the `--oci-layout` directory, by path.
const LAYOUT: &[(&str, &str)] = &[
    (
        "blobs/sha256/37132510ac7ad69cd4055cb0d8519ac4b90544c07735bedfb1ab4fb0e500b3f8",
        "37132510ac7ad69cd4055cb0d8519ac4b90544c07735bedfb1ab4fb0e500b3f8",
    ),
    (
        "blobs/sha256/741103e6243cc9cba09c5ea723135f6d5d7b525bcb57b231af0a3f8923007674",
        "741103e6243cc9cba09c5ea723135f6d5d7b525bcb57b231af0a3f8923007674",
    ),
    (
        "blobs/sha256/9c107502ecffda4a87ae2de25b7e036099dce4553a2449e567ab0ae7da640979",
        "9c107502ecffda4a87ae2de25b7e036099dce4553a2449e567ab0ae7da640979",
    ),
    (
        "blobs/sha256/b4ed3a3b9373f6a852a981fe3d7cfb839f2ac1786f448f0c6997de37b2daa73d",
        "b4ed3a3b9373f6a852a981fe3d7cfb839f2ac1786f448f0c6997de37b2daa73d",
    ),
    (
        "blobs/sha256/de77853fa58bacfe1276ab0264155e1539c640ce6f7efff963c44fc15c217d94",
        "de77853fa58bacfe1276ab0264155e1539c640ce6f7efff963c44fc15c217d94",
    ),
    (
        "index.json",
        "347418ef7f05bac315d6ba459ebad620ad50110bc0dc9a2fcf980309cd1e2674",
    ),
    (
        "oci-layout",
        "18f0797eab35a4597c1e9624aa4f15fd91f6254e5538c1e0d193b2a95dd4acc6",
    ),
];

fn file(path: &Path, contents: &str, mode: u32) {
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn dir(path: &Path, mode: u32) {
    std::fs::create_dir_all(path).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The inputs, made in `at`, and the flags that build them (all but the
/// output): a directory of files with explicit modes, a symlink, a hard
/// link and a name too long for a plain tar header; a `.tar` layer; a
/// `.tar.gz` layer (stored deflate blocks, so no compressor version
/// matters); the directory again; every config flag. No busybox: nothing
/// the machine provides goes in.
fn inputs(at: &Path) -> Vec<String> {
    let files = at.join("files");
    dir(&files, 0o755);
    dir(&files.join("bin"), 0o755);
    file(
        &files.join("bin/tool"),
        "#!/bin/sh\necho tool \"$@\"\n",
        0o755,
    );
    dir(&files.join("etc"), 0o750);
    file(&files.join("etc/config"), "key=value\n", 0o640);
    std::fs::hard_link(files.join("etc/config"), files.join("etc/config.hard")).unwrap();
    std::os::unix::fs::symlink("config", files.join("etc/link")).unwrap();
    file(&files.join("secret"), "s3cret\n", 0o600);
    file(&files.join("setuid"), "runs as its owner\n", 0o4755);
    dir(&files.join("empty"), 0o700);
    let deep = files.join("deep").join("d".repeat(120));
    dir(&files.join("deep"), 0o755);
    dir(&deep, 0o755);
    file(&deep.join("file"), "far down\n", 0o644);

    let tar = write(
        at,
        "layer.tar",
        &raw_tar(&[
            RawEntry::dir("opt/"),
            RawEntry::file("opt/from-tar", b"from a tar\n"),
        ]),
    );
    let gz = write(
        at,
        "layer.tar.gz",
        &stored_gzip(&raw_tar(&[
            RawEntry::dir("opt/"),
            RawEntry::file("opt/from-gz", b"from a gzip tar\n"),
        ])),
    );
    let files = files.display().to_string();
    [
        "--layer",
        &files,
        "--layer",
        &tar,
        "--layer",
        &gz,
        "--layer",
        &files,
        "--env",
        "GREETING=hello",
        "--env",
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "--cmd",
        r#"["/bin/tool","--flag"]"#,
        "--label",
        "org.example.team=images",
        "--label",
        "org.example.empty=",
        "--expose",
        "8080",
        "--expose",
        "53/udp",
        "--workdir",
        "/etc",
        "--user",
        "1000:1000",
        "--platform",
        "linux/amd64",
        "-t",
        "golden/image:1.0,golden/image:latest",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Every regular file under `root`, by path relative to it, with its
/// sha256.
fn file_digests(root: &Path) -> Vec<(String, String)> {
    let mut all = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let name = path.strip_prefix(root).unwrap().display().to_string();
                all.push((name, sha256_hex(&std::fs::read(&path).unwrap())));
            }
        }
    }
    all.sort();
    all
}

#[test]
fn every_output_is_byte_identical_to_the_pre_restructure_build() {
    let at = tempfile::tempdir().unwrap();
    let flags = inputs(at.path());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();

    let archive = at.path().join("image.tar");
    let built = build(&[&flags[..], &["-o", archive.to_str().unwrap()]].concat());
    let stream = Ocipipe::new()
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .run_bytes(&[&["image", "build"][..], &flags, &["-o", "-"]].concat());
    let layout = at.path().join("layout");
    build(&[&flags[..], &["--oci-layout", layout.to_str().unwrap()]].concat());

    let layout_digests = file_digests(&layout);
    let layout_digests: Vec<(&str, &str)> = layout_digests
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_str()))
        .collect();
    assert_eq!(built["image_id"], IMAGE_ID);
    assert_eq!(sha256_hex(&std::fs::read(&archive).unwrap()), ARCHIVE);
    assert_eq!(sha256_hex(&stream), STREAM);
    assert_eq!(layout_digests, LAYOUT);
}
