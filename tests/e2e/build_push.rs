//! `image build --push`: straight to a registry, layers compressed once;
//! docker pulls and runs the result, skopeo agrees on its digest.

use crate::harness::{
    FaultProxy, busybox_root, docker_ok, ocipipe, registry, sha256_hex, tool, unique_repo,
};
use crate::registry::{Env, layers_check_out, manifest_exists, refused, skopeo_digest, skopeo_raw};
use serde_json::json;

/// Builds the busybox image into `names` with `--push` and `extra`; the JSON lines.
fn push(dir: &std::path::Path, names: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let root = busybox_root(dir);
    let mut args = vec![
        "image",
        "build",
        "--json",
        "--layer",
        root.to_str().unwrap(),
        "--cmd",
        r#"["/bin/busybox","echo","pushed by ocipipe"]"#,
        "-t",
        names,
        "--push",
    ];
    args.extend_from_slice(extra);
    let run = ocipipe(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json_lines()
}

#[test]
fn a_pushed_build_runs_and_its_gzip_layers_gunzip_to_their_diff_ids() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("build-push");
    let (first, second) = (
        format!("{}/{repo}:1", registry()),
        format!("{}/{repo}:2", registry()),
    );
    let lines = push(dir.path(), &format!("{first},{second}"), &[]);
    assert_eq!(lines.len(), 2);
    let digest = lines[0]["digest"].as_str().unwrap().to_string();
    assert_eq!(lines[1]["digest"], lines[0]["digest"]);
    assert!(
        lines[1]["bytes_sent"].as_u64().unwrap() == 0,
        "the second name sends nothing: {lines:?}"
    );
    for name in [&first, &second] {
        let inspected = tool(
            "skopeo",
            &["inspect", "--tls-verify=false", &format!("docker://{name}")],
        );
        let inspected: serde_json::Value = serde_json::from_str(&inspected).unwrap();
        assert_eq!(inspected["Digest"], digest.as_str());
    }

    let manifest = layers_check_out(&repo, &first);
    for layer in manifest["layers"].as_array().unwrap() {
        assert_eq!(
            layer["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+gzip"
        );
    }

    docker_ok(&["pull", &first]);
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &first]),
        "pushed by ocipipe\n"
    );
}

#[test]
fn uncompressed_pushes_keep_the_tar_and_a_push_needs_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("build-push-none");
    let name = format!("{}/{repo}:1", registry());
    let lines = push(&dir.path().join("a"), &name, &["--compression", "none"]);
    let manifest = layers_check_out(&repo, &name);
    assert_eq!(
        manifest["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar"
    );
    assert_eq!(lines[0]["name"], name.as_str());

    let root = busybox_root(&dir.path().join("b"));
    let run = ocipipe(&[
        "image",
        "build",
        "--layer",
        root.to_str().unwrap(),
        "--push",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_error_line().contains("no name to push to"),
        "{}",
        run.stderr
    );
}

#[test]
fn zstd_layers_unpack_to_their_diff_ids_and_the_image_runs() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("build-push-zstd");
    let name = format!("{}/{repo}:1", registry());
    let lines = push(dir.path(), &name, &["--compression", "zstd"]);
    let manifest = layers_check_out(&repo, &name);
    assert_eq!(
        manifest["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+zstd"
    );
    assert_eq!(skopeo_digest(&name), lines[0]["digest"].as_str().unwrap());
    // skopeo copies it out, and ocipipe builds on it.
    let pulled = dir.path().join("pulled");
    tool(
        "skopeo",
        &[
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{name}"),
            &format!("oci:{}:1", pulled.display()),
        ],
    );
    let run = ocipipe(&[
        "image",
        "build",
        "--from",
        &format!("oci:{}:1", pulled.display()),
        "-t",
        "ocipipe-test/zstd-child:1",
        "--load",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        docker_ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "ocipipe-test/zstd-child:1"
        ]),
        "pushed by ocipipe\n"
    );
    docker_ok(&["rmi", "ocipipe-test/zstd-child:1"]);
}

#[test]
fn a_base_stored_compressed_is_mounted_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("build-push-base");
    let base = format!("{}/{repo}:base", registry());
    push(&dir.path().join("base"), &base, &[]);
    let base_manifest: serde_json::Value = serde_json::from_str(&skopeo_raw(&base)).unwrap();

    let extra = dir.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(extra.join("greeting"), "hello from the top layer\n").unwrap();
    // Another repository of the same registry: the base's blob is mounted.
    let child_repo = unique_repo("build-push-child");
    let child = format!("{}/{child_repo}:1", registry());
    let run = ocipipe(&[
        "image",
        "build",
        "--json",
        "--from",
        &format!("docker://{base}"),
        "--layer",
        extra.to_str().unwrap(),
        "--cmd",
        "cat /greeting",
        "-t",
        &child,
        "--push",
        "--compression",
        "none",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json_lines().remove(0);
    let manifest = layers_check_out(&child_repo, &child);
    let layers = manifest["layers"].as_array().unwrap();
    // The base's layer, byte for byte (still gzip), then ours, uncompressed.
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0], base_manifest["layers"][0]);
    assert_eq!(
        layers[1]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar"
    );
    // The base layer was mounted: only ours and the config went.
    let sent = report["bytes_sent"].as_u64().unwrap();
    let ours = layers[1]["size"].as_u64().unwrap() + manifest["config"]["size"].as_u64().unwrap();
    assert_eq!(sent, ours, "{report}");

    docker_ok(&["pull", &child]);
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &child]),
        "hello from the top layer\n"
    );
}

#[test]
fn a_layer_cut_mid_upload_is_made_again_and_a_registry_that_keeps_cutting_tags_nothing() {
    let env = Env::new();
    let big = env.random_layer("big", 3 << 20);
    let cut = json!([{"method": "PATCH", "path": "/blobs/uploads/", "nth": 1,
                      "action": "cut_request", "after": 100000}]);
    let proxy = FaultProxy::start(&registry(), cut);
    let repo = unique_repo("build-push-cut");
    let target = format!("{}/{repo}:1", proxy.address());
    let build = |target: &str| {
        env.ocipipe().run(&[
            "image",
            "build",
            "--json",
            "--layer",
            big.to_str().unwrap(),
            "-t",
            target,
            "--push",
        ])
    };
    let run = build(&target);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(proxy.faults("cut_request"), 1);
    let pushed = run.json_lines().remove(0);
    assert_eq!(skopeo_digest(&target), pushed["digest"].as_str().unwrap());
    layers_check_out(&repo, &format!("{}/{repo}:1", registry()));

    // Every try cut: the push gives up, and the tag names nothing.
    let always = json!([{"method": "PATCH", "path": "/blobs/uploads/",
                         "action": "cut_request", "after": 100000}]);
    let proxy = FaultProxy::start(&registry(), always);
    let repo = unique_repo("build-push-cut-always");
    let run = build(&format!("{}/{repo}:1", proxy.address()));
    refused(&run, "gave up after 5 tries");
    assert!(
        !manifest_exists(&repo, "1"),
        "the tag exists after a failed push"
    );
}

#[test]
fn one_build_pushes_loads_and_writes_the_same_image() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("build-push-all");
    let name = format!("{}/{repo}:1", registry());
    let archive = dir.path().join("image.tar");
    let layout = dir.path().join("layout");
    let lines = push(
        dir.path(),
        &name,
        &[
            "--load",
            "-o",
            archive.to_str().unwrap(),
            "--oci-layout",
            layout.to_str().unwrap(),
        ],
    );
    // The archive, the layout and the engine in the order given, then the push.
    assert_eq!(lines.len(), 4, "{lines:?}");
    let outputs: Vec<&str> = lines[..3]
        .iter()
        .map(|l| l["output"].as_str().unwrap())
        .collect();
    assert_eq!(outputs[0], archive.to_str().unwrap());
    assert_eq!(outputs[1], layout.to_str().unwrap());
    assert_eq!(lines[3]["name"], name.as_str());
    let image_id = lines[0]["image_id"].as_str().unwrap();
    for line in &lines {
        assert_eq!(line["image_id"], image_id, "{lines:?}");
    }
    assert_eq!(lines[0]["manifest_digest"], lines[1]["manifest_digest"]);

    // Each output, read by its own tool, holds that image.
    assert_eq!(
        docker_ok(&["image", "inspect", "--format", "{{.Id}}", &name]).trim(),
        image_id
    );
    let from_archive = tool(
        "skopeo",
        &[
            "inspect",
            "--config",
            &format!("docker-archive:{}", archive.display()),
        ],
    );
    let from_layout = tool(
        "skopeo",
        &["inspect", "--config", &format!("oci:{}", layout.display())],
    );
    assert_eq!(
        format!("sha256:{}", sha256_hex(from_archive.trim_end().as_bytes())),
        format!("sha256:{}", sha256_hex(from_layout.trim_end().as_bytes()))
    );
    assert_eq!(skopeo_digest(&name), lines[3]["digest"].as_str().unwrap());
    let pushed_config: serde_json::Value = serde_json::from_str(&skopeo_raw(&name)).unwrap();
    assert_eq!(pushed_config["config"]["digest"], image_id);
    docker_ok(&["rmi", &name]);
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &name]),
        "pushed by ocipipe\n",
        "the pushed image runs once pulled"
    );
}

/// The blob digests the proxy was asked to `GET` among `requests`.
fn blob_gets(requests: &[serde_json::Value]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r["method"] == "GET")
        .filter_map(|r| {
            let path = r["path"].as_str()?;
            let (_, digest) = path.split_once("/blobs/")?;
            Some(digest.split('?').next()?.to_string())
        })
        .collect()
}

#[test]
fn a_base_in_the_same_registry_is_not_downloaded_and_one_elsewhere_streams_through() {
    let dir = tempfile::tempdir().unwrap();
    // Every request of the build goes through the proxy, which logs it.
    let proxy = FaultProxy::start(&registry(), json!([]));
    let repo = unique_repo("build-push-lazy-base");
    let base = format!("{}/{repo}:base", proxy.address());
    push(&dir.path().join("base"), &base, &[]);
    let base_manifest: serde_json::Value =
        serde_json::from_str(&skopeo_raw(&format!("{}/{repo}:base", registry()))).unwrap();
    let base_layer = base_manifest["layers"][0]["digest"].as_str().unwrap();
    let base_config = base_manifest["config"]["digest"].as_str().unwrap();

    let extra = dir.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(extra.join("greeting"), "hello from the top layer\n").unwrap();
    let build = |from: &str, to: &str| {
        let run = ocipipe(&[
            "image",
            "build",
            "--json",
            "--from",
            &format!("docker://{from}"),
            "--layer",
            extra.to_str().unwrap(),
            "--cmd",
            "cat /greeting",
            "-t",
            to,
            "--push",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json_lines().remove(0)
    };

    // Another repository of the same registry: the base's config is read,
    // its layer is not (it is mounted).
    let seen = proxy.requests().len();
    let child_repo = unique_repo("build-push-lazy-child");
    build(&base, &format!("{}/{child_repo}:1", proxy.address()));
    let requests = proxy.requests().split_off(seen);
    assert_eq!(blob_gets(&requests), [base_config], "{requests:#?}");
    let child = format!("{}/{child_repo}:1", registry());
    let manifest = layers_check_out(&child_repo, &child);
    assert_eq!(manifest["layers"][0]["digest"], base_layer);

    // Another registry (the registry itself, not the proxy): the base's
    // layer is downloaded once, through the proxy, and sent on.
    let seen = proxy.requests().len();
    let other_repo = unique_repo("build-push-lazy-other");
    let other = format!("{}/{other_repo}:1", registry());
    let report = build(&base, &other);
    let requests = proxy.requests().split_off(seen);
    let mut gets = blob_gets(&requests);
    gets.sort();
    let mut expected = vec![base_config.to_string(), base_layer.to_string()];
    expected.sort();
    assert_eq!(gets, expected, "{requests:#?}");
    let manifest = layers_check_out(&other_repo, &other);
    assert_eq!(manifest["layers"][0]["digest"], base_layer);
    let layer_size = manifest["layers"][0]["size"].as_u64().unwrap();
    assert!(
        report["bytes_sent"].as_u64().unwrap() > layer_size,
        "{report}"
    );

    docker_ok(&["pull", &other]);
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &other]),
        "hello from the top layer\n"
    );
}

#[test]
fn a_push_beside_an_output_that_fails_tags_nothing() {
    // The archive goes into a full device: it fails while the push runs
    // beside it, and the push, whole but for its tag, is not tagged.
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let repo = unique_repo("build-push-beside");
    let name = format!("{}/{repo}:1", registry());
    let layout = dir.path().join("layout");
    let run = ocipipe(&[
        "image",
        "build",
        "--layer",
        root.to_str().unwrap(),
        "-t",
        &name,
        "--push",
        "-o",
        "/dev/full",
        "--oci-layout",
        layout.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.first_error_line().contains("/dev/full"),
        "the archive's failure is the one reported: {}",
        run.stderr
    );
    assert!(!manifest_exists(&repo, "1"), "{name} was tagged");
    // The layout the others were made from is whole.
    let config = tool(
        "skopeo",
        &["inspect", "--config", &format!("oci:{}", layout.display())],
    );
    assert!(config.contains("\"rootfs\""), "{config}");
}
