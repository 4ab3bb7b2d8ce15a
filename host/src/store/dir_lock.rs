//! The one lock ocipipe takes on what other runs of it change in place:
//! an advisory `flock(2)` on a directory, opened read-only, waited for
//! within a bound.
//!
//! Two users: an OCI image layout ([`super::layout_writer`]: exclusive
//! while a writer moves its blobs in and replaces `index.json`, from
//! reading the old index, which the manifest-generation component decides
//! the new one from, to the atomic rename; shared while a writer looks
//! whether the layout already holds a blob, so that it never counts on a
//! blob another writer has moved in but may still take back), and the
//! directory of a small file updated in place ([`super::locked`]: the
//! Docker config `login` and `logout` edit).
//!
//! Why the directory and not a lock file: a file such as `index.json.lock`
//! would be one more entry in the layout, which other OCI tools (umoci's
//! `gc`, skopeo, image-spec validators) would have to know to skip, and
//! which a killed process would leave behind. A `flock` adds nothing, and
//! the kernel releases it when its holder exits, however it exits. It
//! binds only the programs that take it (ocipipe), as every advisory lock
//! does.
//!
//! Must not: decide anything about the directory's contents, or wait
//! without a bound.

use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a run waits for a lock before giving up: a layout's is held
/// only while blobs are renamed and `index.json` replaced, the Docker
/// config's while it is rewritten (and its credential helper runs, itself
/// bounded by the same time), so a longer wait means a holder is stuck
/// (stopped, or on a hung file system).
pub const LOCK_WAIT: Duration = Duration::from_secs(60);

/// The first pause between tries to take a busy lock; it doubles up to
/// [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(2);
/// The longest pause between tries: holders keep the lock for
/// milliseconds, so a waiter should not sleep much longer.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// Failures taking a directory's lock.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The directory could not be opened or locked.
    #[error("cannot lock {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// Another writer held the lock for longer than the bound.
    #[error(
        "timed out after {} s waiting for the lock on {path}: another ocipipe is \
         writing into it (`lslocks` names it); try again when it has finished",
        waited.as_secs()
    )]
    Busy {
        /// The directory.
        path: PathBuf,
        /// How long it waited.
        waited: Duration,
    },
}

/// How a directory is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Looking: what is seen now stays (a layout's blobs).
    Shared,
    /// Changing it (moving blobs in and replacing `index.json`, or
    /// replacing a file).
    Exclusive,
}

/// A held lock on a directory; released when dropped (or when the
/// process exits).
#[derive(Debug)]
pub struct DirLock {
    _dir: File,
}

impl DirLock {
    /// Locks the directory `dir` in `mode`, waiting at most
    /// [`LOCK_WAIT`].
    pub fn take(dir: &Path, mode: Mode) -> Result<Self, Error> {
        Self::take_within(dir, mode, LOCK_WAIT)
    }

    /// Locks `dir` in `mode`, waiting at most `wait`.
    pub fn take_within(dir: &Path, mode: Mode, wait: Duration) -> Result<Self, Error> {
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        let handle = File::open(dir).map_err(io)?;
        let started = Instant::now();
        let mut pause = FIRST_PAUSE;
        loop {
            let tried = match mode {
                Mode::Shared => handle.try_lock_shared(),
                Mode::Exclusive => handle.try_lock(),
            };
            match tried {
                Ok(()) => return Ok(Self { _dir: handle }),
                Err(TryLockError::Error(e)) => return Err(io(e)),
                Err(TryLockError::WouldBlock) => {}
            }
            let waited = started.elapsed();
            if waited >= wait {
                return Err(Error::Busy {
                    path: dir.to_path_buf(),
                    waited,
                });
            }
            std::thread::sleep(pause.min(wait - waited));
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_directory_is_a_clear_error_within_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let other = DirLock::take(dir.path(), Mode::Exclusive).unwrap();
        let bound = Duration::from_millis(300);
        let started = Instant::now();
        let refused = DirLock::take_within(dir.path(), Mode::Shared, bound).unwrap_err();
        let took = started.elapsed();
        assert!(took >= bound && took < bound * 4, "{took:?}");
        let message = refused.to_string();
        assert!(message.contains("waiting for the lock"), "{message}");
        assert!(
            message.contains(&dir.path().display().to_string()),
            "{message}"
        );
        drop(other);
        DirLock::take_within(dir.path(), Mode::Exclusive, bound).unwrap();
    }

    #[test]
    fn shared_locks_go_together_and_keep_a_writer_out() {
        let dir = tempfile::tempdir().unwrap();
        let short = Duration::from_millis(50);
        let first = DirLock::take(dir.path(), Mode::Shared).unwrap();
        let second = DirLock::take_within(dir.path(), Mode::Shared, short).unwrap();
        assert!(DirLock::take_within(dir.path(), Mode::Exclusive, short).is_err());
        drop((first, second));
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
        DirLock::take_within(dir.path(), Mode::Exclusive, short).unwrap();
    }
}
