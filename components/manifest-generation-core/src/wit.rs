//! The `manifest-generation` world's Rust bindings, generated here once:
//! every WIT type of the world has one Rust definition, and this crate's
//! logic works on it.
//!
//! The shared interface `types` is `ocipipe_sdk`'s; the records and
//! variants this crate writes by hand (`config-request`, `artifact-plan`,
//! `manifest-contents`, …) stand for the WIT's through `with`; the rest
//! (the enums `artifact-form`, `compression`, `manifest-format`,
//! `entry-kind` and the records `image-layer` and `index-entry` that hold
//! one) are generated, as `wit-bindgen` must generate an enum to lift it.
//! The `ocipipe-manifest-generation` guest crate implements the world's
//! `Guest` traits over these same types and exports them with
//! [`export!`](crate::wit::export) (`pub_export_macro`: the component's
//! exports are described where the macro is used). Natively the export
//! glue is only generic code that nothing instantiates.

wit_bindgen::generate!({
    path: "wit",
    world: "manifest-generation",
    with: {
        "ocipipe:image/types@0.3.0": ocipipe_sdk::types,
        "ocipipe:image/configs@0.3.0/history": crate::History,
        "ocipipe:image/configs@0.3.0/config-request": crate::ConfigRequest,
        "ocipipe:image/configs@0.3.0/host-machine": crate::HostMachine,
        "ocipipe:image/configs@0.3.0/config-edits": crate::ConfigEdits,
        "ocipipe:image/manifests@0.3.0/artifact-request": crate::ArtifactRequest,
        "ocipipe:image/manifests@0.3.0/image-contents": crate::ImageContents,
        "ocipipe:image/manifests@0.3.0/index-contents": crate::IndexContents,
        "ocipipe:image/manifests@0.3.0/manifest-contents": crate::ManifestContents,
        "ocipipe:image/manifests@0.3.0/referrers-page": crate::ReferrersPage,
        "ocipipe:image/manifests@0.3.0/artifact-tool": crate::ArtifactTool,
        "ocipipe:image/manifests@0.3.0/artifact-file": crate::ArtifactFile,
        "ocipipe:image/manifests@0.3.0/artifact-plan": crate::ArtifactPlan,
        "ocipipe:image/manifests@0.3.0/component-artifact": crate::ComponentArtifact,
        "ocipipe:image/manifests@0.3.0/component-world": crate::ComponentWorld,
        "ocipipe:image/manifests@0.3.0/replaced-child": crate::ReplacedChild,
        "ocipipe:image/manifests@0.3.0/index-child": crate::IndexChild,
    },
    additional_derives: [PartialEq, Eq],
    // The imported interfaces (the next implementation) and the exported
    // ones share their Rust types: a delegating component passes values
    // through unchanged.
    merge_structurally_equal_types: true,
    pub_export_macro: true,
    default_bindings_module: "manifest_generation_core::wit",
});
