//! `plugin install`, `ls`, `rm`, `enable`, `disable` and `push` against
//! the real engine and registry. Test plugins are made by `docker plugin
//! create` + `push` ([`create_and_push`]), each with its own rootfs; the
//! ones that must run hold a static listener on the plugin socket (made
//! here with `rustc`), since the engine enables a plugin only once its
//! socket answers. Plugins are made and installed one at a time
//! ([`PLUGIN_MANAGER`]) and removed from the engine when a test ends,
//! pass or fail ([`Created`]).

use super::plugin::{
    Created, PLUGIN_MANAGER, base_config, context, create_and_push, curl, engine_privileges,
    engine_socket, header, ocipipe_privileges,
};
use crate::harness::{
    FaultProxy, Ocipipe, Run, assert_refused, docker, docker_ok, registry, sha256_hex, unique_repo,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The source of the listener: binds the unix socket its argument names,
/// accepts (and drops) every connection, and exits on SIGTERM (as PID 1
/// of the plugin's container it would otherwise ignore it, and the engine
/// would wait 10 s before killing it on a disable).
const LISTENER: &str = r#"
extern "C" {
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    fn _exit(status: i32) -> !;
}
extern "C" fn stop(_: i32) {
    unsafe { _exit(0) }
}
fn main() {
    unsafe { signal(15, stop) };
    let path = std::env::args().nth(1).expect("a socket path");
    let _ = std::fs::remove_file(&path);
    let listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
    for stream in listener.incoming() {
        drop(stream);
    }
}
"#;

/// The listener, a static executable (busybox cannot listen on a unix
/// socket), built once per run with `rustc` into the target directory
/// (under a name of this process, then renamed: runs side by side each
/// get a whole file).
fn listener() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-listener");
        std::fs::create_dir_all(&dir).unwrap();
        let source = dir.join(format!("listen-{}.rs", std::process::id()));
        std::fs::write(&source, LISTENER).unwrap();
        let built = source.with_extension("");
        let out = Command::new("rustc")
            .args([
                "--edition",
                "2021",
                "-O",
                "-C",
                "target-feature=+crt-static",
                "-o",
            ])
            .arg(&built)
            .arg(&source)
            .output()
            .expect("running rustc");
        assert!(
            out.status.success(),
            "rustc listen.rs: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::remove_file(&source).unwrap();
        let binary = dir.join("listen");
        std::fs::rename(&built, &binary).unwrap();
        binary
    })
}

/// The socket the plugin's interface names, and where the listener makes it.
const SOCKET: &str = "ocipipe.sock";

/// A plugin config asking for three kinds of privilege (network host, a
/// mount of `mount_source`, a capability), whose entrypoint runs the
/// listener.
fn runnable_config(mount_source: &Path) -> Value {
    let mut config = base_config();
    config["Description"] = json!("an ocipipe test plugin that runs");
    config["Entrypoint"] = json!(["/bin/listen", format!("/run/docker/plugins/{SOCKET}")]);
    config["Interface"]["Socket"] = json!(SOCKET);
    config["Network"] = json!({"Type": "host"});
    config["Mounts"] = json!([{"Name": "state", "Source": mount_source, "Destination": "/state",
                               "Type": "bind", "Options": ["rbind"]}]);
    config["Linux"] = json!({"Capabilities": ["CAP_SYS_ADMIN"]});
    config
}

/// The privileges [`runnable_config`] asks for, as `plugin install
/// --json` prints them, each `granted` or not.
fn judged(mount_source: &Path, granted: bool) -> Value {
    json!([
        {"name": "network", "description": "permissions to access a network", "value": ["host"],
         "granted": granted},
        {"name": "mount", "description": "host path to mount", "value": [mount_source],
         "granted": granted},
        {"name": "capabilities", "description": "list of additional capabilities required",
         "value": ["CAP_SYS_ADMIN"], "granted": granted},
    ])
}

/// Makes a plugin of `config` in `dir` (named `case`), with the listener
/// in its rootfs, and pushes it to `REGISTRY/repo:tag`; the reference.
fn pushed_plugin(dir: &Path, case: &str, config: &Value, repo: &str, tag: &str) -> String {
    let context = context(dir, case, config);
    std::fs::copy(listener(), context.join("rootfs/bin/listen")).unwrap();
    let reference = format!("{}/{repo}:{tag}", registry());
    create_and_push(&reference, &context);
    reference
}

/// A plugin of [`runnable_config`] (mounting `dir`) named `case`, pushed
/// to a new repository as `:1`: its config, its reference, the repository.
fn runnable_plugin(dir: &Path, case: &str) -> (Value, String, String) {
    let repo = unique_repo(&format!("plugin-{case}"));
    let config = runnable_config(dir);
    let plugin = pushed_plugin(dir, case, &config, &repo, "1");
    (config, plugin, repo)
}

/// `ocipipe ARGS` (an install), one plugin at a time; the plugin `name`
/// is removed from the engine when the returned guard drops.
fn installing(ocipipe: Ocipipe, args: &[&str], name: &str) -> (Run, Created) {
    let _one_at_a_time = PLUGIN_MANAGER.lock().unwrap_or_else(|e| e.into_inner());
    let created = Created(name.to_string());
    (ocipipe.run(args), created)
}

/// `ocipipe plugin install PLUGIN --grant-all`, [`installing`] it under
/// its default name.
fn installing_granting_all(plugin: &str) -> (Run, Created) {
    installing(
        Ocipipe::new(),
        &["plugin", "install", plugin, "--grant-all"],
        plugin,
    )
}

/// `docker plugin inspect NAME`, or `None` when the engine has no such plugin.
fn inspect(name: &str) -> Option<Value> {
    let out = docker(&["plugin", "inspect", name]);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("not found"),
            "docker plugin inspect {name}: {stderr}"
        );
        return None;
    }
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    Some(all[0].clone())
}

/// The engine's plugin names, by `docker plugin ls`.
fn engine_plugins() -> Vec<String> {
    docker_ok(&["plugin", "ls", "--format", "{{.Name}}"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// The digest of the manifest the registry serves for `repo:tag`, asked
/// for as a Docker schema2 manifest: its `Docker-Content-Digest`, checked
/// against the sha256 of the bytes a GET returns.
fn registry_digest(repo: &str, tag: &str) -> String {
    let url = format!("http://{}/v2/{repo}/manifests/{tag}", registry());
    let accept = "Accept: application/vnd.docker.distribution.manifest.v2+json";
    let (status, head) = curl(&["-I", "-H", accept, &url], b"");
    assert_eq!(status, 200, "HEAD {url}");
    let headers = String::from_utf8(head).unwrap();
    let digest = header(&headers, "Docker-Content-Digest")
        .unwrap_or_else(|| panic!("HEAD {url}: no Docker-Content-Digest in {headers}"));
    let (status, body) = curl(&["-H", accept, &url], b"");
    assert_eq!(status, 200, "GET {url}");
    assert_eq!(digest, format!("sha256:{}", sha256_hex(&body)));
    digest
}

#[test]
fn a_privilege_not_granted_installs_nothing_and_the_engine_is_not_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (_, plugin, _) = runnable_plugin(dir.path(), "refused");
    // Every request the commands send the engine passes this proxy.
    let proxy = FaultProxy::start(&format!("unix:{}", engine_socket()), json!([]));
    let through_proxy = || Ocipipe::new().env("DOCKER_HOST", &format!("tcp://{}", proxy.address()));

    let (run, _created) = installing(
        through_proxy(),
        &["plugin", "install", &plugin, "--grant", "network,mount"],
        &plugin,
    );
    assert_refused(
        &run,
        &format!(
            "plugin {plugin} asks for privileges that were not granted: \
             capabilities: [CAP_SYS_ADMIN]; nothing was installed \
             (grant them with --grant capabilities, or --grant-all)"
        ),
    );
    // Listed on stdout, as `docker plugin install` lists them.
    assert_eq!(
        run.stdout,
        format!(
            "Plugin {plugin:?} is requesting the following privileges:\n - network: [host]\n \
             - mount: [{}]\n - capabilities: [CAP_SYS_ADMIN] (not granted)\n",
            dir.path().display()
        )
    );

    // None granted, with --json: one object saying what is not granted.
    let (run, _created) = installing(
        through_proxy(),
        &["--json", "plugin", "install", &plugin],
        &plugin,
    );
    assert_refused(
        &run,
        &format!(
            "network: [host], mount: [{}], capabilities: [CAP_SYS_ADMIN]; nothing was installed \
             (grant them with --grant network,mount,capabilities, or --grant-all)",
            dir.path().display()
        ),
    );
    let record = &run.json_lines()[0];
    assert_eq!(record["installed"], false);
    assert_eq!(record["reference"], plugin.as_str());
    assert_eq!(record["id"], Value::Null);
    assert_eq!(record["privileges"], judged(dir.path(), false));

    let paths = proxy.paths();
    assert!(
        paths.iter().any(|p| p.contains("/version")),
        "the commands went through the proxy: {paths:?}"
    );
    assert!(
        paths.iter().all(|p| !p.contains("/plugins/pull")),
        "the engine was asked to pull: {paths:?}"
    );
    assert_eq!(inspect(&plugin), None);
    assert!(!engine_plugins().contains(&plugin));
}

#[test]
fn every_privilege_granted_installs_the_plugin_the_registry_holds() {
    let dir = tempfile::tempdir().unwrap();
    let (config, plugin, repo) = runnable_plugin(dir.path(), "granted");
    let digest = registry_digest(&repo, "1");

    // Every name, given in two flags, and --disable: installed, disabled.
    let alias = format!("{}/{}:alias", registry(), unique_repo("plugin-alias"));
    let (run, _alias) = installing(
        Ocipipe::new(),
        &[
            "--json",
            "plugin",
            "install",
            &plugin,
            "--grant",
            "network,mount",
            "--grant",
            "capabilities",
            "--disable",
            "--alias",
            &alias,
        ],
        &alias,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let record = &run.json_lines()[0];
    let engine = inspect(&alias).expect("installed under its alias");
    assert_eq!(
        record,
        &json!({
            "reference": plugin,
            "installed": true,
            "name": alias,
            "id": engine["Id"],
            "enabled": false,
            "digest": digest,
            "privileges": judged(dir.path(), true),
        })
    );
    assert_eq!(engine["Enabled"], false);
    assert_eq!(engine["PluginReference"], plugin.as_str());
    assert_eq!(engine["Config"]["Entrypoint"], config["Entrypoint"]);
    assert_eq!(engine["Config"]["Interface"]["Socket"], SOCKET);
    assert_eq!(
        engine["Config"]["Mounts"][0]["Source"],
        config["Mounts"][0]["Source"]
    );

    // --grant-all, no alias: docker's default name, and enabled.
    let (run, _plugin) = installing_granting_all(&plugin);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.ends_with(&format!(
            " - capabilities: [CAP_SYS_ADMIN]\nInstalled plugin {plugin} as {plugin}\n"
        )),
        "{}",
        run.stdout
    );
    let engine = inspect(&plugin).expect("installed under its own name");
    assert_eq!(engine["Enabled"], true);
    assert_eq!(engine["Config"]["Entrypoint"], config["Entrypoint"]);
}

/// The whole way without docker's CLI: `ocipipe plugin build --push`, then
/// `ocipipe plugin install`, refused until every privilege is granted,
/// then installed and running (the engine enables it only once its
/// socket answers).
#[test]
fn a_plugin_ocipipe_built_installs_only_granted_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let config = runnable_config(dir.path());
    let context = context(dir.path(), "built", &config);
    std::fs::copy(listener(), context.join("rootfs/bin/listen")).unwrap();
    let plugin = format!("{}/{}:1", registry(), unique_repo("plugin-built-run"));
    let built = Ocipipe::new().run(&[
        "--json",
        "plugin",
        "build",
        context.to_str().unwrap(),
        "-t",
        &plugin,
        "--push",
    ]);
    assert_eq!(built.code, 0, "{}", built.stderr);

    let (run, _created) = installing(
        Ocipipe::new(),
        &["plugin", "install", &plugin, "--grant", "network,mount"],
        &plugin,
    );
    assert_refused(&run, "capabilities: [CAP_SYS_ADMIN]");
    assert_eq!(inspect(&plugin), None, "installed without every grant");

    let (run, _created) = installing(
        Ocipipe::new(),
        &[
            "--json",
            "plugin",
            "install",
            &plugin,
            "--grant",
            "network,mount,capabilities",
        ],
        &plugin,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let record = &run.json_lines()[0];
    assert_eq!(record["privileges"], judged(dir.path(), true));
    assert_eq!(record["digest"], built.json_lines()[0]["digest"]);
    let engine = inspect(&plugin).expect("installed");
    assert_eq!(engine["Enabled"], true, "it runs");
    assert_eq!(engine["Config"]["Entrypoint"], config["Entrypoint"]);
}

#[test]
fn plugins_are_listed_enabled_disabled_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (_, plugin, _) = runnable_plugin(dir.path(), "lifecycle");
    let (run, _created) = installing(
        Ocipipe::new(),
        &["plugin", "install", &plugin, "--grant-all", "--disable"],
        &plugin,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let enabled = || inspect(&plugin).map(|p| p["Enabled"].as_bool().unwrap());
    let listed = || {
        let run = Ocipipe::new().run(&["--json", "plugin", "ls"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json_lines()
            .into_iter()
            .find(|p| p["name"] == plugin.as_str())
    };

    let id = inspect(&plugin).unwrap()["Id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        listed(),
        Some(json!({
            "id": id,
            "name": plugin,
            "enabled": false,
            "description": "an ocipipe test plugin that runs",
            "reference": plugin,
            "types": ["docker.volumedriver/1.0"],
            "entrypoint": ["/bin/listen", format!("/run/docker/plugins/{SOCKET}")],
        }))
    );
    let human = Ocipipe::new().run(&["plugin", "ls"]);
    assert!(
        human.stdout.contains(&format!(
            "{}  {plugin}  disabled  an ocipipe test plugin that runs\n",
            &id[..12]
        )),
        "{}",
        human.stdout
    );

    let run = Ocipipe::new().run(&["plugin", "enable", &plugin]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("Enabled plugin {plugin}\n"));
    assert_eq!(enabled(), Some(true));
    assert_eq!(listed().unwrap()["enabled"], true);

    let run = Ocipipe::new().run(&["plugin", "rm", &plugin]);
    assert_refused(
        &run,
        &format!("the Docker Engine refused to remove plugin {plugin}: plugin {plugin} is enabled"),
    );
    assert_eq!(enabled(), Some(true));

    // By an ID prefix, with --json.
    let run = Ocipipe::new().run(&["--json", "plugin", "disable", &id[..12]]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.json_lines(),
        [json!({"name": &id[..12], "enabled": false})]
    );
    assert_eq!(enabled(), Some(false));

    let run = Ocipipe::new().run(&["plugin", "enable", "--timeout", "5", &plugin]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = Ocipipe::new().run(&["plugin", "rm", "-f", &plugin]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("Removed plugin {plugin}\n"));
    assert_eq!(enabled(), None);
    assert_eq!(listed(), None);

    for verb in ["rm", "enable", "disable"] {
        let run = Ocipipe::new().run(&["plugin", verb, &plugin]);
        assert_refused(&run, &format!("no such plugin: {plugin}"));
    }
}

#[test]
fn an_install_the_engine_cannot_enable_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("plugin-silent");
    // It runs, but never makes its socket: the engine gives up on it.
    let mut config = runnable_config(dir.path());
    config["Entrypoint"] = json!(["/bin/busybox", "sleep", "3600"]);
    let plugin = pushed_plugin(dir.path(), "silent", &config, &repo, "1");
    let (run, _created) = installing_granting_all(&plugin);
    assert_refused(
        &run,
        &format!(
            "the Docker Engine installed plugin {plugin} but could not enable it; it was \
             removed again (--disable installs it without enabling it)"
        ),
    );
    assert!(
        run.stderr.contains("refused to enable plugin"),
        "{}",
        run.stderr
    );
    assert_eq!(inspect(&plugin), None);
}

#[test]
fn push_sends_an_installed_plugin_to_another_repository() {
    let dir = tempfile::tempdir().unwrap();
    let (_, plugin, _) = runnable_plugin(dir.path(), "push-src");
    let other_repo = unique_repo("plugin-push-dst");
    let other = format!("{}/{other_repo}:pushed", registry());
    let (run, _created) = installing(
        Ocipipe::new(),
        &[
            "plugin",
            "install",
            &plugin,
            "--grant-all",
            "--disable",
            "--alias",
            &other,
        ],
        &other,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    let run = Ocipipe::new().run(&["--json", "plugin", "push", &other]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let record = &run.json_lines()[0];
    assert_eq!(record["name"], other.as_str());
    let digest = record["digest"].as_str().unwrap();
    assert_eq!(digest, registry_digest(&other_repo, "pushed"));
    assert!(record["size"].as_u64().unwrap() > 0);
    // What was pushed asks what the engine says it asks.
    assert_eq!(ocipipe_privileges(&[&other]), engine_privileges(&other));

    let missing = format!("{}/{}:1", registry(), unique_repo("plugin-never"));
    let run = Ocipipe::new().run(&["plugin", "push", &missing]);
    assert_refused(&run, &format!("no such plugin: {missing}"));
}

#[test]
fn the_engines_own_check_refuses_privileges_it_does_not_compute() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("plugin-differ");
    let config = runnable_config(dir.path());
    let mut fewer = config.clone();
    fewer["Mounts"] = json!([]);
    fewer["Linux"] = json!({});
    pushed_plugin(dir.path(), "asks-more", &config, &repo, "1");
    pushed_plugin(dir.path(), "asks-less", &fewer, &repo, "fewer");
    let accept = "Accept: application/vnd.docker.distribution.manifest.v2+json";
    let url = format!("http://{}/v2/{repo}/manifests/fewer", registry());
    let (status, manifest) = curl(&["-H", accept, &url], b"");
    assert_eq!(status, 200);
    // ocipipe's GET of `:1` gets the manifest of `:fewer` (so it computes
    // and sends fewer privileges); the engine's pull gets the real `:1`.
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "GET", "path": "/manifests/1$", "first": 1, "action": "status",
                "status": 200, "body": String::from_utf8(manifest).unwrap(),
                "headers": {"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"}}]),
    );
    let plugin = format!("{}/{repo}:1", proxy.address());
    let (run, _created) = installing_granting_all(&plugin);
    assert_refused(
        &run,
        &format!(
            "the Docker Engine refused to install plugin {plugin}: the privileges it computes \
             for it are not the ones ocipipe computed and granted (\"incorrect privileges\")"
        ),
    );
    assert_eq!(
        run.stdout,
        format!("Plugin {plugin:?} is requesting the following privileges:\n - network: [host]\n"),
        "ocipipe saw the plugin that asks less"
    );
    assert_eq!(inspect(&plugin), None);
}

#[test]
fn a_digest_is_not_pulled_by_an_engine_that_would_crash() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, repo) = runnable_plugin(dir.path(), "digest");
    let plugin = format!("{}/{repo}@{}", registry(), registry_digest(&repo, "1"));
    let version = docker_ok(&["version", "--format", "{{.Server.Version}}"]);
    let version = version.trim();
    // The engine names such a plugin `NAME:latest` by default.
    let name = format!("{}/{repo}:latest", registry());
    let (run, _created) = installing(
        Ocipipe::new(),
        &["plugin", "install", &plugin, "--grant-all", "--disable"],
        &name,
    );
    if version.starts_with("20.") || version.starts_with("23.") {
        assert_refused(
            &run,
            &format!("version {version} of dockerd crashes pulling a plugin by digest (moby#47299"),
        );
        assert_eq!(inspect(&name), None);
    } else {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(inspect(&name).is_some());
    }
    // The engine is still there.
    docker_ok(&["version"]);
}

#[test]
fn an_engine_that_is_down_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let dead = format!("unix://{}", dir.path().join("dead.sock").display());
    let plugin = format!("{}/{}:1", registry(), unique_repo("plugin-dead"));
    let commands: [&[&str]; 6] = [
        &["plugin", "install", &plugin, "--grant-all"],
        &["plugin", "ls"],
        &["plugin", "rm", "some-plugin"],
        &["plugin", "enable", "some-plugin"],
        &["plugin", "disable", "some-plugin"],
        &["plugin", "push", &plugin],
    ];
    for args in commands {
        let run = Ocipipe::new().env("DOCKER_HOST", &dead).run(args);
        assert_refused(&run, &format!("cannot reach the Docker Engine at {dead}"));
        assert!(
            run.first_error_line().contains("is dockerd running?"),
            "{args:?}: {}",
            run.stderr
        );
    }
}
