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
//! The quickest start is `ocipipe component new OPERATION DIR`: a crate on
//! this crate and the operation's core crate (`ocipipe-tagging-core`,
//! `ocipipe-tar-assembly-core`, `ocipipe-manifest-generation-core`,
//! `ocipipe-privileges-core`), whose every function delegates to the
//! built-in, and `ocipipe component build` builds it with what the machine
//! has (rustup's `wasm32-wasip2` target, else Debian's `rustc-web` with
//! `-Z build-std`).
//!
//! By hand: depend on this crate and on `wit-bindgen` 0.63 (features
//! `macros`, `realloc`), make the crate a `cdylib`, put the WIT (this
//! crate's `wit/` directory holds the version it was released with) next
//! to it, and generate the world's bindings with the shared interfaces
//! taken from here (`with` lists only interfaces the world uses). Build
//! with `cargo build --release --target wasm32-wasip2`.
//!
//! A `privileges` component that asks for nothing:
//!
//! ```
//! mod bindings {
//!     wit_bindgen::generate!({
//!         path: "wit",
//!         world: "privileges",
//!         with: { "ocipipe:image/types@0.3.0": ocipipe_sdk::types },
//!     });
//! }
//!
//! use bindings::exports::ocipipe::image::plugins::{Grants, Guest, Privilege};
//! use ocipipe_sdk::{Descriptor, Document, Error};
//!
//! struct AsksForNothing;
//!
//! impl Guest for AsksForNothing {
//!     fn compute_privileges(plugin_config: String) -> Result<Vec<Privilege>, Error> {
//!         serde_json::from_str::<serde_json::Value>(&plugin_config)
//!             .map_err(|e| Error::invalid(format!("the plugin config is not JSON: {e}")))?;
//!         Ok(Vec::new())
//!     }
//!
//!     // A function of the world the component does not do is refused,
//!     // and `plugin build` reports that refusal.
//!     fn plugin_config(_context_config: String, _rootfs_diff_id: String) -> Result<Document, Error> {
//!         Err(Error::Unsupported("this component does not write plugin configs".into()))
//!     }
//!
//!     fn why_not_a_plugin(_config: Descriptor) -> Option<String> {
//!         None
//!     }
//!
//!     // A name grants every privilege of that name.
//!     fn judge_privileges(asked: Vec<Privilege>, grants: Grants) -> Vec<bool> {
//!         asked
//!             .iter()
//!             .map(|p| match &grants {
//!                 Grants::All => true,
//!                 Grants::Names(names) => names.contains(&p.name),
//!             })
//!             .collect()
//!     }
//! }
//!
//! bindings::export!(AsksForNothing with_types_in bindings);
//! ```
//!
//! The guest logic is best kept in a plain crate over these types, tested
//! natively, with the `cdylib` only implementing the world's traits by
//! calling it, as the built-in components do (`<operation>-core` and
//! `ocipipe-<operation>`). Generate the world's bindings once, in the plain
//! crate, so that each WIT type has one Rust definition that its logic and
//! the component share:
//!
//! ```text
//! // my-core/src/wit.rs, `pub mod wit;` in my-core's lib.rs
//! wit_bindgen::generate!({
//!     path: "../wit",
//!     world: "tar-assembly",
//!     with: {
//!         "ocipipe:image/types@0.3.0": ocipipe_sdk::types,
//!         "ocipipe:image/plans@0.3.0": ocipipe_sdk::plans,
//!         // A record or variant of the world may be the crate's own type.
//!         "ocipipe:image/archives@0.3.0/archive-image": crate::ArchiveImage,
//!     },
//!     additional_derives: [PartialEq, Eq],
//!     pub_export_macro: true,
//!     default_bindings_module: "my_core::wit",
//! });
//!
//! // the cdylib's lib.rs: no `generate!`, no conversion
//! use my_core::wit::exports::ocipipe::image::archives;
//! struct MyComponent;
//! impl archives::Guest for MyComponent { /* each function calls my_core */ }
//! my_core::wit::export!(MyComponent);
//! ```
//!
//! - The plain crate's logic works on the generated types where it has no
//!   type of its own, and on every WIT enum: `wit-bindgen` lifts an enum
//!   through a hidden function only the type it generated has, so a
//!   hand-written enum cannot stand for a WIT enum, while a generated one
//!   serves everywhere. Generated types derive `Clone`, their own `Debug`
//!   (`EntryKind::Regular`, not `Regular`: don't put it in messages) and,
//!   enums, `Copy`, `PartialEq`, `Eq`, `PartialOrd`, `Ord`;
//!   `additional_derives` adds more, e.g. `PartialEq` to records.
//! - Its own records and variants stand for the world's WIT types through
//!   `with` when they have exactly the WIT's fields and cases. Such a type
//!   must keep that shape: no extra field, no `#[non_exhaustive]`
//!   (`tests/wit_shapes.rs` checks this crate's).
//! - `pub_export_macro` lets the `cdylib` use the plain crate's `export!`,
//!   which also writes the description of the component's exports into the
//!   `cdylib` (the plain crate's own describes no export, so depending on it
//!   exports nothing by itself). Natively, the export glue is generic code
//!   nothing instantiates: the plain crate builds and tests as any crate.
//!
//! # Versions and API stability
//!
//! This crate is released with ocipipe, at ocipipe's version, and bundles
//! the WIT of the `ocipipe:image` version it describes (`wit/`, today
//! `0.3.0`). Stable: [`types`] and [`plans`], the Rust types of the shared
//! WIT interfaces of that version (their fields and cases change only with
//! a new WIT version, and then with a new minor version of this crate), and
//! what [`digest`], [`media_type`] and [`json`] compute (go-digest's rules,
//! Go's `encoding/json` bytes), which only gains items. Error message texts
//! are not part of the API. `ocipipe component new` pins an exact version
//! (`=X.Y.Z`).

#![warn(missing_docs)]

pub mod digest;
pub mod json;
pub mod media_type;
pub mod plans;
pub mod types;

pub use plans::{BlobRef, FileRef, Segment};
pub use types::{Annotation, Descriptor, Digest, Document, Error, Platform, Reference};
