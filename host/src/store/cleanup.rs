//! Temporary outputs removed when the process is interrupted: every
//! temporary file or directory an output writes before it is renamed into
//! place is registered here while it exists, and so is every blob a copy
//! adds to an existing layout until the `index.json` that refers to it is
//! in place. On SIGINT or SIGTERM the handler removes what is registered
//! and exits with 128 + the signal (130, 143), as a shell reports a
//! process killed by it. Without this, an interrupted build leaves hidden
//! `.ocipipe-*` files beside the target, which a later `--layer .` would
//! pick up.
//!
//! Child processes that must not outlive an interrupt (a `cargo build`
//! writing a component after `ocipipe` is gone) are registered too, each
//! in a process group of its own: the handler sends the signal to the
//! group before it exits.
//!
//! Must not: remove anything it was not given, or decide what an output
//! is; it only keeps the lists and empties them on a signal.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// One registered path; `live` is cleared when its [`Registered`] drops.
/// A flag, not a removal from the list, so that a registration can end
/// while the list is locked (inside [`settle`]).
#[derive(Debug)]
struct Entry {
    path: PathBuf,
    live: AtomicBool,
}

/// The registered paths; entries whose registration ended are dropped
/// when the list has doubled since it was last tidied.
struct Paths {
    entries: Vec<Arc<Entry>>,
    tidy_at: usize,
}

/// Entries kept before the first tidying.
const FIRST_TIDY: usize = 64;

static REGISTERED: Mutex<Paths> = Mutex::new(Paths {
    entries: Vec::new(),
    tidy_at: FIRST_TIDY,
});

fn locked() -> MutexGuard<'static, Paths> {
    REGISTERED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps a temporary path registered until dropped.
#[derive(Debug)]
pub struct Registered(Arc<Entry>);

/// Registers `path` (a file or a directory) for removal on an interrupt.
pub fn register(path: &Path) -> Registered {
    push(&mut locked(), path)
}

fn push(paths: &mut Paths, path: &Path) -> Registered {
    if paths.entries.len() >= paths.tidy_at {
        paths.entries.retain(|e| e.live.load(Ordering::SeqCst));
        paths.tidy_at = (paths.entries.len() * 2).max(FIRST_TIDY);
    }
    let entry = Arc::new(Entry {
        path: path.to_path_buf(),
        live: AtomicBool::new(true),
    });
    paths.entries.push(entry.clone());
    Registered(entry)
}

/// Makes a temporary file or directory with `make` and registers the path
/// `path_of` gives, with no interrupt able to come between: an interrupt
/// that arrives meanwhile waits, then removes it.
pub fn create<T>(
    make: impl FnOnce() -> std::io::Result<T>,
    path_of: impl FnOnce(&T) -> &Path,
) -> std::io::Result<(T, Registered)> {
    let mut paths = locked();
    let made = make()?;
    let id = push(&mut paths, path_of(&made));
    Ok((made, id))
}

/// Runs `step` (the rename that makes an output final) and, if it
/// succeeds, ends the registrations in `done`, with no interrupt able to
/// come between: an interrupt either finds the output as it was and
/// removes everything registered, or finds it final and removes none of
/// `done`. When `step` fails, `done` stays registered. `step` must not
/// register anything (the list is locked).
pub fn settle<T>(
    done: &mut Vec<Registered>,
    step: impl FnOnce() -> std::io::Result<T>,
) -> std::io::Result<T> {
    let _paths = locked();
    let made = step()?;
    done.clear();
    Ok(made)
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.0.live.store(false, Ordering::SeqCst);
    }
}

/// The process groups of registered children.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn children() -> MutexGuard<'static, Vec<u32>> {
    CHILDREN.lock().unwrap_or_else(|e| e.into_inner())
}

/// A child process group that an interrupt stops with this process;
/// registered until dropped.
#[derive(Debug)]
pub struct ChildGroup(u32);

/// Spawns `command` as the leader of a process group of its own and
/// registers the group, with no interrupt able to come between: on SIGINT
/// or SIGTERM the whole group gets the same signal.
pub fn spawn_child(
    command: &mut std::process::Command,
) -> std::io::Result<(std::process::Child, ChildGroup)> {
    use std::os::unix::process::CommandExt as _;
    let mut groups = children();
    let child = command.process_group(0).spawn()?;
    groups.push(child.id());
    let group = ChildGroup(child.id());
    Ok((child, group))
}

impl Drop for ChildGroup {
    fn drop(&mut self) {
        children().retain(|pid| *pid != self.0);
    }
}

/// Sends `signal` to the group of every registered child.
fn signal_children(signal: i32) {
    for pid in children().iter() {
        if let Ok(pid) = i32::try_from(*pid) {
            // Safety: only sends a signal; a group that is gone is ESRCH.
            unsafe { libc::kill(-pid, signal) };
        }
    }
}

/// Removes everything registered (best effort), and keeps the registry
/// locked: the process is about to exit, and no new temporary path may be
/// made meanwhile.
fn remove_all() -> MutexGuard<'static, Paths> {
    let paths = locked();
    for entry in paths
        .entries
        .iter()
        .filter(|e| e.live.load(Ordering::SeqCst))
    {
        let path = &entry.path;
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => {
                // Unpacked trees can hold read-only directories.
                let _ = make_writable(path);
                let _ = std::fs::remove_dir_all(path);
            }
            Ok(_) => {
                let _ = std::fs::remove_file(path);
            }
            Err(_) => {}
        }
    }
    paths
}

fn make_writable(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o700))?;
            make_writable(&entry.path())?;
        }
    }
    Ok(())
}

/// The signal that arrived (0: none yet), set before anything is removed.
static SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// Cleans up and exits on SIGINT or SIGTERM, from the background thread
/// ([`crate::background`]). Call once, first thing in `main`, and call
/// [`wait_if_interrupted`] before `main` returns.
pub fn install_signal_handler() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    crate::background::on_signals(&[SIGINT, SIGTERM], |signal| {
        SIGNAL.store(signal, Ordering::SeqCst);
        signal_children(signal);
        let _held = remove_all();
        std::process::exit(128 + signal);
    })
}

/// Once an interrupt has arrived, never returns: the handler is removing
/// the temporary outputs (which may be why the run has just failed) and
/// exits with 128 + the signal. Without this wait, `main` could return
/// first, with the run's own code and an error about a file the handler
/// took away.
pub fn wait_if_interrupted() {
    let signal = SIGNAL.load(Ordering::SeqCst);
    if signal != 0 {
        // The handler holds the list until it exits the process.
        let _held = locked();
        std::process::exit(128 + signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_paths_are_removed_and_dropped_ones_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let (kept, removed, tree) = (
            dir.path().join("kept"),
            dir.path().join("removed"),
            dir.path().join("tree"),
        );
        std::fs::write(&kept, b"k").unwrap();
        std::fs::write(&removed, b"r").unwrap();
        std::fs::create_dir_all(tree.join("a/b")).unwrap();
        std::fs::write(tree.join("a/b/f"), b"f").unwrap();
        drop(register(&kept));
        let _removed = register(&removed);
        let _tree = register(&tree);
        drop(remove_all());
        assert!(kept.exists());
        assert!(!removed.exists());
        assert!(!tree.exists());
    }

    #[test]
    fn settling_ends_registrations_only_when_the_step_succeeds() {
        let live = |r: &Registered| r.0.live.load(Ordering::SeqCst);
        let dir = tempfile::tempdir().unwrap();
        let mut done = vec![register(&dir.path().join("blob"))];
        let entry = done[0].0.clone();
        let failed = settle(&mut done, || Err::<(), _>(std::io::Error::other("no")));
        assert!(failed.is_err());
        assert!(live(&done[0]), "a failed step keeps its paths registered");
        settle(&mut done, || Ok(())).unwrap();
        assert!(done.is_empty());
        assert!(!entry.live.load(Ordering::SeqCst));
        // A registration may end while the list is locked.
        let inner = register(&dir.path().join("tmp"));
        settle(&mut Vec::new(), || {
            drop(inner);
            Ok(())
        })
        .unwrap();
    }
}
