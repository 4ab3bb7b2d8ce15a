//! What TLS to a registry trusts and presents, and what a failed handshake
//! means.
//!
//! Owns: the roots every registry is trusted with (the system's, found in
//! the directories OpenSSL uses, plus the extra ones the CLI resolved from
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`); each host's files in the certs.d
//! directories, read as docker and containers/image read them (every
//! `*.crt` of `DIR/HOST[:PORT]/` is a CA; `NAME.cert` with `NAME.key` is
//! the client certificate); the rustls configuration made of them; and
//! turning a handshake failure into a final error that names the server,
//! the files it was trusted with and the fix.
//!
//! Must not: read the environment (the CLI says which files), set HTTP
//! client options (the transport does, in its one place), or retry.

use super::Error;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// docker's directory of per-registry certificates.
pub const DOCKER_CERTS_D: &str = "/etc/docker/certs.d";
/// The containers tools' (podman, skopeo, buildah) directory of
/// per-registry certificates.
pub const CONTAINERS_CERTS_D: &str = "/etc/containers/certs.d";

/// Where the trust of registry connections comes from, as the CLI
/// resolved it.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    /// Directories holding one `HOST[:PORT]` directory per registry.
    /// Every one is read for CAs; the first with a client certificate
    /// gives it.
    pub certs_dirs: Vec<PathBuf>,
    /// Roots for every registry besides the system's: PEM files or
    /// directories of them.
    pub extra_roots: Vec<ExtraRoots>,
}

impl Default for TlsSettings {
    /// docker's certs.d, then the containers tools'; no extra roots.
    fn default() -> Self {
        Self {
            certs_dirs: vec![DOCKER_CERTS_D.into(), CONTAINERS_CERTS_D.into()],
            extra_roots: Vec::new(),
        }
    }
}

/// A PEM file or a directory of them, trusted for every registry.
#[derive(Debug, Clone)]
pub struct ExtraRoots {
    /// Where it was named, e.g. `SSL_CERT_FILE`.
    pub origin: String,
    /// The file or directory.
    pub path: PathBuf,
    /// A directory of a search path (skipped when missing, as OpenSSL
    /// does), else a file (which must hold a certificate).
    pub directory: bool,
}

impl std::fmt::Display for ExtraRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.origin, self.path.display())
    }
}

/// The roots every host's client starts from, loaded once.
#[derive(Debug)]
pub(crate) struct Roots {
    store: rustls::RootCertStore,
    extra: Vec<ExtraRoots>,
}

impl Roots {
    /// The system's roots (unparsable ones left out, as the platform
    /// verifier does) and the extra ones: a file must be readable PEM
    /// holding a certificate; a directory that does not exist is skipped,
    /// as OpenSSL skips one of its search path.
    pub(crate) fn load(settings: &TlsSettings) -> Result<Self, Error> {
        let mut store = rustls::RootCertStore::empty();
        for dir in openssl_probe::candidate_cert_dirs() {
            let found = rustls_native_certs::load_certs_from_paths(None, Some(dir));
            let (added, ignored) = store.add_parsable_certificates(found.certs);
            tracing::debug!(dir = %dir.display(), added, ignored, "system roots");
        }
        for extra in &settings.extra_roots {
            let refused = |message: String| Error::CertificateFile {
                path: extra.to_string(),
                message,
            };
            let path = extra.path.as_path();
            let found = if extra.directory {
                if !path.exists() {
                    tracing::debug!(%extra, "no such directory: skipped");
                    continue;
                }
                rustls_native_certs::load_certs_from_paths(None, Some(path))
            } else {
                let found = rustls_native_certs::load_certs_from_paths(Some(path), None);
                if found.errors.is_empty() && found.certs.is_empty() {
                    return Err(refused("holds no PEM certificate".into()));
                }
                found
            };
            if let Some(error) = found.errors.first() {
                return Err(refused(format!("cannot read its roots: {error}")));
            }
            let (added, ignored) = store.add_parsable_certificates(found.certs);
            tracing::debug!(%extra, added, ignored, "extra roots");
        }
        Ok(Self {
            store,
            extra: settings.extra_roots.clone(),
        })
    }
}

/// One host's TLS: the rustls configuration, and what it trusts and
/// presents.
pub(crate) struct HostTls {
    /// For the HTTP client.
    pub(crate) config: rustls::ClientConfig,
    /// For messages.
    pub(crate) trust: Arc<HostTrust>,
}

/// The TLS of `host` (`HOST[:PORT]`, as named): the roots, plus its
/// certs.d files unless it is spoken to in plain HTTP (then only a token
/// server it names may see TLS, with the roots alone).
pub(crate) fn host_tls(
    settings: &TlsSettings,
    roots: &Roots,
    host: &str,
    plain_http: bool,
) -> Result<HostTls, Error> {
    let mut store = roots.store.clone();
    let mut trust = HostTrust {
        host: host.to_string(),
        looked_in: Vec::new(),
        ca_files: Vec::new(),
        extra: roots.extra.clone(),
        client_cert: None,
        client: Arc::new(ClientCert::default()),
    };
    let mut identity = None;
    if !plain_http {
        // A name that is not one path component never reaches the disk.
        let usable = !host.is_empty() && host != "." && host != ".." && !host.contains(['/', '\0']);
        for root in settings.certs_dirs.iter().filter(|_| usable) {
            let dir = root.join(host);
            let files = read_host_dir(&dir)?;
            for ca in &files.cas {
                for cert in read_cas(ca)? {
                    store
                        .add(cert)
                        .map_err(|e| file_error(ca, format!("not a usable CA certificate: {e}")))?;
                }
                trust.ca_files.push(ca.clone());
            }
            if identity.is_none()
                && let Some((cert, key)) = files.client.first()
            {
                identity = Some(read_identity(cert, key)?);
                trust.client_cert = Some(cert.clone());
            }
            trust.looked_in.push(dir);
        }
    }
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    trust.client = Arc::new(ClientCert {
        identity,
        asked_without: AtomicBool::new(false),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Client(e.to_string()))?
        .with_root_certificates(store)
        .with_client_cert_resolver(trust.client.clone());
    // What reqwest offers when it builds the configuration itself.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(HostTls {
        config,
        trust: Arc::new(trust),
    })
}

/// The files of one `certs.d/HOST[:PORT]` directory.
#[derive(Debug, Default, PartialEq)]
struct HostDir {
    /// `*.crt`: CAs, in name order.
    cas: Vec<PathBuf>,
    /// `NAME.cert` with its `NAME.key`, in name order.
    client: Vec<(PathBuf, PathBuf)>,
}

/// The files of `dir`, as docker's `ReadCertsDirectory` and
/// containers/image's `SetupCertificates` take them; none when it does
/// not exist. A `.cert` without its `.key` (or the reverse) is refused.
fn read_host_dir(dir: &Path) -> Result<HostDir, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HostDir::default()),
        Err(e) => return Err(file_error(dir, format!("cannot read the directory: {e}"))),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| file_error(dir, format!("cannot read the directory: {e}")))?;
        if entry.path().is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    let mut found = HostDir::default();
    for name in &names {
        if name.ends_with(".crt") {
            found.cas.push(dir.join(name));
        } else if let Some(stem) = name.strip_suffix(".cert") {
            let key = format!("{stem}.key");
            if !names.contains(&key) {
                return Err(file_error(
                    &dir.join(name),
                    format!(
                        "a client certificate without its key: put the key in {} \
                         (a CA certificate's name ends in .crt)",
                        dir.join(&key).display()
                    ),
                ));
            }
            found.client.push((dir.join(name), dir.join(key)));
        } else if let Some(stem) = name.strip_suffix(".key")
            && !names.contains(&format!("{stem}.cert"))
        {
            return Err(file_error(
                &dir.join(name),
                format!(
                    "a client key without its certificate: put the certificate in {}",
                    dir.join(format!("{stem}.cert")).display()
                ),
            ));
        }
    }
    Ok(found)
}

/// The certificates of a CA file: PEM, at least one.
fn read_cas(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let not_pem =
        |e: &dyn std::fmt::Display| file_error(path, format!("not a PEM CA certificate: {e}"));
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| not_pem(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(&e))?;
    if certs.is_empty() {
        return Err(not_pem(&"it holds no -----BEGIN CERTIFICATE----- block"));
    }
    Ok(certs)
}

/// A client certificate (PEM, its chain) and its PEM private key, which
/// must belong together.
fn read_identity(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, Error> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| file_error(cert, format!("not a PEM client certificate: {e}")))?;
    if chain.is_empty() {
        return Err(file_error(
            cert,
            "not a PEM client certificate: it holds no -----BEGIN CERTIFICATE----- block".into(),
        ));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| file_error(key, format!("not a PEM private key: {e}")))?;
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let certified = CertifiedKey::from_der(chain, private, &provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
            file_error(key, format!("not the private key of {}", cert.display()))
        }
        e => file_error(key, format!("cannot be used with {}: {e}", cert.display())),
    })?;
    Ok(Arc::new(certified))
}

fn file_error(path: &Path, message: String) -> Error {
    Error::CertificateFile {
        path: path.display().to_string(),
        message,
    }
}

/// The client certificate a host's connections present, if any; it
/// notes when a server asked for one and there was none.
#[derive(Debug, Default)]
pub(crate) struct ClientCert {
    identity: Option<Arc<CertifiedKey>>,
    asked_without: AtomicBool,
}

impl rustls::client::ResolvesClientCert for ClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        if self.identity.is_none() {
            self.asked_without.store(true, Ordering::Relaxed);
        }
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        self.identity.is_some()
    }
}

/// What one host's connections trust and present: for messages.
#[derive(Debug)]
pub(crate) struct HostTrust {
    host: String,
    /// `CERTS_DIR/HOST` of every certs.d directory (none for plain HTTP).
    looked_in: Vec<PathBuf>,
    /// The CA files read there.
    ca_files: Vec<PathBuf>,
    extra: Vec<ExtraRoots>,
    client_cert: Option<PathBuf>,
    client: Arc<ClientCert>,
}

impl HostTrust {
    /// "the system's roots, FILE and SSL_CERT_FILE=…", and where no CA
    /// file was found.
    fn trusted(&self) -> String {
        let mut sources = vec!["the system's roots".to_string()];
        sources.extend(self.extra.iter().map(ExtraRoots::to_string));
        sources.extend(self.ca_files.iter().map(|f| f.display().to_string()));
        if self.ca_files.is_empty() && !self.looked_in.is_empty() {
            let dirs: Vec<String> = self
                .looked_in
                .iter()
                .map(|d| format!("{}/", d.display()))
                .collect();
            sources.push(format!(
                "no CA file of {} ({})",
                self.host,
                join_or(&dirs, "none in")
            ));
        }
        join(&sources)
    }

    /// Where a CA or a client certificate for this host goes.
    fn home(&self) -> String {
        match self.looked_in.first() {
            Some(dir) => dir.display().to_string(),
            None => format!("{DOCKER_CERTS_D}/{}", self.host),
        }
    }
}

fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "none in A or B" for `lead` "none in".
fn join_or(items: &[String], lead: &str) -> String {
    match items {
        [rest @ .., last] if !rest.is_empty() => format!("{lead} {} or {last}", rest.join(", ")),
        _ => format!("{lead} {}", join(items)),
    }
}

/// A TLS failure that another try would meet again.
#[derive(Debug)]
pub struct TlsFailure {
    /// The server of the handshake, `HOST[:PORT]`.
    peer: String,
    kind: Kind,
    /// What the connection trusted and presented, once the transport
    /// that made it says so.
    trust: Option<Arc<HostTrust>>,
}

#[derive(Debug)]
enum Kind {
    /// The server's certificate did not verify; rustls' words.
    Untrusted(String),
    /// The server answered in plain HTTP.
    PlainHttp,
    /// The server ended the handshake with this alert.
    Refused(String),
    /// The server asked for a client certificate; there was none.
    NoClientCertificate,
    /// Any other TLS error; rustls' words.
    Other(String),
}

impl TlsFailure {
    /// The failure of `e`, if TLS failed: rustls' error in its chain.
    pub(crate) fn of(e: &reqwest::Error, registry: &str) -> Option<TlsFailure> {
        // An I/O error carries rustls' error as its payload, not as its
        // source, sometimes inside another I/O error; HTTP/2 keeps only the
        // words of one that ends a connection after the handshake (a TLS
        // 1.3 server refusing a client certificate).
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
        let mut kind = None;
        while let Some(c) = cause {
            if let Some(r) = c.downcast_ref::<rustls::Error>() {
                kind = Some(Kind::of(r));
                break;
            }
            let io = c.downcast_ref::<std::io::Error>();
            if let Some(alert) = io
                .filter(|io| io.kind() == std::io::ErrorKind::InvalidData)
                .and_then(|io| io.get_ref())
                .and_then(|payload| payload.to_string().strip_prefix(ALERT).map(str::to_string))
            {
                kind = Some(Kind::Refused(alert));
                break;
            }
            cause = match io.and_then(|io| io.get_ref()) {
                Some(payload) => Some(payload),
                None => c.source(),
            };
        }
        let kind = kind?;
        let peer = e
            .url()
            .and_then(|url| {
                let host = url.host_str()?;
                Some(match url.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host.to_string(),
                })
            })
            .unwrap_or_else(|| registry.to_string());
        Some(TlsFailure {
            peer,
            kind,
            trust: None,
        })
    }
}

/// `error`, told what `trust` held; a refused handshake or a connection
/// that broke after its server asked for a client certificate there was
/// none of becomes that failure (TLS 1.3 servers refuse it after the
/// handshake, so the refusal may arrive as its alert or as a broken
/// connection, whichever the client reads first).
pub(crate) fn explain(error: Error, trust: &Arc<HostTrust>) -> Error {
    match error {
        Error::Tls {
            registry,
            what,
            mut failure,
        } => {
            failure.trust.get_or_insert_with(|| trust.clone());
            // A refusal after the server asked for a client certificate
            // there was none of is that refusal, whichever alert it sent
            // (Go's TLS 1.3 server sends `bad_certificate`).
            if matches!(failure.kind, Kind::Refused(_))
                && trust.client.asked_without.load(Ordering::Relaxed)
            {
                failure.kind = Kind::NoClientCertificate;
            }
            Error::Tls {
                registry,
                what,
                failure,
            }
        }
        Error::Connection {
            registry,
            what,
            retryable: true,
            ..
        } if trust.client.asked_without.load(Ordering::Relaxed) => Error::Tls {
            failure: Box::new(TlsFailure {
                peer: registry.clone(),
                kind: Kind::NoClientCertificate,
                trust: Some(trust.clone()),
            }),
            registry,
            what,
        },
        other => other,
    }
}

/// How rustls words an alert it received.
const ALERT: &str = "received fatal alert: ";

impl Kind {
    fn of(e: &rustls::Error) -> Kind {
        match e {
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => {
                Kind::Untrusted("signed by an unknown authority".into())
            }
            rustls::Error::InvalidCertificate(c) => Kind::Untrusted(c.to_string()),
            rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
                Kind::PlainHttp
            }
            rustls::Error::AlertReceived(alert) => Kind::Refused(format!("{alert:?}")),
            other => Kind::Other(other.to_string()),
        }
    }
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let peer = &self.peer;
        let host = self.trust.as_ref().map_or(peer.as_str(), |t| &t.host);
        let home = self
            .trust
            .as_ref()
            .map_or_else(|| format!("{DOCKER_CERTS_D}/{host}"), |t| t.home());
        match &self.kind {
            Kind::Untrusted(why) => {
                write!(f, "the TLS certificate of {peer} is not trusted ({why})")?;
                if let Some(trust) = &self.trust {
                    write!(f, "; trusted: {}", trust.trusted())?;
                }
                write!(
                    f,
                    "; to trust a private CA, put it in {home}/ca.crt, \
                     or if {host} speaks plain HTTP, use --insecure-registry {host}"
                )
            }
            Kind::PlainHttp => write!(
                f,
                "{peer} answered in plain HTTP, not HTTPS: to speak plain HTTP to it, \
                 use --insecure-registry {host}"
            ),
            Kind::Refused(alert) => {
                write!(f, "{peer} refused the TLS handshake ({alert}): ")?;
                match self.trust.as_ref().and_then(|t| t.client_cert.as_ref()) {
                    Some(cert) => write!(
                        f,
                        "it did not take the client certificate {}",
                        cert.display()
                    ),
                    None => write!(
                        f,
                        "if it asks for a client certificate, put client.cert and \
                         client.key in {home}/"
                    ),
                }
            }
            Kind::NoClientCertificate => write!(
                f,
                "{peer} asks for a TLS client certificate and there is none for it: \
                 put client.cert and client.key in {home}/"
            ),
            Kind::Other(message) => write!(f, "TLS with {peer} failed: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_host_dir_gives_its_crt_files_and_cert_key_pairs_in_name_order() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r.example:5000");
        write(&dir, "b.crt", "");
        write(&dir, "a.crt", "");
        write(&dir, "client.cert", "");
        write(&dir, "client.key", "");
        write(&dir, "notes.txt", "");
        std::fs::create_dir(dir.join("sub.crt")).unwrap();
        assert_eq!(
            read_host_dir(&dir).unwrap(),
            HostDir {
                cas: vec![dir.join("a.crt"), dir.join("b.crt")],
                client: vec![(dir.join("client.cert"), dir.join("client.key"))],
            }
        );
        assert_eq!(
            read_host_dir(&tmp.path().join("absent:5000")).unwrap(),
            HostDir::default()
        );
    }

    #[test]
    fn a_cert_without_its_key_or_a_key_without_its_cert_is_refused_naming_both() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r.example:5000");
        // The error starts with the file found and names the one missing.
        let names = |found: &str, missing: &str| {
            let message = read_host_dir(&dir).unwrap_err().to_string();
            assert!(
                message.starts_with(&format!("{}: ", dir.join(found).display()))
                    && message.contains(&dir.join(missing).display().to_string()),
                "{message}"
            );
        };
        write(&dir, "client.cert", "");
        names("client.cert", "client.key");
        std::fs::rename(dir.join("client.cert"), dir.join("client.key")).unwrap();
        names("client.key", "client.cert");
    }

    /// A CA certificate (its key thrown away): parsed, never verified against.
    const CA: &str = "-----BEGIN CERTIFICATE-----
MIIBlTCCATugAwIBAgIUWTddvf6Q1gGY03l6lWek86tRV2owCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUb2NpcGlwZS11bml0LXRlc3QtY2EwIBcNMjYxMjA2MTY0NjU3
WhgPMjEyNjExMTIxNjQ2NTdaMB8xHTAbBgNVBAMMFG9jaXBpcGUtdW5pdC10ZXN0
LWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYXy2MOtzKqXQP3jZUiRtNlMd
Erf+M47h38AhZZK4pMvquJwyOX3VkSTicOUfFxf29R/9AyFWPAotPFIQAIU7TqNT
MFEwHQYDVR0OBBYEFI01UZDEEw/hPcspCepVqi3UQwR4MB8GA1UdIwQYMBaAFI01
UZDEEw/hPcspCepVqi3UQwR4MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
SAAwRQIgfosaWmsgqsD9QaP4Puuzfac2ay+vm1I07Gc/h5O3x0ICIQCwG1DHY5xU
C2ldit/rza67ELBZc+LDJFzuysn9UaFj5Q==
-----END CERTIFICATE-----
";

    fn settings(dirs: &[&Path]) -> TlsSettings {
        TlsSettings {
            certs_dirs: dirs.iter().map(|d| d.to_path_buf()).collect(),
            extra_roots: Vec::new(),
        }
    }

    fn tls_of(dirs: &[&Path], host: &str, plain_http: bool) -> Result<HostTls, Error> {
        crate::tls::install_crypto_provider();
        let settings = settings(dirs);
        host_tls(
            &settings,
            &Roots::load(&settings).unwrap(),
            host,
            plain_http,
        )
    }

    #[test]
    fn every_certs_d_is_read_for_the_host_as_named_and_none_for_plain_http() {
        let tmp = tempfile::tempdir().unwrap();
        let (docker, containers) = (tmp.path().join("docker"), tmp.path().join("containers"));
        let a = write(&docker.join("r.example:5000"), "ca.crt", CA);
        let b = write(&containers.join("r.example:5000"), "other.crt", CA);
        // `HOST` is not read for `HOST:PORT`, nor the reverse.
        write(&docker.join("r.example"), "ca.crt", "not read");
        let tls = tls_of(&[&docker, &containers], "r.example:5000", false).unwrap();
        assert_eq!(tls.trust.ca_files, [a, b]);
        assert_eq!(
            tls.trust.looked_in,
            [
                docker.join("r.example:5000"),
                containers.join("r.example:5000")
            ]
        );
        let plain = tls_of(&[&docker, &containers], "r.example:5000", true).unwrap();
        assert!(plain.trust.ca_files.is_empty() && plain.trust.looked_in.is_empty());
        // A name that is not one path component never reaches the disk.
        for host in ["..", ".", "a/b"] {
            let tls = tls_of(&[&docker], host, false).unwrap();
            assert!(tls.trust.looked_in.is_empty(), "{host}");
        }
    }

    #[test]
    fn a_ca_file_that_is_not_a_pem_certificate_is_refused_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r.example:5000");
        for (text, words) in [
            ("a note\n", "it holds no -----BEGIN CERTIFICATE----- block"),
            (
                "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
                "base64",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "not a usable CA certificate",
            ),
        ] {
            let ca = write(&dir, "ca.crt", text);
            let message = tls_of(&[tmp.path()], "r.example:5000", false)
                .err()
                .unwrap()
                .to_string();
            assert!(
                message.starts_with(&format!("{}: ", ca.display())) && message.contains(words),
                "{words}: {message}"
            );
        }
    }

    fn trust(looked_in: &[&str], ca_files: &[&str], client_cert: Option<&str>) -> Arc<HostTrust> {
        Arc::new(HostTrust {
            host: "r.example:5000".into(),
            looked_in: looked_in.iter().map(PathBuf::from).collect(),
            ca_files: ca_files.iter().map(PathBuf::from).collect(),
            extra: vec![ExtraRoots {
                origin: "SSL_CERT_FILE".into(),
                path: "/x.pem".into(),
                directory: false,
            }],
            client_cert: client_cert.map(PathBuf::from),
            client: Arc::new(ClientCert::default()),
        })
    }

    fn failure(kind: Kind, trust: Arc<HostTrust>) -> String {
        TlsFailure {
            peer: "r.example:5000".into(),
            kind,
            trust: Some(trust),
        }
        .to_string()
    }

    #[test]
    fn a_failure_names_the_server_what_it_was_trusted_with_and_the_fix() {
        let dirs = ["/d/r.example:5000", "/c/r.example:5000"];
        assert_eq!(
            failure(
                Kind::of(&rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer
                )),
                trust(&dirs, &[], None)
            ),
            "the TLS certificate of r.example:5000 is not trusted (signed by an unknown \
             authority); trusted: the system's roots, SSL_CERT_FILE=/x.pem and no CA file of \
             r.example:5000 (none in /d/r.example:5000/ or /c/r.example:5000/); to trust a \
             private CA, put it in /d/r.example:5000/ca.crt, or if r.example:5000 speaks plain \
             HTTP, use --insecure-registry r.example:5000"
        );
        assert_eq!(
            failure(
                Kind::of(&rustls::Error::InvalidCertificate(
                    rustls::CertificateError::ExpiredContext {
                        time: rustls::pki_types::UnixTime::since_unix_epoch(
                            std::time::Duration::from_secs(100)
                        ),
                        not_after: rustls::pki_types::UnixTime::since_unix_epoch(
                            std::time::Duration::from_secs(40)
                        ),
                    }
                )),
                trust(&dirs, &["/d/r.example:5000/ca.crt"], None)
            ),
            "the TLS certificate of r.example:5000 is not trusted (certificate expired: \
             verification time 100 (UNIX), but certificate is not valid after 40 (60 seconds \
             ago)); \
             trusted: the system's roots, SSL_CERT_FILE=/x.pem and /d/r.example:5000/ca.crt; \
             to trust a private CA, put it in /d/r.example:5000/ca.crt, or if r.example:5000 \
             speaks plain HTTP, use --insecure-registry r.example:5000"
        );
        assert_eq!(
            failure(
                Kind::of(&rustls::Error::InvalidMessage(
                    rustls::InvalidMessage::InvalidContentType
                )),
                trust(&dirs, &[], None)
            ),
            "r.example:5000 answered in plain HTTP, not HTTPS: to speak plain HTTP to it, \
             use --insecure-registry r.example:5000"
        );
        assert_eq!(
            failure(
                Kind::of(&rustls::Error::AlertReceived(
                    rustls::AlertDescription::BadCertificate
                )),
                trust(&dirs, &[], Some("/d/r.example:5000/client.cert"))
            ),
            "r.example:5000 refused the TLS handshake (BadCertificate): it did not take the \
             client certificate /d/r.example:5000/client.cert"
        );
        assert_eq!(
            failure(Kind::NoClientCertificate, trust(&dirs, &[], None)),
            "r.example:5000 asks for a TLS client certificate and there is none for it: put \
             client.cert and client.key in /d/r.example:5000/"
        );
    }

    #[test]
    fn an_alert_after_a_server_asked_for_a_missing_client_certificate_says_so() {
        let refused = || Error::Tls {
            registry: "r.example:5000".into(),
            what: "GET /v2/".into(),
            failure: Box::new(TlsFailure {
                peer: "r.example:5000".into(),
                kind: Kind::of(&rustls::Error::AlertReceived(
                    rustls::AlertDescription::BadCertificate,
                )),
                trust: None,
            }),
        };
        let asked = trust(&["/d/r.example:5000"], &[], None);
        assert!(
            explain(refused(), &asked)
                .to_string()
                .contains("refused the TLS handshake (BadCertificate)")
        );
        rustls::client::ResolvesClientCert::resolve(asked.client.as_ref(), &[], &[]);
        assert_eq!(
            explain(refused(), &asked).to_string(),
            "GET /v2/: r.example:5000 asks for a TLS client certificate and there is none \
             for it: put client.cert and client.key in /d/r.example:5000/"
        );
    }

    #[test]
    fn a_broken_connection_after_a_server_asked_for_a_missing_client_certificate_is_final() {
        let cut = || Error::Connection {
            registry: "r.example:5000".into(),
            what: "GET /v2/".into(),
            message: "channel closed".into(),
            retryable: true,
        };
        let asked = trust(&["/d/r.example:5000"], &[], None);
        assert!(matches!(explain(cut(), &asked), Error::Connection { .. }));
        rustls::client::ResolvesClientCert::resolve(asked.client.as_ref(), &[], &[]);
        let error = explain(cut(), &asked);
        assert!(matches!(
            error.retry(),
            super::super::transport::Retry::Never
        ));
        assert_eq!(
            error.to_string(),
            "GET /v2/: r.example:5000 asks for a TLS client certificate and there is none \
             for it: put client.cert and client.key in /d/r.example:5000/"
        );
    }
}
