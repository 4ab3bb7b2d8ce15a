//! End-to-end tests: the real `ocipipe` binary, the real components in
//! wasmtime, a real Docker Engine (started by `scripts/services`, which
//! `just test` wraps around this binary). One module per area.

mod harness;

mod bad_archives;
mod build;
mod cache;
mod engine;
mod refs;
mod sandbox;
