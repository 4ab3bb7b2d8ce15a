//! One writer per blob and repository among the pushes of a run (the
//! images of a `sync` go up several at once, and the tags of a repository
//! share their base layers). A registry writes a repository's link to a
//! blob each time the blob is sent or mounted there, and distribution's
//! filesystem storage (registry 2.x) rewrites that file in place: a
//! manifest `PUT` that checks its blobs meanwhile may read the link empty
//! and be refused (`DIGEST_INVALID`). So the first push to look for a blob
//! holds it until it is there; the others wait, then skip it: each blob is
//! sent (or mounted) once, and no link is rewritten under a manifest.
//!
//! A hold lasts from [`BlobGates::hold`] to [`BlobGates::release`], which
//! the destination calls within one blob's look-up and put: a holder never
//! waits for another blob, so the waits cannot form a cycle.

use crate::model::Digest;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

/// The blobs of a registry's repositories being looked for or put in this
/// run, and those known to be there.
#[derive(Default)]
pub struct BlobGates {
    state: Mutex<HashMap<(String, Digest), Gate>>,
    changed: Condvar,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// A push is looking for it or putting it.
    Held,
    /// It is in the repository (put, mounted or found in this run).
    There,
}

impl BlobGates {
    /// Waits while another push holds `blob` of `repository`; true when it
    /// is known to be there, false when the caller now holds it (and must
    /// [`release`](Self::release) it).
    pub fn hold(&self, repository: &str, blob: &Digest) -> bool {
        let key = (repository.to_string(), blob.clone());
        let mut state = self.state.lock().expect("not poisoned");
        loop {
            match state.get(&key) {
                Some(Gate::There) => return true,
                Some(Gate::Held) => state = self.changed.wait(state).expect("not poisoned"),
                None => {
                    state.insert(key, Gate::Held);
                    return false;
                }
            }
        }
    }

    /// Ends the hold of `blob` of `repository`: it is there, or (a failed
    /// look-up or put) the next push to need it tries itself.
    pub fn release(&self, repository: &str, blob: &Digest, there: bool) {
        let key = (repository.to_string(), blob.clone());
        let mut state = self.state.lock().expect("not poisoned");
        if there {
            state.insert(key, Gate::There);
        } else {
            state.remove(&key);
        }
        drop(state);
        self.changed.notify_all();
    }
}

impl std::fmt::Debug for BlobGates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.state.lock().map(|s| s.len()).unwrap_or(0);
        write!(f, "BlobGates({n})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn digest(c: char) -> Digest {
        format!("sha256:{}", c.to_string().repeat(64))
            .parse()
            .unwrap()
    }

    #[test]
    fn many_pushes_of_one_blob_send_it_once_and_a_failure_hands_it_on() {
        let gates = BlobGates::default();
        let sent = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    if !gates.hold("app", &digest('a')) {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        sent.fetch_add(1, Ordering::SeqCst);
                        gates.release("app", &digest('a'), true);
                    }
                });
            }
        });
        assert_eq!(sent.load(Ordering::SeqCst), 1);
        // Another repository, or a hold released on failure, is not there.
        assert!(!gates.hold("other", &digest('a')));
        gates.release("other", &digest('a'), false);
        assert!(!gates.hold("other", &digest('a')));
    }
}
