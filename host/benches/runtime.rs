//! In-process costs of the runtime: instantiate + call of each operation's
//! cheapest function (a fresh instance per call, as every call runs; goal
//! <= 10 us), the same from several threads at once, and loading a
//! component from a warm compile cache vs compiling it.

use criterion::{Criterion, criterion_group, criterion_main};
use ocipipe::model::{ImageStore, LayerCompression};
use ocipipe::runtime::{
    CompileCache, Limits, ManifestGeneration, Privileges, Runtime, Source, Tagging, TarAssembly,
};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn instantiate_and_call(c: &mut Criterion) {
    let runtime = Arc::new(Runtime::new(Limits::default(), None).unwrap());
    let tagging = runtime.load::<Tagging>(&Source::Builtin).unwrap();
    let tar = runtime.load::<TarAssembly>(&Source::Builtin).unwrap();
    let manifests = runtime
        .load::<ManifestGeneration>(&Source::Builtin)
        .unwrap();
    let privileges = runtime.load::<Privileges>(&Source::Builtin).unwrap();
    let mut group = c.benchmark_group("instantiate + call");
    group.bench_function("tagging parse(ubuntu)", |b| {
        b.iter(|| black_box(tagging.parse(black_box("ubuntu")).unwrap()))
    });
    group.bench_function("tagging parse-normalized-named(ubuntu)", |b| {
        b.iter(|| black_box(tagging.parse_normalized_named(black_box("ubuntu")).unwrap()))
    });
    group.bench_function("tar-assembly omits-layers(containerd)", |b| {
        b.iter(|| black_box(tar.omits_layers(black_box(ImageStore::Containerd)).unwrap()))
    });
    group.bench_function("manifest-generation base-layer-as-stored(gzip)", |b| {
        b.iter(|| {
            black_box(
                manifests
                    .base_layer_as_stored(black_box(LayerCompression::Gzip))
                    .unwrap(),
            )
        })
    });
    group.bench_function("privileges compute-privileges({})", |b| {
        b.iter(|| black_box(privileges.compute_privileges(black_box("{}")).unwrap()))
    });
    // Sync copies call from several threads: the wall time per call with 4
    // threads calling at once (throughput; below the one-thread time on
    // 2 or more cores).
    group.bench_function("tagging parse(ubuntu), 4 threads", |b| {
        b.iter_custom(|iters| on_threads(4, iters, || tagging.parse("ubuntu").unwrap()))
    });
    group.finish();
}

/// Runs `call` `iters` times spread over `threads` threads at once; the
/// wall time.
fn on_threads<R>(threads: u64, iters: u64, call: impl Fn() -> R + Sync) -> Duration {
    let each = iters.div_ceil(threads);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..each {
                    black_box(call());
                }
            });
        }
    });
    start.elapsed()
}

fn load(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let cached =
        Arc::new(Runtime::new(Limits::default(), Some(CompileCache::new(dir.path()))).unwrap());
    cached.load::<Tagging>(&Source::Builtin).unwrap();
    let mut group = c.benchmark_group("load tagging");
    group.sample_size(20);
    group.bench_function("cache hit", |b| {
        b.iter(|| black_box(cached.load::<Tagging>(&Source::Builtin).unwrap()))
    });
    let uncached = Arc::new(Runtime::new(Limits::default(), None).unwrap());
    group.bench_function("compile (miss)", |b| {
        b.iter(|| black_box(uncached.load::<Tagging>(&Source::Builtin).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, instantiate_and_call, load);
criterion_main!(benches);
