//! Registries over TLS with a private CA (started by `scripts/services`
//! under a name of the run's own): trusting the CA from the real
//! `/etc/docker/certs.d` and `/etc/containers/certs.d`, `SSL_CERT_FILE` and
//! `SSL_CERT_DIR`; client certificates; and the failures that no retry
//! mends, reported at once.
//!
//! The tests that change what the TLS registries' host is trusted with
//! (its certs.d directories, the system's roots) hold [`TRUST`], and every
//! file they add to `/etc` is removed when their guard drops, pass or fail.

use super::{Env, digest, error_line, refused};
use crate::harness::{
    Ocipipe, Run, mtls_client, mtls_registry, registry, tls_registry, tls_registry_ca,
    tls_registry_log, tool, unique_repo,
};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Held by every test that changes what the TLS registries are trusted with.
static TRUST: Mutex<()> = Mutex::new(());

fn trust_lock() -> std::sync::MutexGuard<'static, ()> {
    TRUST
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

const DOCKER_CERTS_D: &str = "/etc/docker/certs.d";
const CONTAINERS_CERTS_D: &str = "/etc/containers/certs.d";

/// A directory made under `/etc` for a test, removed when dropped with
/// every parent it had to make.
struct EtcDir {
    path: PathBuf,
    made: PathBuf,
}

impl EtcDir {
    /// `ROOT/HOST`, which must not exist yet.
    fn new(root: &str, host: &str) -> Self {
        let path = Path::new(root).join(host);
        assert!(
            !path.exists(),
            "{} exists already: left by another run? remove it",
            path.display()
        );
        let mut made = path.clone();
        while !made.parent().unwrap().exists() {
            made = made.parent().unwrap().to_path_buf();
        }
        std::fs::create_dir_all(&path).unwrap();
        Self { path, made }
    }

    /// Writes `name` here.
    fn put(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Copies `from` here as `name`.
    fn copy(&self, from: &Path, name: &str) -> PathBuf {
        self.put(name, &std::fs::read(from).unwrap())
    }
}

impl Drop for EtcDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.made)
            .unwrap_or_else(|e| panic!("removing {}: {e}", self.made.display()));
    }
}

/// A file added to `/etc` for a test, removed when dropped.
struct EtcFile(PathBuf);

impl EtcFile {
    fn new(path: &Path, bytes: &[u8]) -> Self {
        assert!(!path.exists(), "{} exists already", path.display());
        std::fs::write(path, bytes).unwrap();
        Self(path.to_path_buf())
    }
}

impl Drop for EtcFile {
    fn drop(&mut self) {
        std::fs::remove_file(&self.0)
            .unwrap_or_else(|e| panic!("removing {}: {e}", self.0.display()));
    }
}

/// `ocipipe` with the test's Docker config and no OpenSSL variables of
/// this machine's (only what a test gives).
fn ocipipe(env: &Env) -> Ocipipe {
    env.ocipipe()
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
}

/// `ocipipe copy --json FROM TO` with `vars` set.
fn copy(env: &Env, vars: &[(&str, &str)], extra: &[&str], from: &str, to: &str) -> Run {
    let mut cmd = ocipipe(env);
    for (key, value) in vars {
        cmd = cmd.env(key, value);
    }
    let mut args = vec!["copy", "--json"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[from, to]);
    cmd.run(&args)
}

/// Pushes a new image to `host` and pulls it back into a new layout, with
/// `vars` set; both must work and agree on the digest.
fn push_and_pull(env: &Env, vars: &[(&str, &str)], host: &str) {
    let image = env.image(&format!("src-{}", unique_repo("x").replace('/', "-")), &[]);
    let target = format!("docker://{host}/{}:1", unique_repo("tls"));
    let pushed = copy(env, vars, &[], &image, &target);
    assert_eq!(pushed.code, 0, "push to {host}: {}", pushed.stderr);
    let layout = env.path(&format!("pulled-{}", unique_repo("x").replace('/', "-")));
    let pulled = copy(
        env,
        vars,
        &[],
        &target,
        &format!("oci:{}:1", layout.display()),
    );
    assert_eq!(pulled.code, 0, "pull from {host}: {}", pulled.stderr);
    assert_eq!(
        digest(&pushed.json_lines()[0]),
        digest(&pulled.json_lines()[0])
    );
}

/// A push that failed at its first try.
struct Refused {
    env: Env,
    image: String,
    target: String,
    run: Run,
}

/// A push of a new image to `host` (from a new test directory) fails
/// with `words`, at the first try.
fn refused_at_once(host: &str, words: &str) -> Refused {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let target = format!("docker://{host}/{}:1", unique_repo("refused"));
    let run = copy(&env, &[], &[], &image, &target);
    refused(&run, words);
    assert!(
        !run.stderr.contains("trying again"),
        "a failure no retry mends was retried: {}",
        run.stderr
    );
    Refused {
        env,
        image,
        target,
        run,
    }
}

/// The handshakes the TLS registry has refused so far.
fn refused_handshakes() -> usize {
    std::fs::read_to_string(tls_registry_log())
        .unwrap()
        .matches("TLS handshake error")
        .count()
}

fn host_name(address: &str) -> &str {
    address.rsplit_once(':').unwrap().0
}

#[test]
fn an_untrusted_certificate_fails_at_once_naming_what_was_trusted_and_the_fixes() {
    let _trust = trust_lock();
    let host = tls_registry();
    let before = refused_handshakes();
    let refused = refused_at_once(
        &host,
        &format!("the TLS certificate of {host} is not trusted"),
    );
    let error = error_line(&refused.run);
    for words in [
        "signed by an unknown authority",
        "trusted: the system's roots and no CA file of",
        &format!("none in {DOCKER_CERTS_D}/{host}/ or {CONTAINERS_CERTS_D}/{host}/"),
        &format!("put it in {DOCKER_CERTS_D}/{host}/ca.crt"),
        &format!("--insecure-registry {host}"),
    ] {
        assert!(error.contains(words), "{words:?} in {error}");
    }
    let started = Instant::now();
    // The registry saw one handshake, which it logs as refused.
    while refused_handshakes() == before && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(refused_handshakes() - before, 1, "{}", refused.run.stderr);
}

/// With the registry's CA as `ROOT/HOST:PORT/NAME`, push and pull work.
fn trusted_with_a_ca_in(root: &str, name: &str) {
    let _trust = trust_lock();
    let host = tls_registry();
    let dir = EtcDir::new(root, &host);
    dir.copy(&tls_registry_ca(), name);
    push_and_pull(&Env::new(), &[], &host);
}

#[test]
fn a_ca_in_docker_certs_d_is_trusted_for_push_and_pull() {
    trusted_with_a_ca_in(DOCKER_CERTS_D, "ca.crt");
}

#[test]
fn a_ca_in_containers_certs_d_is_trusted_for_push_and_pull() {
    // Any *.crt is a CA, as docker and containers/image read them.
    trusted_with_a_ca_in(CONTAINERS_CERTS_D, "private-ca.crt");
}

#[test]
fn ssl_cert_file_and_dir_add_roots_and_the_systems_stay_trusted() {
    let _trust = trust_lock();
    let host = tls_registry();
    let env = Env::new();
    let ca = tls_registry_ca();
    push_and_pull(&env, &[("SSL_CERT_FILE", ca.to_str().unwrap())], &host);
    // SSL_CERT_DIR: directories, `:`-separated (a missing one skipped);
    // every PEM file in them.
    let (empty, dir) = (env.path("empty-certs"), env.path("certs"));
    std::fs::create_dir(&empty).unwrap();
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&ca, dir.join("registry.pem")).unwrap();
    let dirs = format!(
        "{}:{}:{}",
        env.path("missing").display(),
        empty.display(),
        dir.display()
    );
    push_and_pull(&env, &[("SSL_CERT_DIR", &dirs)], &host);

    // OpenSSL would trust SSL_CERT_FILE instead of the system's roots;
    // here it adds to them: the registry's CA among the system's, and
    // another CA named by SSL_CERT_FILE.
    let other = env.path("other-ca.pem");
    tool(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=ocipipe-unrelated-ca",
            "-keyout",
            env.path("other-ca.key").to_str().unwrap(),
            "-out",
            other.to_str().unwrap(),
        ],
    );
    let _system = EtcFile::new(
        &Path::new("/etc/ssl/certs").join(format!(
            "{}.pem",
            unique_repo("ocipipe-test-ca").replace('/', "-")
        )),
        &std::fs::read(&ca).unwrap(),
    );
    push_and_pull(&env, &[("SSL_CERT_FILE", other.to_str().unwrap())], &host);

    // A variable naming nothing usable is an error naming it.
    let image = env.image("layout", &[]);
    let target = format!("docker://{host}/{}:1", unique_repo("tls"));
    let missing = env.path("missing.pem");
    let run = copy(
        &env,
        &[("SSL_CERT_FILE", missing.to_str().unwrap())],
        &[],
        &image,
        &target,
    );
    refused(&run, &format!("SSL_CERT_FILE={}", missing.display()));
    let run = copy(
        &env,
        &[("SSL_CERT_FILE", env.path("other-ca.key").to_str().unwrap())],
        &[],
        &image,
        &target,
    );
    refused(&run, "holds no PEM certificate");
}

#[test]
fn a_registry_asking_for_a_client_certificate_gets_the_one_in_certs_d() {
    let _trust = trust_lock();
    let host = mtls_registry();
    let dir = EtcDir::new(DOCKER_CERTS_D, &host);
    dir.copy(&tls_registry_ca(), "ca.crt");
    let refused = refused_at_once(
        &host,
        &format!(
            "{host} asks for a TLS client certificate and there is none for it: \
             put client.cert and client.key in {DOCKER_CERTS_D}/{host}/"
        ),
    );

    let (cert, key) = mtls_client();
    dir.copy(&cert, "client.cert");
    dir.copy(&key, "client.key");
    push_and_pull(&refused.env, &[], &host);
}

#[test]
fn a_malformed_ca_crt_or_a_client_cert_without_its_key_is_refused_naming_the_file() {
    let _trust = trust_lock();
    let host = tls_registry();
    let env = Env::new();
    let image = env.image("layout", &[]);
    let repo = unique_repo("malformed");
    let target = format!("docker://{host}/{repo}:1");
    {
        let dir = EtcDir::new(CONTAINERS_CERTS_D, &host);
        let ca = dir.put(
            "ca.crt",
            b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n",
        );
        let run = copy(&env, &[], &[], &image, &target);
        refused(&run, &format!("{}: not a PEM CA certificate", ca.display()));
        dir.put("ca.crt", b"a note, not a certificate\n");
        let run = copy(&env, &[], &[], &image, &target);
        refused(
            &run,
            &format!(
                "{}: not a PEM CA certificate: it holds no -----BEGIN CERTIFICATE----- block",
                ca.display()
            ),
        );
    }
    let dir = EtcDir::new(DOCKER_CERTS_D, &host);
    dir.copy(&tls_registry_ca(), "ca.crt");
    let (cert, _) = mtls_client();
    let cert = dir.copy(&cert, "client.cert");
    let run = copy(&env, &[], &[], &image, &target);
    refused(
        &run,
        &format!(
            "{}: a client certificate without its key: put the key in {}",
            cert.display(),
            dir.path.join("client.key").display()
        ),
    );
    // Nothing reached the registry.
    let out = std::process::Command::new("curl")
        .args(["-s", "--cacert", tls_registry_ca().to_str().unwrap()])
        .arg(format!("https://{host}/v2/{repo}/tags/list"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("NAME_UNKNOWN"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn https_to_a_plain_http_registry_says_so_and_names_insecure_registry() {
    // The plain registry under the TLS registries' name: not loopback by
    // name, so HTTPS is spoken to it.
    let port = registry().rsplit_once(':').unwrap().1.to_string();
    let host = format!("{}:{port}", host_name(&tls_registry()));
    let refused = refused_at_once(
        &host,
        &format!(
            "{host} answered in plain HTTP, not HTTPS: to speak plain HTTP to it, \
             use --insecure-registry {host}"
        ),
    );
    // And the advice works.
    let run = copy(
        &refused.env,
        &[],
        &["--insecure-registry", &host],
        &refused.image,
        &refused.target,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}
