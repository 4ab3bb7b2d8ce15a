//! Referrers (signatures, SBOMs, attestations): how a repository lists
//! those of a manifest, how the referrers tag schema's index is updated,
//! and `copy --referrers`, which copies them with the image, as `oras cp
//! -r` does.
//!
//! A listing is the referrers API's where the registry has one (every
//! page), else the index at the tag schema's `sha256-<hex>` tag; each page
//! is read by the manifest-generation component entry by entry. A copy
//! lists the source's referrers of the subject, copies each referrer the
//! target does not list yet as any image is copied ([`transfer`], by
//! digest, no tag: its blobs looked for, mounted, sent, then its
//! manifest), then, when the target has no referrers API (which indexes a
//! manifest with a `subject` as it is put), adds them to the target's tag
//! schema index in one update that keeps what it lists. Referrers of
//! referrers (a signature of an SBOM) follow, to [`MAX_DEPTH`] levels.

use super::source::Source;
use super::transfer::{self, Stats};
use super::{CopyContext, Registries, Tree};
use crate::model::{Descriptor, Digest, Reference};
use crate::pipeline::Error;
use crate::registry::{self, Repository};
use std::collections::HashSet;

/// The most pages of the referrers API followed for one listing: past it,
/// a registry that never ends its list is refused, not waited for.
const MAX_REFERRER_PAGES: usize = 100;
/// The most referrers listed for one manifest: each page may list up to
/// 4 MiB of descriptors, and a listing is held whole before it is printed.
const MAX_REFERRERS: usize = 10_000;
/// How many levels of referrers a copy follows below the image: its
/// referrers (an SBOM), theirs (a signature of the SBOM), and theirs (a
/// countersignature or timestamp of that signature), the deepest chain
/// signing tools make. A bound because a tag schema index can be
/// rewritten by anyone who can push, and so can list without end.
pub const MAX_DEPTH: usize = 3;

/// The referrers of a manifest.
#[derive(Debug, Clone, Default)]
pub struct Referrers {
    /// Those that are valid descriptors, page after page, in order.
    pub listed: Vec<Descriptor>,
    /// What is wrong with each entry left out (`page 2: manifests[3].digest:
    /// …`): a malformed entry is reported, not a reason to list none.
    pub left_out: Vec<String>,
}

/// A listing, and where it came from.
pub(crate) struct Listing {
    /// The referrers listed.
    pub referrers: Referrers,
    /// The registry has the referrers API: it indexes referrers itself.
    pub api: bool,
}

/// The referrers of `subject` in `repository`: from the referrers API
/// where the registry has one, every page of it (`Link: <…>;
/// rel="next"`, on the same registry, at most [`MAX_REFERRER_PAGES`]
/// pages and [`MAX_REFERRERS`] referrers), else the tag schema's index.
pub(crate) fn list(
    ctx: &CopyContext<'_>,
    repository: &Repository,
    subject: &Digest,
) -> Result<Listing, Error> {
    let mg = ctx.ops.manifest_generation;
    let too_many = |message: String| {
        Error::Registry(registry::Error::Protocol {
            registry: repository.registry().host().to_string(),
            what: format!("GET referrers of {subject}"),
            message,
        })
    };
    let mut referrers = Referrers::default();
    let mut read = |number: usize, bytes: &[u8]| -> Result<(), Error> {
        let page = mg.read_referrers(bytes)?;
        referrers.listed.extend(page.referrers);
        let at = if number > 1 {
            format!("page {number}: ")
        } else {
            String::new()
        };
        referrers
            .left_out
            .extend(page.refused.into_iter().map(|why| format!("{at}{why}")));
        if referrers.listed.len() > MAX_REFERRERS {
            return Err(too_many(format!(
                "it lists more than {MAX_REFERRERS} referrers, the most that are listed"
            )));
        }
        Ok(())
    };
    let Some(first) = ctx.runtime.block_on(repository.referrers(subject))? else {
        if let Some(index) = tag_schema_index(ctx, repository, subject)?.1 {
            read(1, &index)?;
        }
        return Ok(Listing {
            referrers,
            api: false,
        });
    };
    read(1, &first.bytes)?;
    let mut next = first.next;
    let mut seen = HashSet::new();
    let mut number = 1;
    while let Some(url) = next {
        number += 1;
        if number > MAX_REFERRER_PAGES {
            return Err(too_many(format!(
                "it lists more than {MAX_REFERRER_PAGES} pages of referrers, \
                 the most that are followed"
            )));
        }
        if !seen.insert(url.clone()) {
            return Err(too_many(format!(
                "its next page {url} is one it gave before (a loop)"
            )));
        }
        let page = ctx
            .runtime
            .block_on(repository.referrers_next(subject, &url))?;
        read(number, &page.bytes)?;
        next = page.next;
    }
    Ok(Listing {
        referrers,
        api: true,
    })
}

/// Adds `added` to the referrers tag schema's index of `subject`, in one
/// update: what it lists is kept, an entry with the same digest replaced
/// in place (the component's `referrers-index`).
pub(crate) fn add_to_tag_schema(
    ctx: &CopyContext<'_>,
    repository: &Repository,
    subject: &Digest,
    added: &[Descriptor],
) -> Result<(), Error> {
    let (tag, mut index) = tag_schema_index(ctx, repository, subject)?;
    let mut made = None;
    for referrer in added {
        let document = ctx
            .ops
            .manifest_generation
            .referrers_index(index.as_deref(), referrer)?;
        index = Some(document.bytes.clone());
        made = Some(document);
    }
    if let Some(index) = made {
        ctx.runtime.block_on(repository.put_manifest(
            &tag,
            &index.descriptor.media_type,
            &index.bytes,
        ))?;
    }
    Ok(())
}

/// The referrers tag schema's tag for `subject`, and the index kept
/// there (none when the tag does not exist).
fn tag_schema_index(
    ctx: &CopyContext<'_>,
    repository: &Repository,
    subject: &Digest,
) -> Result<(String, Option<Vec<u8>>), Error> {
    let tag = ctx.ops.manifest_generation.referrers_tag(subject)?;
    match ctx.runtime.block_on(repository.manifest(&tag)) {
        Ok(fetched) => Ok((tag, Some(fetched.bytes))),
        Err(registry::Error::Status(s)) if s.status == 404 => Ok((tag, None)),
        Err(e) => Err(e.into()),
    }
}

/// What [`copy_referrers`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReferrersCopied {
    /// Referrers copied (those the target listed already are not counted).
    pub copied: u64,
    /// Their blob bytes sent.
    pub bytes_sent: u64,
}

/// The referrers of `subject` at `from` (a registry repository), copied
/// to `to` (a registry repository; `subject` should be there first), with
/// their blobs and their own referrers to [`MAX_DEPTH`] levels.
/// `artifact_types` (empty = all) filters the subject's referrers by
/// their listed `artifactType`; what refers to a referrer kept comes with
/// it whatever its type (the signature of a copied SBOM is what makes it
/// trusted). A referrer the target lists already is not copied again, but
/// its own referrers are looked at.
pub fn copy_referrers(
    ctx: &CopyContext<'_>,
    from: &Reference,
    to: &Reference,
    subject: &Digest,
    artifact_types: &[String],
) -> Result<ReferrersCopied, Error> {
    let mut registries = Registries::new(ctx.access);
    let source = registries.source(from)?;
    // The target may mount the referrers' blobs from the source's
    // repository when both are on one registry.
    let probe = Source::Registry {
        repository: source.clone(),
        reference: subject.to_string(),
    };
    let target = registries.destination(to, &probe)?;
    let mut totals = ReferrersCopied::default();
    let mut seen = HashSet::from([subject.clone()]);
    let mut pending = vec![(subject.clone(), 0)];
    while let Some((of, depth)) = pending.pop() {
        let listed = list(ctx, &source, &of)?.referrers;
        for why in &listed.left_out {
            tracing::warn!("a referrer of {of} at {from} is left out: {why}");
        }
        let at_target = list(ctx, &target, &of)?;
        let mut added = Vec::new();
        for referrer in listed.listed {
            let wanted = depth > 0
                || artifact_types.is_empty()
                || (referrer.artifact_type.as_ref()).is_some_and(|t| artifact_types.contains(t));
            if !wanted || !seen.insert(referrer.digest.clone()) {
                continue;
            }
            if depth + 1 < MAX_DEPTH {
                pending.push((referrer.digest.clone(), depth + 1));
            }
            let there = (at_target.referrers.listed.iter()).any(|r| r.digest == referrer.digest);
            if there {
                continue;
            }
            let stats =
                copy_one(ctx, &source, &target, &referrer).map_err(|e| Error::Referrer {
                    digest: referrer.digest.clone(),
                    artifact_type: referrer.artifact_type.clone(),
                    subject: of.clone(),
                    source: Box::new(e),
                })?;
            totals.copied += 1;
            totals.bytes_sent += stats.sent();
            added.push(referrer);
        }
        if !at_target.api && !added.is_empty() {
            add_to_tag_schema(ctx, &target, &of, &added)?;
        }
    }
    Ok(totals)
}

/// Copies the manifest `referrer` names, and what it refers to, from
/// `source` to `target`, by digest, as every copy writes ([`transfer`]).
fn copy_one(
    ctx: &CopyContext<'_>,
    source: &Repository,
    target: &Repository,
    referrer: &Descriptor,
) -> Result<Stats, Error> {
    let from = Source::Registry {
        repository: source.clone(),
        reference: referrer.digest.to_string(),
    };
    let tree: Tree = ctx.runtime.block_on(from.tree(ctx.ops, &[]))?;
    if tree.root.descriptor.digest != referrer.digest {
        return Err(Error::DigestMismatch {
            destination: format!("{}/{}", target.registry().host(), target.name()),
            named: referrer.digest.clone(),
            actual: tree.root.descriptor.digest.clone(),
        });
    }
    let into = transfer::registry(ctx, target.clone(), &from);
    transfer::transfer(ctx, &from, &tree, into, None)
}

#[cfg(test)]
mod tests;
