//! `ocipipe tag`, `image inspect`, `image rm` against the real Docker
//! Engine, with images each test makes itself; `docker` is the
//! independent check.

use crate::harness::{Ocipipe, docker, engine_tags, load_image, ocipipe, unique_repo};

#[test]
fn tag_gives_the_image_every_target_name() {
    let repo = unique_repo("multi");
    let source = format!("{repo}:source");
    let id = load_image(&source, "multi");
    let targets = format!("{repo}:a, localhost:5000/{repo}:b,{repo}");
    let run = ocipipe(&["tag", "--json", &source, &targets]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.json_lines();
    let made: Vec<&str> = lines
        .iter()
        .map(|l| l["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        made,
        [
            format!("docker.io/{repo}:a"),
            format!("localhost:5000/{repo}:b"),
            format!("docker.io/{repo}:latest"),
        ]
    );
    assert_eq!(lines[0]["familiar"], format!("{repo}:a"));
    let mut expected = vec![
        format!("{repo}:a"),
        format!("{repo}:latest"),
        format!("{repo}:source"),
        format!("localhost:5000/{repo}:b"),
    ];
    expected.sort();
    assert_eq!(engine_tags(&id), expected);
}

#[test]
fn tag_by_image_id_works() {
    let repo = unique_repo("by-id");
    let id = load_image(&format!("{repo}:one"), "by-id");
    let run = ocipipe(&["tag", &id, &format!("{repo}:two")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("docker.io/{repo}:two\n"));
    assert!(engine_tags(&id).contains(&format!("{repo}:two")));
}

#[test]
fn a_bad_target_list_tags_nothing() {
    let repo = unique_repo("bad-list");
    let source = format!("{repo}:source");
    let id = load_image(&source, "bad-list");
    let digest = format!("sha256:{}", "a".repeat(64));
    let cases = [
        (format!("{repo}:ok,{repo}/Upper"), "must be lowercase"),
        (
            format!("{repo}:ok,,{repo}:x"),
            "empty image name at position 2",
        ),
        (format!("{repo}:ok,"), "empty image name at position 2"),
        (
            format!("{repo}:ok,{repo}@{digest}"),
            "cannot carry a digest",
        ),
        (
            format!("{repo}:{}", "t".repeat(129)),
            "invalid reference format",
        ),
    ];
    for (targets, message) in cases {
        let run = ocipipe(&["tag", &source, &targets]);
        assert_eq!(run.code, 1, "{targets}");
        assert!(
            run.first_error_line().starts_with("error: "),
            "{}",
            run.stderr
        );
        assert!(
            run.first_error_line().contains(message),
            "{targets}: {}",
            run.stderr
        );
        assert_eq!(
            engine_tags(&id),
            std::slice::from_ref(&source),
            "{targets}: nothing may be tagged"
        );
    }
}

#[test]
fn unique_tag_makes_a_new_32_hex_name() {
    let repo = unique_repo("unique");
    let id = load_image(&format!("{repo}:source"), "unique");
    let first = ocipipe(&["tag", "--unique", "--json", &id, &repo]);
    let second = ocipipe(&["tag", "--unique", &id, &repo]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(second.code, 0, "{}", second.stderr);
    let name = first.json_lines()[0]["target"]
        .as_str()
        .unwrap()
        .to_string();
    let prefix = format!("docker.io/{repo}:");
    let tag = name.strip_prefix(&prefix).expect(&name);
    assert_eq!(tag.len(), 32);
    assert!(
        tag.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
        "{tag}"
    );
    assert_ne!(second.stdout.trim(), name, "two calls, two names");
    let tags = engine_tags(&id);
    assert!(tags.contains(&format!("{repo}:{tag}")), "{tags:?}");
    assert_eq!(tags.len(), 3);

    let tagged = ocipipe(&["tag", "--unique", &id, &format!("{repo}:already")]);
    assert_eq!(tagged.code, 1);
    assert!(
        tagged
            .first_error_line()
            .contains("must not have a tag or digest"),
        "{}",
        tagged.stderr
    );
}

#[test]
fn inspect_reports_what_the_engine_knows() {
    let repo = unique_repo("inspect");
    let name = format!("{repo}:v1");
    let id = load_image(&name, "inspect-label");
    let run = ocipipe(&["image", "inspect", "--json", &name]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let info = &run.json_lines()[0];
    assert_eq!(info["reference"], name.as_str());
    assert_eq!(info["id"], id.as_str());
    assert_eq!(info["repo_tags"], serde_json::json!([name]));
    assert_eq!(info["os"], "linux");
    assert_eq!(info["architecture"], "amd64");
    assert_eq!(info["labels"]["org.ocipipe.test"], "inspect-label");
    assert_eq!(
        info["env"],
        serde_json::json!(["PATH=/bin", "OCIPIPE_TEST=1"])
    );
    assert_eq!(info["cmd"], serde_json::json!(["/hello.txt"]));

    let human = ocipipe(&["image", "inspect", &name]);
    assert_eq!(human.code, 0);
    assert!(human.stdout.contains(&id), "{}", human.stdout);
}

#[test]
fn rm_removes_names_then_the_image() {
    let repo = unique_repo("rm");
    let id = load_image(&format!("{repo}:one"), "rm");
    assert_eq!(ocipipe(&["tag", &id, &format!("{repo}:two")]).code, 0);

    let run = ocipipe(&["image", "rm", "--json", &format!("{repo}:one")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = &run.json_lines()[0];
    assert_eq!(line["untagged"], serde_json::json!([format!("{repo}:one")]));
    assert_eq!(line["deleted"], serde_json::json!([]));
    assert_eq!(engine_tags(&id), [format!("{repo}:two")]);

    let run = ocipipe(&["image", "rm", "--json", &format!("{repo}:two")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let deleted = run.json_lines()[0]["deleted"].clone();
    assert!(
        deleted.as_array().unwrap().iter().any(|d| d == id.as_str()),
        "{deleted}"
    );
    assert!(
        !docker(&["image", "inspect", &id]).status.success(),
        "the image is gone"
    );
}

#[test]
fn rm_of_an_image_with_several_names_by_id_needs_force() {
    let repo = unique_repo("force");
    let id = load_image(&format!("{repo}:one"), "force");
    assert_eq!(ocipipe(&["tag", &id, &format!("{repo}:two")]).code, 0);
    let refused = ocipipe(&["image", "rm", &id]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .first_error_line()
            .contains("the Docker Engine refused to remove"),
        "{}",
        refused.stderr
    );
    assert_eq!(engine_tags(&id).len(), 2, "nothing removed");
    let forced = ocipipe(&["image", "rm", "--force", &id]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(!docker(&["image", "inspect", &id]).status.success());
}

#[test]
fn a_missing_image_is_a_clear_error() {
    let repo = unique_repo("missing");
    for args in [
        vec!["image", "inspect", repo.as_str()],
        vec!["image", "rm", repo.as_str()],
        vec!["tag", repo.as_str(), "somewhere/else"],
    ] {
        let run = ocipipe(&args);
        assert_eq!(run.code, 1, "{args:?}");
        assert!(
            run.first_error_line().contains("no such image"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn an_engine_that_is_down_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let gone = format!("unix://{}/docker.sock", dir.path().display());
    let refused = "tcp://127.0.0.1:1".to_string();
    for host in [gone, refused] {
        for args in [vec!["image", "inspect", "x"], vec!["tag", "x", "y"]] {
            let run = Ocipipe::new().env("DOCKER_HOST", &host).run(&args);
            assert_eq!(run.code, 1, "{host} {args:?}");
            let line = run.first_error_line();
            assert!(
                line.starts_with(&format!("error: cannot reach the Docker Engine at {host}")),
                "{host}: {}",
                run.stderr
            );
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        }
    }
    let run = Ocipipe::new()
        .env("DOCKER_HOST", "ssh://nowhere")
        .run(&["image", "inspect", "x"]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_error_line().contains("unsupported DOCKER_HOST"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_image_id_prefix_names_the_image() {
    let repo = unique_repo("prefix");
    let id = load_image(&format!("{repo}:one"), "prefix");
    let hex = id.strip_prefix("sha256:").unwrap();
    for prefix in [&hex[..12], &id[..19]] {
        let run = ocipipe(&["image", "inspect", "--json", prefix]);
        assert_eq!(run.code, 0, "{prefix}: {}", run.stderr);
        assert_eq!(run.json_lines()[0]["id"], id.as_str(), "{prefix}");
    }
    let run = ocipipe(&["tag", &hex[..12], &format!("{repo}:two")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(engine_tags(&id).contains(&format!("{repo}:two")));
}

#[test]
fn a_malformed_reference_is_refused_by_the_tagging_component_before_the_engine_is_asked() {
    // No engine answers here: the refusal must come first.
    let dir = tempfile::tempdir().unwrap();
    let nowhere = format!("unix://{}/docker.sock", dir.path().display());
    let refusal = "error: component tagging (built-in) refused parse-any-reference: \
                   invalid reference format: repository name (Name) must be lowercase";
    let unused = dir.path().join("unused.tar");
    for args in [
        vec!["image", "inspect", "Bad/Name"],
        vec!["image", "rm", "Bad/Name"],
        vec!["image", "save", "Bad/Name", "-o", unused.to_str().unwrap()],
    ] {
        let run = Ocipipe::new().env("DOCKER_HOST", &nowhere).run(&args);
        assert_eq!(run.code, 1, "{args:?}");
        assert_eq!(run.first_error_line(), refusal, "{args:?}");
    }

    // `tag` too: its source and targets are checked before it connects.
    for args in [
        vec!["tag", "Bad/Name", "ok/target"],
        vec!["tag", "ok/source", "Bad/Target"],
    ] {
        let run = Ocipipe::new().env("DOCKER_HOST", &nowhere).run(&args);
        assert_eq!(run.code, 1, "{args:?}");
        assert!(
            run.first_error_line()
                .starts_with("error: component tagging (built-in) refused")
                && run.first_error_line().contains("must be lowercase"),
            "{args:?}: {}",
            run.stderr
        );
    }

    // With the real engine answering, nothing is tagged.
    let repo = unique_repo("bad-source");
    let id = load_image(&format!("{repo}:one"), "bad-source");
    let target = format!("{repo}:two");
    for (source, message) in [
        ("Bad/Name", refusal),
        (
            "a:b:c",
            "error: component tagging (built-in) refused parse-any-reference: \
             invalid reference format",
        ),
    ] {
        let run = ocipipe(&["tag", source, &target]);
        assert_eq!(run.code, 1, "{source}");
        assert_eq!(run.first_error_line(), message, "{source}");
    }
    assert_eq!(engine_tags(&id), [format!("{repo}:one")]);
}
