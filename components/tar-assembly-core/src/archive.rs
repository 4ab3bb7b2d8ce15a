//! Image archives (`docker load`, optionally also an OCI image layout in the
//! same tar) and OCI image layout directories.
//!
//! # Blob entries the host writes itself
//! Blob names in the `docker-and-oci` format depend on digests, which the
//! host knows only after streaming. So the host writes blob entries itself,
//! ahead of everything else, each as `head.header`, the blob's bytes, then
//! `head.padding` zero bytes, with the head [`blob_entry`] gives; then it
//! writes the plan of [`plan_archive`], telling it which blobs it wrote.
//!
//! | format           | blob entry path (`blob_entry`)                                  |
//! |------------------|-----------------------------------------------------------------|
//! | `DockerAndOci`   | `blobs/sha256/<hex>`; without a digest `blobs/sha256/` + 64 `0` |
//! | `Docker`         | `layer-<ordinal>.tar` (digest ignored)                          |
//!
//! The head of a placeholder has exactly the length of the head for any
//! real digest (one 512-byte block below 8 GiB, three blocks with a PAX
//! `size` record from 8 GiB), so a seekable output can write the placeholder
//! and overwrite it in place once the digest is known.
//!
//! # `plan_archive`, `DockerAndOci`
//! 1. Directory entries `blobs/` and `blobs/sha256/`. They are always the
//!    first entries of the plan: when the host wrote blob entries before it,
//!    those come before the directories. Tar readers (GNU tar, Go's
//!    `archive/tar`, the engine's loader, skopeo, umoci) accept a directory
//!    entry after entries inside it; extraction then sets the directory's
//!    mode 0755 last. Putting them in the first blob head instead would make
//!    the head of the first blob differ from every other and tie
//!    `plan_archive` to the order the host wrote blobs in.
//! 2. Every blob not in `written`, once, in this order: for each image,
//!    its config, its layers in order, its manifest (the first image that
//!    names a digest decides where it goes). Configs and manifests are
//!    `Bytes`; layers are `Bytes(header) Blob(digest, size) Bytes(padding)`.
//! 3. `oci-layout`: `{"imageLayoutVersion":"1.0.0"}`.
//! 4. `index.json`: `{"schemaVersion":2,"mediaType":
//!    "application/vnd.oci.image.index.v1+json","manifests":[…]}` with, per
//!    image and per repo tag, the manifest's descriptor (`mediaType`,
//!    `digest`, `size`, then `urls`, `annotations`, `platform`,
//!    `artifactType` when the document's descriptor has them) whose
//!    annotations also hold `io.containerd.image.name` = the repo tag and
//!    `org.opencontainers.image.ref.name` = its tag (as `docker save` with
//!    the containerd image store writes them); an image without repo tags
//!    gets one descriptor without those two annotations.
//! 5. `manifest.json`: `[{"Config":"blobs/sha256/<hex>","RepoTags":[…],
//!    "Layers":["blobs/sha256/<hex>",…]},…]`, one object per image.
//! 6. Two zero blocks.
//!
//! # `plan_archive`, `Docker`
//! Per image: the config at `<config-hex>.json` (once per config), then its
//! layers not yet in the archive: a layer the host wrote keeps the path it
//! was written at; any other stored layer gets `layer-<n>.tar` with `n` the
//! smallest ordinal no written or earlier planned layer uses, as a
//! `Blob` segment; a layer that is `omitted` in every image that has it
//! gets a zero-length entry `blank-<k>.tar` (`k` counts such layers from 0;
//! the name echoes imgutil's `blank_<n>`). Then `manifest.json` as above
//! with these paths, and two zero blocks.
//!
//! # Entries
//! ustar headers (PAX only for a blob of 8 GiB or more), mode 0644 for files
//! and 0755 for directories, uid/gid 0, mtime 0, empty uname/gname. JSON is
//! compact, keys in the fixed order given above, no trailing newline.
//!
//! # `plan_layout`
//! `blobs/sha256/<hex>` for every blob once, in the order above (configs and
//! manifests as one `Bytes` segment, layers as one `Blob` segment), then
//! `oci-layout`, then `index.json` last, so a reader that finds the index
//! finds every blob it names. Directories are not listed: the host creates
//! the parents of every path.
//!
//! # Validation (`InvalidInput`)
//! Digests are `sha256:` + 64 lowercase hex; a document's descriptor size is
//! its byte length; an image's manifest (parsed as JSON) names exactly its
//! config and layers, digests and sizes, in order; a digest has one size
//! (and one content) across images; repo tags are non-empty names with a
//! tag and no digest, none given twice; `omitted` only in the `Docker`
//! format; a written blob is a blob of the archive (a layer in the `Docker`
//! format), written once, at the path `blob_entry` gives for it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::header::{self, Header};
use crate::plan::PlanBuilder;
use crate::{Error, Segment, invalid};

/// Media type of `index.json`.
pub const MEDIA_TYPE_IMAGE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Annotation with the full image name (containerd).
pub const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";
/// Annotation with the tag (OCI).
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Contents of `oci-layout`.
pub const OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

const ZERO_HEX: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an archive holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// `manifest.json` and an OCI image layout, blobs at `blobs/sha256/`.
    DockerAndOci,
    /// `manifest.json` alone; blob names from ordinals.
    Docker,
}

/// The platform of an image (OCI index `platform`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    pub os_version: Option<String>,
    pub os_features: Vec<String>,
    pub cpu_variant: Option<String>,
}

/// An OCI content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    pub artifact_type: Option<String>,
    pub annotations: Vec<(String, String)>,
    pub platform: Option<Platform>,
    pub urls: Vec<String>,
}

/// A small document and its descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    pub descriptor: Descriptor,
    pub bytes: Vec<u8>,
}

/// A layer of an image in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLayer {
    /// The (uncompressed) layer tar.
    pub descriptor: Descriptor,
    /// The engine already has it: a zero-length entry (`Docker` only).
    pub omitted: bool,
}

/// One image to put in an archive or layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveImage {
    pub config: Document,
    pub manifest: Document,
    pub layers: Vec<ArchiveLayer>,
    /// Normalised names with a tag, e.g. `docker.io/library/ubuntu:24.04`.
    pub repo_tags: Vec<String>,
}

/// The head of a blob entry the host writes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHead {
    pub path: String,
    pub header: Vec<u8>,
    pub padding: u32,
}

/// A blob the host already wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenBlob {
    pub digest: String,
    pub path: String,
}

/// A file of an OCI image layout directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutFile {
    pub path: String,
    pub contents: Vec<Segment>,
}

/// The head of the blob entry of `size` bytes that the host writes as its
/// `ordinal`-th blob (see the module documentation for the paths).
pub fn blob_entry(
    format: ArchiveFormat,
    digest: Option<&str>,
    ordinal: u32,
    size: u64,
) -> Result<BlobHead, Error> {
    let path = match format {
        ArchiveFormat::DockerAndOci => {
            let hex = match digest {
                Some(d) => hex_of(d, "blob")?,
                None => ZERO_HEX,
            };
            blob_path(hex)
        }
        ArchiveFormat::Docker => {
            if let Some(d) = digest {
                hex_of(d, "blob")?;
            }
            layer_path(ordinal)
        }
    };
    let header = header::encode(&Header::archive(&path, header::TYPE_REG, size))?;
    let padding = u32::try_from(header::padding(size)).expect("padding is less than a block");
    Ok(BlobHead {
        path,
        header,
        padding,
    })
}

/// Every entry of the archive except the `written` blobs, then the
/// end-of-archive blocks (see the module documentation).
pub fn plan_archive(
    format: ArchiveFormat,
    images: &[ArchiveImage],
    written: &[WrittenBlob],
) -> Result<Vec<Segment>, Error> {
    let catalog = Catalog::new(images)?;
    match format {
        ArchiveFormat::DockerAndOci => {
            catalog.refuse_omitted("the docker-and-oci format")?;
            plan_docker_and_oci(&catalog, images, written)
        }
        ArchiveFormat::Docker => plan_docker(&catalog, images, written),
    }
}

/// The files of an OCI image layout directory (see the module
/// documentation).
pub fn plan_layout(images: &[ArchiveImage]) -> Result<Vec<LayoutFile>, Error> {
    let catalog = Catalog::new(images)?;
    catalog.refuse_omitted("an OCI image layout")?;
    let mut files: Vec<LayoutFile> = catalog
        .blobs
        .iter()
        .map(|blob| LayoutFile {
            path: blob_path(blob.hex),
            contents: vec![match blob.document {
                Some(bytes) => Segment::Bytes(bytes.to_vec()),
                None => Segment::Blob {
                    digest: blob.digest.to_owned(),
                    size: blob.size,
                },
            }],
        })
        .collect();
    files.push(LayoutFile {
        path: "oci-layout".to_owned(),
        contents: vec![Segment::Bytes(OCI_LAYOUT.to_vec())],
    });
    files.push(LayoutFile {
        path: "index.json".to_owned(),
        contents: vec![Segment::Bytes(index_json(images))],
    });
    Ok(files)
}

fn plan_docker_and_oci(
    catalog: &Catalog<'_>,
    images: &[ArchiveImage],
    written: &[WrittenBlob],
) -> Result<Vec<Segment>, Error> {
    let mut skip = BTreeSet::new();
    for w in written {
        let what = format!("written blob {:?}", w.digest);
        let hex = hex_of(&w.digest, &what)?;
        if !catalog.index.contains_key(w.digest.as_str()) {
            return Err(invalid(format!(
                "{what} is not a config, manifest or layer of any image"
            )));
        }
        let expected = blob_path(hex);
        if w.path != expected {
            return Err(invalid(format!(
                "{what} was written at {:?}, not at {expected:?} where blob-entry puts it",
                w.path
            )));
        }
        if !skip.insert(w.digest.as_str()) {
            return Err(invalid(format!("{what} is listed twice")));
        }
    }

    let mut plan = PlanBuilder::new();
    for dir in ["blobs/", "blobs/sha256/"] {
        plan.bytes(&header::encode(&Header::archive(dir, header::TYPE_DIR, 0))?);
    }
    for blob in &catalog.blobs {
        if skip.contains(blob.digest) {
            continue;
        }
        let path = blob_path(blob.hex);
        plan.bytes(&header::encode(&Header::archive(
            &path,
            header::TYPE_REG,
            blob.size,
        ))?);
        match blob.document {
            Some(bytes) => plan.data(bytes),
            None => plan.blob(blob.digest, blob.size),
        }
    }
    document_entry(&mut plan, "oci-layout", OCI_LAYOUT)?;
    document_entry(&mut plan, "index.json", &index_json(images))?;
    let items: Vec<ManifestItem<'_>> = images
        .iter()
        .map(|image| ManifestItem {
            config: blob_path(hex_unchecked(&image.config.descriptor.digest)),
            repo_tags: &image.repo_tags,
            layers: image
                .layers
                .iter()
                .map(|l| blob_path(hex_unchecked(&l.descriptor.digest)))
                .collect(),
        })
        .collect();
    document_entry(&mut plan, "manifest.json", &to_json(&items))?;
    Ok(plan.finish())
}

fn plan_docker(
    catalog: &Catalog<'_>,
    images: &[ArchiveImage],
    written: &[WrittenBlob],
) -> Result<Vec<Segment>, Error> {
    // Paths of layers the host wrote, and the ordinals they use.
    let mut paths: HashMap<&str, String> = HashMap::new();
    let mut used = BTreeSet::new();
    for w in written {
        let what = format!("written blob {:?}", w.digest);
        hex_of(&w.digest, &what)?;
        if !catalog.layers.contains(w.digest.as_str()) {
            return Err(invalid(format!(
                "{what} is not a layer of any image (in the docker format the host writes layers only)"
            )));
        }
        let ordinal = parse_layer_path(&w.path).ok_or_else(|| {
            invalid(format!(
                "{what} was written at {:?}, which is not a path blob-entry gives in the docker format (layer-<ordinal>.tar)",
                w.path
            ))
        })?;
        if !used.insert(ordinal) {
            return Err(invalid(format!(
                "{what}: another written blob is at {:?} too",
                w.path
            )));
        }
        if paths.insert(w.digest.as_str(), w.path.clone()).is_some() {
            return Err(invalid(format!("{what} is listed twice")));
        }
    }

    let mut plan = PlanBuilder::new();
    let mut configs_done = BTreeSet::new();
    let mut next_ordinal: u32 = 0;
    let mut blanks: u32 = 0;
    for image in images {
        let config = &image.config;
        if configs_done.insert(config.descriptor.digest.as_str()) {
            let name = format!("{}.json", hex_unchecked(&config.descriptor.digest));
            document_entry(&mut plan, &name, &config.bytes)?;
        }
        for layer in &image.layers {
            let digest = layer.descriptor.digest.as_str();
            if paths.contains_key(digest) {
                continue;
            }
            let blob = &catalog.blobs[catalog.index[digest]];
            if blob.stored {
                while used.contains(&next_ordinal) {
                    next_ordinal += 1;
                }
                used.insert(next_ordinal);
                let path = layer_path(next_ordinal);
                plan.bytes(&header::encode(&Header::archive(
                    &path,
                    header::TYPE_REG,
                    blob.size,
                ))?);
                plan.blob(digest, blob.size);
                paths.insert(digest, path);
            } else {
                let path = format!("blank-{blanks}.tar");
                blanks += 1;
                plan.bytes(&header::encode(&Header::archive(
                    &path,
                    header::TYPE_REG,
                    0,
                ))?);
                paths.insert(digest, path);
            }
        }
    }
    let items: Vec<ManifestItem<'_>> = images
        .iter()
        .map(|image| ManifestItem {
            config: format!("{}.json", hex_unchecked(&image.config.descriptor.digest)),
            repo_tags: &image.repo_tags,
            layers: image
                .layers
                .iter()
                .map(|l| paths[l.descriptor.digest.as_str()].clone())
                .collect(),
        })
        .collect();
    document_entry(&mut plan, "manifest.json", &to_json(&items))?;
    Ok(plan.finish())
}

/// A regular file entry with contents produced here.
fn document_entry(plan: &mut PlanBuilder, name: &str, bytes: &[u8]) -> Result<(), Error> {
    plan.bytes(&header::encode(&Header::archive(
        name,
        header::TYPE_REG,
        bytes.len() as u64,
    ))?);
    plan.data(bytes);
    Ok(())
}

fn blob_path(hex: &str) -> String {
    format!("blobs/sha256/{hex}")
}

fn layer_path(ordinal: u32) -> String {
    format!("layer-{ordinal}.tar")
}

/// The ordinal of a `layer-<n>.tar` path, `n` written as `layer_path` does.
fn parse_layer_path(path: &str) -> Option<u32> {
    let n = path.strip_prefix("layer-")?.strip_suffix(".tar")?;
    let ordinal: u32 = n.parse().ok()?;
    (ordinal.to_string() == n).then_some(ordinal)
}

/// The hex part of a `sha256:<64 lowercase hex>` digest.
fn hex_of<'a>(digest: &'a str, what: &str) -> Result<&'a str, Error> {
    match digest.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64
                && hex
                    .bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)) =>
        {
            Ok(hex)
        }
        _ => Err(invalid(format!(
            "{what}: digest {digest:?} is not of the form sha256:<64 lowercase hex>"
        ))),
    }
}

/// The hex part of a digest `Catalog::new` validated.
fn hex_unchecked(digest: &str) -> &str {
    &digest["sha256:".len()..]
}

/// A blob of the archive, once per digest.
struct Blob<'a> {
    digest: &'a str,
    hex: &'a str,
    size: u64,
    /// The bytes of a config or manifest.
    document: Option<&'a [u8]>,
    /// Present in the archive: a document, or a layer some image does not
    /// mark `omitted`.
    stored: bool,
}

/// Every blob of a list of images, validated, in archive order.
struct Catalog<'a> {
    blobs: Vec<Blob<'a>>,
    index: HashMap<&'a str, usize>,
    /// Digests used as layers.
    layers: BTreeSet<&'a str>,
    /// The first omitted layer, for the error of formats without them.
    omitted: Option<String>,
}

impl<'a> Catalog<'a> {
    fn new(images: &'a [ArchiveImage]) -> Result<Self, Error> {
        let mut catalog = Catalog {
            blobs: Vec::new(),
            index: HashMap::new(),
            layers: BTreeSet::new(),
            omitted: None,
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
                    return Err(invalid(format!(
                        "repo tag {tag:?} is given for image {other} and image {i}; a name tags one image"
                    )));
                }
            }
            check_manifest(image, &label)?;
            catalog.add_document(&image.config, &format!("{label}: config"))?;
            for (n, layer) in image.layers.iter().enumerate() {
                let what = format!("{label}: layer {n}");
                let digest = layer.descriptor.digest.as_str();
                let hex = hex_of(digest, &what)?;
                catalog.add(
                    digest,
                    hex,
                    layer.descriptor.size,
                    None,
                    !layer.omitted,
                    &what,
                )?;
                catalog.layers.insert(digest);
                if layer.omitted && catalog.omitted.is_none() {
                    catalog.omitted = Some(format!("{what} ({digest})"));
                }
            }
            catalog.add_document(&image.manifest, &format!("{label}: manifest"))?;
        }
        Ok(catalog)
    }

    fn add_document(&mut self, doc: &'a Document, what: &str) -> Result<(), Error> {
        let digest = doc.descriptor.digest.as_str();
        let hex = hex_of(digest, what)?;
        if doc.descriptor.size != doc.bytes.len() as u64 {
            return Err(invalid(format!(
                "{what}: its descriptor says {} bytes, the document has {}",
                doc.descriptor.size,
                doc.bytes.len()
            )));
        }
        self.add(
            digest,
            hex,
            doc.descriptor.size,
            Some(&doc.bytes),
            true,
            what,
        )
    }

    fn add(
        &mut self,
        digest: &'a str,
        hex: &'a str,
        size: u64,
        document: Option<&'a [u8]>,
        stored: bool,
        what: &str,
    ) -> Result<(), Error> {
        let Some(&i) = self.index.get(digest) else {
            self.index.insert(digest, self.blobs.len());
            self.blobs.push(Blob {
                digest,
                hex,
                size,
                document,
                stored,
            });
            return Ok(());
        };
        let blob = &mut self.blobs[i];
        if blob.size != size {
            return Err(invalid(format!(
                "{what}: {digest} is {size} bytes here and {} bytes elsewhere",
                blob.size
            )));
        }
        match (blob.document, document) {
            (Some(a), Some(b)) if a != b => {
                return Err(invalid(format!(
                    "{what}: two different documents have the digest {digest}"
                )));
            }
            (None, Some(b)) => blob.document = Some(b),
            _ => {}
        }
        blob.stored |= stored;
        Ok(())
    }

    fn refuse_omitted(&self, format: &str) -> Result<(), Error> {
        match &self.omitted {
            Some(layer) => Err(invalid(format!(
                "{layer} is omitted, but {format} stores every layer (omitted layers are for the docker format only)"
            ))),
            None => Ok(()),
        }
    }
}

/// A name the engine can tag an image with on load: a tag, no digest.
fn check_repo_tag(tag: &str, label: &str) -> Result<(), Error> {
    let fail = |why: &str| {
        Err(invalid(format!(
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
    let last = tag.rsplit('/').next().unwrap_or(tag);
    match last.split_once(':') {
        Some((name, t)) if !name.is_empty() && !t.is_empty() => Ok(()),
        _ => fail("has no tag"),
    }
}

/// The tag of a repo tag `check_repo_tag` accepted.
fn tag_of(repo_tag: &str) -> &str {
    let last = repo_tag.rsplit('/').next().unwrap_or(repo_tag);
    last.split_once(':').map_or("", |(_, t)| t)
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
        invalid(format!(
            "{label}: the manifest is not an image manifest: {e}"
        ))
    })?;
    let config = refs
        .config
        .ok_or_else(|| invalid(format!("{label}: the manifest has no config")))?;
    let layers = refs
        .layers
        .ok_or_else(|| invalid(format!("{label}: the manifest has no layers")))?;
    let given = &image.config.descriptor;
    if config.digest != given.digest || config.size != given.size {
        return Err(invalid(format!(
            "{label}: the manifest's config is {} ({} bytes), the image's config is {} ({} bytes)",
            config.digest, config.size, given.digest, given.size
        )));
    }
    if layers.len() != image.layers.len() {
        return Err(invalid(format!(
            "{label}: the manifest lists {} layers, the image has {}",
            layers.len(),
            image.layers.len()
        )));
    }
    for (n, (listed, layer)) in layers.iter().zip(&image.layers).enumerate() {
        let given = &layer.descriptor;
        if listed.digest != given.digest || listed.size != given.size {
            return Err(invalid(format!(
                "{label}: layer {n} is {} ({} bytes) in the manifest and {} ({} bytes) in the image",
                listed.digest, listed.size, given.digest, given.size
            )));
        }
    }
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestItem<'a> {
    config: String,
    repo_tags: &'a [String],
    layers: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OciIndex<'a> {
    schema_version: u32,
    media_type: &'static str,
    manifests: Vec<OciDescriptor<'a>>,
}

#[derive(Serialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct OciDescriptor<'a> {
    media_type: &'a str,
    digest: &'a str,
    size: u64,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    urls: &'a [String],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<OciPlatform<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact_type: Option<&'a str>,
}

#[derive(Serialize, Clone, PartialEq)]
struct OciPlatform<'a> {
    architecture: &'a str,
    os: &'a str,
    #[serde(rename = "os.version", skip_serializing_if = "Option::is_none")]
    os_version: Option<&'a str>,
    #[serde(rename = "os.features", skip_serializing_if = "<[_]>::is_empty")]
    os_features: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
}

/// `index.json`: one descriptor per image and repo tag.
fn index_json(images: &[ArchiveImage]) -> Vec<u8> {
    let mut manifests: Vec<OciDescriptor<'_>> = Vec::new();
    for image in images {
        let d = &image.manifest.descriptor;
        let base = OciDescriptor {
            media_type: &d.media_type,
            digest: &d.digest,
            size: d.size,
            urls: &d.urls,
            annotations: d
                .annotations
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            platform: d.platform.as_ref().map(|p| OciPlatform {
                architecture: &p.architecture,
                os: &p.os,
                os_version: p.os_version.as_deref(),
                os_features: &p.os_features,
                variant: p.cpu_variant.as_deref(),
            }),
            artifact_type: d.artifact_type.as_deref(),
        };
        if image.repo_tags.is_empty() {
            if !manifests.contains(&base) {
                manifests.push(base);
            }
            continue;
        }
        for tag in &image.repo_tags {
            let mut tagged = base.clone();
            tagged.annotations.insert(ANNOTATION_IMAGE_NAME, tag);
            tagged.annotations.insert(ANNOTATION_REF_NAME, tag_of(tag));
            manifests.push(tagged);
        }
    }
    to_json(&OciIndex {
        schema_version: 2,
        media_type: MEDIA_TYPE_IMAGE_INDEX,
        manifests,
    })
}

fn to_json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("plain structs serialise")
}
