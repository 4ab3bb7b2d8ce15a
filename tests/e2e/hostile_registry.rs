//! The misbehaving registry of the hostile suite (`tests/hostile/registry.rs`)
//! met by every command that talks to a registry: `copy` and `image mutate`
//! (push and pull), `image append`, `index create`,
//! `login`, `sync`, `artifact push|pull|ls`, `compose publish`, `component push`,
//! `plugin privileges`, `plugin build --push` and the registry-reading part
//! of `plugin install`. What each reads is put on the plain test registry
//! first; the proxy stands in front of it. `logout` talks to no registry.

use super::plugin::{base_config, context};
use crate::harness::{plugin_build, registry, strings, unique_repo};
use crate::hostile::registry::{RegistryCommand, misbehaving, never_answers};
use crate::registry::Env;
use std::path::PathBuf;

/// A command of `env` (its own Docker config, no `SOURCE_DATE_EPOCH`).
fn command<'a>(
    env: &Env,
    name: &'a str,
    args: &'a dyn Fn(&str) -> Vec<String>,
) -> RegistryCommand<'a> {
    RegistryCommand {
        name,
        args,
        env: vec![(
            "DOCKER_CONFIG".to_string(),
            env.config_dir().display().to_string(),
        )],
        stdin: b"",
        upstream: registry(),
        outputs: Vec::new(),
        pushes: None,
        recovered: None,
    }
}

/// Files `names` (each holding its name) in a new directory `dir` of `env`.
fn files(env: &Env, dir: &str, names: &[&str]) -> Vec<PathBuf> {
    let dir = env.path(dir);
    std::fs::create_dir_all(&dir).unwrap();
    names
        .iter()
        .map(|name| {
            let path = dir.join(name);
            std::fs::write(&path, format!("{name}\n")).unwrap();
            path
        })
        .collect()
}

/// `ocipipe ARGS` with `env`'s config, asserting success.
fn ok(env: &Env, args: &[&str]) {
    let run = env.ocipipe().run(args);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
}

/// An artifact of one file pushed to the plain registry; `REPO:TAG`.
fn an_artifact(env: &Env) -> String {
    let file = files(env, "pushed", &["notes.md"]).remove(0);
    let name = format!("{}:1", unique_repo("hostile-artifact"));
    ok(
        env,
        &[
            "artifact",
            "push",
            &format!("{}/{name}", registry()),
            file.to_str().unwrap(),
            "--artifact-type",
            "application/vnd.example.notes",
        ],
    );
    name
}

/// A plugin asking for the host network, built and pushed by ocipipe to
/// the plain registry; `REPO:TAG`.
fn a_plugin(env: &Env) -> String {
    let mut config = base_config();
    config["Network"] = serde_json::json!({"Type": "host"});
    let context = context(env.dir.path(), "plugin", &config);
    let name = format!("{}:1", unique_repo("hostile-plugin"));
    let run = plugin_build(&context, &format!("{}/{name}", registry()), &["--push"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    name
}

#[test]
fn copy_to_a_misbehaving_registry_fails_in_time_and_pushes_nothing() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let repo = format!("{}:1", unique_repo("hostile-copy-push"));
    let args = |host: &str| strings(&["copy", &image, &format!("docker://{host}/{repo}")]);
    let cmd = RegistryCommand {
        pushes: Some(repo.clone()),
        ..command(&env, "copy (push)", &args)
    };
    never_answers(&cmd);
    misbehaving(&cmd);
}

#[test]
fn copy_from_a_misbehaving_registry_fails_in_time_and_writes_nothing() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let repo = format!("{}:1", unique_repo("hostile-copy-pull"));
    ok(
        &env,
        &["copy", &image, &format!("docker://{}/{repo}", registry())],
    );
    let layout = env.path("pulled");
    let into = format!("oci:{}:p", layout.display());
    let args = |host: &str| strings(&["copy", &format!("docker://{host}/{repo}"), &into]);
    let cmd = RegistryCommand {
        outputs: vec![layout.clone()],
        ..command(&env, "copy (pull)", &args)
    };
    never_answers(&cmd);
    misbehaving(&cmd);
}

#[test]
fn image_mutate_to_a_misbehaving_registry_fails_in_time_and_pushes_nothing() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let repo = format!("{}:1", unique_repo("hostile-mutate-push"));
    let args = |host: &str| {
        strings(&[
            "image",
            "mutate",
            &image,
            &format!("docker://{host}/{repo}"),
            "--label",
            "a=b",
        ])
    };
    let cmd = RegistryCommand {
        pushes: Some(repo.clone()),
        ..command(&env, "image mutate (push)", &args)
    };
    never_answers(&cmd);
    misbehaving(&cmd);
}

#[test]
fn image_mutate_from_a_misbehaving_registry_fails_in_time_and_writes_nothing() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let repo = format!("{}:1", unique_repo("hostile-mutate-pull"));
    ok(
        &env,
        &["copy", &image, &format!("docker://{}/{repo}", registry())],
    );
    let layout = env.path("edited");
    let into = format!("oci:{}:e", layout.display());
    let args = |host: &str| {
        strings(&[
            "image",
            "mutate",
            &format!("docker://{host}/{repo}"),
            &into,
            "--env",
            "A=1",
        ])
    };
    let cmd = RegistryCommand {
        outputs: vec![layout.clone()],
        ..command(&env, "image mutate (pull)", &args)
    };
    never_answers(&cmd);
    misbehaving(&cmd);
}

#[test]
fn index_create_against_a_misbehaving_registry_fails_in_time_and_pushes_nothing() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let from = format!("{}:1", unique_repo("hostile-index-from"));
    ok(
        &env,
        &["copy", &image, &format!("docker://{}/{from}", registry())],
    );
    let repo = format!("{}:1", unique_repo("hostile-index"));
    let args = |host: &str| {
        strings(&[
            "index",
            "create",
            &format!("docker://{host}/{repo}"),
            &format!("docker://{host}/{from}"),
        ])
    };
    let cmd = RegistryCommand {
        pushes: Some(repo.clone()),
        ..command(&env, "index create", &args)
    };
    never_answers(&cmd);
    misbehaving(&cmd);
}

#[test]
fn image_append_to_a_misbehaving_registry_fails_in_time_and_pushes_nothing() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let layer = files(&env, "added", &["added.txt"]).remove(0);
    let layer = layer.parent().unwrap().to_path_buf();
    let repo = format!("{}:1", unique_repo("hostile-append"));
    let args = |host: &str| {
        strings(&[
            "image",
            "append",
            &image,
            &format!("docker://{host}/{repo}"),
            "--layer",
            layer.to_str().unwrap(),
        ])
    };
    let cmd = RegistryCommand {
        pushes: Some(repo.clone()),
        ..command(&env, "image append", &args)
    };
    never_answers(&cmd);
    misbehaving(&cmd);
}

#[test]
fn login_to_a_misbehaving_registry_fails_in_time_and_stores_nothing() {
    let env = Env::new();
    let args = |host: &str| strings(&["login", host, "-u", "someone", "--password-stdin"]);
    let cmd = RegistryCommand {
        stdin: b"a password\n",
        outputs: vec![env.config_dir().join("config.json")],
        ..command(&env, "login", &args)
    };
    misbehaving(&cmd);
}

#[test]
fn artifact_push_to_a_misbehaving_registry_fails_in_time_and_pushes_nothing() {
    let env = Env::new();
    let file = files(&env, "in", &["notes.md"]).remove(0);
    let repo = format!("{}:1", unique_repo("hostile-artifact-push"));
    let args = |host: &str| {
        strings(&[
            "artifact",
            "push",
            &format!("{host}/{repo}"),
            file.to_str().unwrap(),
            "--artifact-type",
            "application/vnd.example.notes",
        ])
    };
    let cmd = RegistryCommand {
        pushes: Some(repo.clone()),
        ..command(&env, "artifact push", &args)
    };
    misbehaving(&cmd);
}

#[test]
fn artifact_pull_from_a_misbehaving_registry_fails_in_time_and_writes_nothing() {
    let env = Env::new();
    let name = an_artifact(&env);
    let out = env.path("out");
    let args = |host: &str| {
        strings(&[
            "artifact",
            "pull",
            &format!("{host}/{name}"),
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let cmd = RegistryCommand {
        outputs: vec![out.clone()],
        ..command(&env, "artifact pull", &args)
    };
    misbehaving(&cmd);
    assert_eq!(
        std::fs::read_to_string(out.join("notes.md")).unwrap(),
        "notes.md\n"
    );
}

#[test]
fn artifact_ls_of_a_misbehaving_registry_fails_in_time() {
    let env = Env::new();
    let name = an_artifact(&env);
    let args = |host: &str| strings(&["artifact", "ls", &format!("{host}/{name}")]);
    misbehaving(&command(&env, "artifact ls", &args));
}

#[test]
fn compose_publish_to_a_misbehaving_registry_fails_in_time_and_pushes_nothing() {
    let env = Env::new();
    let dir = env.path("project");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("compose.yaml");
    std::fs::write(&file, "services:\n  web:\n    image: nginx\n").unwrap();
    let repo = format!("{}:1", unique_repo("hostile-compose"));
    let args = |host: &str| {
        strings(&[
            "compose",
            "publish",
            &format!("{host}/{repo}"),
            file.to_str().unwrap(),
        ])
    };
    let cmd = RegistryCommand {
        pushes: Some(repo.clone()),
        ..command(&env, "compose publish", &args)
    };
    misbehaving(&cmd);
}

#[test]
fn component_push_to_a_misbehaving_registry_fails_in_time_and_pushes_nothing() {
    let env = Env::new();
    let wasm = crate::harness::guest("ocipipe_tagging.wasm");
    let repo = format!("{}:1", unique_repo("hostile-component"));
    let args = |host: &str| {
        strings(&[
            "component",
            "push",
            &format!("{host}/{repo}"),
            wasm.to_str().unwrap(),
        ])
    };
    let cmd = RegistryCommand {
        pushes: Some(repo.clone()),
        ..command(&env, "component push", &args)
    };
    misbehaving(&cmd);
}

#[test]
fn plugin_privileges_from_a_misbehaving_registry_fails_in_time() {
    let env = Env::new();
    let name = a_plugin(&env);
    let args = |host: &str| strings(&["plugin", "privileges", &format!("{host}/{name}")]);
    misbehaving(&command(&env, "plugin privileges", &args));
}

#[test]
fn plugin_build_push_to_a_misbehaving_registry_fails_in_time_and_pushes_nothing() {
    let env = Env::new();
    let context = context(env.dir.path(), "plugin", &base_config());
    let repo = format!("{}:1", unique_repo("hostile-plugin-build"));
    let args = |host: &str| {
        strings(&[
            "plugin",
            "build",
            context.to_str().unwrap(),
            "-t",
            &format!("{host}/{repo}"),
            "--push",
        ])
    };
    let cmd = RegistryCommand {
        pushes: Some(repo.clone()),
        ..command(&env, "plugin build --push", &args)
    };
    misbehaving(&cmd);
}

#[test]
fn plugin_install_reading_a_misbehaving_registry_fails_in_time_and_installs_nothing() {
    let env = Env::new();
    let name = a_plugin(&env);
    // Nothing granted: the run reads the manifest and the config, lists
    // the privileges and stops before the engine is asked to pull.
    let args = |host: &str| strings(&["plugin", "install", &format!("{host}/{name}")]);
    let recovered = |run: &crate::harness::Run| {
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("network: [host]; nothing was installed"),
            "{}",
            run.stderr
        );
    };
    let cmd = RegistryCommand {
        recovered: Some(&recovered),
        ..command(&env, "plugin install", &args)
    };
    misbehaving(&cmd);
}

#[test]
fn sync_with_a_misbehaving_registry_fails_in_time_and_pushes_nothing() {
    let env = Env::new();
    let src = unique_repo("hostile-sync-src");
    let image = env.image("layout", &[]);
    ok(
        &env,
        &["copy", &image, &format!("docker://{}/{src}:1", registry())],
    );
    let dst = unique_repo("hostile-sync-dst");
    let lock = env.path("sync.lock");
    let file = env.path("sync.yaml");
    // Both sides behind the proxy: the tag list, the HEADs and the push.
    let args = |host: &str| {
        let text =
            format!("version: 1\nsync:\n  - source: {host}/{src}\n    target: {host}/{dst}\n");
        std::fs::write(&file, text).unwrap();
        strings(&[
            "sync",
            "--lock",
            lock.to_str().unwrap(),
            file.to_str().unwrap(),
        ])
    };
    let cmd = RegistryCommand {
        pushes: Some(format!("{dst}:1")),
        outputs: vec![lock.clone()],
        ..command(&env, "sync", &args)
    };
    misbehaving(&cmd);
}
