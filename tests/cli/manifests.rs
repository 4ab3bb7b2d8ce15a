//! Reading manifests and OCI layout indexes back, and the decisions around
//! OCI artifacts, through the built-in manifest-generation component in
//! wasmtime: every value crosses the WIT boundary both ways (variants,
//! optional byte lists and strings, enums, refusals) as the `copy` and
//! artifact pipelines will send it. The decisions themselves are
//! unit-tested in `components/manifest-generation-core`.

use ocipipe::model::{
    ArtifactForm, Descriptor, Digest, ImageContents, IndexContents, ManifestContents, Platform,
};
use ocipipe::runtime::{Error, Limits, ManifestGeneration, Runtime, Source};
use std::sync::Arc;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

fn component() -> ManifestGeneration {
    let runtime = Arc::new(Runtime::new(Limits::default(), None).unwrap());
    runtime
        .load::<ManifestGeneration>(&Source::Builtin)
        .unwrap()
}

fn digest(byte: u8) -> Digest {
    Digest::from_sha256([byte; 32])
}

fn linux(architecture: &str, variant: Option<&str>) -> Platform {
    Platform {
        architecture: architecture.into(),
        os: "linux".into(),
        os_version: None,
        os_features: Vec::new(),
        cpu_variant: variant.map(Into::into),
    }
}

#[test]
fn an_index_is_read_and_a_platform_chosen() {
    let mg = component();
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":11,"platform":{{"architecture":"amd64","os":"linux"}}}},{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":12,"annotations":{{"k":"v"}},"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}}]}}"#,
        digest(1),
        digest(2)
    );
    let ManifestContents::Index(IndexContents {
        media_type,
        manifests,
        subject,
    }) = mg
        .read_manifest("application/json", index.as_bytes())
        .unwrap()
    else {
        panic!("not an index")
    };
    assert_eq!(media_type, OCI_INDEX);
    assert_eq!(subject, None);
    assert_eq!(manifests.len(), 2);
    assert_eq!(manifests[1].platform, Some(linux("arm64", Some("v8"))));
    assert_eq!(manifests[1].annotations, [("k".into(), "v".into())]);

    let chosen = mg
        .select_platform(&manifests, &linux("aarch64", None))
        .unwrap();
    assert_eq!(chosen, manifests[1]);
    match mg.select_platform(&manifests, &linux("s390x", None)) {
        Err(Error::Refused {
            kind: "invalid-input",
            message,
            ..
        }) => assert!(
            message.ends_with("it has linux/amd64, linux/arm64/v8"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_artifact_manifest_is_read_with_its_subject() {
    let mg = component();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","artifactType":"application/vnd.example+type","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="}},"layers":[{{"mediaType":"application/vnd.example.blob","digest":"{}","size":5}}],"subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":7}}}}"#,
        digest(3),
        digest(4)
    );
    let contents = mg.read_manifest(OCI_MANIFEST, manifest.as_bytes()).unwrap();
    assert_eq!(contents.media_type(), OCI_MANIFEST);
    assert_eq!(
        contents.subject(),
        Some(&Descriptor::new(OCI_MANIFEST, digest(4), 7))
    );
    let ManifestContents::Image(ImageContents {
        config,
        layers,
        artifact_type,
        ..
    }) = contents
    else {
        panic!("not an image")
    };
    assert_eq!(config.media_type, "application/vnd.oci.empty.v1+json");
    assert_eq!(
        layers,
        [Descriptor::new(
            "application/vnd.example.blob",
            digest(3),
            5
        )]
    );
    assert_eq!(
        artifact_type.as_deref(),
        Some("application/vnd.example+type")
    );
}

#[test]
fn schema_1_is_refused_as_unsupported() {
    let mg = component();
    match mg.read_manifest(
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        br#"{"schemaVersion":1}"#,
    ) {
        Err(Error::Refused {
            kind: "unsupported",
            function,
            message,
            ..
        }) if function == "read-manifest" => assert!(message.contains("schema 1"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_layout_index_is_written_then_read_back() {
    let mg = component();
    let manifest = Descriptor::new(OCI_MANIFEST, digest(5), 321);
    let first = mg.layout_index(None, &manifest, Some("v1"), None).unwrap();
    assert_eq!(first.descriptor.media_type, OCI_INDEX);
    assert_eq!(first.descriptor.size, first.bytes.len() as u64);
    let second = mg
        .layout_index(
            Some(&first.bytes),
            &Descriptor::new(OCI_INDEX, digest(6), 99),
            None,
            None,
        )
        .unwrap();
    let entry = mg.layout_entry(&second.bytes, Some("v1")).unwrap();
    assert_eq!(
        entry,
        Descriptor {
            annotations: vec![(REF_NAME.into(), "v1".into())],
            ..manifest.clone()
        }
    );
    match mg.layout_entry(&second.bytes, None) {
        Err(Error::Refused { message, .. }) => assert_eq!(
            message,
            "the layout holds 2 images; name one as oci:PATH:TAG (tags: v1)"
        ),
        other => panic!("{other:?}"),
    }
    // The same input gives the same bytes.
    assert_eq!(
        mg.layout_index(None, &manifest, Some("v1"), None).unwrap(),
        first
    );
    // A build's name: both annotations, the tag from the name.
    let named = mg
        .layout_index(None, &manifest, None, Some("docker.io/library/app:1.0"))
        .unwrap();
    let entry = mg.layout_entry(&named.bytes, Some("1.0")).unwrap();
    assert!(
        entry.annotations.contains(&(
            "io.containerd.image.name".into(),
            "docker.io/library/app:1.0".into()
        )),
        "{entry:?}"
    );
    match mg.layout_index(None, &manifest, None, Some("docker.io/library/app")) {
        Err(Error::Refused { message, .. }) => assert!(message.contains("has no tag"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_fallback_form_depends_on_status_and_code() {
    let mg = component();
    assert_eq!(
        mg.fallback_form(400, Some("MANIFEST_INVALID")).unwrap(),
        Some(ArtifactForm::OciV1_0)
    );
    assert_eq!(
        mg.fallback_form(415, None).unwrap(),
        Some(ArtifactForm::OciV1_0)
    );
    assert_eq!(mg.fallback_form(400, Some("BLOB_UNKNOWN")).unwrap(), None);
    assert_eq!(mg.fallback_form(404, Some("UNSUPPORTED")).unwrap(), None);
}

#[test]
fn artifact_file_names_come_back_in_order_or_are_refused() {
    let mg = component();
    let blob = |byte: u8, key: &str, name: &str| Descriptor {
        annotations: vec![(key.into(), name.into())],
        ..Descriptor::new("application/yaml", digest(byte), 1)
    };
    let layers = [
        blob(1, "org.opencontainers.image.title", "compose.yaml"),
        blob(2, "com.docker.compose.file", "override.yaml"),
    ];
    assert_eq!(
        mg.artifact_file_names(&layers).unwrap(),
        ["compose.yaml", "override.yaml"]
    );
    let unsafe_name = [blob(3, "org.opencontainers.image.title", "../x")];
    match mg.artifact_file_names(&unsafe_name) {
        Err(Error::Refused {
            kind: "invalid-input",
            function,
            message,
            ..
        }) if function == "artifact-file-names" => assert!(
            message.starts_with(&format!("layers[0] ({}): ", digest(3))),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_referrers_index_is_kept_at_the_referrers_tag() {
    let mg = component();
    let subject = digest(7);
    assert_eq!(
        mg.referrers_tag(&subject).unwrap(),
        subject.to_string().replace(':', "-")
    );
    let referrer = |byte: u8| Descriptor {
        artifact_type: Some("application/spdx+json".into()),
        annotations: vec![("k".into(), "v".into())],
        ..Descriptor::new(OCI_MANIFEST, digest(byte), 10 + u64::from(byte))
    };
    let first = mg.referrers_index(None, &referrer(8)).unwrap();
    assert_eq!(first.descriptor.media_type, OCI_INDEX);
    let second = mg
        .referrers_index(Some(&first.bytes), &referrer(9))
        .unwrap();
    let ManifestContents::Index(IndexContents { manifests, .. }) =
        mg.read_manifest(OCI_INDEX, &second.bytes).unwrap()
    else {
        panic!("not an index")
    };
    assert_eq!(manifests, [referrer(8), referrer(9)]);
    match mg.referrers_index(Some(b"[]"), &referrer(8)) {
        Err(Error::Refused {
            kind: "invalid-input",
            message,
            ..
        }) => assert!(message.starts_with("existing: "), "{message}"),
        other => panic!("{other:?}"),
    }
}
