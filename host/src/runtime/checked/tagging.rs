//! What an answer of the `tagging` world's `tags` interface must be given
//! its question: a refusal names a part the filter has, and the tags
//! selected are some of the tags given, each once, in their order.

use super::Origin;
use crate::model::{FilterError, FilterField, TagFilter, one_line};
use crate::runtime::Error;
use std::collections::HashSet;

/// A filter refused about a part it has: an `allow` or `deny` index within
/// its list, a `semver` or `latest` it gives.
pub(in crate::runtime) fn refusal<T>(
    at: Origin<'_>,
    filter: &TagFilter,
    answer: Result<T, FilterError>,
) -> Result<Result<T, FilterError>, Error> {
    let Err(refused) = &answer else {
        return Ok(answer);
    };
    let has = match refused.field {
        FilterField::Allow(i) => (i as usize) < filter.allow.len(),
        FilterField::Deny(i) => (i as usize) < filter.deny.len(),
        FilterField::Semver => filter.semver.is_some(),
        FilterField::Latest => filter.latest.is_some(),
    };
    if !has {
        return Err(at.contract(format!(
            "refused the filter's {}, which it does not have",
            refused.field
        )));
    }
    Ok(answer)
}

/// The tags a filter selected: each one of `tags`, once, in the order of
/// `tags` (or a refusal, as [`refusal`] checks it).
pub(in crate::runtime) fn selected(
    at: Origin<'_>,
    tags: &[String],
    filter: &TagFilter,
    answer: Result<Vec<String>, FilterError>,
) -> Result<Result<Vec<String>, FilterError>, Error> {
    let selected = match refusal(at, filter, answer)? {
        Ok(selected) => selected,
        refused => return Ok(refused),
    };
    let given: HashSet<&str> = tags.iter().map(String::as_str).collect();
    let mut once = HashSet::new();
    // `rest`: the tags given after the last one selected.
    let mut rest = tags.iter();
    for tag in &selected {
        let why = if !given.contains(tag.as_str()) {
            "which it was not given"
        } else if !once.insert(tag.as_str()) {
            "twice"
        } else if !rest.any(|t| t == tag) {
            "out of the order of the tags given"
        } else {
            continue;
        };
        return Err(at.contract(format!("selected the tag {} {why}", shown(tag))));
    }
    Ok(Ok(selected))
}

/// A tag a component answered, as an error shows it: on one line, cut.
fn shown(tag: &str) -> String {
    format!("{:?}", one_line(&tag.chars().take(130).collect::<String>()))
}
