//! The one HTTP layer: a client per registry host, the `User-Agent`, the
//! only retry loop of the registry code, and every wait on the network.
//!
//! Owns: the HTTP client's options (set in one place, [`Transport::new`]),
//! one client per host made on first use (each trusting what
//! [`super::tls`] says for that host), which failures are worth another
//! try (408, 429, 500, 502, 503, 504, connection errors and timeouts;
//! never a TLS failure: a certificate does not heal), how long to wait
//! between tries (exponential backoff with jitter, or the registry's
//! `Retry-After`), when to give up (a bound on tries and on total time,
//! the try in flight included), and how long to wait for the other side:
//!
//! - a connection must open within [`CONNECT_TIMEOUT`];
//! - an answer's head must come within [`STALL_WINDOW`] of the request's
//!   last byte ([`COMMIT_WAIT`] for a `PUT`, where the server stores
//!   what it was sent);
//! - a body, sent or received, must move at least [`FLOOR_BYTES`] every
//!   [`STALL_WINDOW`]: slow but moving survives, a stall or a trickle
//!   fails;
//! - a small document (a manifest, a token, an error body) must be whole
//!   within [`DOCUMENT_DEADLINE`] of its answer's head, and is capped by
//!   its reader ([`read_document`]).
//!
//! Each timeout is a retryable failure naming what was waited for and for
//! how long. A wait the registry asks for (`Retry-After`, `RateLimit-Reset`)
//! that the policy cannot give is not cut short and tried early (that
//! would only spend the rate limit again): the request fails at once,
//! saying how long the registry asked to wait. Each host's requests wait
//! their turn under its [`Budget`], if it has one (see [`super::budget`]).
//!
//! Must not: know about blobs, manifests or tokens; the protocol and auth
//! modules describe requests, this module sends them.

use super::Error;
use super::budget::{Budget, Limiter};
use super::tls::{self, HostTls, HostTrust, Roots, TlsSettings};
use super::wait::Most;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

/// The longest wait for a connection (TCP, and TLS on it) to open: a slow
/// link's SYN retries (after 1, 2 and 4 s) fit, and a host that drops
/// packets is given up within the retry bound.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the other side may leave a request unanswered, or a body
/// below [`FLOOR_BYTES`], before the connection counts as stalled: cargo's
/// and curl's low-speed time. Three tries of it fit the retry bound.
pub const STALL_WINDOW: Duration = Duration::from_secs(30);

/// The fewest bytes a body must move each [`STALL_WINDOW`] (1 KiB/s):
/// slower than any real link, so only a stuck or hostile peer is below it.
/// A blob above it is waited for however long it takes (its size bounds
/// it, and progress shows); one below it fails and is fetched again.
pub const FLOOR_BYTES: u64 = 30 << 10;

/// How long a registry may take to answer a `PUT` after its last byte:
/// committing a blob of gigabytes can mean copying it within the
/// registry's storage (S3 has no rename), which peers wait for.
pub const COMMIT_WAIT: Duration = Duration::from_secs(120);

/// The most time a small document (a manifest, a token server's answer, an
/// error body) may take from its answer's head to its last byte: a 4 MiB
/// manifest arrives in it at 70 KiB/s, and a body trickling above
/// [`FLOOR_BYTES`] cannot hold a run for hours. (From the head, not the
/// request: the error body answering a long upload must still be read.)
pub const DOCUMENT_DEADLINE: Duration = Duration::from_secs(60);

/// How hard to try before failing.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// The wait before the second try; each later wait doubles it.
    pub base_delay: Duration,
    /// The longest single wait. A registry asking for a longer one
    /// (`Retry-After`, `RateLimit-Reset`), or for one that would end past
    /// [`Self::max_total`], is not tried again early: the request fails
    /// at once, saying how long it asked to wait.
    pub max_delay: Duration,
    /// No try starts unless it would end within this much time since the
    /// first, were it to hear nothing ([`Self::silent_try`]): the try in
    /// flight is counted, not only the waits between tries.
    pub max_total: Duration,
    /// How long a try lasts whose server says nothing: until the answer's
    /// head times out.
    pub silent_try: Duration,
}

impl Default for RetryPolicy {
    /// Five tries, 250 ms doubling to at most 10 s a wait, within 2 min:
    /// crane and regclient try 3–5 times with the same kind of backoff. A
    /// registry that never answers is given up after three tries of
    /// [`STALL_WINDOW`], about 90 s.
    fn default() -> Self {
        Self {
            attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_total: Duration::from_secs(120),
            silent_try: STALL_WINDOW,
        }
    }
}

/// The transports of every registry host, each made once and shared by
/// every clone.
#[derive(Debug, Clone)]
pub struct Transports {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    policy: RetryPolicy,
    settings: TlsSettings,
    roots: Roots,
    made: Mutex<HashMap<String, Transport>>,
    /// The budget of each host (its API host), shared by every request to
    /// it.
    budgets: Mutex<HashMap<String, Arc<Limiter>>>,
}

impl Transports {
    /// Transports retrying under `policy`, trusting what `settings` name;
    /// the roots are read now, so a bad `SSL_CERT_FILE` fails before any
    /// work.
    pub fn new(policy: RetryPolicy, settings: TlsSettings) -> Result<Self, Error> {
        crate::tls::install_crypto_provider();
        let roots = Roots::load(&settings)?;
        Ok(Self {
            shared: Arc::new(Shared {
                policy,
                settings,
                roots,
                made: Mutex::new(HashMap::new()),
                budgets: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// These transports, each host of `budgets` (as the user names it,
    /// e.g. `docker.io` or `localhost:5000`: reached at its
    /// [`super::api_host`]) held to its budget by every clone. Given
    /// before the host's first request: a transport made earlier keeps
    /// what it was made with.
    pub fn with_budgets(self, budgets: impl IntoIterator<Item = (String, Budget)>) -> Self {
        {
            let mut known = self.shared.budgets.lock().expect("not poisoned");
            for (host, budget) in budgets {
                let host = super::api_host(&host).to_string();
                match Limiter::new(&host, budget) {
                    Some(limiter) => known.insert(host, limiter),
                    None => known.remove(&host),
                };
            }
        }
        self
    }

    /// The transport of `host` (`HOST[:PORT]`, as named), spoken to in
    /// plain HTTP when `plain_http`: made on first use, with its certs.d
    /// files (a bad one is refused here, naming it).
    pub fn for_host(&self, host: &str, plain_http: bool) -> Result<Transport, Error> {
        let shared = &self.shared;
        if let Some(made) = shared.made.lock().expect("not poisoned").get(host) {
            return Ok(made.clone());
        }
        let tls = tls::host_tls(&shared.settings, &shared.roots, host, plain_http)?;
        let limiter = shared
            .budgets
            .lock()
            .expect("not poisoned")
            .get(host)
            .cloned();
        let transport = Transport::new(shared.policy.clone(), tls, limiter)?;
        Ok(shared
            .made
            .lock()
            .expect("not poisoned")
            .entry(host.to_string())
            .or_insert(transport)
            .clone())
    }
}

/// The HTTP client of one registry host, and the retry loop.
#[derive(Debug, Clone)]
pub struct Transport {
    client: reqwest::Client,
    policy: RetryPolicy,
    /// What the client trusts and presents, for TLS failures.
    trust: Arc<HostTrust>,
    /// The host's budget, if it has one.
    limiter: Option<Arc<Limiter>>,
}

/// What a failed try asks for.
pub(crate) enum Retry {
    /// Try again, after at least this long when the registry said so.
    After(Option<Duration>),
    /// Give up now.
    Never,
}

impl Transport {
    /// A client with `tls`, sending `User-Agent: ocipipe/<version>`,
    /// keeping connections alive, following no redirects itself (the
    /// protocol follows them, so that credentials never go to another
    /// host).
    fn new(
        policy: RetryPolicy,
        tls: HostTls,
        limiter: Option<Arc<Limiter>>,
    ) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("ocipipe/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_max_idle_per_host(16)
            .tls_backend_preconfigured(tls.config)
            .build()
            .map_err(|e| Error::Client(e.to_string()))?;
        Ok(Self {
            client,
            policy,
            trust: tls.trust,
            limiter,
        })
    }

    /// The client, to describe requests with.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Runs `attempt` until it succeeds, fails for good, or the policy is
    /// spent; between tries, waits as the failure asks. `attempt` must
    /// start over cleanly (a new upload session, a new download).
    pub async fn retrying<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut start = Instant::now();
        let mut tries = 0u32;
        loop {
            tries += 1;
            let began = Instant::now();
            let error = match attempt().await {
                Ok(value) => return Ok(value),
                Err(e) => tls::explain(e, &self.trust),
            };
            // A try that outlasted the whole bound was moving (a silent or
            // trickling one is cut within a few stall windows): a long
            // transfer cut near its end gets the bound afresh.
            if began.elapsed() > self.policy.max_total {
                start = Instant::now();
            }
            let after = match error.retry() {
                Retry::Never => return Err(error),
                Retry::After(after) => after,
            };
            if tries >= self.policy.attempts {
                return Err(error.gave_up(tries));
            }
            // The registry's wish is kept whole: one cut short would only
            // be answered the same (and, for a 429, spend the limit again).
            let wait = match after {
                Some(asked) => match self.refused(asked, start) {
                    Some(most) => return Err(error.wait_refused(asked, most)),
                    None => asked,
                },
                // Full jitter on our own backoff.
                None => self
                    .policy
                    .base_delay
                    .saturating_mul(1 << (tries - 1).min(16))
                    .min(self.policy.max_delay)
                    .mul_f64(0.5 + unit_random() / 2.0),
            };
            // The next try must be able to end within the bound even if
            // it hears nothing (a registry that never answers makes every
            // try wait out its timeout).
            if start.elapsed() + wait + self.policy.silent_try > self.policy.max_total {
                return Err(error.gave_up(tries));
            }
            tracing::warn!(%error, try_ = tries, wait_ms = wait.as_millis() as u64, "{what}: trying again");
            tokio::time::sleep(wait).await;
        }
    }

    /// The most the policy waits, when a wait of `asked` (that the
    /// registry asked for) is more than it gives in a run of tries that
    /// began at `start`; none when it is given.
    fn refused(&self, asked: Duration, start: Instant) -> Option<Most> {
        let policy = &self.policy;
        if asked > policy.max_delay {
            return Some(Most::Each(policy.max_delay));
        }
        (start.elapsed() + asked + policy.silent_try > policy.max_total)
            .then_some(Most::InAll(policy.max_total))
    }

    /// Sends `request` to `server` (as errors name it) for `what`. Its body,
    /// if any, must keep moving ([`FLOOR_BYTES`] a [`STALL_WINDOW`]); the
    /// answer's head must come within [`STALL_WINDOW`] of the body's end
    /// ([`COMMIT_WAIT`] for a `PUT`). One try: retried by the caller.
    /// Under a budget, it first waits its turn, and holds its slot until
    /// the answer's head arrives (see [`super::budget`] for why not
    /// across the answer's body).
    pub(crate) async fn send(
        &self,
        server: &str,
        what: &str,
        request: RequestBuilder,
    ) -> Result<Response, Error> {
        let (client, request) = request.build_split();
        let mut request = request.map_err(|e| Error::connection(server, what, e))?;
        let head_wait = match *request.method() {
            Method::PUT => COMMIT_WAIT,
            _ => STALL_WINDOW,
        };
        let _slot = match &self.limiter {
            Some(limiter) => Some(limiter.turn().await),
            None => None,
        };
        let sent = Instant::now();
        let pace = Arc::new(Mutex::new(Pace::new(sent)));
        match request.body_mut().take() {
            Some(body) => {
                *request.body_mut() = Some(reqwest::Body::wrap(Paced::new(body, pace.clone())))
            }
            None => pace.lock().expect("not poisoned").ended = Some(sent),
        }
        let answer = client.execute(request);
        tokio::pin!(answer);
        loop {
            let (until, _) = pace.lock().expect("not poisoned").head_deadline(head_wait);
            tokio::select! {
                answer = &mut answer => {
                    return answer.map_err(|e| Error::connection(server, what, e));
                }
                () = tokio::time::sleep_until(until.into()) => {
                    // The body may have moved meanwhile: look again.
                    let (until, waited) = pace.lock().expect("not poisoned").head_deadline(head_wait);
                    if until <= Instant::now() {
                        return Err(Error::TimedOut {
                            server: server.to_string(),
                            what: what.to_string(),
                            waited,
                        });
                    }
                }
            }
        }
    }
}

/// What was waited for too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Waited {
    /// A connection to open.
    Connect,
    /// The answer's head, this long after the request's last byte.
    Answer(Duration),
    /// The request's body to be taken: it moved less than [`FLOOR_BYTES`]
    /// in a [`STALL_WINDOW`].
    Upload,
    /// The answer's body: it moved less than [`FLOOR_BYTES`] in a
    /// [`STALL_WINDOW`].
    Body,
    /// A whole document, within [`DOCUMENT_DEADLINE`] of its head.
    Document,
}

impl std::fmt::Display for Waited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let window = STALL_WINDOW.as_secs();
        let floor = FLOOR_BYTES >> 10;
        match self {
            Waited::Connect => write!(
                f,
                "did not accept a connection within {} s",
                CONNECT_TIMEOUT.as_secs()
            ),
            Waited::Answer(wait) => write!(f, "did not answer within {} s", wait.as_secs()),
            Waited::Upload => write!(
                f,
                "took less than {floor} KiB of the upload in {window} s (stalled)"
            ),
            Waited::Body => write!(
                f,
                "sent less than {floor} KiB of the answer in {window} s (stalled)"
            ),
            Waited::Document => write!(
                f,
                "did not send the whole answer within {} s",
                DOCUMENT_DEADLINE.as_secs()
            ),
        }
    }
}

/// How a body keeps moving: the bytes since the current window began.
#[derive(Debug)]
struct Pace {
    window: Instant,
    moved: u64,
    /// When a request's body ended (when it was sent, for none).
    ended: Option<Instant>,
}

impl Pace {
    fn new(now: Instant) -> Self {
        Self {
            window: now,
            moved: 0,
            ended: None,
        }
    }

    /// `n` more bytes moved: a window that reached [`FLOOR_BYTES`] is done,
    /// and the next starts.
    fn moved(&mut self, n: usize) {
        self.moved += n as u64;
        if self.moved >= FLOOR_BYTES {
            self.window = Instant::now();
            self.moved = 0;
        }
    }

    /// When the body stalls.
    fn deadline(&self) -> Instant {
        self.window + STALL_WINDOW
    }

    /// Until when a request's answer is waited for, and what is waited for
    /// then: the body to move, or, once it ended, the head.
    fn head_deadline(&self, head_wait: Duration) -> (Instant, Waited) {
        match self.ended {
            Some(ended) => (ended + head_wait, Waited::Answer(head_wait)),
            None => (self.deadline(), Waited::Upload),
        }
    }
}

/// The smallest piece of a request body handed to the client at once: the
/// pace of an upload is seen in pieces, and at the floor's pace one this
/// big goes in 16 s, within a [`STALL_WINDOW`].
const MIN_SLICE: usize = 16 << 10;
/// The largest: a peer that takes pieces quickly gets them this big, so a
/// fast upload is not cut into many small writes (16 KiB pieces made a
/// 1 GiB push ~10% slower).
const MAX_SLICE: usize = 1 << 20;
/// A piece taken this soon after the one before doubles the next one.
const QUICK: Duration = Duration::from_millis(20);
/// A piece taken this long after the one before starts small again.
const SLOW: Duration = Duration::from_secs(1);

/// A request body that reports its pace as the client takes it.
struct Paced {
    inner: reqwest::Body,
    /// What is left of the piece being handed over.
    rest: bytes::Bytes,
    pace: Arc<Mutex<Pace>>,
    /// The size of the next piece: doubled while the client takes pieces
    /// quickly, back to [`MIN_SLICE`] when it is slow, so that at any pace
    /// a piece goes in well within a [`STALL_WINDOW`].
    slice: usize,
    /// When the last piece was handed over.
    handed: Option<Instant>,
}

impl Paced {
    fn new(inner: reqwest::Body, pace: Arc<Mutex<Pace>>) -> Self {
        Self {
            inner,
            rest: bytes::Bytes::new(),
            pace,
            slice: MIN_SLICE,
            handed: None,
        }
    }

    fn hand(&mut self, mut piece: bytes::Bytes) -> http_body::Frame<bytes::Bytes> {
        let now = Instant::now();
        if let Some(handed) = self.handed {
            let took = now - handed;
            if took < QUICK {
                self.slice = (self.slice * 2).min(MAX_SLICE);
            } else if took > SLOW {
                self.slice = MIN_SLICE;
            }
        }
        self.handed = Some(now);
        if piece.len() > self.slice {
            self.rest = piece.split_off(self.slice);
        }
        self.pace.lock().expect("not poisoned").moved(piece.len());
        http_body::Frame::data(piece)
    }

    fn end(&self) {
        let mut pace = self.pace.lock().expect("not poisoned");
        pace.ended.get_or_insert_with(Instant::now);
    }
}

impl http_body::Body for Paced {
    type Data = bytes::Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, reqwest::Error>>> {
        let this = &mut *self;
        if !this.rest.is_empty() {
            let rest = std::mem::take(&mut this.rest);
            return Poll::Ready(Some(Ok(this.hand(rest))));
        }
        match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => Poll::Ready(Some(Ok(this.hand(data)))),
                Err(other) => Poll::Ready(Some(Ok(other))),
            },
            Some(Err(e)) => Poll::Ready(Some(Err(e))),
            None => {
                this.end();
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        let ended = self.rest.is_empty() && self.inner.is_end_stream();
        if ended {
            self.end();
        }
        ended
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let inner = http_body::Body::size_hint(&self.inner);
        match inner.exact() {
            Some(n) => http_body::SizeHint::with_exact(n + self.rest.len() as u64),
            None => inner,
        }
    }
}

/// An answer's body being read, failing when it stalls or, for a
/// document, when it is not whole in time.
pub(crate) struct Receiving {
    pace: Pace,
    deadline: Option<Instant>,
}

impl Receiving {
    /// A blob's body: it must keep moving, however long it is.
    pub(crate) fn blob() -> Self {
        Self {
            pace: Pace::new(Instant::now()),
            deadline: None,
        }
    }

    /// A document's body: whole within [`DOCUMENT_DEADLINE`] from now
    /// (its head).
    pub(crate) fn document() -> Self {
        let now = Instant::now();
        Self {
            pace: Pace::new(now),
            deadline: Some(now + DOCUMENT_DEADLINE),
        }
    }

    /// The next piece of `response`'s body from `server` (as errors name
    /// it) for `what`; `None` at its end.
    pub(crate) async fn next(
        &mut self,
        response: &mut Response,
        server: &str,
        what: &str,
    ) -> Result<Option<bytes::Bytes>, Error> {
        let stall = self.pace.deadline();
        let (until, waited) = match self.deadline {
            Some(deadline) if deadline < stall => (deadline, Waited::Document),
            _ => (stall, Waited::Body),
        };
        match tokio::time::timeout_at(until.into(), response.chunk()).await {
            Ok(Ok(Some(piece))) => {
                self.pace.moved(piece.len());
                Ok(Some(piece))
            }
            Ok(Ok(None)) => Ok(None),
            Ok(Err(e)) => Err(Error::connection(server, what, e)),
            Err(_) => Err(Error::TimedOut {
                server: server.to_string(),
                what: what.to_string(),
                waited,
            }),
        }
    }
}

/// The whole body of `response`, a document of at most `cap` bytes, from
/// `server` (as errors name it) for `what`: one larger is refused as soon
/// as it says so (`Content-Length`) or grows past it, nothing of it kept.
pub(crate) async fn read_document(
    mut response: Response,
    cap: usize,
    server: &str,
    what: &str,
) -> Result<Vec<u8>, Error> {
    let too_large = || Error::Protocol {
        registry: server.to_string(),
        what: what.to_string(),
        message: format!("the answer is larger than {cap} bytes"),
    };
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut receiving = Receiving::document();
    let mut bytes = Vec::new();
    while let Some(piece) = receiving.next(&mut response, server, what).await? {
        if bytes.len() + piece.len() > cap {
            return Err(too_large());
        }
        bytes.extend_from_slice(&piece);
    }
    Ok(bytes)
}

/// Whether an answer's status is worth another try.
pub(crate) fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Whether a failure to send or receive is worth another try: the
/// connection failed, was cut, or timed out; not a request we built wrong.
pub(crate) fn retryable_error(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_timeout() || e.is_request() || e.is_body() || e.is_decode()
}

/// A number in [0, 1] for jitter; 0.5 when the OS has no randomness.
fn unit_random() -> f64 {
    getrandom::u64().map_or(0.5, |r| r as f64 / u64::MAX as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(retryable: bool) -> Error {
        Error::Connection {
            registry: "r".into(),
            what: "GET /v2/".into(),
            message: "reset".into(),
            retryable,
        }
    }

    /// Runs `retrying` under `policy` with `attempt` (given its try's
    /// index); the tries made and the result.
    fn retried<Fut>(policy: RetryPolicy, attempt: impl Fn(usize) -> Fut) -> (u32, Result<(), Error>)
    where
        Fut: Future<Output = Result<(), Error>>,
    {
        let settings = TlsSettings {
            certs_dirs: Vec::new(),
            extra_roots: Vec::new(),
        };
        let transport = Transports::new(policy, settings)
            .unwrap()
            .for_host("r", true)
            .unwrap();
        let count = std::sync::atomic::AtomicU32::new(0);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let result = runtime.block_on(transport.retrying("test", || {
            attempt(count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) as usize)
        }));
        (count.into_inner(), result)
    }

    /// Runs `retrying` with `answers` (true: a retryable failure, false: a
    /// final one) until they run out (then success); the tries and result.
    fn tries(attempts: u32, answers: &[bool]) -> (u32, Result<(), Error>) {
        let policy = RetryPolicy {
            attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_total: Duration::from_secs(5),
            silent_try: Duration::from_millis(1),
        };
        retried(policy, |i| async move {
            match answers.get(i) {
                Some(&retryable) => Err(cut(retryable)),
                None => Ok(()),
            }
        })
    }

    #[test]
    fn budgets_are_kept_by_the_api_host_of_the_name_a_user_gives() {
        let settings = TlsSettings {
            certs_dirs: Vec::new(),
            extra_roots: Vec::new(),
        };
        let budget = Budget {
            requests_per_second: Some(5.0),
            concurrency: None,
        };
        let transports = Transports::new(RetryPolicy::default(), settings)
            .unwrap()
            .with_budgets([
                ("docker.io".to_string(), budget),
                ("localhost:5000".to_string(), budget),
                ("ghcr.io".to_string(), Budget::default()),
            ]);
        let mut hosts: Vec<_> = transports
            .shared
            .budgets
            .lock()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        hosts.sort();
        assert_eq!(hosts, ["localhost:5000", "registry-1.docker.io"]);
        let docker = transports.for_host("registry-1.docker.io", false).unwrap();
        assert!(docker.limiter.is_some());
        let ghcr = transports.for_host("ghcr.io", false).unwrap();
        assert!(ghcr.limiter.is_none(), "no limit: no limiter");
    }

    #[test]
    fn transient_failures_are_tried_again_within_the_bound() {
        let (n, result) = tries(5, &[true, true]);
        assert_eq!(n, 3);
        assert!(result.is_ok());
        let (n, result) = tries(5, &[false, true]);
        assert_eq!(n, 1, "a final failure is not tried again");
        assert!(matches!(result, Err(Error::Connection { .. })));
        let (n, result) = tries(3, &[true; 10]);
        assert_eq!(n, 3);
        let message = result.unwrap_err().to_string();
        assert!(message.ends_with("(gave up after 3 tries)"), "{message}");
    }

    #[test]
    fn a_try_starts_only_if_it_would_end_within_the_bound() {
        // Tries that each hear nothing for 200 ms, within 500 ms: a second
        // try ends by 400 ms; a third would end by 600 ms: not started.
        let policy = RetryPolicy {
            attempts: 10,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
            max_total: Duration::from_millis(500),
            silent_try: Duration::from_millis(200),
        };
        let (n, result) = retried(policy, |_| async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            Err(Error::TimedOut {
                server: "r".into(),
                what: "GET /v2/".into(),
                waited: Waited::Answer(STALL_WINDOW),
            })
        });
        assert_eq!(n, 2);
        assert_eq!(
            result.unwrap_err().to_string(),
            "GET /v2/: r did not answer within 30 s (gave up after 2 tries)"
        );
    }

    #[test]
    fn a_try_that_outlasted_the_bound_gets_the_bound_afresh() {
        // The first try runs 300 ms (a long transfer) in a 250 ms bound,
        // then is cut: it is tried again, and the quick failures after it
        // are bounded from its end.
        let policy = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
            max_total: Duration::from_millis(250),
            silent_try: Duration::from_millis(10),
        };
        let (n, result) = retried(policy, |i| async move {
            if i == 0 {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(cut(true))
        });
        assert_eq!(n, 3, "the cut long try was tried again");
        assert!(result.is_err());
    }

    #[test]
    fn a_body_moving_under_the_floor_stalls_and_one_above_it_does_not() {
        let start = Instant::now();
        let mut pace = Pace::new(start);
        assert_eq!(pace.deadline(), start + STALL_WINDOW);
        pace.moved(FLOOR_BYTES as usize - 1);
        assert_eq!(pace.deadline(), start + STALL_WINDOW, "under the floor");
        pace.moved(1);
        assert!(pace.deadline() > start + STALL_WINDOW, "a new window");
        assert_eq!(pace.moved, 0);
        // A request's answer: the body first, then the head.
        assert_eq!(pace.head_deadline(COMMIT_WAIT).1, Waited::Upload);
        let ended = Instant::now();
        pace.ended = Some(ended);
        assert_eq!(
            pace.head_deadline(COMMIT_WAIT),
            (ended + COMMIT_WAIT, Waited::Answer(COMMIT_WAIT))
        );
    }

    #[test]
    fn a_paced_body_keeps_its_length_and_bytes_in_pieces_that_grow_while_taken_quickly() {
        let data = bytes::Bytes::from((0..100_000u32).map(|i| i as u8).collect::<Vec<_>>());
        let pace = Arc::new(Mutex::new(Pace::new(Instant::now())));
        let mut body = Paced::new(reqwest::Body::from(data.clone()), pace.clone());
        use http_body::Body as _;
        assert_eq!(body.size_hint().exact(), Some(100_000));
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        while !body.is_end_stream() {
            match Pin::new(&mut body).poll_frame(&mut cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let piece = frame.into_data().unwrap();
                    sizes.push(piece.len());
                    got.extend_from_slice(&piece);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, data);
        // Taken at once: 16, 32 KiB, then the rest (51,152 bytes).
        assert_eq!(sizes, [MIN_SLICE, 2 * MIN_SLICE, 100_000 - 3 * MIN_SLICE]);
        let pace = pace.lock().unwrap();
        assert!(pace.ended.is_some());
        // Counted as handed: 16 KiB, under the floor; 48 KiB, a window
        // reached (the count starts again); then the rest, another.
        assert_eq!(pace.moved, 0);
    }

    #[test]
    fn a_slow_taker_gets_small_pieces_again() {
        let data = bytes::Bytes::from(vec![7u8; 200_000]);
        let pace = Arc::new(Mutex::new(Pace::new(Instant::now())));
        let mut body = Paced::new(reqwest::Body::from(data), pace);
        use http_body::Body as _;
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut next = |body: &mut Paced| match Pin::new(body).poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap().len(),
            other => panic!("{other:?}"),
        };
        assert_eq!(next(&mut body), MIN_SLICE);
        assert_eq!(next(&mut body), 2 * MIN_SLICE);
        assert_eq!(next(&mut body), 4 * MIN_SLICE);
        body.handed = Some(Instant::now() - SLOW - Duration::from_millis(1));
        assert_eq!(next(&mut body), MIN_SLICE, "slow: small again");
    }

    #[test]
    fn waits_name_what_was_waited_for_and_how_long() {
        assert_eq!(
            Waited::Connect.to_string(),
            "did not accept a connection within 10 s"
        );
        assert_eq!(
            Waited::Answer(COMMIT_WAIT).to_string(),
            "did not answer within 120 s"
        );
        assert_eq!(
            Waited::Body.to_string(),
            "sent less than 30 KiB of the answer in 30 s (stalled)"
        );
        assert_eq!(
            Waited::Upload.to_string(),
            "took less than 30 KiB of the upload in 30 s (stalled)"
        );
        assert_eq!(
            Waited::Document.to_string(),
            "did not send the whole answer within 60 s"
        );
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(
                retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 405, 409, 413, 501, 505] {
            assert!(
                !retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
    }
}
