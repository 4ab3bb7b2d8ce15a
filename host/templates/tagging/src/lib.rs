//! {{crate}}: an ocipipe `tagging` component (the world
//! `ocipipe:image/tagging@{{wit}}`, whose WIT is in `wit/`).
//!
//! Every function answers what the next implementation answers: `next` is
//! the WIT import of the same interface, which ocipipe links to the
//! built-in (or to the component named before this one with
//! `--component tagging=…`). Change the answers you need; the rest stay
//! the built-in's. Which command calls which function: `ocipipe component contract`.

use ocipipe_sdk::{Error, Reference};
use tagging_core::wit::exports::ocipipe::image::{naming, tags};
use tagging_core::wit::ocipipe::image::{naming as next, tags as next_tags};

struct Component;

impl naming::Guest for Component {
    fn parse(input: String) -> Result<Reference, Error> {
        next::parse(&input)
    }

    fn parse_normalized_named(input: String) -> Result<Reference, Error> {
        next::parse_normalized_named(&input)
    }

    // Every `docker://` name of `copy`, `--from`, `artifact` and `plugin`
    // goes through here.
    fn normalize_with_default_tag(input: String) -> Result<Reference, Error> {
        let reference = next::normalize_with_default_tag(&input)?;
        match mirrored(&reference.full) {
            Some(name) => next::parse(&name),
            None => Ok(reference),
        }
    }

    fn push_target(input: String) -> Result<Reference, Error> {
        next::push_target(&input)
    }

    fn parse_targets(names: String) -> Result<Vec<Reference>, Error> {
        next::parse_targets(&names)
    }

    fn parse_any_reference(input: String) -> Result<naming::AnyReference, Error> {
        next::parse_any_reference(&input)
    }

    fn names_no_image(base: String) -> bool {
        next::names_no_image(&base)
    }

    fn find_name(wanted: String, names: Vec<String>) -> Result<Option<u32>, Error> {
        next::find_name(&wanted, &names)
    }

    fn unique_tag(name: String, entropy: Vec<u8>) -> Result<Reference, Error> {
        next::unique_tag(&name, &entropy)
    }
}

impl tags::Guest for Component {
    fn check_tag_filter(filter: tags::TagFilter) -> Result<(), tags::FilterError> {
        next_tags::check_tag_filter(&filter)
    }

    fn select_tags(
        tags: Vec<String>,
        filter: tags::TagFilter,
    ) -> Result<Vec<String>, tags::FilterError> {
        next_tags::select_tags(&tags, &filter)
    }
}

/// The name to use instead of `name` (a normalised reference in full,
/// `docker.io/library/alpine:latest`), if any: the place to change an
/// answer. As it is, none.
fn mirrored(name: &str) -> Option<String> {
    // A Docker Hub mirror: every Docker Hub name pulled from elsewhere.
    // return name
    //     .strip_prefix("docker.io/")
    //     .map(|rest| format!("mirror.example.com/{rest}"));
    let _ = name;
    None
}

tagging_core::wit::export!(Component);

#[cfg(test)]
mod tests {
    use super::mirrored;

    #[test]
    fn a_docker_hub_name_stays() {
        // With the mirror: Some("mirror.example.com/library/alpine:3.20").
        assert_eq!(mirrored("docker.io/library/alpine:3.20"), None);
    }
}
