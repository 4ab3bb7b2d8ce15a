//! Manifests, indexes and artifact manifests: golden bytes, spec examples,
//! validation, determinism.

use manifest_generation_core::*;

const D1: &str = "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0";
const D2: &str = "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b";
const D3: &str = "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736";
const CFG: &str = "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7";
const SUBJ: &str = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";
const EMPTY: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn text(doc: &Document) -> &str {
    std::str::from_utf8(&doc.bytes).unwrap()
}

/// The descriptor describes exactly the bytes.
fn check_descriptor(doc: &Document, media_type: &str) {
    assert_eq!(doc.descriptor.media_type, media_type);
    assert_eq!(
        doc.descriptor.digest,
        ocipipe_sdk::digest::sha256(&doc.bytes)
    );
    assert_eq!(doc.descriptor.size, doc.bytes.len() as u64);
    assert!(doc.descriptor.annotations.is_empty());
    assert!(doc.descriptor.platform.is_none());
    assert!(doc.descriptor.urls.is_empty());
}

fn ann(pairs: &[(&str, &str)]) -> Vec<Annotation> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn layer(digest: &str, size: u64) -> Descriptor {
    Descriptor::new("application/vnd.oci.image.layer.v1.tar+gzip", digest, size)
}

fn plat(arch: &str) -> Platform {
    Platform {
        architecture: arch.into(),
        os: "linux".into(),
        ..Platform::default()
    }
}

fn invalid_msg(r: Result<Document, Error>) -> String {
    match r {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

fn unsupported_msg(r: Result<Document, Error>) -> String {
    match r {
        Err(Error::Unsupported(m)) => m,
        other => panic!("expected unsupported, got {other:?}"),
    }
}

/// The image-spec's "Example Image Manifest" (manifest.md), compacted by
/// hand: same fields in the same order.
#[test]
fn image_manifest_is_the_spec_example() {
    let doc = image_manifest(
        &Descriptor::new(MEDIA_TYPE_OCI_CONFIG, CFG, 7023),
        &[layer(D1, 32654), layer(D2, 16724), layer(D3, 73109)],
        // Given out of order: written sorted.
        &ann(&[
            ("com.example.key2", "value2"),
            ("com.example.key1", "value1"),
        ]),
        Some(&Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, SUBJ, 7682)),
    )
    .unwrap();
    let expected = concat!(
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","#,
        r#""config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7","size":7023},"#,
        r#""layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0","size":32654},"#,
        r#"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b","size":16724},"#,
        r#"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736","size":73109}],"#,
        r#""subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270","size":7682},"#,
        r#""annotations":{"com.example.key1":"value1","com.example.key2":"value2"}}"#
    );
    assert_eq!(text(&doc), expected);
    check_descriptor(&doc, MEDIA_TYPE_OCI_MANIFEST);
    assert_eq!(doc.descriptor.artifact_type, None);
}

#[test]
fn image_manifest_minimal_golden() {
    let doc = image_manifest(
        &Descriptor::new(MEDIA_TYPE_OCI_CONFIG, CFG, 7),
        &[],
        &[],
        None,
    )
    .unwrap();
    assert_eq!(
        text(&doc),
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7","size":7},"layers":[]}"#
    );
    // sha256sum of the text above, computed outside.
    assert_eq!(
        doc.descriptor.digest,
        "sha256:9a942d8858234ef73f89489fa10b6bd401c4f82f004aab29fd14f5300311023c"
    );
    assert_eq!(doc.descriptor.size, 246);
    check_descriptor(&doc, MEDIA_TYPE_OCI_MANIFEST);
}

#[test]
fn image_manifest_validation() {
    let cfg = Descriptor::new(MEDIA_TYPE_OCI_CONFIG, CFG, 7);
    let m = invalid_msg(image_manifest(
        &Descriptor::new(MEDIA_TYPE_EMPTY_JSON, EMPTY, 2),
        &[],
        &[],
        None,
    ));
    assert!(m.contains("artifact"), "{m}");
    let m = invalid_msg(image_manifest(
        &cfg,
        &[layer(D1, 1), layer("sha256:nothex", 1)],
        &[],
        None,
    ));
    assert!(
        m.starts_with("layers[1]: ") && m.contains("\"sha256:nothex\""),
        "{m}"
    );
    let m = invalid_msg(image_manifest(
        &Descriptor::new("not a type", CFG, 1),
        &[],
        &[],
        None,
    ));
    assert!(
        m.starts_with("config: ") && m.contains("\"not a type\""),
        "{m}"
    );
    let m = invalid_msg(image_manifest(
        &cfg,
        &[],
        &[],
        Some(&Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, "sha1:abc", 1)),
    ));
    assert!(
        m.starts_with("subject: ") && m.contains("\"sha1:abc\""),
        "{m}"
    );
    let m = invalid_msg(image_manifest(
        &cfg,
        &[],
        &ann(&[("a", "1"), ("a", "2")]),
        None,
    ));
    assert!(m.starts_with("annotations: ") && m.contains("\"a\""), "{m}");
}

/// The image-spec's "Example Image Index" (image-index.md), same content;
/// descriptor fields come in the Go struct order (the example writes
/// `size` before `digest`), so compare as JSON values too.
#[test]
fn image_index_is_the_spec_example() {
    let doc = image_index(
        &[
            Descriptor {
                platform: Some(plat("ppc64le")),
                ..Descriptor::new(
                    MEDIA_TYPE_OCI_MANIFEST,
                    "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
                    7143,
                )
            },
            Descriptor {
                platform: Some(plat("amd64")),
                ..Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, SUBJ, 7682)
            },
        ],
        &ann(&[
            ("com.example.key1", "value1"),
            ("com.example.key2", "value2"),
        ]),
    )
    .unwrap();
    let expected = concat!(
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":["#,
        r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f","size":7143,"platform":{"architecture":"ppc64le","os":"linux"}},"#,
        r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270","size":7682,"platform":{"architecture":"amd64","os":"linux"}}],"#,
        r#""annotations":{"com.example.key1":"value1","com.example.key2":"value2"}}"#
    );
    assert_eq!(text(&doc), expected);
    let spec_example = r#"{
      "schemaVersion": 2,
      "mediaType": "application/vnd.oci.image.index.v1+json",
      "manifests": [
        {
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "size": 7143,
          "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
          "platform": { "architecture": "ppc64le", "os": "linux" }
        },
        {
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "size": 7682,
          "digest": "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
          "platform": { "architecture": "amd64", "os": "linux" }
        }
      ],
      "annotations": { "com.example.key1": "value1", "com.example.key2": "value2" }
    }"#;
    let ours: serde_json::Value = serde_json::from_slice(&doc.bytes).unwrap();
    let spec: serde_json::Value = serde_json::from_str(spec_example).unwrap();
    assert_eq!(ours, spec);
    check_descriptor(&doc, MEDIA_TYPE_OCI_INDEX);
}

#[test]
fn image_index_empty_and_full_platform() {
    let doc = image_index(&[], &[]).unwrap();
    assert_eq!(
        text(&doc),
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#
    );
    let doc = image_index(
        &[Descriptor {
            platform: Some(Platform {
                architecture: "amd64".into(),
                os: "windows".into(),
                os_version: Some("10.0.14393.1066".into()),
                os_features: vec!["win32k".into()],
                cpu_variant: None,
            }),
            artifact_type: Some("application/vnd.example+type".into()),
            annotations: ann(&[("org.opencontainers.image.ref.name", "v1")]),
            ..Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, SUBJ, 1)
        }],
        &[],
    )
    .unwrap();
    assert_eq!(
        text(&doc),
        concat!(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270","size":1,"#,
            r#""annotations":{"org.opencontainers.image.ref.name":"v1"},"platform":{"architecture":"amd64","os":"windows","os.version":"10.0.14393.1066","os.features":["win32k"]},"artifactType":"application/vnd.example+type"}]}"#
        )
    );
    let m = invalid_msg(image_index(
        &[
            Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, SUBJ, 1),
            Descriptor::new("x", SUBJ, 1),
        ],
        &[],
    ));
    assert!(m.starts_with("manifests[1]: "), "{m}");
}

fn compose_layer() -> Descriptor {
    Descriptor {
        annotations: ann(&[
            ("com.docker.compose.version", "2.40.0"),
            ("com.docker.compose.file", "compose.yaml"),
        ]),
        ..Descriptor::new("application/vnd.docker.compose.file+yaml", D1, 120)
    }
}

fn compose_request() -> ArtifactRequest {
    ArtifactRequest {
        artifact_type: COMPOSE_PROJECT_ARTIFACT_TYPE.into(),
        layers: vec![compose_layer()],
        annotations: ann(&[("org.opencontainers.image.created", "2024-01-02T03:04:05Z")]),
        created: None,
        subject: None,
    }
}

/// What compose's `generateManifest` marshals for OCI 1.1 (less the layer
/// `data` that newer compose versions embed: WIT descriptors carry none).
#[test]
fn artifact_manifest_oci_1_1_is_composes() {
    let doc = artifact_manifest(&compose_request(), ArtifactForm::OciV11).unwrap();
    assert_eq!(
        text(&doc),
        concat!(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.docker.compose.project","#,
            r#""config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="},"#,
            r#""layers":[{"mediaType":"application/vnd.docker.compose.file+yaml","digest":"sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0","size":120,"annotations":{"com.docker.compose.file":"compose.yaml","com.docker.compose.version":"2.40.0"}}],"#,
            r#""annotations":{"org.opencontainers.image.created":"2024-01-02T03:04:05Z"}}"#
        )
    );
    assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_OCI_MANIFEST);
    assert_eq!(
        doc.descriptor.digest,
        ocipipe_sdk::digest::sha256(&doc.bytes)
    );
    assert_eq!(doc.descriptor.size, doc.bytes.len() as u64);
    assert_eq!(
        doc.descriptor.artifact_type.as_deref(),
        Some(COMPOSE_PROJECT_ARTIFACT_TYPE)
    );
}

/// compose's OCI 1.0 fallback: no artifactType, its own config media type.
#[test]
fn artifact_manifest_oci_1_0_is_composes() {
    let doc = artifact_manifest(&compose_request(), ArtifactForm::OciV10).unwrap();
    assert_eq!(
        text(&doc),
        concat!(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","#,
            r#""config":{"mediaType":"application/vnd.docker.compose.config.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"#,
            r#""layers":[{"mediaType":"application/vnd.docker.compose.file+yaml","digest":"sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0","size":120,"annotations":{"com.docker.compose.file":"compose.yaml","com.docker.compose.version":"2.40.0"}}],"#,
            r#""annotations":{"org.opencontainers.image.created":"2024-01-02T03:04:05Z"}}"#
        )
    );
    check_descriptor(&doc, MEDIA_TYPE_OCI_MANIFEST);
    assert_eq!(doc.descriptor.artifact_type, None);
}

/// Any other artifact type is its own 1.0 config media type; no layers
/// gives the spec's single empty layer; the subject is kept.
#[test]
fn artifact_manifest_generic_forms() {
    let req = ArtifactRequest {
        artifact_type: "application/vnd.example+type".into(),
        layers: vec![],
        annotations: vec![],
        created: None,
        subject: Some(Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, SUBJ, 7682)),
    };
    let v11 = artifact_manifest(&req, ArtifactForm::OciV11).unwrap();
    assert_eq!(
        text(&v11),
        concat!(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example+type","#,
            r#""config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="},"#,
            r#""layers":[{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}],"#,
            r#""subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270","size":7682}}"#
        )
    );
    let v10 = artifact_manifest(&req, ArtifactForm::OciV10).unwrap();
    assert_eq!(
        text(&v10),
        concat!(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","#,
            r#""config":{"mediaType":"application/vnd.example+type","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"#,
            r#""layers":[{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}],"#,
            r#""subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270","size":7682}}"#
        )
    );
    assert_eq!(
        v1_0_config_media_type("application/vnd.example+type"),
        "application/vnd.example+type"
    );
    assert_eq!(
        v1_0_config_media_type(COMPOSE_PROJECT_ARTIFACT_TYPE),
        COMPOSE_EMPTY_CONFIG_MEDIA_TYPE
    );
    assert_eq!(EMPTY_JSON_DIGEST, ocipipe_sdk::digest::sha256(b"{}"));
    assert_eq!(EMPTY_JSON_SIZE, 2);
}

#[test]
fn artifact_manifest_validation() {
    for bad in ["", "compose", "application/x; v=1"] {
        let req = ArtifactRequest {
            artifact_type: bad.into(),
            ..compose_request()
        };
        for form in [ArtifactForm::OciV11, ArtifactForm::OciV10] {
            let m = invalid_msg(artifact_manifest(&req, form));
            assert!(
                m.starts_with("artifact type: ") && m.contains(&format!("{bad:?}")),
                "{m}"
            );
        }
    }
    let req = ArtifactRequest {
        layers: vec![
            compose_layer(),
            Descriptor::new("a/b", D1, 1),
            Descriptor::new("a/b", "sha256:", 1),
        ],
        ..compose_request()
    };
    let m = invalid_msg(artifact_manifest(&req, ArtifactForm::OciV11));
    assert!(m.starts_with("layers[2]: "), "{m}");
}

/// What moby's `buildManifest` + `writeManifest` marshal for a plugin:
/// `mediaType` after the embedded manifest's fields.
#[test]
fn docker_manifest_for_a_plugin_is_mobys() {
    let doc = docker_manifest(
        &Descriptor::new(MEDIA_TYPE_DOCKER_PLUGIN_CONFIG, CFG, 1234),
        &[Descriptor::new(MEDIA_TYPE_DOCKER_LAYER_GZIP, D1, 5678)],
    )
    .unwrap();
    assert_eq!(
        text(&doc),
        concat!(
            r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.docker.plugin.v1+json","digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7","size":1234},"#,
            r#""layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0","size":5678}],"#,
            r#""mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#
        )
    );
    check_descriptor(&doc, MEDIA_TYPE_DOCKER_MANIFEST);
    let m = unsupported_msg(docker_manifest(
        &Descriptor::new(MEDIA_TYPE_DOCKER_PLUGIN_CONFIG, CFG, 1),
        &[Descriptor::new(
            "application/vnd.docker.image.rootfs.diff.tar",
            D1,
            1,
        )],
    ));
    assert!(
        m.starts_with("layers[0]: ") && m.contains("rootfs.diff.tar\""),
        "{m}"
    );
}

#[test]
fn docker_manifest_for_an_image() {
    let doc = docker_manifest(
        &Descriptor::new(MEDIA_TYPE_DOCKER_CONFIG, CFG, 1469),
        &[
            Descriptor::new(MEDIA_TYPE_DOCKER_LAYER_GZIP, D1, 10),
            Descriptor {
                urls: vec!["https://example.com/layer".into()],
                ..Descriptor::new(
                    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                    D2,
                    20,
                )
            },
        ],
    )
    .unwrap();
    assert_eq!(
        text(&doc),
        concat!(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","#,
            r#""config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7","size":1469},"#,
            r#""layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0","size":10},"#,
            r#"{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b","size":20,"urls":["https://example.com/layer"]}]}"#
        )
    );
    check_descriptor(&doc, MEDIA_TYPE_DOCKER_MANIFEST);
}

#[test]
fn docker_manifest_validation() {
    let m = unsupported_msg(docker_manifest(
        &Descriptor::new(MEDIA_TYPE_OCI_CONFIG, CFG, 1),
        &[],
    ));
    assert!(
        m.starts_with("config: ") && m.contains(MEDIA_TYPE_OCI_CONFIG),
        "{m}"
    );
    let m = invalid_msg(docker_manifest(&Descriptor::new("bogus", CFG, 1), &[]));
    assert!(m.contains("\"bogus\""), "{m}");
    let m = unsupported_msg(docker_manifest(
        &Descriptor::new(MEDIA_TYPE_DOCKER_CONFIG, CFG, 1),
        &[layer(D1, 1)],
    ));
    assert!(
        m.starts_with("layers[0]: ")
            && m.contains("\"application/vnd.oci.image.layer.v1.tar+gzip\""),
        "{m}"
    );
    let m = invalid_msg(docker_manifest(
        &Descriptor::new(MEDIA_TYPE_DOCKER_CONFIG, CFG, 1),
        &[Descriptor::new(
            MEDIA_TYPE_DOCKER_LAYER_GZIP,
            "sha256:ABC",
            1,
        )],
    ));
    assert!(m.contains("\"sha256:ABC\""), "{m}");
    let m = invalid_msg(docker_manifest(
        &Descriptor {
            artifact_type: Some("application/vnd.example+type".into()),
            ..Descriptor::new(MEDIA_TYPE_DOCKER_CONFIG, CFG, 1)
        },
        &[],
    ));
    assert!(
        m.starts_with("config: ") && m.contains("artifactType"),
        "{m}"
    );
}

/// A retry in the 1.0 form only when the registry refused the manifest
/// itself: 415 whatever the code, or a 4xx (not 401, 403, 404, 407) whose
/// code says so.
#[test]
fn fallback_form_only_for_a_refused_manifest() {
    for code in [
        None,
        Some(""),
        Some("MANIFEST_INVALID"),
        Some("BLOB_UNKNOWN"),
    ] {
        assert_eq!(
            fallback_form(415, code),
            Some(ArtifactForm::OciV10),
            "415 {code:?}"
        );
    }
    for status in [400, 405, 406, 409, 413, 422, 499] {
        for code in ["MANIFEST_INVALID", "UNSUPPORTED"] {
            assert_eq!(
                fallback_form(status, Some(code)),
                Some(ArtifactForm::OciV10),
                "{status} {code}"
            );
        }
    }
}

#[test]
fn fallback_form_not_for_other_codes_or_statuses() {
    let other_codes = [
        "DIGEST_INVALID",
        "BLOB_UNKNOWN",
        "MANIFEST_BLOB_UNKNOWN",
        "NAME_INVALID",
        "NAME_UNKNOWN",
        "TAG_INVALID",
        "SIZE_INVALID",
        "MANIFEST_UNKNOWN",
        "DENIED",
        "UNAUTHORIZED",
        "",
    ];
    for code in other_codes {
        assert_eq!(fallback_form(400, Some(code)), None, "400 {code}");
    }
    assert_eq!(fallback_form(400, None), None, "400 without a code");
    // Codes are the spec's, compared as written.
    for code in ["manifest_invalid", "Unsupported", " MANIFEST_INVALID"] {
        assert_eq!(fallback_form(400, Some(code)), None, "{code:?}");
    }
    // Auth, a missing repository, and anything not 4xx: never, whatever
    // the code.
    for status in [
        0, 100, 200, 201, 202, 301, 399, 401, 403, 404, 407, 500, 502, 503, 599, 65535,
    ] {
        for code in [None, Some("MANIFEST_INVALID"), Some("UNSUPPORTED")] {
            assert_eq!(fallback_form(status, code), None, "{status} {code:?}");
        }
    }
}

#[test]
fn same_input_same_bytes() {
    let a = artifact_manifest(&compose_request(), ArtifactForm::OciV11).unwrap();
    let mut reordered = compose_request();
    reordered.annotations.reverse();
    reordered.layers[0].annotations.reverse();
    let b = artifact_manifest(&reordered, ArtifactForm::OciV11).unwrap();
    assert_eq!(a, b);
    let layers = [layer(D1, 1), layer(D2, 2)];
    let c = Descriptor::new(MEDIA_TYPE_OCI_CONFIG, CFG, 3);
    assert_eq!(
        image_manifest(&c, &layers, &[], None).unwrap(),
        image_manifest(&c, &layers, &[], None).unwrap()
    );
}

#[test]
fn artifact_created_comes_from_the_request_unless_annotated() {
    let mut req = compose_request();
    req.annotations.clear();
    let none = artifact_manifest(&req, ArtifactForm::OciV11).unwrap();
    assert!(!text(&none).contains("org.opencontainers.image.created"));
    req.created = Some(1_700_000_000);
    let dated = artifact_manifest(&req, ArtifactForm::OciV11).unwrap();
    assert!(
        text(&dated).contains(r#""org.opencontainers.image.created":"2023-11-14T22:13:20Z""#),
        "{}",
        text(&dated)
    );
    let again = artifact_manifest(&req, ArtifactForm::OciV11).unwrap();
    assert_eq!(
        text(&dated),
        text(&again),
        "the same request, the same bytes"
    );
    // An annotation given wins over the request's time.
    let given = ArtifactRequest {
        created: Some(1_700_000_000),
        ..compose_request()
    };
    let kept = artifact_manifest(&given, ArtifactForm::OciV11).unwrap();
    assert!(
        text(&kept).contains("2024-01-02T03:04:05Z"),
        "{}",
        text(&kept)
    );
    assert!(!text(&kept).contains("2023-11-14"));
}
