//! The instance pool's slots, counted before a call takes them: a call of
//! a chain of `n` components holds up to `n` instances at once (each layer
//! calls the next from inside its own call), and the pool has room for
//! [`sandbox::INSTANCES`](super::sandbox). Calls from more threads than
//! that wait for a slot here instead of failing to instantiate.
//!
//! A thread that already holds its chain's slots (a delegating layer
//! calling the next) takes none again: its chain was counted whole.

use std::cell::Cell;
use std::sync::{Condvar, Mutex, PoisonError};

thread_local! {
    /// Whether this thread is inside a call that holds its slots.
    static HOLDING: Cell<bool> = const { Cell::new(false) };
}

/// Free instance slots, shared by every thread of a process.
pub(super) struct Slots {
    free: Mutex<u32>,
    freed: Condvar,
    total: u32,
}

impl Slots {
    pub(super) fn new(total: u32) -> Self {
        Self {
            free: Mutex::new(total),
            freed: Condvar::new(),
            total,
        }
    }

    /// The most instances one call may hold: the deepest chain of
    /// components that can run.
    pub(super) fn total(&self) -> u32 {
        self.total
    }

    /// Waits until `layers` slots are free and takes them until the guard
    /// drops; takes none when this thread already holds its call's.
    /// `layers` is at most [`Self::total`] (chains are refused at load
    /// beyond it).
    pub(super) fn hold(&self, layers: u32) -> Held<'_> {
        if HOLDING.get() {
            return Held {
                slots: None,
                layers,
            };
        }
        let layers = layers.min(self.total);
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free < layers {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= layers;
        HOLDING.set(true);
        Held {
            slots: Some(self),
            layers,
        }
    }
}

/// Slots taken by a call, given back when it ends.
pub(super) struct Held<'a> {
    slots: Option<&'a Slots>,
    layers: u32,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(slots) = self.slots {
            HOLDING.set(false);
            *slots.free.lock().unwrap_or_else(PoisonError::into_inner) += self.layers;
            slots.freed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn calls_beyond_the_slots_wait_and_never_exceed_them() {
        let slots = Arc::new(Slots::new(4));
        let in_use = Arc::new(AtomicU32::new(0));
        let most = Arc::new(AtomicU32::new(0));
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..200 {
                        let _held = slots.hold(3);
                        let now = in_use.fetch_add(3, Ordering::SeqCst) + 3;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        in_use.fetch_sub(3, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(
            most.load(Ordering::SeqCst),
            3,
            "two chains of 3 never fit in 4"
        );
        assert_eq!(*slots.free.lock().unwrap(), 4, "every slot given back");
    }

    #[test]
    fn a_nested_call_takes_no_slot_of_its_own() {
        let slots = Slots::new(2);
        let outer = slots.hold(2);
        let inner = slots.hold(2);
        assert!(inner.slots.is_none());
        drop(inner);
        assert!(HOLDING.get(), "still inside the outer call");
        drop(outer);
        assert!(!HOLDING.get());
        assert_eq!(*slots.free.lock().unwrap(), 2);
    }
}
