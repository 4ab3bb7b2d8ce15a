//! Generated bindings for the WIT worlds in `wit/`: the only place they are
//! generated, one module per operation of the table. Every world reuses
//! the `types` bindings of the first world, so one Rust type stands for
//! one WIT type.
//!
//! Must not: be named outside `runtime`; `convert` turns these types into
//! `model` types.

/// The `tagging` world; owner of the shared `types` bindings.
pub(super) mod tagging {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "tagging",
    });
}

/// The `tar-assembly` world.
pub(super) mod tar_assembly {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "tar-assembly",
        with: {
            "ocipipe:image/types": super::tagging::ocipipe::image::types,
        },
    });
}

/// The `manifest-generation` world.
pub(super) mod manifest_generation {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "manifest-generation",
        with: {
            "ocipipe:image/types": super::tagging::ocipipe::image::types,
        },
    });
}

/// The `privileges` world.
pub(super) mod privileges {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "privileges",
        with: {
            "ocipipe:image/types": super::tagging::ocipipe::image::types,
        },
    });
}

/// The WIT `types` interface, shared by every world.
pub(super) use tagging::ocipipe::image::types;
