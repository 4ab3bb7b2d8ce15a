//! The `tar-assembly` world's Rust bindings, generated here once: every
//! WIT type of the world has one Rust definition, and this crate's logic
//! works on it.
//!
//! The shared interfaces are `ocipipe_sdk`'s types; the records and
//! variants this crate writes by hand (`layer-options`, `archive-image`, …)
//! stand for the WIT's through `with`; the rest (the enums `entry-kind`,
//! `archive-format`, `image-store`, `member-kind` and the records `entry`
//! and `member` that hold one) are generated, as `wit-bindgen` must
//! generate an enum to lift it. The `ocipipe-tar-assembly` guest crate
//! implements the world's `Guest` traits over these same types and exports
//! them with [`export!`](crate::wit::export) (`pub_export_macro`: the
//! component's exports are described where the macro is used). Natively
//! the export glue is only generic code that nothing instantiates.

wit_bindgen::generate!({
    path: "wit",
    world: "tar-assembly",
    with: {
        "ocipipe:image/types@0.3.0": ocipipe_sdk::types,
        "ocipipe:image/plans@0.3.0": ocipipe_sdk::plans,
        "ocipipe:image/layers@0.3.0/layer-options": crate::LayerOptions,
        "ocipipe:image/archives@0.3.0/archive-layer": crate::ArchiveLayer,
        "ocipipe:image/archives@0.3.0/archive-image": crate::ArchiveImage,
        "ocipipe:image/archives@0.3.0/blob-head": crate::BlobHead,
        "ocipipe:image/archives@0.3.0/written-blob": crate::WrittenBlob,
        "ocipipe:image/archives@0.3.0/blob-placement": crate::BlobPlacement,
        "ocipipe:image/changesets@0.3.0/change": crate::Change,
    },
    additional_derives: [PartialEq, Eq],
    // The imported interfaces (the next implementation) and the exported
    // ones share their Rust types: a delegating component passes values
    // through unchanged.
    merge_structurally_equal_types: true,
    pub_export_macro: true,
    default_bindings_module: "tar_assembly_core::wit",
});
