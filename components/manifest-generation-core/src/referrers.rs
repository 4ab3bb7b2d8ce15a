//! The OCI 1.1 referrers tag schema (distribution spec, "Referrers Tag
//! Schema"), for registries without the referrers API: the tag that lists
//! the referrers of a manifest ([`referrers_tag`]) and the image index kept
//! there after a referrer is pushed ([`referrers_index`]), as the spec's
//! "Pushing Manifests with Subject" has clients maintain it.
//!
//! Owns: the tag's spelling, which entries the index keeps, and which
//! descriptors can be referrers. Reading and writing the index itself is
//! [`crate::index`]'s.
//! Must not: fetch or push the tag (the host does I/O), or fill in the
//! referrer's `artifactType` and annotations from its manifest (the caller
//! describes the manifest it pushed).

use crate::index::{Entry, OciIndex, read_oci_index};
use crate::{Descriptor, Document, Error, MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST};

/// The longest algorithm part of a referrers tag, in characters.
const TAG_ALGORITHM_CHARS: usize = 32;
/// The longest encoded part of a referrers tag, in characters.
const TAG_ENCODED_CHARS: usize = 64;

/// The media types a referrer can have: the manifests that carry a
/// `subject` (OCI image manifest and OCI image index; Docker schema 2
/// documents have no such field).
const REFERRER_TYPES: [&str; 2] = [MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_INDEX];

/// The tag that lists the referrers of `subject`; see the WIT
/// `referrers-tag`.
pub fn referrers_tag(subject: &str) -> String {
    let (algorithm, encoded) = subject.split_once(':').unwrap_or((subject, ""));
    let algorithm = algorithm.chars().take(TAG_ALGORITHM_CHARS);
    let encoded = encoded.chars().take(TAG_ENCODED_CHARS);
    algorithm
        .chain(std::iter::once('-'))
        .chain(encoded)
        .map(tag_char)
        .collect()
}

/// A character a tag may hold after its first (`[a-zA-Z0-9._-]`), or `-`
/// in its place: a digest algorithm may hold `+` and an encoded part `=`.
fn tag_char(c: char) -> char {
    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
        c
    } else {
        '-'
    }
}

/// The index at the referrers tag after adding `referrer`; see the WIT
/// `referrers-index`.
pub fn referrers_index(existing: Option<&[u8]>, referrer: &Descriptor) -> Result<Document, Error> {
    check_referrer(referrer)?;
    let kept = match existing {
        Some(bytes) => read_oci_index(bytes, "existing", "the referrers index")?.manifests,
        None => Vec::new(),
    };
    Ok(OciIndex {
        manifests: with_referrer(kept, referrer),
        ..OciIndex::default()
    }
    .document())
}

/// `referrer` must be a valid descriptor of a manifest that can have a
/// `subject`.
fn check_referrer(referrer: &Descriptor) -> Result<(), Error> {
    referrer.check("referrer")?;
    if REFERRER_TYPES.contains(&referrer.media_type.as_str()) {
        return Ok(());
    }
    Err(Error::Unsupported(format!(
        "referrer: media type {:?} cannot refer to a subject; a referrer is one of {}",
        referrer.media_type,
        REFERRER_TYPES.join(", ")
    )))
}

/// The entries of the new index: `referrer` in place of the first entry of
/// its digest, or last; any later entry of that digest dropped, so that a
/// referrer is listed once (the spec: no duplicate entries). Entries are
/// written with the WIT descriptor's fields only: the referrers API lists
/// descriptors, never embedded content.
fn with_referrer(existing: Vec<Entry>, referrer: &Descriptor) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::with_capacity(existing.len() + 1);
    let mut listed = false;
    for entry in existing {
        if entry.descriptor.digest != referrer.digest {
            entries.push(Entry::new(entry.descriptor));
        } else if !listed {
            entries.push(Entry::new(referrer.clone()));
            listed = true;
        }
    }
    if !listed {
        entries.push(Entry::new(referrer.clone()));
    }
    entries
}
