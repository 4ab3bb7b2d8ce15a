//! The tagging operation's wrapper: the reference grammar of
//! `distribution/reference`, target lists and unique tags, called through
//! the `tagging` world.
//!
//! Must not: parse or check a reference itself; answers are checked in
//! `checked`.

use super::Error;
use super::bindings::tagging::TaggingPre;
use super::bound::{Bound, bind};
use super::checked::as_is;
use super::operations::TAGGING;
use crate::model::{AnyReference, Reference};

/// A loaded tagging component (built-in or third-party).
pub struct Tagging(Bound);

bind!(Tagging, TAGGING, TaggingPre);

/// The exported interface every function is in.
const NAMING: &str = "naming";

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
}
