//! The hostile-input suite (`tests/hostile`) applied to every command that
//! writes or reads without the engine: `image build -o FILE|-`, `image
//! build --oci-layout`, `image unpack`, `ref normalize -`, `copy` into an
//! archive, a new layout or an existing one, `plugin build -o FILE`.

use crate::harness::{
    Ocipipe, RawEntry, a_layer, at_epoch, build, docker_archive, ocipipe, raw_tar, strings, tool,
};
use crate::hostile::{Given, InputCommand, OutputCommand, inputs, outputs};
use std::path::{Path, PathBuf};

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A layer directory `dir/name` holding one file of `size` zero bytes,
/// made as a hole: instant to make, yet every byte is read and hashed.
fn sparse_layer(dir: &Path, name: &str, size: u64) -> PathBuf {
    let layer = dir.join(name);
    std::fs::create_dir_all(&layer).unwrap();
    std::fs::File::create(layer.join("zeros"))
        .unwrap()
        .set_len(size)
        .unwrap();
    layer
}

/// Big enough that a 64 KiB file system fills up.
const OVER_A_MIB: u64 = (1 << 20) + 1;
/// Big enough that a build or an unpack takes about a second, to be
/// interrupted in the middle.
const TWO_GIB: u64 = 2 << 30;

/// `image build --layer LAYER FLAG TARGET`, FLAG `-o` or `--oci-layout`.
fn build_into<'a>(flag: &'a str, layer: &'a Path) -> impl Fn(&str) -> Vec<String> + 'a {
    move |target| strings(&["image", "build", "--layer", path(layer), flag, target])
}

/// `image unpack ARCHIVE TARGET`.
fn unpack_to(archive: &Path) -> impl Fn(&str) -> Vec<String> + '_ {
    move |target| strings(&["image", "unpack", path(archive), target])
}

fn build_file_command<'a>(args: &'a dyn Fn(&str) -> Vec<String>) -> OutputCommand<'a> {
    OutputCommand {
        name: "image build -o",
        args,
        env: at_epoch(),
        is_dir: false,
        temp_prefix: ".ocipipe-",
    }
}

fn build_layout_command<'a>(args: &'a dyn Fn(&str) -> Vec<String>) -> OutputCommand<'a> {
    OutputCommand {
        name: "image build --oci-layout",
        args,
        env: at_epoch(),
        is_dir: true,
        temp_prefix: ".ocipipe-layout-",
    }
}

fn unpack_command<'a>(args: &'a dyn Fn(&str) -> Vec<String>) -> OutputCommand<'a> {
    OutputCommand {
        name: "image unpack",
        args,
        env: Vec::new(),
        is_dir: true,
        temp_prefix: ".ocipipe-unpack-",
    }
}

/// An archive of one image whose only layer is `layer`, built by ocipipe.
fn archive_of(dir: &Path, layer: &Path) -> PathBuf {
    let archive = dir.join("image.tar");
    build(&["--layer", path(layer), "-o", path(&archive)]);
    archive
}

#[test]
fn build_output_goes_into_fifos_and_devices_and_replaces_only_files() {
    let dir = tempfile::tempdir().unwrap();
    let layer = a_layer(dir.path(), "layer", "contents\n");
    outputs::odd_targets(&build_file_command(&build_into("-o", &layer)));
}

#[test]
fn build_output_on_a_full_disk_is_blamed_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let layer = sparse_layer(dir.path(), "big", OVER_A_MIB);
    outputs::full_disk(&build_file_command(&build_into("-o", &layer)));
}

#[test]
fn build_output_interrupted_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let layer = sparse_layer(dir.path(), "huge", TWO_GIB);
    for signal in ["INT", "TERM"] {
        outputs::interrupted(&build_file_command(&build_into("-o", &layer)), signal);
    }
}

#[test]
fn build_layout_on_a_full_disk_is_blamed_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let layer = sparse_layer(dir.path(), "big", OVER_A_MIB);
    outputs::full_disk(&build_layout_command(&build_into("--oci-layout", &layer)));
}

#[test]
fn build_layout_interrupted_leaves_no_temporary_directory() {
    let dir = tempfile::tempdir().unwrap();
    let layer = sparse_layer(dir.path(), "huge", TWO_GIB);
    for signal in ["INT", "TERM"] {
        outputs::interrupted(
            &build_layout_command(&build_into("--oci-layout", &layer)),
            signal,
        );
    }
}

#[test]
fn unpack_on_a_full_disk_is_blamed_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive_of(dir.path(), &sparse_layer(dir.path(), "big", OVER_A_MIB));
    outputs::full_disk(&unpack_command(&unpack_to(&archive)));
}

#[test]
fn unpack_interrupted_leaves_no_temporary_directory() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive_of(dir.path(), &sparse_layer(dir.path(), "huge", TWO_GIB));
    for signal in ["INT", "TERM"] {
        outputs::interrupted(&unpack_command(&unpack_to(&archive)), signal);
    }
}

#[test]
fn a_layer_rewritten_between_the_two_passes_of_a_pipe_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    const SIZE: usize = 8 << 20;
    let layer = a_layer(dir.path(), "moving", &"x".repeat(SIZE));
    let args = |_: &str| strings(&["image", "build", "--layer", path(&layer), "-o", "-"]);
    inputs::changing_underneath(
        &OutputCommand {
            name: "image build -o -",
            args: &args,
            env: at_epoch(),
            is_dir: false,
            temp_prefix: ".ocipipe-",
        },
        &layer.join("data/moving"),
        SIZE,
    );
}

#[test]
fn ref_normalize_reads_a_redirected_file_as_it_reads_a_pipe() {
    let digest = format!("sha256:{}", "e".repeat(64));
    let mut random = vec![0u8; 4096];
    getrandom::fill(&mut random).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "references",
            format!("ubuntu\nbusybox:1.36\nlocalhost:5000/a/b@{digest}\n").into_bytes(),
        ),
        ("crlf", b"ubuntu\r\nbusybox\r\n".to_vec()),
        ("no-final-newline", b"ubuntu".to_vec()),
        ("empty", Vec::new()),
        ("not-utf8", b"ubuntu\n\xff\xfe\x00bad\nbusybox:1\n".to_vec()),
        ("escape-sequence", b"ubu\x1b[31mntu\n".to_vec()),
        ("random", random),
    ];
    let args = |input: &str| strings(&["ref", "normalize", input]);
    inputs::stdin_matches_file(
        &InputCommand {
            name: "ref normalize",
            args: &args,
            env: Vec::new(),
            file: Given::Stdin,
            stream: Given::Stdin,
        },
        &cases,
        &["references", "crlf", "no-final-newline", "empty"],
    );
}

#[test]
fn a_line_that_is_not_utf8_fails_alone() {
    let stdin = b"ubuntu\n\xff\xfebad\nbusybox:1\n";
    let run = Ocipipe::new().run_with_stdin_bytes(&["ref", "normalize", "-"], stdin);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "docker.io/library/ubuntu\ndocker.io/library/busybox:1\n"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.first_error_line().contains("the line is not UTF-8"),
        "{}",
        run.stderr
    );

    let run = Ocipipe::new().run_with_stdin_bytes(&["ref", "normalize", "--json", "-"], stdin);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines = run.json_lines();
    let ok: Vec<&serde_json::Value> = lines.iter().map(|l| &l["ok"]).collect();
    assert_eq!(ok, [true, false, true]);
    assert_eq!(lines[1]["error"], "the line is not UTF-8");
    assert_eq!(lines[2]["name"], "docker.io/library/busybox");
}

#[test]
fn unpack_reads_a_fifo_as_it_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("dest");
    let outside = dir.path().join("outside");
    let archive = |layers: &[Vec<u8>]| docker_archive("hostile/unpack:1", "unpack", layers).0;
    // Built by ocipipe: see the report of NUL-filled numeric fields.
    let valid = std::fs::read(archive_of(
        dir.path(),
        &a_layer(dir.path(), "layer", "contents\n"),
    ))
    .unwrap();
    let missing_layer = serde_json::json!([{
        "Config": "config.json", "RepoTags": ["gone/layer:1"], "Layers": ["gone/layer.tar"],
    }]);
    let mut random = vec![0u8; 8192];
    getrandom::fill(&mut random).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("valid", valid.clone()),
        (
            "parent-component",
            archive(&[raw_tar(&[RawEntry::file("a/../../owned", b"x")])]),
        ),
        (
            "through-an-absolute-symlink",
            archive(&[
                raw_tar(&[RawEntry::symlink("evil", path(&outside))]),
                raw_tar(&[RawEntry::file("evil/owned", b"x")]),
            ]),
        ),
        (
            "missing-layer",
            raw_tar(&[RawEntry::file(
                "manifest.json",
                &serde_json::to_vec(&missing_layer).unwrap(),
            )]),
        ),
        ("cut-short", valid[..valid.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("text", b"this is not an archive, just words\n".repeat(40)),
        ("random", random),
    ];
    // Each run unpacks into a fresh `dest`, so that runs compare.
    let args = |input: &str| {
        let _ = std::fs::remove_dir_all(&dest);
        strings(&["image", "unpack", input, path(&dest)])
    };
    inputs::stdin_matches_file(
        &InputCommand {
            name: "image unpack",
            args: &args,
            env: Vec::new(),
            file: Given::Path,
            stream: Given::Path,
        },
        &cases,
        &["valid"],
    );
    assert!(!outside.exists(), "nothing written outside");
}

/// An OCI layout of one image whose only layer is `layer`, built by ocipipe.
fn layout_of(dir: &Path, layer: &Path) -> PathBuf {
    let layout = dir.join("layout");
    build(&["--layer", path(layer), "--oci-layout", path(&layout)]);
    layout
}

/// `copy oci:LAYOUT docker-archive:TARGET` (or `oci:TARGET` when `to` is `oci`).
fn copy_to<'a>(layout: &'a Path, to: &'a str) -> impl Fn(&str) -> Vec<String> + 'a {
    move |target| {
        strings(&[
            "copy",
            &format!("oci:{}", path(layout)),
            &format!("{to}:{target}"),
        ])
    }
}

fn copy_archive_command<'a>(args: &'a dyn Fn(&str) -> Vec<String>) -> OutputCommand<'a> {
    OutputCommand {
        name: "copy … docker-archive:",
        args,
        env: Vec::new(),
        is_dir: false,
        temp_prefix: ".ocipipe-",
    }
}

fn copy_layout_command<'a>(args: &'a dyn Fn(&str) -> Vec<String>) -> OutputCommand<'a> {
    OutputCommand {
        name: "copy … oci:",
        args,
        env: Vec::new(),
        is_dir: true,
        temp_prefix: ".ocipipe-layout-",
    }
}

#[test]
fn copy_to_an_archive_goes_into_fifos_and_devices_and_replaces_only_files() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_of(dir.path(), &a_layer(dir.path(), "layer", "contents\n"));
    outputs::odd_targets(&copy_archive_command(&copy_to(&layout, "docker-archive")));
}

#[test]
fn copy_on_a_full_disk_is_blamed_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_of(dir.path(), &sparse_layer(dir.path(), "big", OVER_A_MIB));
    outputs::full_disk(&copy_archive_command(&copy_to(&layout, "docker-archive")));
    outputs::full_disk(&copy_layout_command(&copy_to(&layout, "oci")));
}

#[test]
fn copy_to_a_layout_interrupted_leaves_no_temporary_directory() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_of(dir.path(), &sparse_layer(dir.path(), "big", 512 << 20));
    for signal in ["INT", "TERM"] {
        outputs::interrupted(&copy_layout_command(&copy_to(&layout, "oci")), signal);
    }
}

#[test]
fn copy_to_an_archive_interrupted_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_of(dir.path(), &sparse_layer(dir.path(), "big", 512 << 20));
    for signal in ["INT", "TERM"] {
        outputs::interrupted(
            &copy_archive_command(&copy_to(&layout, "docker-archive")),
            signal,
        );
    }
}

/// A layout `dir/many` of one image of `count` layers, each `size` random
/// bytes: many blobs to copy.
fn many_blob_layout(dir: &Path, count: usize, size: usize) -> PathBuf {
    let mut args = Vec::new();
    for i in 0..count {
        let layer = dir.join(format!("layer-{i}"));
        std::fs::create_dir_all(layer.join("data")).unwrap();
        let mut bytes = vec![0u8; size];
        getrandom::fill(&mut bytes).unwrap();
        std::fs::write(layer.join("data").join(i.to_string()), bytes).unwrap();
        args.extend(["--layer".to_string(), layer.display().to_string()]);
    }
    let layout = dir.join("many");
    args.extend(["--oci-layout".to_string(), layout.display().to_string()]);
    build(&args.iter().map(String::as_str).collect::<Vec<_>>());
    layout
}

/// A layout `dir/existing` holding a small image tagged `old`.
fn existing_layout(dir: &Path) -> PathBuf {
    let existing = dir.join("existing");
    let small = layout_of(dir, &a_layer(dir, "layer", "contents\n"));
    let made = ocipipe(&[
        "copy",
        &format!("oci:{}", path(&small)),
        &format!("oci:{}:old", path(&existing)),
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    existing
}

#[test]
fn copy_into_an_existing_layout_interrupted_leaves_it_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let many = many_blob_layout(dir.path(), 400, 256 << 10);
    let existing = existing_layout(dir.path());
    let args = |target: &str| {
        strings(&[
            "copy",
            &format!("oci:{}", path(&many)),
            &format!("oci:{target}:new"),
        ])
    };
    for signal in ["INT", "TERM"] {
        outputs::interrupted_adding_to(&copy_layout_command(&args), &existing, signal);
    }
    // Other tools still read it.
    let old = format!("oci:{}:old", path(&existing));
    tool("skopeo", &["inspect", &old]);
    tool(
        "umoci",
        &["stat", "--image", &format!("{}:old", path(&existing))],
    );
}

#[test]
fn an_interrupted_copy_takes_nothing_from_a_concurrent_one() {
    let dir = tempfile::tempdir().unwrap();
    let many = many_blob_layout(dir.path(), 200, 256 << 10);
    let existing = existing_layout(dir.path());
    let before = std::fs::read_dir(existing.join("blobs/sha256"))
        .unwrap()
        .count();
    // Two copies of the same blobs at once; one is interrupted midway.
    let cache = tempfile::tempdir().unwrap();
    let copy = |tag: &str| {
        crate::harness::ocipipe_command()
            .args([
                "copy",
                &format!("oci:{}", path(&many)),
                &format!("oci:{}:{tag}", path(&existing)),
            ])
            .env("OCIPIPE_CACHE_DIR", cache.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (kept, stopped) = (copy("kept"), copy("stopped"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_dir(existing.join("blobs/sha256"))
        .unwrap()
        .count()
        < before + 20
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the copies wrote nothing"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &stopped.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let stopped = stopped.wait_with_output().unwrap();
    let kept = kept.wait_with_output().unwrap();
    assert!(
        kept.status.success(),
        "{}",
        String::from_utf8_lossy(&kept.stderr)
    );
    // The interrupt may come after the end of the copy, but never between.
    assert!(
        matches!(stopped.status.code(), Some(130 | 0)),
        "{}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    // skopeo reads every blob of the surviving copy, checking its digest.
    let check = dir.path().join("check");
    tool(
        "skopeo",
        &[
            "copy",
            &format!("oci:{}:kept", path(&existing)),
            &format!("oci:{}:kept", path(&check)),
        ],
    );
}

#[test]
fn copy_reads_an_archive_fifo_as_it_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let valid = std::fs::read(archive_of(
        dir.path(),
        &a_layer(dir.path(), "layer", "contents\n"),
    ))
    .unwrap();
    let archive = |layers: &[Vec<u8>]| docker_archive("hostile/copy:1", "copy", layers).0;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("valid", valid.clone()),
        (
            "parent-component-name",
            raw_tar(&[RawEntry::file("../manifest.json", b"[]")]),
        ),
        (
            "two-layers",
            archive(&[
                raw_tar(&[RawEntry::file("a", b"1")]),
                raw_tar(&[RawEntry::file("b", b"2")]),
            ]),
        ),
        ("cut-short", valid[..valid.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("text", b"this is not an archive, just words\n".repeat(40)),
    ];
    // Into /dev/null: every run is alike, nothing is left.
    let args = |input: &str| {
        strings(&[
            "copy",
            "--json",
            &format!("docker-archive:{input}"),
            "docker-archive:/dev/null",
        ])
    };
    inputs::stdin_matches_file(
        &InputCommand {
            name: "copy docker-archive:",
            args: &args,
            env: Vec::new(),
            file: Given::Path,
            stream: Given::Path,
        },
        &cases,
        &["valid", "two-layers"],
    );
}

/// `image mutate oci:LAYOUT TO:TARGET --label edited=yes`.
fn mutate_to<'a>(layout: &'a Path, to: &'a str) -> impl Fn(&str) -> Vec<String> + 'a {
    move |target| {
        strings(&[
            "image",
            "mutate",
            &format!("oci:{}", path(layout)),
            &format!("{to}:{target}"),
            "--label",
            "edited=yes",
        ])
    }
}

/// `image append oci:LAYOUT TO:TARGET --layer LAYER`.
fn append_to<'a>(
    layout: &'a Path,
    layer: &'a Path,
    to: &'a str,
) -> impl Fn(&str) -> Vec<String> + 'a {
    move |target| {
        strings(&[
            "image",
            "append",
            &format!("oci:{}", path(layout)),
            &format!("{to}:{target}"),
            "--layer",
            path(layer),
        ])
    }
}

#[test]
fn image_append_meets_odd_targets_a_full_disk_and_interrupts_as_copy_does() {
    let (small, big, huge) = (tempdir(), tempdir(), tempdir());
    let layer = a_layer(small.path(), "added", "appended\n");
    let small = layout_of(small.path(), &a_layer(small.path(), "layer", "contents\n"));
    let archive = append_to(&small, &layer, "docker-archive");
    outputs::odd_targets(&OutputCommand {
        name: "image append … docker-archive:",
        ..copy_archive_command(&archive)
    });
    let big = layout_of(big.path(), &sparse_layer(big.path(), "big", OVER_A_MIB));
    outputs::full_disk(&copy_layout_command(&append_to(&big, &layer, "oci")));
    let huge = layout_of(huge.path(), &sparse_layer(huge.path(), "huge", 512 << 20));
    let layout = append_to(&huge, &layer, "oci");
    for signal in ["INT", "TERM"] {
        outputs::interrupted(&copy_layout_command(&layout), signal);
    }
}

/// `index create oci:TARGET oci:LAYOUT`.
fn index_of<'a>(layout: &'a Path) -> impl Fn(&str) -> Vec<String> + 'a {
    move |target| {
        strings(&[
            "index",
            "create",
            &format!("oci:{target}"),
            &format!("oci:{}", path(layout)),
        ])
    }
}

#[test]
fn image_mutate_meets_odd_targets_a_full_disk_and_interrupts_as_copy_does() {
    let (small, big, huge) = (tempdir(), tempdir(), tempdir());
    let small = layout_of(small.path(), &a_layer(small.path(), "layer", "contents\n"));
    let archive = mutate_to(&small, "docker-archive");
    outputs::odd_targets(&OutputCommand {
        name: "image mutate … docker-archive:",
        ..copy_archive_command(&archive)
    });
    let big = layout_of(big.path(), &sparse_layer(big.path(), "big", OVER_A_MIB));
    let (archive, layout) = (mutate_to(&big, "docker-archive"), mutate_to(&big, "oci"));
    outputs::full_disk(&copy_archive_command(&archive));
    outputs::full_disk(&copy_layout_command(&layout));
    let huge = layout_of(huge.path(), &sparse_layer(huge.path(), "huge", 512 << 20));
    let layout = mutate_to(&huge, "oci");
    for signal in ["INT", "TERM"] {
        outputs::interrupted(&copy_layout_command(&layout), signal);
    }
}

#[test]
fn index_create_meets_a_full_disk_and_interrupts_as_copy_does() {
    let (big, huge) = (tempdir(), tempdir());
    let big = layout_of(big.path(), &sparse_layer(big.path(), "big", OVER_A_MIB));
    outputs::full_disk(&copy_layout_command(&index_of(&big)));
    let huge = layout_of(huge.path(), &sparse_layer(huge.path(), "huge", 512 << 20));
    for signal in ["INT", "TERM"] {
        outputs::interrupted(&copy_layout_command(&index_of(&huge)), signal);
    }
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
