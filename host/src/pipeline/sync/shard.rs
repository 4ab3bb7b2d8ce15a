//! `--shard I/N`: which part of a sync one of N machines takes, with no
//! coordinator: every machine reads the same file, lists the same target
//! repositories, sorts them and takes every N-th from the I-th. A whole
//! repository goes to one machine, so that the images sharing its blobs
//! are copied (and mounted) by one run.

use std::collections::BTreeSet;
use std::fmt;

/// One part of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which part, from 0 (a Kubernetes Indexed Job's
    /// `JOB_COMPLETION_INDEX`, an Argo `withSequence` item).
    pub index: usize,
    /// How many parts.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// `I/N` with `0 <= I < N`.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not a shard: write I/N, e.g. 0/3 (I from 0 to N-1)");
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = index.trim().parse().map_err(|_| bad())?;
        let count: usize = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(format!(
                "{text:?} is not a shard: I must be below N and N at least 1 (0/{} to {}/{})",
                count.max(1),
                count.max(1) - 1,
                count.max(1)
            ));
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The items of `all` this shard takes, in their order: those whose
    /// repository (by `repository`) is among this shard's of the sorted
    /// repositories of `all`.
    pub fn take<T>(&self, all: Vec<T>, repository: impl Fn(&T) -> String) -> Vec<T> {
        let repositories: BTreeSet<String> = all.iter().map(&repository).collect();
        let mine: BTreeSet<&String> = repositories
            .iter()
            .enumerate()
            .filter(|(i, _)| i % self.count == self.index)
            .map(|(_, r)| r)
            .collect();
        let mine: BTreeSet<String> = mine.into_iter().cloned().collect();
        all.into_iter()
            .filter(|item| mine.contains(&repository(item)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_from_zero() {
        assert_eq!(
            "1/3".parse::<Shard>().unwrap(),
            Shard { index: 1, count: 3 }
        );
        assert_eq!("0/1".parse::<Shard>().unwrap().to_string(), "0/1");
        for bad in ["3/3", "1/0", "a/2", "1", "-1/2", "1/2/3", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains("is not a shard"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_item_is_in_exactly_one_shard_and_a_repository_stays_whole() {
        let items: Vec<(String, u32)> = (0..40).map(|i| (format!("repo{}", i % 7), i)).collect();
        for count in 1..6 {
            let mut seen = Vec::new();
            for index in 0..count {
                let taken = Shard { index, count }.take(items.clone(), |(r, _)| r.clone());
                let repos: BTreeSet<String> = taken.iter().map(|(r, _)| r.clone()).collect();
                for repo in &repos {
                    assert_eq!(
                        taken.iter().filter(|(r, _)| r == repo).count(),
                        items.iter().filter(|(r, _)| r == repo).count(),
                        "{repo} split"
                    );
                }
                // Balanced by repositories: 7 over `count` parts.
                assert!(repos.len() <= 7usize.div_ceil(count));
                seen.extend(taken.into_iter().map(|(_, i)| i));
            }
            seen.sort();
            assert_eq!(seen, (0..40).collect::<Vec<_>>(), "{count} shards");
        }
    }
}
