//! ocipipe: a WebAssembly-hosted pipeline of small container-image tools.
//!
//! The host owns all I/O (the Docker Engine, registries, files); each image
//! operation runs as a sandboxed WebAssembly component behind a WIT world
//! (see `wit/`). Modules: [`cli`] → [`pipeline`] → {[`runtime`], [`docker`],
//! [`registry`], [`store`]};
//! domain types in [`model`]; what several of those share beside it:
//! [`hashing`] (sha256 over streams: store's outputs, registry's uploads)
//! and [`tls`]; [`background`], the one thread that ticks runtimes' epochs
//! and waits for signals; [`conformance`], the vectors a component is tested with
//! against the built-in; the component author's kit ([`kit`]: `component
//! new`, `component build`).
#![warn(missing_docs)]

pub mod background;
pub mod cli;
pub mod conformance;
pub mod docker;
pub mod hashing;
pub mod kit;
pub mod model;
pub mod pipeline;
pub mod registry;
pub mod runtime;
pub mod store;
pub mod tls;
