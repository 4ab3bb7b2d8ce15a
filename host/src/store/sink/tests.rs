//! The tar places against the test planner: each blob once, the same bytes from
//! a file and a pipe, placeholders rewritten, omitted layers, and no output
//! after a failure.

use super::test_planner::{TestPlanner, made, made_as};
use super::*;
use crate::model::destination::{Destination, Expected, PutLayer, write_images};
use crate::model::{ArchiveLayer, Descriptor, Document};
use crate::store::plan::LayerSource;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

const LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// A layer source over a file holding `bytes`.
fn layer(dir: &Path, name: &str, bytes: &[u8]) -> LayerSource {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    LayerSource::Tar(path)
}

fn doc(media_type: &str, bytes: &[u8]) -> Document {
    Document {
        descriptor: Descriptor::new(media_type, Digest::sha256(bytes), bytes.len() as u64),
        bytes: bytes.to_vec(),
    }
}

fn image(put: &[PutLayer]) -> ArchiveImage {
    ArchiveImage {
        config: doc("application/vnd.oci.image.config.v1+json", b"{\"c\":1}"),
        manifest: doc("application/vnd.oci.image.manifest.v1+json", b"{\"m\":1}"),
        layers: put
            .iter()
            .map(|p| ArchiveLayer {
                descriptor: Descriptor::new(LAYER, p.digest.clone(), p.size),
                omitted: p.omitted(),
            })
            .collect(),
        repo_tags: Vec::new(),
    }
}

/// Writes `layers` into `place` by the one sequence and commits it.
fn write<D: Destination<Error = Error>>(
    place: D,
    layers: &[LayerSource],
) -> Result<Vec<PutLayer>, Error> {
    write_made(place, layers.iter().map(made).collect())
}

/// Writes `layers` (one image's) into `place` and commits it.
fn write_made<D: Destination<Error = Error>>(
    place: D,
    layers: Vec<crate::model::destination::Layer<'_>>,
) -> Result<Vec<PutLayer>, Error> {
    let written = write_images(place, &[layers], None, |_, put| Ok::<_, Error>(image(put)))?;
    Ok(written.into_iter().next().expect("one image").1)
}

/// The entries of a tar: name → bytes.
fn entries(tar_bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = tar::Archive::new(tar_bytes);
    let mut out = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        assert!(out.insert(name.clone(), bytes).is_none(), "{name} twice");
    }
    out
}

fn blob_name(data: &[u8]) -> String {
    format!("blobs/sha256/{}", Digest::sha256(data).encoded())
}

#[test]
fn a_file_and_a_pipe_get_the_same_bytes_with_every_blob_named_by_its_digest() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (vec![1u8; 3000], vec![2u8; 700_000]);
    let layers = [layer(dir.path(), "a", &a), layer(dir.path(), "b", &b)];
    let planner = TestPlanner::default();
    let file = dir.path().join("out.tar");
    let put = write(
        ArchiveFile::create(&file, ArchiveFormat::DockerAndOci, &planner).unwrap(),
        &layers,
    )
    .unwrap();
    assert_eq!(put[0].digest, Digest::sha256(&a));
    assert_eq!(put[1].size, b.len() as u64);
    let mut piped = Vec::new();
    let stream = ArchiveStream::new(&mut piped, ArchiveFormat::DockerAndOci, &planner, "pipe");
    write(stream, &layers).unwrap();
    let from_file = std::fs::read(&file).unwrap();
    assert_eq!(from_file, piped);
    let found = entries(&from_file);
    assert_eq!(found[&blob_name(&a)], a);
    assert_eq!(found[&blob_name(&b)], b);
    assert!(found.contains_key("config.json"));
}

#[test]
fn a_repeated_layer_is_stored_once_in_a_file_and_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (vec![7u8; 5000], vec![8u8; 100]);
    let layers = [
        layer(dir.path(), "a", &a),
        layer(dir.path(), "b", &b),
        layer(dir.path(), "a2", &a),
    ];
    let planner = TestPlanner::default();
    let file = dir.path().join("out.tar");
    let put = write(
        ArchiveFile::create(&file, ArchiveFormat::DockerAndOci, &planner).unwrap(),
        &layers,
    )
    .unwrap();
    assert_eq!(put.len(), 3);
    assert_eq!(put[0].digest, put[2].digest);
    let mut piped = Vec::new();
    let stream = ArchiveStream::new(&mut piped, ArchiveFormat::DockerAndOci, &planner, "pipe");
    write(stream, &layers).unwrap();
    let from_file = std::fs::read(&file).unwrap();
    assert_eq!(from_file, piped);
    // `entries` refuses a name seen twice.
    assert_eq!(entries(&from_file)[&blob_name(&a)], a);
    assert_eq!(entries(&from_file)[&blob_name(&b)], b);
}

#[test]
fn a_single_layer_file_rewrites_its_placeholder_head() {
    let dir = tempfile::tempdir().unwrap();
    let a = b"one layer".to_vec();
    let planner = TestPlanner::default();
    let file = dir.path().join("one.tar");
    let layers = [layer(dir.path(), "a", &a)];
    write(
        ArchiveFile::create(&file, ArchiveFormat::DockerAndOci, &planner).unwrap(),
        &layers,
    )
    .unwrap();
    let found = entries(&std::fs::read(&file).unwrap());
    assert_eq!(found[&blob_name(&a)], a);
    assert!(!found.keys().any(|k| k.contains(&"0".repeat(64))));
}

#[test]
fn heads_of_different_lengths_break_the_contract_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let planner = TestPlanner::default();
    planner
        .lying
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let file = dir.path().join("out.tar");
    for layers in [
        vec![layer(dir.path(), "a", b"x")],
        vec![layer(dir.path(), "a", b"x"), layer(dir.path(), "b", b"y")],
    ] {
        let sink = ArchiveFile::create(&file, ArchiveFormat::DockerAndOci, &planner).unwrap();
        let err = write(sink, &layers).unwrap_err();
        assert!(matches!(err, Error::Contract(_)), "{err}");
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["a", "b"], "only the inputs remain");
    }
}

#[test]
fn the_docker_format_leaves_out_omitted_layers_and_names_blobs_by_position() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (vec![3u8; 2000], vec![4u8; 10]);
    let layers = [layer(dir.path(), "a", &a), layer(dir.path(), "b", &b)];
    let planner = TestPlanner::default();
    let mut out = Vec::new();
    // The receiver holds an image whose only layer is `a`.
    let chains = [vec![Digest::sha256(&a)]];
    let omitted = std::sync::atomic::AtomicU64::new(0);
    let stream = ArchiveStream::new(&mut out, ArchiveFormat::Docker, &planner, "engine").omitting(
        Omitting {
            chains: &chains,
            omitted: &omitted,
        },
    );
    let put = write(stream, &layers).unwrap();
    assert_eq!(omitted.into_inner(), a.len() as u64);
    assert!(put[0].omitted() && !put[1].omitted());
    let found = entries(&out);
    assert_eq!(found["0/layer.tar"], b"", "a placeholder");
    assert_eq!(found["1/layer.tar"], b);
}

#[test]
fn a_layer_that_changes_between_hashing_and_writing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = b"what was measured".to_vec();
    let layers = [layer(dir.path(), "a", b"what is written!!")];
    let planner = TestPlanner::default();
    let known = Expected {
        size: Some(a.len() as u64),
        digest: Some(Digest::sha256(&a)),
    };
    let stream = ArchiveStream::new(Vec::new(), ArchiveFormat::DockerAndOci, &planner, "pipe");
    let err = write_made(stream, vec![made_as(&layers[0], known)]).unwrap_err();
    assert!(matches!(err, Error::Changed { ordinal: 1, .. }), "{err}");
    assert!(
        err.to_string().contains("changed while it was read"),
        "{err}"
    );
}
