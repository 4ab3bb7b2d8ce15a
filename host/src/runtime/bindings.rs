//! Generated bindings for the WIT worlds in `wit/`: the only place they are
//! generated. Every world shares the types of the `tagging` world.

/// The `tagging` world.
pub(super) mod tagging {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "tagging",
    });
}
