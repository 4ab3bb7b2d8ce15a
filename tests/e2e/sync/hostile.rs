//! `sync` in the hostile suite: its file from stdin, a FIFO or a file; its
//! lockfile into odd targets; interrupts mid-copy; and a registry that
//! answers 503, 429 or nothing to the requests a sync sends.

use super::{at, count, file, push, tags};
use crate::harness::{FaultProxy, Ocipipe, registry, strings, unique_repo};
use crate::hostile::{Given, InputCommand, OutputCommand, inputs, names, outputs};
use crate::registry::{Env, layers_check_out};
use serde_json::json;
use std::time::{Duration, Instant};

/// `env`'s Docker config as an environment.
fn config(env: &Env) -> Vec<(String, String)> {
    vec![(
        "DOCKER_CONFIG".into(),
        env.config_dir().display().to_string(),
    )]
}

/// A sync file copying one image `src:1` of the test registry to `dst:1`.
fn one_image(src: &str, dst: &str) -> String {
    format!(
        "version: 1\nsync:\n  - source: {}\n    target: {}\n    type: image\n",
        at(src, "1"),
        at(dst, "1")
    )
}

#[test]
fn sync_reads_its_file_from_stdin_and_fifos_as_from_a_file() {
    let env = Env::new();
    let (src, dst) = (unique_repo("sync-stdin-src"), unique_repo("sync-stdin-dst"));
    push(&env, "stdin", &[at(&src, "1")]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("valid", one_image(&src, &dst).into_bytes()),
        ("unknown-key", b"version: 1\nsink: []\n".to_vec()),
        ("empty", Vec::new()),
        ("binary", vec![0xff, 0xfe, 0, 1, 2]),
        (
            "huge",
            format!("version: 1\nx-pad: '{}'\n", "x".repeat(5 << 20)).into_bytes(),
        ),
    ];
    let args = |input: &str| strings(&["--json", "sync", "--plan", input]);
    for stream in [Given::Stdin, Given::Path] {
        inputs::stdin_matches_file(
            &InputCommand {
                name: "sync --plan",
                args: &args,
                env: config(&env),
                file: Given::Path,
                stream,
            },
            &cases,
            &["valid"],
        );
    }
    assert!(tags(&dst).is_empty(), "a plan wrote");
}

/// `sync --plan --lock TARGET` of one image.
fn lock_command<'a>(env: &Env, args: &'a dyn Fn(&str) -> Vec<String>) -> OutputCommand<'a> {
    OutputCommand {
        name: "sync --lock",
        args,
        env: config(env),
        is_dir: false,
        temp_prefix: ".ocipipe-",
    }
}

#[test]
fn sync_lock_into_odd_targets_devices_and_missing_directories() {
    let env = Env::new();
    let (src, dst) = (unique_repo("sync-lock-src"), unique_repo("sync-lock-dst"));
    push(&env, "lock", &[at(&src, "1")]);
    let path = file(&env, "sync.yaml", &one_image(&src, &dst));
    let args = |target: &str| strings(&["sync", "--plan", "--lock", target, &path]);
    outputs::odd_targets(&lock_command(&env, &args));

    // A path whose parent does not exist: refused, naming it, nothing made.
    let missing = env.path("no-such-dir/sync.lock");
    let run = env
        .ocipipe()
        .run(&["sync", "--plan", "--lock", missing.to_str().unwrap(), &path]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(missing.to_str().unwrap()),
        "{}",
        run.stderr
    );
    assert!(!env.path("no-such-dir").exists());
    assert!(tags(&dst).is_empty(), "--plan --lock wrote to the target");

    // Without --plan, a lock that cannot be written stops the sync before
    // any copy: nothing is lost, nothing half done.
    let run = env.ocipipe().run(&["sync", "--lock", "/dev/full", &path]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("/dev/full"), "{}", run.stderr);
    assert!(run.stderr.contains("No space left"), "{}", run.stderr);
    assert!(
        tags(&dst).is_empty(),
        "copied though the lock was not written"
    );
}

/// Each line of the lockfile at `lock` is a whole plan line.
fn whole_lock(lock: &std::path::Path, images: usize) {
    let text = std::fs::read_to_string(lock).unwrap();
    assert_eq!(text.lines().count(), images, "{text}");
    assert!(text.ends_with('\n'), "{text}");
    for line in text.lines() {
        let parsed: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(parsed["digest"].is_string(), "{line}");
    }
}

#[test]
fn sync_interrupted_mid_copy_leaves_no_half_lock_and_no_half_image() {
    for signal in ["INT", "TERM"] {
        let env = Env::new();
        let src = unique_repo("sync-int-src");
        let layer = env.random_layer("big", 2 << 20);
        let run = env.ocipipe().run(&[
            "image",
            "build",
            "--layer",
            layer.to_str().unwrap(),
            "-t",
            &format!("{},{}", at(&src, "1"), at(&src, "2")),
            "--push",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        // The target's blob uploads are held, so the copy is under way.
        let slow = FaultProxy::start(
            &registry(),
            json!([{"method": ["PUT", "PATCH", "POST"], "path": "/blobs/uploads/",
                    "action": "delay", "seconds": 20}]),
        );
        let dst = unique_repo("sync-int-dst");
        let text = format!(
            "version: 1\nsync:\n  - source: {}/{src}\n    target: {}/{dst}\n",
            registry(),
            slow.address()
        );
        let path = file(&env, "sync.yaml", &text);
        let out = env.path("out");
        std::fs::create_dir(&out).unwrap();
        let lock = out.join("sync.lock");
        let cache = tempfile::tempdir().unwrap();
        let mut child = crate::harness::ocipipe_command()
            .args(["sync", "--lock", lock.to_str().unwrap(), &path])
            .env("DOCKER_CONFIG", env.config_dir())
            .env("OCIPIPE_CACHE_DIR", cache.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        // The plan done and its lock written, the copy looks for its blobs
        // at the target, then starts an upload the proxy holds.
        while !lock.exists() || count(&slow.requests(), "HEAD", "/blobs/") == 0 {
            assert!(Instant::now() < deadline, "no upload began");
            assert!(
                child.try_wait().unwrap().is_none(),
                "sync ended before its upload"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(500));
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        let output = child.wait_with_output().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "SIG{signal} took too long"
        );
        let code = output.status.code();
        assert!(
            matches!(code, Some(130 | 143)),
            "SIG{signal}: {code:?} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        // The lock was written whole before the copies; nothing else left.
        assert_eq!(names(&out), ["sync.lock"], "SIG{signal}");
        whole_lock(&lock, 2);
        // No tag names an image whose blobs are not all there.
        for tag in tags(&dst) {
            layers_check_out(&dst, &at(&dst, &tag));
        }
        assert!(
            tags(&dst).is_empty(),
            "SIG{signal}: a tag while its blobs were held"
        );
        drop(slow);
    }
}

/// A sync of `src:1` into `dst` through `proxy` (both sides), bounded.
fn through(
    env: &Env,
    proxy: &FaultProxy,
    src: &str,
    dst: &str,
    limit: Duration,
) -> crate::harness::Run {
    let host = proxy.address();
    let text = format!("version: 1\nsync:\n  - source: {host}/{src}\n    target: {host}/{dst}\n");
    let path = file(env, &format!("{}.yaml", dst.replace('/', "_")), &text);
    Ocipipe::new()
        .env("DOCKER_CONFIG", env.config_dir().to_str().unwrap())
        .within(limit)
        .run(&["--json", "sync", &path])
}

#[test]
fn sync_retries_a_tag_list_answered_503_once() {
    let env = Env::new();
    let (src, dst) = (unique_repo("sync-503-src"), unique_repo("sync-503-dst"));
    push(&env, "503", &[at(&src, "1")]);
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "GET", "path": "/tags/list", "first": 1,
                "action": "status", "status": 503}]),
    );
    let run = through(&env, &proxy, &src, &dst, Duration::from_secs(60));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(proxy.faults("status"), 1);
    assert_eq!(count(&proxy.requests(), "GET", "/tags/list"), 2);
    assert_eq!(tags(&dst), super::set(&["1"]));
}

#[test]
fn sync_reports_a_429_whose_rate_limit_reset_is_too_long() {
    let env = Env::new();
    let (src, dst) = (unique_repo("sync-429-src"), unique_repo("sync-429-dst"));
    push(&env, "429", &[at(&src, "1")]);
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "GET", "path": "/tags/list", "action": "status", "status": 429,
                "headers": {"RateLimit-Reset": "3600"}}]),
    );
    let run = through(&env, &proxy, &src, &dst, Duration::from_secs(60));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.took < Duration::from_secs(20), "waited: {:?}", run.took);
    let error = run.error();
    assert!(error.contains("rate-limited"), "{error}");
    assert!(error.contains("asks to wait 3600 s"), "{error}");
    assert!(error.contains(&proxy.address()), "{error}");
    assert_eq!(
        proxy.faults("status"),
        1,
        "not waited out: {:?}",
        proxy.paths()
    );
    assert!(tags(&dst).is_empty());
}

#[test]
fn sync_fails_in_bounded_time_when_a_manifest_head_hangs() {
    let env = Env::new();
    let (src, dst) = (unique_repo("sync-hang-src"), unique_repo("sync-hang-dst"));
    push(&env, "hang", &[at(&src, "1")]);
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "HEAD", "path": "/manifests/", "action": "hang"}]),
    );
    let run = through(&env, &proxy, &src, &dst, Duration::from_secs(150));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.took < Duration::from_secs(120), "took {:?}", run.took);
    let error = run.error();
    assert!(error.contains("did not answer within 30 s"), "{error}");
    assert!(error.contains(&proxy.address()), "{error}");
    assert!(proxy.faults("hang") >= 2, "not tried again");
    assert!(tags(&dst).is_empty());
}
