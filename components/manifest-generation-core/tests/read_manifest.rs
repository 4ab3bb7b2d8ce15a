//! `read_manifest`: every accepted form, as registries, skopeo, docker,
//! buildkit and compose write them, and every refusal, naming the field.
//! Round trips through the writers of this crate close the loop.

use manifest_generation_core::*;

const CFG: &str = "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7";
const L1: &str = "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0";
const L2: &str = "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b";
const M1: &str = "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f";
const M2: &str = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";
const M3: &str = "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736";
const EMPTY: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

fn image(media_type: &str, doc: &str) -> ImageContents {
    match read_manifest(media_type, doc.as_bytes()) {
        Ok(ManifestContents::Image(image)) => image,
        other => panic!("expected an image manifest, got {other:?}"),
    }
}

fn index(media_type: &str, doc: &str) -> IndexContents {
    match read_manifest(media_type, doc.as_bytes()) {
        Ok(ManifestContents::Index(index)) => index,
        other => panic!("expected an index, got {other:?}"),
    }
}

fn invalid(media_type: &str, doc: &str) -> String {
    match read_manifest(media_type, doc.as_bytes()) {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

fn unsupported(media_type: &str, doc: &str) -> String {
    match read_manifest(media_type, doc.as_bytes()) {
        Err(Error::Unsupported(m)) => m,
        other => panic!("expected unsupported, got {other:?}"),
    }
}

fn platform(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
    Platform {
        architecture: architecture.into(),
        os: os.into(),
        cpu_variant: variant.map(Into::into),
        ..Platform::default()
    }
}

fn ann(pairs: &[(&str, &str)]) -> Vec<Annotation> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A Docker schema 2 manifest as skopeo writes one (containers/image
/// `Schema2.Serialize`: compact, descriptors `mediaType`, `size`,
/// `digest`), with a foreign layer's `urls`.
#[test]
fn reads_a_skopeo_written_docker_schema2_manifest() {
    let doc = format!(
        concat!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","#,
            r#""config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":"{cfg}"}},"#,
            r#""layers":[{{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","size":1718332879,"digest":"{l1}","urls":["https://mcr.microsoft.com/v2/windows/servercore/blobs/{l1}"]}},"#,
            r#"{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":2814559,"digest":"{l2}"}}]}}"#
        ),
        cfg = CFG,
        l1 = L1,
        l2 = L2
    );
    let got = image(MEDIA_TYPE_DOCKER_MANIFEST, &doc);
    assert_eq!(
        got,
        ImageContents {
            media_type: MEDIA_TYPE_DOCKER_MANIFEST.into(),
            config: Descriptor::new(DOCKER_CONFIG, CFG, 1469),
            layers: vec![
                Descriptor {
                    urls: vec![format!(
                        "https://mcr.microsoft.com/v2/windows/servercore/blobs/{L1}"
                    )],
                    ..Descriptor::new(
                        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                        L1,
                        1718332879
                    )
                },
                Descriptor::new(DOCKER_LAYER, L2, 2814559),
            ],
            subject: None,
            artifact_type: None,
        }
    );
    // Served as generic JSON, the document's own mediaType decides.
    assert_eq!(image("application/json", &doc), got);
    assert_eq!(image("", &doc), got);
    assert_eq!(image("application/octet-stream", &doc), got);
}

/// As `docker push` (distribution's schema2 package) writes it: indented
/// by three spaces.
#[test]
fn reads_a_docker_pushed_schema2_manifest() {
    let doc = format!(
        r#"{{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {{
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 7023,
      "digest": "{CFG}"
   }},
   "layers": [
      {{
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 32654,
         "digest": "{L1}"
      }}
   ]
}}"#
    );
    let got = image(
        "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8",
        &doc,
    );
    assert_eq!(got.media_type, MEDIA_TYPE_DOCKER_MANIFEST);
    assert_eq!(got.config, Descriptor::new(DOCKER_CONFIG, CFG, 7023));
    assert_eq!(got.layers, [Descriptor::new(DOCKER_LAYER, L1, 32654)]);
}

/// A managed plugin's manifest, as moby writes it (`mediaType` last) and
/// as `docker_manifest` here writes it: read back to what it was made of.
#[test]
fn reads_a_plugin_manifest_back() {
    let config = Descriptor::new(MEDIA_TYPE_DOCKER_PLUGIN_CONFIG, CFG, 520);
    let layers = [Descriptor::new(MEDIA_TYPE_DOCKER_LAYER_GZIP, L1, 1024)];
    let written = docker_manifest(&config, &layers).unwrap();
    assert!(
        std::str::from_utf8(&written.bytes)
            .unwrap()
            .ends_with(r#""mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#)
    );
    let got = image(
        &written.descriptor.media_type,
        std::str::from_utf8(&written.bytes).unwrap(),
    );
    assert_eq!(got.config, config);
    assert_eq!(got.layers, layers);
}

/// A Docker manifest list as Docker Hub serves official images: Windows
/// entries with `os.version`, arm with variants, the deprecated
/// `features`.
#[test]
fn reads_a_docker_manifest_list() {
    let doc = format!(
        r#"{{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests": [
      {{
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 528,
         "digest": "{M1}",
         "platform": {{"architecture": "amd64", "os": "linux"}}
      }},
      {{
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 528,
         "digest": "{M2}",
         "platform": {{"architecture": "arm", "os": "linux", "variant": "v6"}}
      }},
      {{
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 1161,
         "digest": "{M3}",
         "platform": {{
            "architecture": "amd64",
            "os": "windows",
            "os.version": "10.0.17763.5576",
            "os.features": ["win32k"],
            "features": ["sse4"]
         }}
      }}
   ]
}}"#
    );
    let got = index(MEDIA_TYPE_DOCKER_MANIFEST_LIST, &doc);
    assert_eq!(got.media_type, MEDIA_TYPE_DOCKER_MANIFEST_LIST);
    assert_eq!(got.subject, None);
    let platforms: Vec<_> = got.manifests.iter().map(|d| d.platform.clone()).collect();
    assert_eq!(
        platforms,
        [
            Some(platform("linux", "amd64", None)),
            Some(platform("linux", "arm", Some("v6"))),
            Some(Platform {
                os_version: Some("10.0.17763.5576".into()),
                os_features: vec!["win32k".into()],
                ..platform("windows", "amd64", None)
            }),
        ]
    );
    assert_eq!(got.manifests[2].digest, M3);
    assert_eq!(got.manifests[2].size, 1161);
    assert_eq!(index("application/json", &doc), got);
}

/// A two-platform OCI index as buildkit pushes it, with an attestation
/// manifest (`unknown/unknown`, annotations) and an index annotation.
#[test]
fn reads_an_oci_index_with_two_platforms() {
    let doc = format!(
        concat!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":["#,
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{m1}","size":1234,"platform":{{"architecture":"amd64","os":"linux"}}}},"#,
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{m2}","size":1235,"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},"#,
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{m3}","size":566,"annotations":{{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"{m1}"}},"platform":{{"architecture":"unknown","os":"unknown"}}}}],"#,
            r#""annotations":{{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"}}}}"#
        ),
        m1 = M1,
        m2 = M2,
        m3 = M3
    );
    let got = index(MEDIA_TYPE_OCI_INDEX, &doc);
    assert_eq!(
        got,
        IndexContents {
            media_type: MEDIA_TYPE_OCI_INDEX.into(),
            manifests: vec![
                Descriptor {
                    platform: Some(platform("linux", "amd64", None)),
                    ..Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, M1, 1234)
                },
                Descriptor {
                    platform: Some(platform("linux", "arm64", Some("v8"))),
                    ..Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, M2, 1235)
                },
                Descriptor {
                    // Sorted by key.
                    annotations: ann(&[
                        ("vnd.docker.reference.digest", M1),
                        ("vnd.docker.reference.type", "attestation-manifest"),
                    ]),
                    platform: Some(platform("unknown", "unknown", None)),
                    ..Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, M3, 566)
                },
            ],
            subject: None,
        }
    );
}

/// An index written here reads back to what it was made of.
#[test]
fn an_index_written_here_reads_back() {
    let manifests = vec![
        Descriptor {
            platform: Some(Platform {
                os_version: Some("10.0.14393.1066".into()),
                os_features: vec!["win32k".into()],
                ..platform("windows", "amd64", None)
            }),
            artifact_type: Some("application/vnd.example+type".into()),
            annotations: ann(&[("a", "1"), ("b", "2")]),
            urls: vec!["https://example.com/m".into()],
            ..Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, M1, 7)
        },
        Descriptor::new(MEDIA_TYPE_OCI_INDEX, M2, 9),
    ];
    let written = image_index(&manifests, &[]).unwrap();
    let got = index(
        &written.descriptor.media_type,
        std::str::from_utf8(&written.bytes).unwrap(),
    );
    assert_eq!(got.manifests, manifests);
}

/// An OCI 1.1 artifact as compose publishes it: `artifactType`, the empty
/// config with `data`, a subject, annotations.
#[test]
fn reads_an_oci_1_1_artifact() {
    let layer = Descriptor {
        annotations: ann(&[("com.docker.compose.file", "compose.yaml")]),
        ..Descriptor::new("application/vnd.docker.compose.file+yaml", L1, 120)
    };
    let subject = Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, M1, 400);
    let written = artifact_manifest(
        &ArtifactRequest {
            artifact_type: COMPOSE_PROJECT_ARTIFACT_TYPE.into(),
            layers: vec![layer.clone()],
            annotations: ann(&[("org.opencontainers.image.created", "now")]),
            created: None,
            subject: Some(subject.clone()),
        },
        ArtifactForm::OciV11,
    )
    .unwrap();
    let got = image(
        MEDIA_TYPE_OCI_MANIFEST,
        std::str::from_utf8(&written.bytes).unwrap(),
    );
    assert_eq!(
        got,
        ImageContents {
            media_type: MEDIA_TYPE_OCI_MANIFEST.into(),
            config: Descriptor::new(MEDIA_TYPE_EMPTY_JSON, EMPTY, 2),
            layers: vec![layer],
            subject: Some(subject),
            artifact_type: Some(COMPOSE_PROJECT_ARTIFACT_TYPE.into()),
        }
    );
}

/// The OCI 1.0 form of an artifact: no `artifactType`, a config media
/// type of its own.
#[test]
fn reads_an_oci_1_0_artifact() {
    let written = artifact_manifest(
        &ArtifactRequest {
            artifact_type: COMPOSE_PROJECT_ARTIFACT_TYPE.into(),
            ..ArtifactRequest::default()
        },
        ArtifactForm::OciV10,
    )
    .unwrap();
    let got = image("", std::str::from_utf8(&written.bytes).unwrap());
    assert_eq!(got.artifact_type, None);
    assert_eq!(
        got.config,
        Descriptor::new(COMPOSE_EMPTY_CONFIG_MEDIA_TYPE, EMPTY, 2)
    );
    assert_eq!(got.layers.len(), 1);
}

/// The image-spec allows OCI documents without `mediaType`: a generic
/// type then defers to `manifests` vs `config`/`layers`; a specific type
/// is taken as it is.
#[test]
fn an_oci_document_without_media_type_is_told_by_its_fields() {
    let manifest = format!(
        r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{CFG}","size":7}},"layers":[{{"mediaType":"{OCI_LAYER}","digest":"{L1}","size":9}}]}}"#
    );
    for given in [
        "",
        "application/json",
        "application/octet-stream",
        MEDIA_TYPE_OCI_MANIFEST,
    ] {
        let got = image(given, &manifest);
        assert_eq!(got.media_type, MEDIA_TYPE_OCI_MANIFEST);
        assert_eq!(got.layers, [Descriptor::new(OCI_LAYER, L1, 9)]);
    }
    let only_config = format!(
        r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{CFG}","size":7}}}}"#
    );
    assert_eq!(image("", &only_config).layers, []);
    let idx = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{MEDIA_TYPE_OCI_MANIFEST}","digest":"{M1}","size":1}}]}}"#
    );
    for given in ["", "application/json", MEDIA_TYPE_OCI_INDEX] {
        let got = index(given, &idx);
        assert_eq!(got.media_type, MEDIA_TYPE_OCI_INDEX);
        assert_eq!(got.manifests.len(), 1);
    }
    assert_eq!(
        index("", r#"{"schemaVersion":2,"manifests":[]}"#).manifests,
        []
    );
    // A Docker type given for a document without `mediaType` wins too.
    assert_eq!(
        image(MEDIA_TYPE_DOCKER_MANIFEST, &manifest).media_type,
        MEDIA_TYPE_DOCKER_MANIFEST
    );
}

#[test]
fn an_oci_index_with_a_subject_keeps_it() {
    let doc = format!(
        r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_OCI_INDEX}","manifests":[],"subject":{{"mediaType":"{MEDIA_TYPE_OCI_MANIFEST}","digest":"{M1}","size":12}}}}"#
    );
    assert_eq!(
        index("", &doc).subject,
        Some(Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, M1, 12))
    );
}

/// A schema 1 manifest as registries served it: refused, saying it must
/// be converted, whether the type or `schemaVersion` says so.
#[test]
fn refuses_docker_schema_1() {
    let signed = r#"{
   "schemaVersion": 1,
   "name": "library/hello-world",
   "tag": "latest",
   "architecture": "amd64",
   "fsLayers": [
      {"blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}
   ],
   "history": [{"v1Compatibility": "{}"}],
   "signatures": []
}"#;
    for given in [
        MEDIA_TYPE_DOCKER_SCHEMA1,
        MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED,
        "",
        "application/json",
    ] {
        let m = unsupported(given, signed);
        assert!(m.contains("schema 1"), "{given}: {m}");
        assert!(m.contains("converted to schema 2"), "{given}: {m}");
    }
    // Even given as a schema 2 type.
    let m = unsupported(MEDIA_TYPE_OCI_MANIFEST, signed);
    assert!(m.starts_with("schemaVersion: 1: "), "{m}");
}

#[test]
fn refuses_a_media_type_field_that_contradicts_the_given_type() {
    let doc = format!(
        r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_DOCKER_MANIFEST}","config":{{"mediaType":"{DOCKER_CONFIG}","digest":"{CFG}","size":7}},"layers":[]}}"#
    );
    let m = invalid(MEDIA_TYPE_OCI_MANIFEST, &doc);
    assert_eq!(
        m,
        format!(
            "mediaType: the document says {MEDIA_TYPE_DOCKER_MANIFEST:?}, but it was given as {MEDIA_TYPE_OCI_MANIFEST:?}"
        )
    );
    let m = invalid(MEDIA_TYPE_OCI_INDEX, &doc);
    assert!(m.starts_with("mediaType: "), "{m}");
}

#[test]
fn refuses_media_types_that_are_not_manifests() {
    let doc = r#"{"schemaVersion":2,"manifests":[]}"#;
    for given in [
        "application/vnd.oci.image.config.v1+json",
        "application/vnd.oci.artifact.manifest.v1+json",
        "text/html",
    ] {
        let m = unsupported(given, doc);
        assert!(m.starts_with(&format!("media type {given:?}")), "{m}");
        assert!(m.contains(MEDIA_TYPE_OCI_INDEX), "{m}");
    }
    let own =
        r#"{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json","manifests":[]}"#;
    let m = unsupported("application/json", own);
    assert!(
        m.starts_with("mediaType \"application/vnd.example.thing+json\""),
        "{m}"
    );
}

#[test]
fn refuses_schema_versions_other_than_2() {
    let body = format!(r#""mediaType":"{MEDIA_TYPE_OCI_INDEX}","manifests":[]"#);
    let m = unsupported("", &format!(r#"{{"schemaVersion":3,{body}}}"#));
    assert_eq!(m, "schemaVersion: 3: only schema version 2 is read");
    let m = invalid("", &format!(r#"{{{body}}}"#));
    assert_eq!(m, "schemaVersion: missing (must be 2)");
    let m = invalid("", &format!(r#"{{"schemaVersion":"2",{body}}}"#));
    assert_eq!(m, "schemaVersion: must be a number, not a string");
    let m = unsupported("", &format!(r#"{{"schemaVersion":2.5,{body}}}"#));
    assert!(m.starts_with("schemaVersion: 2.5"), "{m}");
}

#[test]
fn refuses_what_is_not_a_json_object() {
    let m = invalid(MEDIA_TYPE_OCI_MANIFEST, r#"{"schemaVersion":2,"#);
    assert!(m.starts_with("the manifest is not valid JSON: "), "{m}");
    let m = invalid(MEDIA_TYPE_OCI_MANIFEST, "");
    assert!(m.starts_with("the manifest is not valid JSON: "), "{m}");
    let m = invalid("", "[]");
    assert_eq!(m, "the manifest is not a JSON object but an array");
}

#[test]
fn refuses_more_than_4_mib() {
    let mut big = br#"{"schemaVersion":2,"manifests":[],"x":""#.to_vec();
    big.resize(MAX_DOCUMENT_SIZE + 1, b' ');
    match read_manifest("", &big) {
        Err(Error::TooLarge(m)) => assert!(m.contains("4194305 bytes"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// A manifest of `layers` with one descriptor changed.
fn with_second_layer(layer: &str) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{CFG}","size":7}},"layers":[{{"mediaType":"{OCI_LAYER}","digest":"{L1}","size":1}},{layer}]}}"#
    )
}

#[test]
fn refuses_bad_descriptors_naming_the_field() {
    let cases = [
        (
            format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"sha256:abc","size":1}}"#),
            r#"layers[1].digest: invalid digest "sha256:abc": invalid checksum digest length"#,
        ),
        (
            format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"md5:abc","size":1}}"#),
            r#"layers[1].digest: invalid digest "md5:abc": unsupported digest algorithm"#,
        ),
        (
            format!(r#"{{"mediaType":"{OCI_LAYER}","size":1}}"#),
            "layers[1].digest: missing",
        ),
        (
            format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"{L2}","size":-1}}"#),
            "layers[1].size: -1 is negative",
        ),
        (
            format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"{L2}"}}"#),
            "layers[1].size: missing",
        ),
        (
            format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"{L2}","size":null}}"#),
            "layers[1].size: missing",
        ),
        (
            format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"{L2}","size":1.5}}"#),
            "layers[1].size: 1.5 is not a whole number",
        ),
        (
            format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"{L2}","size":"1"}}"#),
            "layers[1].size: must be a number, not a string",
        ),
        (
            format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"{L2}","size":9223372036854775808}}"#),
            "layers[1]: size 9223372036854775808 is larger than the largest size",
        ),
        (
            format!(r#"{{"digest":"{L2}","size":1}}"#),
            "layers[1].mediaType: missing",
        ),
        (
            format!(r#"{{"mediaType":"tar","digest":"{L2}","size":1}}"#),
            r#"layers[1].mediaType: invalid media type "tar""#,
        ),
        (
            format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"{L2}","size":1,"urls":"https://x"}}"#),
            "layers[1].urls: must be an array, not a string",
        ),
        (
            format!(
                r#"{{"mediaType":"{OCI_LAYER}","digest":"{L2}","size":1,"urls":["http://a b"]}}"#
            ),
            r#"layers[1]: invalid url "http://a b""#,
        ),
        (
            format!(
                r#"{{"mediaType":"{OCI_LAYER}","digest":"{L2}","size":1,"annotations":{{"k":1}}}}"#
            ),
            "layers[1].annotations.k: must be a string, not a number",
        ),
        (
            format!(
                r#"{{"mediaType":"{OCI_LAYER}","digest":"{L2}","size":1,"platform":{{"architecture":"amd64"}}}}"#
            ),
            "layers[1].platform.os: missing",
        ),
        (
            format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"{L2}","size":1,"artifactType":"x"}}"#),
            r#"layers[1].artifactType: invalid media type "x""#,
        ),
        (
            "7".to_owned(),
            "layers[1]: must be a descriptor object, not a number",
        ),
    ];
    for (layer, expected) in cases {
        let m = invalid(MEDIA_TYPE_OCI_MANIFEST, &with_second_layer(&layer));
        assert!(m.starts_with(expected), "{layer}: {m}");
    }
}

#[test]
fn refuses_a_manifest_without_config() {
    let m = invalid(
        MEDIA_TYPE_DOCKER_MANIFEST,
        &format!(r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_DOCKER_MANIFEST}","layers":[]}}"#),
    );
    assert_eq!(
        m,
        "config: missing (an image manifest must name its config)"
    );
    let m = invalid(
        MEDIA_TYPE_OCI_MANIFEST,
        &format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"{DOCKER_CONFIG}","digest":"{CFG}"}}}}"#
        ),
    );
    assert_eq!(m, "config.size: missing");
}

#[test]
fn refuses_a_document_of_the_other_kind() {
    let m = invalid(
        MEDIA_TYPE_OCI_MANIFEST,
        &format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{MEDIA_TYPE_OCI_MANIFEST}","digest":"{M1}","size":1}}]}}"#
        ),
    );
    assert!(
        m.starts_with("manifests: an image manifest has no manifests"),
        "{m}"
    );
    let m = invalid(
        MEDIA_TYPE_OCI_INDEX,
        r#"{"schemaVersion":2,"manifests":[],"layers":[]}"#,
    );
    assert!(m.starts_with("layers: an index has no layers"), "{m}");
    let m = invalid(MEDIA_TYPE_DOCKER_MANIFEST_LIST, r#"{"schemaVersion":2}"#);
    assert!(m.starts_with("manifests: missing"), "{m}");
    let m = invalid(
        "",
        &format!(
            r#"{{"schemaVersion":2,"manifests":[],"config":{{"mediaType":"{DOCKER_CONFIG}","digest":"{CFG}","size":1}}}}"#
        ),
    );
    assert!(m.contains("both `manifests`"), "{m}");
    let m = invalid("application/json", r#"{"schemaVersion":2}"#);
    assert!(m.contains("neither `manifests`"), "{m}");
    let m = invalid(
        MEDIA_TYPE_OCI_INDEX,
        r#"{"schemaVersion":2,"manifests":{}}"#,
    );
    assert_eq!(m, "manifests: must be an array, not an object");
}

#[test]
fn refuses_a_bad_artifact_type_or_subject() {
    let m = invalid(
        "",
        &format!(
            r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_OCI_MANIFEST}","artifactType":"nope","config":{{"mediaType":"{MEDIA_TYPE_EMPTY_JSON}","digest":"{EMPTY}","size":2}}}}"#
        ),
    );
    assert!(
        m.starts_with(r#"artifactType: invalid media type "nope""#),
        "{m}"
    );
    let m = invalid(
        "",
        &format!(
            r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_OCI_INDEX}","manifests":[],"subject":{{"mediaType":"{MEDIA_TYPE_OCI_MANIFEST}","digest":"{M1}","size":-3}}}}"#
        ),
    );
    assert_eq!(m, "subject.size: -3 is negative");
}
