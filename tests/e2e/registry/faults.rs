//! Failures on the wire (through the fault proxy), registries and engines
//! that are not there, and arguments that name nothing.

use super::{Env, digest, refused, skopeo_digest};
use crate::harness::{FaultProxy, Ocipipe, closed_address, registry, tool, unique_repo};
use crate::hostile::names;
use serde_json::json;
use std::time::{Duration, Instant};

/// The requests of the proxy log with `method` whose path matches `part`.
fn count(proxy: &FaultProxy, method: &str, part: &str) -> usize {
    proxy
        .requests()
        .iter()
        .filter(|r| r["method"] == method && r["path"].as_str().unwrap_or("").contains(part))
        .count()
}

#[test]
fn retry_after_503_on_blob_heads_is_waited_out() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "HEAD", "path": "/blobs/sha256:", "first": 2,
                "action": "status", "status": 503, "headers": {"Retry-After": "1"}}]),
    );
    let target = format!("{}/{}:1", proxy.address(), unique_repo("retry"));
    let report = env.copy_ok(&[], &image, &format!("docker://{target}"));
    let faults: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|r| r["fault"] == "status")
        .collect();
    assert_eq!(faults.len(), 2, "{faults:?}");
    // The blobs refused were asked again.
    for fault in &faults {
        let path = fault["path"].as_str().unwrap();
        assert!(
            proxy
                .requests()
                .iter()
                .any(|r| r["path"] == path && r["fault"].is_null()),
            "{path} was not retried"
        );
    }
    assert_eq!(skopeo_digest(&target), digest(&report));
}

#[test]
fn a_monolithic_put_cut_mid_body_starts_over_where_skopeo_fails() {
    let env = Env::new();
    let big = env.random_layer("big", 3 << 20);
    let image = env.image("layout", &["--layer", big.to_str().unwrap()]);
    let rule = json!([{"method": "PUT", "path": "/blobs/uploads/", "nth": 1,
                       "action": "cut_request", "after": 100000}]);
    let proxy = FaultProxy::start(&registry(), rule.clone());
    let target = format!("{}/{}:1", proxy.address(), unique_repo("cut-put"));
    let report = env.copy_ok(&[], &image, &format!("docker://{target}"));
    assert_eq!(proxy.faults("cut_request"), 1);
    assert_eq!(skopeo_digest(&target), digest(&report));
    let pulled = env.path("pulled");
    env.copy_ok(
        &[],
        &format!("docker://{target}"),
        &format!("oci:{}:p", pulled.display()),
    );
    tool(
        "skopeo",
        &["inspect", &format!("oci:{}:p", pulled.display())],
    );

    // skopeo through the same fault, with blobs of its own.
    let other = env.random_layer("other", 3 << 20);
    let image = env.image("skopeo-layout", &["--layer", other.to_str().unwrap()]);
    let proxy = FaultProxy::start(&registry(), rule);
    let target = format!("{}/{}:1", proxy.address(), unique_repo("cut-skopeo"));
    let skopeo = std::process::Command::new("skopeo")
        .args([
            "copy",
            "--dest-tls-verify=false",
            &image,
            &format!("docker://{target}"),
        ])
        .output()
        .unwrap();
    assert!(
        !skopeo.status.success(),
        "skopeo survived the cut: {:?}",
        proxy.requests()
    );
}

#[test]
fn a_blob_get_cut_mid_body_is_fetched_again() {
    let env = Env::new();
    let big = env.random_layer("big", 1 << 20);
    let image = env.image("layout", &["--layer", big.to_str().unwrap()]);
    let repo = format!("{}/{}:1", registry(), unique_repo("cut-get"));
    let pushed = digest(&env.copy_ok(&[], &image, &format!("docker://{repo}")));
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "GET", "path": "/blobs/sha256:", "nth": 1,
                "action": "cut_response", "after": 1000}]),
    );
    let through = repo.replacen(&registry(), &proxy.address(), 1);
    let layout = env.path("pulled");
    let report = env.copy_ok(
        &[],
        &format!("docker://{through}"),
        &format!("oci:{}:p", layout.display()),
    );
    assert_eq!(digest(&report), pushed);
    assert_eq!(proxy.faults("cut_response"), 1);
    tool(
        "skopeo",
        &["inspect", &format!("oci:{}:p", layout.display())],
    );
    tool(
        "skopeo",
        &[
            "copy",
            &format!("oci:{}:p", layout.display()),
            &format!("oci:{}:v", env.path("verify").display()),
        ],
    );
}

#[test]
fn a_refused_manifest_put_is_reported_whole_and_tags_nothing() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "PUT", "path": "/manifests/", "action": "status", "status": 400,
                "body": {"errors": [{"code": "DENIED_TEST", "message": "nope"}]}}]),
    );
    let repo = unique_repo("denied");
    let run = env.copy(
        &[],
        &image,
        &format!("docker://{}/{repo}:1", proxy.address()),
    );
    refused(&run, &proxy.address());
    for words in [repo.as_str(), "400", "DENIED_TEST", "nope"] {
        assert!(run.stderr.contains(words), "{words:?} in {}", run.stderr);
    }
    let inspect = std::process::Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{}/{repo}:1", registry()))
        .output()
        .unwrap();
    assert!(!inspect.status.success(), "a tag exists after the refusal");
    assert!(!proxy.requests().iter().any(|r| r["method"] == "PUT"
        && r["path"].as_str().unwrap().contains("/manifests/")
        && r["status"] == 201));
}

#[test]
fn a_layout_blob_changed_on_disk_is_refused_by_the_registry_and_tags_nothing() {
    let env = Env::new();
    let image = env.image("changed", &[]);
    // The layer (the largest blob), one byte flipped: the same size, so
    // only its digest tells it apart.
    let blobs = env.path("changed").join("blobs/sha256");
    let layer = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| p.metadata().unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&layer).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&layer, &bytes).unwrap();
    let digest = format!("sha256:{}", layer.file_name().unwrap().to_str().unwrap());
    let repo = unique_repo("changed");
    let run = env.copy(&[], &image, &format!("docker://{}/{repo}:1", registry()));
    refused(&run, &digest);
    for words in ["does not match", "DIGEST_INVALID"] {
        assert!(run.stderr.contains(words), "{words:?} in {}", run.stderr);
    }
    assert!(
        !super::manifest_exists(&repo, "1"),
        "a tag after the refusal"
    );
    let stored = std::process::Command::new("curl")
        .args([
            "-sfI",
            "-o",
            "/dev/null",
            &format!("http://{}/v2/{repo}/blobs/{digest}", registry()),
        ])
        .status()
        .unwrap();
    assert!(
        !stored.success(),
        "the changed bytes were stored as {digest}"
    );
}

#[test]
fn a_monolithic_put_answered_415_falls_back_to_chunks() {
    let env = Env::new();
    let big = env.random_layer("big", 1 << 20);
    let image = env.image("layout", &["--layer", big.to_str().unwrap()]);
    // The first PUT with a body is a monolithic one: PATCHes come before
    // a chunked upload's closing PUT.
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "PUT", "path": "/blobs/uploads/.*digest=", "nth": 1,
                "action": "status", "status": 415}]),
    );
    let target = format!("{}/{}:1", proxy.address(), unique_repo("chunks"));
    let report = env.copy_ok(&[], &image, &format!("docker://{target}"));
    assert!(
        count(&proxy, "PATCH", "/blobs/uploads/") > 0,
        "{:?}",
        proxy.requests()
    );
    assert_eq!(skopeo_digest(&target), digest(&report));
    // The refused session, still open in the registry, is cancelled.
    let requests = proxy.requests();
    let refused = requests.iter().find(|r| !r["fault"].is_null()).unwrap();
    let session = refused["path"].as_str().unwrap().split('?').next().unwrap();
    let cancels: Vec<_> = (requests.iter())
        .filter(|r| r["method"] == "DELETE" && r["path"].as_str().unwrap().starts_with(session))
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(cancels, [json!(204)], "{requests:?}");
}

#[test]
fn a_registry_that_is_not_there_fails_soon_and_clearly() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let host = closed_address();
    let started = Instant::now();
    let run = env.copy(
        &[],
        &image,
        &format!("docker://{host}/{}:1", unique_repo("gone")),
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    refused(&run, &host);

    // Pulling from it into a new layout leaves no directory.
    let layout = env.path("never");
    let run = env.copy(
        &[],
        &format!("docker://{host}/{}:1", unique_repo("gone")),
        &format!("oci:{}:x", layout.display()),
    );
    refused(&run, &host);
    assert!(!layout.exists(), "a failed copy left {}", layout.display());
}

#[test]
fn an_engine_that_is_down_is_named() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let socket = env.path("no-engine.sock");
    let run = Ocipipe::new()
        .env("DOCKER_CONFIG", env.config_dir().to_str().unwrap())
        .env("DOCKER_HOST", &format!("unix://{}", socket.display()))
        .run(&[
            "copy",
            &image,
            &format!("docker-daemon:{}:1", unique_repo("down")),
        ]);
    refused(&run, &socket.display().to_string());
}

#[test]
fn a_missing_repository_into_a_new_layout_leaves_nothing() {
    let env = Env::new();
    let layout = env.path("never");
    let repo = unique_repo("missing");
    let run = env.copy(
        &[],
        &format!("docker://{}/{repo}:1", registry()),
        &format!("oci:{}:x", layout.display()),
    );
    refused(&run, &repo);
    assert!(!layout.exists(), "a failed copy left {}", layout.display());
}

#[test]
fn sources_without_a_transport_or_a_layout_are_refused() {
    let env = Env::new();
    let target = format!("docker://{}/{}:1", registry(), unique_repo("hostile"));
    let run = env.copy(&[], "nonsense", &target);
    assert!(run.code == 1 || run.code == 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("docker://")
            && run.stderr.contains("oci:")
            && run.stderr.contains("docker-archive:"),
        "{}",
        run.stderr
    );
    let run = env.copy(&[], "oci:/nonexistent", &target);
    refused(&run, "/nonexistent");
}

#[test]
fn a_retry_after_date_is_honoured_and_a_registry_that_keeps_failing_is_given_up() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "PUT", "path": "/manifests/", "nth": 1, "action": "status",
                "status": 429, "headers": {"Retry-After": "@http-date+2"}}]),
    );
    let target = format!("{}/{}:1", proxy.address(), unique_repo("retry-date"));
    let started = Instant::now();
    let report = env.copy_ok(&[], &image, &format!("docker://{target}"));
    // An HTTP date has whole seconds: "2 s from now" is more than 1 s away.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "did not wait: {:?}",
        started.elapsed()
    );
    assert_eq!(count(&proxy, "PUT", "/manifests/"), 2);
    assert_eq!(skopeo_digest(&target), digest(&report));

    let failing = FaultProxy::start(
        &registry(),
        json!([{"method": "PUT", "path": "/manifests/", "action": "status", "status": 503,
                "body": {"errors": [{"code": "UNAVAILABLE", "message": "down for a while"}]}}]),
    );
    let repo = unique_repo("gave-up");
    let run = env.copy(
        &[],
        &image,
        &format!("docker://{}/{repo}:1", failing.address()),
    );
    refused(&run, "503");
    for words in [
        "UNAVAILABLE",
        "down for a while",
        "gave up after 5 tries",
        repo.as_str(),
    ] {
        assert!(run.stderr.contains(words), "{words:?} in {}", run.stderr);
    }
    assert_eq!(count(&failing, "PUT", "/manifests/"), 5);
}

#[test]
fn a_registry_that_goes_away_mid_pull_leaves_no_output_behind() {
    let env = Env::new();
    let big = env.random_layer("big", 2 << 20);
    let image = env.image("layout", &["--layer", big.to_str().unwrap()]);
    let repo = unique_repo("gone");
    env.copy_ok(&[], &image, &format!("docker://{}/{repo}:1", registry()));
    // Every blob download breaks after 1000 bytes, however often it is tried.
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "GET", "path": "/blobs/sha256:", "action": "cut_response", "after": 1000}]),
    );
    let source = format!("docker://{}/{repo}:1", proxy.address());

    let fresh = env.path("fresh");
    let run = env.copy(&[], &source, &format!("oci:{}", fresh.display()));
    refused(&run, &proxy.address());
    assert!(run.stderr.contains("gave up after"), "{}", run.stderr);
    assert!(!fresh.exists(), "a half layout was left");

    // Into an existing layout of another image: its index and blobs stay
    // as they were.
    let other = env.image("other", &[]);
    let existing = env.path("existing");
    env.copy_ok(&[], &other, &format!("oci:{}:old", existing.display()));
    let index = std::fs::read(existing.join("index.json")).unwrap();
    let blobs = names(&existing.join("blobs/sha256"));
    let run = env.copy(&[], &source, &format!("oci:{}:new", existing.display()));
    refused(&run, &proxy.address());
    assert_eq!(std::fs::read(existing.join("index.json")).unwrap(), index);
    assert_eq!(names(&existing.join("blobs/sha256")), blobs);
    let hidden: Vec<_> = names(env.dir.path())
        .into_iter()
        .filter(|n| n.starts_with(".ocipipe"))
        .collect();
    assert!(hidden.is_empty(), "temporary files left: {hidden:?}");
}

#[test]
fn an_engine_that_goes_away_mid_load_loads_nothing() {
    let env = Env::new();
    let big = env.random_layer("big", 4 << 20);
    let image = env.image("layout", &["--layer", big.to_str().unwrap()]);
    let host = crate::harness::docker_host();
    let socket = host.strip_prefix("unix://").expect("a unix socket");
    let proxy = FaultProxy::start(
        &format!("unix:{socket}"),
        json!([{"method": "POST", "path": "/images/load", "action": "cut_request", "after": 1000000}]),
    );
    let name = unique_repo("cut-load");
    let engine = format!("tcp://{}", proxy.address());
    let run = env.ocipipe().env("DOCKER_HOST", &engine).run(&[
        "copy",
        "--json",
        &image,
        &format!("docker-daemon:{name}:1"),
    ]);
    refused(&run, "");
    assert!(run.stderr.contains(&proxy.address()), "{}", run.stderr);
    assert_eq!(count(&proxy, "POST", "/images/load"), 1);
    let inspect = std::process::Command::new("docker")
        .args(["image", "inspect", &format!("{name}:1")])
        .output()
        .unwrap();
    assert!(!inspect.status.success(), "a cut load left an image behind");
}
