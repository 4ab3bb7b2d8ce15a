//! Naming images in the engine: `ocipipe tag`. Every name is decided by
//! the tagging component before the engine is asked anything, so a bad
//! list tags nothing, and is refused even when no engine answers. Also
//! finding an image by name among the names an archive or layout gives
//! its images, which the component normalises too.

use super::Error;
use crate::docker::Engine;
use crate::model::Reference;
use crate::runtime::Tagging;

/// The names to give an image, decided.
#[derive(Debug, Clone)]
pub struct TagPlan {
    /// The image, as the engine is to be given it.
    pub source: String,
    /// The new names, each with a tag.
    pub targets: Vec<Reference>,
}

/// Every name in `targets` (comma-separated, each normalised with the
/// default tag by the tagging component) for the image `source`.
pub fn plan_tags(tagging: &Tagging, source: &str, targets: &str) -> Result<TagPlan, Error> {
    let targets = tagging.parse_targets(targets)?;
    for target in &targets {
        tag_of(target)?;
    }
    Ok(TagPlan {
        source: engine_reference(tagging, source)?,
        targets,
    })
}

/// A new unique name `<name>:<32 hex>` for the image `source`.
pub fn plan_unique_tag(tagging: &Tagging, source: &str, name: &str) -> Result<TagPlan, Error> {
    let mut entropy = [0u8; 16];
    getrandom::fill(&mut entropy).map_err(|e| Error::Entropy(e.to_string()))?;
    let target = tagging.unique_tag(name, &entropy)?;
    tag_of(&target)?;
    Ok(TagPlan {
        source: engine_reference(tagging, source)?,
        targets: vec![target],
    })
}

/// Gives the engine's image every name of `plan`.
pub async fn apply_tags(engine: &Engine, plan: &TagPlan) -> Result<(), Error> {
    for target in &plan.targets {
        engine
            .tag(&plan.source, &target.name, tag_of(target)?)
            .await?;
    }
    Ok(())
}

/// What the engine is given for an image a person named by name or ID:
/// the tagging component decides (Go `ParseAnyReference`), so a malformed
/// name is refused here, before the engine sees it.
pub fn engine_reference(tagging: &Tagging, input: &str) -> Result<String, Error> {
    Ok(tagging.parse_any_reference(input)?.for_engine().to_string())
}

/// What a registry's `/manifests/` is asked for or put under: the digest of
/// `reference`, else its tag. The default tag is the tagging component's to
/// give (`normalize-with-default-tag`), so a name with neither is refused,
/// never sent to a default here.
pub(super) fn identifier(reference: &Reference) -> Result<String, Error> {
    reference
        .identifier()
        .ok_or_else(|| Error::NoIdentifier(reference.full.clone()))
}

/// The tag of a target; the built-in component always gives one (a target
/// with a digest is refused, one without a tag gets the default tag).
pub(super) fn tag_of(target: &Reference) -> Result<&str, Error> {
    target
        .tag
        .as_deref()
        .ok_or_else(|| Error::Untagged(target.full.clone()))
}

/// The first of `names` (as an archive or a layout spells them) that names
/// the same image as `requested`, as the tagging component finds it
/// (`find-name`: `ubuntu:1` finds `docker.io/library/ubuntu:1` and the
/// other way round); a `requested` it refuses is an error.
pub fn find_name<'a>(
    tagging: &Tagging,
    requested: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Option<&'a str>, Error> {
    let names: Vec<&str> = names.into_iter().collect();
    let owned: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    Ok(tagging.find_name(requested, &owned)?.map(|i| names[i]))
}
