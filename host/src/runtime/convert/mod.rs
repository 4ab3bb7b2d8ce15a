//! The conversions between `model` types and the few WIT records whose
//! `model` type has another shape (a layout's `segment`, a manifest's
//! contents), one submodule per world. Every other record crosses the
//! sandbox as its `model` type: the shared `types` interface through
//! bindgen `with` (`bindings::types`), a world's own records as the
//! parameters and answers of typed calls (`bound::Bound::answer`).
//!
//! A conversion only moves fields: whether an answer keeps its world's
//! contract is `checked`'s to say, after the conversion.
//!
//! Must not: call components, check answers, or decide anything a
//! component decides.

pub(super) mod manifest_generation;
pub(super) mod tar_assembly;
