//! `type: image` entries with a `docker load` archive or the engine on a
//! side: an archive's or the engine's image is planned by its image ID
//! (the config digest), compared with a registry's manifest's config, the
//! engine's ID for the target name, or an archive file that a copy
//! rewrites whole; pinned to that ID, from a lockfile too. Docker is the
//! independent check.

use super::{at, count, file, proxy, push, results, sync, tags, wrote_nothing};
use crate::harness::{docker_archive, docker_ok, simple_layer, unique_repo};
use crate::registry::{Env, refused, skopeo_raw};

/// The config digest of the manifest `reference` names on a registry.
fn config_of(reference: &str) -> String {
    let manifest: serde_json::Value = serde_json::from_str(&skopeo_raw(reference)).unwrap();
    manifest["config"]["digest"].as_str().unwrap().to_string()
}

/// Writes a `docker load` archive of one image named `name` (its one layer
/// holding `content`) as `env`'s `file`; its path and image ID.
fn archive(env: &Env, file: &str, name: &str, content: &str) -> (String, String) {
    let layer = simple_layer("data", content.as_bytes());
    let (bytes, id) = docker_archive(name, content, &[layer]);
    let path = env.path(file);
    std::fs::write(&path, bytes).unwrap();
    (path.display().to_string(), id)
}

/// The engine's image ID for `name`.
fn engine_id(name: &str) -> String {
    docker_ok(&["image", "inspect", "--format", "{{.Id}}", name])
        .trim()
        .to_string()
}

/// An image entry from `source` to `target`, as `env`'s `sync.yaml`.
fn image_entry(env: &Env, source: &str, target: &str) -> String {
    file_named(env, "sync.yaml", source, target)
}

/// The one plan line of `--plan FILE`.
fn plan_line(env: &Env, file: &str) -> serde_json::Value {
    let run = sync(env, &["--plan", file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut lines = run.json_lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    lines.remove(0)
}

/// `sync FILE`, which must succeed with one image whose action is
/// `action`; that line.
fn sync_one(env: &Env, file: &str, action: &str) -> serde_json::Value {
    let run = sync(env, &[file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (mut lines, summary) = results(&run);
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert_eq!(summary["images"], 1, "{summary}");
    assert_eq!(lines[0]["action"], action, "{}", lines[0]);
    lines.remove(0)
}

#[test]
fn sync_an_archive_to_a_registry_by_image_id_then_unchanged() {
    let env = Env::new();
    let proxy = proxy();
    let (path, id) = archive(&env, "app.tar", "app:1", "an archive's image");
    let dst = unique_repo("sync-archive-dst");
    let host = proxy.address();
    let file = image_entry(
        &env,
        &format!("docker-archive:{path}:app:1"),
        &format!("{host}/{dst}"),
    );
    let line = plan_line(&env, &file);
    assert_eq!(line["digest"], id.as_str(), "the image ID: {line}");
    assert_eq!(line["reason"], "new", "{line}");
    assert_eq!(
        line["source"],
        format!("docker-archive:{path}:docker.io/library/app")
    );
    assert_eq!(line["tag"], "1", "{line}");
    assert_eq!(
        line["target"],
        format!("docker://{host}/{dst}:1"),
        "the source's tag"
    );
    wrote_nothing(&proxy.requests());

    let done = sync_one(&env, &file, "copied");
    assert_eq!(done["digest"], id.as_str(), "{done}");
    assert_eq!(
        config_of(&at(&dst, "1")),
        id,
        "the archive's image is at the target"
    );

    // Again: the target's manifest has the archive's config.
    let before = proxy.requests().len();
    let line = plan_line(&env, &file);
    assert_eq!(line["reason"], "unchanged", "{line}");
    let done = sync_one(&env, &file, "unchanged");
    assert_eq!(done["bytes_sent"], 0, "{done}");
    let log = proxy.requests().split_off(before);
    wrote_nothing(&log);
    assert_eq!(count(&log, "GET", "/blobs/"), 0, "no blob read: {log:?}");

    // Another image in the archive: changed, and copied.
    let (_, other) = archive(&env, "app.tar", "app:1", "another image");
    assert_eq!(plan_line(&env, &file)["reason"], "changed");
    sync_one(&env, &file, "copied");
    assert_eq!(config_of(&at(&dst, "1")), other);
}

#[test]
fn sync_a_registry_image_into_the_engine_and_back_by_image_id() {
    let env = Env::new();
    let proxy = proxy();
    let host = proxy.address();
    let src = unique_repo("sync-daemon-src");
    push(&env, "bound for the engine", &[at(&src, "1")]);
    let id = config_of(&at(&src, "1"));
    let name = unique_repo("sync-daemon");
    let file = image_entry(
        &env,
        &format!("{host}/{src}:1"),
        &format!("docker-daemon:{name}"),
    );
    let line = plan_line(&env, &file);
    assert_eq!(line["reason"], "new", "{line}");
    assert_eq!(line["target"], format!("docker-daemon:{name}:1"), "{line}");
    sync_one(&env, &file, "copied");
    let tagged = format!("{name}:1");
    assert_eq!(
        engine_id(&tagged),
        id,
        "the engine has the image under the name"
    );
    assert_eq!(plan_line(&env, &file)["reason"], "unchanged");
    sync_one(&env, &file, "unchanged");

    // The engine's image as a source: planned by its ID, unchanged once
    // the target's manifest has its config.
    let dst = unique_repo("sync-daemon-dst");
    let back = file_named(
        &env,
        "back.yaml",
        &format!("docker-daemon:{tagged}"),
        &format!("{host}/{dst}"),
    );
    let line = plan_line(&env, &back);
    assert_eq!(line["digest"], id.as_str(), "the image ID: {line}");
    assert_eq!(line["reason"], "new", "{line}");
    sync_one(&env, &back, "copied");
    assert_eq!(config_of(&at(&dst, "1")), id);
    sync_one(&env, &back, "unchanged");
    docker_ok(&["image", "rm", &tagged]);
}

/// An image entry from `source` to `target` in `env`'s `name`.
fn file_named(env: &Env, name: &str, source: &str, target: &str) -> String {
    file(
        env,
        name,
        &format!(
            "version: 1\nsync:\n  - source: {source}\n    target: {target}\n    type: image\n"
        ),
    )
}

#[test]
fn sync_a_registry_image_into_an_archive_docker_loads_then_changed() {
    let env = Env::new();
    let src = unique_repo("sync-to-archive-src");
    push(&env, "bound for an archive", &[at(&src, "1")]);
    let id = config_of(&at(&src, "1"));
    let name = unique_repo("sync-to-archive");
    let path = env.path("out.tar").display().to_string();
    let file = image_entry(
        &env,
        &at(&src, "1"),
        &format!("docker-archive:{path}:{name}"),
    );
    assert_eq!(plan_line(&env, &file)["reason"], "new");
    sync_one(&env, &file, "copied");
    docker_ok(&["load", "-i", &path]);
    let tagged = format!("{name}:1");
    assert_eq!(engine_id(&tagged), id, "the archive loads as the image");
    docker_ok(&["image", "rm", &tagged]);

    // The file is rewritten whole: changed, and copied again.
    let line = plan_line(&env, &file);
    assert_eq!(line["reason"], "changed", "{line}");
    sync_one(&env, &file, "copied");
    docker_ok(&["load", "-i", &path]);
    assert_eq!(engine_id(&tagged), id);
    docker_ok(&["image", "rm", &tagged]);
}

#[test]
fn sync_refuses_an_archive_or_the_engine_in_a_repository_entry() {
    let env = Env::new();
    let proxy = proxy();
    let host = proxy.address();
    for (entry, words) in [
        (
            format!("  - source: docker-archive:/tmp/a.tar\n    target: {host}/m\n"),
            "sync.yaml:3: sync[0].source: docker-archive: names one image",
        ),
        (
            format!("  - source: {host}/a\n    target: docker-daemon:m\n"),
            "sync.yaml:4: sync[0].target: docker-daemon: names one image",
        ),
    ] {
        let path = file(&env, "sync.yaml", &format!("version: 1\nsync:\n{entry}"));
        let run = sync(&env, &["--plan", &path]);
        refused(&run, words);
        assert!(run.stderr.contains("type: image"), "{}", run.stderr);
    }
    assert_eq!(proxy.requests(), Vec::<serde_json::Value>::new());
}

#[test]
fn sync_from_lock_fails_an_archive_whose_image_changed() {
    let env = Env::new();
    let (path, id) = archive(&env, "app.tar", "app:1", "locked");
    let dst = unique_repo("sync-archive-lock");
    let file = image_entry(
        &env,
        &format!("docker-archive:{path}:app:1"),
        &at(&dst, "1"),
    );
    let lock = env.path("sync.lock").display().to_string();
    let run = sync(&env, &["--plan", "--lock", &lock, &file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let locked = std::fs::read_to_string(&lock).unwrap();
    assert!(locked.contains(&id), "{locked}");

    let (_, moved) = archive(&env, "app.tar", "app:1", "moved on");
    assert_ne!(moved, id);
    let run = sync(&env, &["--from-lock", &lock]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (lines, summary) = results(&run);
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert_eq!(lines[0]["action"], "failed", "{}", lines[0]);
    let error = lines[0]["error"].as_str().unwrap();
    assert!(error.starts_with(&format!("{lock}:1: ")), "{error}");
    assert!(error.contains(&moved) && error.contains(&id), "{error}");
    assert_eq!(summary["failed"], 1, "{summary}");
    assert!(tags(&dst).is_empty(), "nothing written: {:?}", tags(&dst));

    // The archive as locked again: the lock copies it.
    archive(&env, "app.tar", "app:1", "locked");
    let run = sync(&env, &["--from-lock", &lock]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(config_of(&at(&dst, "1")), id);
}
