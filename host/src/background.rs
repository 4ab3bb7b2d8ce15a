//! The process's one background thread. It does what needs a thread
//! awake while the main one works:
//!
//! - it advances the epoch of every live runtime's engine every
//!   [`EPOCH_TICK`], so that a component's time limit fires ([`ticking`]);
//! - once [`on_signals`] is called, it waits for those signals and hands
//!   them to the handler (which cleans up and exits);
//! - it does work handed to it ahead of need ([`prepare`]), so that the
//!   work overlaps the caller's while a core is free.
//!
//! One thread rather than one per job: on the 2-core VMs we measure on,
//! a second thread cost a short `ocipipe` process about 0.1 ms (making
//! it, and the kernel waking it to die at exit), as much as the component
//! call itself. It sleeps in `poll` without a timeout while no runtime is
//! alive and no work is waiting.

use std::io::{ErrorKind, Read as _, Write as _};
use std::os::fd::AsRawFd as _;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;
use wasmtime::{Engine, EngineWeak};

/// How often the epochs advance; the granularity of time limits.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// What the thread and its clients share.
struct Shared {
    /// The engines to tick, by registration number.
    engines: Mutex<Vec<(u64, EngineWeak)>>,
    next_id: AtomicU64,
    /// A byte written here wakes the thread (signal-hook writes one on a
    /// signal; registering an engine writes one so that ticking starts).
    wake: UnixStream,
    /// The last signal that arrived, 0 if none.
    signal: Arc<AtomicI32>,
    /// Who handles signals; set once by [`on_signals`].
    handler: OnceLock<fn(i32)>,
    /// Work handed over by [`prepare`], not yet begun.
    jobs: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
}

static SHARED: OnceLock<std::io::Result<Shared>> = OnceLock::new();

/// The shared state, the thread started on first use.
fn shared() -> std::io::Result<&'static Shared> {
    SHARED
        .get_or_init(start)
        .as_ref()
        .map_err(|e| std::io::Error::new(e.kind(), e.to_string()))
}

fn start() -> std::io::Result<Shared> {
    let (mut woken, wake) = UnixStream::pair()?;
    woken.set_nonblocking(true)?;
    wake.set_nonblocking(true)?;
    std::thread::Builder::new()
        .name("ocipipe-background".into())
        .spawn(move || {
            // Nothing wakes the thread before `SHARED` is set: engines and
            // signals register through it.
            wait(&mut woken, -1);
            match SHARED.get() {
                Some(Ok(shared)) => run(shared, &mut woken),
                _ => unreachable!("woken before the background thread's state was set"),
            }
        })?;
    Ok(Shared {
        engines: Mutex::new(Vec::new()),
        next_id: AtomicU64::new(0),
        wake,
        signal: Arc::new(AtomicI32::new(0)),
        handler: OnceLock::new(),
        jobs: Mutex::new(Vec::new()),
    })
}

fn run(shared: &Shared, woken: &mut UnixStream) -> ! {
    let tick_ms = i32::try_from(EPOCH_TICK.as_millis()).unwrap_or(i32::MAX);
    let mut woke = true;
    loop {
        let signal = shared.signal.swap(0, Ordering::SeqCst);
        if signal != 0
            && let Some(handler) = shared.handler.get()
        {
            handler(signal);
        }
        let jobs = std::mem::take(&mut *lock(&shared.jobs));
        jobs.into_iter().for_each(|job| job());
        let engines = lock(&shared.engines);
        if !woke {
            for (_, engine) in engines.iter() {
                if let Some(engine) = engine.upgrade() {
                    engine.increment_epoch();
                }
            }
        }
        let timeout = if engines.is_empty() { -1 } else { tick_ms };
        drop(engines);
        woke = wait(woken, timeout);
    }
}

/// Sleeps until woken (then empties the socket and returns true) or
/// `timeout_ms` passed (false); -1 waits without a timeout.
fn wait(woken: &mut UnixStream, timeout_ms: i32) -> bool {
    let mut fd = libc::pollfd {
        fd: woken.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // Safety: one valid pollfd, for the duration of the call.
    if unsafe { libc::poll(&mut fd, 1, timeout_ms) } <= 0 {
        // Timed out, or interrupted: either way, a tick is due or near.
        return false;
    }
    let mut buf = [0u8; 64];
    loop {
        match woken.read(&mut buf) {
            Ok(n) if n == buf.len() => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            _ => return true,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Advances `engine`'s epoch every [`EPOCH_TICK`] while the returned guard
/// lives.
pub fn ticking(engine: &Engine) -> std::io::Result<Ticking> {
    let shared = shared()?;
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let was_idle = {
        let mut engines = lock(&shared.engines);
        engines.push((id, engine.weak()));
        engines.len() == 1
    };
    if was_idle {
        // Full pipe: the thread is awake already.
        let _ = (&shared.wake).write(&[0]);
    }
    Ok(Ticking { id })
}

/// Stops ticking its engine when dropped.
pub struct Ticking {
    id: u64,
}

impl Drop for Ticking {
    fn drop(&mut self) {
        if let Ok(shared) = shared() {
            lock(&shared.engines).retain(|(id, _)| *id != self.id);
        }
    }
}

/// A result [`prepare`]d on the background thread.
pub struct Prepared<T> {
    state: Arc<(Mutex<Job<T>>, Condvar)>,
}

enum Job<T> {
    Waiting(Box<dyn FnOnce() -> T + Send>),
    Running,
    Done(T),
    /// It panicked on the background thread: the taker panics with it.
    Panicked(Box<dyn std::any::Any + Send>),
    Taken,
}

/// Starts `job` on the background thread; [`Prepared::take`] gives its
/// result, running it there and then if the thread has not begun it (so
/// a busy thread or a busy machine never makes the caller wait longer
/// than the job takes).
pub fn prepare<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Prepared<T> {
    let state = Arc::new((Mutex::new(Job::Waiting(Box::new(job))), Condvar::new()));
    if let Ok(shared) = shared() {
        let theirs = state.clone();
        lock(&shared.jobs).push(Box::new(move || {
            let mut state = lock(&theirs.0);
            let job = match std::mem::replace(&mut *state, Job::Running) {
                Job::Waiting(job) => job,
                // The taker ran it.
                taken => {
                    *state = taken;
                    return;
                }
            };
            drop(state);
            // A panic must not end the thread (it ticks and waits for
            // signals): it goes to whoever takes the result.
            *lock(&theirs.0) = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
                Ok(done) => Job::Done(done),
                Err(panic) => Job::Panicked(panic),
            };
            theirs.1.notify_all();
        }));
        let _ = (&shared.wake).write(&[0]);
    }
    Prepared { state }
}

impl<T> Prepared<T> {
    /// The job's result.
    pub fn take(self) -> T {
        let (job, done) = &*self.state;
        let mut job = lock(job);
        loop {
            match std::mem::replace(&mut *job, Job::Taken) {
                Job::Waiting(work) => {
                    drop(job);
                    return work();
                }
                Job::Done(result) => return result,
                Job::Panicked(panic) => std::panic::resume_unwind(panic),
                Job::Running => {
                    *job = Job::Running;
                    job = done.wait(job).unwrap_or_else(|p| p.into_inner());
                }
                Job::Taken => unreachable!("a prepared result is taken once"),
            }
        }
    }
}

/// Hands `signals` to `handler` on the background thread from now on
/// (their default action, ending the process, no longer happens). Call
/// once.
pub fn on_signals(signals: &[i32], handler: fn(i32)) -> std::io::Result<()> {
    let shared = shared()?;
    if shared.handler.set(handler).is_err() {
        return Err(std::io::Error::other("signal handler already set"));
    }
    for &signal in signals {
        // Actions run in the order registered: the number is stored
        // before the byte wakes the thread.
        let number = shared.signal.clone();
        // Safety: the action only stores to an atomic, which is
        // async-signal-safe.
        unsafe {
            signal_hook::low_level::register(signal, move || {
                number.store(signal, Ordering::SeqCst);
            })?;
        }
        signal_hook::low_level::pipe::register(signal, shared.wake.try_clone()?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use wasmtime::{Config, Instance, Module, Store, Trap};

    /// `(module (func (export "spin") (loop (br 0))))`
    const SPIN: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type () -> ()
        0x03, 0x02, 0x01, 0x00, // one function of it
        0x07, 0x08, 0x01, 0x04, b's', b'p', b'i', b'n', 0x00, 0x00, // export
        0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // loop
    ];

    fn spin_until_interrupted(engine: &Engine, ticks: u64) -> Duration {
        let module = Module::new(engine, SPIN).unwrap();
        let mut store = Store::new(engine, ());
        store.set_epoch_deadline(ticks);
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let spin = instance
            .get_typed_func::<(), ()>(&mut store, "spin")
            .unwrap();
        let started = Instant::now();
        let e = spin.call(&mut store, ()).unwrap_err();
        assert_eq!(e.downcast_ref::<Trap>(), Some(&Trap::Interrupt));
        started.elapsed()
    }

    #[test]
    fn a_prepared_result_comes_from_the_thread_or_from_the_taker() {
        let prepared: Vec<Prepared<u64>> = (0..50).map(|n| prepare(move || n * 2)).collect();
        let results: Vec<u64> = prepared.into_iter().map(Prepared::take).collect();
        assert_eq!(results, (0..50).map(|n| n * 2).collect::<Vec<_>>());
        // Left alone, a job is done on the background thread.
        let named = prepare(|| std::thread::current().name().map(str::to_owned));
        let waited = Instant::now();
        while !matches!(*lock(&named.state.0), Job::Done(_)) {
            assert!(waited.elapsed() < Duration::from_secs(10), "never begun");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(named.take().as_deref(), Some("ocipipe-background"));
    }

    #[test]
    fn a_panic_in_a_prepared_job_reaches_the_taker_and_spares_the_thread() {
        let doomed = prepare(|| -> u8 { panic!("prepared to fail") });
        std::thread::sleep(Duration::from_millis(20));
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doomed.take()));
        assert!(panic.is_err());
        let engine = Engine::new(Config::new().epoch_interruption(true)).unwrap();
        let _ticking = ticking(&engine).unwrap();
        spin_until_interrupted(&engine, 2);
    }

    #[test]
    fn engines_tick_at_once_while_their_guards_live() {
        let engines: Vec<Engine> = (0..3)
            .map(|_| Engine::new(Config::new().epoch_interruption(true)).unwrap())
            .collect();
        let guards: Vec<Ticking> = engines.iter().map(|e| ticking(e).unwrap()).collect();
        std::thread::scope(|s| {
            for engine in &engines {
                s.spawn(|| {
                    let took = spin_until_interrupted(engine, 4);
                    // Four ticks, and room for a loaded machine.
                    assert!(took >= EPOCH_TICK * 3, "{took:?}");
                    assert!(took < Duration::from_secs(10), "{took:?}");
                });
            }
        });
        let ids: Vec<u64> = guards.iter().map(|g| g.id).collect();
        drop(guards);
        let engines = lock(&shared().unwrap().engines);
        assert!(engines.iter().all(|(id, _)| !ids.contains(id)));
    }
}
