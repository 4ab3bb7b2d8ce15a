//! Hostile inputs: stdin gets every check a file gets, and files that
//! change while they are read are reported as such.

use super::{InputCommand, OutputCommand, first_line, names, run};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The first error line with the input's name taken out, so a file and
/// stdin can be compared.
fn verdict(out: &std::process::Output, path: &Path) -> (Option<i32>, String) {
    let line = first_line(out)
        .replace(&path.display().to_string(), "INPUT")
        .replace("standard input", "INPUT")
        .replace("'-'", "INPUT")
        .replace("\"-\"", "INPUT");
    (out.status.code(), line)
}

/// Every input in `cases` (a name and its bytes) gets the same exit code
/// and the same first error line whether it is given as a file or on
/// stdin; `accepted` names the cases that must succeed.
pub fn stdin_matches_file(cmd: &InputCommand, cases: &[(&str, Vec<u8>)], accepted: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let from_file = run(&(cmd.args)(path.to_str().unwrap()), &cmd.env, None);
        let from_stdin = run(&(cmd.args)("-"), &cmd.env, Some(bytes));
        let (file, stdin) = (verdict(&from_file, &path), verdict(&from_stdin, &path));
        assert_eq!(
            file,
            stdin,
            "{} of {name}: a file and stdin must get the same checks\nfile:  {}\nstdin: {}",
            cmd.name,
            String::from_utf8_lossy(&from_file.stderr),
            String::from_utf8_lossy(&from_stdin.stderr)
        );
        let ok = accepted.contains(name);
        assert_eq!(
            from_file.status.success(),
            ok,
            "{} of {name}: {}",
            cmd.name,
            String::from_utf8_lossy(&from_file.stderr)
        );
        for out in [&from_file, &from_stdin] {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert!(
                stderr
                    .chars()
                    .all(|c| !c.is_control() || c == '\n' || c == '\t'),
                "{} of {name}: raw bytes in the error: {stderr:?}",
                cmd.name
            );
        }
    }
}

/// Rewrites `file` with same-size, different contents until stopped.
pub struct Scribbler {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Scribbler {
    /// Starts rewriting `file` (which holds `size` bytes) in place.
    pub fn start(file: &Path, size: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, file) = (stop.clone(), file.to_path_buf());
        let thread = std::thread::spawn(move || {
            use std::io::{Seek, Write};
            let mut n = 0u8;
            let mut handle = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
            while !flag.load(Ordering::Relaxed) {
                n = n.wrapping_add(1);
                handle.seek(std::io::SeekFrom::Start(0)).unwrap();
                handle.write_all(&vec![n; size]).unwrap();
            }
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Scribbler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `cmd` reads `file`, which changes (same size, new bytes) while it is
/// read: the run fails saying the input changed, and leaves no output.
/// `cmd`'s arguments must read `file`.
pub fn changing_underneath(cmd: &OutputCommand, file: &Path, size: usize) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let _scribbler = Scribbler::start(file, size);
    let out = run(&(cmd.args)(target.to_str().unwrap()), &cmd.env, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}: {stderr}", cmd.name);
    assert!(stderr.contains("changed while"), "{}: {stderr}", cmd.name);
    assert!(!stderr.contains("broke its contract"), "{stderr}");
    assert!(!stderr.contains("cannot reach"), "{stderr}");
    assert_eq!(
        names(dir.path()),
        Vec::<String>::new(),
        "{}: output left",
        cmd.name
    );
}
