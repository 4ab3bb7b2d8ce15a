//! The tagging operation's wrapper: the reference grammar of
//! `distribution/reference`, target lists and unique tags, called through
//! the `tagging` world.
//!
//! Must not: parse or check a reference itself; conversions live in
//! `convert::tagging`.

use super::bindings::tagging::{Tagging as World, TaggingPre};
use super::bound::{Bound, bind};
use super::convert::tagging::{any_reference_from_wit, reference_from_wit, references_from_wit};
use super::operations::TAGGING;
use super::{Error, Sandbox};
use crate::model::{AnyReference, Reference};

/// A loaded tagging component (built-in or third-party).
pub struct Tagging(Bound<TaggingPre<Sandbox>, World>);

bind!(Tagging, TAGGING, TaggingPre);

impl Tagging {
    /// Go `Parse`: validated, not normalised.
    pub fn parse(&self, input: &str) -> Result<Reference, Error> {
        self.0.invoke(
            "parse",
            |w, s| w.ocipipe_image_naming().call_parse(s, input),
            reference_from_wit,
        )
    }

    /// Go `ParseNormalizedNamed`.
    pub fn parse_normalized_named(&self, input: &str) -> Result<Reference, Error> {
        self.0.invoke(
            "parse-normalized-named",
            |w, s| {
                w.ocipipe_image_naming()
                    .call_parse_normalized_named(s, input)
            },
            reference_from_wit,
        )
    }

    /// The name a push writes: normalised with the default tag; one with a
    /// digest is refused (a push writes a tag).
    pub fn push_target(&self, input: &str) -> Result<Reference, Error> {
        self.0.invoke(
            "push-target",
            |w, s| w.ocipipe_image_naming().call_push_target(s, input),
            reference_from_wit,
        )
    }

    /// `ParseNormalizedNamed` + `TagNameOnly`: the name to give an engine.
    pub fn normalize_with_default_tag(&self, input: &str) -> Result<Reference, Error> {
        self.0.invoke(
            "normalize-with-default-tag",
            |w, s| {
                w.ocipipe_image_naming()
                    .call_normalize_with_default_tag(s, input)
            },
            reference_from_wit,
        )
    }

    /// A comma-separated list of target names, each normalised with the
    /// default tag.
    pub fn parse_targets(&self, names: &str) -> Result<Vec<Reference>, Error> {
        self.0.invoke(
            "parse-targets",
            |w, s| w.ocipipe_image_naming().call_parse_targets(s, names),
            references_from_wit,
        )
    }

    /// Go `ParseAnyReference`: an image ID or a name, as `docker image
    /// inspect`, `rm`, `save` and `tag` take them.
    pub fn parse_any_reference(&self, input: &str) -> Result<AnyReference, Error> {
        self.0.invoke(
            "parse-any-reference",
            |w, s| w.ocipipe_image_naming().call_parse_any_reference(s, input),
            any_reference_from_wit,
        )
    }

    /// A unique build tag for `name` from host-drawn `entropy`.
    pub fn unique_tag(&self, name: &str, entropy: &[u8]) -> Result<Reference, Error> {
        self.0.invoke(
            "unique-tag",
            |w, s| w.ocipipe_image_naming().call_unique_tag(s, name, entropy),
            reference_from_wit,
        )
    }
}
