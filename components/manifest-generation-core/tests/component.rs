//! `component_descriptors` and `component_layer`: a WebAssembly component as
//! an OCI artifact in the CNCF wasm layout, pushed and pulled back.

use manifest_generation_core::*;

const WASM: &str = "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f";

#[test]
fn a_component_artifact_has_the_wasm_config_and_one_wasm_layer() {
    let config = br#"{"component":{}}"#;
    let artifact = component_descriptors(WASM, 1234, config).unwrap();
    assert_eq!(
        artifact.config,
        Descriptor::new(
            "application/vnd.wasm.config.v0+json",
            ocipipe_sdk::digest::sha256(config),
            config.len() as u64
        )
    );
    assert_eq!(
        artifact.layer,
        Descriptor::new("application/wasm", WASM, 1234)
    );
    // Pulled back, its layer is found again.
    let manifest = image_manifest(
        &artifact.config,
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
fn a_bad_digest_and_a_manifest_without_one_wasm_layer_are_refused() {
    let err = component_descriptors("sha256:short", 1, b"{}").unwrap_err();
    assert!(matches!(&err, Error::InvalidInput(m) if m.starts_with("wasm-digest")));
    let config = Descriptor::new(MEDIA_TYPE_OCI_CONFIG, WASM, 2);
    let tar = Descriptor::new(MEDIA_TYPE_OCI_LAYER, WASM, 2);
    let err = component_layer(&config, &[tar]).unwrap_err();
    assert!(matches!(&err, Error::Unsupported(m)
        if m.ends_with(&format!("this one has a {MEDIA_TYPE_OCI_CONFIG} config and 0 such layers"))));
    let wasm = Descriptor::new(MEDIA_TYPE_WASM, WASM, 2);
    let err = component_layer(&config, &[wasm.clone(), wasm]).unwrap_err();
    assert!(err.message().contains("and 2 such layers"));
}
