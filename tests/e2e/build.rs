//! `ocipipe image build --load|load|save|ls` against the real engine;
//! `docker` runs what we load.

use crate::harness::{
    EPOCH, Ocipipe, a_layer, build, busybox_root, docker_ok, engine_tags, ocipipe, unique_repo,
};
use std::path::PathBuf;
use std::process::Command;

#[test]
fn a_built_image_loads_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let repo = unique_repo("runs");
    let archive = dir.path().join("image.tar");
    let names = format!("{repo}:v1,{repo}:stable");
    let built = build(&[
        "--layer",
        root.to_str().unwrap(),
        "--cmd",
        r#"["/bin/busybox","cat","/etc/app/greeting"]"#,
        "--env",
        "GREETING=hi",
        "--label",
        "org.example.team=images",
        "--workdir",
        "/etc/app",
        "-t",
        &names,
        "-o",
        archive.to_str().unwrap(),
    ]);
    let id = built["image_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    assert_eq!(
        built["repo_tags"],
        serde_json::json!([
            format!("docker.io/{repo}:v1"),
            format!("docker.io/{repo}:stable")
        ])
    );

    let loaded = ocipipe(&["image", "load", "--json", archive.to_str().unwrap()]);
    assert_eq!(loaded.code, 0, "{}", loaded.stderr);
    let report = &loaded.json_lines()[0];
    assert_eq!(
        report["names"],
        serde_json::json!([format!("{repo}:v1"), format!("{repo}:stable")])
    );
    assert_eq!(
        engine_tags(&id),
        [format!("{repo}:stable"), format!("{repo}:v1")]
    );

    let out = docker_ok(&["run", "--rm", "--network", "none", &format!("{repo}:v1")]);
    assert_eq!(out, "hello from ocipipe\n");
    let out = docker_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        &format!("{repo}:v1"),
        "/bin/busybox",
        "sh",
        "-c",
        "echo $GREETING; pwd",
    ]);
    assert_eq!(out, "hi\n/etc/app\n");

    let inspect: serde_json::Value =
        serde_json::from_str(&docker_ok(&["image", "inspect", &id])).unwrap();
    let config = &inspect[0]["Config"];
    assert_eq!(
        config["Cmd"],
        serde_json::json!(["/bin/busybox", "cat", "/etc/app/greeting"])
    );
    assert!(
        config["Env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "GREETING=hi")
    );
    assert_eq!(config["Labels"]["org.example.team"], "images");
    assert_eq!(inspect[0]["Created"], "2023-11-14T22:13:20Z");
    let history = docker_ok(&["history", "--no-trunc", "--format", "{{.CreatedAt}}", &id]);
    assert_eq!(history.lines().count(), 1, "{history}");
}

#[test]
fn build_load_streams_into_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let repo = unique_repo("load");
    let built = build(&[
        "--layer",
        root.to_str().unwrap(),
        "--layer",
        a_layer(dir.path(), "extra", "more\n").to_str().unwrap(),
        "--cmd",
        r#"["/bin/busybox","cat","/data/extra"]"#,
        "-t",
        &repo,
        "--load",
    ]);
    assert_eq!(built["layers"].as_array().unwrap().len(), 2);
    assert_eq!(
        built["loaded"]["names"],
        serde_json::json!([format!("{repo}:latest")])
    );
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &repo]),
        "more\n"
    );

    // The same image to a file has the same ID: one config, three outputs.
    let archive = dir.path().join("same.tar");
    let again = build(&[
        "--layer",
        root.to_str().unwrap(),
        "--layer",
        dir.path().join("extra").to_str().unwrap(),
        "--cmd",
        r#"["/bin/busybox","cat","/data/extra"]"#,
        "-o",
        archive.to_str().unwrap(),
    ]);
    assert_eq!(again["image_id"], built["image_id"]);
}

#[test]
fn docker_save_round_trips_through_ocipipe_load() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let repo = unique_repo("roundtrip");
    let built = build(&["--layer", root.to_str().unwrap(), "-t", &repo, "--load"]);
    let id = built["image_id"].as_str().unwrap();

    let saved = dir.path().join("saved.tar");
    docker_ok(&["save", "-o", saved.to_str().unwrap(), &repo]);
    docker_ok(&["rmi", &repo]);
    let loaded = ocipipe(&["image", "load", "--json", saved.to_str().unwrap()]);
    assert_eq!(loaded.code, 0, "{}", loaded.stderr);
    assert_eq!(
        loaded.json_lines()[0]["names"],
        serde_json::json!([format!("{repo}:latest")])
    );
    assert_eq!(engine_tags(id), [format!("{repo}:latest")]);

    // ocipipe save, then load from stdin.
    let ours = dir.path().join("ours.tar");
    let run = ocipipe(&["image", "save", &repo, "-o", ours.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    docker_ok(&["rmi", &repo]);
    let bytes = std::fs::read(&ours).unwrap();
    let run = Ocipipe::new().run_with_stdin_bytes(&["image", "load", "-"], &bytes);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("Loaded image: {repo}:latest")),
        "{}",
        run.stdout
    );

    let listed = ocipipe(&["image", "ls", "--json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(
        listed.json_lines().iter().any(|i| i["id"] == id),
        "image ls lists it"
    );
}

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
fn a_save_of_a_missing_image_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("saved.tar");
    let run = ocipipe(&[
        "image",
        "save",
        &unique_repo("nothing"),
        "-o",
        save.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.first_error_line().contains("no such image"),
        "{}",
        run.stderr
    );
    crate::harness::only(dir.path(), &[]);
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
