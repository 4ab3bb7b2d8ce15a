//! The sandbox that runs operation components.
//!
//! Owns the wasmtime engine, the on-disk compile cache, the closed WASI
//! context and the per-call limits. It is the only module that names
//! generated binding types: callers get `model` types and [`Error`]s.
//! It performs no I/O for an operation and never imports docker, registry
//! or store code.

mod bindings;
mod cache;
mod convert;
mod limits;
mod manifest_generation;
mod sandbox;
mod tagging;
mod tar_assembly;

pub use cache::{CompileCache, Outcome as CacheOutcome};
pub use limits::Limits;
pub use manifest_generation::ManifestGeneration;
pub use tagging::Tagging;
pub use tar_assembly::TarAssembly;

use sandbox::Sandbox;
use sha2::{Digest as _, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Config, Engine, Store, Trap};

/// How often the epoch ticker advances; the granularity of time limits.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The components built into the `ocipipe` binary, by operation.
pub mod builtin {
    /// The tagging operation (`components/tagging`).
    pub const TAGGING: &[u8] = include_bytes!(env!("OCIPIPE_TAGGING_WASM"));
    /// The tar-assembly operation (`components/tar-assembly`).
    pub const TAR_ASSEMBLY: &[u8] = include_bytes!(env!("OCIPIPE_TAR_ASSEMBLY_WASM"));
    /// The manifest-generation operation (`components/manifest-generation`).
    pub const MANIFEST_GENERATION: &[u8] = include_bytes!(env!("OCIPIPE_MANIFEST_GENERATION_WASM"));
}

/// Where a component's code comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Embedded in the binary.
    Builtin(&'static [u8]),
    /// A component file given by the user: a third-party component.
    File(PathBuf),
}

/// Failures of loading or calling a component.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The component file could not be read.
    #[error("cannot read component {component}: {source}")]
    Read {
        /// The component.
        component: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a valid component, or it does not fit the world.
    #[error("component {component} is not a valid {world} component: {message}")]
    Invalid {
        /// The component.
        component: String,
        /// The WIT world it was meant to implement.
        world: &'static str,
        /// What wasmtime said.
        message: String,
    },
    /// The component ran past its time limit and was stopped.
    #[error(
        "component {component} ran out of time in {function} (limit {limit:?}); it was stopped"
    )]
    Timeout {
        /// The component.
        component: String,
        /// The exported function that was running.
        function: &'static str,
        /// The time limit in force.
        limit: Duration,
    },
    /// The component tried to grow its memory past the limit and was stopped.
    #[error(
        "component {component} exceeded its memory limit in {function} ({limit} bytes); it was stopped"
    )]
    Memory {
        /// The component.
        component: String,
        /// The exported function that was running.
        function: &'static str,
        /// The memory limit in force, bytes.
        limit: usize,
    },
    /// The component trapped (a panic, `unreachable`, a bad access).
    #[error("component {component} crashed in {function}: {message}")]
    Trap {
        /// The component.
        component: String,
        /// The exported function that was running.
        function: &'static str,
        /// The trap, and the last line the component wrote to stderr.
        message: String,
    },
    /// The component answered something its world does not allow, e.g. a
    /// malformed digest.
    #[error("component {component} broke its contract in {function}: {message}")]
    Contract {
        /// The component.
        component: String,
        /// The exported function that answered.
        function: &'static str,
        /// What was wrong with the answer.
        message: String,
    },
    /// The component refused its input with a WIT `error`.
    #[error("{message}")]
    Refused {
        /// The component.
        component: String,
        /// The exported function that refused.
        function: &'static str,
        /// The case of the WIT `error` variant, e.g. `invalid-reference`.
        kind: &'static str,
        /// The component's message.
        message: String,
    },
}

/// The engine, linker and cache shared by every component of a process.
pub struct Runtime {
    engine: Engine,
    linker: Linker<Sandbox>,
    cache: Option<CompileCache>,
    limits: Limits,
    _ticker: Ticker,
}

impl Runtime {
    /// A runtime with `limits` per call, caching compiled code in `cache`
    /// when given.
    pub fn new(limits: Limits, cache: Option<CompileCache>) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        // Components built for wasm32-wasip2 import WASI; the context each
        // call gets (see `sandbox`) grants none of its capabilities.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        let ticker = Ticker::start(&engine);
        Ok(Self {
            engine,
            linker,
            cache,
            limits,
            _ticker: ticker,
        })
    }

    /// The limits each call runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Loads the tagging operation from `source`.
    pub fn tagging(self: &Arc<Self>, source: &Source) -> Result<Tagging, Error> {
        let loaded = self.load(source, "tagging")?;
        Tagging::new(self.clone(), loaded)
    }

    /// Loads the tar-assembly operation from `source`.
    pub fn tar_assembly(self: &Arc<Self>, source: &Source) -> Result<TarAssembly, Error> {
        let loaded = self.load(source, "tar-assembly")?;
        TarAssembly::new(self.clone(), loaded)
    }

    /// Loads the manifest-generation operation from `source`.
    pub fn manifest_generation(
        self: &Arc<Self>,
        source: &Source,
    ) -> Result<ManifestGeneration, Error> {
        let loaded = self.load(source, "manifest-generation")?;
        ManifestGeneration::new(self.clone(), loaded)
    }

    /// Compiles (or takes from the cache) and pre-instantiates a component.
    fn load(&self, source: &Source, world: &'static str) -> Result<Loaded, Error> {
        let (name, bytes) = match source {
            Source::Builtin(wasm) => (
                format!("{world} (built-in)"),
                std::borrow::Cow::Borrowed(*wasm),
            ),
            Source::File(path) => {
                let name = format!("{world} ({})", path.display());
                let bytes = std::fs::read(path).map_err(|source| Error::Read {
                    component: name.clone(),
                    source,
                })?;
                (name, std::borrow::Cow::Owned(bytes))
            }
        };
        let invalid = |e: wasmtime::Error| Error::Invalid {
            component: name.clone(),
            world,
            message: format!("{e:#}"),
        };
        let sha256: [u8; 32] = Sha256::digest(&bytes).into();
        let (component, cache) = match &self.cache {
            Some(cache) => {
                let (component, outcome) = cache
                    .lookup(&self.engine, &sha256, &bytes)
                    .map_err(invalid)?;
                (component, Some(outcome))
            }
            None => (Component::new(&self.engine, &bytes).map_err(invalid)?, None),
        };
        let pre = self.linker.instantiate_pre(&component).map_err(invalid)?;
        Ok(Loaded { name, pre, cache })
    }

    /// Instantiates a world of `loaded` in a fresh store and calls one of its
    /// functions; a WIT `error` answer becomes [`Error::Refused`].
    fn invoke<W, T>(
        &self,
        loaded: &Loaded,
        function: &'static str,
        instantiate: impl FnOnce(&mut Store<Sandbox>) -> wasmtime::Result<W>,
        call: impl FnOnce(&W, &mut Store<Sandbox>) -> Answer<T>,
    ) -> Result<T, Error> {
        let answer = self.call(loaded, function, |store| {
            let world = instantiate(&mut *store)?;
            call(&world, store)
        })?;
        answer.map_err(|e| convert::refused(&loaded.name, function, e))
    }

    /// Instantiates `loaded` in a fresh, closed store and runs `call`
    /// under the limits, turning every failure into an [`Error`] that names
    /// the component and `function`.
    fn call<R>(
        &self,
        loaded: &Loaded,
        function: &'static str,
        call: impl FnOnce(&mut Store<Sandbox>) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        let mut store = Store::new(&self.engine, Sandbox::new(&self.limits));
        store.limiter(|s| &mut s.limiter);
        let ticks = self
            .limits
            .timeout
            .as_nanos()
            .div_ceil(EPOCH_TICK.as_nanos())
            .max(1);
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
        let result = call(&mut store);
        let sandbox = store.into_data();
        let stderr = sandbox.log_output(&loaded.name, function);
        result.map_err(|e| self.classify(e, loaded, function, sandbox.limiter.exceeded(), stderr))
    }

    fn classify(
        &self,
        e: wasmtime::Error,
        loaded: &Loaded,
        function: &'static str,
        memory_exceeded: bool,
        stderr_tail: Option<String>,
    ) -> Error {
        let component = loaded.name.clone();
        if memory_exceeded {
            return Error::Memory {
                component,
                function,
                limit: self.limits.memory_bytes,
            };
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => Error::Timeout {
                component,
                function,
                limit: self.limits.timeout,
            },
            Some(trap) => Error::Trap {
                component,
                function,
                message: match stderr_tail {
                    Some(line) => format!("{trap} (it said: {line})"),
                    None => trap.to_string(),
                },
            },
            None => Error::Trap {
                component,
                function,
                message: format!("{e:#}"),
            },
        }
    }
}

/// A component loaded for one world, with that world's pre-instantiated
/// bindings `P`: what every operation wrapper holds.
struct Bound<P> {
    runtime: Arc<Runtime>,
    loaded: Loaded,
    pre: P,
}

impl<P> Bound<P> {
    /// Binds `loaded` to `world` with the generated `*Pre::new`; a component
    /// that does not implement the world is refused here.
    fn new(
        runtime: Arc<Runtime>,
        loaded: Loaded,
        world: &'static str,
        bind: impl FnOnce(InstancePre<Sandbox>) -> wasmtime::Result<P>,
    ) -> Result<Self, Error> {
        let pre = bind(loaded.pre.clone()).map_err(|e| loaded.invalid(world, e))?;
        Ok(Self {
            runtime,
            loaded,
            pre,
        })
    }

    /// Calls `function` on a fresh instance made by `instantiate`.
    fn invoke<W, T>(
        &self,
        function: &'static str,
        instantiate: impl FnOnce(&P, &mut Store<Sandbox>) -> wasmtime::Result<W>,
        call: impl FnOnce(&W, &mut Store<Sandbox>) -> Answer<T>,
    ) -> Result<T, Error> {
        self.runtime
            .invoke(&self.loaded, function, |s| instantiate(&self.pre, s), call)
    }
}

/// What a component function answers: a value or its WIT `error`.
type Answer<T> = wasmtime::Result<Result<T, bindings::types::Error>>;

/// A component ready to instantiate.
struct Loaded {
    name: String,
    pre: InstancePre<Sandbox>,
    /// What the compile cache did; `None` without a cache.
    cache: Option<CacheOutcome>,
}

impl Loaded {
    /// The error for a component that does not implement `world`.
    fn invalid(&self, world: &'static str, e: wasmtime::Error) -> Error {
        Error::Invalid {
            component: self.name.clone(),
            world,
            message: format!("{e:#}"),
        }
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] so that time limits
/// fire; stops when the runtime is dropped.
struct Ticker {
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Ticker {
    fn start(engine: &Engine) -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (engine, flag) = (engine.weak(), stop.clone());
        std::thread::Builder::new()
            .name("ocipipe-epoch".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .expect("spawning the epoch thread");
        Self { stop }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
