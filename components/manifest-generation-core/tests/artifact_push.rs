//! `plan_artifact`, `artifact_blobs` and `artifact_referrer`: what a push
//! of files says in oras's and compose's conventions, the blobs it sends
//! besides the files, and the descriptor the referrers tag schema lists.

use manifest_generation_core::*;

const D1: &str = "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0";
const D2: &str = "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f";
const SUBJ: &str = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";

fn file(name: &str, media_type: Option<&str>, digest: &str, size: u64) -> ArtifactFile {
    ArtifactFile {
        name: name.into(),
        media_type: media_type.map(str::to_owned),
        digest: digest.into(),
        size,
    }
}

fn ann(pairs: &[(&str, &str)]) -> Vec<Annotation> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn oras_plan() -> ArtifactPlan {
    ArtifactPlan {
        tool: ArtifactTool::Oras,
        artifact_type: Some("application/vnd.example+type".into()),
        files: vec![
            file("sbom.json", Some("application/spdx+json"), D1, 120),
            file("notes.txt", None, D2, 7),
        ],
        annotations: ann(&[("z", "last"), ("a", "first")]),
        created: Some(1_700_000_000),
        subject: Some(Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, SUBJ, 7682)),
    }
}

#[test]
fn oras_files_keep_their_media_type_or_get_oras_default_and_a_title() {
    let request = plan_artifact(&oras_plan()).unwrap();
    let mut sbom = Descriptor::new("application/spdx+json", D1, 120);
    sbom.annotations = ann(&[("org.opencontainers.image.title", "sbom.json")]);
    let mut notes = Descriptor::new("application/vnd.oci.image.layer.v1.tar", D2, 7);
    notes.annotations = ann(&[("org.opencontainers.image.title", "notes.txt")]);
    assert_eq!(
        request,
        ArtifactRequest {
            artifact_type: "application/vnd.example+type".into(),
            layers: vec![sbom, notes],
            annotations: ann(&[("a", "first"), ("z", "last")]),
            created: Some(1_700_000_000),
            subject: Some(Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, SUBJ, 7682)),
        }
    );
}

#[test]
fn compose_files_are_compose_files_of_a_compose_project() {
    let plan = ArtifactPlan {
        tool: ArtifactTool::Compose("0.1.0".into()),
        artifact_type: None,
        files: vec![file("compose.yaml", None, D1, 120)],
        annotations: vec![],
        created: None,
        subject: None,
    };
    let request = plan_artifact(&plan).unwrap();
    assert_eq!(
        request.artifact_type,
        "application/vnd.docker.compose.project"
    );
    let mut layer = Descriptor::new("application/vnd.docker.compose.file+yaml", D1, 120);
    layer.annotations = ann(&[
        ("com.docker.compose.file", "compose.yaml"),
        ("com.docker.compose.version", "0.1.0"),
    ]);
    assert_eq!(request.layers, [layer]);
    // What compose publishes: the manifest of this request is compose's.
    let manifest = artifact_manifest(&request, ArtifactForm::OciV11).unwrap();
    let text = String::from_utf8(manifest.bytes).unwrap();
    assert!(
        text.contains(r#""annotations":{"com.docker.compose.file":"compose.yaml","com.docker.compose.version":"0.1.0"}"#),
        "{text}"
    );
}

#[test]
fn a_plan_that_breaks_its_tool_s_conventions_is_refused() {
    let mut untyped = oras_plan();
    untyped.artifact_type = None;
    let typed_compose = ArtifactPlan {
        tool: ArtifactTool::Compose("0.1.0".into()),
        artifact_type: Some("application/vnd.example+type".into()),
        ..oras_plan()
    };
    let compose_with_media_type = ArtifactPlan {
        tool: ArtifactTool::Compose("0.1.0".into()),
        artifact_type: None,
        ..oras_plan()
    };
    for (plan, message) in [
        (untyped, "an oras artifact needs an artifact type"),
        (
            typed_compose,
            "a compose project's artifact type is application/vnd.docker.compose.project, \
             not \"application/vnd.example+type\"",
        ),
        (
            compose_with_media_type,
            "files[0] (sbom.json): a compose file's media type is \
             application/vnd.docker.compose.file+yaml, not \"application/spdx+json\"",
        ),
    ] {
        let err = plan_artifact(&plan).unwrap_err();
        assert_eq!(err, Error::invalid(message));
    }
}

#[test]
fn the_blob_besides_the_files_is_the_empty_json_in_both_forms() {
    let request = plan_artifact(&oras_plan()).unwrap();
    for form in [ArtifactForm::OciV11, ArtifactForm::OciV10] {
        let blobs = artifact_blobs(&request, form).unwrap();
        assert_eq!(blobs.len(), 1, "{form:?}");
        assert_eq!(blobs[0].bytes, b"{}");
        assert_eq!(
            blobs[0].descriptor,
            Descriptor::new(MEDIA_TYPE_EMPTY_JSON, EMPTY_JSON_DIGEST, EMPTY_JSON_SIZE)
        );
        // Every blob the manifest names is a file or one of these.
        let manifest = artifact_manifest(&request, form).unwrap();
        let ManifestContents::Image(contents) =
            read_manifest(&manifest.descriptor.media_type, &manifest.bytes).unwrap()
        else {
            panic!("an image manifest")
        };
        assert_eq!(contents.config.digest, blobs[0].descriptor.digest);
    }
}

#[test]
fn the_referrer_carries_the_request_s_type_and_annotations_but_not_created() {
    let request = plan_artifact(&oras_plan()).unwrap();
    for form in [ArtifactForm::OciV11, ArtifactForm::OciV10] {
        let manifest = artifact_manifest(&request, form).unwrap();
        let referrer = artifact_referrer(&request, &manifest.descriptor);
        assert_eq!(referrer.digest, manifest.descriptor.digest, "{form:?}");
        assert_eq!(referrer.size, manifest.descriptor.size);
        assert_eq!(referrer.media_type, MEDIA_TYPE_OCI_MANIFEST);
        assert_eq!(
            referrer.artifact_type.as_deref(),
            Some("application/vnd.example+type")
        );
        assert_eq!(referrer.annotations, ann(&[("a", "first"), ("z", "last")]));
    }
}
