//! A sync entry's tag filter and why one is refused: the WIT records of
//! the tagging world's `tags` interface. What a filter selects is the
//! tagging component's decision; nothing here applies one.

use wasmtime::component::{ComponentType, Lift, Lower};

/// Which of a repository's tags to select (the WIT `tag-filter`): those
/// matching some `allow` pattern (or any when there is none), no `deny`
/// pattern, the `semver` range, and among the `latest` highest versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct TagFilter {
    /// Regular expressions a tag must match one of; empty: every tag.
    pub allow: Vec<String>,
    /// Regular expressions a tag must match none of.
    pub deny: Vec<String>,
    /// A semver range (cargo's syntax) a tag's version must satisfy.
    pub semver: Option<String>,
    /// How many of the highest versions to keep, at least 1.
    pub latest: Option<u32>,
}

/// The part of a [`TagFilter`] a [`FilterError`] is about (the WIT
/// `filter-field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum FilterField {
    /// The pattern of `allow` at this index.
    #[component(name = "allow")]
    Allow(u32),
    /// The pattern of `deny` at this index.
    #[component(name = "deny")]
    Deny(u32),
    /// The `semver` range.
    #[component(name = "semver")]
    Semver,
    /// The `latest` count.
    #[component(name = "latest")]
    Latest,
}

/// Why the tagging component refused a [`TagFilter`] (the WIT
/// `filter-error`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct FilterError {
    /// The part refused.
    pub field: FilterField,
    /// Why, for a person.
    pub message: String,
}

impl std::fmt::Display for FilterField {
    /// As a key of the filter: `allow[0]`, `deny[2]`, `semver`, `latest`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilterField::Allow(i) => write!(f, "allow[{i}]"),
            FilterField::Deny(i) => write!(f, "deny[{i}]"),
            FilterField::Semver => f.write_str("semver"),
            FilterField::Latest => f.write_str("latest"),
        }
    }
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FilterError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_reads_as_the_filter_key_it_names() {
        assert_eq!(FilterField::Allow(0).to_string(), "allow[0]");
        assert_eq!(FilterField::Deny(2).to_string(), "deny[2]");
        assert_eq!(FilterField::Semver.to_string(), "semver");
        let e = FilterError {
            field: FilterField::Latest,
            message: "latest must be at least 1".into(),
        };
        assert_eq!(e.to_string(), "latest: latest must be at least 1");
    }
}
