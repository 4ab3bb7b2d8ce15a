//! Refusals: each leaves no destination and nothing outside.

use std::fs;
use std::path::Path;

use super::*;
use crate::store::archive;

#[test]
fn refuses_an_absolute_path() {
    let s = scene();
    let layer = TarBuilder::new()
        .file("ok", b"ok")
        .raw(b"/etc/evil", tar::EntryType::Regular, b"", b"x")
        .finish();
    let err = s.apply(vec![layer]).unwrap_err();
    assert!(
        matches!(&err, Error::AbsolutePath { entry, .. } if entry == "/etc/evil"),
        "{err}"
    );
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_parent_component() {
    let s = scene();
    let layer = TarBuilder::new()
        .raw(b"a/../../outside/evil", tar::EntryType::Regular, b"", b"x")
        .finish();
    let err = s.apply(vec![layer]).unwrap_err();
    assert!(
        matches!(&err, Error::ParentComponent { entry, .. } if entry == "a/../../outside/evil"),
        "{err}"
    );
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_path_through_a_symlink_to_an_absolute_path() {
    let s = scene();
    let lower = TarBuilder::new()
        .symlink("evil", s.outside.to_str().unwrap())
        .finish();
    let upper = TarBuilder::new().file("evil/passwd", b"root::0:0").finish();
    let err = s.apply(vec![lower, upper]).unwrap_err();
    assert!(
        matches!(&err, Error::SymlinkEscape { entry, link, .. } if entry == "evil/passwd" && link == Path::new("evil")),
        "{err}"
    );
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_path_through_a_symlink_climbing_out() {
    for target in ["../outside", "../../x", "a/../../outside"] {
        let s = scene();
        let lower = TarBuilder::new()
            .dir("d/")
            .symlink("d/evil", &format!("../{target}"))
            .finish();
        let upper = TarBuilder::new()
            .file("d/evil/passwd", b"root::0:0")
            .finish();
        let err = s.apply(vec![lower, upper]).unwrap_err();
        assert!(
            matches!(&err, Error::SymlinkEscape { entry, .. } if entry == "d/evil/passwd"),
            "{target}: {err}"
        );
        s.assert_untouched(&[]);
    }
}

#[test]
fn refuses_a_sibling_that_shares_the_destination_prefix() {
    // imgutil's cleanPath compared strings: `<dest>-evil/...` passed as "inside `<dest>`".
    let s = scene();
    fs::create_dir(s.top.path().join("rootfs-evil")).unwrap();
    let lower = TarBuilder::new().symlink("x", "../rootfs-evil").finish();
    let upper = TarBuilder::new().file("x/f", b"f").finish();
    let err = s.apply(vec![lower, upper]).unwrap_err();
    assert!(matches!(&err, Error::SymlinkEscape { .. }), "{err}");
    let link = TarBuilder::new()
        .raw(b"h", tar::EntryType::Link, b"../rootfs-evil/f", b"")
        .finish();
    let err = s.apply(vec![link]).unwrap_err();
    assert!(matches!(&err, Error::HardLinkEscape { .. }), "{err}");
    assert!(names(&s.top.path().join("rootfs-evil")).is_empty());
    s.assert_untouched(&["rootfs-evil"]);
}

#[test]
fn refuses_a_hard_link_to_outside_the_root() {
    for (layer, target) in [
        (TarBuilder::new(), "../outside/keep"),
        (TarBuilder::new(), "/etc/passwd"),
        (TarBuilder::new().symlink("up", ".."), "up/outside/keep"),
    ] {
        let s = scene();
        let layer = layer
            .raw(b"h", tar::EntryType::Link, target.as_bytes(), b"")
            .finish();
        let err = s.apply(vec![layer]).unwrap_err();
        assert!(
            matches!(&err, Error::HardLinkEscape { entry, .. } if entry == "h"),
            "{target}: {err}"
        );
        s.assert_untouched(&[]);
    }
}

#[test]
fn refuses_a_hard_link_to_an_entry_not_yet_extracted() {
    let s = scene();
    let layer = TarBuilder::new()
        .hardlink("early", "late")
        .file("late", b"l")
        .finish();
    let err = s.apply(vec![layer]).unwrap_err();
    assert!(
        matches!(&err, Error::HardLinkMissing { entry, target, .. } if entry == "early" && target == "late"),
        "{err}"
    );
    s.assert_untouched(&[]);
}

#[test]
fn refuses_devices_unless_allowed() {
    for kind in [tar::EntryType::Char, tar::EntryType::Block] {
        let s = scene();
        let layer = TarBuilder::new().raw(b"dev/sda", kind, b"", b"").finish();
        let err = s
            .apply_with(
                vec![layer],
                &UnpackOptions {
                    allow_devices: false,
                },
            )
            .unwrap_err();
        assert!(
            matches!(&err, Error::DeviceNotAllowed { entry, .. } if entry == "dev/sda"),
            "{err}"
        );
        s.assert_untouched(&[]);
    }
}

#[test]
fn refuses_a_symlink_loop() {
    let s = scene();
    let layer = TarBuilder::new()
        .symlink("a", "b")
        .symlink("b", "a")
        .file("a/x", b"x")
        .finish();
    let err = s.apply(vec![layer]).unwrap_err();
    assert!(matches!(&err, Error::SymlinkLoop { .. }), "{err}");
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_path_through_a_file() {
    let s = scene();
    let layer = TarBuilder::new().file("f", b"f").file("f/x", b"x").finish();
    let err = s.apply(vec![layer]).unwrap_err();
    assert!(
        matches!(&err, Error::ParentNotDirectory { parent, .. } if parent == Path::new("f")),
        "{err}"
    );
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_layer_cut_inside_data() {
    let s = scene();
    let layer = TarBuilder::new().file("a", &[7; 4000]).finish();
    let err = s.apply(vec![layer[..512 + 1000].to_vec()]).unwrap_err();
    assert!(
        matches!(&err, Error::Truncated { entry: Some(e), .. } if e == "a"),
        "{err}"
    );
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_layer_cut_inside_a_header() {
    let s = scene();
    let layer = TarBuilder::new().file("a", b"a").file("b", b"b").finish();
    let err = s.apply(vec![layer[..1024 + 200].to_vec()]).unwrap_err();
    assert!(matches!(&err, Error::Truncated { .. }), "{err}");
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_layer_without_its_end_marker() {
    let s = scene();
    let layer = TarBuilder::new().file("a", b"a").finish();
    let err = s
        .apply(vec![layer[..layer.len() - 1024].to_vec()])
        .unwrap_err();
    assert!(
        matches!(&err, Error::Truncated { entry: Some(e), .. } if e == "a"),
        "{err}"
    );
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_corrupt_tar_header() {
    let s = scene();
    let mut layer = TarBuilder::new().file("a", b"a").file("b", b"b").finish();
    layer[1024] ^= 0x01; // the second header's name
    let err = s.apply(vec![layer]).unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { entry: Some(e), .. } if e == "a"),
        "{err}"
    );
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_truncated_gzip_layer() {
    let plain = TarBuilder::new().file("a", &[1; 3000]).finish();
    let gzipped = gzip(&plain);
    // Cut in the deflate data, and cut only the trailer: every tar
    // byte is there then, but the gzip stream is not whole.
    for cut in [gzipped.len() / 2, gzipped.len() - 4] {
        let s = scene();
        let err = s.apply(vec![gzipped[..cut].to_vec()]).unwrap_err();
        assert!(
            matches!(&err, Error::Truncated { .. }),
            "cut at {cut}: {err}"
        );
        s.assert_untouched(&[]);
    }
}

#[test]
fn refuses_a_corrupt_gzip_layer() {
    let s = scene();
    let mut gzipped = gzip(&TarBuilder::new().file("a", b"a").finish());
    let crc = gzipped.len() - 8;
    gzipped[crc] ^= 0xff;
    let err = s.apply(vec![gzipped]).unwrap_err();
    assert!(matches!(&err, Error::Corrupt { .. }), "{err}");
    s.assert_untouched(&[]);
}

#[test]
fn refuses_an_xz_layer_and_a_broken_zstd_one() {
    let s = scene();
    let err = s
        .apply(vec![vec![0xfd, b'7', b'z', b'X', b'Z', 0]])
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedCompression { format: "xz", .. }),
        "{err}"
    );
    s.assert_untouched(&[]);
    let mut zstd =
        zstd::stream::encode_all(&TarBuilder::new().file("a", b"a").finish()[..], 3).unwrap();
    zstd.truncate(zstd.len() - 4);
    assert!(s.apply(vec![zstd]).is_err());
    s.assert_untouched(&[]);
}

/// The files of an archive with one image of one layer.
fn one_layer_image() -> Vec<(String, Vec<u8>)> {
    legacy_files(&[Image {
        tags: &["a:1"],
        layers: vec![TarBuilder::new().file("a", b"a").finish()],
    }])
}

#[test]
fn refuses_a_manifest_naming_a_missing_file() {
    let s = scene();
    let mut files = one_layer_image();
    files.retain(|(name, _)| !name.ends_with("/layer.tar"));
    let err = s.unpack(&files, None).unwrap_err();
    assert!(
        matches!(&err, Error::Archive(archive::Error::MissingEntry { .. })),
        "{err}"
    );
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_layer_that_does_not_match_its_diff_id() {
    let s = scene();
    let mut files = one_layer_image();
    let layer = layer_names(&files).remove(0);
    replace(
        &mut files,
        &layer,
        TarBuilder::new().file("a", b"tampered").finish(),
    );
    let err = s.unpack(&files, None).unwrap_err();
    assert!(matches!(&err, Error::DiffIdMismatch { .. }), "{err}");
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_config_that_does_not_match_its_name() {
    let s = scene();
    let mut files = one_layer_image();
    let (name, mut config) = files
        .iter()
        .find(|(n, _)| n.ends_with(".json") && !n.contains('/') && n != "manifest.json")
        .cloned()
        .unwrap();
    config.push(b' ');
    replace(&mut files, &name, config);
    let err = s.unpack(&files, None).unwrap_err();
    assert!(
        matches!(&err, Error::Archive(archive::Error::DigestMismatch { entry, .. }) if *entry == name),
        "{err}"
    );
    s.assert_untouched(&[]);
}

#[test]
fn refuses_an_image_with_a_placeholder_layer() {
    let s = scene();
    let mut files = one_layer_image();
    let layer = layer_names(&files).remove(0);
    replace(&mut files, &layer, Vec::new());
    let err = s.unpack(&files, None).unwrap_err();
    assert!(matches!(&err, Error::MissingLayer { .. }), "{err}");
    s.assert_untouched(&[]);
}

#[test]
fn refuses_a_destination_that_is_not_empty() {
    let s = scene();
    fs::create_dir(&s.dest).unwrap();
    fs::write(s.dest.join("mine"), b"mine").unwrap();
    let err = s
        .apply(vec![TarBuilder::new().file("a", b"a").finish()])
        .unwrap_err();
    assert!(matches!(&err, Error::DestinationExists { .. }), "{err}");
    assert_eq!(names(&s.dest), set(&["mine"]));
    s.assert_untouched(&["rootfs"]);

    let file = s.top.path().join("file");
    fs::write(&file, b"f").unwrap();
    let none = Vec::<Vec<u8>>::new().into_iter().map(bytes_layer);
    let err = apply_layers(none, &file, &UnpackOptions::default(), &planner()).unwrap_err();
    assert!(matches!(&err, Error::DestinationExists { .. }), "{err}");
    s.assert_untouched(&["rootfs", "file"]);
}
