//! What `--layer` takes: directories, `.tar` and `.tar.gz` files, the same
//! layer twice, extended attributes; and what it refuses (files that are
//! not tar archives).

use crate::harness::{
    MixedLayers, build, build_refused, busybox_with_xattrs, extract, layer_digests, sha256_hex,
    tar_files, tool, umoci_unpack, write,
};

#[test]
fn tar_and_gzip_layers_are_stored_uncompressed_and_a_repeated_layer_once() {
    let dir = tempfile::tempdir().unwrap();
    let layers = MixedLayers::new(dir.path());
    let archive = dir.path().join("image.tar");
    let built = build(
        &[
            &layers.flags()[..],
            &["-t", "mixed/layers:1", "-o", archive.to_str().unwrap()],
        ]
        .concat(),
    );
    let digests = layer_digests(&built);
    assert_eq!(digests.len(), 5, "{built}");
    assert_eq!(digests[1], format!("sha256:{}", sha256_hex(&layers.tar)));
    assert_eq!(
        digests[2],
        format!("sha256:{}", sha256_hex(&layers.gz_tar)),
        "a .tar.gz layer is stored as the tar inside it"
    );
    assert_eq!(digests[3], digests[4], "the same directory, the same layer");

    // Each blob once: tar_files refuses a name stored twice.
    let files = tar_files(&archive);
    let blobs = files
        .keys()
        .filter(|n| n.starts_with("blobs/sha256/"))
        .count();
    assert_eq!(blobs, 4 + 2, "four distinct layers, a config, a manifest");
    for digest in &digests {
        let hex = digest.strip_prefix("sha256:").unwrap();
        assert_eq!(sha256_hex(&files[&format!("blobs/sha256/{hex}")]), hex);
    }
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(manifest[0]["Layers"].as_array().unwrap().len(), 5);
    let config = &files[manifest[0]["Config"].as_str().unwrap()];
    let config: serde_json::Value = serde_json::from_slice(config).unwrap();
    assert_eq!(config["rootfs"]["diff_ids"], serde_json::json!(digests));

    // skopeo reads it as a docker archive, umoci as an OCI layout.
    let inspected: serde_json::Value = serde_json::from_str(&tool(
        "skopeo",
        &["inspect", &format!("docker-archive:{}", archive.display())],
    ))
    .unwrap();
    assert_eq!(inspected["Layers"], serde_json::json!(digests));
    let layout = dir.path().join("layout");
    extract(&archive, &layout);
    let bundle = dir.path().join("bundle");
    umoci_unpack(&format!("{}:1", layout.display()), &bundle);
    for (file, content) in [
        ("from-tar", "from a tar\n"),
        ("from-gz", "from a gzip tar\n"),
        ("twice", "given twice\n"),
    ] {
        assert_eq!(
            std::fs::read_to_string(bundle.join("data").join(file)).unwrap(),
            content
        );
    }
}

#[test]
fn a_file_that_is_not_a_tar_is_refused_without_quoting_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut random = vec![0u8; 4096];
    getrandom::fill(&mut random).unwrap();
    // Not the gzip magic by chance: that is another refusal.
    random[0] = b'\x07';
    let cases = [
        ("notes.txt", b"just some notes\nnot a tar\n".repeat(30)),
        ("random.bin", random),
    ];
    for (name, bytes) in cases {
        let layer = write(dir.path(), name, &bytes);
        let out = dir.path().join("image.tar");
        let run = build_refused(&layer, &out);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(
            run.first_error_line().contains(&layer) && run.stderr.contains("is not a tar archive"),
            "{name}: {}",
            run.stderr
        );
        assert!(
            run.stderr
                .chars()
                .all(|c| !c.is_control() || c == '\n' || c == '\t'),
            "{name}: raw bytes in the error: {:?}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("just some notes"),
            "{name}: the contents are quoted: {}",
            run.stderr
        );
        assert!(!out.exists());
    }
}

#[test]
fn extended_attributes_go_into_the_layer_as_pax_records() {
    let dir = tempfile::tempdir().unwrap();
    let layer = busybox_with_xattrs(dir.path());
    let archive = dir.path().join("image.tar");
    let built = build(&[
        "--layer",
        layer.to_str().unwrap(),
        "-o",
        archive.to_str().unwrap(),
    ]);
    let hex = built["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .strip_prefix("sha256:")
        .unwrap();
    let files = tar_files(&archive);
    let mut layer_tar = tar::Archive::new(&files[&format!("blobs/sha256/{hex}")][..]);
    let mut records = std::collections::BTreeMap::new();
    for entry in layer_tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        if let Some(pax) = entry.pax_extensions().unwrap() {
            for record in pax {
                let record = record.unwrap();
                records.insert(
                    (name.clone(), record.key().unwrap().to_string()),
                    record.value_bytes().to_vec(),
                );
            }
        }
    }
    let on_busybox = |key: &str| records.get(&("bin/busybox".to_string(), key.to_string()));
    assert_eq!(
        on_busybox("SCHILY.xattr.user.ocipipe").map(Vec::as_slice),
        Some(&b"hello"[..]),
        "{records:?}"
    );
    assert_eq!(
        on_busybox("SCHILY.xattr.security.capability"),
        xattr::get(layer.join("bin/busybox"), "security.capability")
            .unwrap()
            .as_ref(),
        "the capability as setcap wrote it"
    );
    assert!(
        records.keys().all(|(name, _)| name == "bin/busybox"),
        "only bin/busybox has records: {records:?}"
    );
}
