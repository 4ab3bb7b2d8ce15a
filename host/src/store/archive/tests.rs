//! Tests of reading archives: the index, its refusals, the manifest.

use std::fs::File;
use std::io::{self, Read};

use super::*;
use crate::store::test_support::*;

fn layer(name: &str, data: &[u8]) -> Vec<u8> {
    TarBuilder::new().dir("etc/").file(name, data).finish()
}

fn one_image() -> Vec<(String, Vec<u8>)> {
    legacy_files(&[Image {
        tags: &["example.com/app:1"],
        layers: vec![layer("etc/a", b"a")],
    }])
}

fn layer_name(files: &[(String, Vec<u8>)]) -> String {
    layer_names(files).remove(0)
}

/// An archive holding `files` plus one raw entry, scanned.
fn scan_with_raw(name: &[u8]) -> Result<ArchiveIndex, Error> {
    let dir = tempfile::tempdir().unwrap();
    let mut tar = TarBuilder::new();
    for (n, data) in one_image() {
        tar = tar.file(&n, &data);
    }
    let bytes = tar
        .raw(name, tar::EntryType::Regular, b"", b"evil")
        .finish();
    ArchiveIndex::scan(&write(dir.path(), "image.tar", &bytes))
}

#[test]
fn legacy_archive_is_indexed_and_checked() {
    let plain = layer("etc/a", b"a");
    let gzipped = gzip(&layer("etc/b", b"b"));
    let files = legacy_files(&[Image {
        tags: &["example.com/app:1", "app:latest"],
        layers: vec![plain.clone(), gzipped],
    }]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &tar_of(&files));

    let index = ArchiveIndex::scan(&path).unwrap();
    let images = index.images().unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].repo_tags, ["example.com/app:1", "app:latest"]);
    assert_eq!(images[0].layers.len(), 2);
    assert!(images[0].config_path.ends_with(".json"));
    let dir_entry = index
        .get(images[0].layers[0].split_once('/').unwrap().0)
        .unwrap();
    assert_eq!(dir_entry.kind, EntryKind::Directory);
    assert_eq!(index.path(), path);
    assert_eq!(index.diff_ids(&images[0]).unwrap()[0], diff_id(&plain));

    let mut bytes = Vec::new();
    index
        .open(&images[0].layers[0])
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(bytes, plain);
}

#[test]
fn dual_format_archive_is_indexed_and_checked() {
    let files = dual_files(&[Image {
        tags: &["app:1"],
        layers: vec![layer("etc/a", b"a"), gzip(&layer("etc/b", b"b"))],
    }]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &tar_of(&files));
    let index = ArchiveIndex::scan(&path).unwrap();
    let images = index.images().unwrap();
    assert!(images[0].config_path.starts_with("blobs/sha256/"));
    assert!(
        images[0]
            .layers
            .iter()
            .all(|l| l.starts_with("blobs/sha256/"))
    );
    assert!(index.get("index.json").is_some() && index.get("oci-layout").is_some());
    assert_eq!(index.diff_ids(&images[0]).unwrap().len(), 2);
}

#[test]
fn shared_layer_symlink_is_followed() {
    // `docker save a b` writes a layer both images share once, and the
    // second image's `<id>/layer.tar` as a symlink to the first.
    let base = layer("etc/a", b"a");
    let mut files = legacy_files(&[Image {
        tags: &["a:1"],
        layers: vec![base.clone()],
    }]);
    let first = layer_name(&files);
    let config = config(&[diff_id(&base)]);
    files.retain(|(name, _)| name != "manifest.json");
    let config_name = format!("{}.json", sha256_hex(&config));
    let manifest = serde_json::json!([
        { "Config": config_name, "RepoTags": ["a:1"], "Layers": [first] },
        { "Config": config_name, "RepoTags": ["b:1"], "Layers": ["second/layer.tar"] },
    ]);
    let mut tar = TarBuilder::new();
    for (name, data) in &files {
        tar = if name.ends_with('/') {
            tar.dir(name)
        } else {
            tar.file(name, data)
        };
    }
    let bytes = tar
        .dir("second/")
        .symlink("second/layer.tar", &format!("../{first}"))
        .file("manifest.json", &serde_json::to_vec(&manifest).unwrap())
        .finish();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &bytes);
    let index = ArchiveIndex::scan(&path).unwrap();
    assert_eq!(
        index.get("second/layer.tar").unwrap().kind,
        EntryKind::Symlink
    );
    let images = index.images().unwrap();
    assert_eq!(images[1].layers, ["second/layer.tar"]);
    assert_eq!(index.diff_ids(&images[1]).unwrap(), [diff_id(&base)]);
    let mut bytes = Vec::new();
    index
        .open("second/layer.tar")
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(bytes, base);
}

#[test]
fn refuses_an_absolute_name() {
    let err = scan_with_raw(b"/etc/passwd").unwrap_err();
    assert!(
        matches!(&err, Error::AbsoluteName { entry, .. } if entry == "/etc/passwd"),
        "{err}"
    );
}

#[test]
fn refuses_a_parent_component() {
    let err = scan_with_raw(b"blobs/../../x").unwrap_err();
    assert!(
        matches!(&err, Error::ParentComponent { entry, .. } if entry == "blobs/../../x"),
        "{err}"
    );
}

#[test]
fn refuses_a_non_utf8_name() {
    let err = scan_with_raw(b"caf\xe9.json").unwrap_err();
    assert!(matches!(&err, Error::NonUtf8Name { .. }), "{err}");
}

#[test]
fn refuses_names_that_normalise_to_the_same_path() {
    let err = scan_with_raw(b".//manifest.json").unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateEntry { entry, path, .. } if entry == ".//manifest.json" && path == "manifest.json"),
        "{err}"
    );
}

#[test]
fn refuses_a_header_with_a_bad_checksum() {
    let mut bytes = tar_of(&one_image());
    bytes[512 + 1] ^= 0x20; // the second header's name (the first, a directory, has no data)
    let dir = tempfile::tempdir().unwrap();
    let err = ArchiveIndex::scan(&write(dir.path(), "image.tar", &bytes)).unwrap_err();
    assert!(
        matches!(&err, Error::CorruptHeader { entry: Some(_), .. }),
        "{err}"
    );
    assert!(err.to_string().contains("checksum"), "{err}");
}

#[test]
fn refuses_an_archive_cut_inside_data() {
    let files = one_image();
    let bytes = tar_of(&files);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &bytes);
    let layer = ArchiveIndex::scan(&path)
        .unwrap()
        .get(&layer_name(&files))
        .unwrap()
        .clone();
    let cut = (layer.offset + layer.size / 2) as usize;
    let err = ArchiveIndex::scan(&write(dir.path(), "cut.tar", &bytes[..cut])).unwrap_err();
    assert!(
        matches!(&err, Error::Truncated { entry: Some(e), .. } if e.ends_with("layer.tar")),
        "{err}"
    );
}

#[test]
fn refuses_an_archive_cut_inside_a_header() {
    let bytes = tar_of(&one_image());
    let dir = tempfile::tempdir().unwrap();
    let err = ArchiveIndex::scan(&write(dir.path(), "cut.tar", &bytes[..512 + 100])).unwrap_err();
    assert!(matches!(&err, Error::Truncated { .. }), "{err}");
}

#[test]
fn refuses_an_archive_without_its_end_marker() {
    let bytes = tar_of(&one_image());
    let dir = tempfile::tempdir().unwrap();
    // The builder ends with two zero blocks: drop both.
    let err = ArchiveIndex::scan(&write(dir.path(), "cut.tar", &bytes[..bytes.len() - 1024]))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Truncated { entry: Some(e), .. } if e == "manifest.json"),
        "{err}"
    );
}

#[test]
fn refuses_a_missing_manifest() {
    let mut files = one_image();
    files.retain(|(name, _)| name != "manifest.json");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &tar_of(&files));
    let err = ArchiveIndex::scan(&path).unwrap().images().unwrap_err();
    assert!(matches!(&err, Error::MissingManifest { .. }), "{err}");
}

#[test]
fn refuses_a_manifest_that_is_not_json() {
    let mut files = one_image();
    replace(&mut files, "manifest.json", b"[{\"Config\": ".to_vec());
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &tar_of(&files));
    let err = ArchiveIndex::scan(&path).unwrap().images().unwrap_err();
    assert!(matches!(&err, Error::BadManifest { .. }), "{err}");
}

#[test]
fn refuses_a_manifest_naming_a_missing_layer() {
    let mut files = one_image();
    let name = layer_name(&files);
    files.retain(|(n, _)| *n != name);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &tar_of(&files));
    let err = ArchiveIndex::scan(&path).unwrap().images().unwrap_err();
    assert!(
        matches!(&err, Error::MissingEntry { entry, .. } if *entry == name),
        "{err}"
    );
}

#[test]
fn refuses_a_manifest_naming_a_directory() {
    let mut files = one_image();
    let name = layer_name(&files);
    let id = name.split_once('/').unwrap().0.to_owned();
    let manifest = String::from_utf8(
        files
            .iter()
            .find(|(n, _)| n == "manifest.json")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    replace(
        &mut files,
        "manifest.json",
        manifest.replace(&name, &format!("{id}/")).into_bytes(),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &tar_of(&files));
    let err = ArchiveIndex::scan(&path).unwrap().images().unwrap_err();
    assert!(
        matches!(
            &err,
            Error::NotRegular {
                kind: EntryKind::Directory,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn refuses_a_manifest_naming_an_unsafe_path() {
    let mut files = one_image();
    let name = layer_name(&files);
    let manifest = String::from_utf8(
        files
            .iter()
            .find(|(n, _)| n == "manifest.json")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    replace(
        &mut files,
        "manifest.json",
        manifest.replace(&name, "../../etc/shadow").into_bytes(),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &tar_of(&files));
    let err = ArchiveIndex::scan(&path).unwrap().images().unwrap_err();
    assert!(
        matches!(&err, Error::ParentComponent { entry, .. } if entry == "../../etc/shadow"),
        "{err}"
    );
}

#[test]
fn refuses_a_layer_symlink_out_of_the_archive() {
    let mut files = one_image();
    let name = layer_name(&files);
    files.retain(|(n, _)| *n != name);
    let mut tar = TarBuilder::new();
    for (n, data) in &files {
        tar = if n.ends_with('/') {
            tar.dir(n)
        } else {
            tar.file(n, data)
        };
    }
    let bytes = tar.symlink(&name, "../../outside.tar").finish();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &bytes);
    let err = ArchiveIndex::scan(&path).unwrap().images().unwrap_err();
    assert!(
        matches!(&err, Error::BadLink { entry, .. } if *entry == name),
        "{err}"
    );
}

#[test]
fn diff_ids_refuse_a_config_that_does_not_match_its_digest() {
    let mut files = dual_files(&[Image {
        tags: &["app:1"],
        layers: vec![layer("etc/a", b"a")],
    }]);
    let config_name = {
        let manifest: serde_json::Value =
            serde_json::from_slice(&files.iter().find(|(n, _)| n == "manifest.json").unwrap().1)
                .unwrap();
        manifest[0]["Config"].as_str().unwrap().to_owned()
    };
    let mut config = files
        .iter()
        .find(|(n, _)| *n == config_name)
        .unwrap()
        .1
        .clone();
    config.push(b'\n'); // same diff_ids, other bytes
    replace(&mut files, &config_name, config);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &tar_of(&files));
    let index = ArchiveIndex::scan(&path).unwrap();
    let images = index.images().unwrap();
    let err = index.diff_ids(&images[0]).unwrap_err();
    assert!(
        matches!(&err, Error::DigestMismatch { entry, .. } if *entry == config_name),
        "{err}"
    );
}

#[test]
fn diff_ids_refuse_a_layer_count_mismatch() {
    let mut files = one_image();
    let manifest: serde_json::Value =
        serde_json::from_slice(&files.iter().find(|(n, _)| n == "manifest.json").unwrap().1)
            .unwrap();
    let mut manifest = manifest;
    let first = manifest[0]["Layers"][0].clone();
    manifest[0]["Layers"] = serde_json::json!([first.clone(), first]);
    replace(
        &mut files,
        "manifest.json",
        serde_json::to_vec(&manifest).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &tar_of(&files));
    let index = ArchiveIndex::scan(&path).unwrap();
    let err = index.diff_ids(&index.images().unwrap()[0]).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::LayerCountMismatch {
                diff_ids: 1,
                layers: 2,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn open_refuses_to_read_past_a_file_that_shrank() {
    let files = one_image();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "image.tar", &tar_of(&files));
    let index = ArchiveIndex::scan(&path).unwrap();
    let layer = index.get(&layer_name(&files)).unwrap().clone();
    File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(layer.offset + 10)
        .unwrap();
    let mut bytes = Vec::new();
    let err = index
        .open(&layer_name(&files))
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}
