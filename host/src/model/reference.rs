//! An image reference as the tagging component decided it.

use serde::Serialize;
use wasmtime::component::{ComponentType, Lift, Lower};

/// A parsed and validated image reference. Only the tagging component makes
/// these; the host never parses a reference itself. Also the WIT record
/// `reference`, which crosses the sandbox as this type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Reference {
    /// Repository name, `Name()`: e.g. `docker.io/library/ubuntu`.
    pub name: String,
    /// Registry host, empty for a non-normalised name without one.
    pub domain: String,
    /// Repository path within the domain.
    pub path: String,
    /// Tag, if any.
    pub tag: Option<String>,
    /// Digest, if any, in full: `sha256:<64 hex>`.
    pub digest: Option<super::Digest>,
    /// The whole reference, `String()`.
    pub full: String,
    /// The familiar form, `FamiliarString()`.
    pub familiar: String,
}

impl Reference {
    /// What a registry's `/manifests/` is asked for or put under, Go
    /// `Identifier()`: the digest when the reference has one, else the tag.
    /// `None` for a bare name: the default tag is the tagging component's
    /// decision (`normalize-with-default-tag`), never made here.
    pub fn identifier(&self) -> Option<String> {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => Some(digest.to_string()),
            (None, Some(tag)) => Some(tag.clone()),
            (None, None) => None,
        }
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.full)
    }
}

/// What a name-or-ID argument for the Docker Engine denotes, as the tagging
/// component decided (Go `ParseAnyReference`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum AnyReference {
    /// An image ID.
    #[component(name = "id")]
    Id(super::Digest),
    /// An image name, normalised, without a default tag.
    #[component(name = "named")]
    Named(Reference),
}

impl AnyReference {
    /// What the engine is given: the ID, or the name's familiar form (which
    /// the engine normalises back to the same name, and which still matches
    /// a short image-ID prefix as the engine's own lookup allows).
    pub fn for_engine(&self) -> &str {
        match self {
            AnyReference::Id(digest) => digest.as_str(),
            AnyReference::Named(reference) => &reference.familiar,
        }
    }
}
