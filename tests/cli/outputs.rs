//! How outputs land: modes as `cp` gives them, and a reader that stops
//! early is an error, not a success.

use crate::harness::{EPOCH, a_layer, build};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn a_new_output_gets_the_umask_and_a_replaced_one_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let layer = a_layer(dir.path(), "layer", "x\n");
    let cache = dir.path().join("cache");
    let new = dir.path().join("new.tar");
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 027 && exec "$0" image build --layer "$1" -o "$2""#)
        .arg(env!("CARGO_BIN_EXE_ocipipe"))
        .env("OCIPIPE_CHECK_CONTRACT", "1")
        .args([&layer, &new])
        .env("OCIPIPE_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&new), 0o640, "0666 less the umask 027");

    let replaced = dir.path().join("replaced.tar");
    std::fs::write(&replaced, b"old").unwrap();
    std::fs::set_permissions(&replaced, std::fs::Permissions::from_mode(0o604)).unwrap();
    build(&[
        "--layer",
        layer.to_str().unwrap(),
        "-o",
        replaced.to_str().unwrap(),
    ]);
    assert_eq!(mode(&replaced), 0o604, "the replaced file's mode");
    assert_ne!(std::fs::read(&replaced).unwrap(), b"old");
}

#[test]
fn a_pipe_closed_early_cuts_the_archive_short_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    // Bigger than a pipe's buffer, so the write after `head` exits fails.
    let layer = a_layer(dir.path(), "layer", &"x".repeat(1 << 20));
    let cache = tempfile::tempdir().unwrap();
    let mut ocipipe = crate::harness::ocipipe_command()
        .args([
            "image",
            "build",
            "--layer",
            layer.to_str().unwrap(),
            "-o",
            "-",
        ])
        .env("OCIPIPE_CACHE_DIR", cache.path())
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let head = Command::new("head")
        .args(["-c", "100"])
        .stdin(Stdio::from(ocipipe.stdout.take().unwrap()))
        .output()
        .unwrap();
    assert_eq!(head.stdout.len(), 100);
    let mut stderr = String::new();
    ocipipe
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = ocipipe.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "error: the reader of standard output closed it before the archive was complete; \
         the archive is cut short"
    );
}
