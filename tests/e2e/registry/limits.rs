//! What is capped and what times out, against token servers and registries
//! that answer too much, too slowly or never (the fault proxy in front of
//! the real registry, standing in as its own token realm), and what the
//! errors say about a token server that refuses.

use super::{Env, refused};
use crate::harness::{FaultProxy, registry, unique_repo};
use serde_json::json;
use std::time::{Duration, Instant};

/// A 401 to every `/v2/` request sending the client to `realm`.
fn challenge(realm: &str) -> serde_json::Value {
    json!({"path": "^/v2/", "action": "status", "status": 401,
           "headers": {"WWW-Authenticate": format!("Bearer realm=\"{realm}\",service=\"limits\"")},
           "body": {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}})
}

/// A run of `ocipipe copy`, killed if it outlives `limit`.
struct Measured {
    code: Option<i32>,
    stderr: String,
    took: Duration,
    /// Peak resident memory, KiB (GNU time's `%M`).
    peak_kib: u64,
}

/// `ocipipe copy --json FROM TO` with `env`'s config under GNU time (for its
/// peak memory) and `timeout -s KILL` (so that a run that would hang fails
/// the test instead).
fn copy_measured(env: &Env, from: &str, to: &str, limit: Duration) -> Measured {
    let peak = env.path("peak");
    let cache = env.path("cache");
    let started = Instant::now();
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-o")
        .arg(&peak)
        .args(["-f", "%M", "timeout", "-s", "KILL"])
        .arg(limit.as_secs().to_string())
        .arg(env!("CARGO_BIN_EXE_ocipipe"))
        .args(["copy", "--json", from, to])
        .env("DOCKER_CONFIG", env.config_dir())
        .env("OCIPIPE_CACHE_DIR", &cache)
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let took = started.elapsed();
    let peak_kib = std::fs::read_to_string(&peak)
        .unwrap()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("GNU time's %M");
    Measured {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
        peak_kib,
    }
}

/// Pushing `image` to `proxy` (a new repository), measured.
fn push_through(env: &Env, image: &str, proxy: &FaultProxy, limit: Duration) -> Measured {
    let target = format!("docker://{}/{}:1", proxy.address(), unique_repo("limits"));
    copy_measured(env, image, &target, limit)
}

/// `run` failed with exit code 1 and an error line naming every one of
/// `words`; that line.
fn failed_naming(run: &Measured, words: &[&str]) -> String {
    assert_eq!(run.code, Some(1), "after {:?}: {}", run.took, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let mut lines = run.stderr.lines().skip_while(|l| !l.starts_with("error: "));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("no error line: {}", run.stderr));
    let error = std::iter::once(first)
        .chain(lines.take_while(|l| l.starts_with("  caused by: ")))
        .collect::<Vec<_>>()
        .join("\n");
    for words in words {
        assert!(error.contains(words), "{words:?} not in: {error}");
    }
    error
}

#[test]
fn a_token_answer_of_a_gibibyte_or_without_end_is_refused_in_little_memory() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    for (case, bytes) in [("1 GiB", Some(1u64 << 30)), ("endless", None)] {
        let mut flood = json!({"path": "^/token", "action": "flood",
                               "prefix": "{\"token\":\"",
                               "headers": {"Content-Type": "application/json"}});
        if let Some(bytes) = bytes {
            flood["bytes"] = json!(bytes);
        }
        let proxy = FaultProxy::start(
            &registry(),
            json!([flood, challenge("http://{proxy}/token")]),
        );
        let run = push_through(&env, &image, &proxy, Duration::from_secs(150));
        let token_server = format!("token server {}", proxy.address());
        failed_naming(&run, &[&token_server, "larger than 4194304 bytes"]);
        eprintln!(
            "{case}: refused in {:?}, peak {} KiB",
            run.took, run.peak_kib
        );
        assert!(run.took < Duration::from_secs(30), "{case}: {:?}", run.took);
        assert!(
            run.peak_kib < 100 << 10,
            "{case}: peak memory {} KiB",
            run.peak_kib
        );
        // Asked once (an answer too large is not tried again), and nothing
        // was sent after it: the token never became a header.
        let requests = proxy.requests();
        assert_eq!(proxy.faults("flood"), 1, "{case}: {requests:?}");
        assert_eq!(
            requests.last().unwrap()["fault"],
            "flood",
            "{case}: {requests:?}"
        );
    }
}

#[test]
fn a_token_server_that_never_answers_is_given_up_within_two_minutes() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"path": "^/token", "action": "hang"}, challenge("http://{proxy}/token")]),
    );
    let run = push_through(&env, &image, &proxy, Duration::from_secs(150));
    let token_server = format!("token server {}", proxy.address());
    failed_naming(
        &run,
        &[&token_server, "did not answer within 30 s", "gave up after"],
    );
    eprintln!(
        "a token server that never answers: given up in {:?}",
        run.took
    );
    assert!(run.took < Duration::from_secs(120), "{:?}", run.took);
    assert!(proxy.faults("hang") >= 2, "{:?}", proxy.requests());
}

#[test]
fn a_manifest_trickling_a_byte_every_two_seconds_fails_within_the_bound() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let repo = format!("{}:1", unique_repo("trickle"));
    env.copy_ok(&[], &image, &format!("docker://{}/{repo}", registry()));
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "GET", "path": "/manifests/", "action": "trickle", "seconds": 2}]),
    );
    let layout = env.path("pulled");
    let run = copy_measured(
        &env,
        &format!("docker://{}/{repo}", proxy.address()),
        &format!("oci:{}:p", layout.display()),
        Duration::from_secs(150),
    );
    failed_naming(
        &run,
        &[
            &proxy.address(),
            "GET manifest 1",
            "stalled",
            "gave up after",
        ],
    );
    eprintln!("a trickling manifest: given up in {:?}", run.took);
    assert!(run.took < Duration::from_secs(120), "{:?}", run.took);
    assert!(!layout.exists(), "a failed pull left {}", layout.display());
}

#[test]
fn a_token_server_that_refuses_connections_is_named_not_the_registry() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let realm_host = format!("127.0.0.1:{port}");
    let proxy = FaultProxy::start(
        &registry(),
        json!([challenge(&format!("http://{realm_host}/token"))]),
    );
    let run = push_through(&env, &image, &proxy, Duration::from_secs(150));
    let token_server = format!("token server {realm_host}");
    let sent_by = format!("that {} sent us to", proxy.address());
    let error = failed_naming(&run, &[&token_server, &sent_by]);
    assert!(
        !error.contains(&format!("cannot reach {}", proxy.address())),
        "the registry is blamed: {error}"
    );
}

#[test]
fn a_token_servers_refusal_suggests_a_login_only_when_credentials_could_help() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let refusing = |status: u16| {
        FaultProxy::start(
            &registry(),
            json!([{"path": "^/token", "action": "status", "status": status,
                    "body": {"errors": [{"code": "DENIED", "message": "not for you"}]}},
                   challenge("http://{proxy}/token")]),
        )
    };
    // A 403 to a request without credentials: logging in would only send
    // the password to whatever the registry named. The token server and
    // who sent us there are named.
    let proxy = refusing(403);
    let run = env.copy(
        &[],
        &image,
        &format!("docker://{}/{}:1", proxy.address(), unique_repo("denied")),
    );
    let token_server = format!(
        "token server {} that {} sent us to",
        proxy.address(),
        proxy.address()
    );
    refused(&run, &token_server);
    assert!(run.stderr.contains("403"), "{}", run.stderr);
    assert!(!run.stderr.contains("ocipipe login"), "{}", run.stderr);

    // A 401 to a request without credentials: missing, so a login helps.
    let proxy = refusing(401);
    let run = env.copy(
        &[],
        &image,
        &format!(
            "docker://{}/{}:1",
            proxy.address(),
            unique_repo("anonymous")
        ),
    );
    refused(&run, &format!("token server {}", proxy.address()));
    assert!(
        run.stderr
            .contains(&format!("log in with: ocipipe login {}", proxy.address())),
        "{}",
        run.stderr
    );
}
