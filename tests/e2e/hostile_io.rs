//! The hostile-input suite (`tests/hostile`) applied to the commands that
//! need the engine: `image save -o`, `image load`, `image build --load
//! --base`.

use crate::harness::{
    RawEntry, a_layer, at_epoch, build, busybox_root, docker, docker_archive, load_image, raw_tar,
    simple_layer, strings, unique_repo, wrong_diff_id_archive,
};
use crate::hostile::{Given, InputCommand, OutputCommand, inputs, outputs};

#[test]
fn save_output_goes_into_fifos_and_devices_and_replaces_only_files() {
    let name = format!("{}:1", unique_repo("save-odd"));
    load_image(&name, "save");
    let args = |target: &str| strings(&["image", "save", &name, "-o", target]);
    outputs::odd_targets(&OutputCommand {
        name: "image save -o",
        args: &args,
        env: Vec::new(),
        is_dir: false,
        temp_prefix: ".ocipipe-",
    });
}

#[test]
fn load_reads_stdin_as_it_reads_a_file() {
    let repo = unique_repo("load-parity");
    // Layers of their own: the engine skips a layer whose chain it has
    // without reading it, so another test's layer would hide a bad one.
    let (valid, valid_id) = docker_archive(
        &format!("{repo}:valid"),
        "valid",
        &[simple_layer("f", repo.as_bytes())],
    );
    // The same archive with one more entry after its last one.
    let with = |entry: RawEntry| {
        let mut archive = valid[..valid.len() - 1024].to_vec();
        archive.extend(raw_tar(&[entry]));
        archive
    };
    let missing_layer = serde_json::json!([{
        "Config": "config.json", "RepoTags": [format!("{repo}:missing")],
        "Layers": ["gone/layer.tar"],
    }]);
    let (wrong_diff_id, wrong_id) = wrong_diff_id_archive(&format!("{repo}:wrong"));
    let mut random = vec![0u8; 8192];
    getrandom::fill(&mut random).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("escape", with(RawEntry::file("../escape", b"x"))),
        ("absolute", with(RawEntry::file("/etc/ocipipe-owned", b"x"))),
        ("empty", Vec::new()),
        ("random", random),
        ("text", b"this is not an archive, just words\n".repeat(40)),
        (
            "missing-layer",
            raw_tar(&[
                RawEntry::file("config.json", b"{}"),
                RawEntry::file(
                    "manifest.json",
                    &serde_json::to_vec(&missing_layer).unwrap(),
                ),
            ]),
        ),
        ("valid", valid),
        ("wrong-diff-id", wrong_diff_id),
    ];
    let args = |input: &str| strings(&["image", "load", input]);
    inputs::stdin_matches_file(
        &InputCommand {
            name: "image load",
            args: &args,
            env: Vec::new(),
            file: Given::Path,
            stream: Given::Stdin,
        },
        &cases,
        &["valid"],
    );
    assert!(docker(&["image", "inspect", &valid_id]).status.success());
    assert!(!docker(&["image", "inspect", &wrong_id]).status.success());
}

#[test]
fn a_layer_rewritten_between_measuring_and_streaming_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let base = unique_repo("moving-base");
    build(&["--layer", root.to_str().unwrap(), "-t", &base, "--load"]);
    const SIZE: usize = 8 << 20;
    let moving = a_layer(dir.path(), "moving", &"x".repeat(SIZE));
    let app = unique_repo("moving-app");
    // With --base, layers are measured first (to know which the base
    // has), then streamed into the engine.
    let args = |_: &str| {
        strings(&[
            "image",
            "build",
            "--layer",
            root.to_str().unwrap(),
            "--layer",
            moving.to_str().unwrap(),
            "-t",
            &app,
            "--load",
            "--base",
            &base,
        ])
    };
    inputs::changing_underneath(
        &OutputCommand {
            name: "image build --load --base",
            args: &args,
            env: at_epoch(),
            is_dir: false,
            temp_prefix: ".ocipipe-",
        },
        &moving.join("data/moving"),
        SIZE,
    );
    assert!(
        !docker(&["image", "inspect", &app]).status.success(),
        "nothing was tagged"
    );
}
