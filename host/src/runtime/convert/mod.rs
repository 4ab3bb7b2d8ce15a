//! Every conversion between WIT binding types and the host's `model`
//! types: the shared `types` interface here, each world's own types in its
//! submodule. A record that crosses as its `model` type (see
//! `bindings::types`) needs none.
//!
//! Conversions into WIT cannot fail. Conversions out of WIT take the
//! [`Origin`] of the answer and check that it keeps its world's contract
//! (well-formed digests, indices in range, lists of the promised length):
//! an answer that breaks it is an [`Error::Contract`] naming the component
//! and the function, never passed on.
//!
//! Must not: call components, or decide anything a component decides; a
//! check here only refuses what the WIT contract rules out.

pub(super) mod layers;
pub(super) mod manifest_generation;
pub(super) mod privileges;
pub(super) mod tagging;
pub(super) mod tar_assembly;

use super::Error;
use super::bindings::types;
use crate::model::{Descriptor, Digest, Document};

/// Which component answered, from which function: what an error about an
/// answer names.
#[derive(Debug, Clone, Copy)]
pub(super) struct Origin<'a> {
    component: &'a str,
    function: &'static str,
}

impl<'a> Origin<'a> {
    /// The answer of `function` of `component`.
    pub(super) fn new(component: &'a str, function: &'static str) -> Self {
        Self {
            component,
            function,
        }
    }

    /// The answer broke the contract of the world.
    pub(super) fn contract(self, message: impl Into<String>) -> Error {
        Error::Contract {
            component: self.component.to_string(),
            function: self.function,
            message: message.into(),
        }
    }

    /// The component refused its input with the shared WIT `error`.
    pub(super) fn refused(self, e: types::Error) -> Error {
        let (kind, message) = match e {
            types::Error::InvalidReference(m) => ("invalid-reference", m),
            types::Error::InvalidInput(m) => ("invalid-input", m),
            types::Error::Unsupported(m) => ("unsupported", m),
            types::Error::TooLarge(m) => ("too-large", m),
        };
        Error::Refused {
            component: self.component.to_string(),
            function: self.function,
            kind,
            message: crate::model::printable(&message),
        }
    }

    /// A digest the component answered, checked.
    pub(super) fn digest(self, digest: String) -> Result<Digest, Error> {
        Digest::parse(&digest).map_err(|e| self.contract(e.to_string()))
    }
}

/// Digests as WIT `digest` strings.
pub(super) fn digests_to_wit(digests: &[Digest]) -> Vec<types::Digest> {
    digests.iter().map(Digest::to_string).collect()
}

/// An OCI descriptor, into WIT.
pub(super) fn descriptor_to_wit(d: &Descriptor) -> types::Descriptor {
    types::Descriptor {
        media_type: d.media_type.clone(),
        digest: d.digest.to_string(),
        size: d.size,
        artifact_type: d.artifact_type.clone(),
        annotations: d.annotations.clone(),
        platform: d.platform.clone(),
        urls: d.urls.clone(),
    }
}

/// An OCI descriptor a component answered.
pub(super) fn descriptor_from_wit(
    at: Origin<'_>,
    d: types::Descriptor,
) -> Result<Descriptor, Error> {
    Ok(Descriptor {
        media_type: d.media_type,
        digest: at.digest(d.digest)?,
        size: d.size,
        artifact_type: d.artifact_type,
        annotations: d.annotations,
        platform: d.platform,
        urls: d.urls,
    })
}

/// A document, into WIT.
pub(super) fn document_to_wit(d: &Document) -> types::Document {
    types::Document {
        descriptor: descriptor_to_wit(&d.descriptor),
        bytes: d.bytes.clone(),
    }
}

/// A document a component answered.
pub(super) fn document_from_wit(at: Origin<'_>, d: types::Document) -> Result<Document, Error> {
    Ok(Document {
        descriptor: descriptor_from_wit(at, d.descriptor)?,
        bytes: d.bytes,
    })
}

/// A list a component answered, each item converted by `convert`.
pub(super) fn list_from_wit<T, U>(
    at: Origin<'_>,
    items: Vec<T>,
    convert: impl Fn(Origin<'_>, T) -> Result<U, Error>,
) -> Result<Vec<U>, Error> {
    items.into_iter().map(|item| convert(at, item)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Origin<'static> = Origin {
        component: "tar-assembly (built-in)",
        function: "plan-layer",
    };

    #[test]
    fn a_refusal_reaches_a_terminal_with_its_control_characters_escaped() {
        let e = AT.refused(types::Error::InvalidReference(
            "repository name (library/\t\u{11}\u{1b}[2Jx) must be lowercase\nsecond line".into(),
        ));
        assert_eq!(
            e.to_string(),
            "component tar-assembly (built-in) refused plan-layer: \
             repository name (library/\t\\u{11}\\u{1b}[2Jx) must be lowercase\nsecond line"
        );
    }

    #[test]
    fn a_refusal_names_the_component_and_the_function_first() {
        let e = AT.refused(types::Error::InvalidInput("no such path".into()));
        assert_eq!(
            e.to_string(),
            "component tar-assembly (built-in) refused plan-layer: no such path"
        );
        assert!(matches!(
            e,
            Error::Refused { kind: "invalid-input", ref message, .. } if message == "no such path"
        ));
    }

    #[test]
    fn a_malformed_digest_in_an_answer_breaks_the_contract() {
        let e = AT.digest("sha256:nothex".into()).unwrap_err();
        assert!(matches!(
            e,
            Error::Contract {
                function: "plan-layer",
                ..
            }
        ));
        assert!(
            e.to_string()
                .starts_with("component tar-assembly (built-in) broke its contract in plan-layer")
        );
    }
}
