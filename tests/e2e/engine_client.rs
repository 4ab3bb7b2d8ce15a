//! The engine client where users expect it to be complete: `image exists`,
//! `image rm --ignore-missing`, a pinned `DOCKER_API_VERSION`, an engine
//! that does not answer, and a load whose answer does not show the image.

use crate::harness::{
    FaultProxy, Ocipipe, docker_archive, docker_host, load_image, ocipipe, simple_layer,
    unique_repo,
};
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
    let paths: Vec<String> = proxy
        .requests()
        .iter()
        .map(|r| r["path"].as_str().unwrap_or("").to_string())
        .collect();
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
