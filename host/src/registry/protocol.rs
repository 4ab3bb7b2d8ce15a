//! The distribution API's requests and what their answers mean: manifests
//! (get, head, put), blobs (exists, get, mount, upload), referrers. Requests
//! are described here and sent through [`Transport`]; authorization comes
//! from the registry's [`Authorizer`]: one fresh challenge after a 401,
//! then the error stands. Blob uploads are in [`uploads`]; the tag list,
//! and the paging it shares with referrers, in [`tags`].

use super::auth::{Authorizer, Scope};
use super::body;
use super::credentials::CredentialStore;
use super::transport::{self, Receiving, Transport, Transports};
use super::{Error, MANIFEST_MEDIA_TYPES};
use crate::model::Digest;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use reqwest::{RequestBuilder, Response, StatusCode, Url};
use sha2::Digest as _;
use std::sync::Arc;

/// A blob's bytes, read from the start, and what opens them again for
/// each try of an upload: the destination interface's own types.
pub use crate::model::destination::{BlobBytes as BlobReader, OpenBlob};

/// One page of a referrers listing, as the registry answered it.
#[derive(Debug, Clone)]
pub struct ReferrersAnswer {
    /// The page: an OCI image index.
    pub bytes: Vec<u8>,
    /// The next page, when the answer names one (`Link: <…>; rel="next"`),
    /// on this registry.
    pub next: Option<Url>,
}

/// A manifest the registry took.
struct PutManifest {
    digest: Digest,
    /// It answered `OCI-Subject`: the manifest's subject is indexed.
    subject_indexed: bool,
}

/// What the maker of a streamed blob reports once the body is ended.
#[derive(Debug)]
pub enum Made {
    /// The blob is whole: what it hashed to, and its size.
    Whole {
        /// Its digest.
        digest: Digest,
        /// Its size in bytes.
        size: u64,
    },
    /// The maker failed for a reason of its own (it reports it itself):
    /// another try would fail too.
    Failed,
}

/// The largest manifest taken (containerd's limit).
const MAX_MANIFEST: usize = 4 << 20;
/// The chunk size of a chunked upload.
const CHUNK: u64 = 8 << 20;

/// One registry: where it is, how to authorize, the client.
pub struct Registry {
    host: String,
    base: Url,
    transport: Transport,
    auth: Authorizer,
    /// Set once the challenge is learnt: concurrent first requests wait
    /// for one ping instead of each making their own.
    pinged: tokio::sync::OnceCell<()>,
    /// The blobs this run's pushes hold or put, by repository.
    blobs: super::destination::BlobGates,
}

impl Registry {
    /// The registry at `host` (`host[:port]`, as the API is reached),
    /// spoken to in plain HTTP when `plain_http`, with credentials keyed
    /// `server` in `store`, through the transport of its host.
    pub fn new(
        host: &str,
        plain_http: bool,
        server: &str,
        store: CredentialStore,
        given: Option<super::Credential>,
        transports: &Transports,
    ) -> Result<Arc<Self>, Error> {
        let transport = transports.for_host(host, plain_http)?;
        let scheme = if plain_http { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{host}/")).map_err(|e| Error::Protocol {
            registry: host.to_string(),
            what: "the registry's address".to_string(),
            message: e.to_string(),
        })?;
        Ok(Arc::new(Self {
            host: host.to_string(),
            base,
            transport,
            auth: Authorizer::new(host, server, store, given),
            pinged: tokio::sync::OnceCell::new(),
            blobs: super::destination::BlobGates::default(),
        }))
    }

    /// The registry's host, as named.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Who puts which blob of which repository, among this run's pushes.
    pub(super) fn blob_gates(&self) -> &super::destination::BlobGates {
        &self.blobs
    }

    /// A repository of this registry, used with `scopes` (pull, or pull
    /// and push, and the pull scopes of mount sources).
    pub fn repository(self: &Arc<Self>, name: &str, scopes: Vec<Scope>) -> Repository {
        Repository {
            registry: self.clone(),
            name: name.to_string(),
            scopes,
        }
    }

    /// Checks that the registry takes the credential it was made with, as
    /// `docker login` does: a token without scopes, or `GET /v2/` with
    /// Basic credentials.
    pub async fn check_login(&self) -> Result<(), Error> {
        self.ping().await?;
        let header = self.auth.header(&self.transport, &[]).await?;
        self.get_v2("log in", header.as_deref(), |s| s.is_success())
            .await
            .map(drop)
    }

    /// Learns how the registry authenticates: `GET /v2/` unauthenticated,
    /// once per registry.
    async fn ping(&self) -> Result<(), Error> {
        self.pinged
            .get_or_try_init(|| async {
                let ok = |s: StatusCode| s.is_success() || s == StatusCode::UNAUTHORIZED;
                let response = self.get_v2("GET /v2/", None, ok).await?;
                self.auth.challenged(response.headers(), &[]);
                Ok(())
            })
            .await
            .map(|_| ())
    }

    /// `GET /v2/` with `authorization`, retried; the answer, if `ok` takes
    /// its status.
    async fn get_v2(
        &self,
        what: &str,
        authorization: Option<&str>,
        ok: fn(StatusCode) -> bool,
    ) -> Result<Response, Error> {
        let url = self.base.join("v2/").expect("a fixed path");
        self.transport
            .retrying(what, || async {
                let mut request = self.transport.client().get(url.clone());
                if let Some(header) = authorization {
                    request = request.header(AUTHORIZATION, header);
                }
                let response = self.transport.send(&self.host, what, request).await?;
                if ok(response.status()) {
                    Ok(response)
                } else {
                    Err(Error::from_response(&self.host, None, what, response, None).await)
                }
            })
            .await
    }
}

/// A manifest as fetched: its bytes checked against its digest.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The media type the registry gave it.
    pub media_type: String,
    /// The digest of the bytes.
    pub digest: Digest,
    /// The exact bytes.
    pub bytes: Vec<u8>,
}

/// A manifest as its `HEAD` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    /// Its digest (`Docker-Content-Digest`).
    pub digest: Digest,
    /// Its media type (`Content-Type`).
    pub media_type: String,
    /// Its size in bytes (`Content-Length`).
    pub size: u64,
}

impl Fetched {
    /// The manifest as a document: its bytes under a descriptor of the
    /// registry's media type, its digest and size.
    pub fn into_document(self) -> crate::model::Document {
        crate::model::Document {
            descriptor: crate::model::Descriptor::new(
                self.media_type,
                self.digest,
                self.bytes.len() as u64,
            ),
            bytes: self.bytes,
        }
    }
}

/// A blob being received.
pub struct BlobStream {
    registry: String,
    what: String,
    digest: Digest,
    size: u64,
    response: Response,
    receiving: Receiving,
    hasher: sha2::Sha256,
    received: u64,
}

impl BlobStream {
    /// The next piece; `None` at the end, once the size and digest are
    /// checked. A body that ends short is a cut connection (retryable);
    /// one that hashes otherwise is a mismatch (not).
    pub async fn next(&mut self) -> Result<Option<bytes::Bytes>, Error> {
        let chunk = self
            .receiving
            .next(&mut self.response, &self.registry, &self.what)
            .await?;
        let Some(chunk) = chunk else {
            if self.received != self.size {
                return Err(Error::Connection {
                    registry: self.registry.clone(),
                    what: self.what.clone(),
                    message: format!(
                        "the body ended after {} of {} bytes",
                        self.received, self.size
                    ),
                    retryable: true,
                });
            }
            let actual = Digest::from_sha256(std::mem::take(&mut self.hasher).finalize().into());
            if self.digest.algorithm() == "sha256" && actual != self.digest {
                return Err(Error::digest_mismatch(
                    format!("blob {}", self.digest),
                    &self.digest,
                    &actual,
                ));
            }
            return Ok(None);
        };
        self.received += chunk.len() as u64;
        if self.received > self.size {
            return Err(Error::Mismatch {
                what: format!("blob {}", self.digest),
                expected: format!("{} bytes", self.size),
                actual: format!("at least {} bytes", self.received),
            });
        }
        self.hasher.update(&chunk);
        Ok(Some(chunk))
    }
}

/// How a blob got into a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploaded {
    /// Mounted from another repository: no bytes sent.
    Mounted,
    /// Sent.
    Sent,
}

/// A repository of a registry, with the scopes its requests need.
#[derive(Clone)]
pub struct Repository {
    registry: Arc<Registry>,
    name: String,
    scopes: Vec<Scope>,
}

impl Repository {
    /// The repository's name within the registry.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The registry.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    fn url(&self, path: &str) -> Url {
        self.registry
            .base
            .join(&format!("v2/{}/{path}", self.name))
            .expect("names and digests are URL-safe")
    }

    /// Sends the request `build` describes, authorized; after a 401, takes
    /// the fresh challenge and tries once more. Retries nothing itself.
    async fn send_once(
        &self,
        what: &str,
        build: &(dyn Fn() -> RequestBuilder + Sync),
        expected: &[StatusCode],
    ) -> Result<Response, Error> {
        let registry = &self.registry;
        registry.ping().await?;
        let mut challenged = false;
        loop {
            let response = self.authorized(what, build()).await?;
            let status = response.status();
            if expected.contains(&status) {
                return Ok(response);
            }
            if status == StatusCode::UNAUTHORIZED && !challenged {
                challenged = true;
                registry.auth.challenged(response.headers(), &self.scopes);
                continue;
            }
            return Err(Error::from_response(
                &registry.host,
                Some(&self.name),
                what,
                response,
                Some(registry.auth.describe().await),
            )
            .await);
        }
    }

    /// Sends `request` with the authorization its scopes need, if it goes
    /// to this registry (its scheme, host and port): an upload session a
    /// registry hands out on another host (its storage) gets no
    /// credentials, as docker's and go-containerregistry's clients send
    /// none there.
    async fn authorized(&self, what: &str, request: RequestBuilder) -> Result<Response, Error> {
        let registry = &self.registry;
        let (client, built) = request.build_split();
        let built = built.map_err(|e| Error::connection(&registry.host, what, e))?;
        let ours = built.url().origin() == registry.base.origin();
        let mut request = RequestBuilder::from_parts(client, built);
        if ours
            && let Some(header) = registry
                .auth
                .header(&registry.transport, &self.scopes)
                .await?
        {
            request = request.header(AUTHORIZATION, header);
        }
        registry.transport.send(&registry.host, what, request).await
    }

    /// [`Self::send_once`], retried as the transport's policy says.
    async fn send(
        &self,
        what: &str,
        build: &(dyn Fn() -> RequestBuilder + Sync),
        expected: &[StatusCode],
    ) -> Result<Response, Error> {
        self.registry
            .transport
            .retrying(what, || self.send_once(what, build, expected))
            .await
    }

    fn client(&self) -> &reqwest::Client {
        self.registry.transport.client()
    }

    /// The manifest `reference` (a tag or a digest) names, in any of the
    /// media types a pull takes; checked against the digest when named by
    /// one, and against the registry's `Docker-Content-Digest`.
    pub async fn manifest(&self, reference: &str) -> Result<Fetched, Error> {
        let what = format!("GET manifest {reference}");
        let url = self.url(&format!("manifests/{reference}"));
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        self.registry
            .transport
            .retrying(&what, || async {
                let build = || self.client().get(url.clone()).header(ACCEPT, &accept);
                let response = self.send_once(&what, &build, &[StatusCode::OK]).await?;
                let media_type = response
                    .headers()
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
                    .unwrap_or_default();
                let claimed = response
                    .headers()
                    .get("docker-content-digest")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| Digest::parse(v).ok());
                let bytes = self.read_capped(&what, response, MAX_MANIFEST).await?;
                let digest = Digest::sha256(&bytes);
                let expected = Digest::parse(reference)
                    .ok()
                    .or(claimed.filter(|c| c.algorithm() == "sha256"));
                if let Some(expected) = expected
                    && expected != digest
                {
                    return Err(Error::digest_mismatch(
                        format!("manifest {reference}"),
                        &expected,
                        &digest,
                    ));
                }
                Ok(Fetched {
                    media_type,
                    digest,
                    bytes,
                })
            })
            .await
    }

    /// What the manifest `reference` (a tag or a digest) names, as a
    /// `HEAD` with a pull's `Accept` tells: none when the registry has no
    /// such manifest or repository (404: a target not made yet). A `HEAD`
    /// costs no pull in Docker Hub's rate limit, where a `GET` does; only
    /// when its answer lacks the digest, the media type or the size is
    /// the manifest fetched ([`Self::manifest`]) to learn them.
    pub async fn manifest_head(&self, reference: &str) -> Result<Option<ManifestHead>, Error> {
        let what = format!("HEAD manifest {reference}");
        let url = self.url(&format!("manifests/{reference}"));
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        let build = || self.client().head(url.clone()).header(ACCEPT, &accept);
        let response = self
            .send(&what, &build, &[StatusCode::OK, StatusCode::NOT_FOUND])
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let digest = header("docker-content-digest").and_then(|v| Digest::parse(v).ok());
        let media_type = header(CONTENT_TYPE.as_str())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
            .filter(|v| !v.is_empty());
        // The header, not `content_length()`: a HEAD's body is empty.
        let size = header(CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok());
        drop(response);
        let (Some(digest), Some(media_type), Some(size)) = (digest, media_type, size) else {
            tracing::debug!(
                repository = %self.name,
                reference,
                "the HEAD of a manifest lacks its digest, type or size: fetching it"
            );
            let fetched = self.manifest(reference).await?;
            return Ok(Some(ManifestHead {
                size: fetched.bytes.len() as u64,
                digest: fetched.digest,
                media_type: fetched.media_type,
            }));
        };
        if let Ok(named) = Digest::parse(reference)
            && named != digest
        {
            return Err(Error::digest_mismatch(
                format!("manifest {reference}"),
                &named,
                &digest,
            ));
        }
        Ok(Some(ManifestHead {
            digest,
            media_type,
            size,
        }))
    }

    /// The whole body of `response`, a document of at most `cap` bytes
    /// (see [`transport::read_document`]).
    async fn read_capped(
        &self,
        what: &str,
        response: Response,
        cap: usize,
    ) -> Result<Vec<u8>, Error> {
        transport::read_document(response, cap, &self.registry.host, what).await
    }

    /// Puts a manifest under `reference` (a tag, or its digest); returns
    /// the digest the registry computed, checked against the bytes'.
    pub async fn put_manifest(
        &self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest, Error> {
        Ok(self
            .put_manifest_answered(reference, media_type, bytes)
            .await?
            .digest)
    }

    /// [`Self::put_manifest`] of a manifest with a `subject`; whether the
    /// registry says it indexed it for the referrers API (`OCI-Subject`).
    pub async fn put_referrer(
        &self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<(Digest, bool), Error> {
        let put = self
            .put_manifest_answered(reference, media_type, bytes)
            .await?;
        Ok((put.digest, put.subject_indexed))
    }

    /// The first page of the referrers API's listing for `subject`, or
    /// none when the registry has no such API (404).
    pub async fn referrers(&self, subject: &Digest) -> Result<Option<ReferrersAnswer>, Error> {
        let url = self.url(&format!("referrers/{subject}"));
        self.referrers_at(subject, url, true).await
    }

    /// The page of the referrers of `subject` at `next`, the URL an
    /// earlier page named as the next one.
    pub async fn referrers_next(
        &self,
        subject: &Digest,
        next: &Url,
    ) -> Result<ReferrersAnswer, Error> {
        let page = self.referrers_at(subject, next.clone(), false).await?;
        Ok(page.expect("a 404 is an error for a next page"))
    }

    /// The page at `url`; a 404 is none when `absent_is_none` (the first
    /// page of a registry without the API), an error otherwise.
    async fn referrers_at(
        &self,
        subject: &Digest,
        url: Url,
        absent_is_none: bool,
    ) -> Result<Option<ReferrersAnswer>, Error> {
        let what = format!("GET referrers of {subject}");
        let build = || {
            self.client()
                .get(url.clone())
                .header(ACCEPT, "application/vnd.oci.image.index.v1+json")
        };
        let expected: &[StatusCode] = if absent_is_none {
            &[StatusCode::OK, StatusCode::NOT_FOUND]
        } else {
            &[StatusCode::OK]
        };
        let response = self.send(&what, &build, expected).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let next = self.next_page(&what, "referrers", &response)?;
        let bytes = self.read_capped(&what, response, MAX_MANIFEST).await?;
        Ok(Some(ReferrersAnswer { bytes, next }))
    }

    async fn put_manifest_answered(
        &self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<PutManifest, Error> {
        let what = format!("PUT manifest {reference}");
        let url = self.url(&format!("manifests/{reference}"));
        let digest = Digest::sha256(bytes);
        let body = bytes::Bytes::copy_from_slice(bytes);
        let build = || {
            self.client()
                .put(url.clone())
                .header(CONTENT_TYPE, media_type)
                .body(body.clone())
        };
        let response = self
            .send(&what, &build, &[StatusCode::CREATED, StatusCode::OK])
            .await?;
        if let Some(claimed) = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Digest::parse(v).ok())
            && claimed != digest
        {
            return Err(Error::digest_mismatch(what, &digest, &claimed));
        }
        let subject_indexed = response.headers().contains_key("oci-subject");
        Ok(PutManifest {
            digest,
            subject_indexed,
        })
    }

    /// The size of blob `digest`, if the repository has it (`HEAD`).
    pub async fn blob_size(&self, digest: &Digest) -> Result<Option<u64>, Error> {
        let what = format!("HEAD blob {digest}");
        let url = self.url(&format!("blobs/{digest}"));
        let build = || self.client().head(url.clone());
        let response = self
            .send(&what, &build, &[StatusCode::OK, StatusCode::NOT_FOUND])
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(
            response
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        ))
    }

    /// Blob `digest` of `size` bytes, downloaded whole into a sink: each try
    /// writes into a new one from `open` (a try cut short starts over), and
    /// the sink of the try that got every byte, checked, is returned.
    /// Failures to open or write name it as `writing` says (e.g. `cannot
    /// write PATH`).
    pub async fn fetch_blob<W: std::io::Write>(
        &self,
        digest: &Digest,
        size: u64,
        writing: &str,
        mut open: impl FnMut() -> std::io::Result<W>,
    ) -> Result<W, Error> {
        let what = format!("GET blob {digest}");
        let stored = |source: std::io::Error| Error::Io {
            what: writing.to_string(),
            source,
        };
        self.registry
            .transport
            .retrying(&what, || {
                let opened = open().map_err(stored);
                async move {
                    let mut out = opened?;
                    let mut stream = self.blob(digest, size).await?;
                    while let Some(piece) = stream.next().await? {
                        out.write_all(&piece).map_err(stored)?;
                    }
                    Ok(out)
                }
            })
            .await
    }

    /// Blob `digest` of `size` bytes, as a stream checked against both at
    /// its end. A redirect (to storage) is followed without our
    /// credentials. Not retried here: a caller whose stream fails starts
    /// the whole download over (see [`Transport::retrying`]).
    pub async fn blob(&self, digest: &Digest, size: u64) -> Result<BlobStream, Error> {
        let what = format!("GET blob {digest}");
        let url = self.url(&format!("blobs/{digest}"));
        let build = || self.client().get(url.clone());
        let redirects = [
            StatusCode::OK,
            StatusCode::TEMPORARY_REDIRECT,
            StatusCode::FOUND,
            StatusCode::SEE_OTHER,
            StatusCode::MOVED_PERMANENTLY,
            StatusCode::PERMANENT_REDIRECT,
        ];
        let mut response = self.send_once(&what, &build, &redirects).await?;
        if response.status().is_redirection() {
            let target = self.location(&what, &response)?;
            let redirected = self
                .registry
                .transport
                .send(&self.registry.host, &what, self.client().get(target))
                .await?;
            if redirected.status() != StatusCode::OK {
                return Err(Error::from_response(
                    &self.registry.host,
                    Some(&self.name),
                    &what,
                    redirected,
                    None,
                )
                .await);
            }
            response = redirected;
        }
        Ok(BlobStream {
            registry: self.registry.host.clone(),
            what,
            digest: digest.clone(),
            size,
            response,
            receiving: Receiving::blob(),
            hasher: sha2::Sha256::new(),
            received: 0,
        })
    }

    /// The absolute URL of an answer's `Location`.
    fn location(&self, what: &str, response: &Response) -> Result<Url, Error> {
        let protocol = |message: String| Error::Protocol {
            registry: self.registry.host.clone(),
            what: what.to_string(),
            message,
        };
        let value = response
            .headers()
            .get(LOCATION)
            .ok_or_else(|| protocol("no Location header".to_string()))?
            .to_str()
            .map_err(|_| protocol("a Location header that is not text".to_string()))?;
        response
            .url()
            .join(value)
            .map_err(|e| protocol(format!("the Location {value:?} is not a URL: {e}")))
    }

    /// The transport, to retry whole operations with.
    pub fn transport(&self) -> &Transport {
        &self.registry.transport
    }
}

mod tags;
mod uploads;

pub use tags::MAX_TAGS;
pub use uploads::{Mount, Session};

#[cfg(test)]
mod tests;
