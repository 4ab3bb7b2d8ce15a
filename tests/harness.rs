//! What every test needs: the binary with an isolated cache, the engine's
//! address, the hostile fixture, images, layers and archives made by the
//! test itself. Shared by the `cli` and `e2e` test binaries (`#[path]`).

#![allow(dead_code)] // each test binary uses the part it needs

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `SOURCE_DATE_EPOCH` for builds whose bytes a test compares.
pub const EPOCH: &str = "1700000000";

/// [`EPOCH`] as the environment of a hostile-suite command.
pub fn at_epoch() -> Vec<(String, String)> {
    vec![("SOURCE_DATE_EPOCH".to_string(), EPOCH.to_string())]
}

/// Arguments as the hostile suite takes them.
pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// The result of one `ocipipe` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// How long it ran.
    pub took: Duration,
}

impl Run {
    /// The JSON Lines of stdout.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// The first line of stderr: the one that must say what went wrong.
    pub fn first_error_line(&self) -> &str {
        self.stderr.lines().next().unwrap_or("")
    }

    /// The error printed: the first `error:` line of stderr (after any
    /// `--json` events and log lines) and the `caused by:` lines under it;
    /// empty when there is none.
    pub fn error(&self) -> String {
        let mut lines = self
            .stderr
            .lines()
            .skip_while(|l| !l.starts_with("error: "));
        lines
            .next()
            .into_iter()
            .chain(lines.take_while(|l| l.starts_with("  caused by: ")))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The `ocipipe` binary as every test runs it: with its contract checked
/// (`OCIPIPE_CHECK_CONTRACT=1`), so a component call the command's entry
/// in the contract table (docs/contract.md) lacks fails the test.
pub fn ocipipe_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ocipipe"));
    cmd.env("OCIPIPE_CHECK_CONTRACT", "1");
    cmd
}

/// An `ocipipe` command with its own empty compile cache.
pub struct Ocipipe {
    cmd: Command,
    _cache: Option<tempfile::TempDir>,
    limit: Option<Duration>,
}

impl Ocipipe {
    pub fn new() -> Self {
        let cache = tempfile::tempdir().unwrap();
        let mut me = Self::with_cache(cache.path());
        me._cache = Some(cache);
        me
    }

    pub fn with_cache(dir: &Path) -> Self {
        let mut cmd = ocipipe_command();
        cmd.env("OCIPIPE_CACHE_DIR", dir).env_remove("RUST_LOG");
        if let Ok(host) = std::env::var("DOCKER_HOST") {
            cmd.env("DOCKER_HOST", host);
        }
        Self {
            cmd,
            _cache: None,
            limit: None,
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.cmd.env_remove(key);
        self
    }

    /// A run still going after `limit` is killed and fails the test: for
    /// the runs that, broken, would hang.
    pub fn within(mut self, limit: Duration) -> Self {
        self.limit = Some(limit);
        self
    }

    pub fn run(self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(self, args: &[&str], stdin: &str) -> Run {
        self.run_with_stdin_bytes(args, stdin.as_bytes())
    }

    /// Runs and returns stdout as bytes (an archive), asserting success.
    pub fn run_bytes(mut self, args: &[&str]) -> Vec<u8> {
        let out = self
            .cmd
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("running ocipipe");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    pub fn run_with_stdin_bytes(mut self, args: &[&str], stdin: &[u8]) -> Run {
        let started = Instant::now();
        let mut child = self
            .cmd
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running ocipipe");
        // Feed stdin from another thread: a big input must not deadlock
        // against output the child writes meanwhile.
        let mut input = child.stdin.take().unwrap();
        let stdin = stdin.to_vec();
        let feeder = std::thread::spawn(move || {
            let _ = input.write_all(&stdin);
        });
        let out = match self.limit {
            Some(limit) => wait_within(child, limit, args),
            None => child.wait_with_output().unwrap(),
        };
        feeder.join().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
            took: started.elapsed(),
        }
    }
}

/// `child`'s output once it exits; one still running after `limit` is
/// killed, failing the test with what it wrote to stderr.
fn wait_within(mut child: Child, limit: Duration, args: &[&str]) -> Output {
    let drain = |mut from: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = from.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "ocipipe {args:?}: still running after {limit:?}: {}",
                String::from_utf8_lossy(&stderr.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

impl Ocipipe {
    /// Runs with `stdin` under GNU time: the run and its peak resident
    /// memory in KiB (the largest of ocipipe and the children it waited
    /// for, such as a credential helper).
    pub fn run_measured(self, args: &[&str], stdin: &[u8]) -> (Run, u64) {
        let report = tempfile::NamedTempFile::new().unwrap();
        let mut cmd = Command::new("/usr/bin/time");
        cmd.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(report.path())
            .arg(self.cmd.get_program());
        for (key, value) in self.cmd.get_envs() {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        let run = Ocipipe {
            cmd,
            _cache: self._cache,
            limit: self.limit,
        }
        .run_with_stdin_bytes(args, stdin);
        // GNU time writes "Command exited with non-zero status N" first.
        let text = std::fs::read_to_string(report.path()).unwrap();
        let kib = text
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("no peak memory from /usr/bin/time: {text}"));
        (run, kib)
    }
}

/// `PATH` with tests/fixtures first, where
/// `docker-credential-ocipipe-test` (a credential helper speaking the real
/// protocol; its header says how the environment drives it) is found.
pub fn path_with_test_helper() -> String {
    format!(
        "{}:{}",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures"),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// One test's tests/fixtures/docker-credential-ocipipe-test: the file it
/// keeps credentials in, its log of calls and its mode (`keep`, `forget`,
/// `hang`, `flood`, `fail`: see its header).
pub struct TestHelper {
    dir: tempfile::TempDir,
    mode: String,
    extra: Vec<(String, String)>,
}

impl TestHelper {
    /// A helper holding nothing yet, in `mode`.
    pub fn new(mode: &str) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            mode: mode.to_string(),
            extra: Vec::new(),
        }
    }

    /// Also sets `key` to `value` for it (e.g. the flood's size).
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.extra.push((key.to_string(), value.to_string()));
        self
    }

    /// The environment that puts it on `PATH` and drives it.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("PATH".to_string(), path_with_test_helper()),
            (
                "OCIPIPE_TEST_HELPER_STORE".to_string(),
                self.store().display().to_string(),
            ),
            (
                "OCIPIPE_TEST_HELPER_LOG".to_string(),
                self.dir.path().join("log").display().to_string(),
            ),
            ("OCIPIPE_TEST_HELPER_MODE".to_string(), self.mode.clone()),
        ];
        env.extend(self.extra.iter().cloned());
        env
    }

    /// `cmd` with [`Self::env`].
    pub fn on(&self, mut cmd: Ocipipe) -> Ocipipe {
        for (key, value) in self.env() {
            cmd = cmd.env(&key, &value);
        }
        cmd
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("store.json")
    }

    /// What it holds: `{ServerURL: {"Username", "Secret"}}`.
    pub fn held(&self) -> serde_json::Value {
        match std::fs::read(self.store()) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
            Err(_) => serde_json::json!({}),
        }
    }

    /// Makes it hold `username` and `secret` for `server`.
    pub fn hold(&self, server: &str, username: &str, secret: &str) {
        let mut held = self.held();
        held[server] = serde_json::json!({"Username": username, "Secret": secret});
        std::fs::write(self.store(), held.to_string()).unwrap();
    }

    /// Kills every helper process it logged that still runs (a `hang`
    /// helper whose ocipipe was interrupted is left running).
    pub fn stop_all(&self) {
        for call in self.calls() {
            let pid = call["pid"].as_u64().unwrap().to_string();
            let _ = Command::new("kill").arg("-KILL").arg(&pid).status();
        }
    }

    /// Every call so far: `{"action", "server", "pid"}`.
    pub fn calls(&self) -> Vec<serde_json::Value> {
        let log = self.dir.path().join("log");
        if !log.exists() {
            return Vec::new();
        }
        json_lines_of(&log)
    }
}

/// `ocipipe ARGS` with a fresh cache.
pub fn ocipipe(args: &[&str]) -> Run {
    Ocipipe::new().run(args)
}

/// `ocipipe --json plugin build CONTEXT -t NAME ARGS`.
pub fn plugin_build(context: &Path, name: &str, args: &[&str]) -> Run {
    let mut all = vec![
        "--json",
        "plugin",
        "build",
        context.to_str().unwrap(),
        "-t",
        name,
    ];
    all.extend_from_slice(args);
    ocipipe(&all)
}

/// The hostile fixture component (tests/fixtures/hostile).
pub fn hostile() -> PathBuf {
    guest("hostile.wasm")
}

/// A component file the build made: a built-in (`ocipipe_tagging.wasm`)
/// or a fixture of `tests/fixtures` (`mirror_tagging.wasm`).
pub fn guest(file: &str) -> PathBuf {
    Path::new(env!("OCIPIPE_GUEST_DIR")).join(file)
}

/// The address of the engine the test run started.
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST").expect(
        "the end-to-end tests need a Docker Engine: run them through `just test` \
         (scripts/services starts one)",
    )
}

/// A variable `scripts/services` exports, or a panic that says so.
fn service_var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the registry tests need the registries scripts/services \
             starts; run under scripts/services (`just test` does)"
        )
    })
}

/// host:port of the registry without auth (plain HTTP on loopback).
pub fn registry() -> String {
    service_var("OCIPIPE_REGISTRY")
}

/// host:port of the registry with basic auth (htpasswd) for
/// [`registry_user`].
pub fn htpasswd_registry() -> String {
    service_var("OCIPIPE_REGISTRY_HTPASSWD")
}

/// host:port of the registry with bearer tokens from
/// tests/fixtures/token-server.py, for [`registry_user`].
pub fn token_registry() -> String {
    service_var("OCIPIPE_REGISTRY_TOKEN")
}

/// NAME:PORT of the registry serving TLS with a certificate for NAME from
/// a private CA ([`tls_registry_ca`]); NAME resolves to 127.0.0.1.
pub fn tls_registry() -> String {
    service_var("OCIPIPE_REGISTRY_TLS")
}

/// The private CA of [`tls_registry`] and [`mtls_registry`] (PEM).
pub fn tls_registry_ca() -> PathBuf {
    service_var("OCIPIPE_REGISTRY_TLS_CA").into()
}

/// The log of [`tls_registry`]: a "TLS handshake error" line for each
/// handshake it refused.
pub fn tls_registry_log() -> PathBuf {
    service_var("OCIPIPE_REGISTRY_TLS_LOG").into()
}

/// NAME:PORT of a registry like [`tls_registry`] that also requires a
/// client certificate the CA signed: [`mtls_client`].
pub fn mtls_registry() -> String {
    service_var("OCIPIPE_REGISTRY_MTLS")
}

/// A client certificate [`mtls_registry`] takes, and its key (PEM files).
pub fn mtls_client() -> (PathBuf, PathBuf) {
    (
        service_var("OCIPIPE_REGISTRY_MTLS_CERT").into(),
        service_var("OCIPIPE_REGISTRY_MTLS_KEY").into(),
    )
}

/// The user and password both auth registries accept (a new password
/// every run).
pub fn registry_user() -> (String, String) {
    (
        service_var("OCIPIPE_REGISTRY_USER"),
        service_var("OCIPIPE_REGISTRY_PASSWORD"),
    )
}

/// Every request the token server has answered so far, oldest first: `time`,
/// `method`, `path`, `scopes` (asked), `service`, `account`, `client_id`,
/// `grant_type`, `auth` (none, basic, password, refresh_token), `user`,
/// `status`, `granted`. All tests share the server: pick your own by the
/// repository in `scopes` ([`unique_repo`]).
pub fn token_log() -> Vec<serde_json::Value> {
    json_lines_of(Path::new(&service_var("OCIPIPE_TOKEN_LOG")))
}

/// The complete JSON lines of a log another process appends to.
fn json_lines_of(path: &Path) -> Vec<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.split_inclusive('\n')
        .filter(|l| l.ends_with('\n') && !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// tests/fixtures/registry-fault-proxy.py in front of a real registry:
/// requests its `rules` pick get a fault, the rest pass byte for byte (its
/// header documents the rules). Stopped when dropped.
///
/// ```ignore
/// let proxy = FaultProxy::start(&registry(), serde_json::json!([
///     {"method": "PATCH", "path": "/blobs/uploads/", "nth": 1,
///      "action": "cut_request", "after": 1 << 20},
/// ]));
/// // ... push to proxy.address() ...
/// let patches = proxy.requests().iter().filter(|r| r["method"] == "PATCH").count();
/// ```
pub struct FaultProxy {
    child: std::process::Child,
    address: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl FaultProxy {
    /// A proxy to `upstream` (host:port) with `rules` (a JSON list).
    pub fn start(upstream: &str, rules: serde_json::Value) -> FaultProxy {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.jsonl");
        let stderr_path = dir.path().join("stderr");
        let mut child = Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/fixtures/registry-fault-proxy.py"
            ))
            .arg("--upstream")
            .arg(upstream)
            .arg("--log")
            .arg(&log)
            .arg("--rules")
            .arg(rules.to_string())
            // Its stdin is its lifeline: it stops when this end closes,
            // even if the test process dies without dropping this.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .expect("starting python3 tests/fixtures/registry-fault-proxy.py");
        let mut line = String::new();
        let _ = std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
        let Ok(port) = line.trim().parse::<u16>() else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the fault proxy did not start (rules {rules}): {}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        };
        FaultProxy {
            child,
            address: format!("127.0.0.1:{port}"),
            log,
            _dir: dir,
        }
    }

    /// host:port of the proxy.
    pub fn address(&self) -> String {
        self.address.clone()
    }

    /// Every request the proxy has answered (or cut) so far, in the order
    /// of its log (`seq`; `time` is when a request arrived): `method`,
    /// `path` (with the query),
    /// `status` (answered; null when none), `fault` (the action that
    /// fired, or null), `rule` (its index), `request_bytes`. A request's
    /// line is written before its client sees the answer.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        json_lines_of(&self.log)
    }

    /// How many requests got the fault `action` (e.g. `cut_request`).
    pub fn faults(&self, action: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r["fault"] == action)
            .count()
    }

    /// The `path` (with the query) of every request of [`Self::requests`].
    pub fn paths(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| r["path"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The docker CLI against the test engine: an independent check.
pub fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .arg("-H")
        .arg(docker_host())
        .args(args)
        .output()
        .expect("running docker")
}

/// HOST:PORT on loopback where nothing listens (a port just freed).
pub fn closed_address() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// A repository name no other test uses.
pub fn unique_repo(prefix: &str) -> String {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).unwrap();
    format!("ocipipe-test/{prefix}-{}", hex::encode(bytes))
}

/// A layer tar with one file, built with the `tar` crate.
pub fn simple_layer(name: &str, content: &[u8]) -> Vec<u8> {
    raw_tar(&[RawEntry::file(name, content)])
}

/// An entry of a hand-made tar; names are written raw, so a test can make
/// the unsafe ones the `tar` crate's setters refuse.
pub struct RawEntry<'a> {
    pub name: &'a str,
    pub kind: tar::EntryType,
    pub link: Option<&'a str>,
    pub data: &'a [u8],
}

impl<'a> RawEntry<'a> {
    pub fn file(name: &'a str, data: &'a [u8]) -> Self {
        Self {
            name,
            kind: tar::EntryType::Regular,
            link: None,
            data,
        }
    }
    pub fn dir(name: &'a str) -> Self {
        Self {
            name,
            kind: tar::EntryType::Directory,
            link: None,
            data: b"",
        }
    }
    pub fn symlink(name: &'a str, target: &'a str) -> Self {
        Self {
            name,
            kind: tar::EntryType::Symlink,
            link: Some(target),
            data: b"",
        }
    }
}

/// A tar of `entries`, names and link targets written byte for byte.
pub fn raw_tar(entries: &[RawEntry<'_>]) -> Vec<u8> {
    let mut out = tar::Builder::new(Vec::new());
    for e in entries {
        let mut header = tar::Header::new_old();
        let old = header.as_old_mut();
        old.name[..e.name.len()].copy_from_slice(e.name.as_bytes());
        if let Some(link) = e.link {
            old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_entry_type(e.kind);
        header.set_size(e.data.len() as u64);
        header.set_mode(if e.kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        header.set_mtime(0);
        // Written, not left NUL: see the report of NUL-filled numeric
        // fields, which would otherwise be refused before any check of
        // the name runs.
        header.set_uid(0);
        header.set_gid(0);
        header.set_cksum();
        out.append(&header, e.data).unwrap();
    }
    out.into_inner().unwrap()
}

/// A `docker load` archive of one image named `repo_tag` with `layers`,
/// and the image ID.
pub fn docker_archive(repo_tag: &str, label: &str, layers: &[Vec<u8>]) -> (Vec<u8>, String) {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha256_hex(l)))
        .collect();
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {
            "Env": ["PATH=/bin", "OCIPIPE_TEST=1"],
            "Cmd": ["/hello.txt"],
            "Labels": {"org.ocipipe.test": label},
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": layers.iter().map(|_| serde_json::json!({"created": "2024-01-01T00:00:00Z", "created_by": "ocipipe tests"})).collect::<Vec<_>>(),
    });
    let config = serde_json::to_vec(&config).unwrap();
    let config_hex = sha256_hex(&config);
    let layer_paths: Vec<String> = (0..layers.len())
        .map(|i| format!("layer{i}/layer.tar"))
        .collect();
    let manifest = serde_json::json!([{
        "Config": format!("{config_hex}.json"),
        "RepoTags": [repo_tag],
        "Layers": layer_paths,
    }]);
    let mut files = vec![(format!("{config_hex}.json"), config)];
    for (path, layer) in layer_paths.iter().zip(layers) {
        files.push((path.clone(), layer.clone()));
    }
    files.push((
        "manifest.json".to_string(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    let mut archive = tar::Builder::new(Vec::new());
    for (path, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_path(&path).unwrap();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        archive.append(&header, bytes.as_slice()).unwrap();
    }
    (
        archive.into_inner().unwrap(),
        format!("sha256:{config_hex}"),
    )
}

/// A `docker load` archive of one image named `repo_tag` whose config
/// claims a diff_id its one layer does not have, and the image ID. The
/// layer is the archive's own (its bytes name `repo_tag`): the engine skips
/// a layer whose chain it already has without reading it.
pub fn wrong_diff_id_archive(repo_tag: &str) -> (Vec<u8>, String) {
    let content = format!("{repo_tag}: the layer of the wrong diff_id");
    let (mut archive, id) = docker_archive(
        repo_tag,
        "wrong-diff-id",
        &[simple_layer("f", content.as_bytes())],
    );
    let at = archive
        .windows(content.len())
        .position(|w| w == content.as_bytes())
        .expect("layer bytes");
    archive[at] = b'X';
    (archive, id)
}

/// Loads a one-layer image named `repo_tag` into the engine from an
/// archive built here by hand, and returns its image ID.
pub fn load_image(repo_tag: &str, label: &str) -> String {
    let content = format!("made for {repo_tag}\n");
    let (archive, id) = docker_archive(
        repo_tag,
        label,
        &[simple_layer("hello.txt", content.as_bytes())],
    );
    let mut child = Command::new("docker")
        .args(["-H", &docker_host(), "load"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&archive).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docker load: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    id
}

/// The names the engine has for `image`, per `docker image inspect`.
pub fn engine_tags(image: &str) -> Vec<String> {
    let out = docker(&["image", "inspect", "--format", "{{json .RepoTags}}", image]);
    assert!(
        out.status.success(),
        "docker inspect {image}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut tags: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    tags.sort();
    tags
}

/// `docker ARGS` against the test engine, asserting success; its stdout.
pub fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Another program (skopeo, umoci, tar), asserting success; its stdout.
pub fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Extracts the tar archive at `archive` into a new directory `into`
/// (an ocipipe archive is also an OCI layout).
pub fn extract(archive: &Path, into: &Path) {
    std::fs::create_dir(into).unwrap();
    tool(
        "tar",
        &[
            "-xf",
            archive.to_str().unwrap(),
            "-C",
            into.to_str().unwrap(),
        ],
    );
}

/// `umoci raw unpack` of `image` (`LAYOUT:TAG`) into the root
/// filesystem `bundle`, rootless.
pub fn umoci_unpack(image: &str, bundle: &Path) {
    tool(
        "umoci",
        &[
            "raw",
            "unpack",
            "--rootless",
            "--image",
            image,
            bundle.to_str().unwrap(),
        ],
    );
}

/// The layer digests of a build's report, in order.
pub fn layer_digests(built: &serde_json::Value) -> Vec<&str> {
    built["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap())
        .collect()
}

/// The layers (diff IDs) the engine lists for `image`.
pub fn engine_layers(image: &str) -> Vec<String> {
    let layers = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .RootFS.Layers}}",
        image,
    ]);
    serde_json::from_str(&layers).unwrap()
}

/// A root filesystem holding Debian's static busybox and a few files.
pub fn busybox_root(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("etc/app")).unwrap();
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).unwrap();
    std::fs::write(root.join("etc/app/greeting"), "hello from ocipipe\n").unwrap();
    std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
    root
}

/// A layer directory `dir/caps` holding `bin/busybox` with the file
/// capability `cap_net_raw+ep` (`setcap`, so root only) and the extended
/// attribute `user.ocipipe=hello`, and `plain/busybox`, a busybox with
/// neither.
pub fn busybox_with_xattrs(dir: &Path) -> PathBuf {
    let layer = dir.join("caps");
    std::fs::create_dir_all(layer.join("bin")).unwrap();
    let busybox = layer.join("bin/busybox");
    std::fs::copy("/bin/busybox", &busybox).unwrap();
    std::fs::create_dir_all(layer.join("plain")).unwrap();
    std::fs::copy("/bin/busybox", layer.join("plain/busybox")).unwrap();
    let setcap = Command::new("/usr/sbin/setcap")
        .args(["cap_net_raw+ep", busybox.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        setcap.status.success(),
        "setcap (needs root): {}",
        String::from_utf8_lossy(&setcap.stderr)
    );
    xattr::set(&busybox, "user.ocipipe", b"hello").unwrap();
    layer
}

/// A layer directory `dir/name` holding `data/name` with `content`.
pub fn a_layer(dir: &Path, name: &str, content: &str) -> PathBuf {
    let layer = dir.join(name);
    std::fs::create_dir_all(layer.join("data")).unwrap();
    std::fs::write(layer.join("data").join(name), content).unwrap();
    layer
}

/// Layers of every kind `--layer` takes, over a busybox root: `args` are
/// the `--layer` flags (the root, a `.tar`, a `.tar.gz`, then one
/// directory twice), `tar` the bytes of the `.tar` and `gz_tar` the tar
/// inside the `.tar.gz`. The image's `/data` holds `from-tar`, `from-gz`
/// and `twice`.
pub struct MixedLayers {
    pub args: Vec<String>,
    pub tar: Vec<u8>,
    pub gz_tar: Vec<u8>,
}

impl MixedLayers {
    pub fn new(dir: &Path) -> Self {
        let root = busybox_root(dir);
        let tar = raw_tar(&[
            RawEntry::dir("data/"),
            RawEntry::file("data/from-tar", b"from a tar\n"),
        ]);
        let gz_tar = raw_tar(&[
            RawEntry::dir("data/"),
            RawEntry::file("data/from-gz", b"from a gzip tar\n"),
        ]);
        let tar_file = write(dir, "layer.tar", &tar);
        let gz_file = write(dir, "layer.tar.gz", &stored_gzip(&gz_tar));
        let twice = a_layer(dir, "twice", "given twice\n");
        let args = [
            root.display().to_string(),
            tar_file,
            gz_file,
            twice.display().to_string(),
            twice.display().to_string(),
        ]
        .into_iter()
        .flat_map(|layer| ["--layer".to_string(), layer])
        .collect();
        Self { args, tar, gz_tar }
    }

    /// The `--layer` flags as `&str`s.
    pub fn flags(&self) -> Vec<&str> {
        self.args.iter().map(String::as_str).collect()
    }
}

/// `image build --layer LAYER -o OUT`, which is expected to fail.
pub fn build_refused(layer: &str, out: &Path) -> Run {
    ocipipe(&[
        "image",
        "build",
        "--layer",
        layer,
        "-o",
        out.to_str().unwrap(),
    ])
}

/// `image build --json ARGS` at [`EPOCH`], asserting success; its report.
pub fn build(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["image", "build", "--json"];
    all.extend_from_slice(args);
    let run = Ocipipe::new().env("SOURCE_DATE_EPOCH", EPOCH).run(&all);
    assert_eq!(run.code, 0, "build {args:?}: {}", run.stderr);
    run.json_lines().remove(0)
}

/// Writes `bytes` to `dir/name`; the path as a string.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// `bytes` as gzip made of stored (uncompressed) deflate blocks: a valid
/// `.tar.gz` whose bytes no compressor version can change.
pub fn stored_gzip(bytes: &[u8]) -> Vec<u8> {
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut out = HEADER.to_vec();
    let mut blocks = bytes.chunks(u16::MAX as usize).peekable();
    if blocks.peek().is_none() {
        out.extend([1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let len = block.len() as u16;
        out.push(u8::from(blocks.peek().is_none()));
        out.extend(len.to_le_bytes());
        out.extend((!len).to_le_bytes());
        out.extend(block);
    }
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    out.extend(crc.sum().to_le_bytes());
    out.extend((bytes.len() as u32).to_le_bytes());
    out
}

/// The regular files of the tar archive at `path`, by name.
pub fn tar_files(path: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read;
    let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
    let mut files = std::collections::BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.header().entry_type().is_file() {
            let name = entry.path().unwrap().display().to_string();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            assert!(
                files.insert(name.clone(), bytes).is_none(),
                "{name} is stored twice in {}",
                path.display()
            );
        }
    }
    files
}

/// The image config of the one image in the archive at `path`.
pub fn archive_config(path: &Path) -> serde_json::Value {
    let files = tar_files(path);
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let config = manifest[0]["Config"].as_str().unwrap();
    serde_json::from_slice(&files[config]).unwrap()
}

/// The sha256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `run` failed with exit code 1, one `error:` first line, `words` in its
/// stderr, and no panic.
pub fn assert_refused(run: &Run, words: &str) {
    assert_eq!(run.code, 1, "must be refused: {}", run.stderr);
    assert!(
        run.first_error_line().starts_with("error: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(words),
        "expected {words:?} in: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// `dir` holds exactly `names`: no partial output remains.
pub fn only(dir: &Path, names: &[&str]) {
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, names, "no partial output may remain");
}
