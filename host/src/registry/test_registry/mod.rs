//! An in-process registry for unit tests: a real HTTP/1.1 server (hyper)
//! on a loopback port, inside the test binary, serving the distribution
//! API faithfully enough to test the client over real sockets, with no
//! service started and no network, as go-containerregistry's
//! `pkg/registry` serves its `remote` tests.
//!
//! It serves:
//! - blobs: `HEAD`, `GET` (optionally redirected to a storage URL);
//!   upload sessions (`POST`; `PATCH` chunks with or without
//!   `Content-Range`, checked to follow on; `PUT ?digest=`, checked;
//!   each to the session's latest `Location`, whose `_state` it checks);
//!   a monolithic `POST ?digest=`; cross-repository mounts (`201` when
//!   the source repository has the blob, else `202` handing over a
//!   session); a blob is kept once and linked into each repository, as
//!   distribution does;
//! - manifests: `GET`, `HEAD`, `PUT`, `DELETE` by tag or digest, with
//!   `Docker-Content-Digest`; a manifest naming a blob or child manifest
//!   the repository lacks is refused (`MANIFEST_BLOB_UNKNOWN`), as is one
//!   whose media type the `Accept` of a `GET` leaves out;
//! - the referrers API (paged with `Link` when asked), and `OCI-Subject`
//!   on the `PUT` of a manifest with a `subject`; tags (`tags/list`,
//!   paged by `n` and `last` with `Link`, as distribution pages it;
//!   `NAME_UNKNOWN` for a repository that holds nothing, and `null` tags
//!   for one with none, as distribution answers once all were deleted);
//! - authentication ([`Auth`]): none, Basic, or bearer tokens from its own
//!   token endpoint (`/token`: Basic credentials, or an OAuth2 refresh
//!   token), a `401` challenge naming realm, service
//!   and scope, and the scopes of each token checked against each request
//!   (pull for reads, pull and push for writes, pull on a mount's source).
//!
//! Behaviours a test switches on ([`Behaviour`]) make the answers a
//! client must survive: monolithic uploads refused (`415`), an upload or
//! download cut mid-body, OCI 1.1 artifact manifests refused (`400`), no
//! referrers API, mounts declined, manifests or blobs served altered, a
//! `Docker-Content-Digest` that lies (or is left out of a `HEAD`),
//! transient `503`s, `429`s with `RateLimit-Reset`, slow answers, tokens
//! revoked, upload sessions and next pages on another host.
//! Every request is logged ([`Logged`]) so that a test can assert what
//! was, and was not, sent, and the most requests it answered at once is
//! kept ([`TestRegistry::most_in_flight`]).
//!
//! Owns: the server, its storage (in memory) and its log.
//!
//! Must not: be built outside tests, or share anything with the client
//! code it tests beyond the model's [`Digest`] and the public API a
//! client is made with ([`TestRegistry::client`]).

mod access;
mod manifests;
mod routes;
mod state;
mod tags;

use super::credentials::{Credential, CredentialStore};
use super::tls::TlsSettings;
use super::transport::{RetryPolicy, Transports};
use super::{Registry, Scope};
use crate::model::Digest;
use state::State;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How the registry asks to be authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// It does not.
    None,
    /// `Basic` with this user name and password on every request.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// Bearer tokens from its `/token` endpoint, granting every scope
    /// asked for: to a `GET` from anyone when `user` is none, else only
    /// with this user name and password (Basic); to a `POST` (OAuth2)
    /// with `refresh_token`; `401` to others.
    Bearer {
        /// The user name and password the token endpoint asks for.
        user: Option<(String, String)>,
        /// The refresh token (a Docker `identitytoken`) it trades.
        refresh_token: Option<String>,
    },
}

/// Answers a test switches on; each is off by default. The counters
/// apply to the next so many requests of their kind, then stop.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Answer `415` to the `PUT` that carries a whole blob into a session
    /// no `PATCH` went to (a registry that takes only chunks).
    pub refuse_monolithic: bool,
    /// Cut the next so many upload bodies (a `PATCH`, or a `PUT` or
    /// `POST` carrying bytes) once about half of them arrived: the
    /// connection closes with no answer. The session keeps what it got.
    pub cut_uploads: u32,
    /// Cut the next so many blob downloads after half their bytes (the
    /// answer promised all of them).
    pub cut_downloads: u32,
    /// Answer `400 MANIFEST_INVALID` to an OCI 1.1 artifact manifest (one
    /// with an `artifactType`, or whose config is the empty descriptor's
    /// media type): a registry of OCI 1.0. A `subject` alone is taken
    /// (and ignored unless the referrers API is on), as distribution 2.8
    /// takes it.
    pub refuse_oci_1_1: bool,
    /// No referrers API: its `GET` is a `404`, and a manifest `PUT` gets
    /// no `OCI-Subject`.
    pub no_referrers_api: bool,
    /// Answer every mount `202` with an upload session, as a registry
    /// that does not mount.
    pub decline_mounts: bool,
    /// Serve manifests with a byte more than was put (`Docker-Content-
    /// Digest` still names what was put).
    pub alter_manifests: bool,
    /// Answer a `Docker-Content-Digest` that names other bytes, to a
    /// manifest's `GET`, `HEAD` and `PUT`.
    pub lie_about_digests: bool,
    /// Serve blobs with their last byte changed.
    pub corrupt_blobs: bool,
    /// Redirect blob `GET`s to `/storage/<digest>` on the same server,
    /// where no credentials are asked for.
    pub redirect_blobs: bool,
    /// Answer the next so many requests (other than the token
    /// endpoint's) `503` with `Retry-After: 0`.
    pub unavailable: u32,
    /// Answer the next so many upload bodies `401` with a fresh
    /// challenge, once read, revoking every token: a token that expired
    /// mid-upload.
    pub unauthorized_uploads: u32,
    /// Hand out upload sessions on `localhost:PORT` (another origin that
    /// reaches this same server), where requests to a session are taken
    /// without credentials: a storage host whose session URL is its
    /// authorization.
    pub upload_elsewhere: bool,
    /// Page the referrers API this many descriptors at a time.
    pub referrers_page: Option<usize>,
    /// Name the next page of referrers or tags on `localhost:PORT`,
    /// another origin.
    pub link_elsewhere: bool,
    /// Page the tag list this many tags at a time when the client does
    /// not ask (`n`), as Docker Hub pages it.
    pub tags_page: Option<usize>,
    /// Answer a manifest's `HEAD` without `Docker-Content-Digest` (a
    /// registry that gives it only to a `GET`).
    pub head_without_digest: bool,
    /// Answer the next so many requests (other than the token
    /// endpoint's) `429` with this `RateLimit-Reset` (seconds).
    pub rate_limited: u32,
    /// The `RateLimit-Reset` of those answers.
    pub rate_limit_reset: String,
    /// Take this long over each request (other than the token
    /// endpoint's), so that requests overlap.
    pub delay: Duration,
}

/// One request, as the registry saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    /// `GET`, `PUT`, …
    pub method: String,
    /// The path, e.g. `/v2/team/app/blobs/uploads/u1`.
    pub path: String,
    /// The query's pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The `Authorization` header, if any (test credentials only).
    pub authorization: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Content-Range` header, if any.
    pub content_range: Option<String>,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
    /// The pairs of a form body (the token endpoint's `POST`).
    pub form: Vec<(String, String)>,
    /// The bytes of the body that were read.
    pub body_len: u64,
    /// The status answered; none when the connection was cut.
    pub status: Option<u16>,
}

impl Logged {
    /// The value of query parameter `name`, the first if several.
    pub fn param(&self, name: &str) -> Option<&str> {
        params(&self.query, name).next()
    }

    /// Every value of query parameter `name`.
    pub fn params(&self, name: &str) -> Vec<&str> {
        params(&self.query, name).collect()
    }

    /// `METHOD PATH`, for assertions on the sequence of requests.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The values of parameter `name` among decoded `pairs`, in order.
fn params<'a>(pairs: &'a [(String, String)], name: &str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The requests to repository `name`'s API (not the ping, not tokens).
pub fn to_repository(log: &[Logged], name: &str) -> Vec<Logged> {
    let prefix = format!("/v2/{name}/");
    log.iter()
        .filter(|l| l.path.starts_with(&prefix))
        .cloned()
        .collect()
}

/// `METHOD PATH-KIND` of each request: the session ids and digests left
/// out, so a sequence can be compared.
pub fn kinds(log: &[Logged]) -> Vec<String> {
    log.iter()
        .map(|l| {
            let kind = if l.path.contains("/blobs/uploads/") {
                "upload"
            } else if l.path.contains("/blobs/") {
                "blob"
            } else if l.path.contains("/manifests/") {
                "manifest"
            } else if l.path.contains("/referrers/") {
                "referrers"
            } else {
                l.path.as_str()
            };
            format!("{} {kind}", l.method)
        })
        .collect()
}

/// What the server's threads share.
pub(crate) struct Shared {
    /// Where it listens.
    addr: SocketAddr,
    auth: Auth,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("not poisoned")
    }
}

/// A running in-process registry; it stops when dropped.
pub struct TestRegistry {
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The retry policy of [`TestRegistry::client`]: the transport's real
/// bounds would make a test of a retried failure wait seconds; these
/// waits are a few milliseconds, the number of tries the default's.
pub fn test_policy() -> RetryPolicy {
    RetryPolicy {
        attempts: RetryPolicy::default().attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_total: Duration::from_secs(20),
        silent_try: Duration::from_millis(1),
    }
}

/// Transports retrying under `policy`, trusting the system's roots.
pub fn transports(policy: RetryPolicy) -> Transports {
    Transports::new(
        policy,
        TlsSettings {
            certs_dirs: Vec::new(),
            extra_roots: Vec::new(),
        },
    )
    .expect("transports")
}

impl TestRegistry {
    /// Starts a registry authenticating as `auth` on a free loopback port,
    /// served by a thread of its own (so any test runtime may call it).
    pub fn start(auth: Auth) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let shared = Arc::new(Shared {
            addr: listener.local_addr().expect("bound"),
            auth,
            state: Mutex::new(State::default()),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let serving = shared.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
                tokio::select! {
                    _ = stopped => {}
                    () = routes::accept(listener, serving) => {}
                }
            });
        });
        Self {
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:PORT`, as a reference names the registry.
    pub fn host(&self) -> String {
        self.shared.addr.to_string()
    }

    /// A client of this registry (plain HTTP: it is on loopback) with
    /// `credential` (none: what an empty Docker config gives, anonymous),
    /// retrying under [`test_policy`].
    pub fn client(&self, credential: Option<Credential>) -> Arc<Registry> {
        self.client_through(&transports(test_policy()), credential)
    }

    /// [`Self::client`], through `transports` (their policy, budgets).
    pub fn client_through(
        &self,
        transports: &Transports,
        credential: Option<Credential>,
    ) -> Arc<Registry> {
        let host = self.host();
        let empty = CredentialStore::new("/nonexistent/ocipipe-test/config.json".into());
        Registry::new(&host, true, &host, empty, credential, transports).expect("a registry")
    }

    /// A client's repository `name` with pull and push, and pull on each
    /// of `sources` (mount sources).
    pub fn pushing(
        &self,
        client: &Arc<Registry>,
        name: &str,
        sources: &[&str],
    ) -> super::Repository {
        let mut scopes = vec![Scope::repository(name, &["pull", "push"])];
        scopes.extend(sources.iter().map(|s| Scope::repository(s, &["pull"])));
        client.repository(name, scopes)
    }

    /// Changes the behaviours in force.
    pub fn behave(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.shared.state().behaviour);
    }

    /// Every request so far, in the order they arrived.
    pub fn log(&self) -> Vec<Logged> {
        self.shared.state().log.clone()
    }

    /// `METHOD PATH` of every request so far (token requests included).
    pub fn lines(&self) -> Vec<String> {
        self.log().iter().map(Logged::line).collect()
    }

    /// The most requests that were being answered at once.
    pub fn most_in_flight(&self) -> usize {
        self.shared.state().most_in_flight
    }

    /// Forgets the log.
    pub fn clear_log(&self) {
        self.shared.state().log.clear();
    }

    /// Revokes every token issued: their next use gets a `401`.
    pub fn revoke_tokens(&self) {
        self.shared.state().tokens.clear();
    }

    /// Stores `bytes` as a blob of repository `name`; its digest.
    pub fn add_blob(&self, name: &str, bytes: &[u8]) -> Digest {
        self.shared.state().add_blob(name, bytes.to_vec())
    }

    /// The blob `digest` of repository `name`, if linked there.
    pub fn blob(&self, name: &str, digest: &Digest) -> Option<Vec<u8>> {
        self.shared
            .state()
            .blob(name, digest.as_str())
            .map(|b| b.to_vec())
    }

    /// Stores a manifest (unchecked) in repository `name`, tagged `tag`
    /// if given; its digest.
    pub fn add_manifest(
        &self,
        name: &str,
        tag: Option<&str>,
        media_type: &str,
        bytes: &[u8],
    ) -> Digest {
        self.shared
            .state()
            .add_manifest(name, tag, media_type, bytes.to_vec())
    }

    /// The media type and bytes of the manifest `reference` (a tag or a
    /// digest) names in repository `name`.
    pub fn manifest(&self, name: &str, reference: &str) -> Option<(String, Vec<u8>)> {
        let state = self.shared.state();
        let stored = state.manifest(name, reference)?;
        Some((stored.media_type.clone(), stored.bytes.to_vec()))
    }

    /// The tags of repository `name`, sorted.
    pub fn tags(&self, name: &str) -> Vec<String> {
        self.shared.state().tags(name)
    }

    /// How many upload sessions are open (started, not committed or
    /// cancelled).
    pub fn open_uploads(&self) -> usize {
        self.shared.state().uploads.len()
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
