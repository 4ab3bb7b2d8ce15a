//! Hostile outputs: where `-o` points (its own stdout among them), what
//! happens when the disk fills up, and interrupts in the middle of a
//! write, into a new output or into an existing one.

use super::{OutputCommand, Stdin, as_root, first_line, names, run};
use std::collections::BTreeMap;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn sh(script: &str) {
    let status = Command::new("sh").arg("-c").arg(script).status().unwrap();
    assert!(status.success(), "{script}");
}

fn quoted(path: &Path) -> String {
    format!("'{}'", path.display())
}

/// Runs `cmd` into `target` and asserts it succeeded.
fn write_ok(cmd: &OutputCommand, target: &Path) {
    let out = run(&(cmd.args)(target.to_str().unwrap()), &cmd.env, Stdin::Null);
    assert!(
        out.status.success(),
        "{} into {}: {}",
        cmd.name,
        target.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes into a FIFO at `fifo` while a reader drains it; what the reader got.
fn through_fifo(cmd: &OutputCommand, target: &Path, fifo: &Path) -> Vec<u8> {
    // Held open for reading and writing (Linux lets that open at once), so
    // the reader's open never waits and its EOF comes only when this is
    // closed after the run: a command that never wrote into the FIFO (it
    // replaced it, say) gives the reader nothing, rather than a hang.
    let keeper = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(fifo)
        .unwrap();
    let reader = {
        let fifo = fifo.to_path_buf();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    write_ok(cmd, target);
    drop(keeper);
    reader.join().unwrap()
}

/// Asserts that `got` (what went into `target`) is `expected`, saying how
/// many bytes each holds rather than every byte.
fn same_bytes(cmd: &OutputCommand, target: &str, got: &[u8], expected: &[u8]) {
    assert!(
        got == expected,
        "{}: {target} got {} bytes, not the {} of the output alone",
        cmd.name,
        got.len(),
        expected.len()
    );
}

/// A FIFO, a device, and symlinks to them are written into, never replaced;
/// a symlink to a regular file replaces the file it names; a directory and
/// `/dev/full` are clear errors that leave nothing behind.
pub fn odd_targets(cmd: &OutputCommand) {
    assert!(!cmd.is_dir, "odd file targets are for file outputs");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let reference = d.join("reference.tar");
    write_ok(cmd, &reference);
    let expected = std::fs::read(&reference).unwrap();

    // A FIFO: its reader gets the whole output, and it stays a FIFO.
    let fifo = d.join("fifo");
    sh(&format!("mkfifo {}", quoted(&fifo)));
    same_bytes(cmd, "a FIFO", &through_fifo(cmd, &fifo, &fifo), &expected);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );

    // A symlink to the FIFO (as /dev/stdout is to a pipe): the link stays.
    let to_fifo = d.join("to-fifo");
    std::os::unix::fs::symlink(&fifo, &to_fifo).unwrap();
    same_bytes(
        cmd,
        "a symlink to a FIFO",
        &through_fifo(cmd, &to_fifo, &fifo),
        &expected,
    );
    assert!(std::fs::symlink_metadata(&to_fifo).unwrap().is_symlink());

    // Its own stdout, named through /proc ("magic links" whose targets,
    // `pipe:[N]` or `socket:[N]`, are not paths): written into, and the
    // report goes to stderr, so stdout holds the output alone.
    own_stdout(cmd, &expected, d);

    // A character device (a private /dev/null when root can make one).
    let null = if as_root() {
        let null = d.join("null");
        sh(&format!("mknod -m 666 {} c 1 3", quoted(&null)));
        null
    } else {
        Path::new("/dev/null").to_path_buf()
    };
    write_ok(cmd, &null);
    let meta = std::fs::symlink_metadata(&null).unwrap();
    assert!(
        meta.file_type().is_char_device(),
        "{}: the device was replaced",
        cmd.name
    );

    // A symlink to a regular file: the file is replaced, the link stays.
    let real = d.join("real.tar");
    std::fs::write(&real, b"old contents").unwrap();
    let link = d.join("link.tar");
    std::os::unix::fs::symlink("real.tar", &link).unwrap();
    write_ok(cmd, &link);
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read(&real).unwrap(), expected);

    // A directory: refused, nothing written into it. As for `/dev/full`
    // below, the first line names the target and the cause under it says
    // why (the CLI prints the error chain).
    let a_dir = d.join("a-dir");
    std::fs::create_dir(&a_dir).unwrap();
    let out = run(&(cmd.args)(a_dir.to_str().unwrap()), &cmd.env, Stdin::Null);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}: a directory target: {stderr}",
        cmd.name
    );
    assert!(
        first_line(&out).contains(&a_dir.display().to_string()),
        "{stderr}"
    );
    assert!(stderr.contains("is a directory"), "{stderr}");
    assert!(names(&a_dir).is_empty());

    // /dev/full: the output is blamed, not an input.
    let out = run(&(cmd.args)("/dev/full"), &cmd.env, Stdin::Null);
    assert_eq!(out.status.code(), Some(1), "{}: /dev/full", cmd.name);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("No space left"), "{stderr}");
    assert!(first_line(&out).contains("/dev/full"), "{stderr}");

    let left = names(d);
    assert!(
        left.iter().all(|n| !n.starts_with(cmd.temp_prefix)),
        "{}: temporary files left: {left:?}",
        cmd.name
    );
}

/// `cmd` run through `sh` as `exec ocipipe ARGS REDIRECT`, its output
/// named `target`, stdout given as `stdout`; its cache lives as long as
/// the returned directory.
fn spawn_through_sh(
    cmd: &OutputCommand,
    target: &str,
    redirect: &str,
    stdout: Stdio,
) -> (std::process::Child, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!(r#"exec "$0" "$@" {redirect}"#))
        .arg(env!("CARGO_BIN_EXE_ocipipe"))
        .env("OCIPIPE_CHECK_CONTRACT", "1")
        .args((cmd.args)(target))
        .env("OCIPIPE_CACHE_DIR", cache.path())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped());
    for (k, v) in &cmd.env {
        command.env(k, v);
    }
    (command.spawn().unwrap(), cache)
}

fn succeeded(cmd: &OutputCommand, target: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{} into {target}: {}",
        cmd.name,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `/dev/stdout`, `/dev/fd/3` (a copy of stdout) and `/proc/self/fd/1`
/// name the process's own stdout, whatever it is: a pipe, a socket (which
/// cannot be opened through /proc at all), or a file the shell opened for
/// appending. Each gets exactly `expected` (the output of a run into a
/// file), and a file is appended to, not replaced.
fn own_stdout(cmd: &OutputCommand, expected: &[u8], dir: &Path) {
    for (target, redirect) in [("/dev/stdout", ""), ("/dev/fd/3", "3>&1")] {
        let (child, _cache) = spawn_through_sh(cmd, target, redirect, Stdio::piped());
        let out = child.wait_with_output().unwrap();
        succeeded(cmd, target, &out);
        same_bytes(cmd, &format!("{target} into a pipe"), &out.stdout, expected);
    }

    let (ours, mut peer) = std::os::unix::net::UnixStream::pair().unwrap();
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut peer, &mut got).unwrap();
        got
    });
    let target = "/proc/self/fd/1";
    let (child, _cache) = spawn_through_sh(
        cmd,
        target,
        "",
        Stdio::from(std::os::fd::OwnedFd::from(ours)),
    );
    let out = child.wait_with_output().unwrap();
    succeeded(cmd, target, &out);
    let got = reader.join().unwrap();
    same_bytes(cmd, &format!("{target} into a socket"), &got, expected);

    let log = dir.join("stdout.log");
    std::fs::write(&log, b"earlier lines\n").unwrap();
    let appending = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let (child, _cache) = spawn_through_sh(cmd, "/dev/stdout", "", Stdio::from(appending));
    let out = child.wait_with_output().unwrap();
    succeeded(cmd, "/dev/stdout", &out);
    let mut want = b"earlier lines\n".to_vec();
    want.extend_from_slice(expected);
    same_bytes(
        cmd,
        "/dev/stdout appending to a file (>>)",
        &std::fs::read(&log).unwrap(),
        &want,
    );
    std::fs::remove_file(&log).unwrap();
}

/// The files of the directory `dir` (not recursive), by name.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    names(dir)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

/// What a directory output does with odd targets: a symlink to an empty
/// directory is followed and the directory it names is filled (the link
/// stays), as a file output follows a symlink to a regular file; a
/// directory that is not empty (or a link to one), a symlink to nothing,
/// a regular file and a device are refused, exit 1, the first line naming
/// the target and the cause under it saying why, each left as it was.
pub fn odd_dir_targets(cmd: &OutputCommand) {
    assert!(
        cmd.is_dir,
        "odd directory targets are for directory outputs"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let reference = d.join("reference");
    write_ok(cmd, &reference);
    let expected = files_of(&reference);
    assert!(!expected.is_empty(), "{}: wrote nothing", cmd.name);

    // A symlink to an empty directory: filled, the link stays.
    let real = d.join("real");
    std::fs::create_dir(&real).unwrap();
    let link = d.join("link");
    std::os::unix::fs::symlink("real", &link).unwrap();
    write_ok(cmd, &link);
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(files_of(&real), expected, "{}: through a symlink", cmd.name);

    let refused = |target: &Path, words: &str| {
        let out = run(&(cmd.args)(target.to_str().unwrap()), &cmd.env, Stdin::Null);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{} into {}: {stderr}",
            cmd.name,
            target.display()
        );
        assert!(
            first_line(&out).contains(&target.display().to_string()),
            "the first line must name the target: {stderr}"
        );
        assert!(
            stderr.contains(words),
            "{}: expected {words:?}: {stderr}",
            cmd.name
        );
    };
    // A directory with something in it, and a symlink to it.
    let full = d.join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("keep"), b"mine").unwrap();
    refused(&full, "not empty");
    let to_full = d.join("to-full");
    std::os::unix::fs::symlink("full", &to_full).unwrap();
    refused(&to_full, "not empty");
    assert_eq!(files_of(&full), [("keep".to_string(), b"mine".to_vec())]);

    // A symlink to nothing: not created behind the user's back.
    let dangling = d.join("dangling");
    std::os::unix::fs::symlink("missing", &dangling).unwrap();
    refused(&dangling, "does not exist");
    assert!(std::fs::symlink_metadata(&dangling).unwrap().is_symlink());
    assert!(!d.join("missing").exists());

    // A regular file, and a device.
    let file = d.join("file");
    std::fs::write(&file, b"mine").unwrap();
    refused(&file, "not a directory");
    assert_eq!(std::fs::read(&file).unwrap(), b"mine");
    refused(Path::new("/dev/null"), "not a directory");

    let left = names(d);
    assert!(
        left.iter().all(|n| !n.starts_with(cmd.temp_prefix)),
        "{}: temporary directories left: {left:?}",
        cmd.name
    );
}

/// A small tmpfs mounted for the life of the value (root only).
struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    fn mount(bytes: u64) -> Self {
        assert!(
            as_root(),
            "the full-disk check mounts a small tmpfs and needs root (CI runs as root)"
        );
        let dir = tempfile::tempdir().unwrap();
        sh(&format!(
            "mount -t tmpfs -o size={bytes} tmpfs {}",
            quoted(dir.path())
        ));
        Self { dir }
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Writing onto a file system that fills up fails with an error that names
/// the output and says the disk is full, and leaves nothing on it.
pub fn full_disk(cmd: &OutputCommand) {
    let fs = SmallFs::mount(64 << 10);
    let target = fs.dir.path().join("out");
    let out = run(&(cmd.args)(target.to_str().unwrap()), &cmd.env, Stdin::Null);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}: {stderr}", cmd.name);
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(
        first_line(&out).contains(&fs.dir.path().display().to_string()),
        "the first line must name the output: {stderr}"
    );
    assert_eq!(
        names(fs.dir.path()),
        Vec::<String>::new(),
        "{}: left on the full disk",
        cmd.name
    );
}

/// SIGINT or SIGTERM while the output is being written: the process exits
/// 130 or 143 and no temporary file or directory remains. `cmd` must run
/// long enough to be caught (give it a big input).
pub fn interrupted(cmd: &OutputCommand, signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let writing = || {
        names(dir.path())
            .iter()
            .any(|n| n.starts_with(cmd.temp_prefix))
    };
    interrupt_when(cmd, &target, writing, signal);
    assert_eq!(
        names(dir.path()),
        Vec::<String>::new(),
        "{}: left after SIG{signal}",
        cmd.name
    );
}

/// Runs `cmd` into `target` and, as soon as `writing` says it has begun
/// writing, sends it SIG`signal`; asserts that it exits 130 or 143.
fn interrupt_when(cmd: &OutputCommand, target: &Path, writing: impl Fn() -> bool, signal: &str) {
    let cache = tempfile::tempdir().unwrap();
    let mut command = crate::harness::ocipipe_command();
    command
        .args((cmd.args)(target.to_str().unwrap()))
        .env("OCIPIPE_CACHE_DIR", cache.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in &cmd.env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !writing() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "{}: finished ({status}) before it could be interrupted; give it a bigger input",
                cmd.name
            );
        }
        assert!(
            Instant::now() < deadline,
            "{}: it wrote nothing into {} within a minute",
            cmd.name,
            target.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    super::kill(&child, signal);
    let out = child.wait_with_output().unwrap();
    let expected = match signal {
        "INT" => 130,
        "TERM" => 143,
        other => panic!("no exit code known for SIG{other}"),
    };
    assert_eq!(
        out.status.code(),
        Some(expected),
        "{}: {}",
        cmd.name,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file under `dir` (relative path) with its bytes' SHA-256; every
/// directory with `None`.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<String>> {
    use sha2::Digest as _;
    let mut found = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(at) = todo.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(dir).unwrap().to_path_buf();
            if path.is_dir() {
                found.insert(relative, None);
                todo.push(path);
            } else {
                let hash = sha2::Sha256::digest(std::fs::read(&path).unwrap());
                found.insert(relative, Some(hex::encode(hash)));
            }
        }
    }
    found
}

/// The names of everything under `dir`.
fn all_names(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(at) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path.clone());
            }
            found.push(path);
        }
    }
    found.sort();
    found
}

/// SIGINT or SIGTERM while `cmd` adds to `existing`, a directory output it
/// writes into (an OCI layout): once anything new has appeared in it, the
/// process is stopped; it exits 130 or 143 and `existing` holds exactly
/// what it held before, byte for byte, nor is anything left beside it.
/// `cmd` must run long enough to be caught (give it many or big blobs).
pub fn interrupted_adding_to(cmd: &OutputCommand, existing: &Path, signal: &str) {
    let before = snapshot(existing);
    let names_before = all_names(existing);
    let beside = names(existing.parent().unwrap());
    interrupt_when(
        cmd,
        existing,
        || all_names(existing) != names_before,
        signal,
    );
    let after = snapshot(existing);
    let added: Vec<_> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert!(
        added.is_empty(),
        "{}: {} files left in the existing output after SIG{signal}, e.g. {:?}",
        cmd.name,
        added.len(),
        &added[..added.len().min(3)]
    );
    assert!(after == before, "{}: the existing output changed", cmd.name);
    assert_eq!(
        names(existing.parent().unwrap()),
        beside,
        "{}: left beside the output after SIG{signal}",
        cmd.name
    );
}
