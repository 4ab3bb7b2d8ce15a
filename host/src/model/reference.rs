//! An image reference as the tagging component decided it.

use serde::Serialize;

/// A parsed and validated image reference. Only the tagging component makes
/// these; the host never parses a reference itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    pub digest: Option<String>,
    /// The whole reference, `String()`.
    pub full: String,
    /// The familiar form, `FamiliarString()`.
    pub familiar: String,
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.full)
    }
}
