//! One suite run against every tar place (go-containerregistry's
//! `validate`, for writers): each writes one image through the one
//! sequence ([`write_images`]) with the tar-assembly component's own core
//! as planner, and is read back by the matching source: the same config,
//! every layer's bytes hashing to its diff ID, a repeated layer kept; and a
//! failure after the layers are in leaves nothing behind. The places that
//! keep blobs loose (a layout, a registry repository) are run through
//! their own suite, in `pipeline::copy`, which sees both; a build's new
//! layout is read back here too.

use super::test_planner::made;
use super::*;
use crate::model::destination::write_images;
use crate::model::{ArchiveLayer, Descriptor, Document};
use crate::store::layout_writer::LayoutDestination;
use crate::store::plan::LayerSource;
use crate::store::source::{ArchiveSource, ImageSource, LayoutSource, SourceImage};
use crate::store::test_support::{NativeArchivePlanner, NativeLayoutReader, names};
use std::path::Path;

/// Every tar place, by name: `check` is run against each, opened at a
/// target it names, with what it is read back as.
fn each_output<'p>(
    planner: &'p NativeArchivePlanner,
    mut check: impl FnMut(&str, &str, &dyn Fn(&Path) -> Place<'p>),
) {
    check("an archive file", "archive", &|target| {
        Place::File(ArchiveFile::create(target, ArchiveFormat::DockerAndOci, planner).unwrap())
    });
    check("an archive stream", "archive", &|target| {
        let out = std::fs::File::create(target).unwrap();
        let stream = ArchiveStream::new(out, ArchiveFormat::DockerAndOci, planner, "the stream");
        Place::Stream(stream)
    });
    check("a layout", "layout", &|target| {
        Place::Layout(LayoutDestination::create(target, NativeLayoutReader).unwrap())
    });
}

/// One of the tar places.
enum Place<'p> {
    File(ArchiveFile<'p>),
    Stream(ArchiveStream<'p, 'p, std::fs::File>),
    Layout(LayoutDestination<NativeLayoutReader>),
}

/// The one sequence into `place`, documents from [`image_of`].
fn write_into(place: Place<'_>, layers: &[LayerSource]) -> Result<Vec<PutLayer>, Error> {
    let layers = vec![layers.iter().map(made).collect::<Vec<_>>()];
    let written = match place {
        Place::File(into) => {
            write_images(into, &layers, None, |_, put| Ok::<_, Error>(image_of(put)))
        }
        Place::Stream(into) => {
            write_images(into, &layers, None, |_, put| Ok::<_, Error>(image_of(put)))
        }
        Place::Layout(into) => write_images(into, &layers, None, |_, put| {
            Ok::<_, crate::store::layout_writer::Error>(image_of(put))
        })
        .map_err(|e| Error::output("the layout")(io::Error::other(e.to_string()))),
    };
    let (image, put) = written?.remove(0);
    assert_eq!(image, image_of(&put));
    Ok(put)
}

fn document(media_type: &str, value: serde_json::Value) -> Document {
    let bytes = serde_json::to_vec(&value).unwrap();
    Document {
        descriptor: Descriptor::new(media_type, Digest::sha256(&bytes), bytes.len() as u64),
        bytes,
    }
}

/// The config and manifest of an image whose layers an output took.
fn image_of(put: &[PutLayer]) -> ArchiveImage {
    let diff_ids: Vec<String> = put.iter().map(|p| p.digest.to_string()).collect();
    let config = document(
        "application/vnd.oci.image.config.v1+json",
        serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }),
    );
    let layers: Vec<ArchiveLayer> = put
        .iter()
        .map(|p| ArchiveLayer {
            descriptor: Descriptor::new(
                "application/vnd.oci.image.layer.v1.tar",
                p.digest.clone(),
                p.size,
            ),
            omitted: false,
        })
        .collect();
    let json = |d: &Descriptor| serde_json::json!({"mediaType": d.media_type, "digest": d.digest.to_string(), "size": d.size});
    let manifest = document(
        "application/vnd.oci.image.manifest.v1+json",
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": json(&config.descriptor),
            "layers": layers.iter().map(|l| json(&l.descriptor)).collect::<Vec<_>>(),
        }),
    );
    ArchiveImage {
        config,
        manifest,
        layers,
        repo_tags: vec!["docker.io/library/conformance:1".into()],
    }
}

/// A layer tar holding one file `name` with `contents`.
fn layer(dir: &Path, name: &str, contents: &[u8]) -> LayerSource {
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_size(contents.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, name, contents).unwrap();
    let path = dir.join(format!("{name}.tar"));
    std::fs::write(&path, tar.into_inner().unwrap()).unwrap();
    LayerSource::Tar(path)
}

fn read_back(kind: &str, target: &Path) -> Vec<SourceImage> {
    match kind {
        "archive" => ArchiveSource::open(target).unwrap().images().unwrap(),
        _ => LayoutSource::open(target)
            .unwrap()
            .images(&NativeLayoutReader)
            .unwrap(),
    }
}

#[test]
fn every_local_output_reads_back_as_the_image_written() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("inputs");
    std::fs::create_dir(&inputs).unwrap();
    let (a, b) = (
        layer(&inputs, "a", b"first"),
        layer(&inputs, "b", &[7; 70_000]),
    );
    let layers = [a.clone(), b, a];
    let planner = NativeArchivePlanner {
        refuse_documents: false,
    };
    each_output(&planner, |what, kind, open| {
        let target = dir.path().join(what.replace(' ', "-"));
        let put = write_into(open(&target), &layers).unwrap();
        let image = image_of(&put);
        assert_eq!(put[0].digest, put[2].digest, "{what}");
        let read = read_back(kind, &target);
        assert_eq!(read.len(), 1, "{what}: one image");
        // An archive keeps the config's bytes, not its media type.
        let config = &read[0].config;
        assert_eq!(config.bytes, image.config.bytes, "{what}: the config");
        assert_eq!(config.descriptor.digest, image.config.descriptor.digest);
        if kind == "layout" {
            assert_eq!(read[0].config, image.config, "{what}: the config");
            let manifest = read[0].manifest.as_ref().expect("a layout keeps manifests");
            assert_eq!(manifest.bytes, image.manifest.bytes, "{what}: the manifest");
        }
        assert!(
            read[0]
                .repo_tags
                .iter()
                .any(|t| t.ends_with("conformance:1")),
            "{what}: the name, not {:?}",
            read[0].repo_tags
        );
        let diff_ids: Vec<&Digest> = read[0].layers.iter().map(|l| &l.diff_id).collect();
        let digests: Vec<&Digest> = put.iter().map(|p| &p.digest).collect();
        assert_eq!(diff_ids, digests, "{what}: the layers, in order");
        for layer in &read[0].layers {
            let (digest, _) = layer.blob.measure(std::io::sink()).unwrap();
            assert_eq!(digest, layer.diff_id, "{what}: a layer's bytes");
        }
    });
}

#[test]
fn every_local_output_leaves_nothing_when_it_fails_after_its_layers() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("inputs");
    std::fs::create_dir(&inputs).unwrap();
    let layers = [
        layer(&inputs, "a", b"first"),
        layer(&inputs, "b", b"second"),
    ];
    let planner = NativeArchivePlanner {
        refuse_documents: true,
    };
    each_output(&planner, |what, _, open| {
        if what == "an archive stream" {
            return; // A stream cannot take back what it sent.
        }
        if what == "a layout" {
            return; // Its index is not planned here: see `layout_writer`.
        }
        let target = dir.path().join("out");
        let failed = write_into(open(&target), &layers);
        let message = failed.expect_err("refused").to_string();
        assert!(message.contains("as the test asked"), "{what}: {message}");
        assert_eq!(names(dir.path()), ["inputs"], "{what}: nothing left");
    });
}
