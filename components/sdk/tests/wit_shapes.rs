//! The SDK's types stand for the WIT's: bindings of every world that uses
//! the shared interfaces are generated with them in place of generated
//! types. `wit-bindgen` lifts and lowers them by field and case name, so a
//! field or case that differs from the WIT fails to compile here, before
//! any component is built.

#![allow(dead_code)]

mod tagging {
    wit_bindgen::generate!({
        path: "wit",
        world: "tagging",
        with: { "ocipipe:image/types@0.3.0": ocipipe_sdk::types },
    });
}

mod tar_assembly {
    wit_bindgen::generate!({
        path: "wit",
        world: "tar-assembly",
        with: {
            "ocipipe:image/types@0.3.0": ocipipe_sdk::types,
            "ocipipe:image/plans@0.3.0": ocipipe_sdk::plans,
        },
    });
}

mod manifest_generation {
    wit_bindgen::generate!({
        path: "wit",
        world: "manifest-generation",
        with: { "ocipipe:image/types@0.3.0": ocipipe_sdk::types },
    });
}

mod privileges {
    wit_bindgen::generate!({
        path: "wit",
        world: "privileges",
        with: { "ocipipe:image/types@0.3.0": ocipipe_sdk::types },
    });
}

#[test]
fn generated_records_hold_the_sdks_types() {
    use manifest_generation::exports::ocipipe::image::manifests::ArtifactRequest;
    use tar_assembly::exports::ocipipe::image::archives::ArchiveLayer;
    let layer = ArchiveLayer {
        descriptor: ocipipe_sdk::Descriptor::new("a/b", ocipipe_sdk::digest::sha256(b""), 0),
        omitted: false,
    };
    assert_eq!(layer.descriptor.size, 0);
    let request = ArtifactRequest {
        artifact_type: "application/x.t".into(),
        layers: vec![ocipipe_sdk::Descriptor::new(
            "a/b",
            ocipipe_sdk::digest::sha256(b""),
            0,
        )],
        annotations: Vec::new(),
        created: None,
        subject: None,
    };
    assert_eq!(request.layers[0].size, 0);
}
