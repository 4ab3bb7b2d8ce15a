//! The OCI 1.1 referrers tag schema (distribution spec, "Referrers Tag
//! Schema"), for registries without the referrers API: the tag that lists
//! the referrers of a manifest ([`referrers_tag`]) and the image index kept
//! there after a referrer is pushed ([`referrers_index`]), as the spec's
//! "Pushing Manifests with Subject" has clients maintain it.
//!
//! And reading a page of referrers back ([`read_referrers`]): from the
//! referrers API or that index, each entry on its own, so that one
//! malformed entry hides no other.
//!
//! Owns: the tag's spelling, which entries the index keeps, which
//! descriptors can be referrers, and which entries of a listing are
//! listed. Reading and writing the index itself is [`crate::index`]'s.
//! Must not: fetch or push the tag (the host does I/O), or fill in the
//! referrer's `artifactType` and annotations from its manifest (the caller
//! describes the manifest it pushed).

use crate::index::{Entry, OciIndex, oci_index_object, read_oci_index};
use crate::read::{descriptor, entries, within};
use crate::{
    Descriptor, Document, Error, MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST, ReferrersPage,
};

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

/// The referrers one page of a listing holds; see the WIT
/// `read-referrers`.
pub fn read_referrers(page: &[u8]) -> Result<ReferrersPage, Error> {
    let page_refused = |e| within("the referrers page: ", e);
    let doc = oci_index_object(page, "a page of referrers").map_err(page_refused)?;
    let mut read = ReferrersPage::default();
    for (i, entry) in entries(&doc).map_err(page_refused)?.iter().enumerate() {
        match descriptor(&format!("manifests[{i}]"), entry) {
            Ok(referrer) => read.referrers.push(referrer),
            Err(refusal) => read.refused.push(refusal.message().to_owned()),
        }
    }
    Ok(read)
}
