//! The tagging component: exports `ocipipe:image/naming` by adapting the
//! pure grammar in `tagging-core` to the WIT types. No logic lives here
//! beyond the conversion.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "tagging",
    });
}

use bindings::exports::ocipipe::image::naming::Guest;
use bindings::ocipipe::image::types::{Error, Reference};
use tagging_core as core;

struct Tagging;

impl Guest for Tagging {
    fn parse(input: String) -> Result<Reference, Error> {
        convert(core::parse(&input))
    }

    fn parse_normalized_named(input: String) -> Result<Reference, Error> {
        convert(core::parse_normalized_named(&input))
    }

    fn normalize_with_default_tag(input: String) -> Result<Reference, Error> {
        convert(core::parse_normalized_named(&input).map(core::tag_name_only))
    }

    fn parse_targets(names: String) -> Result<Vec<Reference>, Error> {
        core::parse_targets(&names)
            .map(|refs| refs.iter().map(to_wit).collect())
            .map_err(to_error)
    }

    fn unique_tag(name: String, entropy: Vec<u8>) -> Result<Reference, Error> {
        convert(core::unique_tag(&name, &entropy))
    }
}

fn convert(parsed: Result<core::Reference, core::RefError>) -> Result<Reference, Error> {
    parsed.as_ref().map(to_wit).map_err(|e| to_error(e.clone()))
}

fn to_wit(r: &core::Reference) -> Reference {
    Reference {
        name: r.name(),
        domain: r.domain.clone(),
        path: r.path.clone(),
        tag: r.tag.clone(),
        digest: r.digest.clone(),
        full: r.to_string(),
        familiar: r.familiar_string(),
    }
}

fn to_error(e: core::RefError) -> Error {
    Error::InvalidReference(e.to_string())
}

bindings::export!(Tagging with_types_in bindings);
