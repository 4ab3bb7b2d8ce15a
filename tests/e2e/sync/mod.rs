//! `ocipipe sync FILE` against the real registries of `scripts/services`:
//! many repositories mirrored through every filter, a no-op re-sync
//! counted in requests, plans, lockfiles, referrers, shards, broken
//! entries and bad files. Fault proxies in front of the registry give each
//! side its own host (so blobs are sent, not mounted) and a log of every
//! request; skopeo and the registry's own tag lists are the checks.

mod bad_input;
mod hostile;
mod mirror;
mod plan_lock;
mod platforms;
mod runs;
mod transports;

use crate::harness::{FaultProxy, Run, a_layer, registry};
use crate::registry::Env;
use std::collections::BTreeSet;

/// A fault proxy with no rules in front of the test registry: another
/// host for ocipipe, with a log of what it was sent.
pub fn proxy() -> FaultProxy {
    FaultProxy::start(&registry(), serde_json::json!([]))
}

/// Builds a small image (one file holding `content`) and pushes it under
/// every one of `names` (HOST/REPO:TAG); its digest.
pub fn push(env: &Env, content: &str, names: &[String]) -> String {
    let dir = tempfile::tempdir_in(env.dir.path()).unwrap();
    let layer = a_layer(dir.path(), "data", content);
    let tags = names.join(",");
    let run = env.ocipipe().run(&[
        "image",
        "build",
        "--json",
        "--layer",
        layer.to_str().unwrap(),
        "-t",
        &tags,
        "--push",
    ]);
    assert_eq!(run.code, 0, "build --push {tags}: {}", run.stderr);
    let lines = run.json_lines();
    lines[0]["digest"].as_str().unwrap().to_string()
}

/// `HOST/REPO:TAG` on the test registry.
pub fn at(repo: &str, tag: &str) -> String {
    format!("{}/{repo}:{tag}", registry())
}

/// The tags of `repo` on the test registry, by its tag list (none when it
/// does not exist).
pub fn tags(repo: &str) -> BTreeSet<String> {
    let out = std::process::Command::new("curl")
        .args(["-s", &format!("http://{}/v2/{repo}/tags/list", registry())])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    listed["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A set of strings.
pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Writes `text` as `env`'s `name`; its path.
pub fn file(env: &Env, name: &str, text: &str) -> String {
    let path = env.path(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `ocipipe --json sync ARGS` with `env`'s Docker config.
pub fn sync(env: &Env, args: &[&str]) -> Run {
    let mut full = vec!["--json", "sync"];
    full.extend_from_slice(args);
    env.ocipipe().run(&full)
}

/// The result lines of a `--json` sync (the summary apart), and the
/// summary.
pub fn results(run: &Run) -> (Vec<serde_json::Value>, serde_json::Value) {
    let mut lines = run.json_lines();
    let summary = lines.pop().unwrap_or_default();
    assert!(
        summary["summary"].is_object(),
        "the last line is the summary: {}\n{}",
        run.stdout,
        run.stderr
    );
    (lines, summary["summary"].clone())
}

/// The requests of `log` sent with `method` whose path contains `part`.
pub fn count(log: &[serde_json::Value], method: &str, part: &str) -> usize {
    log.iter()
        .filter(|r| r["method"] == method && r["path"].as_str().unwrap_or("").contains(part))
        .count()
}

/// No request of `log` wrote anything (no PUT, POST, PATCH or DELETE).
pub fn wrote_nothing(log: &[serde_json::Value]) {
    for r in log {
        let method = r["method"].as_str().unwrap_or("");
        assert!(
            matches!(method, "GET" | "HEAD"),
            "a write went out: {r}\nall: {log:?}"
        );
    }
}
