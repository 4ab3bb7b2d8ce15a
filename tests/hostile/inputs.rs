//! Hostile inputs: a stream read once (stdin, a FIFO) gets every check a
//! file gets, and files that change while they are read are reported as
//! such.

use super::{Given, InputCommand, OutputCommand, Stdin, names, run};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The exit code and the whole error report (the first line and every
/// cause under it) with the input's names taken out, so a file and a
/// stream can be compared: the first line alone is often the same for
/// every failure (`cannot unpack INPUT into DIR`), the cause is not.
fn verdict(out: &Output, paths: &[&Path]) -> (Option<i32>, String) {
    let mut report = String::from_utf8_lossy(&out.stderr).into_owned();
    // Longest first: `x` must not eat the start of `x.fifo`.
    let mut paths = paths.to_vec();
    paths.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    for path in paths {
        report = report.replace(&path.display().to_string(), "INPUT");
    }
    // Temporary names (`.ocipipe-unpack-7xtDvH`) differ from run to run.
    let report = temporary_names_masked(&report)
        .replace("standard input", "INPUT")
        .replace("'-'", "INPUT")
        .replace("\"-\"", "INPUT");
    (out.status.code(), report)
}

/// `text` with the random tail of every `.ocipipe-KIND-XXXXXX` name
/// replaced by `*`.
fn temporary_names_masked(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(".ocipipe-") {
        let (before, name) = rest.split_at(at);
        out.push_str(before);
        let end = name
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'))
            .unwrap_or(name.len());
        let (temporary, after) = name.split_at(end);
        let kind_end = temporary.rfind('-').map_or(temporary.len(), |i| i + 1);
        out.push_str(&temporary[..kind_end]);
        out.push('*');
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Every input in `cases` (a name and its bytes) gets the same exit code,
/// the same error report and the same stdout whether it is given as a
/// file or as a stream read once (stdin, or a FIFO: see [`InputCommand`]);
/// `accepted` names the cases that must succeed.
pub fn stdin_matches_file(cmd: &InputCommand, cases: &[(&str, Vec<u8>)], accepted: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let fifo = dir.path().join(format!("{name}.fifo"));
        let from_file = match cmd.file {
            Given::Path => run(&(cmd.args)(path.to_str().unwrap()), &cmd.env, Stdin::Null),
            Given::Stdin => run(&(cmd.args)("-"), &cmd.env, Stdin::From(&path)),
        };
        let from_stream = match cmd.stream {
            Given::Stdin => run(&(cmd.args)("-"), &cmd.env, Stdin::Piped(bytes)),
            Given::Path => through_fifo(cmd, &fifo, bytes),
        };
        let paths = [path.as_path(), fifo.as_path()];
        assert_eq!(
            verdict(&from_file, &paths),
            verdict(&from_stream, &paths),
            "{} of {name}: a file and a stream must get the same checks\nfile:   {}\nstream: {}",
            cmd.name,
            String::from_utf8_lossy(&from_file.stderr),
            String::from_utf8_lossy(&from_stream.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&from_file.stdout),
            String::from_utf8_lossy(&from_stream.stdout),
            "{} of {name}: a file and a stream must give the same results",
            cmd.name
        );
        let ok = accepted.contains(name);
        assert_eq!(
            from_file.status.success(),
            ok,
            "{} of {name}: {}",
            cmd.name,
            String::from_utf8_lossy(&from_file.stderr)
        );
        for out in [&from_file, &from_stream] {
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

/// Linux's `O_NONBLOCK` (asm-generic): the only system these tests run on.
const O_NONBLOCK: i32 = 0o4000;

/// Runs `cmd` on a new FIFO at `fifo` that another thread fills with
/// `bytes`. A command that fails without opening the FIFO leaves the
/// writer waiting in `open`; a reader opened without blocking, then
/// closed, lets it go.
fn through_fifo(cmd: &InputCommand, fifo: &Path, bytes: &[u8]) -> Output {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let status = Command::new("mkfifo").arg(fifo).status().unwrap();
    assert!(status.success(), "mkfifo {}", fifo.display());
    let writer = {
        let (fifo, bytes) = (fifo.to_path_buf(), bytes.to_vec());
        std::thread::spawn(move || {
            let mut out = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            let _ = out.write_all(&bytes);
        })
    };
    let out = run(&(cmd.args)(fifo.to_str().unwrap()), &cmd.env, Stdin::Null);
    let release = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(fifo)
        .unwrap();
    drop(release);
    writer.join().unwrap();
    out
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
    let out = run(&(cmd.args)(target.to_str().unwrap()), &cmd.env, Stdin::Null);
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
