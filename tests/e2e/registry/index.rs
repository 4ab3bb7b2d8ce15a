//! `index create`, `index append` and `index filter`: multi-platform
//! indexes from images anywhere. skopeo and the engine read the results;
//! the fault proxy's log shows that images of one registry are mounted,
//! not downloaded.

use super::{Env, digest, layout_index, n, skopeo_raw};
use crate::harness::{FaultProxy, docker_ok, registry, unique_repo};
use serde_json::json;

/// `ocipipe --json index ARGS`, asserting success; its report.
fn index_ok(env: &Env, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["index"];
    full.extend_from_slice(args);
    env.json_ok(&full).remove(0)
}

/// An image of `arch` pushed to a repository of its own; `HOST/REPO:1`
/// without the host.
fn pushed(env: &Env, arch: &str) -> String {
    let image = env.image(
        &format!("img-{arch}"),
        &["--platform", &format!("linux/{arch}")],
    );
    let repo = format!("{}:1", unique_repo(&format!("index-{arch}")));
    env.copy_ok(&[], &image, &format!("docker://{}/{repo}", registry()));
    repo
}

/// The blob GETs the proxy was sent.
fn blob_gets(proxy: &FaultProxy) -> Vec<String> {
    (proxy.requests().iter())
        .filter(|r| r["method"] == "GET")
        .filter_map(|r| r["path"].as_str().map(str::to_owned))
        .filter(|p| p.contains("/blobs/"))
        .collect()
}

#[test]
fn an_index_of_images_from_two_repositories_mounts_their_layers_and_docker_runs_it() {
    let env = Env::new();
    let amd = pushed(&env, "amd64");
    let arm = pushed(&env, "arm64");
    let target = format!("{}:1", unique_repo("index-made"));
    let proxy = FaultProxy::start(&registry(), json!([]));
    let at = |repo: &str| format!("docker://{}/{repo}", proxy.address());
    let report = index_ok(
        &env,
        &[
            "create",
            &at(&target),
            &at(&amd),
            &at(&arm),
            "--annotation",
            "org.example.made=yes",
        ],
    );
    // Each image's config is read for its platform; no layer is.
    assert_eq!(blob_gets(&proxy).len(), 2, "{:?}", blob_gets(&proxy));
    // Two configs and the busybox layer both images share: all mounted.
    assert_eq!(n(&report, "blobs_mounted"), 3, "{report}");
    assert_eq!(n(&report, "bytes_sent"), 0, "{report}");

    let reference = format!("{}/{target}", registry());
    let index: serde_json::Value = serde_json::from_str(&skopeo_raw(&reference)).unwrap();
    assert_eq!(index["annotations"]["org.example.made"], "yes");
    let platforms: Vec<&str> = (index["manifests"].as_array().unwrap().iter())
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["amd64", "arm64"]);
    docker_ok(&["pull", &reference]);
    let out = docker_ok(&["run", "--rm", "--network", "none", &reference]);
    assert_eq!(out, "hi\n");
    docker_ok(&["image", "rm", &reference]);
    // The same images, the same index.
    let again = index_ok(
        &env,
        &[
            "create",
            &format!("oci:{}:x", env.path("again").display()),
            &format!("docker://{}/{amd}", registry()),
            &format!("docker://{}/{arm}", registry()),
            "--annotation",
            "org.example.made=yes",
        ],
    );
    assert_eq!(digest(&again), digest(&report));
}

#[test]
fn two_images_of_one_platform_are_refused_before_anything_is_written() {
    let env = Env::new();
    let one = env.image("one", &["--platform", "linux/amd64"]);
    let two = env.image("two", &["--platform", "linux/amd64", "--label", "b=2"]);
    let layout = env.path("never");
    let run = env.ocipipe().run(&[
        "index",
        "create",
        &format!("oci:{}:x", layout.display()),
        &one,
        &two,
    ]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("linux/amd64"), "{}", run.stderr);
    assert!(!layout.exists());
    let run = env.ocipipe().run(&[
        "index",
        "create",
        &format!("docker-daemon:{}", unique_repo("no")),
        &one,
    ]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("docker:// or oci:"), "{}", run.stderr);
}

#[test]
fn append_adds_images_and_keeps_the_index_and_filter_keeps_what_is_asked() {
    let env = Env::new();
    let amd = env.image("amd", &["--platform", "linux/amd64"]);
    let arm = env.image("arm", &["--platform", "linux/arm64"]);
    let layout = env.path("multi");
    let at = format!("oci:{}:1", layout.display());
    let created = index_ok(&env, &["create", &at, &amd, "--annotation", "a=b"]);
    let appended = index_ok(&env, &["append", &at, &arm]);
    assert_ne!(digest(&created), digest(&appended));
    let tagged = &layout_index(&layout)["manifests"];
    let entry = tagged
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == "1")
        .unwrap();
    assert_eq!(entry["digest"], digest(&appended));
    let hex = digest(&appended).trim_start_matches("sha256:").to_string();
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap())
            .unwrap();
    assert_eq!(index["annotations"]["a"], "b");
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2);
    // Appending an image of a platform the index has is refused.
    let run = env.ocipipe().run(&["index", "append", &at, &arm]);
    assert_ne!(run.code, 0, "{}", run.stdout);

    // Filtered into a registry: the arm64 image alone.
    let target = format!("{}/{}:1", registry(), unique_repo("filtered"));
    let filtered = index_ok(
        &env,
        &[
            "filter",
            &at,
            &format!("docker://{target}"),
            "--platform",
            "linux/arm64",
        ],
    );
    let index: serde_json::Value = serde_json::from_str(&skopeo_raw(&target)).unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1, "{index}");
    assert_eq!(index["manifests"][0]["platform"]["architecture"], "arm64");
    assert_eq!(index["annotations"]["a"], "b");
    assert!(digest(&filtered).starts_with("sha256:"));
    let run = env.ocipipe().run(&[
        "index",
        "filter",
        &at,
        &format!("oci:{}:f", env.path("never").display()),
        "--platform",
        "linux/s390x",
    ]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("linux/amd64") && run.stderr.contains("linux/arm64"),
        "{}",
        run.stderr
    );
    assert!(!env.path("never").exists());
}
