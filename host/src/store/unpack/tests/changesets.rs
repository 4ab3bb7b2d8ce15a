//! The changeset a planner decides, as the host executes it: removals
//! before the layer writes anything, the planner's contract checked, and
//! each layer read twice, the second read matching the first.

use std::cell::{Cell, RefCell};
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;

use super::*;
use crate::model::{Change, Member, MemberKind};

/// A planner that answers what `plan` makes of the members.
struct Scripted<F>(F);

impl<F: Fn(&[Member]) -> Vec<Change>> ChangesetPlanner for Scripted<F> {
    fn plan_changeset(&self, members: &[Member]) -> Result<Vec<Change>, PlannerError> {
        Ok((self.0)(members))
    }
}

/// The test-support planner, recording the members it is asked about.
#[derive(Default)]
struct Recording(RefCell<Vec<Vec<Member>>>);

impl ChangesetPlanner for Recording {
    fn plan_changeset(&self, members: &[Member]) -> Result<Vec<Change>, PlannerError> {
        self.0.borrow_mut().push(members.to_vec());
        planner().plan_changeset(members)
    }
}

#[test]
fn the_planner_gets_every_member_as_written() {
    let s = scene();
    let layer = TarBuilder::new()
        .dir("./etc/")
        .file("etc/.wh.old", b"")
        .symlink("lib", "usr/lib")
        .raw(b"pipe", tar::EntryType::Fifo, b"", b"")
        .finish();
    let recording = Recording::default();
    s.apply_planned(vec![layer], &recording).unwrap();
    let member = |path: &[u8], kind| Member {
        path: path.to_vec(),
        kind,
    };
    assert_eq!(
        recording.0.into_inner(),
        [vec![
            member(b"./etc/", MemberKind::Directory),
            member(b"etc/.wh.old", MemberKind::Regular),
            member(b"lib", MemberKind::Symlink),
            member(b"pipe", MemberKind::Fifo),
        ]]
    );
}

#[test]
fn whiteouts_in_the_root_remove_lower_entries_there() {
    let s = scene();
    let lower = TarBuilder::new()
        .file("gone", b"g")
        .dir("d/")
        .file("d/f", b"f")
        .file("kept", b"k")
        .finish();
    let middle = TarBuilder::new().file(".wh.gone", b"").finish();
    // An opaque root: everything lower layers made goes, this layer's stays.
    let upper = TarBuilder::new()
        .file(".wh..wh..opq", b"")
        .file("new", b"n")
        .finish();
    let report = s.apply(vec![lower.clone(), middle.clone()]).unwrap();
    assert_eq!(tree(&s.dest), set(&["d", "d/f", "kept"]));
    assert_eq!(report.whiteouts, 1);
    fs::remove_dir_all(&s.dest).unwrap();
    s.apply(vec![lower, middle, upper]).unwrap();
    assert_eq!(tree(&s.dest), set(&["new"]));
}

#[test]
fn an_opaque_directory_new_in_this_layer_keeps_its_children() {
    let s = scene();
    let lower = TarBuilder::new().file("other", b"o").finish();
    let upper = TarBuilder::new()
        .dir("d/")
        .file("d/.wh..wh..opq", b"")
        .file("d/a", b"a")
        .dir("d/sub/")
        .file("d/sub/b", b"b")
        .finish();
    let report = s.apply(vec![lower, upper]).unwrap();
    assert_eq!(
        tree(&s.dest),
        set(&["other", "d", "d/a", "d/sub", "d/sub/b"])
    );
    assert_eq!(report.whiteouts, 1);
}

#[test]
fn a_whiteout_of_what_the_same_layer_creates_leaves_it() {
    for whiteouts_first in [true, false] {
        let s = scene();
        let lower = TarBuilder::new().dir("d/").file("d/f", b"lower").finish();
        let whiteouts = |t: TarBuilder| t.file(".wh.new", b"").file("d/.wh.f", b"");
        let mut upper = TarBuilder::new();
        if whiteouts_first {
            upper = whiteouts(upper);
        }
        upper = upper.file("new", b"n").file("d/f", b"upper");
        if !whiteouts_first {
            upper = whiteouts(upper);
        }
        s.apply(vec![lower, upper.finish()]).unwrap();
        assert_eq!(
            tree(&s.dest),
            set(&["d", "d/f", "new"]),
            "{whiteouts_first}"
        );
        assert_eq!(s.read("d/f"), "upper");
        assert_eq!(s.read("new"), "n");
    }
}

#[test]
fn members_the_planner_leaves_out_are_not_written() {
    let s = scene();
    let layer = TarBuilder::new()
        .file("a", b"a")
        .file("skipped", &[9; 3000])
        .file("b", b"b")
        .finish();
    let planner = Scripted(|_: &[Member]| vec![Change::Apply(0), Change::Apply(2)]);
    let report = s.apply_planned(vec![layer], &planner).unwrap();
    assert_eq!(tree(&s.dest), set(&["a", "b"]));
    assert_eq!(report.entries, 2);
}

#[test]
fn refuses_a_plan_that_breaks_the_contract() {
    let plans: [(&str, Vec<Change>); 7] = [
        ("out of range", vec![Change::Apply(0), Change::Apply(2)]),
        ("repeated", vec![Change::Apply(1), Change::Apply(1)]),
        ("backwards", vec![Change::Apply(1), Change::Apply(0)]),
        (
            "removal after an apply",
            vec![Change::Apply(0), Change::Remove(b"a".to_vec())],
        ),
        (
            "climbing",
            vec![Change::Remove(b"../outside/keep".to_vec())],
        ),
        ("absolute", vec![Change::ClearDirectory(b"/tmp".to_vec())]),
        ("not normal", vec![Change::Remove(b"./a".to_vec())]),
    ];
    for (what, plan) in plans {
        let s = scene();
        let layer = TarBuilder::new().file("a", b"a").file("b", b"b").finish();
        let planner = Scripted(|_: &[Member]| plan.clone());
        let err = s.apply_planned(vec![layer], &planner).unwrap_err();
        assert!(
            matches!(&err, Error::PlannerContract { layer, .. } if layer == "layer 1"),
            "{what}: {err}"
        );
        assert!(
            err.to_string().contains("broke its contract"),
            "{what}: {err}"
        );
        s.assert_untouched(&[]);
    }
    // Removing the root is not clearing it.
    let s = scene();
    let planner = Scripted(|_: &[Member]| vec![Change::Remove(Vec::new())]);
    let err = s
        .apply_planned(vec![TarBuilder::new().finish()], &planner)
        .unwrap_err();
    assert!(matches!(&err, Error::PlannerContract { .. }), "{err}");
    s.assert_untouched(&[]);
}

#[test]
fn refuses_what_the_planner_refuses() {
    for name in [".wh.", "d/.wh..", ".wh..."] {
        let s = scene();
        let layer = TarBuilder::new().file(name, b"").finish();
        let err = s.apply(vec![layer]).unwrap_err();
        assert!(
            matches!(&err, Error::PlannerRefused { layer, .. } if layer == "layer 1"),
            "{name}: {err}"
        );
        s.assert_untouched(&[]);
    }
}

/// A layer whose bytes are `first` on the first read and `then` after.
fn changing(first: Vec<u8>, then: Vec<u8>) -> impl LayerTar {
    let reads = Cell::new(0);
    move || {
        reads.set(reads.get() + 1);
        let bytes = if reads.get() == 1 { &first } else { &then };
        Ok(io::Cursor::new(bytes.clone()))
    }
}

#[test]
fn refuses_a_layer_that_changes_between_its_two_reads() {
    let base = || TarBuilder::new().file("a", b"a");
    let changes = [
        ("renamed", base().file("b", b"b"), base().file("c", b"b")),
        (
            "another type",
            base().file("b", b"b"),
            base().symlink("b", "a"),
        ),
        ("grown", base(), base().file("b", b"b")),
        ("shrunk", base().file("b", b"b"), base()),
    ];
    for (what, first, then) in changes {
        let s = scene();
        let layer = changing(first.finish(), then.finish());
        let err =
            apply_layers([layer], &s.dest, &UnpackOptions::default(), &planner()).unwrap_err();
        assert!(
            matches!(&err, Error::LayerChanged { layer, .. } if layer == "layer 1"),
            "{what}: {err}"
        );
        s.assert_untouched(&[]);
    }
}

#[test]
fn a_layer_with_the_wrong_diff_id_is_refused_before_it_is_planned() {
    let s = scene();
    let mut files = legacy_files(&[Image {
        tags: &["a:1"],
        layers: vec![
            TarBuilder::new().file("a", b"a").finish(),
            TarBuilder::new().file("b", b"b").finish(),
        ],
    }]);
    let second = layer_names(&files).remove(1);
    replace(
        &mut files,
        &second,
        TarBuilder::new().file("b", b"tampered").finish(),
    );
    let recording = Recording::default();
    let err = unpack_archive(
        &s.archive(&files),
        None,
        &s.dest,
        &UnpackOptions::default(),
        &recording,
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::DiffIdMismatch { layer, .. } if layer.starts_with("layer 2 of 2")),
        "{err}"
    );
    // Only the first layer got as far as the planner.
    assert_eq!(recording.0.borrow().len(), 1);
    s.assert_untouched(&[]);
}

#[test]
fn setuid_and_setgid_bits_are_dropped_unless_root() {
    let layer = TarBuilder::new()
        .file_mode("su", b"s", 0o4755)
        .file_mode("sg", b"g", 0o2711)
        .raw_with(b"shared/", tar::EntryType::Directory, b"", b"", |h| {
            h.set_mode(0o3775)
        })
        .finish();
    let mode = |root: &Path, p: &str| fs::symlink_metadata(root.join(p)).unwrap().mode() & 0o7777;

    let dir = tempfile::tempdir().unwrap();
    apply_as(dir.path(), layer.clone(), false);
    assert_eq!(mode(dir.path(), "su"), 0o755);
    assert_eq!(mode(dir.path(), "sg"), 0o711);
    assert_eq!(mode(dir.path(), "shared"), 0o1775);

    // Only root may give files away (chown to the header's owner).
    if running_as_root() {
        let dir = tempfile::tempdir().unwrap();
        apply_as(dir.path(), layer, true);
        assert_eq!(mode(dir.path(), "su"), 0o4755);
        assert_eq!(mode(dir.path(), "sg"), 0o2711);
        assert_eq!(mode(dir.path(), "shared"), 0o3775);
    }
}
