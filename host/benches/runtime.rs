//! In-process costs of the runtime: instantiate + call of the tagging
//! component (fresh store per call, as every call runs), and loading a
//! component from a warm compile cache vs compiling it.

use criterion::{Criterion, criterion_group, criterion_main};
use ocipipe::runtime::{CompileCache, Limits, Runtime, Source, Tagging};
use std::hint::black_box;
use std::sync::Arc;

fn instantiate_and_call(c: &mut Criterion) {
    let runtime = Arc::new(Runtime::new(Limits::default(), None).unwrap());
    let tagging = runtime.load::<Tagging>(&Source::Builtin).unwrap();
    c.bench_function(
        "tagging: instantiate + parse-normalized-named(ubuntu)",
        |b| b.iter(|| black_box(tagging.parse_normalized_named(black_box("ubuntu")).unwrap())),
    );
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
