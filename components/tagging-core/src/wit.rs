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
    path: "../../wit",
    world: "tagging",
    with: { "ocipipe:image/types@0.2.0": ocipipe_sdk::types },
    pub_export_macro: true,
    default_bindings_module: "tagging_core::wit",
});
