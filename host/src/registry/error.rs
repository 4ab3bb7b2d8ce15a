//! Registry failures: one line each, naming the registry, the repository,
//! what was asked and what came back, and never a credential.

use super::tls::TlsFailure;
use super::transport::{Receiving, Retry, Waited, retryable_error, retryable_status};
use super::wait::{Most, Secs, asked_wait};
use crate::model::Digest;
use std::time::Duration;

/// Failures talking to a registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The HTTP client could not be made.
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
    /// The registry answered with an error status.
    #[error("{0}")]
    Status(Box<StatusError>),
    /// The registry could not be reached, or the connection broke.
    #[error("{what}: cannot reach {registry}: {message}")]
    Connection {
        /// The registry.
        registry: String,
        /// What was asked.
        what: String,
        /// The cause chain, joined.
        message: String,
        /// Whether another try may work.
        retryable: bool,
    },
    /// A TLS handshake failed in a way another try meets again: an
    /// untrusted certificate, a server speaking plain HTTP, a refused or
    /// missing client certificate.
    #[error("{what}: {failure}")]
    Tls {
        /// The registry.
        registry: String,
        /// What was asked.
        what: String,
        /// What failed, with what the connection trusted.
        failure: Box<TlsFailure>,
    },
    /// A CA, client certificate or key file for a registry cannot be used.
    #[error("{path}: {message}")]
    CertificateFile {
        /// The file (or directory).
        path: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The registry (or its token server) was waited for too long: a
    /// connection, an answer, or a body that stopped moving.
    #[error("{what}: {server} {waited}")]
    TimedOut {
        /// The registry or token server.
        server: String,
        /// What was asked.
        what: String,
        /// What was waited for, and how long.
        waited: Waited,
    },
    /// The registry's answer breaks the protocol.
    #[error("{what}: {registry} answered something the distribution API does not allow: {message}")]
    Protocol {
        /// The registry.
        registry: String,
        /// What was asked.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// Content does not match its digest or size.
    #[error("{what}: the content does not match its descriptor: expected {expected}, got {actual}")]
    Mismatch {
        /// Which content.
        what: String,
        /// What the descriptor says.
        expected: String,
        /// What arrived.
        actual: String,
    },
    /// Reading the content to send, or writing what was received, failed.
    #[error("{what}: {source}")]
    Io {
        /// What was read or written.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Credentials could not be found or read.
    #[error("cannot get the credentials for {server}: {message}")]
    Credentials {
        /// The registry, as the Docker config keys it.
        server: String,
        /// What went wrong (never a secret).
        message: String,
    },
    /// The Docker config or a credential helper failed (boxed: the
    /// variant stays small).
    #[error(transparent)]
    Config(Box<super::credentials::Error>),
    /// The registry asked to wait longer than the retry policy waits (a
    /// `429` or `503` with `Retry-After` or `RateLimit-Reset`): not tried
    /// again early, which would only spend its limit again.
    #[error("{}", wait_refused(error, *asked, *most))]
    WaitRefused {
        /// The registry's answer.
        error: Box<Error>,
        /// How long it asked to wait.
        asked: Duration,
        /// The most the policy waits.
        most: Most,
    },
    /// A transient failure outlived the retry policy.
    #[error("{error} (gave up after {tries} tries)")]
    GaveUp {
        /// The last failure.
        error: Box<Error>,
        /// How many tries were made.
        tries: u32,
    },
}

impl From<super::credentials::Error> for Error {
    fn from(e: super::credentials::Error) -> Self {
        Error::Config(Box::new(e))
    }
}

/// An error status from a registry.
#[derive(Debug)]
pub struct StatusError {
    /// The registry host.
    pub registry: String,
    /// The repository, if the request had one.
    pub repository: Option<String>,
    /// What was asked, e.g. `PUT manifest latest`.
    pub what: String,
    /// The HTTP status.
    pub status: u16,
    /// The first error code of the body, e.g. `MANIFEST_INVALID`.
    pub code: Option<String>,
    /// Its message.
    pub message: Option<String>,
    /// For 401 and 403: which credentials were used and how to log in.
    pub credentials: Option<String>,
    /// How long the registry asked to wait (`Retry-After`, else
    /// `RateLimit-Reset` or `RateLimit`'s `reset`).
    pub retry_after: Option<Duration>,
}

impl std::fmt::Display for StatusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.registry)?;
        if let Some(repository) = &self.repository {
            write!(f, "/{repository}")?;
        }
        let reason = http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        write!(f, ": {} answered HTTP {} {reason}", self.what, self.status)?;
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => write!(f, ": {code}: {message}")?,
            (Some(code), None) => write!(f, ": {code}")?,
            (None, Some(message)) => write!(f, ": {message}")?,
            (None, None) => {}
        }
        if let Some(credentials) = &self.credentials {
            write!(f, " ({credentials})")?;
        }
        Ok(())
    }
}

/// The first entry of a registry's `{"errors": [{"code", "message"}]}`.
fn error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Body {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        code: Option<String>,
        message: Option<String>,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(Body { errors }) => match errors.into_iter().next() {
            Some(e) => (e.code, e.message.filter(|m| !m.is_empty())),
            None => (None, None),
        },
        Err(_) => {
            // Not the registry's JSON (a proxy's page): its first line, short.
            let text = String::from_utf8_lossy(body);
            let line = text.lines().map(str::trim).find(|l| !l.is_empty());
            (None, line.map(|l| l.chars().take(200).collect()))
        }
    }
}

impl Error {
    /// An error for `response`, whose status is not the one expected;
    /// reads (a bounded part of) its body for the registry's error code.
    pub(crate) async fn from_response(
        registry: &str,
        repository: Option<&str>,
        what: &str,
        response: reqwest::Response,
        credentials: Option<String>,
    ) -> Error {
        let status = response.status().as_u16();
        let retry_after = asked_wait(response.headers());
        let body = read_some(response, MAX_ERROR_BODY).await;
        let (code, message) = error_body(&body);
        Error::Status(Box::new(StatusError {
            registry: registry.to_string(),
            repository: repository.map(str::to_string),
            what: what.to_string(),
            status,
            code,
            message,
            credentials: matches!(status, 401 | 403).then_some(credentials).flatten(),
            retry_after,
        }))
    }

    /// A failure of the HTTP client sending `what` to `registry`.
    pub(crate) fn connection(registry: &str, what: &str, e: reqwest::Error) -> Error {
        if let Some(failure) = TlsFailure::of(&e, registry) {
            return Error::Tls {
                registry: registry.to_string(),
                what: what.to_string(),
                failure: Box::new(failure),
            };
        }
        if e.is_connect() && e.is_timeout() {
            return Error::TimedOut {
                server: registry.to_string(),
                what: what.to_string(),
                waited: Waited::Connect,
            };
        }
        let retryable = retryable_error(&e);
        let e = e.without_url();
        let mut message = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            let text = c.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            cause = c.source();
        }
        Error::Connection {
            registry: registry.to_string(),
            what: what.to_string(),
            message,
            retryable,
        }
    }

    /// Content that hashed to `actual` where `expected` was described.
    pub(crate) fn digest_mismatch(
        what: impl Into<String>,
        expected: &Digest,
        actual: &Digest,
    ) -> Error {
        Error::Mismatch {
            what: what.into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        }
    }

    /// The HTTP status, for an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status(s) => Some(s.status),
            Error::GaveUp { error, .. } | Error::WaitRefused { error, .. } => error.status(),
            _ => None,
        }
    }

    /// Whether another try may succeed, and after how long.
    pub(crate) fn retry(&self) -> Retry {
        match self {
            Error::Status(s)
                if retryable_status(
                    http::StatusCode::from_u16(s.status).unwrap_or(http::StatusCode::OK),
                ) =>
            {
                Retry::After(s.retry_after)
            }
            Error::Connection {
                retryable: true, ..
            }
            | Error::TimedOut { .. } => Retry::After(None),
            _ => Retry::Never,
        }
    }

    /// This error, noting that the registry asked to wait `asked`, more
    /// than the policy's `most`.
    pub(crate) fn wait_refused(self, asked: Duration, most: Most) -> Error {
        Error::WaitRefused {
            error: Box::new(self),
            asked,
            most,
        }
    }

    /// This error, noting that it was the last of `tries`.
    pub(crate) fn gave_up(self, tries: u32) -> Error {
        if tries <= 1 {
            return self;
        }
        Error::GaveUp {
            error: Box::new(self),
            tries,
        }
    }
}

/// The one line of [`Error::WaitRefused`]: the registry's answer, that
/// it is rate-limited (a `429`), the wait asked and the most given, and
/// what the user can do.
fn wait_refused(error: &Error, asked: Duration, most: Most) -> String {
    let asked = Secs(asked);
    match (error, error.status()) {
        (Error::Status(s), Some(429)) => format!(
            "{error}: rate-limited: {} asks to wait {asked}, and ocipipe waits at most {most}; \
             try again later, or give {} a lower budget (requests-per-second)",
            s.registry, s.registry
        ),
        _ => format!(
            "{error}: it asks to wait {asked}, and ocipipe waits at most {most}; try again later"
        ),
    }
}

/// The most of an error body read for its code and message: a registry's
/// JSON error is a few hundred bytes; a proxy's page is cut short.
const MAX_ERROR_BODY: usize = 64 << 10;

/// Up to `limit` bytes of a body, within the transport's waits for a
/// document; what cannot be read in time is left out.
async fn read_some(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut receiving = Receiving::document();
    let mut body = Vec::new();
    while body.len() < limit {
        // A failure only ends the reading (what was read is kept): no
        // names are needed for it.
        match receiving.next(&mut response, "", "").await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk[..chunk.len().min(limit - body.len())])
            }
            _ => break,
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, body: &[u8], credentials: Option<&str>) -> String {
        let (code, message) = error_body(body);
        StatusError {
            registry: "127.0.0.1:5000".into(),
            repository: Some("team/app".into()),
            what: "PUT manifest latest".into(),
            status,
            code,
            message,
            credentials: credentials.map(str::to_string),
            retry_after: None,
        }
        .to_string()
    }

    #[test]
    fn a_status_error_names_registry_repository_status_and_the_registrys_words() {
        assert_eq!(
            status(400, br#"{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid","detail":{}}]}"#, None),
            "127.0.0.1:5000/team/app: PUT manifest latest answered HTTP 400 Bad Request: MANIFEST_INVALID: manifest invalid"
        );
        assert_eq!(
            status(403, br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
                Some("used the credentials for 127.0.0.1:5000 in /home/u/.docker/config.json; log in with: ocipipe login 127.0.0.1:5000")),
            "127.0.0.1:5000/team/app: PUT manifest latest answered HTTP 403 Forbidden: DENIED: requested access to the resource is denied \
             (used the credentials for 127.0.0.1:5000 in /home/u/.docker/config.json; log in with: ocipipe login 127.0.0.1:5000)"
        );
        assert_eq!(
            status(502, b"<html>\n<h1>Bad gateway</h1>", None),
            "127.0.0.1:5000/team/app: PUT manifest latest answered HTTP 502 Bad Gateway: <html>"
        );
        assert_eq!(
            status(404, b"", None),
            "127.0.0.1:5000/team/app: PUT manifest latest answered HTTP 404 Not Found"
        );
    }
}
