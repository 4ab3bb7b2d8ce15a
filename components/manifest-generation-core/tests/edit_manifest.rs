//! `edit_manifest` and `edit_index`: the manifests of `image mutate`.

use manifest_generation_core::{
    Descriptor, Document, MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST, ReplacedChild, edit_index, edit_manifest,
};
use serde_json::{Value, json};

const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C: &str = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const N: &str = "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";

fn document(media_type: &str, value: &Value) -> Document {
    Document::new(media_type, serde_json::to_vec(value).unwrap())
}

fn oci_manifest() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE_OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": A, "size": 10},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": B, "size": 20,
             "annotations": {"x": "y"}, "data": "aGk="},
        ],
        "annotations": {"keep": "1", "replace": "old"},
        "org.example.unknown": {"z": 1},
    })
}

fn new_config(media_type: &str) -> Descriptor {
    Descriptor::new(media_type, N, 42)
}

fn parsed(d: &Document) -> Value {
    serde_json::from_slice(&d.bytes).unwrap()
}

#[test]
fn an_oci_manifest_lists_the_new_config_and_keeps_everything_else() {
    let old = document(MEDIA_TYPE_OCI_MANIFEST, &oci_manifest());
    let added = [
        ("replace".to_string(), "new".to_string()),
        ("add".into(), "2".into()),
    ];
    let edited = edit_manifest(
        &old,
        &new_config("application/vnd.oci.image.config.v1+json"),
        &added,
    )
    .unwrap();
    assert_eq!(edited.descriptor.media_type, MEDIA_TYPE_OCI_MANIFEST);
    let v = parsed(&edited);
    assert_eq!(v["config"]["digest"], N);
    assert_eq!(v["config"]["size"], 42);
    assert_eq!(v["layers"], oci_manifest()["layers"]);
    assert_eq!(
        v["annotations"],
        json!({"add": "2", "keep": "1", "replace": "new"})
    );
    assert_eq!(v["org.example.unknown"], json!({"z": 1}));
    // Go's field order, the unknown field last.
    let text = String::from_utf8(edited.bytes.clone()).unwrap();
    let at = |k: &str| text.find(k).unwrap();
    assert!(at("\"schemaVersion\"") < at("\"mediaType\""));
    assert!(at("\"config\"") < at("\"layers\""));
    assert!(at("\"layers\"") < at("\"annotations\":{\"add\""));
    assert!(at("\"annotations\":{\"add\"") < at("\"org.example.unknown\""));
    // The same edit, the same bytes.
    let again = edit_manifest(
        &old,
        &new_config("application/vnd.oci.image.config.v1+json"),
        &added,
    )
    .unwrap();
    assert_eq!(again, edited);
}

#[test]
fn a_docker_manifest_stays_one_with_its_config_type() {
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE_DOCKER_MANIFEST,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": A, "size": 10},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": B, "size": 20}],
    });
    let old = document(MEDIA_TYPE_DOCKER_MANIFEST, &manifest);
    let config = new_config("application/vnd.docker.container.image.v1+json");
    let edited = edit_manifest(&old, &config, &[]).unwrap();
    assert_eq!(edited.descriptor.media_type, MEDIA_TYPE_DOCKER_MANIFEST);
    let v = parsed(&edited);
    assert_eq!(v["mediaType"], MEDIA_TYPE_DOCKER_MANIFEST);
    assert_eq!(
        v["config"]["mediaType"],
        "application/vnd.docker.container.image.v1+json"
    );
    assert!(v.get("annotations").is_none(), "{v}");
}

#[test]
fn an_index_an_artifact_and_a_bad_config_are_refused() {
    let index = json!({"schemaVersion": 2, "mediaType": MEDIA_TYPE_OCI_INDEX, "manifests": []});
    let config = new_config("application/vnd.oci.image.config.v1+json");
    let e = edit_manifest(&document(MEDIA_TYPE_OCI_INDEX, &index), &config, &[]).unwrap_err();
    assert!(e.message().contains("index"), "{e:?}");

    let mut artifact = oci_manifest();
    artifact["artifactType"] = json!("application/vnd.example.sbom");
    let e = edit_manifest(&document(MEDIA_TYPE_OCI_MANIFEST, &artifact), &config, &[]).unwrap_err();
    assert!(
        e.message().contains("application/vnd.example.sbom"),
        "{e:?}"
    );

    let mut wasm = oci_manifest();
    wasm["config"]["mediaType"] = json!("application/vnd.wasm.config.v0+json");
    let e = edit_manifest(&document(MEDIA_TYPE_OCI_MANIFEST, &wasm), &config, &[]).unwrap_err();
    assert!(e.message().contains("not an image config"), "{e:?}");

    let bad = Descriptor::new("application/vnd.oci.image.config.v1+json", "sha256:nope", 1);
    let old = document(MEDIA_TYPE_OCI_MANIFEST, &oci_manifest());
    assert!(edit_manifest(&old, &bad, &[]).is_err());
    let e = edit_manifest(&old, &config, &[(String::new(), "v".into())]).unwrap_err();
    assert!(e.message().contains("empty key"), "{e:?}");
}

fn oci_index() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE_OCI_INDEX,
        "manifests": [
            {"mediaType": MEDIA_TYPE_OCI_MANIFEST, "digest": A, "size": 10,
             "platform": {"architecture": "amd64", "os": "linux"}, "annotations": {"k": "v"}},
            {"mediaType": MEDIA_TYPE_OCI_MANIFEST, "digest": B, "size": 11,
             "platform": {"architecture": "arm64", "os": "linux"}},
        ],
        "annotations": {"index": "old"},
    })
}

#[test]
fn an_index_lists_the_new_children_where_the_old_stood() {
    let old = document(MEDIA_TYPE_OCI_INDEX, &oci_index());
    let replaced = [ReplacedChild {
        old: A.into(),
        new: Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, N, 99),
    }];
    let added = [("edited".to_string(), "yes".to_string())];
    let edited = edit_index(&old, &replaced, &added).unwrap();
    assert_eq!(edited.descriptor.media_type, MEDIA_TYPE_OCI_INDEX);
    let v = parsed(&edited);
    assert_eq!(v["manifests"][0]["digest"], N);
    assert_eq!(v["manifests"][0]["size"], 99);
    assert_eq!(v["manifests"][0]["platform"]["architecture"], "amd64");
    assert_eq!(v["manifests"][0]["annotations"], json!({"k": "v"}));
    assert_eq!(v["manifests"][1], oci_index()["manifests"][1]);
    assert_eq!(v["annotations"], json!({"edited": "yes", "index": "old"}));
}

#[test]
fn a_docker_list_stays_one_and_an_unlisted_child_is_refused() {
    let mut list = oci_index();
    list["mediaType"] = json!(MEDIA_TYPE_DOCKER_MANIFEST_LIST);
    list.as_object_mut().unwrap().remove("annotations");
    for m in list["manifests"].as_array_mut().unwrap() {
        m["mediaType"] = json!(MEDIA_TYPE_DOCKER_MANIFEST);
        m.as_object_mut().unwrap().remove("annotations");
    }
    let old = document(MEDIA_TYPE_DOCKER_MANIFEST_LIST, &list);
    let replaced = [ReplacedChild {
        old: B.into(),
        new: Descriptor::new(MEDIA_TYPE_DOCKER_MANIFEST, N, 7),
    }];
    let edited = edit_index(&old, &replaced, &[]).unwrap();
    assert_eq!(
        edited.descriptor.media_type,
        MEDIA_TYPE_DOCKER_MANIFEST_LIST
    );
    assert_eq!(parsed(&edited)["manifests"][1]["digest"], N);

    let missing = [ReplacedChild {
        old: C.into(),
        new: Descriptor::new(MEDIA_TYPE_DOCKER_MANIFEST, N, 7),
    }];
    let e = edit_index(&old, &missing, &[]).unwrap_err();
    assert!(e.message().contains(C), "{e:?}");
    let manifest = document(MEDIA_TYPE_OCI_MANIFEST, &oci_manifest());
    assert!(edit_index(&manifest, &[], &[]).is_err());
}
