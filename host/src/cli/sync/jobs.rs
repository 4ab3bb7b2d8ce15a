//! The entries of a sync file made into the pipeline's jobs: locations
//! read (a name without a transport is a registry's), tag filters and
//! platforms checked by the components, each refusal naming the file,
//! line and key, before any request.

use crate::model::{AnyReference, HostMachine, TagFilter};
use crate::pipeline::sync::file::{self, At, Entry, Kind, Platforms, SyncFile};
use crate::pipeline::sync::{Job, Settings};
use crate::pipeline::{Location, Operations};
use crate::runtime::Tagging;
use std::path::PathBuf;

/// The jobs of `file`, in its order.
pub(super) fn jobs(ops: &Operations<'_>, file: &SyncFile) -> anyhow::Result<Vec<Job>> {
    let jobs = file
        .entries
        .iter()
        .enumerate()
        .map(|(i, entry)| job(ops, file, i, entry))
        .collect::<anyhow::Result<Vec<Job>>>()?;
    one_image_per_target(file, &jobs)?;
    Ok(jobs)
}

/// Refuses two image entries bound for one target image written apart
/// (`docker://` or not, a tag written or inherited): known before any
/// request. A repository's images are known once its tags are listed; the
/// plan refuses those before anything is written.
fn one_image_per_target(file: &SyncFile, jobs: &[Job]) -> anyhow::Result<()> {
    let mut seen = std::collections::HashMap::new();
    for (i, job) in jobs.iter().enumerate() {
        if job.kind != Kind::Image {
            continue;
        }
        if let Some(first) = seen.insert(crate::pipeline::sync::written(&job.target), i) {
            let message = format!(
                "{} is also the target of sync[{first}] (line {})",
                job.target, file.entries[first].at
            );
            let entry = &file.entries[i].target;
            anyhow::bail!("{}", file::error_at(&file.shown, entry, message));
        }
    }
    Ok(())
}

fn job(ops: &Operations<'_>, file: &SyncFile, i: usize, entry: &Entry) -> anyhow::Result<Job> {
    let at = |at: &At<String>, message: String| {
        anyhow::anyhow!("{}", file::error_at(&file.shown, at, message))
    };
    let source = location(ops.tagging, &entry.source.value, entry.kind, None)
        .map_err(|m| at(&entry.source, m))?;
    let inherited = match &source {
        Location::Registry(r) | Location::Daemon(AnyReference::Named(r)) => r.tag.clone(),
        Location::Layout { tag, .. } => tag.clone(),
        Location::Archive { name, .. } => name.as_ref().and_then(|n| n.tag.clone()),
        Location::Daemon(AnyReference::Id(_)) => None,
    };
    let target = location(ops.tagging, &entry.target.value, entry.kind, inherited)
        .map_err(|m| at(&entry.target, m))?;
    if let Location::Daemon(AnyReference::Id(id)) = &target {
        return Err(at(
            &entry.target,
            format!("{id} is an image ID; an image goes into the engine under a name"),
        ));
    }
    let filter = TagFilter {
        allow: entry.tags.allow.iter().map(|a| a.value.clone()).collect(),
        deny: entry.tags.deny.iter().map(|a| a.value.clone()).collect(),
        semver: entry.tags.semver.as_ref().map(|a| a.value.clone()),
        latest: entry.tags.latest,
    };
    if let Err(refused) = ops.tagging.check_tag_filter(&filter)? {
        use crate::model::FilterField;
        let field = match refused.field {
            FilterField::Allow(n) => entry.tags.allow.get(n as usize),
            FilterField::Deny(n) => entry.tags.deny.get(n as usize),
            FilterField::Semver => entry.tags.semver.as_ref(),
            // The file's reader refuses a `latest` below 1 itself.
            FilterField::Latest => None,
        };
        return Err(match field {
            Some(field) => at(field, refused.message),
            None => at(
                &entry.source,
                format!("the tag filter: {}", refused.message),
            ),
        });
    }
    if entry.referrers && !both_registries(&source, &target) {
        return Err(at(
            &entry.source,
            "referrers: true copies referrers between registries; this entry has a side that \
             is not a registry"
                .to_string(),
        ));
    }
    let platforms = match &entry.platforms {
        Platforms::All => None,
        Platforms::List(list) => {
            for platform in list {
                ops.manifest_generation
                    .normalize_platform(Some(&platform.value), &HostMachine::current())
                    .map_err(|e| at(platform, e.to_string()))?;
            }
            Some(list.iter().map(|p| p.value.clone()).collect())
        }
    };
    Ok(Job {
        name: format!("{}:{} (sync[{i}])", file.shown, entry.at),
        source,
        target,
        kind: entry.kind,
        filter,
        settings: Settings {
            parallel: entry.parallel,
            platforms,
            referrers: entry.referrers,
            referrer_types: entry.referrer_types.clone(),
            compression: entry.compression,
        },
    })
}

/// Reads one side of an entry: `docker://REF` or a bare registry name,
/// `oci:PATH[:TAG]`, `docker-archive:PATH[:NAME]` or `docker-daemon:NAME`
/// (the last two for an image entry only). A repository entry names
/// repositories (no tag, no digest); an image entry names images, and a
/// name without a tag takes `inherited` (the source's tag) or the default
/// one.
fn location(
    tagging: &Tagging,
    text: &str,
    kind: Kind,
    inherited: Option<String>,
) -> Result<Location, String> {
    if let Some(rest) = text.strip_prefix("oci:") {
        let (path, tag) = super::super::copy::split_path(rest);
        if path.is_empty() {
            return Err("no layout path (oci:PATH[:TAG])".to_string());
        }
        let tag = match (kind, tag) {
            (Kind::Repository, Some(tag)) => {
                return Err(format!(
                    "oci:PATH:{tag} names one image; a repository entry names the layout alone \
                     (or write type: image)"
                ));
            }
            (Kind::Image, tag) => tag.map(str::to_string).or(inherited),
            (Kind::Repository, None) => None,
        };
        return Ok(Location::Layout {
            path: PathBuf::from(path),
            tag,
        });
    }
    for transport in ["docker-archive:", "docker-daemon:"] {
        if text.starts_with(transport) && kind == Kind::Repository {
            return Err(format!(
                "{transport} names one image, not a repository of tags: write type: image"
            ));
        }
    }
    if let Some(rest) = text.strip_prefix("docker-archive:") {
        let (path, name) = super::super::copy::split_path(rest);
        if path.is_empty() {
            return Err("no archive path (docker-archive:PATH[:NAME])".to_string());
        }
        let name = name
            .map(|name| image_name(tagging, name, inherited))
            .transpose()?;
        return Ok(Location::Archive {
            path: PathBuf::from(path),
            name,
        });
    }
    if let Some(name) = text.strip_prefix("docker-daemon:") {
        let any = tagging
            .parse_any_reference(name)
            .map_err(|e| format!("{name:?} is not an image name or ID: {e}"))?;
        return Ok(Location::Daemon(match any {
            AnyReference::Id(id) => AnyReference::Id(id),
            AnyReference::Named(_) => AnyReference::Named(image_name(tagging, name, inherited)?),
        }));
    }
    let name = text.strip_prefix("docker://").unwrap_or(text);
    match kind {
        Kind::Repository => {
            let reference = tagging
                .parse_normalized_named(name)
                .map_err(|e| format!("{name:?} is not a repository or image name: {e}"))?;
            if reference.tag.is_some() || reference.digest.is_some() {
                return Err(format!(
                    "{name:?} names one image; a repository entry names a repository \
                     (or write type: image)"
                ));
            }
            Ok(Location::Registry(reference))
        }
        Kind::Image => image_name(tagging, name, inherited).map(Location::Registry),
    }
}

/// The image `name` names: as written when it has a tag or a digest, else
/// with `inherited` (the source's tag) or the default tag.
fn image_name(
    tagging: &Tagging,
    name: &str,
    inherited: Option<String>,
) -> Result<crate::model::Reference, String> {
    let reference = tagging
        .parse_normalized_named(name)
        .map_err(|e| format!("{name:?} is not a repository or image name: {e}"))?;
    if reference.tag.is_some() || reference.digest.is_some() {
        return Ok(reference);
    }
    let with_tag = match inherited {
        Some(tag) => format!("{}:{tag}", reference.name),
        None => reference.name.clone(),
    };
    tagging
        .normalize_with_default_tag(&with_tag)
        .map_err(|e| format!("{name:?}: {e}"))
}

fn both_registries(source: &Location, target: &Location) -> bool {
    matches!(
        (source, target),
        (Location::Registry(_), Location::Registry(_))
    )
}
