//! OCI registries (the distribution API): pulling and pushing blobs and
//! manifests, with Docker-style authentication and retries.
//!
//! - [`transport`]: the HTTP client of each host and the only retry loop;
//!   [`budget`]: each host's requests held to its budget (requests per
//!   second, in flight at once); [`wait`]: the waits a registry asks for
//!   (`Retry-After`, `RateLimit-Reset`).
//! - [`tls`]: what TLS to a registry trusts and presents (the system's
//!   roots, `SSL_CERT_FILE`, certs.d), and what a failed handshake means.
//! - [`credentials`]: where credentials come from and go (the Docker
//!   config); [`credential_helper`]: running a `docker-credential-*`
//!   helper, bounded in time and output.
//! - [`auth`]: challenges, bearer tokens and their cache.
//! - [`protocol`]: the requests of the distribution API and what their
//!   answers mean; each fallback (a declined mount, a chunked upload) is
//!   explicit and logged.
//! - [`destination`]: a repository as the one image destination (blobs
//!   looked for, mounted or sent, documents, then the tag last).
//!
//! Owns: every byte to and from a registry, checked against its digest.
//!
//! Must not: decide anything about images (which blobs an image has,
//! which platform to take: components decide), import `runtime`,
//! `docker` or `store`, or let a credential reach an error, a log line or
//! a component.

pub mod auth;
mod body;
pub mod budget;
pub mod credential_helper;
pub mod credentials;
pub mod destination;
mod error;
pub mod protocol;
#[cfg(test)]
pub(crate) mod test_registry;
pub mod tls;
pub mod transport;
pub mod wait;

pub use auth::Scope;
pub use body::{BlobBody, BlobWriter, blob_channel};
pub use budget::Budget;
pub use credential_helper::{HELPER_TIMEOUT, MAX_HELPER_OUTPUT};
pub use credentials::{Credential, CredentialStore, DockerConfig};
pub use destination::RepositoryDestination;
pub use error::Error;
pub use protocol::{
    BlobReader, BlobStream, Fetched, MAX_TAGS, Made, ManifestHead, OpenBlob, Registry, Repository,
    Uploaded,
};
pub use tls::{ExtraRoots, TlsSettings};
pub use transport::{RetryPolicy, Transport, Transports};

/// The manifest media types a pull asks for, most wanted first.
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// Where to reach a registry that a reference names by `domain`:
/// Docker Hub's API lives on another host than its name.
pub fn api_host(domain: &str) -> &str {
    match domain {
        "docker.io" | "index.docker.io" => "registry-1.docker.io",
        other => other,
    }
}

/// The key a registry's credentials have in the Docker config, as the
/// docker CLI writes it: Docker Hub's is its v1 index URL.
pub fn credential_key(domain: &str) -> &str {
    match domain {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "https://index.docker.io/v1/",
        other => other,
    }
}

/// Whether a registry is spoken to in plain HTTP: loopback always (as
/// the docker daemon does), others only when named insecure.
pub fn plain_http(host: &str, insecure: &[String]) -> bool {
    let bare = host_without_port(host);
    let loopback = bare == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    loopback || insecure.iter().any(|named| named == host || named == bare)
}

/// `host` of `host:port`, `::1` of `[::1]:port`.
fn host_without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((bare, port)) if port.bytes().all(|b| b.is_ascii_digit()) => bare,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_plain_http_and_others_only_when_named() {
        for host in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.8.9.1",
            "[::1]:5000",
            "[::1]",
        ] {
            assert!(plain_http(host, &[]), "{host}");
        }
        for host in [
            "registry.example",
            "10.0.0.1:5000",
            "localhost.example:5000",
            "[fe80::1]:5000",
        ] {
            assert!(!plain_http(host, &[]), "{host}");
        }
        let insecure = ["registry.example".to_string(), "10.0.0.1:5000".to_string()];
        assert!(plain_http("registry.example:5000", &insecure));
        assert!(plain_http("10.0.0.1:5000", &insecure));
        assert!(!plain_http("10.0.0.1:6000", &insecure));
    }

    #[test]
    fn docker_hub_is_reached_and_keyed_as_the_docker_cli_does() {
        assert_eq!(api_host("docker.io"), "registry-1.docker.io");
        assert_eq!(api_host("ghcr.io"), "ghcr.io");
        assert_eq!(credential_key("docker.io"), "https://index.docker.io/v1/");
        assert_eq!(credential_key("127.0.0.1:5000"), "127.0.0.1:5000");
    }
}
