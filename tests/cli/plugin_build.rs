//! `plugin build -o FILE`, which needs no engine and no registry: the same
//! context gives the same bytes; contexts and names that cannot make a
//! plugin are refused, naming what is wrong, and leave the target as it
//! was; `-o` meets the hostile output checks (`tests/hostile`). (Pushing,
//! and the engine's view of what is built: `tests/e2e/plugin_build.rs`.)

use crate::harness::{Ocipipe, Run, assert_refused, only, plugin_build};
use crate::hostile::{OutputCommand, outputs};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn good_config() -> Value {
    json!({
        "Description": "a plugin",
        "Entrypoint": ["/bin/plugin"],
        "Interface": {"Socket": "p.sock", "Types": ["docker.volumedriver/1.0"]},
        "Mounts": [{"Source": "/var/lib/p", "Destination": "/state"}],
    })
}

/// A context `dir/ctx` with `config` (written as is when a string) and a
/// small rootfs.
fn context(dir: &Path, config: &Value) -> PathBuf {
    let context = dir.join("ctx");
    std::fs::create_dir_all(context.join("rootfs/bin")).unwrap();
    std::fs::write(context.join("rootfs/bin/plugin"), b"#!/bin/sh\nexit 0\n").unwrap();
    let bytes = match config {
        Value::String(text) => text.clone().into_bytes(),
        other => serde_json::to_vec_pretty(other).unwrap(),
    };
    std::fs::write(context.join("config.json"), bytes).unwrap();
    context
}

fn build(context: &Path, name: &str, out: &Path) -> Run {
    plugin_build(context, name, &["-o", out.to_str().unwrap()])
}

#[test]
fn the_same_context_gives_the_same_file_and_another_rootfs_another_digest() {
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), &good_config());
    let out = tempfile::tempdir().unwrap();
    let (one, two) = (out.path().join("one.tar"), out.path().join("two.tar"));
    let first = build(&context, "example.com/p:1", &one);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let again = build(&context, "example.com/p:1", &two);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    let report = first.json_lines().remove(0);
    assert_eq!(report["name"], "example.com/p:1");
    assert_eq!(
        report["layer"]["media_type"],
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
    );
    assert_ne!(report["diff_id"], report["layer"]["digest"]);

    std::fs::write(context.join("rootfs/bin/other"), b"x").unwrap();
    let changed = build(&context, "example.com/p:1", &two);
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    let changed = changed.json_lines().remove(0);
    assert_ne!(changed["layer"]["digest"], report["layer"]["digest"]);
    assert_ne!(changed["digest"], report["digest"]);
    only(out.path(), &["one.tar", "two.tar"]);
}

/// `plugin build` of `context` into `out/plugin.tar`, which holds `old`
/// before: refused with `words`, and `plugin.tar` still `old`.
fn refused_keeping_the_target(context: &Path, name: &str, words: &str) {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("plugin.tar");
    std::fs::write(&target, b"old").unwrap();
    let run = build(context, name, &target);
    assert_refused(&run, words);
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    only(out.path(), &["plugin.tar"]);
}

#[test]
fn contexts_without_a_config_or_a_rootfs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), &good_config());
    std::fs::remove_file(context.join("config.json")).unwrap();
    refused_keeping_the_target(&context, "p", "holds its config in config.json");

    std::fs::create_dir(context.join("config.json")).unwrap();
    refused_keeping_the_target(&context, "p", "not a regular file");
    std::fs::remove_dir(context.join("config.json")).unwrap();

    std::fs::write(context.join("config.json"), b"\xff\xfe{}").unwrap();
    refused_keeping_the_target(&context, "p", "not UTF-8");

    std::fs::write(
        context.join("config.json"),
        serde_json::to_vec(&good_config()).unwrap(),
    )
    .unwrap();
    std::fs::remove_dir_all(context.join("rootfs")).unwrap();
    refused_keeping_the_target(&context, "p", "holds the plugin's files in rootfs/");
    std::fs::write(context.join("rootfs"), b"a file").unwrap();
    refused_keeping_the_target(&context, "p", "rootfs must be a directory");

    let missing = dir.path().join("missing");
    refused_keeping_the_target(&missing, "p", "config.json");
}

#[test]
fn configs_the_engine_could_not_install_are_refused_before_the_layer_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(Value, &str)> = vec![
        (json!("{"), "not valid JSON"),
        (
            json!({"Entrypoint": "/bin/plugin"}),
            "Entrypoint is a string, not an array",
        ),
        (
            json!({"Entrypoint": ["/bin/plugin"]}),
            "Interface.Types is empty",
        ),
        (
            json!({"Entrypoint": ["/bin/plugin"], "Interface": {"Types": ["volumedriver"], "Socket": "p.sock"}}),
            "Interface.Types[0]",
        ),
        (
            json!({"Entrypoint": ["/bin/plugin"], "Interface": {"Types": ["docker.volumedriver/1.0"]}}),
            "Interface.Socket",
        ),
        (
            json!({"Interface": {"Types": ["docker.volumedriver/1.0"], "Socket": "p.sock"}}),
            "Entrypoint has no program",
        ),
        (
            {
                let mut c = good_config();
                c["Linux"] = json!({"Capabilities": ["SYS_ADMIN"]});
                c
            },
            "Linux.Capabilities[0]",
        ),
        (
            {
                let mut c = good_config();
                c["Mounts"] = json!([{"Source": "/s", "Destination": "relative"}]);
                c
            },
            "Mounts[0].Destination",
        ),
    ];
    for (config, words) in cases {
        let dir = dir.path().join(words.replace(['/', ' ', '[', ']'], "_"));
        refused_keeping_the_target(&context(&dir, &config), "p", words);
    }
}

#[test]
fn names_with_a_digest_or_that_are_not_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), &good_config());
    let digest = format!("example.com/p@sha256:{}", "0".repeat(64));
    refused_keeping_the_target(&context, &digest, "canonical references are not permitted");
    refused_keeping_the_target(&context, "Not/A:Name:", "as the plugin's name");
}

#[test]
fn one_destination_is_needed() {
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), &good_config());
    let run = Ocipipe::new().run(&["plugin", "build", context.to_str().unwrap(), "-t", "p"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--push"), "{}", run.stderr);
    let run = Ocipipe::new().run(&[
        "plugin",
        "build",
        context.to_str().unwrap(),
        "-t",
        "p",
        "--push",
        "-o",
        "x.tar",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// `plugin build CONTEXT -t NAME -o TARGET`, for the hostile output checks.
fn build_into(context: &Path) -> impl Fn(&str) -> Vec<String> + '_ {
    move |target| {
        crate::harness::strings(&[
            "plugin",
            "build",
            context.to_str().unwrap(),
            "-t",
            "example/hostile:1",
            "-o",
            target,
        ])
    }
}

fn plugin_build_command<'a>(args: &'a dyn Fn(&str) -> Vec<String>) -> OutputCommand<'a> {
    OutputCommand {
        name: "plugin build -o",
        args,
        env: crate::harness::at_epoch(),
        is_dir: false,
        temp_prefix: ".ocipipe-",
    }
}

/// A context whose rootfs holds one file of `size` zero bytes, made as a
/// hole: instant to make, yet every byte is read, hashed and gzipped.
fn sparse_context(dir: &Path, size: u64) -> PathBuf {
    let context = context(dir, &good_config());
    std::fs::File::create(context.join("rootfs/zeros"))
        .unwrap()
        .set_len(size)
        .unwrap();
    context
}

#[test]
fn plugin_build_output_goes_into_fifos_and_devices_and_replaces_only_files() {
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), &good_config());
    outputs::odd_targets(&plugin_build_command(&build_into(&context)));
}

#[test]
fn plugin_build_output_on_a_full_disk_is_blamed_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Zeros gzip to almost nothing: random bytes fill the disk.
    let context = context(dir.path(), &good_config());
    let mut random = vec![0u8; 1 << 20];
    getrandom::fill(&mut random).unwrap();
    std::fs::write(context.join("rootfs/random"), random).unwrap();
    outputs::full_disk(&plugin_build_command(&build_into(&context)));
}

#[test]
fn plugin_build_output_interrupted_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let context = sparse_context(dir.path(), 2 << 30);
    for signal in ["INT", "TERM"] {
        outputs::interrupted(&plugin_build_command(&build_into(&context)), signal);
    }
}
