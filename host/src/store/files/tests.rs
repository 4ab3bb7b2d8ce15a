use super::*;

#[test]
fn kind_tells_files_directories_links_and_nothing_apart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, b"x").unwrap();
    let link = dir.path().join("l");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    assert_eq!(kind(&file, false).unwrap(), Kind::File);
    assert_eq!(kind(dir.path(), false).unwrap(), Kind::Dir);
    assert_eq!(kind(&link, false).unwrap(), Kind::Other);
    assert_eq!(kind(&link, true).unwrap(), Kind::File);
    assert_eq!(kind(&dir.path().join("none"), true).unwrap(), Kind::Absent);
}

#[test]
fn open_input_refuses_a_directory_naming_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_input(dir.path(), "a plugin config").unwrap_err();
    assert_eq!(e.to_string(), "it is a directory, not a plugin config");
}

#[test]
fn hash_file_gives_the_sha256_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, b"abc").unwrap();
    let (digest, size) = hash_file(&file).unwrap();
    assert_eq!(size, 3);
    assert_eq!(
        digest.to_string(),
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn a_scratch_directory_goes_when_dropped() {
    let scratch = Scratch::new("ocipipe-test-").unwrap();
    let path = scratch.path().to_path_buf();
    std::fs::write(path.join("f"), b"x").unwrap();
    drop(scratch);
    assert!(!path.exists());
}

#[test]
fn a_staged_directory_appears_whole_on_commit_and_not_at_all_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let staged = StagedDir::new(&target).unwrap();
    std::fs::write(staged.path().join("a"), b"x").unwrap();
    assert!(!target.exists());
    staged.commit().unwrap();
    assert_eq!(std::fs::read(target.join("a")).unwrap(), b"x");

    let other = dir.path().join("other");
    let staged = StagedDir::new(&other).unwrap();
    std::fs::write(staged.path().join("a"), b"x").unwrap();
    drop(staged);
    assert!(!other.exists());
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "only the committed directory is left");
}

#[test]
fn a_staged_directory_fills_an_empty_one_and_the_one_a_link_names() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&empty, &link).unwrap();
    let staged = StagedDir::new(&link).unwrap();
    std::fs::write(staged.path().join("a"), b"x").unwrap();
    staged.commit().unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(empty.join("a")).unwrap(), b"x");
}

#[test]
fn a_staged_directory_refuses_what_is_not_a_new_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, b"x").unwrap();
    let e = StagedDir::new(&file).err().unwrap();
    assert_eq!(e.to_string(), "it exists and is not a directory");
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("none"), &dangling).unwrap();
    let e = StagedDir::new(&dangling).err().unwrap();
    assert!(e.to_string().contains("which does not exist"), "{e}");
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("a"), b"x").unwrap();
    assert!(StagedDir::new(&full).is_err());
}

#[test]
fn an_output_is_renamed_into_place_only_when_committed() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    std::fs::write(&target, b"old").unwrap();
    let mut out = Output::create(&target).unwrap();
    out.write_all(b"new").unwrap();
    drop(out);
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    let mut out = Output::create(&target).unwrap();
    out.write_all(b"new").unwrap();
    out.commit().unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
}

#[test]
fn a_cache_entry_is_rewritten_from_empty_and_renamed_into_place_as_its_owners() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let path = cache.join("blob");
    let entry = cache_entry(&path).unwrap();
    entry
        .rewrite()
        .unwrap()
        .write_all(b"partial and long")
        .unwrap();
    entry.rewrite().unwrap().write_all(b"whole").unwrap();
    assert!(!path.exists());
    entry.commit(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"whole");
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
