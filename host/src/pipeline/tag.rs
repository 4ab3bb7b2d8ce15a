//! Naming images in the engine: `ocipipe tag`.

use super::Error;
use crate::docker::Engine;
use crate::model::Reference;
use crate::runtime::Tagging;

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
    let source = engine_reference(tagging, source)?;
    for target in &targets {
        engine.tag(&source, &target.name, tag_of(target)?).await?;
    }
    Ok(targets)
}

/// What the engine is given for an image a person named by name or ID:
/// the tagging component decides (Go `ParseAnyReference`), so a malformed
/// name is refused here, before the engine sees it.
pub fn engine_reference(tagging: &Tagging, input: &str) -> Result<String, Error> {
    Ok(tagging.parse_any_reference(input)?.for_engine().to_string())
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
    let source = engine_reference(tagging, source)?;
    engine.tag(&source, &target.name, tag_of(&target)?).await?;
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
