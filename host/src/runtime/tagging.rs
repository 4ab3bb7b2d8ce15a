//! The tagging operation's wrapper: the reference grammar of
//! `distribution/reference`, target lists and unique tags (`naming`), and
//! which tags a sync entry selects (`tags`), called through the `tagging`
//! world.
//!
//! Must not: parse or check a reference itself, or apply a tag filter;
//! answers are checked in `checked`.

use super::Error;
use super::bound::{Bound, bind};
use super::checked::as_is;
use super::checked::tagging::{refusal, selected};
use super::operations::TAGGING;
use crate::model::{AnyReference, FilterError, Reference, TagFilter};

/// A loaded tagging component (built-in or third-party).
pub struct Tagging(Bound);

bind!(Tagging, TAGGING);

/// The exported interface of the reference grammar.
const NAMING: &str = "naming";

/// The exported interface of the tag filters.
const TAGS: &str = "tags";

impl Tagging {
    /// Go `Parse`: validated, not normalised.
    pub fn parse(&self, input: &str) -> Result<Reference, Error> {
        self.0.answer((NAMING, "parse"), (input,), as_is)
    }

    /// Go `ParseNormalizedNamed`.
    pub fn parse_normalized_named(&self, input: &str) -> Result<Reference, Error> {
        self.0
            .answer((NAMING, "parse-normalized-named"), (input,), as_is)
    }

    /// The name a push writes: normalised with the default tag; one with a
    /// digest is refused (a push writes a tag).
    pub fn push_target(&self, input: &str) -> Result<Reference, Error> {
        self.0.answer((NAMING, "push-target"), (input,), as_is)
    }

    /// `ParseNormalizedNamed` + `TagNameOnly`: the name to give an engine.
    pub fn normalize_with_default_tag(&self, input: &str) -> Result<Reference, Error> {
        self.0
            .answer((NAMING, "normalize-with-default-tag"), (input,), as_is)
    }

    /// A comma-separated list of target names, each normalised with the
    /// default tag.
    pub fn parse_targets(&self, names: &str) -> Result<Vec<Reference>, Error> {
        self.0.answer((NAMING, "parse-targets"), (names,), as_is)
    }

    /// Go `ParseAnyReference`: an image ID or a name, as `docker image
    /// inspect`, `rm`, `save` and `tag` take them.
    pub fn parse_any_reference(&self, input: &str) -> Result<AnyReference, Error> {
        self.0
            .answer((NAMING, "parse-any-reference"), (input,), as_is)
    }

    /// Whether `base`, the image a build is asked to start from (`--from`),
    /// names no image (`scratch`): the build then starts from nothing.
    pub fn names_no_image(&self, base: &str) -> Result<bool, Error> {
        self.0
            .answer_plain((NAMING, "names-no-image"), (base,), as_is)
    }

    /// Which of `names` (as an archive or a layout spells its images'
    /// names) `wanted` means: the index of the first that is it exactly
    /// or once both are normalised with the default tag; none when none
    /// is. An index past `names` is a broken contract.
    pub fn find_name(&self, wanted: &str, names: &[String]) -> Result<Option<usize>, Error> {
        let found = self.0.answer(
            (NAMING, "find-name"),
            (wanted, names),
            |at, found: Option<u32>| match found {
                Some(i) if i as usize >= names.len() => {
                    Err(at.contract(format!("answered name {i} of {}", names.len())))
                }
                found => Ok(found),
            },
        )?;
        Ok(found.map(|i| i as usize))
    }

    /// A unique build tag for `name` from host-drawn `entropy`.
    pub fn unique_tag(&self, name: &str, entropy: &[u8]) -> Result<Reference, Error> {
        self.0
            .answer((NAMING, "unique-tag"), (name, entropy), as_is)
    }

    /// Whether `filter` can be applied: every pattern compiles (within the
    /// component's size limit), the semver range parses, `latest` is at
    /// least 1. The inner error names the part refused; the outer one is
    /// the component failing or breaking its contract.
    pub fn check_tag_filter(&self, filter: &TagFilter) -> Result<Result<(), FilterError>, Error> {
        self.0
            .answer_plain((TAGS, "check-tag-filter"), (filter,), |at, answer| {
                refusal(at, filter, answer)
            })
    }

    /// The tags of `tags` that `filter` selects, in the order of `tags`,
    /// each once; refused as [`Self::check_tag_filter`] refuses. An answer
    /// with a tag not given, given twice or out of order is a broken
    /// contract.
    pub fn select_tags(
        &self,
        tags: &[String],
        filter: &TagFilter,
    ) -> Result<Result<Vec<String>, FilterError>, Error> {
        self.0
            .answer_plain((TAGS, "select-tags"), (tags, filter), |at, answer| {
                selected(at, tags, filter, answer)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FilterField;
    use crate::runtime::{Limits, Runtime, Source};
    use std::sync::Arc;

    fn load(source: Source) -> Tagging {
        Arc::new(Runtime::new(Limits::default(), None).unwrap())
            .load::<Tagging>(&source)
            .unwrap()
    }

    fn builtin() -> Tagging {
        load(Source::Builtin)
    }

    /// The hostile fixture: a third-party tagging component that lies as
    /// the filter's first `allow` pattern asks.
    fn hostile() -> Tagging {
        let guests = std::path::Path::new(env!("OCIPIPE_GUEST_DIR"));
        load(Source::File(guests.join("hostile.wasm")))
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn filter(
        allow: &[&str],
        deny: &[&str],
        semver: Option<&str>,
        latest: Option<u32>,
    ) -> TagFilter {
        TagFilter {
            allow: strings(allow),
            deny: strings(deny),
            semver: semver.map(str::to_string),
            latest,
        }
    }

    #[test]
    fn the_builtin_component_selects_the_issues_example() {
        let tags = strings(&[
            "3.17.7",
            "3.18",
            "3.18.6",
            "3.19.0-rc1",
            "3.19.1",
            "3.20",
            "3.20.3",
            "3.20.3",
            "3.21.0-rc.1",
            "edge",
            "latest",
            "v3.21",
        ]);
        let f = filter(&[r"^3\."], &["-rc"], Some(">=3.18"), Some(3));
        let selected = builtin().select_tags(&tags, &f).unwrap().unwrap();
        assert_eq!(selected, ["3.19.1", "3.20", "3.20.3"]);
        let every = builtin()
            .select_tags(&tags, &TagFilter::default())
            .unwrap()
            .unwrap();
        assert_eq!(every.len(), tags.len() - 1, "3.20.3 once: {every:?}");
    }

    #[test]
    fn the_builtin_component_checks_a_filter_naming_the_part_refused() {
        let tagging = builtin();
        tagging
            .check_tag_filter(&filter(&["^v"], &["rc"], Some(">=1.2, <2"), Some(1)))
            .unwrap()
            .unwrap();
        let cases = [
            (
                filter(&["ok", "(x"], &[], None, None),
                FilterField::Allow(1),
            ),
            (
                filter(&[], &["((a{100}){100}){100}"], None, None),
                FilterField::Deny(0),
            ),
            (filter(&[], &[], Some(">=3.18."), None), FilterField::Semver),
            (filter(&[], &[], None, Some(0)), FilterField::Latest),
        ];
        for (f, field) in cases {
            let refused = tagging.check_tag_filter(&f).unwrap().unwrap_err();
            assert_eq!(refused.field, field, "{refused}");
            assert!(!refused.message.is_empty());
            let again = tagging
                .select_tags(&strings(&["1.0"]), &f)
                .unwrap()
                .unwrap_err();
            assert_eq!(again, refused);
        }
    }

    /// What `select-tags` of the hostile fixture, lying as `lie` says,
    /// comes to over `tags`.
    fn hostile_selection(
        tags: &[&str],
        lie: &str,
    ) -> Result<Result<Vec<String>, FilterError>, Error> {
        hostile().select_tags(&strings(tags), &filter(&[lie], &[], None, None))
    }

    fn broken(answer: Result<impl std::fmt::Debug, Error>, says: &str) {
        match answer {
            Err(Error::Contract { message, .. }) => assert!(message.contains(says), "{message}"),
            other => panic!("not refused as a broken contract: {other:?}"),
        }
    }

    #[test]
    fn a_component_that_selects_a_tag_it_was_not_given_breaks_its_contract() {
        broken(
            hostile_selection(&["1.0"], "lie"),
            r#""not-given" which it was not given"#,
        );
    }

    #[test]
    fn a_component_that_selects_a_tag_twice_breaks_its_contract() {
        broken(
            hostile_selection(&["1.0", "2.0"], "twice"),
            r#""1.0" twice"#,
        );
    }

    #[test]
    fn a_component_that_reorders_the_tags_breaks_its_contract() {
        broken(
            hostile_selection(&["1.0", "2.0"], "reorder"),
            r#""1.0" out of the order"#,
        );
        // One tag cannot be out of order.
        assert_eq!(
            hostile_selection(&["1.0"], "reorder").unwrap().unwrap(),
            ["1.0"]
        );
    }

    #[test]
    fn a_component_that_refuses_a_part_the_filter_lacks_breaks_its_contract() {
        broken(
            hostile_selection(&["1.0"], "far-index"),
            "allow[1], which it does not have",
        );
        let f = filter(&["unasked-semver"], &[], None, None);
        broken(
            hostile().check_tag_filter(&f),
            "semver, which it does not have",
        );
        // The same refusal of a range the filter has is passed on.
        let f = filter(&["unasked-semver"], &[], Some(">=1"), None);
        let refused = hostile().check_tag_filter(&f).unwrap().unwrap_err();
        assert_eq!(refused.field, FilterField::Semver);
    }

    #[test]
    fn an_honest_third_party_selection_is_passed_on() {
        let selected = hostile_selection(&["b", "a", "b"], "anything")
            .unwrap()
            .unwrap();
        assert_eq!(selected, ["b", "a"]);
    }
}
