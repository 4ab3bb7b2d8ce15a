//! The WIT `types` interface in Rust, written here instead of generated so
//! that a record with a `model` type of the same shape crosses the sandbox
//! as that type; wasmtime checks them against the component's WIT when a
//! function is looked up.
//!
//! Mapped onto `model`: `digest` (`model::Digest`, validated as it is
//! lifted out of a component), `reference`, `platform`, `descriptor` and
//! `document`. Only `error` is written here: it is how a component refuses,
//! which the runtime turns into its own [`crate::runtime::Error`].
//!
//! Must not: differ from `wit/types.wit`; a field or case out of step
//! fails the call, naming the function.

use wasmtime::component::{ComponentType, Lift, Lower};

/// WIT `error`: why an operation refused its input.
#[derive(Debug, Clone, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum Error {
    /// The reference grammar refused a reference.
    #[component(name = "invalid-reference")]
    InvalidReference(String),
    /// Another argument is malformed.
    #[component(name = "invalid-input")]
    InvalidInput(String),
    /// Well formed, but not something the component does.
    #[component(name = "unsupported")]
    Unsupported(String),
    /// Larger than the component accepts.
    #[component(name = "too-large")]
    TooLarge(String),
}
