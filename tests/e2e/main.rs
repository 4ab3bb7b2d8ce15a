//! End-to-end tests: the real `ocipipe` binary, the real components in
//! wasmtime, a real Docker Engine (started by `scripts/services`, which
//! `just test` wraps around this binary). Only what needs the engine is
//! here; the rest is in the `cli` test binary. One module per area.

#[path = "../harness.rs"]
mod harness;
#[path = "../hostile/mod.rs"]
mod hostile;

mod artifact;
mod bad_archives;
mod build;
mod build_from;
mod build_push;
mod engine;
mod engine_client;
mod examples;
mod guide;
mod hostile_io;
mod hostile_registry;
mod incremental;
mod kit;
mod plugin;
mod plugin_build;
mod plugin_install;
mod registry;
mod sync;
mod xattrs;
