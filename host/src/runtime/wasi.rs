//! WASI as the linker defines it for components. Linking all of WASI 0.2
//! costs about 0.2 ms, paid at every start; but a component that Rust's
//! std built for wasm32-wasip2 (every built-in, every component of the
//! kit) imports only the eleven interfaces of [`STD`]. Those are linked
//! up front; a component importing any other WASI interface (sockets,
//! poll, terminals, …) is linked against the whole of WASI, made once, on
//! first need. Either way the context of each call (`sandbox`) grants
//! none of WASI's capabilities.

use super::sandbox::Sandbox;
use wasmtime::Engine;
use wasmtime::component::{Component, HasData, Linker, ResourceTable};
use wasmtime_wasi::WasiView;
use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView as _};
use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView as _};
use wasmtime_wasi::p2::bindings::{self, sync};
use wasmtime_wasi::random::WasiRandom;

/// The WASI interfaces a component built by Rust's std imports, without
/// their versions.
pub(super) const STD: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:clocks/wall-clock",
    "wasi:filesystem/preopens",
    "wasi:filesystem/types",
    "wasi:io/error",
    "wasi:io/streams",
    "wasi:random/insecure-seed",
];

/// A linker with the interfaces of [`STD`].
pub(super) fn std_linker(engine: &Engine) -> wasmtime::Result<Linker<Sandbox>> {
    let mut linker = Linker::new(engine);
    let l = &mut linker;
    bindings::cli::environment::add_to_linker::<Sandbox, WasiCli>(l, Sandbox::cli)?;
    bindings::cli::exit::add_to_linker::<Sandbox, WasiCli>(l, Sandbox::cli)?;
    bindings::cli::stdin::add_to_linker::<Sandbox, WasiCli>(l, Sandbox::cli)?;
    bindings::cli::stdout::add_to_linker::<Sandbox, WasiCli>(l, Sandbox::cli)?;
    bindings::cli::stderr::add_to_linker::<Sandbox, WasiCli>(l, Sandbox::cli)?;
    bindings::clocks::wall_clock::add_to_linker::<Sandbox, WasiClocks>(l, Sandbox::clocks)?;
    bindings::filesystem::preopens::add_to_linker::<Sandbox, WasiFilesystem>(
        l,
        Sandbox::filesystem,
    )?;
    sync::filesystem::types::add_to_linker::<Sandbox, WasiFilesystem>(l, Sandbox::filesystem)?;
    sync::io::error::add_to_linker::<Sandbox, Table>(l, |s| s.ctx().table)?;
    sync::io::streams::add_to_linker::<Sandbox, Table>(l, |s| s.ctx().table)?;
    bindings::random::insecure_seed::add_to_linker::<Sandbox, WasiRandom>(l, |s| {
        s.ctx().ctx.random()
    })?;
    Ok(linker)
}

/// A linker with the whole of WASI 0.2.
pub(super) fn full_linker(engine: &Engine) -> wasmtime::Result<Linker<Sandbox>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    Ok(linker)
}

/// Whether `component` imports a WASI interface outside [`STD`].
pub(super) fn needs_full(engine: &Engine, component: &Component) -> bool {
    component
        .component_type()
        .imports(engine)
        .map(|(name, _)| name.split_once('@').map_or(name, |(name, _)| name))
        .any(|name| name.starts_with("wasi:") && !STD.contains(&name))
}

/// The resource table, for the interfaces whose host state is only that.
struct Table;

impl HasData for Table {
    type Data<'a> = &'a mut ResourceTable;
}

#[cfg(test)]
mod tests {
    use super::super::operations::ALL;
    use super::super::{Limits, Runtime, Source, Tagging, builtin};
    use super::*;
    use std::sync::Arc;

    fn compiled(engine: &Engine, bytes: &[u8]) -> Component {
        Component::new(engine, bytes).unwrap()
    }

    /// The saving holds only while Rust's std imports no more than
    /// [`STD`]: every built-in must link without the whole of WASI.
    #[test]
    fn the_built_ins_import_only_the_wasi_of_rusts_std() {
        let engine = Engine::default();
        for operation in ALL {
            let (wasm, _) = builtin::component(operation);
            assert!(
                !needs_full(&engine, &compiled(&engine, wasm)),
                "the built-in {} imports WASI beyond std's",
                operation.name
            );
        }
    }

    /// The hostile fixture imports terminals and the monotonic clock: it
    /// gets the whole of WASI, and runs.
    #[test]
    fn a_component_importing_more_of_wasi_gets_all_of_it() {
        let hostile = std::path::Path::new(env!("OCIPIPE_GUEST_DIR")).join("hostile.wasm");
        let engine = Engine::default();
        let bytes = std::fs::read(&hostile).unwrap();
        assert!(needs_full(&engine, &compiled(&engine, &bytes)));
        let runtime = Arc::new(Runtime::new(Limits::default(), None).unwrap());
        let tagging = runtime.load::<Tagging>(&Source::File(hostile)).unwrap();
        assert_eq!(tagging.parse("still-here").unwrap().full, "still-here");
    }
}
