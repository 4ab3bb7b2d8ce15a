//! Per-registry budgets: at most so many requests in flight to a host,
//! and requests started no faster than so many a second (a sync file's
//! `registries:`), so a run stays under a registry's own limits instead
//! of tripping them and being told to wait.
//!
//! Owns: what a budget is ([`Budget`]), the state one host's requests
//! share ([`Limiter`]: a semaphore for the concurrency, the next start
//! for the rate), and the slot a request holds ([`Slot`]).
//!
//! A request holds its slot from before it is sent until its answer's
//! head arrives: an upload's body is sent before that head, so an upload
//! counts whole; a download's body does not count. Holding a slot across
//! a download's body would deadlock a blob copied within one registry
//! (or two copies crossing between two): the download streams into the
//! upload that reads it, and once every slot is held by such downloads
//! their uploads wait for a slot forever. Released at the head, the
//! download's bytes are still paced by the upload that takes them.
//! A registry's token requests and its redirected downloads go through
//! its transport, so they count in its budget too. Each try of a retried
//! request waits its turn again.
//!
//! Must not: know what a request is for, or retry; the transport sends,
//! this module only makes it wait its turn.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one registry host is allowed: each limit optional (none: as many
/// and as fast as the copies ask).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Budget {
    /// Requests started per second at most (> 0).
    pub requests_per_second: Option<f64>,
    /// Requests in flight at once at most (> 0).
    pub concurrency: Option<usize>,
}

/// The shared state of one host's budget: every clone of its transport
/// waits on the same one.
#[derive(Debug)]
pub(crate) struct Limiter {
    /// The concurrency, if limited.
    slots: Option<Arc<tokio::sync::Semaphore>>,
    /// The time between two starts, if the rate is limited, and when the
    /// next may start (requests are spaced evenly: no burst, so a rate a
    /// registry counts in any window is kept).
    spacing: Option<(Duration, Mutex<Instant>)>,
}

/// A request's turn: its concurrency slot (if limited), given back when
/// dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    _permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Limiter {
    /// The limiter of `budget` for `host` (as named in warnings); none
    /// when it limits nothing. A limit that is not positive (or a rate so
    /// small that its spacing overflows) is ignored with a warning: the
    /// sync file's check refuses them before this.
    pub(crate) fn new(host: &str, budget: Budget) -> Option<Arc<Self>> {
        let concurrency = budget.concurrency.filter(|&n| {
            let ok = n > 0;
            if !ok {
                tracing::warn!(host, "a concurrency of 0 is no limit");
            }
            ok
        });
        let spacing = budget.requests_per_second.and_then(|rate| {
            let spacing = (rate.is_finite() && rate > 0.0)
                .then(|| Duration::try_from_secs_f64(1.0 / rate).ok())
                .flatten();
            if spacing.is_none() {
                tracing::warn!(
                    host,
                    rate,
                    "a request rate that is not a positive number is no limit"
                );
            }
            spacing
        });
        if concurrency.is_none() && spacing.is_none() {
            return None;
        }
        Some(Arc::new(Self {
            slots: concurrency.map(|n| Arc::new(tokio::sync::Semaphore::new(n))),
            spacing: spacing.map(|s| (s, Mutex::new(Instant::now()))),
        }))
    }

    /// Waits for a free slot, then for the request's start time; the slot
    /// is held until the returned one is dropped. (The slot first: a
    /// request waiting for one takes no start time that would go unused.)
    pub(crate) async fn turn(&self) -> Slot {
        let permit = match &self.slots {
            Some(slots) => Some(
                slots
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed"),
            ),
            None => None,
        };
        if let Some((spacing, next)) = &self.spacing {
            let start = {
                let mut next = next.lock().expect("not poisoned");
                let start = (*next).max(Instant::now());
                *next = start + *spacing;
                start
            };
            tokio::time::sleep_until(start.into()).await;
        }
        Slot { _permit: permit }
    }
}

#[cfg(test)]
mod tests;
