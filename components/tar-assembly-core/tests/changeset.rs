//! `plan_changeset`: OCI image-spec `layer.md` "Applying Changesets", one
//! rule per test.

use tar_assembly_core::{Change, Error, Member, MemberKind, plan_changeset};

fn member(path: &[u8], kind: MemberKind) -> Member {
    Member {
        path: path.to_vec(),
        kind,
    }
}

fn file(path: &str) -> Member {
    member(path.as_bytes(), MemberKind::Regular)
}

fn dir(path: &str) -> Member {
    member(path.as_bytes(), MemberKind::Directory)
}

fn remove(path: &str) -> Change {
    Change::Remove(path.as_bytes().to_vec())
}

fn clear(path: &str) -> Change {
    Change::ClearDirectory(path.as_bytes().to_vec())
}

fn plan(members: &[Member]) -> Vec<Change> {
    plan_changeset(members).unwrap()
}

fn invalid(members: &[Member]) -> String {
    match plan_changeset(members) {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

#[test]
fn a_layer_without_whiteouts_applies_every_member_in_tar_order() {
    let members = [dir("a/"), file("a/b"), file("c")];
    assert_eq!(
        plan(&members),
        [Change::Apply(0), Change::Apply(1), Change::Apply(2)]
    );
    assert_eq!(plan(&[]), []);
}

#[test]
fn a_whiteout_removes_its_name_in_its_directory_and_is_not_written() {
    let members = [dir("etc/"), file("etc/.wh.passwd"), file("etc/hosts")];
    assert_eq!(
        plan(&members),
        [remove("etc/passwd"), Change::Apply(0), Change::Apply(2)]
    );
}

#[test]
fn a_whiteout_in_the_root() {
    assert_eq!(plan(&[file(".wh.var")]), [remove("var")]);
    assert_eq!(plan(&[file("./.wh.var")]), [remove("var")]);
}

#[test]
fn removals_come_first_whatever_their_place_in_the_tar() {
    // layer.md: the whiteout applies before the layer writes anything.
    let members = [file("a"), file("b/.wh.c"), file("d"), file(".wh.e")];
    assert_eq!(
        plan(&members),
        [
            remove("b/c"),
            remove("e"),
            Change::Apply(0),
            Change::Apply(2)
        ]
    );
}

#[test]
fn a_whiteout_and_a_new_file_of_the_same_name_remove_then_write() {
    let members = [file("x"), file(".wh.x")];
    assert_eq!(plan(&members), [remove("x"), Change::Apply(0)]);
}

#[test]
fn an_opaque_directory_is_cleared_before_its_new_children_are_written() {
    // layer.md's example, with the marker before and after the children.
    let before = [
        dir("a/"),
        file("a/.wh..wh..opq"),
        dir("a/b/"),
        dir("a/b/c/"),
        file("a/b/c/foo"),
    ];
    assert_eq!(
        plan(&before),
        [
            clear("a"),
            Change::Apply(0),
            Change::Apply(2),
            Change::Apply(3),
            Change::Apply(4)
        ]
    );
    let after = [
        dir("a/"),
        dir("a/b/"),
        dir("a/b/c/"),
        file("a/b/c/foo"),
        file("a/.wh..wh..opq"),
    ];
    assert_eq!(
        plan(&after),
        [
            clear("a"),
            Change::Apply(0),
            Change::Apply(1),
            Change::Apply(2),
            Change::Apply(3)
        ]
    );
}

#[test]
fn an_opaque_marker_in_the_root_clears_the_root() {
    assert_eq!(
        plan(&[file(".wh..wh..opq"), file("new")]),
        [clear(""), Change::Apply(1)]
    );
    assert_eq!(plan(&[file("./.wh..wh..opq")]), [clear("")]);
}

#[test]
fn names_are_normalised() {
    let members = [
        dir("./"),
        file("./a/./b/.wh.c"),
        file("a//d/.wh..wh..opq"),
        dir("./e/f/"),
    ];
    assert_eq!(
        plan(&members),
        [
            remove("a/b/c"),
            clear("a/d"),
            Change::Apply(0),
            Change::Apply(3)
        ]
    );
}

#[test]
fn names_that_are_not_utf8_pass_through() {
    let members = [
        member(b"d/\xff\xfe", MemberKind::Regular),
        member(b"d/.wh.\xc3\x28", MemberKind::Regular),
        member(b"\x80/.wh..wh..opq", MemberKind::Regular),
    ];
    assert_eq!(
        plan(&members),
        [
            Change::Remove(b"d/\xc3\x28".to_vec()),
            Change::ClearDirectory(b"\x80".to_vec()),
            Change::Apply(0)
        ]
    );
}

#[test]
fn aufs_bookkeeping_is_skipped() {
    let members = [
        dir(".wh..wh.plnk/"),
        file(".wh..wh.plnk/1234.5678"),
        dir(".wh..wh.orph/"),
        file("d/.wh..wh.aufs"),
        file("d/.wh..wh."),
        file("kept"),
    ];
    assert_eq!(plan(&members), [Change::Apply(5)]);
}

#[test]
fn pax_global_headers_are_skipped_whatever_their_name() {
    let members = [
        member(b"pax_global_header", MemberKind::PaxGlobal),
        member(b"/../odd", MemberKind::PaxGlobal),
        file("a"),
    ];
    assert_eq!(plan(&members), [Change::Apply(2)]);
}

#[test]
fn two_members_for_one_path_are_both_applied_in_order() {
    let members = [file("a"), member(b"./a", MemberKind::Symlink)];
    assert_eq!(plan(&members), [Change::Apply(0), Change::Apply(1)]);
}

#[test]
fn every_known_kind_is_applied() {
    let kinds = [
        MemberKind::Regular,
        MemberKind::Directory,
        MemberKind::Symlink,
        MemberKind::HardLink,
        MemberKind::CharDevice,
        MemberKind::BlockDevice,
        MemberKind::Fifo,
    ];
    let members: Vec<Member> = kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| member(format!("m{i}").as_bytes(), kind))
        .collect();
    let applied: Vec<Change> = (0..kinds.len() as u32).map(Change::Apply).collect();
    assert_eq!(plan(&members), applied);
}

#[test]
fn a_whiteout_naming_nothing_dot_or_dot_dot_is_refused_naming_the_member() {
    for name in ["d/.wh.", ".wh..", "d/.wh...", "./.wh."] {
        let m = invalid(&[file("ok"), file(name)]);
        assert!(
            m.starts_with(&format!("member 1 {name:?}: ")) && m.contains("whiteout"),
            "{m}"
        );
    }
}

#[test]
fn an_unknown_member_type_is_unsupported_naming_the_member() {
    match plan_changeset(&[file("a"), member(b"dev/odd", MemberKind::Other)]) {
        Err(Error::Unsupported(m)) => assert!(m.starts_with("member 1 \"dev/odd\": "), "{m}"),
        other => panic!("expected unsupported, got {other:?}"),
    }
}

#[test]
fn names_that_leave_the_root_are_refused() {
    for (name, why) in [
        ("../etc/passwd", "`..`"),
        ("a/../../b", "`..`"),
        ("a/.wh...", "whiteout"),
        ("/etc/passwd", "absolute"),
        ("/", "absolute"),
        ("", "empty"),
        ("a\0b", "NUL"),
    ] {
        let m = invalid(&[file(name)]);
        assert!(
            m.starts_with("member 0 ") && m.contains(why),
            "{name:?}: {m}"
        );
    }
    // A whiteout of `..` through a normalised name is refused too.
    assert!(invalid(&[file("a/../.wh.b")]).contains("`..`"));
}

#[test]
fn members_inside_a_directory_named_like_a_whiteout_are_refused() {
    let m = invalid(&[file("a/.wh.b/c")]);
    assert!(m.contains("\"a/.wh.b/c\"") && m.contains(".wh."), "{m}");
}
