//! `plan_layer`: plans materialised with fake file contents and read back
//! with the `tar` crate.

mod common;

use common::{assert_coalesced, file_bytes, materialise, read_tar, sha256_hex};
use std::collections::HashMap;
use tar::EntryType;
use tar_assembly_core::{Entry, EntryKind, Error, FileRef, LayerOptions, Segment, plan_layer};

fn dir(path: &str, mode: u32) -> Entry {
    Entry {
        mode,
        ..Entry::new(path, EntryKind::Directory)
    }
}

fn file(path: &str, mode: u32, size: u64) -> Entry {
    Entry {
        mode,
        size,
        ..Entry::new(path, EntryKind::Regular)
    }
}

fn symlink(path: &str, target: &str) -> Entry {
    Entry {
        mode: 0o777,
        link_target: Some(target.to_owned()),
        ..Entry::new(path, EntryKind::Symlink)
    }
}

fn hardlink(path: &str, size: u64, group: u64) -> Entry {
    Entry {
        link_group: Some(group),
        ..file(path, 0o644, size)
    }
}

const MTIME: i64 = 1_700_000_000;

fn options() -> LayerOptions {
    LayerOptions {
        mtime: MTIME,
        keep_owner: false,
    }
}

/// A small tree with every kind of entry, in a scrambled order.
fn tree() -> Vec<Entry> {
    vec![
        file("usr/bin/tool", 0o4755, 1234),
        dir("usr", 0o755),
        symlink("usr/bin/alias", "tool"),
        hardlink("usr/lib/b", 10, 7),
        dir("usr/bin", 0o755),
        dir("etc", 0o755),
        file("etc/empty", 0o600, 0),
        hardlink("usr/lib/a", 10, 7),
        dir("usr/lib", 0o2755),
        Entry {
            mode: 0o666,
            device_major: 1,
            device_minor: 3,
            ..Entry::new("dev/null", EntryKind::CharDevice)
        },
        Entry {
            mode: 0o660,
            device_major: 8,
            device_minor: 1,
            ..Entry::new("dev/sda1", EntryKind::BlockDevice)
        },
        Entry {
            mode: 0o644,
            ..Entry::new("dev/fifo", EntryKind::Fifo)
        },
        dir("dev", 0o755),
        dir("tmp", 0o1777),
        Entry {
            uid: 1000,
            gid: 1000,
            ..file("etc/passwd", 0o100644, 513)
        },
    ]
}

fn layer_bytes(entries: &[Entry], options: &LayerOptions) -> Vec<u8> {
    let plan = plan_layer(entries, options).expect("plan");
    assert_coalesced(&plan);
    materialise(&plan, &HashMap::new())
}

#[test]
fn every_entry_reads_back_in_order_with_normalised_metadata() {
    let bytes = layer_bytes(&tree(), &options());
    let entries = read_tar(&bytes);
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "dev/",
            "dev/fifo",
            "dev/null",
            "dev/sda1",
            "etc/",
            "etc/empty",
            "etc/passwd",
            "tmp/",
            "usr/",
            "usr/bin/",
            "usr/bin/alias",
            "usr/bin/tool",
            "usr/lib/",
            "usr/lib/a",
            "usr/lib/b",
        ]
    );
    let by_path: HashMap<&str, &common::TarEntry> =
        entries.iter().map(|e| (e.path.as_str(), e)).collect();
    for e in &entries {
        assert_eq!(e.mtime, MTIME as u64, "{}", e.path);
        assert_eq!((e.uid, e.gid), (0, 0), "{}", e.path);
        assert!(e.pax.is_empty(), "{} needs no PAX", e.path);
    }
    let tool = by_path["usr/bin/tool"];
    assert_eq!(tool.kind, EntryType::Regular);
    assert_eq!(tool.mode, 0o4755);
    assert_eq!(tool.data, file_bytes("usr/bin/tool", 1234));
    assert_eq!(by_path["etc/passwd"].mode, 0o644, "file type bits masked");
    assert_eq!(by_path["etc/passwd"].data, file_bytes("etc/passwd", 513));
    assert_eq!(by_path["etc/empty"].size, 0);
    assert_eq!(by_path["tmp/"].kind, EntryType::Directory);
    assert_eq!(by_path["tmp/"].mode, 0o1777);
    assert_eq!(by_path["usr/lib/"].mode, 0o2755);
    assert_eq!(by_path["usr/"].size, 0);
    let alias = by_path["usr/bin/alias"];
    assert_eq!(alias.kind, EntryType::Symlink);
    assert_eq!(alias.link.as_deref(), Some("tool"));
    assert_eq!(alias.mode, 0o777);
    let null = by_path["dev/null"];
    assert_eq!(null.kind, EntryType::Char);
    assert_eq!(null.dev, Some((1, 3)));
    assert_eq!(by_path["dev/sda1"].kind, EntryType::Block);
    assert_eq!(by_path["dev/sda1"].dev, Some((8, 1)));
    assert_eq!(by_path["dev/fifo"].kind, EntryType::Fifo);
    // Hard links: the first in archive order carries the bytes.
    let a = by_path["usr/lib/a"];
    assert_eq!(a.kind, EntryType::Regular);
    assert_eq!(a.data, file_bytes("usr/lib/a", 10));
    let b = by_path["usr/lib/b"];
    assert_eq!(b.kind, EntryType::Link);
    assert_eq!(b.link.as_deref(), Some("usr/lib/a"));
    assert_eq!(b.size, 0);
}

#[test]
fn the_plan_streams_each_file_once_between_header_bytes() {
    let plan = plan_layer(&tree(), &options()).unwrap();
    let files: Vec<(&str, u64)> = plan
        .iter()
        .filter_map(|s| match s {
            Segment::File(FileRef { path, size }) => Some((path.as_str(), *size)),
            _ => None,
        })
        .collect();
    assert_eq!(
        files,
        [
            ("etc/empty", 0),
            ("etc/passwd", 513),
            ("usr/bin/tool", 1234),
            ("usr/lib/a", 10),
        ]
    );
    assert!(matches!(plan.first(), Some(Segment::Bytes(_))));
    match plan.last() {
        Some(Segment::Bytes(b)) => assert!(b.ends_with(&[0; 1024])),
        other => panic!("ends with {other:?}"),
    }
    assert_eq!(plan.len(), 2 * files.len() + 1);
}

#[test]
fn input_order_does_not_change_a_byte() {
    let entries = tree();
    let expected = plan_layer(&entries, &options()).unwrap();
    let mut reversed = entries.clone();
    reversed.reverse();
    assert_eq!(plan_layer(&reversed, &options()).unwrap(), expected);
    // A few deterministic shuffles.
    for seed in 1..20u64 {
        let mut shuffled = entries.clone();
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        assert_eq!(
            plan_layer(&shuffled, &options()).unwrap(),
            expected,
            "seed {seed}"
        );
    }
    // The hard link that comes first in the archive carries the bytes, not
    // the one first in the input.
    let entries = vec![hardlink("z", 3, 1), hardlink("a", 3, 1)];
    let read = read_tar(&layer_bytes(&entries, &options()));
    assert_eq!(read[0].path, "a");
    assert_eq!(read[0].kind, EntryType::Regular);
    assert_eq!(read[1].kind, EntryType::Link);
    assert_eq!(read[1].link.as_deref(), Some("a"));
}

#[test]
fn paths_sort_component_by_component() {
    let entries = vec![
        file("a.txt", 0o644, 1),
        dir("a", 0o755),
        file("a/b", 0o644, 1),
        file("a-b", 0o644, 1),
        file("ab", 0o644, 1),
        dir("a/c", 0o755),
        file("a/c/d", 0o644, 1),
        file("a/b.txt", 0o644, 1),
        file("B", 0o644, 1),
    ];
    let read = read_tar(&layer_bytes(&entries, &options()));
    let paths: Vec<&str> = read.iter().map(|e| e.path.as_str()).collect();
    // Bytewise: "B" < "a" < "a-b" < "a.txt" < "ab"; a's subtree right after a.
    assert_eq!(
        paths,
        [
            "B", "a/", "a/b", "a/b.txt", "a/c/", "a/c/d", "a-b", "a.txt", "ab"
        ]
    );
}

#[test]
fn keep_owner_keeps_ids_and_big_ones_go_to_pax() {
    let entries = vec![
        Entry {
            uid: 1000,
            gid: 50,
            ..file("small", 0o644, 1)
        },
        Entry {
            uid: 0o7777777,
            gid: 0o10000000,
            ..file("big", 0o644, 1)
        },
    ];
    let keep = LayerOptions {
        mtime: 0,
        keep_owner: true,
    };
    let read = read_tar(&layer_bytes(&entries, &keep));
    assert_eq!(read[0].path, "big");
    assert_eq!(read[0].uid, 0o7777777, "fits: stays in the header");
    assert_eq!(
        read[0].pax,
        [("gid".to_owned(), b"2097152".to_vec())],
        "does not fit: a PAX record"
    );
    assert_eq!(read[0].gid, 0o10000000, "the tar crate applies the record");
    // The header field itself holds 0.
    let plan = plan_layer(&entries[1..], &keep).unwrap();
    let Segment::Bytes(head) = &plan[0] else {
        panic!("{plan:?}")
    };
    assert_eq!(head.len(), 3 * 512);
    assert_eq!(&head[1024 + 108..1024 + 124], b"7777777\x000000000\0");
    assert_eq!((read[1].uid, read[1].gid), (1000, 50));
    assert!(read[1].pax.is_empty());
    // Without keep_owner everything is 0:0 and needs no PAX.
    let read = read_tar(&layer_bytes(&entries, &options()));
    assert!(
        read.iter()
            .all(|e| e.uid == 0 && e.gid == 0 && e.pax.is_empty())
    );
}

#[test]
fn long_names_use_the_ustar_prefix_or_pax() {
    let splittable = format!("{}/{}", "p".repeat(120), "n".repeat(90));
    let unsplittable = format!("d/{}", "n".repeat(120));
    let long_dir = format!("{}/{}", "p".repeat(120), "q".repeat(99));
    let non_ascii = "d/café".to_owned();
    let long_target = "t/".repeat(60);
    let entries = vec![
        dir(&"p".repeat(120), 0o755),
        dir("d", 0o755),
        file(&splittable, 0o644, 3),
        file(&unsplittable, 0o644, 4),
        dir(&long_dir, 0o755),
        file(&non_ascii, 0o644, 5),
        symlink("d/link", &long_target),
        hardlink(&unsplittable.replace("n", "m"), 2, 9),
        hardlink("d/short-link", 2, 9),
    ];
    let plan = plan_layer(&entries, &options()).unwrap();
    let bytes = materialise(&plan, &HashMap::new());
    let read = read_tar(&bytes);
    let by_path: HashMap<&str, &common::TarEntry> =
        read.iter().map(|e| (e.path.as_str(), e)).collect();

    let s = by_path[splittable.as_str()];
    assert!(s.pax.is_empty(), "splittable: plain ustar with a prefix");
    assert_eq!(s.data, file_bytes(&splittable, 3));
    let u = by_path[unsplittable.as_str()];
    assert_eq!(
        u.pax,
        [("path".to_owned(), unsplittable.clone().into_bytes())]
    );
    assert_eq!(u.data, file_bytes(&unsplittable, 4));
    let ld = by_path[format!("{long_dir}/").as_str()];
    assert!(ld.pax.is_empty(), "a 221-byte directory name splits");
    let c = by_path["d/café"];
    assert_eq!(c.pax, [("path".to_owned(), "d/café".as_bytes().to_vec())]);
    assert_eq!(c.data, file_bytes("d/café", 5));
    let l = by_path["d/link"];
    assert_eq!(l.link.as_deref(), Some(long_target.as_str()));
    assert_eq!(
        l.pax,
        [("linkpath".to_owned(), long_target.clone().into_bytes())]
    );
    // The hard link to a long name carries the name in a linkpath record.
    let first = unsplittable.replace("n", "m");
    assert_eq!(by_path[first.as_str()].kind, EntryType::Regular);
    let h = by_path["d/short-link"];
    assert_eq!(h.kind, EntryType::Link);
    assert_eq!(h.link.as_deref(), Some(first.as_str()));

    // The raw headers: the PAX entry of `unsplittable` is named like Go
    // names it, and the splittable one uses the prefix field.
    let names = raw_names(&bytes);
    assert!(names.contains(&format!("d/PaxHeaders.0/{}", "n".repeat(85))));
    assert!(names.contains(&"d/PaxHeaders.0/caf".to_owned()));
    assert!(names.contains(&splittable));
}

/// The names of every raw header (PAX entries included), prefix joined.
fn raw_names(bytes: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = 0;
    while at + 512 <= bytes.len() && bytes[at..at + 512] != [0; 512] {
        let h = &bytes[at..at + 512];
        let field = |r: std::ops::Range<usize>| {
            let f = &h[r];
            let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
            String::from_utf8(f[..end].to_vec()).unwrap()
        };
        let (prefix, name) = (field(345..500), field(0..100));
        names.push(if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        });
        let size = u64::from_str_radix(&field(124..135), 8).unwrap_or(0);
        let data = match h[156] {
            b'0' | b'x' => size.div_ceil(512) * 512,
            _ => 0,
        };
        at += 512 + data as usize;
    }
    names
}

#[test]
fn xattrs_become_sorted_schily_records() {
    let entries = vec![Entry {
        xattrs: vec![
            ("user.b".to_owned(), b"2".to_vec()),
            (
                "security.capability".to_owned(),
                vec![1, 0, 0, 2, 0x20, 0, 0, 0],
            ),
            ("user.a".to_owned(), "é=".as_bytes().to_vec()),
        ],
        ..file("bin/ping", 0o755, 7)
    }];
    let read = read_tar(&layer_bytes(&entries, &options()));
    assert_eq!(read[0].path, "bin/ping");
    assert_eq!(
        read[0].pax,
        [
            (
                "SCHILY.xattr.security.capability".to_owned(),
                vec![1, 0, 0, 2, 0x20, 0, 0, 0]
            ),
            ("SCHILY.xattr.user.a".to_owned(), "é=".as_bytes().to_vec()),
            ("SCHILY.xattr.user.b".to_owned(), b"2".to_vec()),
        ]
    );
    assert_eq!(read[0].data, file_bytes("bin/ping", 7));
}

/// Values are length-prefixed, so they may hold any byte, a newline too.
/// (The `tar` crate splits records at newlines, so this reads them by
/// length, as Go and GNU tar do.)
#[test]
fn pax_values_may_hold_newlines() {
    let value = b"line 1\nline 2\n\0=".to_vec();
    let entries = vec![Entry {
        xattrs: vec![("user.n".to_owned(), value.clone())],
        ..file("f", 0o644, 0)
    }];
    let plan = plan_layer(&entries, &options()).unwrap();
    let Segment::Bytes(head) = &plan[0] else {
        panic!("{plan:?}")
    };
    let size = usize::from_str_radix(std::str::from_utf8(&head[124..135]).unwrap(), 8).unwrap();
    let mut data = &head[512..512 + size];
    let mut records = Vec::new();
    while !data.is_empty() {
        let space = data.iter().position(|&c| c == b' ').unwrap();
        let len: usize = std::str::from_utf8(&data[..space])
            .unwrap()
            .parse()
            .unwrap();
        let record = &data[space + 1..len];
        assert_eq!(data[len - 1], b'\n');
        let eq = record.iter().position(|&c| c == b'=').unwrap();
        records.push((
            record[..eq].to_vec(),
            record[eq + 1..record.len() - 1].to_vec(),
        ));
        data = &data[len..];
    }
    assert_eq!(records, [(b"SCHILY.xattr.user.n".to_vec(), value)]);
}

#[test]
fn files_of_8_gib_and_more_get_a_pax_size() {
    let big = 8 << 30;
    let plan = plan_layer(
        &[file("big", 0o644, big), file("small", 0o644, big - 1)],
        &options(),
    )
    .unwrap();
    let [
        Segment::Bytes(head),
        Segment::File(FileRef { path, size }),
        Segment::Bytes(mid),
        Segment::File(FileRef { path: p2, size: s2 }),
        Segment::Bytes(tail),
    ] = &plan[..]
    else {
        panic!("plan shape {plan:?}")
    };
    assert_eq!((path.as_str(), *size), ("big", big));
    assert_eq!((p2.as_str(), *s2), ("small", big - 1));
    // PAX header, one block of records, main header.
    assert_eq!(head.len(), 3 * 512);
    assert_eq!(&head[..15], b"PaxHeaders.0/bi");
    assert_eq!(head[156], b'x');
    assert!(head[512..].starts_with(b"19 size=8589934592\n"));
    assert_eq!(
        &head[1024 + 124..1024 + 136],
        b"00000000000\0",
        "size field 0"
    );
    assert_eq!(head[1024 + 156], b'0');
    // 8 GiB is a multiple of 512: no padding, straight to the next header.
    assert_eq!(mid.len(), 512);
    assert_eq!(&mid[124..136], b"77777777777\0", "8 GiB - 1 fits in ustar");
    assert_eq!(tail.len(), 1 + 1024);
}

#[test]
fn mtimes_outside_ustar_go_to_pax() {
    for (mtime, record) in [(-1i64, "mtime=-1"), (1 << 33, "mtime=8589934592")] {
        let read = read_tar(&layer_bytes(
            &[file("f", 0o644, 1)],
            &LayerOptions {
                mtime,
                keep_owner: false,
            },
        ));
        let (k, v) = &read[0].pax[0];
        assert_eq!(format!("{k}={}", String::from_utf8_lossy(v)), record);
        assert_eq!(read[0].mtime, 0);
    }
}

#[test]
fn an_empty_layer_is_the_end_marker() {
    let plan = plan_layer(&[], &options()).unwrap();
    assert_eq!(plan, [Segment::Bytes(vec![0; 1024])]);
}

/// A fixed input, whose bytes must never change: a change here changes the
/// digest of every layer ocipipe builds. Checked by hand: GNU tar 1.34
/// `tar -tvf` lists it, and Go 1.19's `archive/tar` writes the same bytes
/// for the same headers.
#[test]
fn golden_layer() {
    let entries = vec![
        dir("app", 0o755),
        file("app/hello.txt", 0o644, 12),
        symlink("app/latest", "hello.txt"),
        hardlink("app/again.txt", 5, 1),
        hardlink("app/hard.txt", 5, 1),
        Entry {
            xattrs: vec![("user.k".to_owned(), b"v".to_vec())],
            ..file("app/x", 0o600, 1)
        },
        file(&format!("app/{}", "long".repeat(30)), 0o644, 2),
        dir("app/bin", 0o755),
        file("app/bin/run", 0o755, 100),
    ];
    let bytes = layer_bytes(
        &entries,
        &LayerOptions {
            mtime: 1_700_000_000,
            keep_owner: false,
        },
    );
    assert_eq!(bytes.len(), 10240);
    assert_eq!(
        sha256_hex(&bytes),
        "2a48c3ce161a334745e4437d83b24b9e72d04a391443be4d979219bb188db91b"
    );
}

fn error_of(entries: &[Entry]) -> String {
    match plan_layer(entries, &options()) {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

#[test]
fn invalid_entries_are_refused_naming_the_path() {
    assert!(error_of(&[file("", 0o644, 0)]).contains("empty path"));
    assert!(error_of(&[file("/etc/passwd", 0o644, 0)]).contains("\"/etc/passwd\""));
    assert!(error_of(&[file("a/../b", 0o644, 0)]).contains("`..`"));
    assert!(error_of(&[file("./b", 0o644, 0)]).contains("\"./b\""));
    assert!(error_of(&[file("a//b", 0o644, 0)]).contains("empty component"));
    assert!(error_of(&[file("a/", 0o644, 0)]).contains("empty component"));
    assert!(error_of(&[file("a\0b", 0o644, 0)]).contains("NUL"));
    let dup = error_of(&[file("x/y", 0o644, 1), dir("x/y", 0o755)]);
    assert!(dup.contains("\"x/y\"") && dup.contains("twice"), "{dup}");
    assert!(error_of(&[Entry::new("l", EntryKind::Symlink)]).contains("\"l\""));
    assert!(error_of(&[symlink("l", "")]).contains("empty link target"));
    let group = error_of(&[Entry {
        link_group: Some(1),
        ..dir("d", 0o755)
    }]);
    assert!(
        group.contains("\"d\"") && group.contains("link group"),
        "{group}"
    );
    let xattr = |name: &str| {
        error_of(&[Entry {
            xattrs: vec![(name.to_owned(), vec![])],
            ..file("f", 0o644, 0)
        }])
    };
    assert!(xattr("").contains("\"f\""));
    assert!(xattr("user.a=b").contains("user.a=b"));
    let twice = error_of(&[Entry {
        xattrs: vec![
            ("user.a".to_owned(), vec![]),
            ("user.a".to_owned(), vec![1]),
        ],
        ..file("f", 0o644, 0)
    }]);
    assert!(twice.contains("twice"), "{twice}");
    let parent = error_of(&[file("f", 0o644, 0), file("f/g", 0o644, 0)]);
    assert!(
        parent.contains("\"f/g\"") && parent.contains("not a directory"),
        "{parent}"
    );
    // A missing parent is fine.
    assert!(plan_layer(&[file("x/y/z", 0o644, 1)], &options()).is_ok());
}

#[test]
fn device_numbers_beyond_ustar_are_unsupported() {
    let dev = Entry {
        device_major: 1 << 21,
        ..Entry::new("dev/x", EntryKind::CharDevice)
    };
    match plan_layer(&[dev], &options()) {
        Err(Error::Unsupported(m)) => assert!(m.contains("dev/x"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pax_headers_over_1_mib_are_too_large() {
    let entry = Entry {
        xattrs: vec![("user.big".to_owned(), vec![b'x'; 1 << 20])],
        ..file("f", 0o644, 0)
    };
    match plan_layer(&[entry], &options()) {
        Err(Error::TooLarge(m)) => assert!(m.contains("\"f\""), "{m}"),
        other => panic!("{other:?}"),
    }
}
