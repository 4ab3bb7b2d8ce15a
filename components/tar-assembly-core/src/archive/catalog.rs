//! The blobs of a list of images, validated, once per digest, in output
//! order: for each image its config, its layers, its manifest.
//!
//! Owns every check of the images (`InvalidInput`, naming the image and the
//! part): digests (the output decides which algorithms, see [`Digests`]); a
//! document's descriptor size is its byte length; the manifest (parsed as
//! JSON) names exactly the image's config and layers, digests and sizes, in
//! order; a digest has one size (and one content) across images; repo tags
//! are non-empty names with a tag and no digest, none given twice; and the
//! checks of the blobs the host says it wrote.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ocipipe_sdk::digest::{self, SHA256};
use serde::Deserialize;

use super::blob::blob_path;
use super::{ArchiveImage, WrittenBlob};
use crate::{Document, Error};

/// Which digests an output can name blobs by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Digests {
    /// A tar archive: sha256 only, the algorithm of its `blobs/sha256/`
    /// paths and of the engine's image IDs.
    Sha256,
}

impl Digests {
    /// Checks `digest`; `what` names whose it is.
    pub(super) fn check(self, digest: &str, what: &str) -> Result<(), Error> {
        match self {
            Digests::Sha256 => match digest::split(digest) {
                Ok((SHA256, _)) => Ok(()),
                _ => Err(Error::invalid(format!(
                    "{what}: digest {digest:?} is not of the form sha256:<64 lowercase hex>"
                ))),
            },
        }
    }
}

/// A blob of the output, once per digest.
pub(super) struct Blob<'a> {
    pub(super) digest: &'a str,
    pub(super) size: u64,
    /// The bytes of a config or manifest.
    pub(super) document: Option<&'a [u8]>,
    /// Present in the output: a document, or a layer some image does not
    /// mark `omitted`.
    pub(super) stored: bool,
}

/// Every blob of a list of images, validated, in output order.
pub(super) struct Catalog<'a> {
    pub(super) blobs: Vec<Blob<'a>>,
    index: HashMap<&'a str, usize>,
    /// Digests used as layers.
    layers: BTreeSet<&'a str>,
    /// The first omitted layer, for the error of outputs without them.
    omitted: Option<String>,
    digests: Digests,
}

impl<'a> Catalog<'a> {
    pub(super) fn new(images: &'a [ArchiveImage], digests: Digests) -> Result<Self, Error> {
        let mut catalog = Catalog {
            blobs: Vec::new(),
            index: HashMap::new(),
            layers: BTreeSet::new(),
            omitted: None,
            digests,
        };
        let mut tags: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, image) in images.iter().enumerate() {
            let label = match image.repo_tags.first() {
                Some(tag) => format!("image {i} ({tag})"),
                None => format!("image {i}"),
            };
            for tag in &image.repo_tags {
                check_repo_tag(tag, &label)?;
                if let Some(other) = tags.insert(tag, i) {
                    return Err(Error::invalid(format!(
                        "repo tag {tag:?} is given for image {other} and image {i}; a name tags one image"
                    )));
                }
            }
            check_manifest(image, &label)?;
            catalog.add_document(&image.config, &format!("{label}: config"))?;
            for (n, layer) in image.layers.iter().enumerate() {
                let what = format!("{label}: layer {n}");
                let digest = layer.descriptor.digest.as_str();
                digests.check(digest, &what)?;
                catalog.add(digest, layer.descriptor.size, None, !layer.omitted, &what)?;
                catalog.layers.insert(digest);
                if layer.omitted && catalog.omitted.is_none() {
                    catalog.omitted = Some(format!("{what} ({digest})"));
                }
            }
            catalog.add_document(&image.manifest, &format!("{label}: manifest"))?;
        }
        Ok(catalog)
    }

    /// The blob with this digest, if the output has it.
    pub(super) fn get(&self, digest: &str) -> Option<&Blob<'a>> {
        self.index.get(digest).map(|&i| &self.blobs[i])
    }

    /// Whether some image has this digest as a layer.
    pub(super) fn is_layer(&self, digest: &str) -> bool {
        self.layers.contains(digest)
    }

    fn add_document(&mut self, doc: &'a Document, what: &str) -> Result<(), Error> {
        let digest = doc.descriptor.digest.as_str();
        self.digests.check(digest, what)?;
        if doc.descriptor.size != doc.bytes.len() as u64 {
            return Err(Error::invalid(format!(
                "{what}: its descriptor says {} bytes, the document has {}",
                doc.descriptor.size,
                doc.bytes.len()
            )));
        }
        self.add(digest, doc.descriptor.size, Some(&doc.bytes), true, what)
    }

    fn add(
        &mut self,
        digest: &'a str,
        size: u64,
        document: Option<&'a [u8]>,
        stored: bool,
        what: &str,
    ) -> Result<(), Error> {
        let Some(&i) = self.index.get(digest) else {
            self.index.insert(digest, self.blobs.len());
            self.blobs.push(Blob {
                digest,
                size,
                document,
                stored,
            });
            return Ok(());
        };
        let blob = &mut self.blobs[i];
        if blob.size != size {
            return Err(Error::invalid(format!(
                "{what}: {digest} is {size} bytes here and {} bytes elsewhere",
                blob.size
            )));
        }
        match (blob.document, document) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::invalid(format!(
                    "{what}: two different documents have the digest {digest}"
                )));
            }
            (None, Some(b)) => blob.document = Some(b),
            _ => {}
        }
        blob.stored |= stored;
        Ok(())
    }

    /// Refuses omitted layers, which only the `Docker` format has.
    pub(super) fn refuse_omitted(&self, output: &str) -> Result<(), Error> {
        match &self.omitted {
            Some(layer) => Err(Error::invalid(format!(
                "{layer} is omitted, but {output} stores every layer (omitted layers are for the docker format only)"
            ))),
            None => Ok(()),
        }
    }

    /// The digests of the `written` blobs of an output whose blobs are
    /// named by digest: each is a blob of the output, written once, at the
    /// path `blob_entry` gives it.
    pub(super) fn written_by_digest<'w>(
        &self,
        written: &'w [WrittenBlob],
    ) -> Result<BTreeSet<&'w str>, Error> {
        let mut done = BTreeSet::new();
        for w in written {
            let what = format!("written blob {:?}", w.digest);
            self.digests.check(&w.digest, &what)?;
            if self.get(&w.digest).is_none() {
                return Err(Error::invalid(format!(
                    "{what} is not a config, manifest or layer of any image"
                )));
            }
            let expected = blob_path(&w.digest);
            if w.path != expected {
                return Err(Error::invalid(format!(
                    "{what} was written at {:?}, not at {expected:?} where blob-entry puts it",
                    w.path
                )));
            }
            if !done.insert(w.digest.as_str()) {
                return Err(Error::invalid(format!("{what} is listed twice")));
            }
        }
        Ok(done)
    }
}

/// A name the engine can tag an image with on load: a tag, no digest.
fn check_repo_tag(tag: &str, label: &str) -> Result<(), Error> {
    let fail = |why: &str| {
        Err(Error::invalid(format!(
            "{label}: repo tag {tag:?} {why}; give a normalised name with a tag, e.g. docker.io/library/ubuntu:latest"
        )))
    };
    if tag.is_empty() {
        return fail("is empty");
    }
    if tag.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return fail("contains whitespace or a control character");
    }
    if tag.contains('@') {
        return fail("has a digest");
    }
    match tag_of(tag) {
        Some(_) => Ok(()),
        None => fail("has no tag"),
    }
}

/// The tag of a repo tag: after the `:` of its last path component, when
/// both sides of that `:` are non-empty.
pub(super) fn tag_of(repo_tag: &str) -> Option<&str> {
    let last = repo_tag.rsplit('/').next().unwrap_or(repo_tag);
    match last.split_once(':') {
        Some((name, tag)) if !name.is_empty() && !tag.is_empty() => Some(tag),
        _ => None,
    }
}

#[derive(Deserialize)]
struct ManifestRefs {
    config: Option<BlobRef>,
    layers: Option<Vec<BlobRef>>,
}

#[derive(Deserialize)]
struct BlobRef {
    digest: String,
    size: u64,
}

/// The manifest names the image's config and layers, in order.
fn check_manifest(image: &ArchiveImage, label: &str) -> Result<(), Error> {
    let refs: ManifestRefs = serde_json::from_slice(&image.manifest.bytes).map_err(|e| {
        Error::invalid(format!(
            "{label}: the manifest is not an image manifest: {e}"
        ))
    })?;
    let config = refs
        .config
        .ok_or_else(|| Error::invalid(format!("{label}: the manifest has no config")))?;
    let layers = refs
        .layers
        .ok_or_else(|| Error::invalid(format!("{label}: the manifest has no layers")))?;
    let given = &image.config.descriptor;
    if config.digest != given.digest || config.size != given.size {
        return Err(Error::invalid(format!(
            "{label}: the manifest's config is {} ({} bytes), the image's config is {} ({} bytes)",
            config.digest, config.size, given.digest, given.size
        )));
    }
    if layers.len() != image.layers.len() {
        return Err(Error::invalid(format!(
            "{label}: the manifest lists {} layers, the image has {}",
            layers.len(),
            image.layers.len()
        )));
    }
    for (n, (listed, layer)) in layers.iter().zip(&image.layers).enumerate() {
        let given = &layer.descriptor;
        if listed.digest != given.digest || listed.size != given.size {
            return Err(Error::invalid(format!(
                "{label}: layer {n} is {} ({} bytes) in the manifest and {} ({} bytes) in the image",
                listed.digest, listed.size, given.digest, given.size
            )));
        }
    }
    Ok(())
}
