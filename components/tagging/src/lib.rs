//! The tagging component: exports `ocipipe:image/naming` and
//! `ocipipe:image/tags` by delegating to the pure grammar and tag filters
//! in `tagging-core`. The world's bindings are generated
//! once, in `tagging-core` ([`tagging_core::wit`]), the shared WIT types
//! being `ocipipe_sdk`'s; no logic lives here beyond choosing the WIT case.

use ocipipe_sdk::{Error, Reference};
use tagging_core as core;
use tagging_core::wit::exports::ocipipe::image::naming::{AnyReference, Guest};
use tagging_core::wit::exports::ocipipe::image::tags;
use tagging_core::{FilterError, TagFilter};

struct Tagging;

impl Guest for Tagging {
    fn parse(input: String) -> Result<Reference, Error> {
        Ok((&core::parse(&input)?).into())
    }

    fn parse_normalized_named(input: String) -> Result<Reference, Error> {
        Ok((&core::parse_normalized_named(&input)?).into())
    }

    fn normalize_with_default_tag(input: String) -> Result<Reference, Error> {
        let named = core::parse_normalized_named(&input)?;
        Ok((&core::tag_name_only(named)).into())
    }

    fn push_target(input: String) -> Result<Reference, Error> {
        Ok((&core::push_target(&input)?).into())
    }

    fn parse_targets(names: String) -> Result<Vec<Reference>, Error> {
        Ok(core::parse_targets(&names)?
            .iter()
            .map(Into::into)
            .collect())
    }

    fn parse_any_reference(input: String) -> Result<AnyReference, Error> {
        let parsed = core::parse_any_reference(&input)?;
        // The core gives an image ID as a digest-only reference.
        Ok(match parsed.digest {
            Some(id) if parsed.is_digest_only() => AnyReference::Id(id),
            _ => AnyReference::Named((&parsed).into()),
        })
    }

    fn names_no_image(base: String) -> bool {
        core::names_no_image(&base)
    }

    fn find_name(wanted: String, names: Vec<String>) -> Result<Option<u32>, Error> {
        Ok(core::find_name(&wanted, &names)?)
    }

    fn unique_tag(name: String, entropy: Vec<u8>) -> Result<Reference, Error> {
        Ok((&core::unique_tag(&name, &entropy)?).into())
    }
}

impl tags::Guest for Tagging {
    fn check_tag_filter(filter: TagFilter) -> Result<(), FilterError> {
        core::check_tag_filter(&filter)
    }

    fn select_tags(tags: Vec<String>, filter: TagFilter) -> Result<Vec<String>, FilterError> {
        core::select_tags(&tags, &filter)
    }
}

tagging_core::wit::export!(Tagging);
