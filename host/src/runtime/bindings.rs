//! Generated bindings for the WIT worlds in `wit/`: the only place they are
//! generated, one module per operation of the table (`each_operation!`,
//! generated from the table by `host/build.rs`), named as
//! [`super::Declaration::module`] says. Every world takes the shared WIT
//! `types` interface from [`types`], written by hand so that its records
//! are `model` types. What the runtime uses of a world's bindings is its
//! `*Pre::new`, which checks that a component exports every function of the
//! world with the WIT's types; calls go through typed functions with
//! `model` types (`bound`), so one Rust type stands for one WIT type and
//! no generated record is used.
//!
//! Must not: be named outside `runtime`.

pub mod types;

/// One module of bindings per world, each taking the `types` interface
/// from [`types`].
macro_rules! worlds {
    ($($module:ident $world:tt $wrapper:ident,)*) => {
        $(
            #[doc = concat!("The `", $world, "` world.")]
            pub(super) mod $module {
                wasmtime::component::bindgen!({
                    path: "../wit",
                    world: $world,
                    with: {
                        "ocipipe:image/types": super::types,
                    },
                });
            }
        )*
    };
}

each_operation!(worlds);
