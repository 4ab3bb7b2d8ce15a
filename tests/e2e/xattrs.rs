//! Extended attributes survive into the engine: a file capability set on
//! a layer's file works in a container run from the loaded image.

use crate::harness::{build, busybox_with_xattrs, docker_ok, unique_repo};
use std::path::Path;
use std::process::Command;

/// Copies the host's `getcap` and the libraries `ldd` lists for it into
/// `layer`, at their own paths.
fn add_getcap(layer: &Path) {
    let getcap = "/usr/sbin/getcap";
    let ldd = Command::new("ldd").arg(getcap).output().unwrap();
    assert!(ldd.status.success(), "ldd {getcap}");
    let libraries = String::from_utf8(ldd.stdout).unwrap();
    let paths = libraries
        .split_whitespace()
        .filter(|word| word.starts_with('/'))
        .chain([getcap]);
    for path in paths {
        let copy = layer.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::copy(path, &copy).unwrap();
    }
}

#[test]
fn a_file_capability_survives_build_load_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let layer = busybox_with_xattrs(dir.path());
    add_getcap(&layer);
    let repo = unique_repo("caps");
    build(&["--layer", layer.to_str().unwrap(), "-t", &repo, "--load"]);
    let run =
        |args: &[&str]| docker_ok(&[&["run", "--rm", "--network", "none"][..], args].concat());

    assert_eq!(
        run(&[&repo, "/usr/sbin/getcap", "/bin/busybox", "/plain/busybox"]),
        "/bin/busybox cap_net_raw=ep\n"
    );
    // As a user with no capabilities of its own, the file's is the one
    // it runs with (bit 13, CAP_NET_RAW); the plain copy runs with none.
    let effective = |binary: &str| {
        run(&[
            "--user",
            "1000",
            &repo,
            binary,
            "grep",
            "CapEff",
            "/proc/self/status",
        ])
    };
    assert_eq!(effective("/bin/busybox"), "CapEff:\t0000000000002000\n");
    assert_eq!(effective("/plain/busybox"), "CapEff:\t0000000000000000\n");
}
