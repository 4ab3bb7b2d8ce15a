//! What is capped and what times out, against token servers and registries
//! that answer too much, too slowly or never (the fault proxy in front of
//! the real registry, standing in as its own token realm), and what the
//! errors say about a token server that refuses.

use super::{Env, refused};
use crate::harness::{FaultProxy, Run, closed_address, registry, unique_repo};
use serde_json::json;
use std::time::Duration;

/// A 401 to every `/v2/` request sending the client to `realm`.
fn challenge(realm: &str) -> serde_json::Value {
    json!({"path": "^/v2/", "action": "status", "status": 401,
           "headers": {"WWW-Authenticate": format!("Bearer realm=\"{realm}\",service=\"limits\"")},
           "body": {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}})
}

/// How long a run that would hang may go on before it fails the test.
const LIMIT: Duration = Duration::from_secs(150);

/// `ocipipe copy --json FROM TO` with `env`'s config.
fn copy(env: &Env, from: &str, to: &str) -> Run {
    env.ocipipe()
        .within(LIMIT)
        .run(&["copy", "--json", from, to])
}

/// [`copy`] under GNU time: the run, and its peak memory in KiB.
fn copy_peak(env: &Env, from: &str, to: &str) -> (Run, u64) {
    env.ocipipe()
        .within(LIMIT)
        .run_measured(&["copy", "--json", from, to], b"")
}

/// `docker://PROXY/NEW-REPO:1`.
fn through(proxy: &FaultProxy) -> String {
    format!("docker://{}/{}:1", proxy.address(), unique_repo("limits"))
}

/// `run` failed with exit code 1 and an error naming every one of `words`;
/// the error.
fn failed_naming(run: &Run, words: &[&str]) -> String {
    assert_eq!(run.code, 1, "after {:?}: {}", run.took, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let error = run.error();
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
        let (run, peak_kib) = copy_peak(&env, &image, &through(&proxy));
        let token_server = format!("token server {}", proxy.address());
        failed_naming(&run, &[&token_server, "larger than 4194304 bytes"]);
        eprintln!("{case}: refused in {:?}, peak {peak_kib} KiB", run.took);
        assert!(run.took < Duration::from_secs(30), "{case}: {:?}", run.took);
        assert!(peak_kib < 100 << 10, "{case}: peak memory {peak_kib} KiB");
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
    let run = copy(&env, &image, &through(&proxy));
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
    let run = copy(
        &env,
        &format!("docker://{}/{repo}", proxy.address()),
        &format!("oci:{}:p", layout.display()),
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
    let realm_host = closed_address();
    let proxy = FaultProxy::start(
        &registry(),
        json!([challenge(&format!("http://{realm_host}/token"))]),
    );
    let run = copy(&env, &image, &through(&proxy));
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

#[test]
fn a_registry_that_never_accepts_the_connection_is_given_up_naming_the_wait() {
    use std::io::BufRead as _;
    let env = Env::new();
    let image = env.image("layout", &[]);
    // A listener whose one-connection backlog its own connection fills:
    // the kernel drops every other SYN, as a host behind a firewall does.
    // It holds on until its stdin closes.
    let mut listener = std::process::Command::new("python3")
        .args([
            "-c",
            "import socket, sys\n\
             s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)\n\
             held = socket.create_connection(s.getsockname())\n\
             print(s.getsockname()[1], flush=True); sys.stdin.read()",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufReader::new(listener.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let host = format!("127.0.0.1:{}", port.trim());
    let run = copy(
        &env,
        &image,
        &format!("docker://{host}/{}:1", unique_repo("no-accept")),
    );
    drop(listener.stdin.take());
    let _ = listener.wait();
    failed_naming(
        &run,
        &[
            &host,
            "did not accept a connection within 10 s",
            "gave up after",
        ],
    );
    eprintln!("a registry that never accepts: given up in {:?}", run.took);
    assert!(run.took < Duration::from_secs(120), "{:?}", run.took);
}
