//! The decisions of the `tar-assembly` operation, as plans: pure functions
//! with no I/O, no clock and no randomness, so the same input always gives
//! the same bytes.
//!
//! A plan is a list of [`Segment`]s (the SDK's, the WIT `plans` type): bytes
//! this crate produced (tar headers, padding, small JSON documents) and
//! references to big contents the host streams itself (a file of the layer
//! directory, a blob by digest). The host writes the segments in order;
//! nothing else goes between them. Two `Bytes` segments are never adjacent
//! in a plan: they are coalesced.
//!
//! - [`plan_layer`]: the tar stream of one layer from the entries of a
//!   directory, sorted and normalised (see [`layer`]).
//! - [`blob_entry`], [`plan_archive`]: an image archive that `docker load`
//!   reads, optionally also an OCI image layout, or an OCI image layout
//!   alone in a tar (see [`archive`]); [`layers_to_omit`]: which layers an
//!   incremental load leaves out.
//! - [`plan_changeset`]: how one layer tar changes the file system below it
//!   when unpacked (see [`changeset`]).
//!
//! The world's bindings are generated here ([`wit`]): the WIT enums and the
//! records holding one ([`Entry`], [`Member`]) are the generated types, the
//! other records and variants this crate's own.
//!
//! Tar headers are written the way Go's `archive/tar` writes them (the
//! library the Docker Engine, containerd and most registry tools read and
//! write archives with): ustar when every field fits, otherwise a PAX
//! extended header first (see [`header`]).
//!
//! # Versions and API stability
//!
//! This crate is released with ocipipe, at ocipipe's version, and bundles
//! the WIT of the `ocipipe:image` version it implements (`wit/`, today
//! `0.3.0`). What stays put:
//!
//! - the [`wit`] module: the world's bindings (generated with
//!   `pub_export_macro`, so a component can implement the world with this
//!   crate's `Guest` traits and [`wit::export!`](crate::wit::export)). The
//!   imported interfaces (the next implementation of the operation) and the
//!   exported ones share their Rust types, so a component that delegates
//!   returns the import's answer unchanged. These types change only with a
//!   new WIT version, and then with a new minor version of this crate;
//! - the types `with` maps WIT types to (named in [`wit`]).
//!
//! Everything else (the pure functions, their helper types, error texts
//! beyond what the WIT documents) is the built-in component's logic,
//! exported for reuse, and may change in any release: depend on an exact
//! version (`=X.Y.Z`), as `ocipipe component new` does.

pub mod archive;
pub mod changeset;
pub mod header;
pub mod layer;
mod plan;
pub mod wit;

pub use archive::{
    ArchiveFormat, ArchiveImage, ArchiveLayer, BlobHead, BlobPlacement, ImageStore, WrittenBlob,
    blob_entry, layers_to_omit, omits_layers, plan_archive,
};
pub use changeset::{Change, Member, MemberKind, plan_changeset};
pub use layer::{Entry, EntryKind, LayerOptions, plan_layer};
pub use ocipipe_sdk::{BlobRef, Descriptor, Document, Error, FileRef, Platform, Segment};
