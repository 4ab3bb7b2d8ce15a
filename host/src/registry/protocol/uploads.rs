//! Blob uploads into a [`Repository`]: a mount from another repository of
//! the same registry when one is named (a `202` answer declines it and
//! hands over an upload session, which is used); else a monolithic `PUT`
//! with `Content-Length`; a registry that refuses that gets the blob in
//! chunked `PATCH`es. A failed upload starts over with a new session; the
//! failed one is cancelled (`DELETE`), as is a declined mount's that is
//! never used, so that a registry does not keep half a blob for a week.
//!
//! The bytes sent are counted as they are read: fewer or more than the
//! size named end the body with an error before it is whole, so the
//! registry never commits them. Their digest is the registry's to check,
//! as go-containerregistry leaves it: `PUT ?digest=` commits only bytes
//! that hash to the digest named (distribution answers `400
//! DIGEST_INVALID` and keeps nothing), reported here as a mismatch and
//! not tried again. Hashing them here too would cost a second SHA-256 of
//! every byte on a machine whose registry is computing the first
//! (measured: a 256 MiB push at 1.22× the curl floor with it, 1.03×
//! without).

use super::body::{self, BlobBody};
use super::{BlobReader, CHUNK, Error, Made, OpenBlob, Repository, Uploaded};
use crate::model::Digest;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use reqwest::{Method, Response, StatusCode, Url};
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

/// An upload session a registry handed over when it declined a mount:
/// the blob is sent into it rather than into a new one, or it is
/// cancelled ([`Repository::cancel_upload`]).
#[derive(Debug)]
pub struct Session(pub(crate) Url);

/// How long a cancellation waits for its answer.
const CANCEL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What a mount asked for got.
#[derive(Debug)]
pub enum Mount {
    /// The blob is in the repository: no bytes sent.
    Mounted,
    /// The registry declined (`202`), handing over an upload session.
    Declined(Session),
}

impl Repository {
    /// Starts an upload session: with `mount_from`, asks to mount `digest`
    /// from that repository first. `Ok(None)` means it was mounted.
    async fn start_upload(
        &self,
        digest: Option<&Digest>,
        mount_from: Option<&str>,
    ) -> Result<Option<Url>, Error> {
        let mut url = self.url("blobs/uploads/");
        let what = match (mount_from, digest) {
            (Some(from), Some(digest)) => {
                url.query_pairs_mut()
                    .append_pair("mount", digest.as_str())
                    .append_pair("from", from);
                format!("mount blob {digest} from {from}")
            }
            (_, Some(digest)) => format!("start an upload of blob {digest}"),
            (_, None) => "start an upload".to_string(),
        };
        let build = || self.client().post(url.clone()).header(CONTENT_LENGTH, 0);
        let response = self
            .send_once(&what, &build, &[StatusCode::CREATED, StatusCode::ACCEPTED])
            .await?;
        if response.status() == StatusCode::CREATED && mount_from.is_some() {
            return Ok(None);
        }
        if let (Some(from), Some(digest)) = (mount_from, digest) {
            tracing::info!(%digest, from, "the registry declined the mount; uploading");
        }
        self.location(&what, &response).map(Some)
    }

    /// Asks to mount blob `digest` from repository `from` of the same
    /// registry, retried as any request.
    pub async fn mount_blob(&self, digest: &Digest, from: &str) -> Result<Mount, Error> {
        let what = format!("mount blob {digest} from {from}");
        let started = self
            .registry
            .transport
            .retrying(&what, || self.start_upload(Some(digest), Some(from)))
            .await?;
        Ok(started.map_or(Mount::Mounted, |url| Mount::Declined(Session(url))))
    }

    /// Puts blob `digest` of `size` bytes into the repository: mounted from
    /// `mount_from` when the registry agrees, else streamed from what
    /// `open` returns (called again for each new try).
    pub async fn put_blob(
        &self,
        digest: &Digest,
        size: u64,
        mount_from: Option<&str>,
        open: &OpenBlob,
    ) -> Result<Uploaded, Error> {
        self.upload(digest, size, mount_from, None, open).await
    }

    /// Sends blob `digest` of `size` bytes from what `open` returns: into
    /// `session` (one a declined mount handed over) first, into new ones
    /// for further tries.
    pub async fn put_blob_into(
        &self,
        digest: &Digest,
        size: u64,
        session: Option<Session>,
        open: &OpenBlob,
    ) -> Result<(), Error> {
        self.upload(digest, size, None, session, open)
            .await
            .map(drop)
    }

    async fn upload(
        &self,
        digest: &Digest,
        size: u64,
        mount_from: Option<&str>,
        session: Option<Session>,
        open: &OpenBlob,
    ) -> Result<Uploaded, Error> {
        let what = format!("upload blob {digest}");
        let handed = Mutex::new(session.map(|s| s.0));
        let refused: Arc<Mutex<Option<Error>>> = Arc::default();
        let checked = |verdict: &Arc<Mutex<Option<Error>>>| {
            let verdict = verdict.clone();
            move || -> io::Result<BlobReader> {
                Ok(Box::new(Checked::new(
                    open()?,
                    digest,
                    size,
                    verdict.clone(),
                )))
            }
        };
        let open = checked(&refused);
        self.registry
            .transport
            .retrying(&what, || async {
                let handed = handed.lock().expect("not poisoned").take();
                let session = match handed {
                    Some(session) => session,
                    None => match self.start_upload(Some(digest), mount_from).await? {
                        Some(session) => session,
                        None => return Ok(Uploaded::Mounted),
                    },
                };
                let sent = match self.put_monolithic(&what, session.clone(), digest, size, &open).await {
                    Err(e) if takes_chunks_instead(&e) => {
                        tracing::info!(%digest, error = %e, "the registry refused a monolithic upload; uploading in chunks");
                        self.cancel_upload(session).await;
                        let session = self.start_upload(Some(digest), None).await?.expect("not a mount");
                        let sent = self.put_chunked(&what, session.clone(), digest, size, &open).await;
                        self.cancel_unless_sent(&sent, session).await;
                        sent
                    }
                    sent => {
                        self.cancel_unless_sent(&sent, session).await;
                        sent
                    }
                };
                // Bytes that are not the blob are refused for good.
                match (sent, refused.lock().expect("not poisoned").take()) {
                    (_, Some(refusal)) => Err(refusal),
                    (Err(e), None) if digest_refused(&e) => Err(Error::Mismatch {
                        what: format!("blob {digest}"),
                        expected: digest.to_string(),
                        actual: format!("bytes the registry hashed otherwise ({e})"),
                    }),
                    (sent, None) => sent.map(|()| Uploaded::Sent),
                }
            })
            .await
    }

    /// Cancels upload session `session` (`DELETE`), one a failed try or
    /// a declined mount left open, so that the registry need not keep its
    /// bytes until it purges old sessions (distribution: a week). At
    /// most one quick request: a registry that does not answer has the
    /// session purged in its own time.
    pub async fn cancel_upload(&self, session: Url) {
        let what = "cancel an upload";
        let request = self.client().delete(session).timeout(CANCEL_TIMEOUT);
        match self.authorized(what, request).await {
            Ok(response) => tracing::debug!(status = %response.status(), "{what}"),
            Err(e) => tracing::debug!(error = %e, "could not {what}"),
        }
    }

    /// After a try that failed, its session is cancelled.
    async fn cancel_unless_sent<T>(&self, sent: &Result<T, Error>, session: Url) {
        if sent.is_err() {
            self.cancel_upload(session).await;
        }
    }

    /// Uploads a blob whose digest is known only once it is all made (a
    /// layer compressed as it is sent, as `docker push` sends layers): one
    /// `PATCH` streaming `body`, then `PUT ?digest=` with what `made`
    /// reports. One try: the caller retries it with
    /// [`Transport::retrying`], making the blob again into a new body.
    pub async fn put_streamed(
        &self,
        body: BlobBody,
        made: tokio::sync::oneshot::Receiver<Made>,
    ) -> Result<(Digest, u64), Error> {
        let session = self.start_upload(None, None).await?.expect("not a mount");
        let sent = self.stream_into(session.clone(), body, made).await;
        self.cancel_unless_sent(&sent, session).await;
        sent
    }

    /// [`Repository::put_streamed`] into session `session`.
    async fn stream_into(
        &self,
        session: Url,
        body: BlobBody,
        made: tokio::sync::oneshot::Receiver<Made>,
    ) -> Result<(Digest, u64), Error> {
        let what = "upload a blob as it is made";
        let request = self
            .client()
            .request(Method::PATCH, session)
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(body.0);
        let patched = self.authorized(what, request).await;
        // The maker ends once the body does; it drops `made` unsent when
        // the upload stopped taking its bytes.
        let (made, response) = match (made.await, patched) {
            (Ok(Made::Failed), _) => {
                return Err(Error::Io {
                    what: what.to_string(),
                    source: std::io::Error::other("the blob could not be made"),
                });
            }
            (_, Err(e)) => return Err(e),
            (made, Ok(response)) => (made, response),
        };
        let registry = &self.registry;
        // The registry's answer first: one that stopped the upload early
        // (a 413, an expired token) says why the blob was not made.
        if response.status() != StatusCode::ACCEPTED {
            return Err(self.upload_refused(what, response).await);
        }
        let Ok(Made::Whole { digest, size }) = made else {
            return Err(Error::Protocol {
                registry: registry.host.clone(),
                what: what.to_string(),
                message: "the registry took the upload before the blob was made whole".into(),
            });
        };
        let what = format!("upload blob {digest}");
        // The registry says how much it holds: all of it, or the blob is
        // not committed.
        let expected = format!("0-{}", size.saturating_sub(1));
        if let Some(range) = response.headers().get(RANGE).and_then(|r| r.to_str().ok())
            && size > 0
            && range != expected
        {
            return Err(Error::Protocol {
                registry: registry.host.clone(),
                what,
                message: format!("the registry holds bytes {range} of {size}"),
            });
        }
        let mut url = self.location(&what, &response)?;
        url.query_pairs_mut().append_pair("digest", digest.as_str());
        let build = || self.client().put(url.clone()).header(CONTENT_LENGTH, 0);
        self.send_once(&what, &build, &[StatusCode::CREATED])
            .await?;
        Ok((digest, size))
    }

    fn open_source(
        digest: &Digest,
        open: &(dyn Fn() -> io::Result<BlobReader> + Sync),
    ) -> Result<BlobReader, Error> {
        open().map_err(|source| Error::Io {
            what: format!("cannot read blob {digest}"),
            source,
        })
    }

    /// `PUT <session>?digest=` with the whole blob.
    async fn put_monolithic(
        &self,
        what: &str,
        session: Url,
        digest: &Digest,
        size: u64,
        open: &(dyn Fn() -> io::Result<BlobReader> + Sync),
    ) -> Result<(), Error> {
        let mut url = session;
        url.query_pairs_mut().append_pair("digest", digest.as_str());
        let source = Self::open_source(digest, open)?;
        let request = self
            .client()
            .put(url)
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, size)
            .body(body::from_reader(source));
        let response = self.authorized(what, request).await?;
        match response.status() {
            StatusCode::CREATED => Ok(()),
            _ => Err(self.upload_refused(what, response).await),
        }
    }

    /// What an upload whose body cannot be sent again got instead of the
    /// answer it wanted: a token that expired mid-upload is a retryable
    /// failure (a new session, a new token), anything else the registry's
    /// error.
    async fn upload_refused(&self, what: &str, response: Response) -> Error {
        let registry = &self.registry;
        if response.status() == StatusCode::UNAUTHORIZED {
            registry.auth.challenged(response.headers(), &self.scopes);
            return Error::Connection {
                registry: registry.host.clone(),
                what: what.to_string(),
                message: "the registry asked to authenticate again".to_string(),
                retryable: true,
            };
        }
        Error::from_response(
            &registry.host,
            Some(&self.name),
            what,
            response,
            Some(registry.auth.describe().await),
        )
        .await
    }

    /// `PATCH`es of [`CHUNK`] bytes with `Content-Range`, then the closing
    /// `PUT <session>?digest=`.
    async fn put_chunked(
        &self,
        what: &str,
        session: Url,
        digest: &Digest,
        size: u64,
        open: &(dyn Fn() -> io::Result<BlobReader> + Sync),
    ) -> Result<(), Error> {
        let mut source = Self::open_source(digest, open)?;
        let mut url = session;
        let mut offset = 0u64;
        while offset < size {
            let length = CHUNK.min(size - offset);
            let mut chunk = vec![0u8; length as usize];
            source.read_exact(&mut chunk).map_err(|source| Error::Io {
                what: format!("cannot read blob {digest}"),
                source,
            })?;
            let chunk = bytes::Bytes::from(chunk);
            let range = format!("{}-{}", offset, offset + length - 1);
            let build = || {
                self.client()
                    .request(Method::PATCH, url.clone())
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .header(CONTENT_RANGE, &range)
                    .header(CONTENT_LENGTH, length)
                    .body(chunk.clone())
            };
            let response = self
                .send_once(what, &build, &[StatusCode::ACCEPTED])
                .await?;
            url = self.location(what, &response)?;
            offset += length;
        }
        // An empty blob is checked at its end, before the closing PUT.
        source.read(&mut [0u8; 1]).map_err(|source| Error::Io {
            what: format!("cannot read blob {digest}"),
            source,
        })?;
        url.query_pairs_mut().append_pair("digest", digest.as_str());
        let build = || self.client().put(url.clone()).header(CONTENT_LENGTH, 0);
        self.send_once(what, &build, &[StatusCode::CREATED]).await?;
        Ok(())
    }
}

/// Whether the registry refused an upload's bytes for their digest.
fn digest_refused(e: &Error) -> bool {
    matches!(e, Error::Status(s) if s.code.as_deref() == Some("DIGEST_INVALID"))
}

/// Whether a monolithic upload's refusal calls for chunks: a non-auth,
/// non-transient 4xx other than a digest the registry computed otherwise.
fn takes_chunks_instead(e: &Error) -> bool {
    match e {
        Error::Status(s) => {
            matches!(s.status, 400 | 405 | 411 | 413 | 415 | 416)
                && !digest_refused(e)
                && s.code.as_deref() != Some("SIZE_INVALID")
        }
        _ => false,
    }
}

/// A blob's bytes, counted as they are read. The last of them are handed
/// on only once nothing follows them: bytes of another size fail the read
/// before a body with a `Content-Length` could end whole, and the refusal
/// is kept for the upload to report.
struct Checked {
    inner: BlobReader,
    read: u64,
    digest: Digest,
    size: u64,
    ended: bool,
    refused: Arc<Mutex<Option<Error>>>,
}

impl Checked {
    fn new(
        inner: BlobReader,
        digest: &Digest,
        size: u64,
        refused: Arc<Mutex<Option<Error>>>,
    ) -> Self {
        Self {
            inner,
            read: 0,
            digest: digest.clone(),
            size,
            ended: false,
            refused,
        }
    }

    fn sizes(&mut self, actual: String) -> io::Error {
        let error = Error::Mismatch {
            what: format!("blob {}", self.digest),
            expected: format!("{} bytes", self.size),
            actual,
        };
        let message = error.to_string();
        *self.refused.lock().expect("not poisoned") = Some(error);
        io::Error::new(io::ErrorKind::InvalidData, message)
    }

    /// At `size` bytes: nothing more to read.
    fn check_end(&mut self) -> io::Result<()> {
        let mut probe = [0u8; 1];
        let more = loop {
            match self.inner.read(&mut probe) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if more > 0 {
            return Err(self.sizes(format!("more than {} bytes", self.size)));
        }
        self.ended = true;
        Ok(())
    }
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read == self.size {
            if !self.ended {
                self.check_end()?;
            }
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            return Err(self.sizes(format!("{} bytes", self.read)));
        }
        let read = self.read + n as u64;
        if read > self.size {
            return Err(self.sizes(format!("at least {read} bytes")));
        }
        self.read = read;
        if read == self.size {
            self.check_end()?;
        }
        Ok(n)
    }
}
