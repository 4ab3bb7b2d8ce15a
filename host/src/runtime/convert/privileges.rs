//! Conversions for the `privileges` world: privileges. The contract asks
//! nothing of an answer beyond its types, so nothing is checked here.

use super::Origin;
use crate::model::Privilege;
use crate::runtime::Error;
use crate::runtime::bindings::privileges::exports::ocipipe::image::plugins;

/// The privileges a component answered, in its order.
pub(in crate::runtime) fn privileges_from_wit(
    _at: Origin<'_>,
    privileges: Vec<plugins::Privilege>,
) -> Result<Vec<Privilege>, Error> {
    Ok(privileges
        .into_iter()
        .map(|p| Privilege {
            name: p.name,
            description: p.description,
            value: p.value,
        })
        .collect())
}
