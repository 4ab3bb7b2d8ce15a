//! A misbehaving registry, as reusable checks. Every command that talks to
//! a registry describes itself as a [`RegistryCommand`] and meets, through
//! tests/fixtures/registry-fault-proxy.py in front of a real registry:
//!
//! - [`always_failing`]: a 503 to every request but the first `GET /v2/`:
//!   it fails within the retry bound, names the registry and leaves no
//!   output behind (nothing written, nothing pushed);
//! - [`hostile_realm`]: a 401 whose realm is a token server that answers
//!   without end, then a `file://` realm: capped and refused, fast;
//! - [`one_cut`]: one connection closed without an answer: retried, and
//!   the command does what it does against a registry that behaves;
//! - [`never_answers`]: every connection accepted and never answered: it
//!   fails within 2 minutes, saying what it waited for and how long.
//!
//! [`never_answers`] takes the whole retry bound (about 90 s), so it runs
//! for `copy` (push and pull) only: every command sends its requests
//! through the same transport (`registry::transport`), whose waits do not
//! depend on the command. The others are quick and run for every command
//! ([`misbehaving`]).

use crate::harness::FaultProxy;
use serde_json::json;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A command that talks to one registry, named on its command line.
pub struct RegistryCommand<'a> {
    /// How failures name it, e.g. `artifact push`.
    pub name: &'a str,
    /// The arguments that run it against the registry at `host`
    /// (HOST:PORT: the proxy in front of [`Self::upstream`]).
    pub args: &'a dyn Fn(&str) -> Vec<String>,
    /// Environment for every run (its own `DOCKER_CONFIG`, ...).
    pub env: Vec<(String, String)>,
    /// What it reads on stdin (`login`'s password).
    pub stdin: &'a [u8],
    /// The real registry behind the proxy (HOST:PORT), holding what the
    /// command reads.
    pub upstream: String,
    /// Files or directories it writes, which a failed run must not leave.
    pub outputs: Vec<PathBuf>,
    /// `REPO:TAG` it pushes, which a failed run must not leave on
    /// [`Self::upstream`].
    pub pushes: Option<String>,
    /// Checks a run whose registry recovered (one connection cut); `None`:
    /// it must succeed.
    pub recovered: Option<&'a dyn Fn(&Output)>,
}

/// The runs of a command against misbehaving registries that are quick:
/// [`always_failing`], [`hostile_realm`], then [`one_cut`] (last, since it
/// may push what the others must not find).
pub fn misbehaving(cmd: &RegistryCommand) {
    always_failing(cmd);
    hostile_realm(cmd);
    one_cut(cmd);
}

/// A 503 to every request after the first `GET /v2/`: fails within the
/// retry bound (5 tries, waits of 250 ms doubling), naming the registry
/// and the status, and leaves nothing behind.
pub fn always_failing(cmd: &RegistryCommand) {
    let proxy = FaultProxy::start(
        &cmd.upstream,
        json!([
            {"method": "GET", "path": "^/v2/$", "first": 1, "action": "delay", "seconds": 0},
            {"action": "status", "status": 503,
             "body": {"errors": [{"code": "UNAVAILABLE", "message": "the hostile suite's 503"}]}},
        ]),
    );
    let (out, took) = run_bounded(cmd, &proxy.address(), Duration::from_secs(120));
    let error = failed(cmd, &out, "a registry that always answers 503");
    for words in [proxy.address().as_str(), "503", "gave up after 5 tries"] {
        assert!(
            error.contains(words),
            "{}: {words:?} not in: {error}",
            cmd.name
        );
    }
    assert!(
        took < Duration::from_secs(60),
        "{}: a registry answering 503 held it {took:?}",
        cmd.name
    );
    left_nothing(cmd);
}

/// A 401 sending the client to a token server (the proxy itself) whose
/// answer never ends, then to a `file://` realm: the first is capped, the
/// second refused, each naming the token server, quickly and leaving
/// nothing behind.
pub fn hostile_realm(cmd: &RegistryCommand) {
    let challenge = |realm: &str| {
        json!({"action": "status", "status": 401,
               "headers": {"WWW-Authenticate": format!("Bearer realm=\"{realm}\",service=\"hostile\"")},
               "body": {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}})
    };
    let proxy = FaultProxy::start(
        &cmd.upstream,
        json!([
            {"path": "^/token", "action": "flood", "prefix": "{\"token\":\"",
             "headers": {"Content-Type": "application/json"}},
            challenge("http://{proxy}/token"),
        ]),
    );
    let (out, took) = run_bounded(cmd, &proxy.address(), Duration::from_secs(120));
    let error = failed(cmd, &out, "a token server answering without end");
    let token_server = format!("token server {}", proxy.address());
    for words in [token_server.as_str(), "larger than"] {
        assert!(
            error.contains(words),
            "{}: {words:?} not in: {error}",
            cmd.name
        );
    }
    assert!(took < Duration::from_secs(60), "{}: {took:?}", cmd.name);
    assert!(proxy.faults("flood") >= 1, "{}: no token asked", cmd.name);
    left_nothing(cmd);

    let proxy = FaultProxy::start(&cmd.upstream, json!([challenge("file:///etc/passwd")]));
    let (out, _) = run_bounded(cmd, &proxy.address(), Duration::from_secs(120));
    let error = failed(cmd, &out, "a file:// realm");
    for words in ["file:///etc/passwd", "refused", proxy.address().as_str()] {
        assert!(
            error.contains(words),
            "{}: {words:?} not in: {error}",
            cmd.name
        );
    }
    assert!(
        !error.contains("cannot reach"),
        "{}: a refused realm is not an unreachable registry: {error}",
        cmd.name
    );
    left_nothing(cmd);
}

/// The second request's connection closed without an answer: tried again,
/// and the run ends as against a registry that behaves.
pub fn one_cut(cmd: &RegistryCommand) {
    let proxy = FaultProxy::start(&cmd.upstream, json!([{"nth": 2, "action": "close"}]));
    let (out, _) = run_bounded(cmd, &proxy.address(), Duration::from_secs(120));
    match cmd.recovered {
        Some(check) => check(&out),
        None => assert!(
            out.status.success(),
            "{}: one connection cut: {}",
            cmd.name,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
    assert_eq!(
        proxy.faults("close"),
        1,
        "{}: {:?}",
        cmd.name,
        proxy.paths()
    );
}

/// Every connection accepted and never answered: fails within 2 minutes,
/// naming the registry and what it waited for, and leaves nothing behind.
/// Takes about 90 s (three tries of 30 s: see `registry::transport`).
pub fn never_answers(cmd: &RegistryCommand) {
    let proxy = FaultProxy::start(&cmd.upstream, json!([{"action": "hang"}]));
    let (out, took) = run_bounded(cmd, &proxy.address(), Duration::from_secs(150));
    let error = failed(cmd, &out, "a registry that never answers");
    eprintln!(
        "{}: a registry that never answers: gave up in {took:?}",
        cmd.name
    );
    for words in [proxy.address().as_str(), "did not answer within 30 s"] {
        assert!(
            error.contains(words),
            "{}: {words:?} not in: {error}",
            cmd.name
        );
    }
    assert!(
        took < Duration::from_secs(120),
        "{}: a registry that never answers held it {took:?}",
        cmd.name
    );
    assert!(proxy.faults("hang") >= 2, "{}: not tried again", cmd.name);
    left_nothing(cmd);
}

/// Runs `cmd` against `host`; a run still going after `limit` is killed
/// and fails the test. The output, and how long it took.
pub fn run_bounded(cmd: &RegistryCommand, host: &str, limit: Duration) -> (Output, Duration) {
    let cache = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ocipipe"));
    command
        .args((cmd.args)(host))
        .env("OCIPIPE_CACHE_DIR", cache.path())
        .env_remove("RUST_LOG");
    if let Ok(engine) = std::env::var("DOCKER_HOST") {
        command.env("DOCKER_HOST", engine);
    }
    for (k, v) in &cmd.env {
        command.env(k, v);
    }
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running ocipipe");
    let mut input = child.stdin.take().unwrap();
    let stdin = cmd.stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let drain = |mut from: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = from.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} against {host}: still running after {limit:?}: {}",
                cmd.name,
                String::from_utf8_lossy(&stderr.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = started.elapsed();
    feeder.join().unwrap();
    let out = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (out, took)
}

/// `out` failed (exit 1, no panic); its error: the `error:` line (the
/// first line of stderr that is not a `--json` event or a log line) and
/// the `caused by:` lines under it.
fn failed(cmd: &RegistryCommand, out: &Output, against: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{} against {against}: {stderr}",
        cmd.name
    );
    assert!(!stderr.contains("panicked"), "{}: {stderr}", cmd.name);
    let mut lines = stderr
        .lines()
        .skip_while(|l| l.starts_with('{') || l.contains(" WARN ") || l.contains(" INFO "));
    let first = lines.next().unwrap_or("");
    assert!(
        first.starts_with("error: "),
        "{} against {against}: {stderr}",
        cmd.name
    );
    std::iter::once(first)
        .chain(lines.take_while(|l| l.starts_with("  caused by: ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// None of `cmd`'s outputs exist, and its push target is not on the
/// registry.
fn left_nothing(cmd: &RegistryCommand) {
    for output in &cmd.outputs {
        assert!(
            !output.exists(),
            "{}: a failed run left {}",
            cmd.name,
            output.display()
        );
    }
    if let Some(pushed) = &cmd.pushes {
        let (repo, tag) = pushed.rsplit_once(':').expect("REPO:TAG");
        let status = Command::new("curl")
            .args(["-sf", "-o", "/dev/null"])
            .arg(format!("http://{}/v2/{repo}/manifests/{tag}", cmd.upstream))
            .status()
            .unwrap();
        assert!(
            !status.success(),
            "{}: a failed run pushed {pushed}",
            cmd.name
        );
    }
}
