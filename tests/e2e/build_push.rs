//! `image build --push`: straight to a registry, layers compressed once;
//! docker pulls and runs the result, skopeo agrees on its digest.

use crate::harness::{busybox_root, docker_ok, ocipipe, registry, sha256_hex, tool, unique_repo};
use std::io::Read;

/// The blob `digest` of `repo` on the plain test registry.
fn blob(repo: &str, digest: &str) -> Vec<u8> {
    let url = format!("http://{}/v2/{repo}/blobs/{digest}", registry());
    let out = std::process::Command::new("curl")
        .args(["-sfL", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "GET {url}");
    out.stdout
}

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

    let manifest: serde_json::Value = serde_json::from_str(&tool(
        "skopeo",
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{first}"),
        ],
    ))
    .unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&blob(&repo, manifest["config"]["digest"].as_str().unwrap()))
            .unwrap();
    let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), diff_ids.len());
    for (layer, diff_id) in layers.iter().zip(diff_ids) {
        assert_eq!(
            layer["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+gzip"
        );
        let stored = blob(&repo, layer["digest"].as_str().unwrap());
        assert_eq!(
            format!("sha256:{}", sha256_hex(&stored)),
            layer["digest"].as_str().unwrap()
        );
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(stored.as_slice())
            .read_to_end(&mut tar)
            .unwrap();
        assert_eq!(
            format!("sha256:{}", sha256_hex(&tar)),
            diff_id.as_str().unwrap()
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
    let name = format!("{}/{}:1", registry(), unique_repo("build-push-none"));
    let lines = push(&dir.path().join("a"), &name, &["--compression", "none"]);
    let manifest: serde_json::Value = serde_json::from_str(&tool(
        "skopeo",
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{name}"),
        ],
    ))
    .unwrap();
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
