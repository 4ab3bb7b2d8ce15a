//! Hostile interrupts of a command that updates a file in place (the
//! Docker config `login` and `logout` edit): SIGINT or SIGTERM at any
//! moment leaves the file as it was or as a whole run makes it, never a
//! part, and nothing beside it (no temporary file, no lock file).

use super::{kill, names};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A command that updates one file.
pub struct UpdateCommand<'a> {
    /// How errors name the command, e.g. `login`.
    pub name: &'a str,
    /// Its arguments.
    pub args: Vec<String>,
    /// Environment for every run (e.g. `DOCKER_CONFIG`).
    pub env: Vec<(String, String)>,
    /// What it reads on stdin.
    pub stdin: &'a [u8],
    /// The file it updates.
    pub file: PathBuf,
}

impl UpdateCommand<'_> {
    /// Starts it; the second value is its compile cache, to keep until
    /// it ends.
    fn spawn(&self) -> (Child, tempfile::TempDir) {
        use std::io::Write;
        let cache = tempfile::tempdir().unwrap();
        let mut cmd = crate::harness::ocipipe_command();
        cmd.args(&self.args)
            .env("OCIPIPE_CACHE_DIR", cache.path())
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("running ocipipe");
        let mut stdin = child.stdin.take().unwrap();
        let bytes = self.stdin.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
        (child, cache)
    }

    fn contents(&self) -> Option<Vec<u8>> {
        std::fs::read(&self.file).ok()
    }

    fn restore(&self, contents: &Option<Vec<u8>>) {
        match contents {
            Some(bytes) => std::fs::write(&self.file, bytes).unwrap(),
            None => {
                let _ = std::fs::remove_file(&self.file);
            }
        }
    }
}

/// The signal's number.
fn number(signal: &str) -> i32 {
    match signal {
        "INT" => 2,
        "TERM" => 15,
        other => panic!("no number known for SIG{other}"),
    }
}

/// Whether `status` is what `signal` makes of a run: exit 128 + N from
/// ocipipe's handler, or killed by it before the handler was installed.
fn stopped_by(status: std::process::ExitStatus, signal: &str) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.code() == Some(128 + number(signal)) || status.signal() == Some(number(signal))
}

/// SIGINT or SIGTERM at moments spread over a run (which must succeed
/// when left alone): each run exits with the signal's code (or 0 when it
/// finished first), the file is as before or as after a whole run, and
/// its directory holds what it held.
pub fn interrupted_leaves_the_file_whole(cmd: &UpdateCommand, signal: &str) {
    let dir = cmd.file.parent().unwrap();
    let before = cmd.contents();
    let listed = names(dir);
    let started = Instant::now();
    let (child, _cache) = cmd.spawn();
    let out = child.wait_with_output().unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}: {}",
        cmd.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let after = cmd.contents();
    assert_ne!(before, after, "{}: the run changed nothing", cmd.name);
    let mut with_after = names(dir);
    with_after.retain(|n| !listed.contains(n));
    const MOMENTS: u32 = 12;
    for moment in 0..MOMENTS {
        cmd.restore(&before);
        let (child, _cache) = cmd.spawn();
        std::thread::sleep(took * moment / MOMENTS);
        kill(&child, signal);
        let out = child.wait_with_output().unwrap();
        assert!(
            stopped_by(out.status, signal) || out.status.success(),
            "{}: SIG{signal} at {moment}/{MOMENTS}: {} {}",
            cmd.name,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let now = cmd.contents();
        assert!(
            now == before || now == after,
            "{}: SIG{signal} at {moment}/{MOMENTS} left {:?}",
            cmd.name,
            now.map(|b| String::from_utf8_lossy(&b).into_owned())
        );
        let mut left = names(dir);
        left.retain(|n| !listed.contains(n) && !with_after.contains(n));
        assert!(
            left.is_empty(),
            "{}: SIG{signal} at {moment}/{MOMENTS} left {left:?} beside the file",
            cmd.name
        );
    }
    cmd.restore(&before);
}

/// SIGINT or SIGTERM once `waiting` says the run is mid-way (e.g. a
/// credential helper has been asked): the run exits with the signal's
/// code and the file and its directory are as they were.
pub fn interrupted_midway_changes_nothing(
    cmd: &UpdateCommand,
    signal: &str,
    waiting: &dyn Fn() -> bool,
) {
    let dir = cmd.file.parent().unwrap();
    let before = cmd.contents();
    let listed = names(dir);
    let (mut child, _cache) = cmd.spawn();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !waiting() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{}: finished ({status}) before it was mid-way", cmd.name);
        }
        assert!(Instant::now() < deadline, "{}: never mid-way", cmd.name);
        std::thread::sleep(Duration::from_millis(5));
    }
    kill(&child, signal);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(128 + number(signal)),
        "{}: {}",
        cmd.name,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(cmd.contents(), before, "{}: the file changed", cmd.name);
    assert_eq!(names(dir), listed, "{}: left beside the file", cmd.name);
}
