//! The engine every component of a runtime runs in, its WASI linker and
//! the ticking of its epoch, and how they are configured. The limits of a
//! call are set on its store, not here.

use super::sandbox::{self, Sandbox};
use crate::background::{self, Ticking};
use wasmtime::component::Linker;
use wasmtime::{Config, Engine};

/// How often the epoch advances; the granularity of time limits.
pub(super) use crate::background::EPOCH_TICK;

/// Where a runtime's instances come from. Every call gets a fresh
/// instance either way; what differs is the cost of making the engine
/// and of each instance, measured on a 2-core VM (`just bench`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocation {
    /// A pool of instance slots, their address space reserved once and
    /// their pages kept and reset in place: an instance costs a few
    /// microseconds, but making the pool about 0.25 ms. For a process
    /// that calls many times: the default.
    Pool,
    /// Memory mapped for each instance and unmapped after: about 40 µs
    /// more per call, nothing up front. For a process that makes a few
    /// calls and exits (`ocipipe ref normalize NAME` in a script's loop).
    OnDemand,
}

/// What a runtime is made of besides its cache and limits.
pub(super) struct Parts {
    pub(super) engine: Engine,
    /// Made on the background thread meanwhile (about 0.1 ms).
    pub(super) linker: PreparedLinker,
    pub(super) ticking: Ticking,
}

/// The WASI linker of Rust's std ([`super::wasi::std_linker`]), made
/// on the background thread.
pub(super) type PreparedLinker = background::Prepared<wasmtime::Result<Linker<Sandbox>>>;

/// New parts: an engine allocating instances as `allocation` says.
pub(super) fn parts(allocation: Allocation) -> anyhow::Result<Parts> {
    let engine = configured(allocation)?;
    let linker = {
        let engine = engine.clone();
        background::prepare(move || super::wasi::std_linker(&engine))
    };
    let ticking = background::ticking(&engine)?;
    Ok(Parts {
        engine,
        linker,
        ticking,
    })
}

/// The engine: components, epochs for time limits, instances as
/// `allocation` says.
fn configured(allocation: Allocation) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    if allocation == Allocation::Pool {
        config.allocation_strategy(sandbox::pool());
    }
    Ok(Engine::new(&config)?)
}
