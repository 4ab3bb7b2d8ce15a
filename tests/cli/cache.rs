//! The compile cache: miss, hit, corrupt entries, processes starting at once.

use crate::harness::{Ocipipe, hostile};
use ocipipe::runtime::{
    CacheOutcome, CompileCache, Limits, Operation as _, Runtime, Source, Tagging,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn load(dir: &Path) -> Option<CacheOutcome> {
    let runtime = Arc::new(Runtime::new(Limits::default(), Some(CompileCache::new(dir))).unwrap());
    let tagging = runtime.load::<Tagging>(&Source::Builtin).unwrap();
    assert_eq!(
        tagging.parse_normalized_named("ubuntu").unwrap().name,
        "docker.io/library/ubuntu"
    );
    tagging.cache_outcome()
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    all.sort();
    all
}

#[test]
fn a_miss_compiles_and_stores_then_a_hit_loads() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(load(dir.path()), Some(CacheOutcome::Miss));
    let stored = entries(dir.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].to_str().unwrap().ends_with(".cwasm"));
    assert_eq!(load(dir.path()), Some(CacheOutcome::Hit));
}

#[test]
fn a_corrupt_entry_is_compiled_again_never_loaded() {
    type Corruption = (&'static str, fn(&mut Vec<u8>));
    let corruptions: [Corruption; 4] = [
        ("a flipped byte", |b| {
            let middle = b.len() / 2;
            b[middle] ^= 0x55;
        }),
        ("truncated", |b| b.truncate(b.len() / 2)),
        ("empty", |b| b.clear()),
        ("garbage", |b| *b = b"not a compiled component".to_vec()),
    ];
    for (what, corrupt) in corruptions {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), Some(CacheOutcome::Miss));
        let entry = entries(dir.path()).remove(0);
        let mut bytes = std::fs::read(&entry).unwrap();
        corrupt(&mut bytes);
        std::fs::write(&entry, &bytes).unwrap();
        assert_eq!(load(dir.path()), Some(CacheOutcome::Replaced), "{what}");
        assert_eq!(
            load(dir.path()),
            Some(CacheOutcome::Hit),
            "{what}: the entry was rewritten"
        );
    }
}

#[test]
fn processes_starting_at_once_share_the_cache_safely() {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            crate::harness::ocipipe_command()
                .env("OCIPIPE_CACHE_DIR", dir.path())
                .args(["ref", "normalize", "ubuntu"])
                .output_async()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, b"docker.io/library/ubuntu\n");
    }
    let stored = entries(dir.path());
    assert_eq!(
        stored.len(),
        1,
        "one entry, no temporary files left: {stored:?}"
    );
    assert_eq!(load(dir.path()), Some(CacheOutcome::Hit));
}

#[test]
fn each_component_has_its_own_entry() {
    let dir = tempfile::tempdir().unwrap();
    load(dir.path());
    let runtime =
        Arc::new(Runtime::new(Limits::default(), Some(CompileCache::new(dir.path()))).unwrap());
    let other = runtime.load::<Tagging>(&Source::File(hostile())).unwrap();
    assert_eq!(other.cache_outcome(), Some(CacheOutcome::Miss));
    assert_eq!(entries(dir.path()).len(), 2);
}

#[test]
fn an_unusable_cache_directory_only_costs_speed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let run = Ocipipe::with_cache(&file).run(&["ref", "normalize", "ubuntu"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "docker.io/library/ubuntu\n");
}

#[test]
fn no_cache_compiles_every_time() {
    let runtime = Arc::new(Runtime::new(Limits::default(), None).unwrap());
    let tagging = runtime.load::<Tagging>(&Source::Builtin).unwrap();
    assert_eq!(tagging.cache_outcome(), None);
}

/// `Command::spawn` with piped output, so several run at once.
trait SpawnPiped {
    fn output_async(&mut self) -> std::process::Child;
}

impl SpawnPiped for std::process::Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}
