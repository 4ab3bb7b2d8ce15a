//! Budgets alone, then against the in-process registry: the requests it
//! answers at once and the pace they come at; and the waits a registry
//! asks for, waited out or refused.

use super::*;
use crate::registry::test_registry::{Auth, TestRegistry, test_policy, transports};
use crate::registry::{Error, Repository, RetryPolicy, Scope};

#[test]
fn a_budget_that_limits_nothing_makes_no_limiter() {
    assert!(Limiter::new("h", Budget::default()).is_none());
    let nonsense = Budget {
        requests_per_second: Some(f64::NAN),
        concurrency: Some(0),
    };
    assert!(Limiter::new("h", nonsense).is_none());
    let tiny = Budget {
        requests_per_second: Some(1e-300),
        concurrency: None,
    };
    assert!(
        Limiter::new("h", tiny).is_none(),
        "a spacing that overflows"
    );
}

#[tokio::test]
async fn starts_are_spaced_evenly_and_slots_are_given_back_when_dropped() {
    let budget = Budget {
        requests_per_second: Some(100.0),
        concurrency: Some(2),
    };
    let limiter = Limiter::new("h", budget).unwrap();
    let started = Instant::now();
    let first = limiter.turn().await;
    let second = limiter.turn().await;
    // Both slots are held: a third waits until one is given back.
    let third = tokio::time::timeout(Duration::from_millis(50), limiter.turn()).await;
    assert!(third.is_err(), "a third slot while two are held");
    drop(first);
    let _third = limiter.turn().await;
    drop(second);
    let _fourth = limiter.turn().await;
    // Four starts 10 ms apart (the refused wait took none).
    assert!(started.elapsed() >= Duration::from_millis(30));
}
const APP: &str = "team/app";

/// A registry whose `team/app` has a small index tagged `v1`.
fn registry() -> TestRegistry {
    let registry = TestRegistry::start(Auth::None);
    let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    registry.add_manifest(
        APP,
        Some("v1"),
        "application/vnd.oci.image.index.v1+json",
        index,
    );
    registry
}

/// `team/app` of `registry`, through transports retrying under `policy`
/// with `budgets` (hosts as a user names them).
fn app(registry: &TestRegistry, policy: RetryPolicy, budgets: Vec<(String, Budget)>) -> Repository {
    let client = registry.client_through(&transports(policy).with_budgets(budgets), None);
    client.repository(APP, vec![Scope::repository(APP, &["pull"])])
}

/// `n` HEADs of `v1` at once; each must find it.
async fn heads(app: &Repository, n: usize) {
    let all = futures_util::future::join_all((0..n).map(|_| app.manifest_head("v1"))).await;
    for head in all {
        assert!(head.unwrap().is_some());
    }
}

#[tokio::test]
async fn requests_in_flight_to_a_host_never_exceed_its_concurrency() {
    let limited = registry();
    limited.behave(|b| b.delay = Duration::from_millis(30));
    let budget = Budget {
        requests_per_second: None,
        concurrency: Some(2),
    };
    heads(
        &app(&limited, test_policy(), vec![(limited.host(), budget)]),
        8,
    )
    .await;
    assert_eq!(limited.most_in_flight(), 2);
    // Without the budget, the same requests overlap more.
    let free = registry();
    free.behave(|b| b.delay = Duration::from_millis(30));
    heads(&app(&free, test_policy(), Vec::new()), 8).await;
    assert!(free.most_in_flight() > 2, "{}", free.most_in_flight());
}

#[tokio::test]
async fn requests_to_a_host_start_no_faster_than_its_rate() {
    let registry = registry();
    let budget = Budget {
        requests_per_second: Some(20.0),
        concurrency: None,
    };
    let paced = app(&registry, test_policy(), vec![(registry.host(), budget)]);
    let started = Instant::now();
    heads(&paced, 10).await;
    // The ping and ten HEADs, 50 ms apart: at least 0.5 s.
    assert_eq!(registry.log().len(), 11);
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    // A budget for another host leaves this one alone.
    let other = vec![("other.example:5000".to_string(), budget)];
    let free = app(&registry, test_policy(), other);
    let started = Instant::now();
    heads(&free, 10).await;
    assert!(
        started.elapsed() < Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
}

/// A policy waiting up to 2 s at a time, 20 s in all.
fn patient() -> RetryPolicy {
    RetryPolicy {
        max_delay: Duration::from_secs(2),
        ..test_policy()
    }
}

#[tokio::test]
async fn a_short_ratelimit_reset_is_waited_out() {
    let registry = registry();
    let app = app(&registry, patient(), Vec::new());
    assert!(app.manifest_head("v1").await.unwrap().is_some(), "pinged");
    registry.behave(|b| {
        b.rate_limited = 1;
        b.rate_limit_reset = "1".into();
    });
    let started = Instant::now();
    assert!(app.manifest_head("v1").await.unwrap().is_some());
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    let statuses: Vec<_> = registry.log().iter().map(|l| l.status).collect();
    assert_eq!(statuses, [Some(200), Some(200), Some(429), Some(200)]);
}

#[tokio::test]
async fn a_ratelimit_reset_longer_than_the_policy_waits_fails_at_once_saying_so() {
    let registry = registry();
    let app = app(&registry, patient(), Vec::new());
    assert!(app.manifest_head("v1").await.unwrap().is_some(), "pinged");
    registry.behave(|b| {
        b.rate_limited = 5;
        b.rate_limit_reset = "3600".into();
    });
    let started = Instant::now();
    let e = app.manifest_head("v1").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "not waited");
    assert!(matches!(e, Error::WaitRefused { .. }), "{e:?}");
    assert_eq!(e.status(), Some(429));
    let host = registry.host();
    assert_eq!(
        e.to_string(),
        format!(
            "{host}/team/app: HEAD manifest v1 answered HTTP 429 Too Many Requests: \
             rate-limited: {host} asks to wait 3600 s, and ocipipe waits at most 2 s at a time; \
             try again later, or give {host} a lower budget (requests-per-second)"
        )
    );
    assert_eq!(registry.log().len(), 3, "not tried again");
}

#[tokio::test]
async fn a_wait_that_would_end_past_the_total_bound_is_refused_too() {
    let registry = registry();
    let policy = RetryPolicy {
        max_delay: Duration::from_secs(10),
        max_total: Duration::from_secs(3),
        ..test_policy()
    };
    let app = app(&registry, policy, Vec::new());
    assert!(app.manifest_head("v1").await.unwrap().is_some(), "pinged");
    registry.behave(|b| {
        b.rate_limited = 1;
        b.rate_limit_reset = "5".into();
    });
    let e = app.manifest_head("v1").await.unwrap_err();
    assert!(
        e.to_string()
            .contains("asks to wait 5 s, and ocipipe waits at most 3 s in all for a request"),
        "{e}"
    );
}
