//! `plugin privileges` against the real engine and registry: for plugins
//! made by `docker plugin create` + `docker plugin push`, and for plugin
//! configs pushed by hand (the JSON the engine's `create` never writes:
//! keys in any case, keys given twice, nulls), `ocipipe --json plugin
//! privileges REF` must equal the engine's own `GET
//! /plugins/privileges?remote=REF`, item for item and in order. Where the
//! engine cannot decode a config it answers `[]` as if nothing were asked;
//! ocipipe refuses such a config instead.

use crate::harness::{
    Ocipipe, Run, assert_refused, build, busybox_root, docker, docker_host, gzip, raw_tar,
    registry, registry_user, sha256_hex, token_log, token_registry, unique_repo,
};
use crate::registry::Env;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The plugin config every test plugin starts from: a volume driver
/// running busybox, asking for nothing.
pub(crate) fn base_config() -> Value {
    json!({
        "Description": "an ocipipe test plugin",
        "Documentation": "https://example.invalid/ocipipe",
        "Entrypoint": ["/bin/busybox", "sleep", "3600"],
        "Interface": {"Socket": "ocipipe.sock", "Types": ["docker.volumedriver/1.0"]},
    })
}

/// [`base_config`] with the top-level fields of `extra`.
pub(crate) fn config_with(extra: Value) -> Value {
    let mut config = base_config();
    for (key, value) in extra.as_object().unwrap() {
        config[key] = value.clone();
    }
    config
}

/// Plugin configs covering every privilege kind, what asks for none, and
/// combinations.
pub(crate) fn cases() -> Vec<(&'static str, Value)> {
    vec![
        ("nothing", json!({})),
        ("network-host", json!({"Network": {"Type": "host"}})),
        ("network-none", json!({"Network": {"Type": "none"}})),
        ("network-bridge", json!({"Network": {"Type": "bridge"}})),
        ("network-null", json!({"Network": {"Type": "null"}})),
        ("ipc", json!({"IpcHost": true})),
        ("pid", json!({"PidHost": true})),
        (
            "mounts",
            json!({"Mounts": [
                {"Name": "state", "Source": "/var/lib/ocipipe", "Destination": "/state",
                 "Type": "bind", "Options": ["rbind"]},
                {"Name": "settable", "Destination": "/data", "Type": "bind",
                 "Options": ["rbind"], "Settable": ["source"]},
                {"Name": "empty", "Source": "", "Destination": "/empty"},
                {"Name": "again", "Source": "/var/lib/ocipipe", "Destination": "/again"},
            ]}),
        ),
        (
            "devices",
            json!({"Linux": {"Devices": [
                {"Name": "fuse", "Path": "/dev/fuse"},
                {"Name": "settable", "Settable": ["path"]},
                {"Name": "kvm", "Path": "/dev/kvm"},
            ]}}),
        ),
        ("all-devices", json!({"Linux": {"AllowAllDevices": true}})),
        (
            "capabilities",
            json!({"Linux": {"Capabilities": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_IPC_LOCK"]}}),
        ),
        (
            "network-and-capabilities",
            json!({"Network": {"Type": "host"}, "Linux": {"Capabilities": ["CAP_NET_ADMIN"]}}),
        ),
        (
            "namespaces-and-devices",
            json!({"PidHost": true, "IpcHost": true,
                   "Linux": {"Devices": [{"Path": "/dev/fuse"}], "AllowAllDevices": true}}),
        ),
        (
            "everything",
            json!({
                "Network": {"Type": "host"},
                "IpcHost": true,
                "PidHost": true,
                "Mounts": [{"Source": "/a", "Destination": "/a"}, {"Source": "/b", "Destination": "/b"}],
                "Linux": {
                    "AllowAllDevices": true,
                    "Capabilities": ["CAP_SYS_ADMIN"],
                    "Devices": [{"Path": "/dev/fuse"}, {"Path": "/dev/net/tun"}],
                },
            }),
        ),
    ]
}

/// The engine's socket, from `DOCKER_HOST`.
pub(crate) fn engine_socket() -> String {
    let host = docker_host();
    host.strip_prefix("unix://")
        .unwrap_or_else(|| panic!("the tests reach the engine API through a socket, not {host}"))
        .to_string()
}

/// `curl ARGS` with `body` on stdin: the HTTP status and the body.
pub(crate) fn curl(args: &[&str], body: &[u8]) -> (u16, Vec<u8>) {
    let mut child = Command::new("curl")
        .args(["-sS", "-w", "\n%{http_code}"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running curl");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "curl {args:?}: {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut stdout = out.stdout;
    let at = stdout.iter().rposition(|b| *b == b'\n').unwrap();
    let status = std::str::from_utf8(&stdout[at + 1..])
        .unwrap()
        .parse()
        .unwrap();
    stdout.truncate(at);
    (status, stdout)
}

/// The engine's own answer for `reference`: `GET
/// /plugins/privileges?remote=REF`, as the HTTP status and the body.
pub(crate) fn engine_answer(reference: &str) -> (u16, Value) {
    let url = format!("http://localhost/v1.41/plugins/privileges?remote={reference}");
    let (status, body) = curl(&["--unix-socket", &engine_socket(), &url], b"");
    let body = serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "GET {url} answered {status} {}: {e}",
            String::from_utf8_lossy(&body)
        )
    });
    (status, body)
}

/// The engine's privileges for `reference`, in ocipipe's `--json` shape
/// (`null`, the engine's "nothing", as no privileges).
pub(crate) fn engine_privileges(reference: &str) -> Vec<Value> {
    let (status, body) = engine_answer(reference);
    assert_eq!(
        status, 200,
        "the engine's privileges of {reference}: {body}"
    );
    body.as_array()
        .map(|list| {
            list.iter()
                .map(|p| {
                    json!({
                        "name": p["Name"],
                        "description": p["Description"],
                        "value": p["Value"],
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `ocipipe --json plugin privileges ARGS`, asserting success; its lines.
pub(crate) fn ocipipe_privileges(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--json", "plugin", "privileges"];
    all.extend_from_slice(args);
    let run = Ocipipe::new().run(&all);
    assert_eq!(run.code, 0, "plugin privileges {args:?}: {}", run.stderr);
    run.json_lines()
}

/// A plugin context `dir/name`: `config.json` and a `rootfs/` holding
/// busybox, as `docker plugin create` takes it. The rootfs also holds its
/// own name, so that no two plugins share a layer: Engine 20.10 refuses
/// to create a plugin whose rootfs blob another plugin being created or
/// kept holds ("content sha256:…: already exists"), and fails a push
/// while another push sends the same blob.
pub(crate) fn context(dir: &Path, name: &str, config: &Value) -> PathBuf {
    let context = dir.join(name);
    std::fs::create_dir_all(context.join("rootfs/bin")).unwrap();
    std::fs::create_dir_all(context.join("rootfs/etc")).unwrap();
    std::fs::copy("/bin/busybox", context.join("rootfs/bin/busybox")).unwrap();
    std::fs::write(
        context.join("rootfs/etc/ocipipe-plugin"),
        context.display().to_string(),
    )
    .unwrap();
    std::fs::write(
        context.join("config.json"),
        serde_json::to_vec_pretty(config).unwrap(),
    )
    .unwrap();
    context
}

/// `docker` ARGS, asserting success.
fn docker_ok(args: &[&str]) {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Removes the engine's plugin `name` when dropped, pass or fail.
pub(crate) struct Created(pub(crate) String);

impl Drop for Created {
    fn drop(&mut self) {
        let _ = docker(&["plugin", "rm", "-f", &self.0]);
    }
}

/// Plugins are made in the engine one at a time: its plugin manager
/// shares one content store between them.
pub(crate) static PLUGIN_MANAGER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `docker plugin create NAME CONTEXT` then `docker plugin push NAME`;
/// the plugin is removed from the engine afterwards.
pub(crate) fn create_and_push(name: &str, context: &Path) {
    let _one_at_a_time = PLUGIN_MANAGER.lock().unwrap_or_else(|e| e.into_inner());
    let created = Created(name.to_string());
    docker_ok(&["plugin", "create", name, context.to_str().unwrap()]);
    docker_ok(&["plugin", "push", name]);
    drop(created);
}

#[test]
fn plugins_made_by_docker_ask_what_the_engine_says_they_ask() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("plugin");
    let mut asked_something = 0;
    for (case, extra) in cases() {
        let config = config_with(extra);
        let context = context(dir.path(), case, &config);
        let name = format!("{}/{repo}:{case}", registry());
        create_and_push(&name, &context);

        let engine = engine_privileges(&name);
        let ours = ocipipe_privileges(&[&name]);
        assert_eq!(ours, engine, "{case}: ocipipe and the engine differ");
        // The config as written, before `create` wrote it back, asks the same.
        let from_file =
            ocipipe_privileges(&["--config", context.join("config.json").to_str().unwrap()]);
        assert_eq!(from_file, engine, "{case}: --config and the engine differ");
        asked_something += usize::from(!engine.is_empty());
    }
    assert_eq!(asked_something, 11, "the cases ask for privileges, mostly");

    // The human form: one line per privilege, as `docker plugin install` shows it.
    let everything = format!("{}/{repo}:everything", registry());
    let human = Ocipipe::new().run(&["plugin", "privileges", &everything]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert_eq!(
        human.stdout,
        "network: [host]\nhost ipc namespace: [true]\nhost pid namespace: [true]\n\
         mount: [/a]\nmount: [/b]\ndevice: [/dev/fuse]\ndevice: [/dev/net/tun]\n\
         allow-all-devices: [true]\ncapabilities: [CAP_SYS_ADMIN]\n"
    );
    let nothing = Ocipipe::new().run(&[
        "plugin",
        "privileges",
        &format!("{}/{repo}:nothing", registry()),
    ]);
    assert_eq!(nothing.code, 0, "{}", nothing.stderr);
    assert_eq!(nothing.stdout, "");
    assert!(
        nothing.stderr.contains("asks for no privileges"),
        "{}",
        nothing.stderr
    );
}

/// The value of the header `name` (any case) in the HTTP head `headers`.
pub(crate) fn header(headers: &str, name: &str) -> Option<String> {
    headers.lines().find_map(|l| {
        let (key, value) = l.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

/// Pushes blob `bytes` into `repo` of the plain test registry (POST, then
/// PUT with the digest); its digest.
pub(crate) fn push_blob(repo: &str, bytes: &[u8]) -> String {
    let digest = format!("sha256:{}", sha256_hex(bytes));
    let url = format!("http://{}/v2/{repo}/blobs/uploads/", registry());
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-D", "-", "-X", "POST", &url])
        .output()
        .unwrap();
    let headers = String::from_utf8(out.stdout).unwrap();
    let location = header(&headers, "Location")
        .unwrap_or_else(|| panic!("POST {url}: no Location in: {headers}"));
    let location = if location.starts_with("http") {
        location
    } else {
        format!("http://{}{location}", registry())
    };
    let separator = if location.contains('?') { '&' } else { '?' };
    let put = format!("{location}{separator}digest={digest}");
    let (status, body) = curl(
        &[
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/octet-stream",
            "--data-binary",
            "@-",
            &put,
        ],
        bytes,
    );
    assert_eq!(status, 201, "PUT blob: {}", String::from_utf8_lossy(&body));
    digest
}

/// Puts `manifest` (of `media_type`) as `repo:tag` of the plain test
/// registry; the reference, and the manifest's descriptor.
pub(crate) fn put_manifest(
    repo: &str,
    tag: &str,
    media_type: &str,
    manifest: &Value,
) -> (String, Value) {
    let bytes = serde_json::to_vec(manifest).unwrap();
    let url = format!("http://{}/v2/{repo}/manifests/{tag}", registry());
    let (status, body) = curl(
        &[
            "-X",
            "PUT",
            "-H",
            &format!("Content-Type: {media_type}"),
            "--data-binary",
            "@-",
            &url,
        ],
        &bytes,
    );
    assert_eq!(status, 201, "PUT {url}: {}", String::from_utf8_lossy(&body));
    let descriptor = json!({
        "mediaType": media_type,
        "size": bytes.len(),
        "digest": format!("sha256:{}", sha256_hex(&bytes)),
        "platform": {"architecture": "amd64", "os": "linux"},
    });
    (format!("{}/{repo}:{tag}", registry()), descriptor)
}

/// Pushes a schema2 manifest with the config `config` (of media type
/// `config_media_type`) and one empty gzip layer to `repo:tag` of the
/// plain test registry, by hand; the reference and the manifest's
/// descriptor.
fn push_by_hand(repo: &str, tag: &str, config_media_type: &str, config: &[u8]) -> (String, Value) {
    let layer = gzip(&raw_tar(&[]));
    let layer_digest = push_blob(repo, &layer);
    let config_digest = push_blob(repo, config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": config_media_type, "size": config.len(), "digest": config_digest},
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": layer.len(),
            "digest": layer_digest,
        }],
    });
    put_manifest(
        repo,
        tag,
        "application/vnd.docker.distribution.manifest.v2+json",
        &manifest,
    )
}

const PLUGIN_CONFIG: &str = "application/vnd.docker.plugin.v1+json";

#[test]
fn configs_written_by_hand_are_read_as_the_engines_go_reads_them() {
    let repo = unique_repo("plugin-by-hand");
    let deep = format!(
        r#"{{"IpcHost":true,"Unknown":{}{}}}"#,
        "[".repeat(9_999),
        "]".repeat(9_999)
    );
    let cases: Vec<(&str, String)> = vec![
        ("null", "null".into()),
        ("empty", "{}".into()),
        (
            "any-case",
            r#"{"network":{"TYPE":"host"},"ipchost":true,"PIDHOST":true,"mounts":[{"source":"/m"}],"LINUX":{"devices":[{"PATH":"/d"}],"allowalldevices":true,"capabilities":["C"]}}"#.into(),
        ),
        (
            "long-s-and-kelvin",
            r#"{"IpcHo\u017ft":true,"Networ\u212a":{"Type":"x"},"\u0130pcHost":false}"#.into(),
        ),
        (
            "twice-merges",
            r#"{"Linux":{"Capabilities":["A"]},"Linux":{"AllowAllDevices":true},"IpcHost":true,"ipchost":false}"#.into(),
        ),
        (
            "nulls",
            r#"{"Network":{"Type":"host"},"Network":null,"PidHost":true,"PidHost":null,"Mounts":[{"Source":"/a","Source":null},{"Source":"/b"}],"Linux":{"Capabilities":["A"],"Capabilities":null}}"#.into(),
        ),
        (
            "arrays-in-place",
            r#"{"Mounts":[{"Source":"/a"},{"Source":"/b"}],"Mounts":[{"Name":"n"}],"Mounts":[{"Name":"m"},{"Name":"o"}],"Linux":{"Capabilities":["A","B","C"],"Capabilities":["X"],"Capabilities":[null,null,null,null]}}"#.into(),
        ),
        (
            "empty-array-starts-over",
            r#"{"Linux":{"Capabilities":["A","B"],"Capabilities":[],"Capabilities":[null,null]},"Mounts":[{"Source":"/a"}],"Mounts":[],"Mounts":[{}]}"#.into(),
        ),
        (
            "surrogates-and-escapes",
            r#"{"Mounts":[{"Source":"\ud800x\udc00\ud83d\ude00"},{"Source":"\u00e9\t\"<&>"}],"Network":{"Type":"\u0068ost"}}"#.into(),
        ),
        ("deep-unknown", deep),
        (
            "every-field",
            r#"{"Args":{"Name":"a","Description":"d","Settable":["value"],"Value":["x",null]},"Env":[{"Name":"E","Value":null,"Settable":[]}],"Entrypoint":["/p"],"Interface":{"Types":["docker.volumedriver/1.0","x"],"Socket":"s.sock","ProtocolScheme":"moby.plugins.http/v1"},"User":{"UID":0,"GID":4294967295},"rootfs":{"type":"layers","diff_ids":["sha256:x"]},"rootfs":null,"WorkDir":"/","PropagatedMount":"","DockerVersion":"x","Description":"","Documentation":"","IpcHost":true}"#.into(),
        ),
    ];
    for (case, config) in cases {
        let (reference, _) = push_by_hand(&repo, case, PLUGIN_CONFIG, config.as_bytes());
        let engine = engine_privileges(&reference);
        assert_eq!(
            ocipipe_privileges(&[&reference]),
            engine,
            "{case}: ocipipe and the engine differ"
        );
    }
}

#[test]
fn configs_the_engine_cannot_read_are_refused_where_it_answers_nothing() {
    let repo = unique_repo("plugin-malformed");
    let deeper = format!(
        r#"{{"IpcHost":true,"Unknown":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not-json", b"IpcHost: true".to_vec(), "is not valid JSON"),
        (
            "trailing-comma",
            br#"{"IpcHost":true,}"#.to_vec(),
            "is not valid JSON",
        ),
        ("an-array", b"[]".to_vec(), "is an array, not a JSON object"),
        (
            "bool-as-string",
            br#"{"IpcHost":"true","PidHost":true}"#.to_vec(),
            "IpcHost is a string, not a boolean",
        ),
        (
            "capability-number",
            br#"{"Linux":{"Capabilities":["CAP_A",7]},"PidHost":true}"#.to_vec(),
            "Linux.Capabilities[1] is a number",
        ),
        (
            "unread-field",
            br#"{"Description":5,"PidHost":true}"#.to_vec(),
            "Description is a number",
        ),
        (
            "uid-negative",
            br#"{"User":{"UID":-1},"PidHost":true}"#.to_vec(),
            "User.UID is the number -1",
        ),
        (
            "interface-null",
            br#"{"Interface":{"Types":[null]},"PidHost":true}"#.to_vec(),
            "Interface.Types[0] is null",
        ),
        ("too-deep", deeper.into_bytes(), "exceeded max depth"),
        (
            "not-utf8",
            b"{\"Mounts\":[{\"Source\":\"/\xff\"}]}".to_vec(),
            "not UTF-8",
        ),
    ];
    for (case, config, words) in cases {
        let (reference, _) = push_by_hand(&repo, case, PLUGIN_CONFIG, &config);
        // The engine's Go fails to decode it and answers as if nothing
        // were asked (all but the bytes that are not UTF-8, which it reads
        // as U+FFFD).
        let (status, engine) = engine_answer(&reference);
        assert_eq!(status, 200, "{case}: {engine}");
        if case == "not-utf8" {
            assert_eq!(engine[0]["Value"][0], "/\u{fffd}", "{case}");
        } else {
            assert_eq!(engine, json!([]), "{case}: the engine answers nothing");
        }
        let run = Ocipipe::new().run(&["plugin", "privileges", &reference]);
        assert_refused(&run, words);
        assert!(
            run.first_error_line().contains(&format!(
                "cannot compute the privileges of plugin {reference}"
            )),
            "{case}: {}",
            run.stderr
        );
        assert_eq!(run.stdout, "", "{case}");
    }
}

#[test]
fn a_registry_image_that_is_not_a_plugin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("plugin-not");
    let image = format!("{}/{repo}:image", registry());
    let root = busybox_root(dir.path());
    build(&["--layer", root.to_str().unwrap(), "-t", &image, "--push"]);
    let run = Ocipipe::new().run(&["plugin", "privileges", &image]);
    assert_refused(
        &run,
        "not a plugin: its config is application/vnd.oci.image.config.v1+json, \
         not application/vnd.docker.plugin.v1+json",
    );
    // The engine does not find a plugin config there either.
    let (status, answer) = engine_answer(&image);
    assert_ne!(status, 200, "{answer}");
    assert!(
        answer.to_string().contains("did not find plugin config"),
        "{answer}"
    );

    // A Docker schema2 image, pushed by hand.
    let (docker_image, descriptor) = push_by_hand(
        &repo,
        "docker-image",
        "application/vnd.docker.container.image.v1+json",
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#,
    );
    let run = Ocipipe::new().run(&["plugin", "privileges", &docker_image]);
    assert_refused(
        &run,
        "not a plugin: its config is application/vnd.docker.container.image.v1+json",
    );

    // An index, even of a plugin: the engine does not look into one.
    let (plugin, plugin_descriptor) = push_by_hand(&repo, "plugin", PLUGIN_CONFIG, b"{}");
    assert_eq!(ocipipe_privileges(&[&plugin]), Vec::<Value>::new());
    let (index, _) = put_manifest(
        &repo,
        "index",
        "application/vnd.oci.image.index.v1+json",
        &json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [descriptor, plugin_descriptor],
        }),
    );
    let run = Ocipipe::new().run(&["plugin", "privileges", &index]);
    assert_refused(
        &run,
        "not a plugin: it names an index (application/vnd.oci.image.index.v1+json)",
    );
    let (status, answer) = engine_answer(&index);
    assert_ne!(status, 200, "{answer}");
}

#[test]
fn a_missing_plugin_is_named() {
    let name = format!("{}/{}:missing", registry(), unique_repo("plugin-missing"));
    let run = Ocipipe::new().run(&["plugin", "privileges", &name]);
    assert_refused(
        &run,
        &format!("cannot compute the privileges of plugin {name}"),
    );
    assert!(run.stderr.contains("404"), "{}", run.stderr);
}

/// `ocipipe login` into `env`'s Docker config.
fn login(env: &Env, host: &str) -> Run {
    let (user, password) = registry_user();
    env.ocipipe().run_with_stdin(
        &["login", host, "-u", &user, "--password-stdin"],
        &format!("{password}\n"),
    )
}

#[test]
fn tokens_are_asked_for_the_plugin_scope_as_moby_asks() {
    let dir = tempfile::tempdir().unwrap();
    let plain = format!("{}/{}:1", registry(), unique_repo("plugin-token-src"));
    let config = config_with(json!({"Network": {"Type": "host"}, "IpcHost": true}));
    create_and_push(&plain, &context(dir.path(), "plugin", &config));

    let host = token_registry();
    let repo = unique_repo("plugin-token");
    let env = Env::new();
    let logged_in = login(&env, &host);
    assert_eq!(logged_in.code, 0, "{}", logged_in.stderr);
    let copied = env.copy(
        &[],
        &format!("docker://{plain}"),
        &format!("docker://{host}/{repo}:1"),
    );
    assert_eq!(copied.code, 0, "{}", copied.stderr);

    let run = env.ocipipe().run(&[
        "--json",
        "plugin",
        "privileges",
        &format!("{host}/{repo}:1"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json_lines(), engine_privileges(&plain));
    let plugin_scope = format!("repository(plugin):{repo}:pull");
    let asked = token_log().into_iter().any(|entry| {
        entry["scopes"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == plugin_scope.as_str()))
    });
    assert!(asked, "no token was asked for {plugin_scope}");
}
