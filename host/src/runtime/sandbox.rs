//! The store state of one call: a WASI context that grants nothing, and the
//! memory limiter.
//!
//! The context starts closed and stays closed: no preopened directories, no
//! environment or arguments, no network (TCP, UDP and name lookup denied),
//! stdin empty, stdout and stderr captured with a cap, clocks fixed at the
//! Unix epoch, and randomness from a fixed seed. A component therefore
//! cannot observe anything the host did not pass it as an argument, and the
//! same input always gives the same output.
//!
//! The instances themselves may come from a pool ([`pool`]): a fresh
//! instance per call, without mapping and unmapping its memory each time.

use super::Limits;
use rand::SeedableRng;
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime::{Enabled, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter};
use wasmtime_wasi::clocks::{HostMonotonicClock, HostWallClock};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Most table elements a component may have (function tables).
const TABLE_ELEMENTS: usize = 100_000;

/// Component instances alive at once: calls from several threads (a sync
/// runs up to 32 copies at once), each instance of a delegating chain
/// counting once (`slots` makes calls wait for room). Each takes a slot of virtual memory (4 GiB of address
/// space per linear memory, no RAM until touched), so the pool is sized
/// for the calls a process makes, not wasmtime's default of 1000.
pub(super) const INSTANCES: u32 = 64;

/// Bytes of a pooled memory kept mapped between calls and reset in place
/// (only the pages a call wrote, where the kernel tells which): the next
/// call takes no page faults there. The built-ins touch about 1 MiB.
const KEEP_RESIDENT: usize = 4 << 20;

/// The pool a pooled engine allocates instances from. Every call still
/// gets a fresh instance whose memory reads as the component's initial
/// image; the pool only reuses the address space and pages.
pub(super) fn pool() -> InstanceAllocationStrategy {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(INSTANCES)
        // A wasm32-wasip2 component has 4 core instances, 1 memory and 2
        // tables; room for third-party ones built otherwise.
        .total_core_instances(INSTANCES * 8)
        .total_memories(INSTANCES)
        .total_tables(INSTANCES * 4)
        .max_tables_per_module(4)
        .max_memories_per_module(1)
        .table_elements(TABLE_ELEMENTS)
        // Any memory a wasm32 component can address: the limit of a call
        // is its store's limiter's, so the engine does not depend on it.
        .max_memory_size(1 << 32)
        // Only async calls use stacks of their own; none is made.
        .total_stacks(1)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(TABLE_ELEMENTS * std::mem::size_of::<usize>())
        // Linux 6.7+ says which pages a call wrote; elsewhere the kept
        // bytes are reset whole.
        .pagemap_scan(Enabled::Auto);
    InstanceAllocationStrategy::Pooling(pool)
}

/// State of a store: WASI, captured output, limiter.
pub(super) struct Sandbox {
    /// Made on the first WASI call: the built-ins make none in a normal
    /// call, and making one seeds a thread's random generator (a few CPU
    /// feature queries, slow under a hypervisor) and allocates.
    wasi: Option<Wasi>,
    /// Most bytes each of stdout and stderr keeps.
    output_bytes: usize,
    table: ResourceTable,
    pub(super) limiter: Limiter,
}

/// The WASI context of a store and the output it captures.
struct Wasi {
    ctx: WasiCtx,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl Sandbox {
    pub(super) fn new(limits: &Limits) -> Self {
        Self {
            wasi: None,
            output_bytes: limits.output_bytes,
            table: ResourceTable::new(),
            limiter: Limiter {
                memory_bytes: limits.memory_bytes,
                exceeded: false,
            },
        }
    }

    /// Writes what the component printed to the log, and returns the last
    /// line of its stderr that is not Rust's `note:` hint (for a panic, the
    /// panic message).
    pub(super) fn log_output(&self, component: &str, function: &str) -> Option<String> {
        let wasi = self.wasi.as_ref()?;
        let stdout = wasi.stdout.contents();
        if !stdout.is_empty() {
            tracing::debug!(component, function, stdout = %String::from_utf8_lossy(&stdout));
        }
        let stderr = wasi.stderr.contents();
        if stderr.is_empty() {
            return None;
        }
        let text = String::from_utf8_lossy(&stderr);
        tracing::debug!(component, function, stderr = %text);
        text.lines()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.starts_with("note: "))
            .map(|l| l.chars().take(300).collect())
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let output_bytes = self.output_bytes;
        WasiCtxView {
            ctx: &mut self
                .wasi
                .get_or_insert_with(|| Wasi::closed(output_bytes))
                .ctx,
            table: &mut self.table,
        }
    }
}

impl Wasi {
    /// The context a component sees: nothing granted, output captured
    /// up to `output_bytes` a stream.
    fn closed(output_bytes: usize) -> Self {
        let stdout = MemoryOutputPipe::new(output_bytes);
        let stderr = MemoryOutputPipe::new(output_bytes);
        let ctx = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(FixedClock)
            .monotonic_clock(FixedClock)
            .secure_random(rand::rngs::StdRng::seed_from_u64(0))
            .insecure_random(rand::rngs::StdRng::seed_from_u64(0))
            .insecure_random_seed(0)
            .build();
        Self {
            ctx,
            stdout,
            stderr,
        }
    }
}

/// Refuses memory growth past the limit and remembers that it did, so the
/// resulting trap is reported as a memory limit rather than a crash.
pub(super) struct Limiter {
    memory_bytes: usize,
    exceeded: bool,
}

impl Limiter {
    pub(super) fn exceeded(&self) -> bool {
        self.exceeded
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.exceeded = true;
            wasmtime::bail!("memory limit of {} bytes reached", self.memory_bytes);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= TABLE_ELEMENTS)
    }
}

/// Wall and monotonic clocks that always read zero.
struct FixedClock;

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}
