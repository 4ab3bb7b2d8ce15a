//! `layer_media_type`, `image_layers` and `index_entries`: the layer media
//! types written and read, a config's `diff_ids` matched to the layers, and
//! the entries of a layout's indexes with their names; a config without a
//! media type in a written manifest.

use manifest_generation_core::*;

const L1: &str = "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f";
const L2: &str = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";
const D1: &str = "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736";
const D2: &str = "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0";

#[test]
fn a_layer_media_type_says_its_compression_in_either_format() {
    let cases = [
        (Compression::None, ManifestFormat::Oci, MEDIA_TYPE_OCI_LAYER),
        (
            Compression::Gzip,
            ManifestFormat::Oci,
            MEDIA_TYPE_OCI_LAYER_GZIP,
        ),
        (
            Compression::Zstd,
            ManifestFormat::Oci,
            MEDIA_TYPE_OCI_LAYER_ZSTD,
        ),
        (
            Compression::None,
            ManifestFormat::Docker,
            MEDIA_TYPE_DOCKER_LAYER,
        ),
        (
            Compression::Gzip,
            ManifestFormat::Docker,
            MEDIA_TYPE_DOCKER_LAYER_GZIP,
        ),
        (
            Compression::Zstd,
            ManifestFormat::Docker,
            MEDIA_TYPE_DOCKER_LAYER_ZSTD,
        ),
    ];
    for (compression, format, expected) in cases {
        let media_type = layer_media_type(compression, format);
        assert_eq!(media_type, expected);
        // What is written reads back as the same compression.
        assert_eq!(layer_compression(&media_type), Some(compression));
    }
    assert_eq!(
        MEDIA_TYPE_OCI_LAYER_GZIP,
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
}

#[test]
fn foreign_and_non_distributable_layers_are_read_and_others_are_not() {
    for (media_type, compression) in [
        (
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            Compression::Gzip,
        ),
        (
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            Compression::Gzip,
        ),
        (
            "application/vnd.oci.image.layer.nondistributable.v1.tar",
            Compression::None,
        ),
    ] {
        assert_eq!(layer_compression(media_type), Some(compression));
    }
    for not_a_layer in [
        MEDIA_TYPE_OCI_CONFIG,
        MEDIA_TYPE_OCI_MANIFEST,
        "application/vnd.oci.image.layer.v1.tar+bzip2",
        "",
    ] {
        assert_eq!(layer_compression(not_a_layer), None, "{not_a_layer}");
    }
}

fn config(diff_ids: &[&str]) -> Vec<u8> {
    serde_json::json!({"rootfs": {"type": "layers", "diff_ids": diff_ids}})
        .to_string()
        .into_bytes()
}

#[test]
fn image_layers_pair_each_layer_with_its_diff_id_and_compression() {
    let layers = [
        Descriptor::new(MEDIA_TYPE_OCI_LAYER_GZIP, L1, 10),
        Descriptor::new(MEDIA_TYPE_DOCKER_LAYER, L2, 20),
    ];
    let read = image_layers(&layers, &config(&[D1, D2])).unwrap();
    assert_eq!(
        read,
        [
            ImageLayer {
                descriptor: layers[0].clone(),
                compression: Compression::Gzip,
                diff_id: D1.into(),
            },
            ImageLayer {
                descriptor: layers[1].clone(),
                compression: Compression::None,
                diff_id: D2.into(),
            },
        ]
    );
    assert_eq!(image_layers(&[], &config(&[])).unwrap(), []);
}

#[test]
fn image_layers_refuse_a_mismatch_a_bad_diff_id_and_a_layer_that_is_not_one() {
    let layer = Descriptor::new(MEDIA_TYPE_OCI_LAYER, L1, 10);
    let message = |e: Error| e.message().to_owned();
    let err = image_layers(std::slice::from_ref(&layer), &config(&[D1, D2])).unwrap_err();
    assert!(message(err).contains("lists 1 layers but its config 2"));
    let err = image_layers(std::slice::from_ref(&layer), &config(&["sha256:short"])).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
    assert!(message(err).contains("rootfs.diff_ids[0]"));
    let err = image_layers(std::slice::from_ref(&layer), b"{}").unwrap_err();
    assert!(message(err).contains("rootfs.diff_ids is missing"));
    let err = image_layers(std::slice::from_ref(&layer), b"[]").unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
    let config_as_layer = Descriptor::new(MEDIA_TYPE_OCI_CONFIG, L1, 10);
    let err = image_layers(&[layer, config_as_layer], &config(&[D1, D2])).unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported(m) if m.starts_with("layers[1]")),
        "{err:?}"
    );
}

fn named(media_type: &str, digest: &str, annotations: &[(&str, &str)]) -> serde_json::Value {
    let annotations: serde_json::Map<String, serde_json::Value> = annotations
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    serde_json::json!({"mediaType": media_type, "digest": digest, "size": 5, "annotations": annotations})
}

fn index(media_type: Option<&str>, entries: Vec<serde_json::Value>) -> Vec<u8> {
    let mut index = serde_json::json!({"schemaVersion": 2, "manifests": entries});
    if let Some(media_type) = media_type {
        index["mediaType"] = media_type.into();
    }
    index.to_string().into_bytes()
}

#[test]
fn index_entries_say_what_each_is_and_name_it_containerd_name_first() {
    let bytes = index(
        Some(MEDIA_TYPE_OCI_INDEX),
        vec![
            named(
                MEDIA_TYPE_OCI_MANIFEST,
                L1,
                &[
                    (ANNOTATION_REF_NAME, "1"),
                    (ANNOTATION_IMAGE_NAME, "docker.io/library/app:1"),
                ],
            ),
            named(
                MEDIA_TYPE_DOCKER_MANIFEST_LIST,
                L2,
                &[(ANNOTATION_REF_NAME, "2")],
            ),
            named(MEDIA_TYPE_OCI_LAYER, D1, &[]),
            named(
                MEDIA_TYPE_DOCKER_MANIFEST,
                D2,
                &[(ANNOTATION_IMAGE_NAME, "")],
            ),
        ],
    );
    let entries = index_entries(None, &bytes, None).unwrap();
    let read: Vec<_> = entries
        .iter()
        .map(|e| (e.manifest.digest.as_str(), e.kind, e.name.as_deref()))
        .collect();
    assert_eq!(
        read,
        [
            (L1, EntryKind::Image, Some("docker.io/library/app:1")),
            (L2, EntryKind::Index, Some("2")),
            (D1, EntryKind::Other, None),
            (D2, EntryKind::Image, None),
        ]
    );
}

#[test]
fn a_nested_index_lends_its_name_and_is_read_by_its_own_type() {
    let nested = index(None, vec![named(MEDIA_TYPE_OCI_MANIFEST, L1, &[])]);
    let entries = index_entries(Some(MEDIA_TYPE_OCI_INDEX), &nested, Some("app:2")).unwrap();
    assert_eq!(entries[0].name.as_deref(), Some("app:2"));
    let docker_list = index(
        Some(MEDIA_TYPE_DOCKER_MANIFEST_LIST),
        vec![named(MEDIA_TYPE_DOCKER_MANIFEST, L1, &[])],
    );
    let entries = index_entries(Some(MEDIA_TYPE_DOCKER_MANIFEST_LIST), &docker_list, None).unwrap();
    assert_eq!(entries[0].kind, EntryKind::Image);
    // A layout's own index.json must be an OCI index.
    let err = index_entries(None, &docker_list, None).unwrap_err();
    assert!(err.message().starts_with("index.json: "), "{err:?}");
    let image = serde_json::json!({"schemaVersion": 2, "config": named(MEDIA_TYPE_OCI_CONFIG, L1, &[]), "layers": []});
    let err = index_entries(Some(""), image.to_string().as_bytes(), None).unwrap_err();
    assert!(err.message().contains("not an index"), "{err:?}");
}

#[test]
fn index_entries_refuse_an_unsafe_digest() {
    let bytes = index(
        None,
        vec![named(
            MEDIA_TYPE_OCI_MANIFEST,
            "sha256:../../etc/passwd",
            &[],
        )],
    );
    let err = index_entries(None, &bytes, None).unwrap_err();
    assert!(err.message().contains("digest"), "{err:?}");
}

#[test]
fn a_config_without_a_media_type_is_the_formats_image_config() {
    let config = Descriptor::new("", L1, 10);
    let layer = Descriptor::new(MEDIA_TYPE_OCI_LAYER, L2, 20);
    let oci = image_manifest(&config, std::slice::from_ref(&layer), &[], None).unwrap();
    let written = String::from_utf8(oci.bytes).unwrap();
    assert!(written.contains(&format!(
        r#""config":{{"mediaType":"{MEDIA_TYPE_OCI_CONFIG}""#
    )));
    let docker_layer = Descriptor::new(MEDIA_TYPE_DOCKER_LAYER, L2, 20);
    let docker = docker_manifest(&config, &[docker_layer]).unwrap();
    let written = String::from_utf8(docker.bytes).unwrap();
    assert!(written.contains(&format!(
        r#""config":{{"mediaType":"{MEDIA_TYPE_DOCKER_CONFIG}""#
    )));
}
