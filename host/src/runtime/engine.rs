//! The engine every component of a runtime runs in, its WASI linker and
//! its epoch ticker, and how they are configured. The limits of a call
//! are set on its store, not here.

use super::sandbox::{self, Sandbox};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::Linker;
use wasmtime::{Config, Engine, EngineWeak};

/// How often the ticker advances the epoch; the granularity of time
/// limits.
pub(super) const EPOCH_TICK: Duration = Duration::from_millis(5);

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
    pub(super) linker: Linker<Sandbox>,
    pub(super) ticker: Ticker,
}

/// New parts: an engine allocating instances as `allocation` says.
pub(super) fn parts(allocation: Allocation) -> anyhow::Result<Parts> {
    let (engine, linker) = configured(allocation)?;
    let (ticker, stop) = Ticker::new();
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("ocipipe-epoch".into())
        .spawn(move || tick(&weak, &stop))?;
    Ok(Parts {
        engine,
        linker,
        ticker,
    })
}

/// The engine (components, epochs for time limits, instances as
/// `allocation` says) and a linker with the WASI of Rust's std
/// ([`super::wasi`]).
fn configured(allocation: Allocation) -> anyhow::Result<(Engine, Linker<Sandbox>)> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    if allocation == Allocation::Pool {
        config.allocation_strategy(sandbox::pool());
    }
    let engine = Engine::new(&config)?;
    let linker = super::wasi::std_linker(&engine)?;
    Ok((engine, linker))
}

/// Advances `engine`'s epoch every [`EPOCH_TICK`] so that time limits
/// fire, until `stop` or the engine is gone.
fn tick(engine: &EngineWeak, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(EPOCH_TICK);
        match engine.upgrade() {
            Some(engine) => engine.increment_epoch(),
            None => break,
        }
    }
}

/// Stops its runtime's ticker when dropped.
pub(super) struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Ticker {
    fn new() -> (Self, Arc<AtomicBool>) {
        let stop = Arc::new(AtomicBool::new(false));
        (Self { stop: stop.clone() }, stop)
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
