//! The `index.json` of an OCI image layout, as skopeo's `oci:` transport
//! (containers/image `oci/layout`) reads and writes it: which entry an
//! `oci:PATH[:TAG]` source means ([`layout_entry`]), which tags it can
//! name ([`layout_tags`]) and the index after a
//! destination adds a manifest ([`layout_index`]).
//!
//! Owns: what a tag is (`org.opencontainers.image.ref.name` and its
//! grammar), which entry a new manifest replaces, and which entry a source
//! means. Reading and writing the index itself is [`crate::index`]'s
//! (its entries' `data` and unknown top-level fields kept).
//! Must not: read or write files, or check that blobs exist (the host
//! does I/O).

use std::collections::BTreeMap;

use crate::index::{Entry, OciIndex, read_oci_index};
use crate::read::{Kind, accepted_types};
use crate::{Descriptor, Document, Error, ManifestContents, read_manifest};

/// The annotation that holds an entry's tag (OCI `AnnotationRefName`).
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation containerd and ocipipe give an entry for the image's
/// full name, which wins over [`ANNOTATION_REF_NAME`].
pub const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";

pub use crate::wit::exports::ocipipe::image::manifests::{EntryKind, IndexEntry};

/// The entries of the index `bytes`, for reading every image of a layout;
/// see the WIT `index-entries`.
pub fn index_entries(
    media_type: Option<&str>,
    bytes: &[u8],
    name: Option<&str>,
) -> Result<Vec<IndexEntry>, Error> {
    let entries: Vec<Descriptor> = match media_type {
        None => read_index(bytes)?
            .manifests
            .into_iter()
            .map(|e| e.descriptor)
            .collect(),
        Some(media_type) => match read_manifest(media_type, bytes)? {
            ManifestContents::Index(index) => index.manifests,
            ManifestContents::Image(image) => {
                return Err(Error::invalid(format!(
                    "the document is an image manifest ({}), not an index",
                    image.media_type
                )));
            }
        },
    };
    Ok(entries
        .into_iter()
        .map(|manifest| {
            let name = annotation(&manifest, ANNOTATION_IMAGE_NAME)
                .or_else(|| ref_name(&manifest))
                .or(name)
                .map(str::to_owned);
            let kind = match Kind::of(&manifest.media_type) {
                Some(kind) if kind.is_index() => EntryKind::Index,
                Some(_) => EntryKind::Image,
                None => EntryKind::Other,
            };
            IndexEntry {
                manifest,
                kind,
                name,
            }
        })
        .collect())
}

/// The `index.json` of a layout after adding `manifest`, named `tag` or
/// `image_name`; see the WIT `layout-index`.
pub fn layout_index(
    existing: Option<&[u8]>,
    manifest: &Descriptor,
    tag: Option<&str>,
    image_name: Option<&str>,
) -> Result<Document, Error> {
    let mut index = match existing {
        Some(bytes) => read_index(bytes)?,
        None => OciIndex::default(),
    };
    manifest.check("manifest")?;
    if Kind::of(&manifest.media_type).is_none() {
        return Err(Error::Unsupported(format!(
            "manifest: media type {:?} is not a manifest or index type ({})",
            manifest.media_type,
            accepted_types()
        )));
    }
    let image_name = image_name.filter(|n| !n.is_empty());
    let name = match (tag.filter(|t| !t.is_empty()), image_name) {
        (Some(tag), _) => Some(check_ref_name(tag)?),
        (None, Some(image)) => Some(tag_of_image(image)?),
        (None, None) => ref_name(manifest).map(check_ref_name).transpose()?,
    };
    let mut annotations: BTreeMap<String, String> = manifest.annotations.iter().cloned().collect();
    if let Some(name) = name {
        annotations.insert(ANNOTATION_REF_NAME.to_owned(), name.to_owned());
    }
    if let Some(image) = image_name {
        annotations.insert(ANNOTATION_IMAGE_NAME.to_owned(), image.to_owned());
    }
    let mut added = manifest.clone();
    added.annotations = annotations.into_iter().collect();
    let same_name = |e: &Entry| match image_name {
        Some(image) => annotation(&e.descriptor, ANNOTATION_IMAGE_NAME) == Some(image),
        None => name.is_some() && ref_name(&e.descriptor) == name,
    };
    let same_digest_unnamed =
        |e: &Entry| e.descriptor.digest == added.digest && ref_name(&e.descriptor).is_none();
    let replaced = index
        .manifests
        .iter()
        .position(same_name)
        .or_else(|| index.manifests.iter().position(same_digest_unnamed));
    let entry = Entry::new(added);
    match replaced {
        Some(i) => index.manifests[i] = entry,
        None => index.manifests.push(entry),
    }
    Ok(index.document())
}

/// The tag of a full image name (`docker.io/library/ubuntu:24.04` →
/// `24.04`): after the `:` of its last `/`-separated part. Refuses what
/// cannot name an image with a tag.
fn tag_of_image(image: &str) -> Result<&str, Error> {
    let refuse = |why: &str| {
        Err(Error::invalid(format!(
            "image-name {image:?} {why}; give a normalised name with a tag, e.g. docker.io/library/ubuntu:latest"
        )))
    };
    if image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("contains whitespace or a control character");
    }
    if image.contains('@') {
        return refuse("has a digest");
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((name, tag)) if !name.is_empty() && !tag.is_empty() => Ok(tag),
        _ => refuse("has no tag"),
    }
}

/// The entry of a layout's `index.json` that `oci:PATH[:TAG]` means; see
/// the WIT `layout-entry`.
pub fn layout_entry(index: &[u8], tag: Option<&str>) -> Result<Descriptor, Error> {
    let index = read_index(index)?;
    let manifests: Vec<&Descriptor> = index.manifests.iter().map(|e| &e.descriptor).collect();
    let mut tags: Vec<&str> = Vec::new();
    for name in manifests.iter().filter_map(|d| ref_name(d)) {
        if !tags.contains(&name) {
            tags.push(name);
        }
    }
    let supported = |d: &Descriptor| -> Result<Descriptor, Error> {
        match Kind::of(&d.media_type) {
            Some(_) => Ok(d.clone()),
            None => Err(Error::Unsupported(format!(
                "the layout's image has media type {:?}, not a manifest or index type ({})",
                d.media_type,
                accepted_types()
            ))),
        }
    };
    let Some(tag) = tag.filter(|t| !t.is_empty()) else {
        return match manifests[..] {
            [] => Err(Error::invalid("the layout holds no images")),
            [only] => supported(only),
            _ => Err(Error::invalid(format!(
                "the layout holds {} images; name one as oci:PATH:TAG ({})",
                manifests.len(),
                tag_list(&tags)
            ))),
        };
    };
    let mut unsupported: Vec<&str> = Vec::new();
    for d in manifests.iter().filter(|d| ref_name(d) == Some(tag)) {
        if Kind::of(&d.media_type).is_some() {
            return Ok((*d).clone());
        }
        unsupported.push(&d.media_type);
    }
    if !unsupported.is_empty() {
        return Err(Error::Unsupported(format!(
            "tag {tag:?} names only entries of media types that are not manifests or indexes: {}",
            unsupported.join(", ")
        )));
    }
    Err(Error::invalid(format!(
        "the layout has no image tagged {tag:?} ({})",
        tag_list(&tags)
    )))
}

/// The tags an `oci:PATH:TAG` source can name in a layout's `index.json`;
/// see the WIT `layout-tags`.
pub fn layout_tags(index: &[u8]) -> Result<Vec<String>, Error> {
    let index = read_index(index)?;
    let mut tags: Vec<String> = Vec::new();
    for d in index.manifests.iter().map(|e| &e.descriptor) {
        if let Some(tag) = ref_name(d)
            && Kind::of(&d.media_type).is_some()
            && !tags.iter().any(|t| t == tag)
        {
            tags.push(tag.to_string());
        }
    }
    Ok(tags)
}

/// "tags: a, b", or that there are none.
fn tag_list(tags: &[&str]) -> String {
    if tags.is_empty() {
        "none of its images is tagged".to_owned()
    } else {
        format!("tags: {}", tags.join(", "))
    }
}

/// The tag of an entry: its non-empty `ref.name` annotation.
fn ref_name(d: &Descriptor) -> Option<&str> {
    annotation(d, ANNOTATION_REF_NAME)
}

/// The non-empty annotation `key` of an entry.
fn annotation<'a>(d: &'a Descriptor, key: &str) -> Option<&'a str> {
    d.annotations
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// An existing `index.json`; every message starts with `index.json: `.
fn read_index(bytes: &[u8]) -> Result<OciIndex, Error> {
    read_oci_index(bytes, "index.json", "the index of an OCI image layout")
}

/// A tag must be a valid `org.opencontainers.image.ref.name`
/// (image-spec `annotations.md`, as containers/image checks it):
/// components of letters and digits joined by one of `-._:@+` or `--`,
/// components joined by `/`.
fn check_ref_name(name: &str) -> Result<&str, Error> {
    fn component_ok(c: &[u8]) -> bool {
        let mut i = 0;
        loop {
            let start = i;
            while i < c.len() && c[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if i == start {
                return false;
            }
            if i == c.len() {
                return true;
            }
            let sep = if c[i..].starts_with(b"--") { 2 } else { 1 };
            if sep == 1 && !b"-._:@+".contains(&c[i]) {
                return false;
            }
            i += sep;
        }
    }
    if name.as_bytes().split(|&b| b == b'/').all(component_ok) {
        Ok(name)
    } else {
        Err(Error::invalid(format!(
            "tag {name:?} is not a valid org.opencontainers.image.ref.name: letters and digits, joined by one of `-._:@+` or `--`, in components joined by `/`"
        )))
    }
}
