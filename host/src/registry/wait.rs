//! What a registry asks about waiting before the next try: `Retry-After`
//! (seconds or an HTTP date), else the IETF RateLimit draft's
//! `RateLimit-Reset` (seconds), else the `reset=N` (or the later draft's
//! `t=N`) parameter of its `RateLimit` header; and how a wait the retry
//! policy cannot give is put to the user.
//!
//! Owns: reading those headers, and the words of a refused wait.
//!
//! Must not: wait, or decide whether a wait is given (the transport's
//! retry loop does, under its policy).

use std::time::{Duration, SystemTime};

/// The wait `headers` ask for, from now: `Retry-After` first (the HTTP
/// standard), then `RateLimit-Reset`, then `RateLimit`'s `reset`/`t`.
pub(crate) fn asked_wait(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    header("retry-after")
        .and_then(retry_after)
        .or_else(|| header("ratelimit-reset").and_then(seconds))
        .or_else(|| header("ratelimit").and_then(ratelimit_reset))
}

/// `Retry-After`: seconds, or an HTTP date (one past is no wait).
fn retry_after(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Non-negative delta seconds, whole or not.
fn seconds(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    Duration::try_from_secs_f64(seconds).ok()
}

/// The `reset` (or `t`) parameter of `RateLimit: limit=10, remaining=0,
/// reset=5` (or `"default";r=0;t=5`).
fn ratelimit_reset(value: &str) -> Option<Duration> {
    value
        .split([',', ';'])
        .filter_map(|param| param.split_once('='))
        .find(|(key, _)| matches!(key.trim(), "reset" | "t"))
        .and_then(|(_, value)| seconds(value))
}

/// The most the policy waits, when a registry asked for more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Most {
    /// This long at a time (the policy's longest single wait).
    Each(Duration),
    /// This long in all for one request, its tries and waits together.
    InAll(Duration),
}

impl std::fmt::Display for Most {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Most::Each(d) => write!(f, "{} at a time", Secs(*d)),
            Most::InAll(d) => write!(f, "{} in all for a request", Secs(*d)),
        }
    }
}

/// A duration as a person reads it: `3600 s`, `1.5 s`, `5 ms`.
pub(crate) struct Secs(pub Duration);

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 < Duration::from_secs(1) && !self.0.is_zero() {
            write!(f, "{} ms", self.0.as_millis())
        } else if self.0.subsec_millis() == 0 {
            write!(f, "{} s", self.0.as_secs())
        } else {
            write!(f, "{:.1} s", self.0.as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let asked = |value: &str| asked_wait(&headers(&[("retry-after", value)]));
        assert_eq!(asked("3"), Some(Duration::from_secs(3)));
        let later = SystemTime::now() + Duration::from_secs(30);
        let wait = asked(&httpdate::fmt_http_date(later)).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        let past = SystemTime::now() - Duration::from_secs(30);
        assert_eq!(asked(&httpdate::fmt_http_date(past)), Some(Duration::ZERO));
        assert_eq!(asked("soon"), None);
        assert_eq!(asked_wait(&HeaderMap::new()), None);
    }

    #[test]
    fn ratelimit_reset_and_the_ratelimit_headers_reset_are_waits_too() {
        let asked = |pairs: &[(&str, &str)]| asked_wait(&headers(pairs));
        assert_eq!(
            asked(&[("ratelimit-reset", "7")]),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            asked(&[("ratelimit-reset", "0.5")]),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            asked(&[("ratelimit", "limit=10, remaining=0, reset=12")]),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            asked(&[("ratelimit", r#""default";r=0;t=4"#)]),
            Some(Duration::from_secs(4))
        );
        // Retry-After, the standard, wins.
        assert_eq!(
            asked(&[("retry-after", "2"), ("ratelimit-reset", "60")]),
            Some(Duration::from_secs(2))
        );
        for nonsense in [("ratelimit-reset", "-3"), ("ratelimit", "limit=10")] {
            assert_eq!(asked(&[nonsense]), None, "{nonsense:?}");
        }
    }

    #[test]
    fn the_most_the_policy_waits_reads_in_seconds() {
        assert_eq!(
            Most::Each(Duration::from_secs(10)).to_string(),
            "10 s at a time"
        );
        assert_eq!(
            Most::InAll(Duration::from_millis(1500)).to_string(),
            "1.5 s in all for a request"
        );
        assert_eq!(
            Most::Each(Duration::from_millis(5)).to_string(),
            "5 ms at a time"
        );
    }
}
