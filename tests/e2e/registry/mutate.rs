//! `image mutate SRC DST` and `image append SRC DST`: configs edited and
//! layers added without a rebuild, between every transport. The engine runs the results, skopeo reads them, and
//! the fault proxy's log shows that a registry-to-registry edit downloads
//! no layer.

use super::{Env, digest, layout_index, n, skopeo_digest};
use crate::harness::{FaultProxy, docker_ok, registry, tool, unique_repo};
use serde_json::json;

/// `ocipipe --json image mutate FROM TO ARGS`, asserting success; its
/// report.
fn mutate_ok(env: &Env, from: &str, to: &str, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["image", "mutate", from, to];
    full.extend_from_slice(args);
    env.json_ok(&full).remove(0)
}

/// The config of the image `reference` names, as skopeo reads it.
fn skopeo_config(reference: &str) -> serde_json::Value {
    let out = tool(
        "skopeo",
        &["inspect", "--config", "--tls-verify=false", reference],
    );
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_mutate_between_repositories_of_one_registry_sends_a_config_and_a_manifest_and_downloads_no_layer()
 {
    let env = Env::new();
    let big = env.random_layer("big", 2 << 20);
    let image = env.image("layout", &["--layer", big.to_str().unwrap()]);
    let from_repo = format!("{}:1", unique_repo("mutate-from"));
    env.copy_ok(&[], &image, &format!("docker://{}/{from_repo}", registry()));
    let to_repo = format!("{}:1", unique_repo("mutate-to"));

    let proxy = FaultProxy::start(&registry(), json!([]));
    let report = mutate_ok(
        &env,
        &format!("docker://{}/{from_repo}", proxy.address()),
        &format!("docker://{}/{to_repo}", proxy.address()),
        &[
            "--env",
            "GREETING=hello",
            "--label",
            "org.example.team=images",
            "--cmd",
            r#"["/bin/busybox","sh","-c","echo $GREETING"]"#,
            "--annotation",
            "org.example.note=edited",
        ],
    );
    let requests = proxy.requests();
    let blob_gets: Vec<&str> = (requests.iter())
        .filter(|r| r["method"] == "GET")
        .filter_map(|r| r["path"].as_str())
        .filter(|p| p.contains("/blobs/"))
        .collect();
    // The config alone is read; the layers are mounted.
    assert_eq!(blob_gets.len(), 1, "{blob_gets:?}");
    assert!(n(&report, "blobs_mounted") >= 2, "{report}");
    assert!(n(&report, "bytes_sent") < 64 << 10, "{report}");

    let target = format!("{}/{to_repo}", registry());
    assert_eq!(skopeo_digest(&target), digest(&report));
    let config = skopeo_config(&format!("docker://{target}"));
    assert!(
        (config["config"]["Env"].as_array().unwrap()).contains(&json!("GREETING=hello")),
        "{config}"
    );
    assert_eq!(config["config"]["Labels"]["org.example.team"], "images");
    let history = config["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["empty_layer"], true, "{config}");
    assert!(
        (history.last().unwrap()["created_by"].as_str().unwrap())
            .starts_with("ocipipe image mutate --env=GREETING=hello"),
        "{config}"
    );
    let manifest: serde_json::Value = serde_json::from_str(&tool(
        "skopeo",
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{target}"),
        ],
    ))
    .unwrap();
    assert_eq!(manifest["annotations"]["org.example.note"], "edited");
    assert_eq!(
        report["images"][0]["image_id"],
        manifest["config"]["digest"]
    );

    docker_ok(&["pull", &target]);
    let out = docker_ok(&["run", "--rm", "--network", "none", &target]);
    assert_eq!(out, "hello\n");
    docker_ok(&["image", "rm", &target]);
}

#[test]
fn the_same_edit_gives_the_same_digest_wherever_it_is_written() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let edit = ["--label", "a=b", "--created", "1700000000"];
    let registry_target = format!("docker://{}/{}:1", registry(), unique_repo("same-edit"));
    let first = mutate_ok(&env, &image, &registry_target, &edit);
    let layout = env.path("edited");
    let second = mutate_ok(&env, &image, &format!("oci:{}:e", layout.display()), &edit);
    assert_eq!(digest(&first), digest(&second));
    assert_eq!(
        layout_index(&layout)["manifests"][0]["digest"],
        digest(&first)
    );
    // Edited again: another image, one more history entry.
    let third = mutate_ok(
        &env,
        &registry_target,
        &format!("oci:{}:f", layout.display()),
        &edit,
    );
    assert_ne!(digest(&third), digest(&first));
}

#[test]
fn every_platform_of_an_index_is_edited_and_the_index_keeps_its_platforms() {
    let env = Env::new();
    let multi = env.multi_platform("multi", &["amd64", "arm64"]);
    let layout = env.path("edited");
    let report = mutate_ok(
        &env,
        &multi.source,
        &format!("oci:{}:1.0", layout.display()),
        &[
            "--label",
            "org.example.edited=yes",
            "--index-annotation",
            "org.example.index=kept",
        ],
    );
    let images = report["images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "{report}");
    assert_eq!(images[0]["platform"], "linux/amd64");
    assert_eq!(images[1]["platform"], "linux/arm64");
    let blob = |digest: &serde_json::Value| -> serde_json::Value {
        let hex = digest.as_str().unwrap().trim_start_matches("sha256:");
        serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap())
            .unwrap()
    };
    for (image, old) in images.iter().zip(&multi.digests) {
        assert_ne!(image["digest"], old.as_str());
        let manifest = blob(&image["digest"]);
        assert_eq!(manifest["config"]["digest"], image["image_id"]);
        let config = blob(&image["image_id"]);
        assert_eq!(config["config"]["Labels"]["org.example.edited"], "yes");
    }
    // skopeo reads it: this machine's platform, with the new label.
    let inspected: serde_json::Value = serde_json::from_str(&tool(
        "skopeo",
        &["inspect", &format!("oci:{}:1.0", layout.display())],
    ))
    .unwrap();
    assert_eq!(
        inspected["Labels"]["org.example.edited"], "yes",
        "{inspected}"
    );
    let index = blob(&report["digest"]);
    assert_eq!(index["annotations"]["org.example.index"], "kept");
    assert_eq!(index["manifests"][1]["platform"]["architecture"], "arm64");
    assert_eq!(index["manifests"][0]["digest"], images[0]["digest"]);

    // --platform narrows it to one image.
    let one = mutate_ok(
        &env,
        &multi.source,
        &format!("oci:{}:one", layout.display()),
        &[
            "--label",
            "org.example.edited=yes",
            "--platform",
            "linux/arm64",
        ],
    );
    assert_eq!(one["digest"], images[1]["digest"], "{one}");
}

#[test]
fn a_mutate_into_an_archive_and_the_engine_runs_with_the_new_command() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let cmd = ["--cmd", r#"["/bin/busybox","echo","edited"]"#];
    let name = format!("{}:daemon", unique_repo("mutate-daemon"));
    let report = mutate_ok(&env, &image, &format!("docker-daemon:{name}"), &cmd);
    assert!(report["image_id"].as_str().unwrap().starts_with("sha256:"));
    let out = docker_ok(&["run", "--rm", "--network", "none", &name]);
    assert_eq!(out, "edited\n");

    // From the engine into an archive, edited again.
    let archive = env.path("edited.tar");
    let archived = format!("{}:archived", unique_repo("mutate-archive"));
    mutate_ok(
        &env,
        &format!("docker-daemon:{name}"),
        &format!("docker-archive:{}:{archived}", archive.display()),
        &["--entrypoint", "/bin/busybox echo from-shell"],
    );
    docker_ok(&["image", "rm", &name]);
    docker_ok(&["load", "-i", archive.to_str().unwrap()]);
    let out = docker_ok(&["run", "--rm", "--network", "none", &archived]);
    assert_eq!(out, "from-shell\n");
    docker_ok(&["image", "rm", &archived]);
}

#[test]
fn an_edit_the_component_refuses_writes_nothing_and_names_what_did_not_match() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let layout = env.path("never");
    let registry_target = format!("{}/{}:1", registry(), unique_repo("never"));
    for target in [
        format!("oci:{}:x", layout.display()),
        format!("docker://{registry_target}"),
    ] {
        let run = env
            .ocipipe()
            .run(&["image", "mutate", &image, &target, "--env-rm", "NOT_THERE"]);
        assert_ne!(run.code, 0);
        assert!(run.stderr.contains("NOT_THERE"), "{}", run.stderr);
        assert!(
            run.stderr.contains("PATH"),
            "lists what it has: {}",
            run.stderr
        );
    }
    assert!(!layout.exists(), "a layout was written");
    let listed = crate::harness::Ocipipe::new().run(&[
        "copy",
        &format!("docker://{registry_target}"),
        &format!("oci:{}:y", env.path("probe").display()),
    ]);
    assert_ne!(listed.code, 0, "the tag exists");

    let run = env.ocipipe().run(&[
        "image",
        "mutate",
        &image,
        &format!("oci:{}:x", layout.display()),
        "--annotation",
        "no-equals-sign",
    ]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("KEY=VALUE"), "{}", run.stderr);
    assert!(!layout.exists(), "a layout was written");
}

/// A layer directory `name` holding `etc/app/added` = "appended\n".
fn added_layer(env: &Env, name: &str) -> std::path::PathBuf {
    let dir = env.path(name);
    std::fs::create_dir_all(dir.join("etc/app")).unwrap();
    std::fs::write(dir.join("etc/app/added"), "appended\n").unwrap();
    dir
}

#[test]
fn an_append_between_repositories_of_one_registry_reads_no_base_layer_and_docker_runs_it() {
    let env = Env::new();
    let big = env.random_layer("big", 2 << 20);
    let image = env.image("layout", &["--layer", big.to_str().unwrap()]);
    let from_repo = format!("{}:1", unique_repo("append-from"));
    env.copy_ok(&[], &image, &format!("docker://{}/{from_repo}", registry()));
    let to_repo = format!("{}:1", unique_repo("append-to"));
    let layer = added_layer(&env, "added");

    let proxy = FaultProxy::start(&registry(), json!([]));
    let report = env.json_ok(&[
        "image",
        "append",
        &format!("docker://{}/{from_repo}", proxy.address()),
        &format!("docker://{}/{to_repo}", proxy.address()),
        "--layer",
        layer.to_str().unwrap(),
    ]);
    let report = &report[0];
    let blob_gets: Vec<String> = (proxy.requests().iter())
        .filter(|r| r["method"] == "GET")
        .filter_map(|r| r["path"].as_str().map(str::to_owned))
        .filter(|p| p.contains("/blobs/"))
        .collect();
    // The base's config alone is read.
    assert_eq!(blob_gets.len(), 1, "{blob_gets:?}");
    assert!(n(report, "bytes_sent") < 64 << 10, "{report}");

    let target = format!("{}/{to_repo}", registry());
    assert_eq!(skopeo_digest(&target), digest(report));
    let config = skopeo_config(&format!("docker://{target}"));
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 3);
    assert_eq!(
        config["config"]["Cmd"],
        json!(["/bin/busybox", "echo", "hi"])
    );
    docker_ok(&["pull", &target]);
    let out = docker_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        &target,
        "/bin/busybox",
        "cat",
        "/etc/app/added",
    ]);
    assert_eq!(out, "appended\n");
    docker_ok(&["image", "rm", &target]);
}

#[test]
fn an_append_into_a_layout_and_the_engine_adds_the_layer_on_top() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let layer = added_layer(&env, "added");
    let layout = env.path("appended");
    let report = env.json_ok(&[
        "image",
        "append",
        &image,
        &format!("oci:{}:a", layout.display()),
        "--layer",
        layer.to_str().unwrap(),
    ]);
    let inspected: serde_json::Value = serde_json::from_str(&tool(
        "skopeo",
        &["inspect", &format!("oci:{}:a", layout.display())],
    ))
    .unwrap();
    assert_eq!(inspected["Digest"], report[0]["digest"]);
    assert_eq!(
        inspected["Layers"].as_array().unwrap().len(),
        2,
        "{inspected}"
    );

    let name = format!("{}:appended", unique_repo("append-daemon"));
    env.json_ok(&[
        "image",
        "append",
        &format!("oci:{}:a", layout.display()),
        &format!("docker-daemon:{name}"),
        "--layer",
        layer.to_str().unwrap(),
    ]);
    let out = docker_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        &name,
        "/bin/busybox",
        "cat",
        "/etc/app/added",
    ]);
    assert_eq!(out, "appended\n");
    docker_ok(&["image", "rm", &name]);
}

#[test]
fn an_append_to_an_index_needs_a_platform_and_writes_nothing_without_one() {
    let env = Env::new();
    let multi = env.multi_platform("multi", &["amd64", "arm64"]);
    let layer = added_layer(&env, "added");
    let layout = env.path("never");
    let run = env.ocipipe().run(&[
        "image",
        "append",
        &multi.source,
        &format!("oci:{}:x", layout.display()),
        "--layer",
        layer.to_str().unwrap(),
    ]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("--platform"), "{}", run.stderr);
    assert!(!layout.exists());
    let report = env.json_ok(&[
        "image",
        "append",
        &multi.source,
        &format!("oci:{}:x", layout.display()),
        "--layer",
        layer.to_str().unwrap(),
        "--platform",
        "linux/arm64",
    ]);
    let config = blob_of(
        &layout,
        &blob_of(&layout, &report[0]["digest"])["config"]["digest"],
    );
    assert_eq!(config["architecture"], "arm64");
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
}

/// The JSON blob `digest` of the layout at `layout`.
fn blob_of(layout: &std::path::Path, digest: &serde_json::Value) -> serde_json::Value {
    let hex = digest.as_str().unwrap().trim_start_matches("sha256:");
    serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap()).unwrap()
}
