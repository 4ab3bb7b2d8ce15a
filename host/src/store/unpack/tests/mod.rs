//! Tests of unpacking: what layers do (`layers`), what is refused
//! (`refusals`), and the changeset contract and the two reads of each
//! layer (`changesets`). Every test unpacks with the test-support planner.

mod changesets;
mod layers;
mod refusals;

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::*;
use crate::store::test_support::*;

/// A layer tar held in memory, readable any number of times.
pub(super) fn bytes_layer(bytes: Vec<u8>) -> impl LayerTar {
    move || Ok(io::Cursor::new(bytes.clone()))
}

/// A test's directories: `top` holds `outside/keep` (what escapes would
/// reach) and is where `rootfs` (the destination) goes; archives live
/// in `inputs`, elsewhere.
pub(super) struct Scene {
    pub(super) top: tempfile::TempDir,
    pub(super) inputs: tempfile::TempDir,
    pub(super) dest: PathBuf,
    pub(super) outside: PathBuf,
}

pub(super) fn scene() -> Scene {
    let top = tempfile::tempdir().unwrap();
    let outside = top.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("keep"), b"keep").unwrap();
    let dest = top.path().join("rootfs");
    Scene {
        inputs: tempfile::tempdir().unwrap(),
        dest,
        outside,
        top,
    }
}

impl Scene {
    pub(super) fn apply(&self, layers: Vec<Vec<u8>>) -> Result<UnpackReport, Error> {
        self.apply_with(layers, &UnpackOptions::default())
    }

    pub(super) fn apply_with(
        &self,
        layers: Vec<Vec<u8>>,
        opts: &UnpackOptions,
    ) -> Result<UnpackReport, Error> {
        let layers = layers.into_iter().map(bytes_layer);
        apply_layers(layers, &self.dest, opts, &planner())
    }

    /// Applies `layers` with another planner.
    pub(super) fn apply_planned(
        &self,
        layers: Vec<Vec<u8>>,
        planner: &dyn ChangesetPlanner,
    ) -> Result<UnpackReport, Error> {
        let layers = layers.into_iter().map(bytes_layer);
        apply_layers(layers, &self.dest, &UnpackOptions::default(), planner)
    }

    /// Unpacks the archive of `files`, the image tagged `image` (or the first).
    pub(super) fn unpack(
        &self,
        files: &[(String, Vec<u8>)],
        image: Option<&str>,
    ) -> Result<UnpackReport, Error> {
        let archive = self.archive(files);
        unpack_archive(
            &archive,
            image,
            &self.dest,
            &UnpackOptions::default(),
            &planner(),
        )
    }

    pub(super) fn archive(&self, files: &[(String, Vec<u8>)]) -> PathBuf {
        write(self.inputs.path(), "image.tar", &tar_of(files))
    }

    /// After a refusal: `dest` not created, no staging directory
    /// left, nothing added outside.
    pub(super) fn assert_untouched(&self, also: &[&str]) {
        let mut expected: BTreeSet<String> = also.iter().map(|s| s.to_string()).collect();
        expected.insert("outside".to_owned());
        assert_eq!(names(self.top.path()), expected, "beside the destination");
        assert_eq!(
            names(&self.outside),
            BTreeSet::from(["keep".to_owned()]),
            "outside"
        );
        assert_eq!(fs::read(self.outside.join("keep")).unwrap(), b"keep");
    }

    pub(super) fn read(&self, path: &str) -> String {
        String::from_utf8(fs::read(self.dest.join(path)).unwrap()).unwrap()
    }
}

pub(super) fn names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

/// Every path under `dir`, relative.
pub(super) fn tree(dir: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in fs::read_dir(dir.join(&rel)).unwrap() {
            let entry = entry.unwrap();
            let child = rel.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                stack.push(child.clone());
            }
            found.insert(child.to_string_lossy().into_owned());
        }
    }
    found
}

pub(super) fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|s| s.to_string()).collect()
}

/// Applies one layer onto the existing directory `root` with an applier
/// that restores ownership and setuid/setgid bits only when `as_root`,
/// whoever runs the tests.
pub(super) fn apply_as(root: &Path, bytes: Vec<u8>, as_root: bool) {
    let layer = layer::Layer {
        label: "layer 1".to_owned(),
        tar: bytes_layer(bytes),
        diff_id: None,
    };
    let members = layer::members(&layer).unwrap();
    let changeset = changeset::plan(&planner(), &layer.label, &members).unwrap();
    let mut applier = apply::Applier::new(root, false, as_root);
    applier.apply(&layer, &members, &changeset).unwrap();
    applier.finish().unwrap();
}
