//! Incremental loads (`build --load --base`, `load FILE --base`): layers
//! the base image holds, by chain, go in as placeholders; the engine's
//! refusal of them falls back to sending every layer.

use crate::harness::{
    EPOCH, Ocipipe, a_layer, build, busybox_root, docker_ok, engine_layers, engine_tags,
    layer_digests, ocipipe, unique_repo,
};
use std::path::PathBuf;
use std::process::Command;

#[test]
fn incremental_load_skips_layers_the_engine_has() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let layers: Vec<PathBuf> = (0..3)
        .map(|i| {
            a_layer(
                dir.path(),
                &format!("l{i}"),
                &format!("layer {i}\n").repeat(10_000),
            )
        })
        .collect();
    let base_repo = unique_repo("base");
    let mut args = vec!["--layer".to_string(), root.display().to_string()];
    for l in &layers {
        args.extend(["--layer".to_string(), l.display().to_string()]);
    }
    let base_args: Vec<&str> = args.iter().map(String::as_str).collect();
    build(&[&base_args[..], &["-t", &base_repo, "--load"]].concat());

    let changed = a_layer(dir.path(), "changed", "a new top layer\n");
    let app_repo = unique_repo("app");
    let app_args = [
        &base_args[..],
        &[
            "--layer",
            changed.to_str().unwrap(),
            "--cmd",
            r#"["/bin/busybox","cat","/data/changed","/data/l1"]"#,
            "-t",
            &app_repo,
        ],
    ]
    .concat();
    let incremental = build(&[&app_args[..], &["--load", "--base", &base_repo]].concat());
    let skipped = incremental["bytes_skipped"].as_u64().unwrap();
    let total: u64 = incremental["layers"].as_array().unwrap()[..4]
        .iter()
        .map(|l| l["size"].as_u64().unwrap())
        .sum();
    assert_eq!(skipped, total, "the four base layers were not sent");
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &app_repo]),
        format!("a new top layer\n{}", "layer 1\n".repeat(10_000))
    );

    let archive = dir.path().join("full.tar");
    let full = build(&[&app_args[..], &["-o", archive.to_str().unwrap()]].concat());
    assert_eq!(
        full["image_id"], incremental["image_id"],
        "the same image either way"
    );
}

#[test]
fn a_missing_base_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let top = a_layer(dir.path(), "top", "top\n");
    let run = ocipipe(&[
        "image",
        "build",
        "--layer",
        top.to_str().unwrap(),
        "-t",
        &unique_repo("no-base"),
        "--load",
        "--base",
        &unique_repo("absent"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.first_error_line().contains("no such image"),
        "{}",
        run.stderr
    );
}

#[test]
fn incremental_load_falls_back_when_the_engine_refuses_placeholders() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let top = a_layer(dir.path(), "top", "the top layer\n");
    let base = unique_repo("lying-base");
    build(&["--layer", root.to_str().unwrap(), "-t", &base, "--load"]);
    // Learn the top layer's digest, then have a proxy in front of the real
    // engine claim that the base image holds it too: the engine will
    // refuse the placeholder for a layer it does not have.
    let app_args = [
        "--layer",
        root.to_str().unwrap(),
        "--layer",
        top.to_str().unwrap(),
        "--cmd",
        r#"["/bin/busybox","cat","/data/top"]"#,
    ];
    let probe = build(
        &[
            &app_args[..],
            &["-o", dir.path().join("probe.tar").to_str().unwrap()],
        ]
        .concat(),
    );
    let top_digest = probe["layers"][1]["digest"].as_str().unwrap().to_string();
    let engine = crate::harness::docker_host();
    let proxy_socket = dir.path().join("proxy.sock");
    let mut proxy = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/engine-fault-proxy.py"
        ))
        .args([
            proxy_socket.to_str().unwrap(),
            engine.trim_start_matches("unix://"),
            // The engine is given names in their familiar form.
            &format!("{base}:latest"),
            &top_digest,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    std::io::BufReader::new(proxy.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");

    let app = unique_repo("fallback");
    let run = Ocipipe::new()
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("DOCKER_HOST", &format!("unix://{}", proxy_socket.display()))
        .run(
            &[
                &["image", "build", "--json", "-v"][..],
                &app_args[..],
                &[
                    "-t",
                    &app,
                    "--load",
                    "--base",
                    &format!("docker.io/{base}:latest"),
                ],
            ]
            .concat(),
        );
    drop(proxy.stdin.take());
    let _ = proxy.wait();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("refused the placeholder layers; loading every layer"),
        "the fallback is logged: {}",
        run.stderr
    );
    let built = run.json_lines().remove(0);
    assert_eq!(
        built["bytes_skipped"], 0,
        "the second load sent every layer"
    );
    assert_eq!(built["image_id"], probe["image_id"]);
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &app]),
        "the top layer\n"
    );
}

#[test]
fn loading_an_archive_skips_layers_the_base_has() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let shared = a_layer(dir.path(), "shared", &"shared\n".repeat(20_000));
    let top = a_layer(dir.path(), "top", "top\n");
    let base = unique_repo("archive-base");
    build(&[
        "--layer",
        root.to_str().unwrap(),
        "--layer",
        shared.to_str().unwrap(),
        "-t",
        &base,
        "--load",
    ]);
    let app = unique_repo("archive-app");
    let archive = dir.path().join("app.tar");
    let built = build(&[
        "--layer",
        root.to_str().unwrap(),
        "--layer",
        shared.to_str().unwrap(),
        "--layer",
        top.to_str().unwrap(),
        "--cmd",
        r#"["/bin/busybox","cat","/data/top"]"#,
        "-t",
        &app,
        "-o",
        archive.to_str().unwrap(),
    ]);
    let base_bytes: u64 = built["layers"].as_array().unwrap()[..2]
        .iter()
        .map(|l| l["size"].as_u64().unwrap())
        .sum();

    let run = ocipipe(&[
        "image",
        "load",
        "--json",
        archive.to_str().unwrap(),
        "--base",
        &base,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let loaded = run.json_lines().remove(0);
    assert_eq!(
        loaded["bytes_skipped"], base_bytes,
        "the two base layers were not sent"
    );
    assert_eq!(
        loaded["names"],
        serde_json::json!([format!("{app}:latest")])
    );
    assert_eq!(
        engine_tags(built["image_id"].as_str().unwrap()),
        [format!("{app}:latest")]
    );
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &app]),
        "top\n"
    );

    let piped = Ocipipe::new().run_with_stdin_bytes(&["image", "load", "-", "--base", &base], b"");
    assert_eq!(piped.code, 1);
    assert!(
        piped.first_error_line().contains("standard input is empty"),
        "{}",
        piped.stderr
    );
}

/// `image build --json -v ARGS` at the fixed epoch: the report and stderr.
fn build_verbose(args: &[&str]) -> (serde_json::Value, String) {
    let run = Ocipipe::new()
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .run(&[&["image", "build", "--json", "-v"][..], args].concat());
    assert_eq!(run.code, 0, "build {args:?}: {}", run.stderr);
    (run.json_lines().remove(0), run.stderr)
}

/// Layers A (a busybox root), B and C, each with bytes of its own, and a
/// base image of A and B loaded into the engine.
fn three_layers_and_a_base(dir: &std::path::Path) -> ([String; 3], String) {
    let a = busybox_root(dir);
    let b = a_layer(dir, "b", &"layer b\n".repeat(5_000));
    let c = a_layer(dir, "c", "layer c\n");
    let [a, b, c] = [a, b, c].map(|l| l.display().to_string());
    let base = unique_repo("ab-base");
    build(&["--layer", &a, "--layer", &b, "-t", &base, "--load"]);
    ([a, b, c], base)
}

#[test]
fn a_base_layer_at_another_position_is_sent_not_omitted() {
    let dir = tempfile::tempdir().unwrap();
    let ([_, b, c], base) = three_layers_and_a_base(dir.path());

    // The base has B on top of A; the app has B at the bottom: the same
    // diff ID, another chain, so the engine has nothing of the app.
    let app = unique_repo("bc-app");
    let (built, stderr) = build_verbose(&[
        "--layer", &b, "--layer", &c, "-t", &app, "--load", "--base", &base,
    ]);
    assert_eq!(built["bytes_skipped"], 0, "nothing omitted: {built}");
    assert!(
        !stderr.contains("refused the placeholder layers"),
        "no fallback was needed: {stderr}"
    );
    assert_eq!(
        engine_tags(built["image_id"].as_str().unwrap()),
        [format!("{app}:latest")]
    );
    assert_eq!(engine_layers(&app), layer_digests(&built));
}

#[test]
fn base_layers_at_the_same_positions_are_omitted() {
    let dir = tempfile::tempdir().unwrap();
    let ([a, b, c], base) = three_layers_and_a_base(dir.path());

    let app = unique_repo("abc-app");
    let (built, stderr) = build_verbose(&[
        "--layer",
        &a,
        "--layer",
        &b,
        "--layer",
        &c,
        "--cmd",
        r#"["/bin/busybox","cat","/data/b","/data/c"]"#,
        "-t",
        &app,
        "--load",
        "--base",
        &base,
    ]);
    let sizes: Vec<u64> = built["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["size"].as_u64().unwrap())
        .collect();
    assert_eq!(
        built["bytes_skipped"].as_u64().unwrap(),
        sizes[0] + sizes[1],
        "A and B omitted, C sent: {built}"
    );
    assert!(
        !stderr.contains("refused the placeholder layers"),
        "{stderr}"
    );
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &app]),
        format!("{}layer c\n", "layer b\n".repeat(5_000))
    );
}
