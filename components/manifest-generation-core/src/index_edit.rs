//! The index edits: `index create DST SRC...`, `index append DST SRC...`
//! ([`plan_index`]) and `index filter SRC DST --platform P...`
//! ([`filter_index`]), and the platform an image's config states, which
//! the host lists each image under ([`config_platform`]).
//!
//! Owns: which entries the new index lists and in which order, what is
//! refused as listed twice, the new index's media type, and which entries a
//! filter keeps. Reading and writing the index itself is [`crate::index`]'s
//! (existing entries keep their `data`, the index its unknown top-level
//! fields, `artifactType` and `subject`); matching a platform is
//! [`crate::select_platform`]'s (containerd's matcher).
//! Must not: fetch the sources or their configs, flatten a child index
//! into its children, or push (the host does I/O and says what each child
//! is).
//!
//! Decisions:
//! - A child's platform is its config's, as written (crane's
//!   `ConfigFile.Platform()`): not normalised, so the index says what the
//!   image says.
//! - Refused as listed twice, naming both entries: a digest listed twice,
//!   or two image entries (an OCI or Docker image manifest with a
//!   platform, not a buildx attestation) for the same platform. Platforms
//!   are compared after containerd's normalisation (`aarch64` is `arm64`,
//!   `arm64/v8` is `arm64`), OS version and OS features included (features
//!   as a set): a Windows index lists one image per OS version of the same
//!   `windows/amd64` (as Microsoft's images do). Only pairs with a new
//!   child are refused: an append does not refuse an index for what it
//!   already held.
//! - The new index is an OCI image index, but for an append to a Docker
//!   manifest list whose every entry, old and new, is a Docker schema 2
//!   manifest or manifest list (buildx's `imagetools create` rule), and to
//!   which no annotation is added (a Docker manifest list has none:
//!   buildx writes index annotations only into OCI indexes; here asking for
//!   one makes the index OCI rather than dropping it). crane's
//!   `index append` keeps the base's media type whatever it appends, which
//!   would make a Docker list of OCI manifests.
//! - An index of nothing is refused; so is an append of nothing.
//! - A filter keeps an entry with a platform matching one of the wanted
//!   ones, and an entry naming another in `vnd.docker.reference.digest`
//!   (a buildx attestation manifest, platform `unknown/unknown`) only when
//!   the entry it names is kept; entries with neither are dropped (crane's
//!   `index filter` drops every entry without a platform).

use std::collections::{BTreeMap, BTreeSet};

use ocipipe_sdk::json::annotation_map;

use crate::index::{Entry, OciIndex, read_any_index};
use crate::platform::{format as platform_string, matcher, no_match, normal_form};
use crate::read::{Kind, accepted_types, opt_str, parse_object, platform, within};
use crate::{Annotation, Descriptor, Document, Error, Platform};

/// The annotation by which buildx ties an attestation manifest to the
/// image it attests (`vnd.docker.reference.digest`).
pub const ANNOTATION_REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";

/// One image or index to list in a new index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexChild {
    /// Its digest, size and media type, and any `artifactType`,
    /// annotations and urls to list with it; its platform is ignored.
    pub manifest: Descriptor,
    /// The platform to list it under ([`config_platform`] of its config);
    /// none for a child index or a manifest that is not an image.
    pub platform: Option<Platform>,
}

/// The platform an image's config states: `os`, `architecture`,
/// `variant`, `os.version`, `os.features`, as written (not normalised, as
/// crane and buildx put the config's platform in the index). Refused when
/// `os` or `architecture` is missing or empty, a field is not of its JSON
/// type, or the config is not a JSON object.
pub fn config_platform(config: &[u8]) -> Result<Platform, Error> {
    let doc = parse_object(config, "the config")?;
    for key in ["os", "architecture"] {
        if opt_str(&doc, key, "config.")?.is_none_or(str::is_empty) {
            return Err(Error::invalid(format!(
                "config.{key}: missing or empty; an image's config must name the operating system and architecture it runs on to be listed in an index"
            )));
        }
    }
    let p = platform(&doc, "config.")?;
    p.check("config")?;
    Ok(p)
}

/// `index create` (`existing` none) and `index append` (`existing` the
/// media type and bytes of the index appended to): the index listing the
/// existing entries as they are, then `children` in order, each under its
/// platform, with `annotations` added to the index's own (replacing the
/// same keys). See the module's decisions for what is refused and the
/// media type.
pub fn plan_index(
    existing: Option<(&str, &[u8])>,
    children: &[IndexChild],
    annotations: &[Annotation],
) -> Result<Document, Error> {
    let (kind, mut index) = match existing {
        Some((media_type, bytes)) => {
            let (kind, index) = read_any_index(media_type, bytes, "the index appended to")
                .map_err(|e| within("existing: ", e))?;
            (Some(kind), index)
        }
        None => (None, OciIndex::default()),
    };
    if children.is_empty() {
        return Err(Error::invalid(if existing.is_some() {
            "nothing to append: give at least one image or index"
        } else {
            "an index lists at least one image or index: give one"
        }));
    }
    let added = annotation_map("annotations", annotations)?;
    let new: Vec<Entry> = children
        .iter()
        .enumerate()
        .map(|(i, c)| child_entry(i, c))
        .collect::<Result<_, _>>()?;
    check_listed_once(&index.manifests, &new)?;
    index.manifests.extend(new);
    let docker = kind == Some(Kind::DockerList)
        && added.is_empty()
        && index.manifests.iter().all(|e| is_docker(&e.descriptor));
    let mut merged: BTreeMap<String, String> = index.annotations.into_iter().collect();
    merged.extend(added.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
    index.annotations = merged.into_iter().collect();
    Ok(index.document_as(if docker {
        Kind::DockerList
    } else {
        Kind::OciIndex
    }))
}

/// `index filter`: the index `index` (given as `media_type`, chosen as
/// [`crate::read_manifest`] chooses it) keeping only the entries for one
/// of `platforms` and the attestations of those (see the module's
/// decisions), in order. Every wanted platform must match an entry, else
/// refused naming it and listing the index's platforms. The index's
/// media type, annotations and other fields are kept.
pub fn filter_index(
    media_type: &str,
    index: &[u8],
    platforms: &[Platform],
) -> Result<Document, Error> {
    let (kind, mut index) = read_any_index(media_type, index, "the index filtered")?;
    if platforms.is_empty() {
        return Err(Error::invalid(
            "no platform to keep: give at least one, e.g. linux/amd64",
        ));
    }
    for (i, p) in platforms.iter().enumerate() {
        p.check(&format!("platforms[{i}]"))?;
    }
    let matchers: Vec<_> = platforms.iter().map(matcher).collect();
    let wanted = |d: &Descriptor| {
        d.platform
            .as_ref()
            .is_some_and(|p| matchers.iter().any(|m| m(p)))
    };
    // Attestations are kept with what they attest, never by their own
    // (`unknown/unknown`) platform, and are not listed in a refusal.
    let platformed: Vec<Descriptor> = index
        .manifests
        .iter()
        .map(|e| &e.descriptor)
        .filter(|d| reference_digest(d).is_none())
        .cloned()
        .collect();
    for (p, m) in platforms.iter().zip(&matchers) {
        if !platformed
            .iter()
            .any(|d| d.platform.as_ref().is_some_and(m))
        {
            return Err(no_match(&platformed, p));
        }
    }
    let kept: BTreeSet<&str> = platformed
        .iter()
        .filter(|d| wanted(d))
        .map(|d| d.digest.as_str())
        .collect();
    let keep: Vec<bool> = index
        .manifests
        .iter()
        .map(|e| match reference_digest(&e.descriptor) {
            Some(attested) => kept.contains(attested),
            None => wanted(&e.descriptor),
        })
        .collect();
    let mut keep = keep.into_iter();
    index.manifests.retain(|_| keep.next().unwrap_or(false));
    Ok(index.document_as(kind))
}

/// The entry of `children[i]`: its descriptor under its platform, checked.
fn child_entry(i: usize, child: &IndexChild) -> Result<Entry, Error> {
    let what = format!("children[{i}]");
    let mut d = child.manifest.clone();
    d.platform = child.platform.clone();
    d.check(&what)?;
    if Kind::of(&d.media_type).is_none() {
        return Err(Error::Unsupported(format!(
            "{what}: media type {:?} is not a manifest or index type ({})",
            d.media_type,
            accepted_types()
        )));
    }
    Ok(Entry::new(d))
}

/// No new entry repeats a digest, or the platform of an image, of an
/// existing entry or of an earlier new one.
fn check_listed_once(existing: &[Entry], new: &[Entry]) -> Result<(), Error> {
    let name = |at: usize| {
        if at < existing.len() {
            format!("manifests[{at}] of the existing index")
        } else {
            format!("children[{}]", at - existing.len())
        }
    };
    let all: Vec<&Descriptor> = existing.iter().chain(new).map(|e| &e.descriptor).collect();
    for at in existing.len()..all.len() {
        let d = all[at];
        if let Some(before) = all[..at].iter().position(|e| e.digest == d.digest) {
            return Err(Error::invalid(format!(
                "{} and {} are the same manifest ({}); an index lists a manifest once",
                name(at),
                name(before),
                d.digest
            )));
        }
        let Some(key) = image_platform(d) else {
            continue;
        };
        if let Some(before) = all[..at]
            .iter()
            .position(|e| image_platform(e).as_ref() == Some(&key))
        {
            return Err(Error::invalid(format!(
                "{} ({}, {}) and {} ({}, {}) are both for the platform {}; an index lists one image per platform",
                name(at),
                d.digest,
                platform_text(d),
                name(before),
                all[before].digest,
                platform_text(all[before]),
                platform_string(&key)
            )));
        }
    }
    Ok(())
}

/// The normalised platform of an image entry: an OCI or Docker image
/// manifest with a platform, not an attestation.
fn image_platform(d: &Descriptor) -> Option<Platform> {
    let image = matches!(
        Kind::of(&d.media_type),
        Some(Kind::OciManifest | Kind::DockerManifest)
    );
    if !image || reference_digest(d).is_some() {
        return None;
    }
    d.platform.as_ref().map(normal_form)
}

/// The platform of an entry as it is written, for messages.
fn platform_text(d: &Descriptor) -> String {
    d.platform.as_ref().map(platform_string).unwrap_or_default()
}

/// The digest an attestation entry names, when it names one.
fn reference_digest(d: &Descriptor) -> Option<&str> {
    d.annotations
        .iter()
        .find(|(k, _)| k == ANNOTATION_REFERENCE_DIGEST)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// A Docker schema 2 manifest or manifest list.
fn is_docker(d: &Descriptor) -> bool {
    matches!(
        Kind::of(&d.media_type),
        Some(Kind::DockerManifest | Kind::DockerList)
    )
}
