//! The Rust side of the shared WIT `types` interface ([`types`]): how a
//! component's refusal crosses the sandbox. Every other record crosses as
//! its `model` type; wasmtime checks each against the component's own
//! types when a function is looked up (`bound`), so no bindings of the
//! worlds are generated: one Rust type stands for one WIT type in every
//! version the host speaks.
//!
//! Must not: be named outside `runtime`.

pub mod types;
