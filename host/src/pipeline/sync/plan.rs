//! The plan of a sync: each entry resolved into images, each with its
//! digest at the source and why it is copied.
//!
//! A registry repository's tags come from its tag list (every page),
//! filtered by the tagging component; each tag's digest from one manifest
//! `HEAD`, and the target's tag from one more on the target: a re-sync
//! that changes nothing sends those and nothing else. A layout's tags and
//! digests are read from its `index.json`, without requests. An archive
//! or the engine (one image each, `type: image`) keep no manifest: their
//! image is its image ID (see `identity`).

use super::identity::{self, There, keeps_manifests};
use super::{Done, Job, Planned, Reason, Work, file::Kind};
use crate::model::{AnyReference, Digest, Reference};
use crate::pipeline::Error;
use crate::pipeline::copy::{
    Chosen, CopyContext, Location, Registries, chosen_platforms, contents,
};
use crate::pipeline::planner::IndexPlanning;
use crate::store::source::LayoutSource;
use futures_util::{StreamExt, TryStreamExt, stream};
use std::collections::HashMap;
use std::path::Path;

/// Manifest `HEAD`s (and tag lists) in flight at once while planning:
/// crane's and regclient's few per host, for the two sides.
const LOOKUPS_AT_ONCE: usize = 8;

/// The images of `jobs`: the work of each entry, in the file's order and
/// each repository's tag order. An entry that cannot be resolved (a
/// missing repository, a refused request) fails the plan, or with
/// `keep_going` is reported as failed (second list) while the others go
/// on. Two images bound for the same target fail the plan before anything
/// is written.
pub fn plan(
    ctx: &CopyContext<'_>,
    jobs: &[Job],
    keep_going: bool,
) -> Result<(Vec<Work>, Vec<Done>), Error> {
    let resolved: Vec<Result<Vec<Work>, Error>> = ctx.runtime.block_on(
        stream::iter(jobs)
            .map(|job| async move {
                resolve(ctx, job).await.map_err(|e| Error::Entry {
                    entry: job.name.clone(),
                    source: Box::new(e),
                })
            })
            .buffered(LOOKUPS_AT_ONCE)
            .collect(),
    );
    let mut work = Vec::new();
    let mut failed = Vec::new();
    for (job, result) in jobs.iter().zip(resolved) {
        match result {
            Ok(images) => work.extend(images),
            Err(e) if keep_going => failed.push(entry_failed(job, &e)),
            Err(e) => return Err(e),
        }
    }
    one_writer_per_target(&work)?;
    Ok((work, failed))
}

/// The result line of an entry that could not be resolved.
fn entry_failed(job: &Job, error: &Error) -> Done {
    Done {
        source: super::source_key(&job.source),
        tag: None,
        digest: None,
        target: job.target.to_string(),
        action: super::Action::Failed,
        bytes_sent: 0,
        referrers_copied: 0,
        error: Some(error.to_string()),
    }
}

/// Refuses a plan where two images would be written under one target (an
/// archive file is one, whatever names its images go by).
fn one_writer_per_target(work: &[Work]) -> Result<(), Error> {
    let mut seen: HashMap<String, &Work> = HashMap::new();
    for item in work {
        if let Some(first) = seen.insert(super::written(&item.to), item) {
            return Err(Error::SameTarget {
                target: item.planned.target.clone(),
                first: format!("{} ({})", first.entry, first.planned.source),
                second: format!("{} ({})", item.entry, item.planned.source),
            });
        }
    }
    Ok(())
}

/// One image of an entry before its digests are known: the source's tag
/// (or digest) and where it goes.
struct Image {
    tag: Option<String>,
    digest: Option<Digest>,
    to: Location,
}

/// The work of one entry.
async fn resolve(ctx: &CopyContext<'_>, job: &Job) -> Result<Vec<Work>, Error> {
    let images = images(ctx, job).await?;
    stream::iter(images)
        .map(|image| resolve_image(ctx, job, image))
        .buffered(LOOKUPS_AT_ONCE)
        .try_collect()
        .await
}

/// The images an entry names: every selected tag of a repository, or its
/// one image.
async fn images(ctx: &CopyContext<'_>, job: &Job) -> Result<Vec<Image>, Error> {
    let tagging = ctx.ops.tagging;
    if job.kind == Kind::Image {
        let (tag, digest) = match &job.source {
            Location::Registry(r) => (r.tag.clone(), r.digest.clone()),
            Location::Layout { tag, .. } => (tag.clone(), None),
            Location::Archive { name, .. } => (name.as_ref().and_then(|n| n.tag.clone()), None),
            Location::Daemon(AnyReference::Named(r)) => (r.tag.clone(), None),
            Location::Daemon(AnyReference::Id(_)) => (None, None),
        };
        return Ok(vec![Image {
            tag,
            digest,
            to: job.target.clone(),
        }]);
    }
    let tags = match &job.source {
        Location::Registry(r) => {
            let repository = Registries::new(ctx.access).source(r)?;
            repository.tags().await?
        }
        Location::Layout { path, .. } => {
            let layout = LayoutSource::open(path)?;
            let index = layout.index(&IndexPlanning(ctx.ops.manifest_generation))?;
            ctx.ops.manifest_generation.layout_tags(&index)?
        }
        other => return Err(unsupported_source(other)),
    };
    let selected = tagging
        .select_tags(&tags, &job.filter)?
        .map_err(|e| Error::NotFound {
            source_name: job.source.to_string(),
            message: format!("the tag filter: {}", e.message),
        })?;
    selected
        .into_iter()
        .map(|tag| {
            let to = tagged(ctx, &job.target, &tag)?;
            Ok(Image {
                tag: Some(tag),
                digest: None,
                to,
            })
        })
        .collect()
}

fn unsupported_source(location: &Location) -> Error {
    Error::NotFound {
        source_name: location.to_string(),
        message: "a repository entry reads a registry (docker://, or a name without a \
                  transport) or an OCI layout (oci:); docker-archive: and docker-daemon: name \
                  one image (type: image)"
            .to_string(),
    }
}

/// The target repository `repository` with `tag`.
fn tagged(ctx: &CopyContext<'_>, repository: &Location, tag: &str) -> Result<Location, Error> {
    Ok(match repository {
        Location::Registry(r) => Location::Registry(
            ctx.ops
                .tagging
                .normalize_with_default_tag(&format!("{}:{tag}", r.name))?,
        ),
        Location::Layout { path, .. } => Location::Layout {
            path: path.clone(),
            tag: Some(tag.to_string()),
        },
        other => {
            return Err(Error::NotFound {
                source_name: other.to_string(),
                message: "a repository is synced into a registry or an OCI layout (oci:)"
                    .to_string(),
            });
        }
    })
}

/// One image's digests at both ends (asked at once), and its work.
async fn resolve_image(ctx: &CopyContext<'_>, job: &Job, image: Image) -> Result<Work, Error> {
    let ((digest, from), there) = futures_util::future::try_join(
        pinned_source(ctx, job, &image),
        target_state(ctx, &image.to),
    )
    .await?;
    let reason = reason(ctx, (&from, &digest), (&image.to, there), &job.settings).await?;
    Ok(Work {
        planned: Planned {
            source: super::source_key(&job.source),
            tag: image.tag,
            digest,
            target: image.to.to_string(),
            reason,
            settings: job.settings.clone(),
        },
        from,
        to: image.to,
        entry: job.name.clone(),
    })
}

/// What the image's tag names at the source (an archive's or the engine's
/// image: its image ID), and the source pinned to it.
async fn pinned_source(
    ctx: &CopyContext<'_>,
    job: &Job,
    image: &Image,
) -> Result<(Digest, Location), Error> {
    if !keeps_manifests(&job.source) {
        let id = identity::source_image_id(ctx, &job.source).await?;
        return Ok((id, job.source.clone()));
    }
    let named = image
        .digest
        .as_ref()
        .map(Digest::to_string)
        .or_else(|| image.tag.clone())
        .ok_or_else(|| Error::NoIdentifier(job.source.to_string()))?;
    match &job.source {
        Location::Registry(r) => {
            let digest = match &image.digest {
                Some(digest) => digest.clone(),
                None => source_digest(ctx, r, &named).await?,
            };
            let pinned = match &image.tag {
                Some(tag) => format!("{}:{tag}@{digest}", r.name),
                None => format!("{}@{digest}", r.name),
            };
            let pinned = ctx.ops.tagging.parse_normalized_named(&pinned)?;
            Ok((digest, Location::Registry(pinned)))
        }
        Location::Layout { path, .. } => {
            let digest =
                layout_digest(ctx, path, image.tag.as_deref())?.ok_or_else(|| Error::NotFound {
                    source_name: job.source.to_string(),
                    message: format!("no image tagged {named:?}"),
                })?;
            let from = Location::Layout {
                path: path.clone(),
                tag: image.tag.clone(),
            };
            Ok((digest, from))
        }
        other => Err(unsupported_source(other)),
    }
}

/// What `reference` (a tag or digest) names in the source repository.
async fn source_digest(
    ctx: &CopyContext<'_>,
    repository: &Reference,
    reference: &str,
) -> Result<Digest, Error> {
    let source = Registries::new(ctx.access).source(repository)?;
    match source.manifest_head(reference).await? {
        Some(head) => Ok(head.digest),
        None => Err(Error::NotFound {
            source_name: format!("docker://{}", repository.name),
            message: format!("no manifest {reference}"),
        }),
    }
}

/// What the target holds now under the image's name: a registry's tag
/// (one `HEAD`), a layout's, the engine's image (its ID), an archive file.
async fn target_state(ctx: &CopyContext<'_>, to: &Location) -> Result<There, Error> {
    let there = match to {
        Location::Registry(r) => {
            let identifier = r
                .identifier()
                .ok_or_else(|| Error::NoIdentifier(r.full.clone()))?;
            let target = Registries::new(ctx.access).source(r)?;
            let head = target.manifest_head(&identifier).await?;
            head.map(|h| There::Manifest(h.digest))
        }
        Location::Layout { path, tag } => {
            layout_digest(ctx, path, tag.as_deref())?.map(There::Manifest)
        }
        Location::Daemon(_) => identity::image_id(ctx, to).await?.map(There::Image),
        Location::Archive { path, .. } => path.exists().then_some(There::File),
    };
    Ok(there.unwrap_or(There::Absent))
}

/// The digest `tag` names in the layout at `path`; none when there is no
/// layout there yet or it has no such tag.
pub(super) fn layout_digest(
    ctx: &CopyContext<'_>,
    path: &Path,
    tag: Option<&str>,
) -> Result<Option<Digest>, Error> {
    if !path.join("oci-layout").exists() {
        return Ok(None);
    }
    let generation = ctx.ops.manifest_generation;
    let index = LayoutSource::open(path)?.index(&IndexPlanning(generation))?;
    if let Some(tag) = tag
        && !generation.layout_tags(&index)?.iter().any(|t| t == tag)
    {
        return Ok(None);
    }
    Ok(Some(generation.layout_entry(&index, tag)?.digest))
}

/// `work` read from a lockfile, each image's reason learnt anew from its
/// target (one `HEAD` each): the source is named by digest, so no tag is
/// resolved.
pub fn recheck(ctx: &CopyContext<'_>, work: Vec<Work>) -> Result<Vec<Work>, Error> {
    ctx.runtime.block_on(
        stream::iter(work)
            .map(|mut item| async move {
                let there = target_state(ctx, &item.to).await?;
                let planned = &item.planned;
                let why = reason(
                    ctx,
                    (&item.from, &planned.digest),
                    (&item.to, there),
                    &planned.settings,
                );
                item.planned.reason = why.await?;
                Ok::<_, Error>(item)
            })
            .buffered(LOOKUPS_AT_ONCE)
            .try_collect(),
    )
}

/// Why the image of `digest` at `from` is copied to `to`, which holds
/// `there`. With some platforms only, what the target gets is another
/// manifest (a platform's image, or a new index of several), whose digest
/// is learnt from the source's index: one `GET` more. Where one side names
/// images by image ID (an archive, the engine), the other side's manifest
/// is read for its config: one `GET` more. An archive file is rewritten
/// whole: it is always changed.
async fn reason(
    ctx: &CopyContext<'_>,
    (from, digest): (&Location, &Digest),
    (to, there): (&Location, There),
    settings: &super::Settings,
) -> Result<Reason, Error> {
    let same = match there {
        There::Absent => return Ok(Reason::New),
        There::File => return Ok(Reason::Changed),
        There::Manifest(there) if keeps_manifests(from) => {
            let expected = match &settings.platforms {
                None => digest.clone(),
                Some(_) => chosen_digest(ctx, from, digest, settings).await?,
            };
            there == expected
        }
        There::Manifest(there) => {
            identity::manifest_config(ctx, to, &there).await?.as_ref() == Some(digest)
        }
        There::Image(id) if keeps_manifests(from) => {
            let platforms = super::platforms(ctx.ops, settings)?;
            let copied = identity::copied_image_id(ctx, from, digest, &platforms).await?;
            copied == Some(id)
        }
        There::Image(id) => id == *digest,
    };
    Ok(if same {
        Reason::Unchanged
    } else {
        Reason::Changed
    })
}

/// The digest of what a copy of `settings`' platforms of the image
/// `digest` at `from` puts at the target.
async fn chosen_digest(
    ctx: &CopyContext<'_>,
    from: &Location,
    digest: &Digest,
    settings: &super::Settings,
) -> Result<Digest, Error> {
    let mut document = identity::root_document(ctx, from, digest).await?;
    let contents = contents(ctx.ops, &mut document)?;
    let platforms = super::platforms(ctx.ops, settings)?;
    Ok(match chosen_platforms(ctx.ops, &contents, &platforms)? {
        None => digest.clone(),
        Some(Chosen::One(one)) => one.digest,
        Some(Chosen::Index(index)) => index.descriptor.digest,
    })
}
