//! The shared guest crate of ocipipe components, and what a third party
//! depends on to write one.
//!
//! An ocipipe component is a WebAssembly component that implements one of the
//! worlds of the WIT package `ocipipe:image` (`tagging`, `tar-assembly`,
//! `manifest-generation`, `privileges`). It is pure: it receives plain values
//! and returns a decision (a name, a document, a plan), and the host does
//! every byte of I/O. This crate gives it:
//!
//! - [`types`] and [`plans`]: the Rust types of the shared WIT interfaces
//!   `types` (descriptor, platform, document, reference, annotation, error)
//!   and `plans` (segments). They are the types `wit-bindgen` lifts and
//!   lowers, so one Rust type stands for one WIT type in every component
//!   and nothing is converted at the boundary;
//! - [`digest`]: go-digest's validation rules and messages, and the sha256
//!   digest of bytes;
//! - [`media_type`]: the shape of a media type;
//! - [`json`]: JSON written byte for byte as Go's `encoding/json` writes it,
//!   so a document has the digest the Go peers would give it.
//!
//! # Writing a component
//!
//! Depend on this crate and on `wit-bindgen` 0.63 (features `macros`,
//! `realloc`), make the crate a `cdylib`, copy the `wit/` directory of
//! ocipipe next to it, and generate the world's bindings with the shared
//! interfaces taken from here (`with` lists only interfaces the world
//! uses). Build with `cargo build --release --target wasm32-wasip2`.
//!
//! A `privileges` component that asks for nothing:
//!
//! ```
//! mod bindings {
//!     wit_bindgen::generate!({
//!         path: "../../wit",
//!         world: "privileges",
//!         with: { "ocipipe:image/types@0.1.0": ocipipe_sdk::types },
//!     });
//! }
//!
//! use bindings::exports::ocipipe::image::plugins::{Guest, Privilege};
//! use ocipipe_sdk::Error;
//!
//! struct AsksForNothing;
//!
//! impl Guest for AsksForNothing {
//!     fn compute_privileges(plugin_config: String) -> Result<Vec<Privilege>, Error> {
//!         serde_json::from_str::<serde_json::Value>(&plugin_config)
//!             .map_err(|e| Error::invalid(format!("the plugin config is not JSON: {e}")))?;
//!         Ok(Vec::new())
//!     }
//! }
//!
//! bindings::export!(AsksForNothing with_types_in bindings);
//! ```
//!
//! The guest logic is best kept in a plain crate over these types, tested
//! natively, with the `cdylib` only delegating to it.

#![warn(missing_docs)]

pub mod digest;
pub mod json;
pub mod media_type;
pub mod plans;
pub mod types;

pub use plans::{BlobRef, FileRef, Segment};
pub use types::{Annotation, Descriptor, Digest, Document, Error, Platform, Reference};
