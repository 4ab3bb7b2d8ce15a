//! Operations end to end: gather inputs, let a component decide, perform
//! the I/O it planned. The only module that uses both `runtime` and a
//! backend such as `docker`.

use crate::docker::{self, Engine};
use crate::model::Reference;
use crate::runtime::{self, Tagging};

/// Failures of a pipeline step.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A component failed or refused its input.
    #[error(transparent)]
    Component(#[from] runtime::Error),
    /// The engine failed.
    #[error(transparent)]
    Docker(#[from] docker::Error),
    /// A (third-party) tagging component answered a target without a tag.
    #[error("the tagging component gave the target {0} no tag; the engine needs one")]
    Untagged(String),
    /// The host could not draw random bytes.
    #[error("cannot draw random bytes for a unique tag: {0}")]
    Entropy(String),
}

/// Tags the image `source` with every name in `targets` (comma-separated,
/// each normalised with the default tag by the tagging component). All
/// names are validated before the engine is touched, so a bad list tags
/// nothing.
pub async fn tag(
    tagging: &Tagging,
    engine: &Engine,
    source: &str,
    targets: &str,
) -> Result<Vec<Reference>, Error> {
    let targets = tagging.parse_targets(targets)?;
    for target in &targets {
        engine.tag(source, &target.name, tag_of(target)?).await?;
    }
    Ok(targets)
}

/// Tags the image `source` with a new unique name `<name>:<32 hex>`.
pub async fn tag_unique(
    tagging: &Tagging,
    engine: &Engine,
    source: &str,
    name: &str,
) -> Result<Reference, Error> {
    let mut entropy = [0u8; 16];
    getrandom::fill(&mut entropy).map_err(|e| Error::Entropy(e.to_string()))?;
    let target = tagging.unique_tag(name, &entropy)?;
    engine.tag(source, &target.name, tag_of(&target)?).await?;
    Ok(target)
}

/// The tag of a target; the built-in component always gives one (a target
/// with a digest is refused, one without a tag gets `latest`).
fn tag_of(target: &Reference) -> Result<&str, Error> {
    target
        .tag
        .as_deref()
        .ok_or_else(|| Error::Untagged(target.full.clone()))
}
