//! The hostile-input suite: what a careless or hostile user does to a
//! command's outputs and inputs, what a hostile registry does to it, and
//! interrupts of an update in place, as reusable checks. Every command
//! that writes an output file joins [`outputs`]; every command that reads
//! an input from a file or from stdin (`-`) joins [`inputs`]; every
//! command that talks to a registry joins [`registry`]; a command that
//! updates a file in place (`login`, `logout`) joins [`updates`]. A new
//! command gets the same treatment by describing itself as an
//! [`OutputCommand`], [`InputCommand`] or [`registry::RegistryCommand`]
//! and calling the checks from its own test.
//!
//! Covered: odd `-o` targets (a FIFO, a device, symlinks to them and to a
//! regular file, a directory, `/dev/full`, and the command's own stdout
//! named `/dev/stdout`, `/dev/fd/3` or `/proc/self/fd/1` while it is a
//! pipe, a socket or a file opened for appending; for a directory output,
//! symlinks to directories and to nothing, a directory that is not empty,
//! a file), a full file system, SIGINT and SIGTERM in the middle of a
//! write into a new output or into an existing one (a layout: left
//! exactly as it was), a stream (stdin, a FIFO) versus a file, files that
//! change while they are read, interrupts of an update in place, and a
//! registry that fails every request, cuts a connection, never answers,
//! or sends the client to a hostile token server.

#![allow(dead_code)] // each test binary uses the part it needs

pub mod inputs;
pub mod outputs;
pub mod registry;
pub mod updates;

use std::path::Path;
use std::process::{Child, Command, Output};

/// Sends SIG`signal` (`INT`, `TERM`) to `child` alone, as a supervisor or
/// `timeout` does (a terminal's Ctrl-C reaches its whole group).
pub fn kill(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {}", child.id());
}

/// A command that writes one output named on its command line.
pub struct OutputCommand<'a> {
    /// How errors name the command, e.g. `image build -o`.
    pub name: &'a str,
    /// The arguments that write the output to `target`.
    pub args: &'a dyn Fn(&str) -> Vec<String>,
    /// Environment for every run (e.g. `SOURCE_DATE_EPOCH`, `DOCKER_HOST`).
    pub env: Vec<(String, String)>,
    /// The output is a directory (a layout, an unpacked tree), not a file:
    /// targets that only make sense for a file are not tried.
    pub is_dir: bool,
    /// The prefix of the temporary file or directory it writes beside the
    /// target before renaming, e.g. `.ocipipe-`.
    pub temp_prefix: &'a str,
}

/// A command that reads one input, given as a file or as a stream that can
/// be read only once.
pub struct InputCommand<'a> {
    /// How errors name the command, e.g. `image load`.
    pub name: &'a str,
    /// The arguments that read `input` (a path, or `-`).
    pub args: &'a dyn Fn(&str) -> Vec<String>,
    /// Environment for every run.
    pub env: Vec<(String, String)>,
    /// How it is given a file: named ([`Given::Path`]), or, for a command
    /// that reads only stdin, as stdin redirected from the file
    /// ([`Given::Stdin`], `ocipipe ref normalize - < FILE`).
    pub file: Given,
    /// How it is given a stream: `-` with a pipe on stdin
    /// ([`Given::Stdin`]), or, for a command without `-`, a FIFO named on
    /// the command line that another thread writes ([`Given::Path`]).
    pub stream: Given,
}

/// How an input reaches a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    /// Its path on the command line.
    Path,
    /// `-` on the command line, the bytes on stdin.
    Stdin,
}

/// What a run reads on stdin.
#[derive(Debug, Clone, Copy)]
pub enum Stdin<'a> {
    /// Nothing (`/dev/null`).
    Null,
    /// These bytes, through a pipe.
    Piped(&'a [u8]),
    /// This file, as a shell's `< FILE` gives it.
    From(&'a Path),
}

/// Runs `ocipipe` with `args` and `env`, with `stdin`.
pub fn run(args: &[String], env: &[(String, String)], stdin: Stdin) -> Output {
    use std::io::Write;
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = crate::harness::ocipipe_command();
    cmd.args(args)
        .env("OCIPIPE_CACHE_DIR", cache.path())
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(match stdin {
        Stdin::Null => std::process::Stdio::null(),
        Stdin::Piped(_) => std::process::Stdio::piped(),
        Stdin::From(path) => std::fs::File::open(path).unwrap().into(),
    });
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("running ocipipe");
    let feeder = match stdin {
        Stdin::Piped(bytes) => {
            let mut input = child.stdin.take().unwrap();
            let bytes = bytes.to_vec();
            Some(std::thread::spawn(move || {
                let _ = input.write_all(&bytes);
            }))
        }
        _ => None,
    };
    let out = child.wait_with_output().unwrap();
    if let Some(feeder) = feeder {
        feeder.join().unwrap();
    }
    out
}

/// The first line of stderr.
pub fn first_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// The names in `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Whether this process runs as root (some checks need to make a device
/// node or mount a small file system; CI runs as root).
pub fn as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
