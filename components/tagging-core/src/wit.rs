//! The `tagging` world's Rust bindings, generated here once: every WIT type
//! of the world has one Rust definition.
//!
//! The shared interface `types` is `ocipipe_sdk`'s; the world's
//! `any-reference` variant is generated. The `ocipipe-tagging` guest crate
//! implements the world's `Guest` trait and exports it with
//! [`export!`](crate::wit::export) (`pub_export_macro`: the component's
//! exports are described where the macro is used). Natively the export
//! glue is only generic code that nothing instantiates.

wit_bindgen::generate!({
    path: "wit",
    world: "tagging",
    with: { "ocipipe:image/types@0.3.0": ocipipe_sdk::types },
    // The imported interfaces (the next implementation) and the exported
    // ones share their Rust types: a delegating component passes values
    // through unchanged.
    merge_structurally_equal_types: true,
    pub_export_macro: true,
    default_bindings_module: "tagging_core::wit",
});

// Compiles only while the import's and the export's interface-local types
// are the same Rust types (what `merge_structurally_equal_types` gives).
#[cfg(test)]
#[allow(dead_code)]
fn import_and_export_share_types(
    a: ocipipe::image::naming::AnyReference,
    f: ocipipe::image::tags::TagFilter,
    e: ocipipe::image::tags::FilterError,
) -> (
    exports::ocipipe::image::naming::AnyReference,
    exports::ocipipe::image::tags::TagFilter,
    exports::ocipipe::image::tags::FilterError,
) {
    (a, f, e)
}
