//! What layers do to the root.

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use super::*;

#[test]
fn whiteouts_remove_lower_files_and_directories() {
    let s = scene();
    let lower = TarBuilder::new()
        .dir("etc/")
        .file("etc/a", b"a")
        .file("etc/b", b"b")
        .dir("var/")
        .dir("var/cache/")
        .file("var/cache/x", b"x")
        .finish();
    let upper = TarBuilder::new()
        .file("etc/.wh.a", b"")
        .file(".wh.var", b"")
        .file("etc/.wh.never-there", b"")
        .finish();
    let report = s.apply(vec![lower, upper]).unwrap();
    assert_eq!(tree(&s.dest), set(&["etc", "etc/b"]));
    assert_eq!(
        report,
        UnpackReport {
            layers: 2,
            entries: 6,
            whiteouts: 3,
            bytes: 3
        }
    );
}

#[test]
fn an_opaque_directory_hides_lower_entries_and_keeps_its_own() {
    let lower = || {
        TarBuilder::new()
            .dir("d/")
            .file("d/old", b"o")
            .dir("d/sub/")
            .file("d/sub/old2", b"o")
            .file("top", b"t")
            .finish()
    };
    // The marker before or after this layer's entries: the same result.
    for marker_first in [true, false] {
        let s = scene();
        let mut upper = TarBuilder::new().dir("d/");
        if marker_first {
            upper = upper.file("d/.wh..wh..opq", b"");
        }
        upper = upper
            .file("d/new", b"n")
            .dir("d/sub/")
            .file("d/sub/new2", b"n");
        if !marker_first {
            upper = upper.file("d/.wh..wh..opq", b"");
        }
        s.apply(vec![lower(), upper.finish()]).unwrap();
        assert_eq!(
            tree(&s.dest),
            set(&["d", "d/new", "d/sub", "d/sub/new2", "top"]),
            "marker first: {marker_first}"
        );
    }
}

#[test]
fn a_whiteout_hides_only_lower_layers() {
    let s = scene();
    let lower = TarBuilder::new().dir("a/").file("a/old", b"o").finish();
    let upper = TarBuilder::new()
        .file("a/new", b"n")
        .file(".wh.a", b"")
        .finish();
    s.apply(vec![lower, upper]).unwrap();
    assert_eq!(tree(&s.dest), set(&["a", "a/new"]));
}

#[test]
fn symlinks_are_created_and_written_through_inside_the_root() {
    let s = scene();
    let lower = TarBuilder::new()
        .dir("usr/")
        .dir("usr/lib/")
        .symlink("lib", "usr/lib")
        .dir("opt/")
        .symlink("opt/up", "../usr")
        .symlink("passwd", "/etc/passwd")
        .finish();
    let upper = TarBuilder::new()
        .file("lib/libx.so", b"x")
        .file("opt/up/lib/liby.so", b"y")
        .finish();
    s.apply(vec![lower, upper]).unwrap();
    assert_eq!(s.read("usr/lib/libx.so"), "x");
    assert_eq!(s.read("usr/lib/liby.so"), "y");
    assert_eq!(
        fs::read_link(s.dest.join("lib")).unwrap(),
        Path::new("usr/lib")
    );
    // Created as written, never followed.
    assert_eq!(
        fs::read_link(s.dest.join("passwd")).unwrap(),
        Path::new("/etc/passwd")
    );
    let mtime = fs::symlink_metadata(s.dest.join("passwd")).unwrap().mtime();
    assert_eq!(mtime as u64, MTIME);
}

#[test]
fn hard_links_share_the_inode() {
    let s = scene();
    let lower = TarBuilder::new()
        .dir("bin/")
        .file("bin/busybox", b"bb")
        .hardlink("bin/sh", "bin/busybox")
        .finish();
    let upper = TarBuilder::new().hardlink("ls", "./bin/busybox").finish();
    s.apply(vec![lower, upper]).unwrap();
    let inode = |p: &str| fs::metadata(s.dest.join(p)).unwrap().ino();
    assert_eq!(inode("bin/sh"), inode("bin/busybox"));
    assert_eq!(inode("ls"), inode("bin/busybox"));
    assert_eq!(fs::metadata(s.dest.join("ls")).unwrap().nlink(), 3);
}

#[test]
fn modes_and_mtimes_are_restored() {
    let s = scene();
    let layer = TarBuilder::new()
        .raw_with(b"./", tar::EntryType::Directory, b"", b"", |h| {
            h.set_mode(0o751)
        })
        .raw_with(b"ro/", tar::EntryType::Directory, b"", b"", |h| {
            h.set_mode(0o555)
        })
        .file_mode("ro/file", b"r", 0o444)
        .file_mode("run", b"#!", 0o755)
        .file_mode("secret", b"s", 0o600)
        .raw_with(b"tmp/", tar::EntryType::Directory, b"", b"", |h| {
            h.set_mode(0o1777)
        })
        .finish();
    s.apply(vec![layer]).unwrap();
    let meta = |p: &str| fs::symlink_metadata(s.dest.join(p)).unwrap();
    assert_eq!(meta("").mode() & 0o7777, 0o751);
    assert_eq!(meta("ro").mode() & 0o7777, 0o555);
    assert_eq!(meta("ro/file").mode() & 0o7777, 0o444);
    assert_eq!(meta("run").mode() & 0o7777, 0o755);
    assert_eq!(meta("secret").mode() & 0o7777, 0o600);
    assert_eq!(meta("tmp").mode() & 0o7777, 0o1777);
    for path in ["", "ro", "ro/file", "run", "tmp"] {
        assert_eq!(meta(path).mtime() as u64, MTIME, "{path}");
    }
}

#[test]
fn ownership_is_restored_only_as_root() {
    let s = scene();
    let layer = TarBuilder::new()
        .raw_with(b"owned", tar::EntryType::Regular, b"", b"o", |h| {
            h.set_uid(1234);
            h.set_gid(4321);
        })
        .finish();
    s.apply(vec![layer]).unwrap();
    let meta = fs::metadata(s.dest.join("owned")).unwrap();
    if running_as_root() {
        assert_eq!((meta.uid(), meta.gid()), (1234, 4321));
    } else {
        assert_eq!(meta.uid(), fs::metadata(s.top.path()).unwrap().uid());
    }
}

#[test]
fn a_zstd_layer_is_decompressed() {
    let s = scene();
    let tar = TarBuilder::new().file("motd", b"zstd\n").finish();
    let layer = zstd::stream::encode_all(&tar[..], 3).unwrap();
    s.apply(vec![layer]).unwrap();
    assert_eq!(s.read("motd"), "zstd\n");
}

#[test]
fn a_gzip_layer_is_decompressed() {
    let s = scene();
    let layer = gzip(
        &TarBuilder::new()
            .dir("etc/")
            .file("etc/os-release", b"ID=test\n")
            .finish(),
    );
    let report = s.apply(vec![layer]).unwrap();
    assert_eq!(s.read("etc/os-release"), "ID=test\n");
    assert_eq!(report.bytes, 8);
}

#[test]
fn later_entries_replace_earlier_ones() {
    let s = scene();
    // Duplicates within one layer: the later entry wins.
    let lower = TarBuilder::new()
        .file("dup", b"one")
        .file("dup", b"two")
        .dir("d/")
        .file("d/child", b"c")
        .file("f", b"f")
        .symlink("s", "../outside/keep")
        .finish();
    let upper = TarBuilder::new()
        .file("d", b"now a file")
        .dir("f/")
        .file("f/inside", b"i")
        .file("s", b"plain")
        .finish();
    s.apply(vec![lower, upper]).unwrap();
    assert_eq!(s.read("dup"), "two");
    assert_eq!(s.read("d"), "now a file");
    assert_eq!(s.read("f/inside"), "i");
    assert!(fs::symlink_metadata(s.dest.join("s")).unwrap().is_file());
    assert_eq!(s.read("s"), "plain");
    s.assert_untouched(&["rootfs"]);
}

#[test]
fn fifos_and_allowed_devices_are_created() {
    let s = scene();
    let layer = TarBuilder::new()
        .raw(b"pipe", tar::EntryType::Fifo, b"", b"")
        .raw_with(b"null", tar::EntryType::Char, b"", b"", |h| {
            h.set_device_major(1).unwrap();
            h.set_device_minor(3).unwrap();
        })
        .finish();
    let opts = UnpackOptions {
        allow_devices: true,
    };
    match s.apply_with(vec![layer], &opts) {
        Ok(_) => {
            assert!(
                fs::symlink_metadata(s.dest.join("pipe"))
                    .unwrap()
                    .file_type()
                    .is_fifo()
            );
            let null = fs::symlink_metadata(s.dest.join("null")).unwrap();
            assert!(null.file_type().is_char_device());
            assert_eq!(null.rdev(), sys::makedev(1, 3));
        }
        // Only root may make device nodes.
        Err(Error::Io { source, .. }) if !running_as_root() => {
            assert_eq!(source.kind(), io::ErrorKind::PermissionDenied);
            s.assert_untouched(&[]);
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn an_empty_destination_directory_is_replaced() {
    let s = scene();
    fs::create_dir(&s.dest).unwrap();
    s.apply(vec![TarBuilder::new().file("a", b"a").finish()])
        .unwrap();
    assert_eq!(s.read("a"), "a");
    s.assert_untouched(&["rootfs"]);
}

#[test]
fn a_legacy_archive_unpacks_the_image_asked_for() {
    let s = scene();
    let files = legacy_files(&[
        Image {
            tags: &["a:1"],
            layers: vec![TarBuilder::new().file("who", b"a").finish()],
        },
        Image {
            tags: &["b:1", "b:latest"],
            layers: vec![
                TarBuilder::new()
                    .file("who", b"b")
                    .file("gone", b"g")
                    .finish(),
                gzip(
                    &TarBuilder::new()
                        .file(".wh.gone", b"")
                        .file("more", b"m")
                        .finish(),
                ),
            ],
        },
    ]);
    let report = s.unpack(&files, Some("b:latest")).unwrap();
    assert_eq!(tree(&s.dest), set(&["who", "more"]));
    assert_eq!(s.read("who"), "b");
    assert_eq!(
        report,
        UnpackReport {
            layers: 2,
            entries: 3,
            whiteouts: 1,
            bytes: 3
        }
    );

    let archive = s.archive(&files);
    let first = s.top.path().join("first");
    unpack_archive(
        &archive,
        None,
        &first,
        &UnpackOptions::default(),
        &planner(),
    )
    .unwrap();
    assert_eq!(fs::read(first.join("who")).unwrap(), b"a");

    let err = unpack_archive(
        &archive,
        Some("c:1"),
        &s.top.path().join("none"),
        &UnpackOptions::default(),
        &planner(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::NoImage { available, .. } if available.len() == 3),
        "{err}"
    );
    assert_eq!(names(s.top.path()), set(&["outside", "rootfs", "first"]));
}

#[test]
fn a_dual_format_archive_unpacks() {
    let s = scene();
    let files = dual_files(&[Image {
        tags: &["app:1"],
        layers: vec![
            TarBuilder::new().dir("etc/").file("etc/a", b"a").finish(),
            gzip(&TarBuilder::new().file("etc/b", b"b").finish()),
        ],
    }]);
    let report = s.unpack(&files, Some("app:1")).unwrap();
    assert_eq!(tree(&s.dest), set(&["etc", "etc/a", "etc/b"]));
    assert_eq!(report.layers, 2);
}
