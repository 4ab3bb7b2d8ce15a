//! `blob_entry` and `plan_archive`: archives materialised with
//! real blobs (true sha256 digests), read back with the `tar` crate and
//! checked against their own `manifest.json` and `index.json`.

mod common;

use common::{TarEntry, assert_coalesced, digest_of, materialise, read_tar, sha256_hex};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use tar_assembly_core::{
    ArchiveFormat, ArchiveImage, ArchiveLayer, BlobHead, BlobPlacement, Descriptor, Document,
    Error, Platform, Segment, WrittenBlob, blob_entry, plan_archive,
};

const LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// Images built from layer contents, with every blob's bytes by digest.
#[derive(Default)]
struct Fixture {
    images: Vec<ArchiveImage>,
    blobs: HashMap<String, Vec<u8>>,
}

fn descriptor(media_type: &str, bytes: &[u8]) -> Descriptor {
    Descriptor {
        media_type: media_type.to_owned(),
        digest: digest_of(bytes),
        size: bytes.len() as u64,
        ..Descriptor::default()
    }
}

impl Fixture {
    /// An image of `layers` (their bytes), tagged `tags`; `seed` makes its
    /// config unique.
    fn image(&mut self, seed: &str, layers: &[&[u8]], tags: &[&str]) -> &mut ArchiveImage {
        let layers: Vec<(Descriptor, &[u8])> =
            layers.iter().map(|l| (descriptor(LAYER, l), *l)).collect();
        self.image_of(seed, &layers, tags)
    }

    /// An image of layers with the descriptors given (any digest).
    fn image_of(
        &mut self,
        seed: &str,
        layers: &[(Descriptor, &[u8])],
        tags: &[&str],
    ) -> &mut ArchiveImage {
        let layer_descs: Vec<Descriptor> = layers.iter().map(|(d, _)| d.clone()).collect();
        for (d, l) in layers {
            self.blobs.insert(d.digest.clone(), l.to_vec());
        }
        let config = serde_json::to_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": {"seed": seed}},
            "rootfs": {"type": "layers", "diff_ids": layer_descs.iter().map(|d| &d.digest).collect::<Vec<_>>()},
        }))
        .unwrap();
        let config_desc = descriptor(CONFIG, &config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {"mediaType": CONFIG, "digest": config_desc.digest, "size": config_desc.size},
            "layers": layer_descs.iter().map(|d| json!({"mediaType": LAYER, "digest": d.digest, "size": d.size})).collect::<Vec<_>>(),
        }))
        .unwrap();
        let manifest_desc = descriptor(MANIFEST, &manifest);
        self.blobs
            .insert(config_desc.digest.clone(), config.clone());
        self.blobs
            .insert(manifest_desc.digest.clone(), manifest.clone());
        self.images.push(ArchiveImage {
            config: Document {
                descriptor: config_desc,
                bytes: config,
            },
            manifest: Document {
                descriptor: manifest_desc,
                bytes: manifest,
            },
            layers: layer_descs
                .into_iter()
                .map(|descriptor| ArchiveLayer {
                    descriptor,
                    omitted: false,
                })
                .collect(),
            repo_tags: tags.iter().map(|t| t.to_string()).collect(),
        });
        self.images.last_mut().unwrap()
    }
}

/// The head of a blob to write (not one already stored).
fn head(placement: Result<BlobPlacement, Error>) -> BlobHead {
    match placement {
        Ok(BlobPlacement::Write(head)) => head,
        other => panic!("expected a head to write, got {other:?}"),
    }
}

fn big_layer(n: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(n)).collect()
}

/// Two images sharing their base layer.
fn two_images() -> Fixture {
    let mut f = Fixture::default();
    let base = big_layer(3, 3000);
    let app = big_layer(5, 1024);
    let other = big_layer(7, 1);
    f.image(
        "a",
        &[&base, &app],
        &["docker.io/library/app:1.0", "localhost:5000/app:latest"],
    );
    f.image("b", &[&base, &other], &["docker.io/library/other:latest"]);
    f
}

fn by_path(entries: &[TarEntry]) -> HashMap<&str, &TarEntry> {
    let map: HashMap<&str, &TarEntry> = entries.iter().map(|e| (e.path.as_str(), e)).collect();
    assert_eq!(map.len(), entries.len(), "every path once");
    map
}

fn json_of(entries: &HashMap<&str, &TarEntry>, path: &str) -> Value {
    serde_json::from_slice(&entries[path].data).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every path `manifest.json` and `index.json` name exists, and every blob
/// at `blobs/sha256/<hex>` has that digest.
fn check_docker_and_oci(entries: &[TarEntry], f: &Fixture) {
    let files = by_path(entries);
    for e in entries {
        assert_eq!((e.uid, e.gid, e.mtime), (0, 0, 0), "{}", e.path);
        assert!(e.pax.is_empty(), "{}", e.path);
        match e.kind {
            tar::EntryType::Directory => assert_eq!(e.mode, 0o755),
            tar::EntryType::Regular => assert_eq!(e.mode, 0o644),
            other => panic!("{}: {other:?}", e.path),
        }
        if let Some(hex) = e
            .path
            .strip_prefix("blobs/sha256/")
            .filter(|h| !h.is_empty())
        {
            assert_eq!(sha256_hex(&e.data), hex, "{}", e.path);
        }
    }
    assert_eq!(
        files["oci-layout"].data,
        br#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let manifest = json_of(&files, "manifest.json");
    let items = manifest.as_array().unwrap();
    assert_eq!(items.len(), f.images.len());
    for (item, image) in items.iter().zip(&f.images) {
        let config = item["Config"].as_str().unwrap();
        assert_eq!(files[config].data, image.config.bytes);
        assert_eq!(item["RepoTags"], json!(image.repo_tags));
        let layers: Vec<&str> = item["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(layers.len(), image.layers.len());
        for (path, layer) in layers.iter().zip(&image.layers) {
            assert_eq!(files[path].size, layer.descriptor.size);
            assert_eq!(digest_of(&files[path].data), layer.descriptor.digest);
        }
    }
    let index = json_of(&files, "index.json");
    assert_eq!(index["schemaVersion"], 2);
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    for m in index["manifests"].as_array().unwrap() {
        let digest = m["digest"].as_str().unwrap();
        let path = format!("blobs/sha256/{}", &digest[7..]);
        let manifest: Value = serde_json::from_slice(&files[path.as_str()].data).unwrap();
        assert_eq!(m["size"], files[path.as_str()].size);
        let config = manifest["config"]["digest"].as_str().unwrap();
        assert!(files.contains_key(format!("blobs/sha256/{}", &config[7..]).as_str()));
        for l in manifest["layers"].as_array().unwrap() {
            let hex = &l["digest"].as_str().unwrap()[7..];
            assert_eq!(
                files[format!("blobs/sha256/{hex}").as_str()].size,
                l["size"]
            );
        }
    }
}

#[test]
fn docker_and_oci_archive_reads_back_and_names_only_what_it_holds() {
    let f = two_images();
    let plan = plan_archive(ArchiveFormat::DockerAndOci, &f.images, &[]).unwrap();
    assert_coalesced(&plan);
    let bytes = materialise(&plan, &f.blobs);
    let entries = read_tar(&bytes);
    check_docker_and_oci(&entries, &f);
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    let hex = |d: &Descriptor| format!("blobs/sha256/{}", &d.digest[7..]);
    let (a, b) = (&f.images[0], &f.images[1]);
    // Shared base layer once; config, layers, manifest per image.
    assert_eq!(
        paths,
        [
            "blobs/".to_owned(),
            "blobs/sha256/".to_owned(),
            hex(&a.config.descriptor),
            hex(&a.layers[0].descriptor),
            hex(&a.layers[1].descriptor),
            hex(&a.manifest.descriptor),
            hex(&b.config.descriptor),
            hex(&b.layers[1].descriptor),
            hex(&b.manifest.descriptor),
            "oci-layout".to_owned(),
            "index.json".to_owned(),
            "manifest.json".to_owned(),
        ]
    );
    // Layers are streamed, documents are bytes.
    let blobs: Vec<&str> = plan
        .iter()
        .filter_map(|s| match s {
            Segment::Blob(blob) => Some(blob.digest.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        blobs,
        [
            a.layers[0].descriptor.digest.as_str(),
            &a.layers[1].descriptor.digest,
            &b.layers[1].descriptor.digest,
        ]
    );
    // The same input, the same bytes.
    assert_eq!(
        plan_archive(ArchiveFormat::DockerAndOci, &f.images, &[]).unwrap(),
        plan
    );
}

#[test]
fn oci_archive_is_the_docker_and_oci_archive_without_manifest_json() {
    let f = two_images();
    let oci = read_tar(&materialise(
        &plan_archive(ArchiveFormat::OciArchive, &f.images, &[]).unwrap(),
        &f.blobs,
    ));
    let both = read_tar(&materialise(
        &plan_archive(ArchiveFormat::DockerAndOci, &f.images, &[]).unwrap(),
        &f.blobs,
    ));
    let summary = |e: &TarEntry| (e.path.clone(), e.size, e.mode, e.data.clone());
    let without_docker: Vec<_> = both
        .iter()
        .filter(|e| e.path != "manifest.json")
        .map(summary)
        .collect();
    assert_eq!(oci.iter().map(summary).collect::<Vec<_>>(), without_docker);
    assert_eq!(oci.last().unwrap().path, "index.json");
    // Blobs are placed as in the docker-and-oci format.
    let digest = &f.images[0].config.descriptor.digest;
    assert_eq!(
        blob_entry(ArchiveFormat::OciArchive, Some(digest), 0, 10, &[]).unwrap(),
        blob_entry(ArchiveFormat::DockerAndOci, Some(digest), 0, 10, &[]).unwrap()
    );
    assert_eq!(
        blob_entry(ArchiveFormat::OciArchive, None, 3, 10, &[]).unwrap(),
        blob_entry(ArchiveFormat::DockerAndOci, None, 3, 10, &[]).unwrap()
    );
}

#[test]
fn index_and_manifest_json_have_a_fixed_shape() {
    let mut f = two_images();
    f.images.truncate(1);
    let image = &mut f.images[0];
    image.manifest.descriptor.annotations = vec![("org.example".to_owned(), "x".to_owned())];
    image.manifest.descriptor.platform = Some(Platform {
        architecture: "arm64".to_owned(),
        os: "linux".to_owned(),
        os_version: None,
        os_features: vec![],
        cpu_variant: Some("v8".to_owned()),
    });
    let plan = plan_archive(ArchiveFormat::DockerAndOci, &f.images, &[]).unwrap();
    let entries = read_tar(&materialise(&plan, &f.blobs));
    let files = by_path(&entries);
    let image = &f.images[0];
    let hex = |d: &Descriptor| d.digest[7..].to_owned();
    let m = &image.manifest.descriptor;
    let expected_index = format!(
        concat!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":["#,
            r#"{{"mediaType":"{mt}","digest":"{d}","size":{s},"annotations":{{"io.containerd.image.name":"docker.io/library/app:1.0","org.example":"x","org.opencontainers.image.ref.name":"1.0"}},"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},"#,
            r#"{{"mediaType":"{mt}","digest":"{d}","size":{s},"annotations":{{"io.containerd.image.name":"localhost:5000/app:latest","org.example":"x","org.opencontainers.image.ref.name":"latest"}},"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}}"#,
            "]}}"
        ),
        mt = MANIFEST,
        d = m.digest,
        s = m.size
    );
    assert_eq!(
        String::from_utf8(files["index.json"].data.clone()).unwrap(),
        expected_index
    );
    let expected_manifest = format!(
        r#"[{{"Config":"blobs/sha256/{c}","RepoTags":["docker.io/library/app:1.0","localhost:5000/app:latest"],"Layers":["blobs/sha256/{l0}","blobs/sha256/{l1}"]}}]"#,
        c = hex(&image.config.descriptor),
        l0 = hex(&image.layers[0].descriptor),
        l1 = hex(&image.layers[1].descriptor),
    );
    assert_eq!(
        String::from_utf8(files["manifest.json"].data.clone()).unwrap(),
        expected_manifest
    );
}

#[test]
fn an_untagged_image_gets_one_plain_index_entry() {
    let mut f = Fixture::default();
    f.image("u", &[b"layer"], &[]);
    let plan = plan_archive(ArchiveFormat::DockerAndOci, &f.images, &[]).unwrap();
    let entries = read_tar(&materialise(&plan, &f.blobs));
    check_docker_and_oci(&entries, &f);
    let files = by_path(&entries);
    let m = &f.images[0].manifest.descriptor;
    assert_eq!(
        json_of(&files, "index.json")["manifests"],
        json!([{"mediaType": MANIFEST, "digest": m.digest, "size": m.size}])
    );
    assert_eq!(json_of(&files, "manifest.json")[0]["RepoTags"], json!([]));
}

/// The host's side: blob entries first, each written with a placeholder
/// head, then overwritten in place with the head for the real digest.
fn write_blobs_first(f: &Fixture, digests: &[&str]) -> (Vec<u8>, Vec<WrittenBlob>) {
    let mut out = Vec::new();
    let mut written = Vec::new();
    for (ordinal, digest) in digests.iter().enumerate() {
        let bytes = &f.blobs[*digest];
        let size = bytes.len() as u64;
        let placeholder = head(blob_entry(
            ArchiveFormat::DockerAndOci,
            None,
            ordinal as u32,
            size,
            &written,
        ));
        assert_eq!(placeholder.path, format!("blobs/sha256/{}", "0".repeat(64)));
        let at = out.len();
        out.extend_from_slice(&placeholder.header);
        out.extend_from_slice(bytes);
        out.resize(out.len() + placeholder.padding as usize, 0);
        let real = head(blob_entry(
            ArchiveFormat::DockerAndOci,
            Some(digest),
            ordinal as u32,
            size,
            &written,
        ));
        assert_eq!(real.header.len(), placeholder.header.len());
        assert_eq!(real.padding, placeholder.padding);
        out[at..at + real.header.len()].copy_from_slice(&real.header);
        written.push(WrittenBlob {
            digest: digest.to_string(),
            path: real.path,
        });
    }
    (out, written)
}

#[test]
fn written_blobs_are_left_out_and_the_whole_still_reads_back() {
    let f = two_images();
    let (a, b) = (&f.images[0], &f.images[1]);
    let digests = [
        a.layers[1].descriptor.digest.as_str(),
        &a.layers[0].descriptor.digest,
        &b.layers[1].descriptor.digest,
        &a.config.descriptor.digest,
    ];
    let (mut bytes, written) = write_blobs_first(&f, &digests);
    let plan = plan_archive(ArchiveFormat::DockerAndOci, &f.images, &written).unwrap();
    assert_coalesced(&plan);
    assert!(
        !plan.iter().any(|s| matches!(s, Segment::Blob(_))),
        "every layer was written"
    );
    bytes.extend(materialise(&plan, &f.blobs));
    let entries = read_tar(&bytes);
    check_docker_and_oci(&entries, &f);
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths.len(), 12);
    assert_eq!(
        &paths[4..6],
        ["blobs/", "blobs/sha256/"],
        "directories after the written blobs"
    );
    // The same archive as planned in one go, entry for entry (order aside).
    let whole = read_tar(&materialise(
        &plan_archive(ArchiveFormat::DockerAndOci, &f.images, &[]).unwrap(),
        &f.blobs,
    ));
    let set = |e: &[TarEntry]| -> HashSet<(String, Vec<u8>)> {
        e.iter().map(|e| (e.path.clone(), e.data.clone())).collect()
    };
    assert_eq!(set(&entries), set(&whole));
}

#[test]
fn blob_heads_have_one_length_whatever_the_digest() {
    for size in [0u64, 1, 511, 512, 513, (8 << 30) - 1, 8 << 30, 1 << 40] {
        let placeholder = head(blob_entry(ArchiveFormat::DockerAndOci, None, 0, size, &[]));
        let real = head(blob_entry(
            ArchiveFormat::DockerAndOci,
            Some(&format!("sha256:{}", "ab".repeat(32))),
            0,
            size,
            &[],
        ));
        assert_eq!(real.path, format!("blobs/sha256/{}", "ab".repeat(32)));
        assert_eq!(placeholder.header.len(), real.header.len(), "size {size}");
        let blocks = if size >= 8 << 30 { 3 } else { 1 };
        assert_eq!(real.header.len(), blocks * 512, "size {size}");
        assert_eq!(u64::from(real.padding), (512 - size % 512) % 512);
    }
    let docker = head(blob_entry(ArchiveFormat::Docker, None, 7, 10, &[]));
    assert_eq!(docker.path, "layer-7.tar");
    assert_eq!(docker.padding, 502);
    // A digest, if given, must still be well formed.
    assert!(matches!(
        blob_entry(ArchiveFormat::DockerAndOci, Some("sha256:ABC"), 0, 1, &[]),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn docker_format_takes_a_repeated_layer_written_twice() {
    // Streamed into an engine before it was hashed, a repeated layer is
    // written once per place; manifest.json names the first copy for both.
    let mut f = Fixture::default();
    let (a, b) = (big_layer(3, 700), big_layer(5, 10));
    f.image("rep", &[&a, &b, &a], &["docker.io/library/rep:latest"]);
    let image = f.images[0].clone();
    let mut bytes = Vec::new();
    let mut written = Vec::new();
    for (ordinal, layer) in image.layers.iter().enumerate() {
        let d = &layer.descriptor;
        let h = head(blob_entry(
            ArchiveFormat::Docker,
            None,
            ordinal as u32,
            d.size,
            &written,
        ));
        bytes.extend_from_slice(&h.header);
        bytes.extend_from_slice(&f.blobs[&d.digest]);
        bytes.resize(bytes.len() + h.padding as usize, 0);
        written.push(WrittenBlob {
            digest: d.digest.clone(),
            path: h.path,
        });
    }
    let plan = plan_archive(ArchiveFormat::Docker, &f.images, &written).unwrap();
    bytes.extend(materialise(&plan, &f.blobs));
    let entries = read_tar(&bytes);
    let files = by_path(&entries);
    let manifest = json_of(&files, "manifest.json");
    assert_eq!(
        manifest[0]["Layers"],
        json!(["layer-0.tar", "layer-1.tar", "layer-0.tar"])
    );
    assert_eq!(files["layer-2.tar"].data, a, "the second copy is there too");
}

#[test]
fn docker_format_names_blobs_by_ordinal_and_omits_what_the_engine_has() {
    let mut f = two_images();
    // The engine has the shared base layer: omitted in both images.
    for image in &mut f.images {
        image.layers[0].omitted = true;
    }
    let (a, b) = (f.images[0].clone(), f.images[1].clone());
    // The host streamed a's second layer as its first blob, with ordinal 1.
    let layer_head = head(blob_entry(
        ArchiveFormat::Docker,
        None,
        1,
        a.layers[1].descriptor.size,
        &[],
    ));
    let mut bytes = layer_head.header.clone();
    bytes.extend_from_slice(&f.blobs[&a.layers[1].descriptor.digest]);
    bytes.resize(bytes.len() + layer_head.padding as usize, 0);
    let written = [WrittenBlob {
        digest: a.layers[1].descriptor.digest.clone(),
        path: layer_head.path.clone(),
    }];
    let plan = plan_archive(ArchiveFormat::Docker, &f.images, &written).unwrap();
    assert_coalesced(&plan);
    bytes.extend(materialise(&plan, &f.blobs));
    let entries = read_tar(&bytes);
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    let cfg = |i: &ArchiveImage| format!("{}.json", &i.config.descriptor.digest[7..]);
    assert_eq!(
        paths,
        [
            "layer-1.tar".to_owned(),
            cfg(&a),
            "blank-0.tar".to_owned(),
            cfg(&b),
            "layer-0.tar".to_owned(),
            "manifest.json".to_owned(),
        ]
    );
    let files = by_path(&entries);
    assert_eq!(files["blank-0.tar"].size, 0);
    assert_eq!(files[cfg(&a).as_str()].data, a.config.bytes);
    assert_eq!(
        files["layer-0.tar"].data,
        f.blobs[&b.layers[1].descriptor.digest]
    );
    assert_eq!(
        json_of(&files, "manifest.json"),
        json!([
            {"Config": cfg(&a), "RepoTags": a.repo_tags, "Layers": ["blank-0.tar", "layer-1.tar"]},
            {"Config": cfg(&b), "RepoTags": b.repo_tags, "Layers": ["blank-0.tar", "layer-0.tar"]},
        ])
    );
    for e in &entries {
        assert_eq!((e.mode, e.uid, e.mtime), (0o644, 0, 0), "{}", e.path);
    }
}

#[test]
fn docker_format_stores_a_layer_omitted_in_one_image_only_once_with_bytes() {
    let mut f = two_images();
    f.images[0].layers[0].omitted = true;
    let plan = plan_archive(ArchiveFormat::Docker, &f.images, &[]).unwrap();
    let entries = read_tar(&materialise(&plan, &f.blobs));
    let files = by_path(&entries);
    let manifest = json_of(&files, "manifest.json");
    assert_eq!(manifest[0]["Layers"], json!(["layer-0.tar", "layer-1.tar"]));
    assert_eq!(manifest[1]["Layers"], json!(["layer-0.tar", "layer-2.tar"]));
    assert_eq!(files["layer-0.tar"].size, 3000);
    // The same config in two images is stored once.
    let mut f = Fixture::default();
    f.image("same", &[b"x"], &["a:1"]);
    f.image("same", &[b"x"], &["b:1"]);
    let plan = plan_archive(ArchiveFormat::Docker, &f.images, &[]).unwrap();
    let entries = read_tar(&materialise(&plan, &f.blobs));
    assert_eq!(entries.len(), 3);
}

fn invalid(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

fn archive_error(images: &[ArchiveImage], written: &[WrittenBlob]) -> String {
    invalid(plan_archive(ArchiveFormat::DockerAndOci, images, written))
}

#[test]
fn omitted_layers_only_in_the_docker_format() {
    let mut f = two_images();
    f.images[1].layers[1].omitted = true;
    let m = archive_error(&f.images, &[]);
    assert!(
        m.contains("image 1") && m.contains("layer 1") && m.contains("omitted"),
        "{m}"
    );
    assert!(plan_archive(ArchiveFormat::Docker, &f.images, &[]).is_ok());
}

#[test]
fn written_blobs_must_be_where_blob_entry_puts_them() {
    let f = two_images();
    let layer = f.images[0].layers[0].descriptor.digest.clone();
    let w = |digest: &str, path: &str| WrittenBlob {
        digest: digest.to_owned(),
        path: path.to_owned(),
    };
    let at = |d: &str| format!("blobs/sha256/{}", &d[7..]);
    // The placeholder was never replaced.
    let m = archive_error(
        &f.images,
        &[w(&layer, &at(&format!("sha256:{}", "0".repeat(64))))],
    );
    assert!(m.contains(&layer) && m.contains("blob-entry"), "{m}");
    let m = archive_error(&f.images, &[w(&layer, &at(&layer)), w(&layer, &at(&layer))]);
    assert!(m.contains("twice"), "{m}");
    let stranger = format!("sha256:{}", "1".repeat(64));
    let m = archive_error(&f.images, &[w(&stranger, &at(&stranger))]);
    assert!(m.contains(&stranger) && m.contains("not a"), "{m}");
    let m = archive_error(&f.images, &[w("sha256:xyz", "blobs/sha256/xyz")]);
    assert!(m.contains("sha256:xyz"), "{m}");
    // The docker format: layer paths from ordinals, layers only.
    let docker =
        |written: &[WrittenBlob]| invalid(plan_archive(ArchiveFormat::Docker, &f.images, written));
    let m = docker(&[w(&layer, &at(&layer))]);
    assert!(m.contains("layer-<ordinal>.tar"), "{m}");
    let m = docker(&[w(&layer, "layer-01.tar")]);
    assert!(m.contains("layer-01.tar"), "{m}");
    let other = f.images[0].layers[1].descriptor.digest.clone();
    let m = docker(&[w(&layer, "layer-3.tar"), w(&other, "layer-3.tar")]);
    assert!(m.contains("layer-3.tar"), "{m}");
    let config = f.images[0].config.descriptor.digest.clone();
    let m = docker(&[w(&config, "layer-0.tar")]);
    assert!(m.contains("not a layer"), "{m}");
}

#[test]
fn digests_must_be_sha256_hex() {
    for bad in [
        "sha256:ABCDEF0000000000000000000000000000000000000000000000000000000000",
        "sha256:abc",
        "sha512:0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let mut f = two_images();
        f.images[0].layers[1].descriptor.digest = bad.to_owned();
        let m = archive_error(&f.images, &[]);
        assert!(m.contains(bad), "{m}");
    }
}

#[test]
fn the_manifest_must_name_the_images_config_and_layers() {
    let f = two_images();
    let mut images = f.images.clone();
    images[0].layers.pop();
    let m = archive_error(&images, &[]);
    assert!(m.contains("image 0") && m.contains("2 layers"), "{m}");

    let mut images = f.images.clone();
    images[0].layers.swap(0, 1);
    let m = archive_error(&images, &[]);
    assert!(m.contains("layer 0"), "{m}");

    let mut images = f.images.clone();
    images[1].config = images[0].config.clone();
    let m = archive_error(&images, &[]);
    assert!(m.contains("image 1") && m.contains("config"), "{m}");

    let mut images = f.images.clone();
    images[0].manifest.bytes = b"not json".to_vec();
    images[0].manifest.descriptor.size = 8;
    let m = archive_error(&images, &[]);
    assert!(m.contains("not an image manifest"), "{m}");

    let mut images = f.images.clone();
    images[0].manifest.bytes = br#"{"schemaVersion":2,"layers":[]}"#.to_vec();
    images[0].manifest.descriptor.size = images[0].manifest.bytes.len() as u64;
    let m = archive_error(&images, &[]);
    assert!(m.contains("no config"), "{m}");

    // A document's descriptor size is its length.
    let mut images = f.images.clone();
    images[0].config.descriptor.size += 1;
    let m = archive_error(&images, &[]);
    assert!(m.contains("config") && m.contains("bytes"), "{m}");

    // One digest, one size.
    let mut images = f.images.clone();
    images[1].layers[0].descriptor.size = 1;
    let m = archive_error(&images, &[]);
    assert!(m.contains("image 1") && m.contains("bytes"), "{m}");
    // The same checks hold for the docker format.
    assert!(invalid(plan_archive(ArchiveFormat::Docker, &images, &[])).contains("image 1"));
}

#[test]
fn repo_tags_must_be_tagged_names_given_once() {
    for (tag, why) in [
        ("", "empty"),
        ("ubuntu", "no tag"),
        ("localhost:5000/app", "no tag"),
        ("app:", "no tag"),
        ("app:1@sha256:00", "digest"),
        ("app :1", "whitespace"),
    ] {
        let mut f = two_images();
        f.images[0].repo_tags = vec![tag.to_owned()];
        let m = archive_error(&f.images, &[]);
        assert!(
            m.contains(&format!("{tag:?}")) && m.contains(why),
            "{tag}: {m}"
        );
    }
    let mut f = two_images();
    f.images[1].repo_tags = vec!["localhost:5000/app:latest".to_owned()];
    let m = archive_error(&f.images, &[]);
    assert!(m.contains("image 0 and image 1"), "{m}");
}

// ------------------------------------------------------------------ placement

fn written(digest: &str, path: &str) -> WrittenBlob {
    WrittenBlob {
        digest: digest.to_owned(),
        path: path.to_owned(),
    }
}

#[test]
fn a_blob_already_written_is_stored_not_written_again() {
    let digest = digest_of(b"layer");
    let other = digest_of(b"other");
    for (format, path) in [
        (
            ArchiveFormat::DockerAndOci,
            format!("blobs/sha256/{}", &digest[7..]),
        ),
        (ArchiveFormat::Docker, "layer-3.tar".to_owned()),
    ] {
        let done = [written(&other, "elsewhere"), written(&digest, &path)];
        assert_eq!(
            blob_entry(format, Some(&digest), 9, 5, &done),
            Ok(BlobPlacement::Stored(path.clone())),
            "{format:?}"
        );
        // Another digest is written.
        let fresh = head(blob_entry(format, Some(&digest_of(b"new")), 9, 5, &done));
        assert_ne!(fresh.path, path);
    }
    // Without a digest nothing can be matched: a placeholder to write.
    let done = [written(&digest, &format!("blobs/sha256/{}", &digest[7..]))];
    let placeholder = head(blob_entry(ArchiveFormat::DockerAndOci, None, 1, 5, &done));
    assert_eq!(placeholder.path, format!("blobs/sha256/{}", "0".repeat(64)));
}

#[test]
fn a_tar_names_blobs_by_sha256_only() {
    let sha512 = format!("sha512:{}", "ab".repeat(64));
    // A tar format names blobs by sha256 only.
    let m = invalid(blob_entry(
        ArchiveFormat::DockerAndOci,
        Some(&sha512),
        0,
        5,
        &[],
    ));
    assert!(m.contains(&sha512), "{m}");
}

#[test]
fn an_archive_takes_only_sha256_digests() {
    let mut f = Fixture::default();
    let sha512 = format!("sha512:{}", "cd".repeat(64));
    let layer = Descriptor {
        media_type: LAYER.to_owned(),
        digest: sha512.clone(),
        size: 3,
        ..Descriptor::default()
    };
    f.image_of("512", &[(layer, b"abc")], &["a:1"]);
    let m = archive_error(&f.images, &[]);
    assert!(
        m.contains(&sha512) && m.contains("sha256:<64 lowercase hex>"),
        "{m}"
    );
}
