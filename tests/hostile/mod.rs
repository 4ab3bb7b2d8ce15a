//! The hostile-input suite: what a careless or hostile user does to a
//! command's outputs and inputs, as reusable checks. Every command that
//! writes an output file joins [`outputs`]; every command that reads an
//! input from a file or from stdin (`-`) joins [`inputs`]. A new command
//! (the registry, artifact and plugin commands to come) gets the same
//! treatment by describing itself as an [`OutputCommand`] or
//! [`InputCommand`] and calling the checks from its own test.
//!
//! Covered: odd `-o` targets (a FIFO, a device, symlinks to them and to a
//! regular file, a directory, `/dev/full`), a full file system, SIGINT and
//! SIGTERM in the middle of a write, stdin versus file parity, and files
//! that change while they are read.

#![allow(dead_code)] // each test binary uses the part it needs

pub mod inputs;
pub mod outputs;

use std::path::Path;
use std::process::{Command, Output};

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

/// A command that reads one input, from a file or from stdin as `-`.
pub struct InputCommand<'a> {
    /// How errors name the command, e.g. `image load`.
    pub name: &'a str,
    /// The arguments that read `input` (a path, or `-`).
    pub args: &'a dyn Fn(&str) -> Vec<String>,
    /// Environment for every run.
    pub env: Vec<(String, String)>,
}

/// Runs `ocipipe` with `args` and `env`, stdin from `stdin` when given.
pub fn run(args: &[String], env: &[(String, String)], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ocipipe"));
    cmd.args(args)
        .env("OCIPIPE_CACHE_DIR", cache.path())
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(if stdin.is_some() {
        std::process::Stdio::piped()
    } else {
        std::process::Stdio::null()
    });
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("running ocipipe");
    let feeder = stdin.map(|bytes| {
        let mut input = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = input.write_all(&bytes);
        })
    });
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
