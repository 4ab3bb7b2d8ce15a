//! The one HTTP layer: a client per registry host, the `User-Agent`, and
//! the only retry loop of the registry code.
//!
//! Owns: the HTTP client's options (set in one place, [`Transport::new`]),
//! one client per host made on first use (each trusting what
//! [`super::tls`] says for that host), which failures are worth another
//! try (408, 429, 500, 502, 503, 504 and connection errors; never a TLS
//! failure: a certificate does not heal), how long to wait (exponential
//! backoff with jitter, or the registry's `Retry-After`), and when to give
//! up (a bound on tries and on total time).
//!
//! Must not: know about blobs, manifests or tokens; the protocol and auth
//! modules describe requests, this module sends them.

use super::Error;
use super::tls::{self, HostTls, HostTrust, Roots, TlsSettings};
use reqwest::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// How hard to try before failing.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// The wait before the second try; each later wait doubles it.
    pub base_delay: Duration,
    /// The longest single wait, `Retry-After` included.
    pub max_delay: Duration,
    /// No try starts after this much time since the first.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    /// Five tries, 250 ms doubling to at most 10 s a wait, within 2 min:
    /// crane and regclient try 3–5 times with the same kind of backoff.
    fn default() -> Self {
        Self {
            attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_total: Duration::from_secs(120),
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
            }),
        })
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
        let transport = Transport::new(shared.policy.clone(), tls)?;
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
    fn new(policy: RetryPolicy, tls: HostTls) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("ocipipe/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(16)
            .tls_backend_preconfigured(tls.config)
            .build()
            .map_err(|e| Error::Client(e.to_string()))?;
        Ok(Self {
            client,
            policy,
            trust: tls.trust,
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
        let start = Instant::now();
        let mut tries = 0u32;
        loop {
            tries += 1;
            let error = match attempt().await {
                Ok(value) => return Ok(value),
                Err(e) => tls::explain(e, &self.trust),
            };
            let after = match error.retry() {
                Retry::Never => return Err(error),
                Retry::After(after) => after,
            };
            let backoff = self
                .policy
                .base_delay
                .saturating_mul(1 << (tries - 1).min(16))
                .min(self.policy.max_delay);
            // Full jitter on our own backoff; the registry's wish is kept.
            let wait = match after {
                Some(after) => after.min(self.policy.max_delay),
                None => backoff.mul_f64(0.5 + unit_random() / 2.0),
            };
            if tries >= self.policy.attempts || start.elapsed() + wait > self.policy.max_total {
                return Err(error.gave_up(tries));
            }
            tracing::warn!(%error, try_ = tries, wait_ms = wait.as_millis() as u64, "{what}: trying again");
            tokio::time::sleep(wait).await;
        }
    }
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

/// `Retry-After`, in seconds or as an HTTP date, as a wait from now.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A number in [0, 1] for jitter; 0.5 when the OS has no randomness.
fn unit_random() -> f64 {
    getrandom::u64().map_or(0.5, |r| r as f64 / u64::MAX as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        assert_eq!(retry_after(&headers("3")), Some(Duration::from_secs(3)));
        let later = SystemTime::now() + Duration::from_secs(30);
        let wait = retry_after(&headers(&httpdate::fmt_http_date(later))).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        let past = SystemTime::now() - Duration::from_secs(30);
        assert_eq!(
            retry_after(&headers(&httpdate::fmt_http_date(past))),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("soon")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    fn cut(retryable: bool) -> Error {
        Error::Connection {
            registry: "r".into(),
            what: "GET /v2/".into(),
            message: "reset".into(),
            retryable,
        }
    }

    /// Runs `retrying` with `answers` (true: a retryable failure, false: a
    /// final one) until they run out (then success); the tries and result.
    fn tries(attempts: u32, answers: &[bool]) -> (u32, Result<(), Error>) {
        let policy = RetryPolicy {
            attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_total: Duration::from_secs(5),
        };
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
        let result = runtime.block_on(transport.retrying("test", || async {
            let i = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) as usize;
            match answers.get(i) {
                Some(&retryable) => Err(cut(retryable)),
                None => Ok(()),
            }
        }));
        (count.into_inner(), result)
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
