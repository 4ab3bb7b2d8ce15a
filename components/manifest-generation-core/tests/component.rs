//! `component_blobs` and `component_layer`: a WebAssembly component as an
//! OCI artifact in the CNCF wasm layout, pushed and pulled back.

use manifest_generation_core::*;

const WASM: &str = "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f";

fn world() -> ComponentWorld {
    ComponentWorld {
        target: "ocipipe:image/tagging@0.1.0".into(),
        imports: vec!["wasi:io/streams@0.2.0".into()],
        exports: vec!["ocipipe:image/naming@0.1.0".into()],
    }
}

#[test]
fn a_component_artifact_has_the_wasm_config_and_one_wasm_layer() {
    let artifact = component_blobs(WASM, 1234, &world()).unwrap();
    let config = &artifact.config;
    assert_eq!(
        String::from_utf8(config.bytes.clone()).unwrap(),
        format!(
            r#"{{"architecture":"wasm","component":{{"exports":["ocipipe:image/naming@0.1.0"],"imports":["wasi:io/streams@0.2.0"],"target":"ocipipe:image/tagging@0.1.0"}},"layerDigests":["{WASM}"],"os":"wasip2"}}"#
        ),
        "the keys sorted, as ocipipe always wrote them"
    );
    assert_eq!(
        config.descriptor,
        Descriptor::new(
            "application/vnd.wasm.config.v0+json",
            ocipipe_sdk::digest::sha256(&config.bytes),
            config.bytes.len() as u64
        )
    );
    assert_eq!(
        artifact.layer,
        Descriptor::new("application/wasm", WASM, 1234)
    );
    // Pulled back, its layer is found again.
    let manifest = image_manifest(
        &config.descriptor,
        std::slice::from_ref(&artifact.layer),
        &[],
        None,
    )
    .unwrap();
    let ManifestContents::Image(read) = read_manifest("", &manifest.bytes).unwrap() else {
        panic!("an image manifest");
    };
    assert_eq!(
        component_layer(&read.config, &read.layers).unwrap(),
        artifact.layer
    );
}

#[test]
fn the_same_component_always_gives_the_same_config() {
    let a = component_blobs(WASM, 1, &world()).unwrap();
    let b = component_blobs(WASM, 1, &world()).unwrap();
    assert_eq!(a, b);
    let mut other = world();
    other.exports.push("ocipipe:image/more@0.1.0".into());
    let c = component_blobs(WASM, 1, &other).unwrap();
    assert_ne!(a.config.descriptor.digest, c.config.descriptor.digest);
}

#[test]
fn a_bad_digest_no_world_and_a_manifest_without_one_wasm_layer_are_refused() {
    let err = component_blobs("sha256:short", 1, &world()).unwrap_err();
    assert!(matches!(&err, Error::InvalidInput(m) if m.starts_with("wasm-digest")));
    let nameless = ComponentWorld {
        target: String::new(),
        ..world()
    };
    let err = component_blobs(WASM, 1, &nameless).unwrap_err();
    assert!(matches!(&err, Error::InvalidInput(m) if m.starts_with("component.target")));
    let config = Descriptor::new(MEDIA_TYPE_OCI_CONFIG, WASM, 2);
    let tar = Descriptor::new(MEDIA_TYPE_OCI_LAYER, WASM, 2);
    let err = component_layer(&config, &[tar]).unwrap_err();
    assert!(matches!(&err, Error::Unsupported(m)
        if m.ends_with(&format!("this one has a {MEDIA_TYPE_OCI_CONFIG} config and 0 such layers"))));
    let wasm = Descriptor::new(MEDIA_TYPE_WASM, WASM, 2);
    let err = component_layer(&config, &[wasm.clone(), wasm]).unwrap_err();
    assert!(err.message().contains("and 2 such layers"));
}
