//! The `privileges` world's Rust bindings, generated here once: every WIT
//! type of the world has one Rust definition.
//!
//! The shared interface `types` is `ocipipe_sdk`'s; the world's `privilege`
//! record and `grants` variant are this crate's own ([`crate::Privilege`],
//! [`crate::Grants`]), standing for the WIT's through `with`. The
//! `ocipipe-privileges` guest crate implements the world's `Guest` trait
//! over these types and exports it with [`export!`](crate::wit::export)
//! (`pub_export_macro`: the component's exports are described where the
//! macro is used). Natively the export glue is only generic code that
//! nothing instantiates.

wit_bindgen::generate!({
    path: "wit",
    world: "privileges",
    with: {
        "ocipipe:image/types@0.3.0": ocipipe_sdk::types,
        "ocipipe:image/plugins@0.3.0/privilege": crate::Privilege,
        "ocipipe:image/plugins@0.3.0/grants": crate::Grants,
    },
    // The imported interfaces (the next implementation) and the exported
    // ones share their Rust types: a delegating component passes values
    // through unchanged.
    merge_structurally_equal_types: true,
    pub_export_macro: true,
    default_bindings_module: "privileges_core::wit",
});
