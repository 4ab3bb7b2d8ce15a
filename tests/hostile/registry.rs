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

use crate::harness::{FaultProxy, Ocipipe, Run};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

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
    pub recovered: Option<&'a dyn Fn(&Run)>,
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
    let words = [
        proxy.address(),
        "503".into(),
        "gave up after 5 tries".into(),
    ];
    fails(
        cmd,
        &proxy,
        "a registry that always answers 503",
        &words,
        QUICK,
    );
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
    let words = [
        format!("token server {}", proxy.address()),
        "larger than".into(),
    ];
    fails(
        cmd,
        &proxy,
        "a token server answering without end",
        &words,
        QUICK,
    );
    assert!(proxy.faults("flood") >= 1, "{}: no token asked", cmd.name);

    let proxy = FaultProxy::start(&cmd.upstream, json!([challenge("file:///etc/passwd")]));
    let words = [proxy.address(), "\"file:///etc/passwd\" is refused".into()];
    let error = fails(cmd, &proxy, "a file:// realm", &words, QUICK);
    assert!(
        !error.contains("cannot reach"),
        "{}: a refused realm is not an unreachable registry: {error}",
        cmd.name
    );
}

/// The second request's connection closed without an answer: tried again,
/// and the run ends as against a registry that behaves.
pub fn one_cut(cmd: &RegistryCommand) {
    let proxy = FaultProxy::start(&cmd.upstream, json!([{"nth": 2, "action": "close"}]));
    let run = run_bounded(cmd, &proxy.address(), QUICK * 2);
    match cmd.recovered {
        Some(check) => check(&run),
        None => assert_eq!(
            run.code, 0,
            "{}: one connection cut: {}",
            cmd.name, run.stderr
        ),
    }
    let paths = proxy.paths();
    assert_eq!(proxy.faults("close"), 1, "{}: {paths:?}", cmd.name);
}

/// Every connection accepted and never answered: fails within 2 minutes,
/// naming the registry and what it waited for, and leaves nothing behind.
/// Takes about 90 s (three tries of 30 s: see `registry::transport`).
pub fn never_answers(cmd: &RegistryCommand) {
    let proxy = FaultProxy::start(&cmd.upstream, json!([{"action": "hang"}]));
    let words = [proxy.address(), "did not answer within 30 s".into()];
    let within = Duration::from_secs(120);
    fails(cmd, &proxy, "a registry that never answers", &words, within);
    assert!(proxy.faults("hang") >= 2, "{}: not tried again", cmd.name);
}

/// How long a failure that involves no timeout may take: the retry
/// policy's waits are a few seconds.
const QUICK: Duration = Duration::from_secs(60);

/// Runs `cmd` against `proxy` (`against` says what it is): it fails (exit
/// 1, no panic) within `within`, its error naming every one of `words`,
/// and leaves nothing behind. The error, with its causes.
fn fails(
    cmd: &RegistryCommand,
    proxy: &FaultProxy,
    against: &str,
    words: &[String],
    within: Duration,
) -> String {
    let run = run_bounded(cmd, &proxy.address(), within + Duration::from_secs(30));
    let stderr = &run.stderr;
    assert_eq!(run.code, 1, "{} against {against}: {stderr}", cmd.name);
    assert!(!stderr.contains("panicked"), "{}: {stderr}", cmd.name);
    let error = run.error();
    for words in words {
        assert!(
            error.contains(words.as_str()),
            "{} against {against}: {words:?} not in: {stderr}",
            cmd.name
        );
    }
    eprintln!("{} against {against}: failed in {:?}", cmd.name, run.took);
    assert!(
        run.took < within,
        "{} against {against}: took {:?}",
        cmd.name,
        run.took
    );
    left_nothing(cmd);
    error
}

/// Runs `cmd` against `host`; a run still going after `limit` is killed
/// and fails the test.
pub fn run_bounded(cmd: &RegistryCommand, host: &str, limit: Duration) -> Run {
    let mut ocipipe = Ocipipe::new().within(limit);
    for (k, v) in &cmd.env {
        ocipipe = ocipipe.env(k, v);
    }
    let args = (cmd.args)(host);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ocipipe.run_with_stdin_bytes(&args, cmd.stdin)
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
        let status = std::process::Command::new("curl")
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
