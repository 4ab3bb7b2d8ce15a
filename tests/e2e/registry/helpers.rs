//! Credential helpers as docker runs them (`credsStore`, `credHelpers`),
//! with tests/fixtures/docker-credential-ocipipe-test on `PATH`: `login`
//! stores through them and leaves no secret in the config, `logout`
//! erases there, a helper's "credentials not found" means anonymous, and
//! a helper that hangs, floods or fails is stopped and named.

use super::auth::no_password;
use super::{Env, refused};
use crate::harness::{
    FaultProxy, Ocipipe, Run, TestHelper, htpasswd_registry, registry, registry_user,
    token_registry, unique_repo,
};
use ocipipe::registry::{HELPER_TIMEOUT, MAX_HELPER_OUTPUT};
use std::time::{Duration, Instant};

fn write_config(env: &Env, config: serde_json::Value) {
    std::fs::write(env.config_dir().join("config.json"), config.to_string()).unwrap();
}

fn config_text(env: &Env) -> String {
    std::fs::read_to_string(env.config_dir().join("config.json")).unwrap()
}

fn config(env: &Env) -> serde_json::Value {
    serde_json::from_str(&config_text(env)).unwrap()
}

fn with(env: &Env, helper: &TestHelper) -> Ocipipe {
    helper.on(env.ocipipe())
}

fn login(env: &Env, helper: &TestHelper, host: &str, user: &str, password: &str) -> Run {
    with(env, helper).run_with_stdin(
        &["login", host, "-u", user, "--password-stdin"],
        &format!("{password}\n"),
    )
}

/// `copy --json FROM TO` (with `-vv`: debug logs must not show secrets
/// either).
fn copy(env: &Env, helper: &TestHelper, from: &str, to: &str) -> Run {
    with(env, helper).run(&["copy", "--json", "-vv", from, to])
}

/// `copy --json FROM TO`, for a run that is to fail: its first line that
/// is not progress must be the error.
fn copy_quietly(env: &Env, helper: &TestHelper, from: &str, to: &str) -> Run {
    with(env, helper).run(&["copy", "--json", from, to])
}

/// Login through the helper `settings` name for `host`, copies with what
/// it keeps, logout erasing it there: the config never holds the secret.
fn login_through_a_helper(host: &str, settings: serde_json::Value) {
    let (user, password) = registry_user();
    let env = Env::new();
    let helper = TestHelper::new("keep");
    write_config(&env, settings.clone());
    let image = env.image("layout", &[]);
    let target = format!("docker://{host}/{}:1", unique_repo("helper-login"));

    // Traced: no log line at any level shows the secret.
    let ok = with(&env, &helper).env("RUST_LOG", "trace").run_with_stdin(
        &["login", host, "-u", &user, "--password-stdin"],
        &format!("{password}\n"),
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(
        ok.stderr.contains("credential helper"),
        "not traced: {}",
        ok.stderr
    );
    assert_eq!(
        helper.held()[host],
        serde_json::json!({"Username": user, "Secret": password}),
        "{settings}"
    );
    let text = config_text(&env);
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    assert!(
        !text.contains(&password) && !text.contains(&encoded),
        "the config holds the secret: {text}"
    );
    let kept = config(&env);
    assert_eq!(kept["auths"][host], serde_json::json!({}), "{kept}");
    for (key, value) in settings.as_object().unwrap() {
        if key == "auths" {
            for (server, entry) in value.as_object().unwrap() {
                assert_eq!(&kept["auths"][server], entry, "{server} kept");
            }
        } else {
            assert_eq!(&kept[key], value, "{key} kept");
        }
    }

    let pushed = copy(&env, &helper, &image, &target);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    let pulled = with(&env, &helper).env("RUST_LOG", "trace").run(&[
        "copy",
        "--json",
        &target,
        &format!("oci:{}:p", env.path("pulled").display()),
    ]);
    assert_eq!(pulled.code, 0, "{}", pulled.stderr);

    let logout = with(&env, &helper).run(&["logout", host]);
    assert_eq!(logout.code, 0, "{}", logout.stderr);
    assert!(logout.stdout.contains("Removing"), "{}", logout.stdout);
    assert_eq!(
        helper.held(),
        serde_json::json!({}),
        "erased from the helper"
    );
    assert!(
        config(&env)["auths"].get(host).is_none(),
        "{}",
        config_text(&env)
    );
    assert!(
        helper
            .calls()
            .iter()
            .any(|c| c["action"] == "erase" && c["server"] == host),
        "{:?}",
        helper.calls()
    );
    let after = copy(&env, &helper, &image, &target);
    assert_eq!(after.code, 1, "{}", after.stderr);
    no_password(&[&ok, &pushed, &pulled, &logout, &after], &password);
}

#[test]
fn login_with_a_creds_store_keeps_the_secret_in_the_helper_and_logout_erases_it() {
    login_through_a_helper(
        &htpasswd_registry(),
        serde_json::json!({"credsStore": "ocipipe-test", "psFormat": "table"}),
    );
}

#[test]
fn login_with_a_cred_helper_for_the_server_keeps_the_secret_there_and_logout_erases_it() {
    let host = token_registry();
    login_through_a_helper(
        &host,
        serde_json::json!({
            "credHelpers": {&host: "ocipipe-test"},
            "auths": {"other.example:5000": {"auth": "eDp5"}},
        }),
    );
}

#[test]
fn a_helper_or_store_gives_the_password_it_holds_and_a_missing_one_is_named() {
    let host = htpasswd_registry();
    let (user, password) = registry_user();
    let env = Env::new();
    let helper = TestHelper::new("keep");
    helper.hold(&host, &user, &password);
    let image = env.image("layout", &[]);
    for (i, settings) in [
        serde_json::json!({"credHelpers": {&host: "ocipipe-test"}}),
        serde_json::json!({"credsStore": "ocipipe-test"}),
    ]
    .into_iter()
    .enumerate()
    {
        write_config(&env, settings.clone());
        let target = format!("docker://{host}/{}:{i}", unique_repo("helper"));
        let run = copy(&env, &helper, &image, &target);
        assert_eq!(run.code, 0, "{settings}: {}", run.stderr);
        no_password(&[&run], &password);
    }
    let asked: Vec<_> = helper
        .calls()
        .iter()
        .map(|c| (c["action"].clone(), c["server"].clone()))
        .collect();
    assert!(
        asked
            .iter()
            .all(|a| a == &("get".into(), host.clone().into())),
        "{asked:?}"
    );
    assert_eq!(asked.len(), 2, "{asked:?}");

    write_config(
        &env,
        serde_json::json!({"credHelpers": {&host: "ocipipe-absent"}}),
    );
    let run = copy_quietly(
        &env,
        &helper,
        &image,
        &format!("docker://{host}/{}:1", unique_repo("helper")),
    );
    refused(&run, "docker-credential-ocipipe-absent");
    let error = run.stderr.lines().find(|l| l.starts_with("error: "));
    assert!(
        error.is_some_and(|e| e.contains(&host) && e.contains("PATH")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_helper_without_credentials_for_a_public_registry_leaves_the_pull_anonymous() {
    // A public registry as Docker Hub is one: it challenges for a token,
    // and the token server gives anyone one for a pull. The fault proxy
    // gives the plain registry that challenge; the token server is the
    // token registry's.
    let env = Env::new();
    let image = env.image("layout", &[]);
    let repo = unique_repo("public");
    let pushed = env.copy(&[], &image, &format!("docker://{}/{repo}:1", registry()));
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    let (realm, service) = super::auth::realm_and_service(&token_registry());
    let proxy = FaultProxy::start(
        &registry(),
        serde_json::json!([{"method": "GET", "path": "^/v2/$", "action": "status",
            "status": 401, "body": {"errors": [{"code": "UNAUTHORIZED"}]},
            "headers": {"WWW-Authenticate":
                format!(r#"Bearer realm="{realm}",service="{service}""#)}}]),
    );
    let helper = TestHelper::new("forget");
    write_config(&env, serde_json::json!({"credsStore": "ocipipe-test"}));
    let public = format!("docker://{}/{repo}:1", proxy.address());
    let pulled = copy(
        &env,
        &helper,
        &public,
        &format!("oci:{}:p", env.path("pulled").display()),
    );
    assert_eq!(pulled.code, 0, "{}", pulled.stderr);
    assert!(
        helper
            .calls()
            .iter()
            .any(|c| c["action"] == "get" && c["server"] == proxy.address()),
        "the helper was asked: {:?}",
        helper.calls()
    );
    assert!(proxy.faults("status") > 0, "the registry challenged");
}

/// The helper processes of `helper`'s calls are gone.
fn helpers_stopped(helper: &TestHelper) {
    for call in helper.calls() {
        let pid = call["pid"].as_u64().unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        assert!(
            status.is_empty() || status.contains("State:\tZ"),
            "helper {pid} still runs"
        );
    }
}

#[test]
fn a_helper_that_never_answers_is_stopped_at_the_timeout_and_named() {
    let host = htpasswd_registry();
    let env = Env::new();
    let helper = TestHelper::new("hang");
    write_config(&env, serde_json::json!({"credsStore": "ocipipe-test"}));
    let image = env.image("layout", &[]);
    let started = Instant::now();
    let run = copy_quietly(
        &env,
        &helper,
        &image,
        &format!("docker://{host}/{}:1", unique_repo("hang")),
    );
    let took = started.elapsed();
    refused(&run, "docker-credential-ocipipe-test get");
    assert!(run.stderr.contains(&host), "{}", run.stderr);
    let waited = format!("no answer within {} s", HELPER_TIMEOUT.as_secs());
    assert!(run.stderr.contains(&waited), "{}", run.stderr);
    assert!(
        took >= HELPER_TIMEOUT && took < HELPER_TIMEOUT + Duration::from_secs(30),
        "took {took:?}"
    );
    assert_eq!(helper.calls().len(), 1, "{:?}", helper.calls());
    helpers_stopped(&helper);
}

#[test]
fn a_helper_that_floods_is_cut_at_the_cap_with_little_memory() {
    let host = htpasswd_registry();
    let env = Env::new();
    // 64 times the cap: taken whole, it would take 256 MiB.
    let flood = (64 * MAX_HELPER_OUTPUT).to_string();
    let helper = TestHelper::new("flood").with("OCIPIPE_TEST_HELPER_FLOOD_BYTES", &flood);
    write_config(&env, serde_json::json!({"credsStore": "ocipipe-test"}));
    let image = env.image("layout", &[]);
    let target = format!("docker://{host}/{}:1", unique_repo("flood"));
    let (run, peak_kib) =
        with(&env, &helper).run_measured(&["copy", "--json", &image, &target], b"");
    refused(&run, "docker-credential-ocipipe-test get");
    let capped = format!("more than {} MiB", MAX_HELPER_OUTPUT >> 20);
    assert!(run.stderr.contains(&capped), "{}", run.stderr);
    assert!(peak_kib < 96 << 10, "peak memory {peak_kib} KiB");
    helpers_stopped(&helper);
}

#[test]
fn a_failing_helper_is_shown_in_its_own_words_escaped_and_never_with_the_secret() {
    let host = htpasswd_registry();
    let (user, password) = registry_user();
    let env = Env::new();
    let helper = TestHelper::new("fail");
    let settings = serde_json::json!({"credsStore": "ocipipe-test"});
    write_config(&env, settings.clone());
    let image = env.image("layout", &[]);

    let run = copy_quietly(
        &env,
        &helper,
        &image,
        &format!("docker://{host}/{}:1", unique_repo("fail")),
    );
    refused(&run, "docker-credential-ocipipe-test get");
    assert!(
        run.stderr.contains("the keychain is locked"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\u{1b}'),
        "a raw escape: {:?}",
        run.stderr
    );

    let stored = login(&env, &helper, &host, &user, &password);
    refused(&stored, "docker-credential-ocipipe-test store");
    assert!(
        stored.stderr.contains("the keychain is locked"),
        "{}",
        stored.stderr
    );
    assert!(stored.stderr.contains("given:"), "{}", stored.stderr);
    no_password(&[&run, &stored], &password);
    assert_eq!(config(&env), settings, "a failed login changed the config");
}

#[test]
fn login_interrupted_while_its_helper_stores_changes_nothing() {
    use crate::hostile::updates::{self, UpdateCommand};
    let host = htpasswd_registry();
    let (user, password) = registry_user();
    let env = Env::new();
    let settings = serde_json::json!({"credsStore": "ocipipe-test"});
    write_config(&env, settings.clone());
    let helper = TestHelper::new("hang");
    let mut cmd_env = helper.env();
    cmd_env.push((
        "DOCKER_CONFIG".to_string(),
        env.config_dir().display().to_string(),
    ));
    let stdin = format!("{password}\n");
    let asked = || !helper.calls().is_empty();
    updates::interrupted_midway_changes_nothing(
        &UpdateCommand {
            name: "login",
            args: crate::harness::strings(&["login", &host, "-u", &user, "--password-stdin"]),
            env: cmd_env,
            stdin: stdin.as_bytes(),
            file: env.config_dir().join("config.json"),
        },
        "INT",
        &asked,
    );
    assert_eq!(config(&env), settings);
    helper.stop_all();
}

#[test]
fn image_push_through_the_engine_uses_the_helpers_login() {
    let host = htpasswd_registry();
    let (user, password) = registry_user();
    let env = Env::new();
    let helper = TestHelper::new("keep");
    write_config(&env, serde_json::json!({"credsStore": "ocipipe-test"}));
    let name = format!("{host}/{}:1", unique_repo("engine-push-helper"));
    crate::harness::load_image(&name, "engine-push-helper");
    let ok = login(&env, &helper, &host, &user, &password);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let pushed = with(&env, &helper).run(&["image", "push", "--json", "-vv", &name]);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert!(
        helper
            .calls()
            .iter()
            .any(|c| c["action"] == "get" && c["server"] == host),
        "{:?}",
        helper.calls()
    );
    no_password(&[&ok, &pushed], &password);
}
