//! Every function of every built-in component, called once: each one's
//! parameters and answer cross the sandbox as `model` types, and wasmtime
//! checks those against the WIT only when a function is looked up, so a
//! `model` type out of step with the WIT fails here, naming the function.

use super::{Error, Limits, ManifestGeneration, Privileges, Runtime, Source, Tagging, TarAssembly};
use crate::model::{
    ArchiveFormat, ArchiveImage, ArchiveLayer, ArtifactFile, ArtifactForm, ArtifactPlan,
    ArtifactTool, BlobRef, ComponentWorld, ConfigRequest, Descriptor, Digest, Document, Entry,
    EntryKind, FileRef, Grants, HostMachine, ImageStore, IndexEntryKind, LayerCompression,
    LayerOptions, ManifestFormat, Member, MemberKind, Segment, TagFilter,
};
use std::sync::Arc;

/// The call crossed: an answer, or a refusal of the input (which crossed
/// too); never a type mismatch or a broken contract.
fn crossed<T>(function: &str, result: Result<T, Error>) -> Option<T> {
    match result {
        Ok(answer) => Some(answer),
        Err(Error::Refused { .. }) => None,
        Err(e) => panic!("{function}: {e}"),
    }
}

fn runtime() -> Arc<Runtime> {
    Arc::new(Runtime::new(Limits::default(), None).unwrap())
}

#[test]
fn every_tagging_and_privileges_function_crosses() {
    let runtime = runtime();
    let tagging = runtime.load::<Tagging>(&Source::Builtin).unwrap();
    let named = crossed("parse", tagging.parse("ubuntu")).unwrap();
    assert_eq!(named.full, "ubuntu");
    crossed(
        "parse-normalized-named",
        tagging.parse_normalized_named("ubuntu"),
    )
    .unwrap();
    let tagged = tagging.normalize_with_default_tag("ubuntu").unwrap();
    assert_eq!(tagged.tag.as_deref(), Some("latest"));
    assert_eq!(
        crossed("parse-targets", tagging.parse_targets("a,b"))
            .unwrap()
            .len(),
        2
    );
    let id = format!("sha256:{}", "a".repeat(64));
    let any = crossed("parse-any-reference", tagging.parse_any_reference(&id)).unwrap();
    assert_eq!(any.for_engine(), id);
    crossed("unique-tag", tagging.unique_tag("ubuntu", &[7; 16])).unwrap();
    assert!(crossed("names-no-image", tagging.names_no_image("scratch")).unwrap());
    let held = [
        "other:1".to_string(),
        "docker.io/library/ubuntu:1".to_string(),
    ];
    let found = crossed("find-name", tagging.find_name("ubuntu:1", &held)).unwrap();
    assert_eq!(found, Some(1));
    let filter = TagFilter {
        allow: vec!["^1".into()],
        deny: vec!["rc".into()],
        semver: Some(">=1".into()),
        latest: Some(1),
    };
    crossed("check-tag-filter", tagging.check_tag_filter(&filter))
        .unwrap()
        .unwrap();
    let tags = ["1.0".to_string(), "1.1-rc".to_string(), "1.1".to_string()];
    let selected = crossed("select-tags", tagging.select_tags(&tags, &filter)).unwrap();
    assert_eq!(selected.unwrap(), ["1.1"]);

    let privileges = runtime.load::<Privileges>(&Source::Builtin).unwrap();
    crossed("compute-privileges", privileges.compute_privileges("{}"));
    let config = r#"{"interface":{"types":["docker.volumedriver/1.0"],"socket":"p.sock"},"entrypoint":["/p"]}"#;
    crossed(
        "plugin-config",
        privileges.plugin_config(config, &Digest::sha256(b"")),
    );
    let not_a_plugin = Descriptor::new("application/octet-stream", Digest::sha256(b""), 0);
    let why = crossed(
        "why-not-a-plugin",
        privileges.why_not_a_plugin(&not_a_plugin),
    );
    assert!(
        why.flatten().is_some(),
        "an octet stream is no plugin config"
    );
    let asked = crossed(
        "compute-privileges",
        privileges.compute_privileges(r#"{"IpcHost":true}"#),
    )
    .unwrap();
    let grants = Grants::Names(vec![asked[0].name.clone()]);
    let judged = crossed(
        "judge-privileges",
        privileges.judge_privileges(&asked, &grants),
    )
    .unwrap();
    assert_eq!(judged, [true]);
    let target = crossed("push-target", tagging.push_target("ubuntu")).unwrap();
    assert_eq!(target.tag.as_deref(), Some("latest"));
}

fn config_request(host: &HostMachine, generation: &ManifestGeneration) -> ConfigRequest {
    let platform = generation
        .normalize_platform(Some("linux/arm/v7"), host)
        .unwrap();
    assert_eq!(platform.cpu_variant.as_deref(), Some("v7"));
    ConfigRequest {
        base: None,
        platform,
        diff_ids: vec![Digest::sha256(b"layer")],
        history: Vec::new(),
        created: Some(0),
        env: vec!["A=b".into()],
        entrypoint: None,
        cmd: None,
        working_dir: None,
        user: None,
        labels: vec![("a".into(), "b".into())],
        exposed_ports: Vec::new(),
    }
}

#[test]
fn every_manifest_generation_function_crosses() {
    let generation = runtime()
        .load::<ManifestGeneration>(&Source::Builtin)
        .unwrap();
    let request = config_request(&HostMachine::current(), &generation);
    let config = generation.image_config(&request).unwrap();
    let layer = Descriptor::new(
        "application/vnd.oci.image.layer.v1.tar",
        Digest::sha256(b"layer"),
        5,
    );
    let layers = [layer.clone()];
    crossed(
        "docker-manifest",
        generation.docker_manifest(&config.descriptor, &layers),
    );
    let annotations = [("org.example".to_string(), "x".to_string())];
    let manifest = generation
        .image_manifest(&config.descriptor, &layers, &annotations)
        .unwrap();
    let contents = generation
        .read_manifest(&manifest.descriptor.media_type, &manifest.bytes)
        .unwrap();
    assert_eq!(contents.media_type(), manifest.descriptor.media_type);
    let entry = Descriptor {
        platform: Some(request.platform.clone()),
        ..manifest.descriptor.clone()
    };
    let chosen = generation
        .select_platform(std::slice::from_ref(&entry), &request.platform)
        .unwrap();
    assert_eq!(chosen, entry);
    let index = generation
        .layout_index(None, &manifest.descriptor, Some("t"), None)
        .unwrap();
    assert_eq!(
        generation
            .layout_entry(&index.bytes, Some("t"))
            .unwrap()
            .digest,
        manifest.descriptor.digest
    );
    assert_eq!(
        crossed("layout-tags", generation.layout_tags(&index.bytes)).unwrap(),
        ["t"]
    );
    let marker = crossed("layout-marker", generation.layout_marker(None)).unwrap();
    assert_eq!(generation.layout_marker(Some(&marker)).unwrap(), marker);
    assert!(matches!(
        generation.layout_marker(Some(b"[]")),
        Err(Error::Refused { .. })
    ));
    artifact_functions_cross(&generation, &manifest);
}

fn artifact_functions_cross(generation: &ManifestGeneration, subject: &Document) {
    let plan = ArtifactPlan {
        tool: ArtifactTool::Oras,
        artifact_type: Some("application/vnd.example".into()),
        files: vec![ArtifactFile {
            name: "a.txt".into(),
            media_type: None,
            digest: Digest::sha256(b"a"),
            size: 1,
        }],
        annotations: Vec::new(),
        created: Some(0),
        subject: Some(subject.descriptor.clone()),
    };
    let request = generation.plan_artifact(&plan).unwrap();
    let form = ArtifactForm::OciV1_1;
    let manifest = generation.artifact_manifest(&request, form).unwrap();
    crossed("artifact-blobs", generation.artifact_blobs(&request, form)).unwrap();
    let referrer = generation
        .artifact_referrer(&request, &manifest.descriptor)
        .unwrap();
    crossed(
        "fallback-form",
        generation.fallback_form(400, Some("MANIFEST_INVALID")),
    );
    let names = generation.artifact_file_names(&request.layers).unwrap();
    assert_eq!(names, ["a.txt"]);
    let tag = generation
        .referrers_tag(&subject.descriptor.digest)
        .unwrap();
    assert!(tag.starts_with("sha256-"), "{tag}");
    crossed(
        "referrers-index",
        generation.referrers_index(None, &referrer),
    )
    .unwrap();
    layers_and_components_cross(generation);
}

/// The functions that read an image's layers and a layout's index, and
/// those of a component artifact.
fn layers_and_components_cross(generation: &ManifestGeneration) {
    let layer = &Descriptor::new(
        "application/vnd.oci.image.layer.v1.tar",
        Digest::sha256(b"layer"),
        5,
    );
    let config = &Digest::sha256(b"{}");
    let media_type = generation
        .layer_media_type(LayerCompression::Gzip, ManifestFormat::Docker)
        .unwrap();
    assert!(media_type.ends_with("gzip"), "{media_type}");
    let as_stored = crossed(
        "base-layer-as-stored",
        generation.base_layer_as_stored(LayerCompression::Zstd),
    );
    assert_eq!(as_stored, Some(true));
    let diff_id = Digest::sha256(b"tar");
    let image_config = format!(r#"{{"rootfs":{{"type":"layers","diff_ids":["{diff_id}"]}}}}"#);
    let read = crossed(
        "image-layers",
        generation.image_layers(std::slice::from_ref(layer), image_config.as_bytes()),
    )
    .unwrap();
    assert_eq!(read[0].diff_id, diff_id);
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{}}}]}}"#,
        config, 2
    );
    let entries = crossed(
        "index-entries",
        generation.index_entries(None, index.as_bytes(), Some("app:1")),
    )
    .unwrap();
    assert_eq!(entries[0].kind, IndexEntryKind::Image);
    let mut foreign = layer.clone();
    foreign.digest = Digest::sha256(b"foreign");
    foreign.urls = vec!["https://example.com/foreign".into()];
    let config_descriptor = Descriptor::new(
        "application/vnd.oci.image.config.v1+json",
        config.clone(),
        2,
    );
    let copied = crossed(
        "copied-blobs",
        generation.copied_blobs(&config_descriptor, &[foreign, layer.clone()]),
    )
    .unwrap();
    assert_eq!(copied, [config_descriptor, layer.clone()]);
    let wasm = Digest::sha256(b"wasm");
    let world = ComponentWorld {
        target: "ocipipe:image/tagging@0.1.0".into(),
        imports: vec!["wasi:io/streams@0.2.0".into()],
        exports: vec!["ocipipe:image/naming@0.1.0".into()],
    };
    let (wasm_config, wasm_layer) = crossed(
        "component-blobs",
        generation.component_blobs(&wasm, 4, &world),
    )
    .unwrap();
    assert_eq!(wasm_layer.digest, wasm);
    let wasm_config = wasm_config.descriptor;
    let chosen = crossed(
        "component-layer",
        generation.component_layer(&wasm_config, std::slice::from_ref(&wasm_layer)),
    )
    .unwrap();
    assert_eq!(chosen, wasm_layer);
}

/// `plan-layer` of one regular file: its `file` and `bytes` segments
/// cross as their `model` cases.
fn plan_layer_crosses(assembly: &TarAssembly) {
    let entry = Entry {
        path: "a".into(),
        kind: EntryKind::Regular,
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: 1,
        link_target: None,
        link_group: None,
        device_major: 0,
        device_minor: 0,
        xattrs: Vec::new(),
    };
    let options = LayerOptions {
        mtime: 0,
        keep_owner: false,
    };
    let file = Segment::File(FileRef {
        path: "a".into(),
        size: 1,
    });
    let plan = assembly.plan_layer(&[entry], options).unwrap();
    assert!(plan.contains(&file), "{plan:?}");
    assert!(plan.iter().any(|s| matches!(s, Segment::Bytes(_))));
}

#[test]
fn every_tar_assembly_function_crosses() {
    let runtime = runtime();
    let generation = runtime
        .load::<ManifestGeneration>(&Source::Builtin)
        .unwrap();
    let assembly = runtime.load::<TarAssembly>(&Source::Builtin).unwrap();
    plan_layer_crosses(&assembly);
    let digest = Digest::sha256(b"layer");
    let format = ArchiveFormat::DockerAndOci;
    crossed(
        "blob-entry",
        assembly.blob_entry(format, Some(&digest), 0, 5, &[]),
    )
    .unwrap();
    let request = config_request(&HostMachine::current(), &generation);
    let config = generation.image_config(&request).unwrap();
    let layer = Descriptor::new("application/vnd.oci.image.layer.v1.tar", digest.clone(), 5);
    let manifest = generation
        .image_manifest(&config.descriptor, std::slice::from_ref(&layer), &[])
        .unwrap();
    let image = ArchiveImage {
        config,
        manifest,
        layers: vec![ArchiveLayer {
            descriptor: layer,
            omitted: false,
        }],
        repo_tags: vec!["example.com/a:1".into()],
    };
    let images = [image];
    let blob = Segment::Blob(BlobRef {
        digest: digest.clone(),
        size: 5,
    });
    let plan = crossed("plan-archive", assembly.plan_archive(format, &images, &[])).unwrap();
    assert!(plan.contains(&blob), "{plan:?}");
    let omitted = assembly
        .layers_to_omit(std::slice::from_ref(&digest), &[vec![digest.clone()]])
        .unwrap();
    assert_eq!(omitted.len(), 1);
    assert!(
        !crossed(
            "omits-layers",
            assembly.omits_layers(ImageStore::Containerd)
        )
        .unwrap()
    );
    let member = Member {
        path: b"a".to_vec(),
        kind: MemberKind::Regular,
    };
    crossed("plan-changeset", assembly.plan_changeset(&[member])).unwrap();
}
