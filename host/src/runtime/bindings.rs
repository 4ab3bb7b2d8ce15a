//! Generated bindings for the WIT worlds in `wit/`: the only place they are
//! generated, one module per operation of the table (`each_operation!`,
//! generated from the table by `host/build.rs`), named as
//! [`super::Declaration::module`] says. Every world reuses the `types`
//! bindings of the table's first world, so one Rust type stands for one
//! WIT type.
//!
//! Must not: be named outside `runtime`; `convert` turns these types into
//! `model` types.

/// One module of bindings per world; the first owns the shared `types`.
macro_rules! worlds {
    ($first:ident $first_world:tt $first_wrapper:ident,
     $($module:ident $world:tt $wrapper:ident,)*) => {
        #[doc = concat!("The `", $first_world, "` world; owner of the shared `types` bindings.")]
        pub(super) mod $first {
            wasmtime::component::bindgen!({
                path: "../wit",
                world: $first_world,
            });
        }

        /// The WIT `types` interface, shared by every world.
        pub(super) use $first::ocipipe::image::types;

        $(
            #[doc = concat!("The `", $world, "` world.")]
            pub(super) mod $module {
                wasmtime::component::bindgen!({
                    path: "../wit",
                    world: $world,
                    with: {
                        "ocipipe:image/types": super::$first::ocipipe::image::types,
                    },
                });
            }
        )*
    };
}

each_operation!(worlds);
