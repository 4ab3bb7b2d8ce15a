//! Conversions for the `tagging` world: references.

use super::Origin;
use crate::model::{AnyReference, Reference};
use crate::runtime::Error;
use crate::runtime::bindings::tagging::exports::ocipipe::image::naming;
use crate::runtime::bindings::types;

/// A reference a component answered.
pub(in crate::runtime) fn reference_from_wit(
    at: Origin<'_>,
    r: types::Reference,
) -> Result<Reference, Error> {
    Ok(Reference {
        name: r.name,
        domain: r.domain,
        path: r.path,
        tag: r.tag,
        digest: r.digest.map(|d| at.digest(d)).transpose()?,
        full: r.full,
        familiar: r.familiar,
    })
}

/// References a component answered.
pub(in crate::runtime) fn references_from_wit(
    at: Origin<'_>,
    refs: Vec<types::Reference>,
) -> Result<Vec<Reference>, Error> {
    super::list_from_wit(at, refs, reference_from_wit)
}

/// An image ID or a name a component answered.
pub(in crate::runtime) fn any_reference_from_wit(
    at: Origin<'_>,
    r: naming::AnyReference,
) -> Result<AnyReference, Error> {
    Ok(match r {
        naming::AnyReference::Id(digest) => AnyReference::Id(at.digest(digest)?),
        naming::AnyReference::Named(r) => AnyReference::Named(reference_from_wit(at, r)?),
    })
}
