//! `ocipipe login`/`logout` and copies to registries that want
//! credentials: basic (htpasswd) and bearer tokens.

use super::{Env, n, refused};
use crate::harness::{
    Run, htpasswd_registry, registry_user, token_log, token_registry, tool, unique_repo,
};
use std::os::unix::fs::PermissionsExt as _;

/// No run showed the password.
pub(super) fn no_password(runs: &[&Run], password: &str) {
    for run in runs {
        assert!(
            !run.stdout.contains(password) && !run.stderr.contains(password),
            "the password leaked: {}\n{}",
            run.stdout,
            run.stderr
        );
    }
}

fn login(env: &Env, host: &str, user: &str, password: &str) -> Run {
    env.ocipipe().run_with_stdin(
        &["login", host, "-u", user, "--password-stdin"],
        &format!("{password}\n"),
    )
}

fn config(env: &Env) -> Option<serde_json::Value> {
    let path = env.config_dir().join("config.json");
    path.exists()
        .then(|| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
}

/// The flow every auth registry must pass: refused without login, a
/// wrong password stores nothing, login stores 0600, copy works (also
/// with -vv), logout removes the entry, and no output shows the password.
/// Returns the env (logged in again) and the pushed repository.
fn login_flow(host: &str) -> (Env, String) {
    let (user, password) = registry_user();
    let env = Env::new();
    let image = env.image("layout", &[]);
    let repo = unique_repo("auth");
    let target = format!("docker://{host}/{repo}:1");

    let unauthorized = env.copy(&[], &image, &target);
    refused(&unauthorized, host);
    assert!(
        unauthorized.stderr.contains("401"),
        "{}",
        unauthorized.stderr
    );
    assert!(
        unauthorized.stderr.contains("ocipipe login"),
        "{}",
        unauthorized.stderr
    );

    let wrong = login(&env, host, &user, "not-the-password");
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert!(wrong.stderr.contains(host), "{}", wrong.stderr);
    assert!(
        config(&env).is_none_or(|c| c["auths"].get(host).is_none()),
        "a refused login was stored: {:?}",
        config(&env)
    );

    let ok = login(&env, host, &user, &password);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let path = env.config_dir().join("config.json");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "config.json mode {mode:o}");
    assert!(config(&env).unwrap()["auths"][host].is_object());

    let copied = env.copy(&[], &image, &target);
    assert_eq!(copied.code, 0, "{}", copied.stderr);
    let verbose = env.copy(&["-vv"], &image, &format!("docker://{host}/{repo}:2"));
    assert_eq!(verbose.code, 0, "{}", verbose.stderr);
    let pulled = env.copy(
        &["-vv"],
        &target,
        &format!("oci:{}:p", env.path("pulled").display()),
    );
    assert_eq!(pulled.code, 0, "{}", pulled.stderr);

    let logout = env.ocipipe().run(&["logout", host]);
    assert_eq!(logout.code, 0, "{}", logout.stderr);
    assert!(
        config(&env).unwrap()["auths"].get(host).is_none(),
        "{:?}",
        config(&env)
    );
    let after = env.copy(&[], &image, &target);
    assert_eq!(after.code, 1, "{}", after.stderr);

    no_password(
        &[
            &unauthorized,
            &wrong,
            &ok,
            &copied,
            &verbose,
            &pulled,
            &logout,
            &after,
        ],
        &password,
    );
    assert_eq!(login(&env, host, &user, &password).code, 0);
    (env, repo)
}

#[test]
fn htpasswd_registry_wants_a_login_and_keeps_it_secret() {
    login_flow(&htpasswd_registry());
}

#[test]
fn token_registry_wants_a_login_and_mounts_between_repositories() {
    let host = token_registry();
    let (env, source) = login_flow(&host);
    let dest = unique_repo("auth-mount");
    let report = env.copy_ok(
        &[],
        &format!("docker://{host}/{source}:1"),
        &format!("docker://{host}/{dest}:1"),
    );
    assert!(n(&report, "blobs_mounted") > 0, "{report}");
    assert_eq!(n(&report, "bytes_sent"), 0, "{report}");

    let actions = |scope: &str, repo: &str| -> Option<Vec<String>> {
        let rest = scope.strip_prefix(&format!("repository:{repo}:"))?;
        let mut a: Vec<String> = rest.split(',').map(str::to_string).collect();
        a.sort();
        Some(a)
    };
    let log = token_log();
    let both = log.iter().any(|entry| {
        let scopes: Vec<&str> = entry["scopes"]
            .as_array()
            .map(|s| s.iter().filter_map(|s| s.as_str()).collect())
            .unwrap_or_default();
        let dest_ok = scopes
            .iter()
            .any(|s| actions(s, &dest).is_some_and(|a| a == ["pull", "push"]));
        let source_ok = scopes
            .iter()
            .any(|s| actions(s, &source).is_some_and(|a| a.contains(&"pull".to_string())));
        dest_ok && source_ok
    });
    let mine: Vec<_> = log
        .iter()
        .filter(|e| e.to_string().contains(&dest))
        .collect();
    assert!(both, "no token request for both repositories: {mine:?}");
}

/// The token server's realm and service, from the registry's challenge.
pub(super) fn realm_and_service(host: &str) -> (String, String) {
    let head = tool(
        "curl",
        &[
            "-s",
            "-o",
            "/dev/null",
            "-D",
            "-",
            &format!("http://{host}/v2/"),
        ],
    );
    let challenge = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("www-authenticate:"))
        .unwrap_or_else(|| panic!("no challenge from {host}: {head}"));
    let param = |name: &str| {
        let start = challenge.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        challenge[start..].split('"').next().unwrap().to_string()
    };
    (param("realm"), param("service"))
}

#[test]
fn an_identity_token_in_the_config_is_traded_for_access_tokens() {
    let host = token_registry();
    let (user, password) = registry_user();
    let (realm, service) = realm_and_service(&host);
    // What `docker login` keeps for an OAuth registry: a refresh token.
    let answer = tool(
        "curl",
        &[
            "-sf",
            "-X",
            "POST",
            "--data-urlencode",
            "grant_type=password",
            "--data-urlencode",
            &format!("username={user}"),
            "--data-urlencode",
            &format!("password={password}"),
            "--data-urlencode",
            &format!("service={service}"),
            "--data-urlencode",
            "access_type=offline",
            "--data-urlencode",
            "client_id=test",
            &realm,
        ],
    );
    let refresh = serde_json::from_str::<serde_json::Value>(&answer).unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let env = Env::new();
    std::fs::write(
        env.config_dir().join("config.json"),
        serde_json::json!({"auths": {&host: {"identitytoken": &refresh}}}).to_string(),
    )
    .unwrap();
    let image = env.image("layout", &[]);
    let repo = unique_repo("identity");
    let run = env.copy(&["-vv"], &image, &format!("docker://{host}/{repo}:1"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    no_password(&[&run], &refresh);
    let traded = token_log().into_iter().any(|entry| {
        entry["grant_type"] == "refresh_token"
            && entry["status"] == 200
            && entry.to_string().contains(&format!("repository:{repo}:"))
    });
    assert!(traded, "no refresh-token grant for {repo} in the token log");
}

#[test]
fn a_copy_between_two_registries_streams_from_one_to_the_other() {
    let host = htpasswd_registry();
    let (user, password) = registry_user();
    let env = Env::new();
    assert_eq!(login(&env, &host, &user, &password).code, 0);
    let big = env.random_layer("big", 3 << 20);
    let image = env.image("layout", &["--layer", big.to_str().unwrap()]);
    let plain = format!(
        "{}/{}:1",
        crate::harness::registry(),
        unique_repo("cross-src")
    );
    let first = env.copy_ok(&[], &image, &format!("docker://{plain}"));
    let dest = format!("{host}/{}:1", unique_repo("cross-dst"));
    let report = env.copy_ok(
        &[],
        &format!("docker://{plain}"),
        &format!("docker://{dest}"),
    );
    assert_eq!(report["digest"], first["digest"]);
    assert_eq!(n(&report, "blobs_mounted"), 0);
    assert_eq!(n(&report, "bytes_sent"), n(&first, "bytes_sent"));
    let back = env.path("back");
    let pulled = env.copy_ok(
        &[],
        &format!("docker://{dest}"),
        &format!("oci:{}:x", back.display()),
    );
    assert_eq!(pulled["digest"], first["digest"]);
}

/// Token requests in the token log that ask for a scope on `repo`.
fn token_requests_for(repo: &str) -> usize {
    token_log()
        .iter()
        .filter(|entry| {
            entry["scopes"].as_array().is_some_and(|scopes| {
                scopes
                    .iter()
                    .any(|s| s.as_str().unwrap_or("").contains(&format!(":{repo}:")))
            })
        })
        .count()
}

#[test]
fn tokens_are_cached_and_a_401_gets_one_fresh_challenge() {
    let host = token_registry();
    let (user, password) = registry_user();
    let env = Env::new();
    let big = env.random_layer("big", 1 << 20);
    let image = env.image("layout", &["--layer", big.to_str().unwrap()]);

    // Every request of a push (HEADs, uploads, manifest) shares one token.
    assert_eq!(login(&env, &host, &user, &password).code, 0);
    let repo = unique_repo("cached");
    env.copy_ok(&[], &image, &format!("docker://{host}/{repo}:1"));
    assert_eq!(token_requests_for(&repo), 1);

    // A registry that rejects the token once: one fresh token, then on.
    let (realm, service) = realm_and_service(&host);
    let again = unique_repo("rechallenged");
    let challenge = format!(
        r#"Bearer realm="{realm}",service="{service}",scope="repository:{again}:pull,push",error="invalid_token""#
    );
    let proxy = crate::harness::FaultProxy::start(
        &host,
        serde_json::json!([{"method": "HEAD", "path": "/blobs/sha256:", "nth": 1,
            "action": "status", "status": 401, "headers": {"WWW-Authenticate": challenge},
            "body": {"errors": [{"code": "UNAUTHORIZED", "message": "token expired"}]}}]),
    );
    assert_eq!(login(&env, &proxy.address(), &user, &password).code, 0);
    let report = env.copy_ok(
        &[],
        &image,
        &format!("docker://{}/{again}:1", proxy.address()),
    );
    assert!(n(&report, "bytes_sent") > 0, "{report}");
    assert_eq!(token_requests_for(&again), 2);
    // The blob HEAD that was refused was asked again, with the new token.
    let requests = proxy.requests();
    let refused = requests
        .iter()
        .find(|r| r["fault"] == "status")
        .expect("the 401 was answered");
    let asked = requests
        .iter()
        .filter(|r| r["method"] == "HEAD" && r["path"] == refused["path"])
        .count();
    assert_eq!(asked, 2, "{requests:?}");
}

#[test]
fn login_writes_through_a_symlinked_empty_config_and_keeps_the_link() {
    let host = htpasswd_registry();
    let (user, password) = registry_user();
    let env = Env::new();
    let real_dir = env.path("dotfiles");
    std::fs::create_dir(&real_dir).unwrap();
    let real = real_dir.join("docker-config.json");
    std::fs::write(&real, "").unwrap();
    let link = env.config_dir().join("config.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let ok = login(&env, &host, &user, &password);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&real).unwrap()).unwrap();
    assert!(written["auths"][&host]["auth"].is_string(), "{written}");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "config.json mode {mode:o}");
    let mut left: Vec<_> = std::fs::read_dir(&real_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["docker-config.json"]);
}

#[test]
fn concurrent_logins_to_different_servers_all_land() {
    let host = htpasswd_registry();
    let (user, password) = registry_user();
    // Eight servers: the registry behind eight proxies of its own.
    let proxies: Vec<_> = (0..8)
        .map(|_| crate::harness::FaultProxy::start(&host, serde_json::json!([])))
        .collect();
    for round in 0..3 {
        let env = Env::new();
        let runs: Vec<_> = proxies
            .iter()
            .map(|proxy| {
                let (config, server) = (env.config_dir(), proxy.address());
                let (user, password) = (user.clone(), password.clone());
                std::thread::spawn(move || {
                    crate::harness::Ocipipe::new()
                        .env("DOCKER_CONFIG", config.to_str().unwrap())
                        .run_with_stdin(
                            &["login", &server, "-u", &user, "--password-stdin"],
                            &format!("{password}\n"),
                        )
                })
            })
            .collect();
        for run in runs {
            let run = run.join().unwrap();
            assert_eq!(run.code, 0, "{}", run.stderr);
        }
        let kept = config(&env).unwrap();
        for proxy in &proxies {
            assert!(
                kept["auths"][proxy.address()]["auth"].is_string(),
                "round {round}: the login to {} was lost: {kept}",
                proxy.address()
            );
        }
    }
}

/// `login HOST -u USER --password-stdin` with `env`'s Docker config.
fn login_args(host: &str, user: &str) -> Vec<String> {
    crate::harness::strings(&["login", host, "-u", user, "--password-stdin"])
}

#[test]
fn login_reads_a_redirected_file_as_it_reads_a_pipe() {
    use crate::hostile::{Given, InputCommand, inputs};
    let host = htpasswd_registry();
    let (user, password) = registry_user();
    let env = Env::new();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("line", format!("{password}\n").into_bytes()),
        ("crlf", format!("{password}\r\n").into_bytes()),
        ("bare", password.clone().into_bytes()),
        ("wrong", b"not-the-password\n".to_vec()),
        ("empty", Vec::new()),
        ("newline", b"\n".to_vec()),
        ("too-long", vec![b'p'; 20 << 10]),
        ("not-utf8", vec![0xff, 0xfe, b'\n']),
    ];
    let args = |_: &str| login_args(&host, &user);
    inputs::stdin_matches_file(
        &InputCommand {
            name: "login",
            args: &args,
            env: vec![(
                "DOCKER_CONFIG".to_string(),
                env.config_dir().display().to_string(),
            )],
            file: Given::Stdin,
            stream: Given::Stdin,
        },
        &cases,
        &["line", "crlf", "bare"],
    );
}

#[test]
fn login_interrupted_at_any_moment_leaves_the_config_whole() {
    use crate::hostile::updates::{self, UpdateCommand};
    let host = htpasswd_registry();
    let (user, password) = registry_user();
    let env = Env::new();
    let mut auths = serde_json::Map::new();
    for i in 0..200 {
        auths.insert(format!("r{i}.example"), serde_json::json!({"auth": "eDp5"}));
    }
    let file = env.config_dir().join("config.json");
    std::fs::write(&file, serde_json::json!({ "auths": auths }).to_string()).unwrap();
    let stdin = format!("{password}\n");
    for signal in ["INT", "TERM"] {
        updates::interrupted_leaves_the_file_whole(
            &UpdateCommand {
                name: "login",
                args: login_args(&host, &user),
                env: vec![(
                    "DOCKER_CONFIG".to_string(),
                    env.config_dir().display().to_string(),
                )],
                stdin: stdin.as_bytes(),
                file: file.clone(),
            },
            signal,
        );
    }
}
