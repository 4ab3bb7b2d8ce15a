//! Temporary outputs removed when the process is interrupted: every
//! temporary file or directory an output writes before it is renamed into
//! place is registered here while it exists. On SIGINT or SIGTERM the
//! handler removes what is registered and exits with 128 + the signal
//! (130, 143), as a shell reports a process killed by it. Without this, an
//! interrupted build leaves hidden `.ocipipe-*` files beside the target,
//! which a later `--layer .` would pick up.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static REGISTERED: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Keeps a temporary path registered until dropped.
#[derive(Debug)]
pub struct Registered(u64);

/// Registers `path` (a file or a directory) for removal on an interrupt.
pub fn register(path: &Path) -> Registered {
    let mut registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    push(&mut registered, path)
}

fn push(registered: &mut Vec<(u64, PathBuf)>, path: &Path) -> Registered {
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    registered.push((id, path.to_path_buf()));
    Registered(id)
}

/// Makes a temporary file or directory with `make` and registers the path
/// `path_of` gives, with no interrupt able to come between: an interrupt
/// that arrives meanwhile waits, then removes it.
pub fn create<T>(
    make: impl FnOnce() -> std::io::Result<T>,
    path_of: impl FnOnce(&T) -> &Path,
) -> std::io::Result<(T, Registered)> {
    let mut registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    let made = make()?;
    let id = push(&mut registered, path_of(&made));
    Ok((made, id))
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
        registered.retain(|(id, _)| *id != self.0);
    }
}

/// Removes everything registered (best effort), and keeps the registry
/// locked: the process is about to exit, and no new temporary path may be
/// made meanwhile.
fn remove_all() -> std::sync::MutexGuard<'static, Vec<(u64, PathBuf)>> {
    let registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    for (_, path) in registered.iter() {
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
    registered
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

/// Starts the thread that cleans up and exits on SIGINT or SIGTERM. Call
/// once, first thing in `main`.
pub fn install_signal_handler() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("ocipipe-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let _held = remove_all();
                std::process::exit(128 + signal);
            }
        })?;
    Ok(())
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
}
