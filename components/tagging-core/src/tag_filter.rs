//! Which of a repository's tags a sync entry selects: the WIT
//! `tag-filter` checked ([`check_tag_filter`]) and applied
//! ([`select_tags`]), as the `tags` interface of `wit/tagging.wit` says.
//!
//! Patterns compile under a size limit ([`PATTERN_SIZE_LIMIT`]), the
//! patterns of `allow` and of `deny` each into one set under the same
//! limit, so that however many or however hostile the patterns, the
//! component's memory stays a few MiB. They compile without Unicode
//! (tags are ASCII; `\d` and `\w` are ASCII's, as in Go's RE2), against
//! bytes, with `regex`'s optional engines and tables left out: the
//! component grows by about 300 KB instead of 900 KB, and a few thousand
//! tags of at most 128 characters need no faster engine. Versions are the
//! `semver` crate's (the one cargo uses); a tag becomes one by
//! [`tag_version`].

use std::cmp::Reverse;
use std::collections::HashSet;

use regex::bytes::{RegexSet, RegexSetBuilder};
use semver::{BuildMetadata, Prerelease, Version, VersionReq};

pub use crate::wit::exports::ocipipe::image::tags::{FilterError, FilterField, TagFilter};

/// The most a compiled pattern (and each of the `allow` and `deny` sets)
/// may take, in bytes of its automaton (and of a lazy DFA's cache, were
/// that engine built in): far above what a pattern over tags needs
/// (`^v?\d+\.\d+$` takes well under a KiB), far below the component's
/// memory.
pub const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// A filter whose every part compiled.
struct Compiled {
    allow: Option<RegexSet>,
    deny: Option<RegexSet>,
    range: Option<VersionReq>,
    versions_only: bool,
    latest: Option<usize>,
}

/// Refuses a filter that cannot be applied, naming its first faulty part.
/// See the WIT `check-tag-filter`.
pub fn check_tag_filter(filter: &TagFilter) -> Result<(), FilterError> {
    compile(filter).map(drop)
}

/// The tags of `tags` that `filter` selects, in their order, each once.
/// See the WIT `select-tags`.
pub fn select_tags(tags: &[String], filter: &TagFilter) -> Result<Vec<String>, FilterError> {
    let compiled = compile(filter)?;
    let mut seen = HashSet::new();
    // (index in `tags`, version if the filter needs one)
    let mut kept: Vec<(usize, Option<Version>)> = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        if !seen.insert(tag.as_str()) || !compiled.by_pattern(tag) {
            continue;
        }
        if !compiled.versions_only {
            kept.push((i, None));
            continue;
        }
        let Some(version) = tag_version(tag) else {
            continue;
        };
        if compiled.range.as_ref().is_none_or(|r| r.matches(&version)) {
            kept.push((i, Some(version)));
        }
    }
    if let Some(n) = compiled.latest {
        keep_highest(&mut kept, tags, n);
    }
    Ok(kept.into_iter().map(|(i, _)| tags[i].clone()).collect())
}

/// Keeps the `n` highest versions of `kept` (each with a version), ties
/// ranked by the tag text, the greater first; `kept` stays in input order.
fn keep_highest(kept: &mut Vec<(usize, Option<Version>)>, tags: &[String], n: usize) {
    if kept.len() <= n {
        return;
    }
    let mut ranked: Vec<usize> = (0..kept.len()).collect();
    ranked.sort_by_key(|&k| Reverse((kept[k].1.as_ref(), tags[kept[k].0].as_str())));
    let mut top = vec![false; kept.len()];
    for &k in &ranked[..n] {
        top[k] = true;
    }
    let mut k = 0;
    kept.retain(|_| {
        k += 1;
        top[k - 1]
    });
}

impl Compiled {
    /// Whether `tag` matches some `allow` pattern (or there is none) and
    /// no `deny` pattern.
    fn by_pattern(&self, tag: &str) -> bool {
        self.allow
            .as_ref()
            .is_none_or(|set| set.is_match(tag.as_bytes()))
            && self
                .deny
                .as_ref()
                .is_none_or(|set| !set.is_match(tag.as_bytes()))
    }
}

/// Every part of `filter` compiled, or the first that does not.
fn compile(filter: &TagFilter) -> Result<Compiled, FilterError> {
    let allow = patterns(&filter.allow, FilterField::Allow)?;
    let deny = patterns(&filter.deny, FilterField::Deny)?;
    let range = filter
        .semver
        .as_deref()
        .map(|range| {
            VersionReq::parse(range.trim()).map_err(|e| FilterError {
                field: FilterField::Semver,
                message: format!("{range:?} is not a semver range: {e}"),
            })
        })
        .transpose()?;
    let latest = match filter.latest {
        Some(0) => {
            return Err(FilterError {
                field: FilterField::Latest,
                message: "latest must be at least 1".into(),
            });
        }
        latest => latest.map(|n| n as usize),
    };
    Ok(Compiled {
        allow,
        deny,
        versions_only: range.is_some() || latest.is_some(),
        range,
        latest,
    })
}

/// `patterns` compiled into one set (none when empty), each first on its
/// own so that a fault names its index (`field(index)`).
fn patterns(
    patterns: &[String],
    field: fn(u32) -> FilterField,
) -> Result<Option<RegexSet>, FilterError> {
    let refused = |index: usize, message: String| FilterError {
        field: field(u32::try_from(index).unwrap_or(u32::MAX)),
        message,
    };
    for (index, pattern) in patterns.iter().enumerate() {
        limited(std::slice::from_ref(pattern)).map_err(|e| {
            refused(
                index,
                format!("{pattern:?} is not a usable regex: {}", why(&e)),
            )
        })?;
    }
    if patterns.is_empty() {
        return Ok(None);
    }
    limited(patterns).map(Some).map_err(|e| {
        refused(
            patterns.len() - 1,
            format!(
                "the {} patterns together are too big to use ({}): use fewer or simpler ones",
                patterns.len(),
                why(&e)
            ),
        )
    })
}

/// `patterns` as one set, within [`PATTERN_SIZE_LIMIT`].
fn limited(patterns: &[String]) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(patterns)
        .unicode(false)
        .size_limit(PATTERN_SIZE_LIMIT)
        .dfa_size_limit(PATTERN_SIZE_LIMIT)
        .build()
}

/// What is wrong with a pattern, on one line: the parser's `error:`
/// lines without the drawing of the pattern that precedes them.
fn why(e: &regex::Error) -> String {
    let text = e.to_string();
    let errors: Vec<&str> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("error: "))
        .collect();
    if errors.is_empty() {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        errors.join("; ")
    }
}

/// The version `tag` is, if it is one: after an optional leading `v`,
/// `MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]`, a missing MINOR or PATCH being
/// 0. Numbers are decimal digits (leading zeros allowed, as date-like tags
/// such as `2024.01.15` have them); PRE and BUILD are semver's.
pub fn tag_version(tag: &str) -> Option<Version> {
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let (rest, build) = match tag.split_once('+') {
        Some((rest, build)) if !build.is_empty() => (rest, BuildMetadata::new(build).ok()?),
        Some(_) => return None,
        None => (tag, BuildMetadata::EMPTY),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) if !pre.is_empty() => (core, Prerelease::new(pre).ok()?),
        Some(_) => return None,
        None => (rest, Prerelease::EMPTY),
    };
    let mut numbers = [0u64; 3];
    let mut parts = core.split('.');
    for (slot, part) in numbers.iter_mut().zip(parts.by_ref()) {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    let [major, minor, patch] = numbers;
    Some(Version {
        pre,
        build,
        ..Version::new(major, minor, patch)
    })
}
