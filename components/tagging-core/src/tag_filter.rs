//! Which of a repository's tags a sync entry selects: the WIT
//! `tag-filter` checked ([`check_tag_filter`]) and applied
//! ([`select_tags`]), as the `tags` interface of `wit/tagging.wit` says.
//!
//! Patterns are `regex-lite`'s: the `regex` crate's syntax with classes
//! that are ASCII's only (tags are ASCII; `\d` and `\w` are ASCII's, as
//! in Go's RE2; a Unicode class is refused), one small engine, and a
//! component of about 100 KB more rather than 300 KB (every ocipipe
//! command loads this component, so its size is start time). A few
//! thousand tags of at most 128 characters need no faster engine.
//!
//! However many or however hostile the patterns, the component's memory
//! stays a few MiB: a pattern is at most [`PATTERN_LENGTH_LIMIT`] long
//! (its parse takes memory in proportion), nests at most [`NEST_LIMIT`]
//! deep, compiles within [`PATTERN_SIZE_LIMIT`], and the patterns of
//! `allow`, and those of `deny`, within [`PATTERNS_SIZE_LIMIT`] together.
//! Versions are the `semver` crate's (the one cargo uses); a tag becomes
//! one by [`tag_version`].

use std::cmp::Reverse;
use std::collections::HashSet;

use regex_lite::{Regex, RegexBuilder};
use semver::{BuildMetadata, Prerelease, Version, VersionReq};

pub use crate::wit::exports::ocipipe::image::tags::{FilterError, FilterField, TagFilter};

/// The longest a pattern may be, in bytes: far above what a pattern over
/// tags of at most 128 characters needs, even one listing a few hundred
/// of them; parsing it takes memory in proportion, before any size limit.
pub const PATTERN_LENGTH_LIMIT: usize = 8 << 10;

/// How deep groups may nest in a pattern: `regex-lite`'s default, which
/// keeps its recursive parser and compiler well within the component's
/// stack.
pub const NEST_LIMIT: u32 = 50;

/// The most a compiled pattern may take, in bytes of its automaton: far
/// above what a pattern over tags needs (`^v?\d+\.\d+$` takes well under
/// a KiB), far below the component's memory.
pub const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// The most the compiled patterns of `allow`, and those of `deny`, may
/// take together, each counted at its size class: the least power of two
/// from 1 KiB that its compiled size fits in.
pub const PATTERNS_SIZE_LIMIT: usize = 4 << 20;

/// The most of a pattern a message quotes.
const SHOWN: usize = 80;

/// The least a compiled pattern counts for.
const SMALLEST_CLASS: usize = 1 << 10;

/// A filter whose every part compiled.
struct Compiled {
    /// Empty: every tag is allowed.
    allow: Vec<Regex>,
    deny: Vec<Regex>,
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
        (self.allow.is_empty() || self.allow.iter().any(|r| r.is_match(tag)))
            && !self.deny.iter().any(|r| r.is_match(tag))
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

/// `patterns` compiled, each on its own so that a fault names its index
/// (`field(index)`); a sum too big names the last.
fn patterns(patterns: &[String], field: fn(u32) -> FilterField) -> Result<Vec<Regex>, FilterError> {
    let refused = |index: usize, message: String| FilterError {
        field: field(u32::try_from(index).unwrap_or(u32::MAX)),
        message,
    };
    let mut compiled = Vec::with_capacity(patterns.len());
    let mut total = 0usize;
    for (index, pattern) in patterns.iter().enumerate() {
        let (regex, size) = size_class(pattern).map_err(|why| {
            refused(
                index,
                format!("{} is not a usable regex: {why}", shown(pattern)),
            )
        })?;
        total = total.saturating_add(size);
        compiled.push(regex);
    }
    if total > PATTERNS_SIZE_LIMIT {
        return Err(refused(
            patterns.len() - 1,
            format!(
                "the {} patterns together are too big to use (up to {} KiB compiled, more than \
                 {} KiB): use fewer or simpler ones",
                patterns.len(),
                total >> 10,
                PATTERNS_SIZE_LIMIT >> 10
            ),
        ));
    }
    Ok(compiled)
}

/// `pattern` quoted for a message, its first [`SHOWN`] bytes when longer.
fn shown(pattern: &str) -> String {
    if pattern.len() <= SHOWN {
        return format!("{pattern:?}");
    }
    let cut = (0..=SHOWN)
        .rev()
        .find(|&i| pattern.is_char_boundary(i))
        .unwrap_or(0);
    format!("{:?}… ({} bytes)", &pattern[..cut], pattern.len())
}

/// `pattern` compiled, and its size class: the least power of two from
/// [`SMALLEST_CLASS`] to [`PATTERN_SIZE_LIMIT`] that its compiled size
/// fits in. `regex-lite` does not tell a regex's size, so it compiles
/// under growing limits: a compile over its limit stops there, so the
/// compiles cost about twice the last one, plus a parse each (at most 11,
/// of a short pattern). A pattern that does not
/// compile under the largest limit is refused with that compile's
/// message (a syntax error is found at every size).
fn size_class(pattern: &str) -> Result<(Regex, usize), String> {
    if pattern.len() > PATTERN_LENGTH_LIMIT {
        return Err(format!(
            "it is {} bytes long, more than the {PATTERN_LENGTH_LIMIT} a pattern may be",
            pattern.len()
        ));
    }
    let mut class = SMALLEST_CLASS;
    loop {
        let built = RegexBuilder::new(pattern)
            .size_limit(class)
            .nest_limit(NEST_LIMIT)
            .build();
        match built {
            Ok(regex) => return Ok((regex, class)),
            Err(_) if class < PATTERN_SIZE_LIMIT => class = (class * 2).min(PATTERN_SIZE_LIMIT),
            Err(e) => return Err(e.to_string()),
        }
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
