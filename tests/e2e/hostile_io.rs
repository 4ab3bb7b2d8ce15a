//! The hostile-input suite (`tests/hostile`) applied to the commands that
//! need the engine or a registry: `image save -o`, `image load`, `image
//! build --load --base`, `artifact push`, `artifact pull -o`, `compose
//! publish`, `component push`.

use crate::harness::{
    RawEntry, a_layer, at_epoch, build, busybox_root, docker, docker_archive, load_image, raw_tar,
    registry, sha256_hex, simple_layer, strings, unique_repo, wrong_diff_id_archive,
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

/// Environment for a registry command: a Docker config of its own, and
/// `SOURCE_DATE_EPOCH`.
fn registry_env(config: &std::path::Path) -> Vec<(String, String)> {
    let mut env = at_epoch();
    env.push(("DOCKER_CONFIG".into(), config.to_str().unwrap().into()));
    env
}

/// [`inputs::stdin_matches_file`] for the registry command `name`, its
/// streams given on stdin and as FIFOs, with a Docker config in `config`.
fn a_stream_is_read_as_a_file(
    name: &str,
    args: &dyn Fn(&str) -> Vec<String>,
    config: &std::path::Path,
    cases: &[(&str, Vec<u8>)],
    accepted: &[&str],
) {
    for stream in [Given::Stdin, Given::Path] {
        inputs::stdin_matches_file(
            &InputCommand {
                name,
                args,
                env: registry_env(config),
                file: Given::Path,
                stream,
            },
            cases,
            accepted,
        );
    }
}

/// Arguments that always name the input as `link` (one path, one file
/// name: the name is part of what is pushed), a symlink made anew to the
/// input given (a file, a FIFO) or, for `-`, to `/dev/stdin`. Human
/// output, not `--json`: its `bytes_sent` differs between a first push
/// and the same one again.
fn through_link<'a>(
    link: &'a std::path::Path,
    args: impl Fn(&str) -> Vec<String> + 'a,
) -> impl Fn(&str) -> Vec<String> + 'a {
    move |input| {
        let _ = std::fs::remove_file(link);
        let target = if input == "-" { "/dev/stdin" } else { input };
        std::os::unix::fs::symlink(target, link).unwrap();
        args(link.to_str().unwrap())
    }
}

#[test]
fn artifact_push_reads_stdin_and_fifos_as_it_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("hostile-artifact");
    let name = format!("{}/{repo}:1", registry());
    let mut random = vec![0u8; 3 << 20];
    getrandom::fill(&mut random).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("text", b"notes\n".repeat(1000)),
        ("empty", Vec::new()),
        ("random", random),
    ];
    let link = dir.path().join("notes.bin");
    // Every run uploads its blob (a registry that has it already is not
    // sent it again, which would hide a stream read twice).
    let digests: Vec<String> = cases
        .iter()
        .map(|(_, bytes)| format!("sha256:{}", sha256_hex(bytes)))
        .collect();
    let args = through_link(&link, |input| {
        forget_blobs(&repo, &digests);
        strings(&[
            "artifact",
            "push",
            &name,
            input,
            "--artifact-type",
            "application/vnd.example.hostile",
        ])
    });
    a_stream_is_read_as_a_file(
        "artifact push",
        &args,
        dir.path(),
        &cases,
        &["text", "empty", "random"],
    );
}

#[test]
fn compose_publish_reads_stdin_and_fifos_as_it_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{}/{}:1", registry(), unique_repo("hostile-compose"));
    let mut random = vec![0u8; 4096];
    getrandom::fill(&mut random).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("valid", b"services:\n  web:\n    image: nginx\n".to_vec()),
        ("empty", Vec::new()),
        ("not-utf8", b"services:\n  web: \xff\n".to_vec()),
        ("escape-sequence", b"x: \x1b[2J\n".to_vec()),
        ("random", random),
    ];
    let link = dir.path().join("compose.yaml");
    let args = through_link(&link, |input| {
        strings(&["compose", "publish", &name, input])
    });
    a_stream_is_read_as_a_file(
        "compose publish",
        &args,
        dir.path(),
        &cases,
        &["valid", "empty"],
    );
}

#[test]
fn component_push_reads_stdin_and_fifos_as_it_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{}/{}:1", registry(), unique_repo("hostile-component"));
    let tagging = std::fs::read(crate::harness::guest("ocipipe_tagging.wasm")).unwrap();
    let mut random = vec![0u8; 4096];
    getrandom::fill(&mut random).unwrap();
    let mut cut = tagging.clone();
    cut.truncate(tagging.len() / 2);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("component", tagging),
        ("core-module", b"\0asm\x01\0\0\0".to_vec()),
        ("cut-short", cut),
        ("empty", Vec::new()),
        ("random", random),
    ];
    let link = dir.path().join("tagging.wasm");
    let args = through_link(&link, |input| strings(&["component", "push", &name, input]));
    a_stream_is_read_as_a_file("component push", &args, dir.path(), &cases, &["component"]);
}

/// Removes the blobs `digests` from the repository `repo` of the plain
/// test registry (those it does not have are skipped).
fn forget_blobs(repo: &str, digests: &[String]) {
    for digest in digests {
        let url = format!("http://{}/v2/{repo}/blobs/{digest}", registry());
        let status = std::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-X",
                "DELETE",
                &url,
            ])
            .output()
            .unwrap();
        let code = String::from_utf8_lossy(&status.stdout).to_string();
        assert!(
            ["202", "404"].contains(&code.as_str()),
            "DELETE {url}: {code}"
        );
    }
}

/// `artifact pull NAME -o TARGET`, for the hostile output checks.
fn pull_into(name: &str) -> impl Fn(&str) -> Vec<String> + '_ {
    move |target| strings(&["artifact", "pull", name, "-o", target])
}

fn pull_command<'a>(
    args: &'a dyn Fn(&str) -> Vec<String>,
    config: &std::path::Path,
) -> OutputCommand<'a> {
    OutputCommand {
        name: "artifact pull -o",
        args,
        env: registry_env(config),
        is_dir: true,
        temp_prefix: ".ocipipe-pull-",
    }
}

/// Pushes an artifact of one file `notes.bin` of `size` zero bytes (a
/// hole: instant to make) to a new repository; its name.
fn an_artifact_of(dir: &std::path::Path, size: u64) -> String {
    let name = format!("{}/{}:1", registry(), unique_repo("hostile-pull"));
    let file = dir.join("notes.bin");
    std::fs::File::create(&file).unwrap().set_len(size).unwrap();
    let run = crate::harness::Ocipipe::new()
        .env("DOCKER_CONFIG", dir.to_str().unwrap())
        .run(&[
            "artifact",
            "push",
            &name,
            file.to_str().unwrap(),
            "--artifact-type",
            "application/vnd.example.hostile",
        ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    name
}

#[test]
fn artifact_pull_into_odd_targets_follows_links_to_directories_and_refuses_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let name = an_artifact_of(dir.path(), 1000);
    outputs::odd_dir_targets(&pull_command(&pull_into(&name), dir.path()));
}

#[test]
fn artifact_pull_on_a_full_disk_is_blamed_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let name = an_artifact_of(dir.path(), 1 << 20);
    outputs::full_disk(&pull_command(&pull_into(&name), dir.path()));
}

#[test]
fn artifact_pull_interrupted_leaves_no_temporary_directory() {
    let dir = tempfile::tempdir().unwrap();
    let name = an_artifact_of(dir.path(), 512 << 20);
    for signal in ["INT", "TERM"] {
        outputs::interrupted(&pull_command(&pull_into(&name), dir.path()), signal);
    }
}
