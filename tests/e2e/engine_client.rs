//! The engine client where users expect it to be complete: `image exists`,
//! `image rm --ignore-missing`, a pinned `DOCKER_API_VERSION`, an engine
//! that does not answer, and a load whose answer does not show the image.

use crate::harness::{
    FaultProxy, Ocipipe, docker_archive, docker_host, load_image, ocipipe, simple_layer,
    unique_repo,
};
use crate::registry::{skopeo_digest, skopeo_digest_as};
use std::time::{Duration, Instant};

#[test]
fn image_exists_answers_with_its_exit_code() {
    let name = format!("{}:1", unique_repo("exists"));
    let id = load_image(&name, "exists");
    let present = ocipipe(&["image", "exists", &name, &id]);
    assert_eq!(present.code, 0, "{}", present.stderr);
    assert_eq!(present.stdout, format!("{name}: present\n{id}: present\n"));

    let absent = format!("{}:1", unique_repo("absent"));
    let mixed = ocipipe(&["image", "exists", "--json", &name, &absent]);
    assert_eq!(mixed.code, 1, "{}", mixed.stderr);
    let lines = mixed.json_lines();
    assert_eq!(lines[0]["exists"], true);
    assert_eq!(lines[1]["exists"], false);
    assert_eq!(lines[1]["reference"], absent.as_str());
    assert!(
        mixed.stderr.is_empty(),
        "absence is an answer, not an error: {}",
        mixed.stderr
    );
}

#[test]
fn removing_an_absent_image_is_an_error_unless_told_to_ignore_it() {
    let name = format!("{}:1", unique_repo("rm-absent"));
    let refused = ocipipe(&["image", "rm", &name]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.first_error_line().contains("no such image"),
        "{}",
        refused.stderr
    );

    let ignored = ocipipe(&["image", "rm", "--ignore-missing", "--json", &name]);
    assert_eq!(ignored.code, 0, "{}", ignored.stderr);
    assert_eq!(ignored.json_lines()[0]["untagged"], serde_json::json!([]));

    load_image(&name, "rm-absent");
    let removed = ocipipe(&["image", "rm", "--ignore-missing", "--json", &name]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert_eq!(
        removed.json_lines()[0]["untagged"],
        serde_json::json!([name])
    );
    assert_eq!(ocipipe(&["image", "exists", &name]).code, 1);
}

#[test]
fn a_pinned_api_version_is_used_and_one_the_engine_lacks_is_refused() {
    // Every request goes to the pinned version (seen through a proxy).
    let socket = docker_host();
    let proxy = FaultProxy::start(
        &format!("unix:{}", socket.strip_prefix("unix://").unwrap()),
        serde_json::json!([]),
    );
    let pinned = Ocipipe::new()
        .env("DOCKER_API_VERSION", "1.40")
        .env("DOCKER_HOST", &format!("tcp://{}", proxy.address()))
        .run(&["image", "ls"]);
    assert_eq!(pinned.code, 0, "{}", pinned.stderr);
    let paths = proxy.paths();
    assert!(
        paths.iter().any(|p| p.starts_with("/v1.40/images/json")),
        "{paths:?}"
    );
    assert!(paths.iter().all(|p| p.starts_with("/v1.40/")), "{paths:?}");

    let too_new = Ocipipe::new()
        .env("DOCKER_API_VERSION", "1.99")
        .run(&["image", "ls"]);
    assert_eq!(too_new.code, 1);
    let line = too_new.first_error_line();
    assert!(
        line.contains("does not speak API 1.99") && line.contains("1.99"),
        "{}",
        too_new.stderr
    );

    let nonsense = Ocipipe::new()
        .env("DOCKER_API_VERSION", "latest")
        .run(&["image", "ls"]);
    assert_eq!(nonsense.code, 1);
    assert!(
        nonsense
            .first_error_line()
            .contains("is not an API version"),
        "{}",
        nonsense.stderr
    );
}

#[test]
fn an_engine_that_does_not_answer_is_given_up_after_five_seconds() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    // Accepts and holds every connection, answering nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let run = Ocipipe::new()
        .env("DOCKER_HOST", &format!("tcp://{address}"))
        .run(&["image", "ls"]);
    let took = started.elapsed();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.first_error_line().contains("did not answer within 5 s"),
        "{}",
        run.stderr
    );
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(20),
        "{took:?}"
    );
}

#[test]
fn a_load_whose_answer_does_not_show_the_image_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{}:1", unique_repo("not-loaded"));
    let (archive, id) = docker_archive(&name, "not-loaded", &[simple_layer("f", b"x")]);
    let path = dir.path().join("image.tar");
    std::fs::write(&path, archive).unwrap();
    let socket = docker_host();
    let socket = socket.strip_prefix("unix://").unwrap();
    let answers = [
        (serde_json::json!(""), "names no image loaded"),
        (
            serde_json::json!({"stream": format!("Loaded image ID: sha256:{}\n", "0".repeat(64))}),
            "not the image",
        ),
    ];
    for (body, words) in answers {
        let proxy = FaultProxy::start(
            &format!("unix:{socket}"),
            serde_json::json!([{"method": "POST", "path": "/images/load", "action": "status",
                                "status": 200, "body": body}]),
        );
        let run = Ocipipe::new()
            .env("DOCKER_HOST", &format!("tcp://{}", proxy.address()))
            .run(&["image", "load", path.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let line = run.first_error_line();
        assert!(line.contains(words), "{words:?} in {}", run.stderr);
        if words == "not the image" {
            assert!(line.contains(&id), "{}", run.stderr);
        }
    }
}

#[test]
fn image_push_through_the_engine_prints_the_digest_skopeo_reads() {
    let name = format!(
        "{}/{}:1",
        crate::harness::registry(),
        unique_repo("engine-push")
    );
    load_image(&name, "engine-push");
    let pushed = ocipipe(&["image", "push", "--json", &name]);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    let line = &pushed.json_lines()[0];
    assert_eq!(line["name"], name.as_str());
    assert_eq!(line["digest"].as_str().unwrap(), skopeo_digest(&name));

    let absent = format!(
        "{}/{}:1",
        crate::harness::registry(),
        unique_repo("never-loaded")
    );
    let missing = ocipipe(&["image", "push", &absent]);
    assert_eq!(missing.code, 1);
    // The engine says so inside its push stream.
    assert!(
        missing
            .first_error_line()
            .contains("does not exist locally"),
        "{}",
        missing.stderr
    );

    // A registry that is not there: the error inside the engine's stream.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = format!("127.0.0.1:{port}/{}:1", unique_repo("nowhere"));
    crate::harness::docker_ok(&["tag", &name, &nowhere]);
    let refused = ocipipe(&["image", "push", &nowhere]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.first_error_line().contains("refused to push"),
        "{}",
        refused.stderr
    );
}

#[test]
fn image_push_through_the_engine_uses_the_login() {
    let host = crate::harness::htpasswd_registry();
    let (user, password) = crate::harness::registry_user();
    let config = tempfile::tempdir().unwrap();
    let as_user = || Ocipipe::new().env("DOCKER_CONFIG", config.path().to_str().unwrap());
    let name = format!("{host}/{}:1", unique_repo("engine-push-auth"));
    load_image(&name, "engine-push-auth");

    let anonymous = as_user().run(&["image", "push", &name]);
    assert_eq!(anonymous.code, 1, "{}", anonymous.stderr);
    assert!(
        anonymous.first_error_line().contains("refused to push"),
        "{}",
        anonymous.stderr
    );

    let login = as_user().run_with_stdin(
        &["login", &host, "-u", &user, "--password-stdin"],
        &format!("{password}\n"),
    );
    assert_eq!(login.code, 0, "{}", login.stderr);
    let pushed = as_user().run(&["image", "push", "--json", "-vv", &name]);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert!(!pushed.stderr.contains(&password) && !pushed.stdout.contains(&password));
    let digest = pushed.json_lines()[0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        digest,
        skopeo_digest_as(&name, Some(&format!("{user}:{password}")))
    );
}

#[test]
fn an_engine_over_tls_is_reached_with_the_client_certificates() {
    let host = std::env::var("OCIPIPE_DOCKER_TLS_HOST")
        .expect("the engine's TLS port: run under scripts/services");
    let certs = std::env::var("OCIPIPE_DOCKER_CERT_PATH").unwrap();
    let tls = |certs: &str| {
        Ocipipe::new()
            .env("DOCKER_HOST", &host)
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", certs)
    };
    let listed = tls(&certs).run(&["image", "ls", "--json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);

    // A push goes over the same TLS connection settings.
    let name = format!(
        "{}/{}:1",
        crate::harness::registry(),
        unique_repo("tls-push")
    );
    load_image(&name, "tls-push");
    let pushed = tls(&certs).run(&["image", "push", "--json", &name]);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert_eq!(
        pushed.json_lines()[0]["digest"].as_str().unwrap(),
        skopeo_digest(&name)
    );

    let plain = Ocipipe::new()
        .env("DOCKER_HOST", &host)
        .run(&["image", "ls"]);
    assert_eq!(
        plain.code, 1,
        "plain HTTP to a TLS port must fail: {}",
        plain.stderr
    );
    assert!(plain.first_error_line().contains(&host), "{}", plain.stderr);

    let nowhere = tls("/nonexistent-certs").run(&["image", "ls"]);
    assert_eq!(nowhere.code, 1);
    assert!(
        nowhere
            .first_error_line()
            .contains("/nonexistent-certs/ca.pem is missing"),
        "{}",
        nowhere.stderr
    );
}
