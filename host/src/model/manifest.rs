//! What a manifest or an index refers to, as the manifest-generation
//! component reads it (`read-manifest`): the children a copy must carry;
//! and what an artifact push is made of: the files as the host read them,
//! the tool whose conventions they follow, the request the component
//! plans from them, and the forms an artifact manifest is pushed in; and
//! what a layout's indexes list and an image's layers are made of
//! (`index-entries`, `image-layers`), and how a layer is stored.
//!
//! Must not: parse or judge a document itself; the component decides
//! which media types are manifests and what they refer to.

use wasmtime::component::{ComponentType, Lift, Lower};

use super::{Descriptor, Digest, Document};

/// What an image manifest (OCI, or Docker schema 2) refers to (WIT
/// `image-contents`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ImageContents {
    /// The manifest's media type: the one it was read as, or the
    /// document's own when that was empty or generic.
    #[component(name = "media-type")]
    pub media_type: String,
    /// The config (an artifact's may be the empty descriptor).
    pub config: Descriptor,
    /// The layers (an artifact's blobs), in order.
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (OCI 1.1 `subject`).
    pub subject: Option<Descriptor>,
    /// The artifact's type (OCI 1.1 `artifactType`).
    #[component(name = "artifact-type")]
    pub artifact_type: Option<String>,
}

/// What an index (OCI image index, or Docker manifest list) refers to
/// (WIT `index-contents`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct IndexContents {
    /// The index's media type, chosen as the image's is.
    #[component(name = "media-type")]
    pub media_type: String,
    /// The manifests it lists, in order, with their platforms.
    pub manifests: Vec<Descriptor>,
    /// The manifest this index refers to (OCI 1.1 `subject`).
    pub subject: Option<Descriptor>,
}

/// What a manifest or an index refers to (WIT `manifest-contents`).
// One value per manifest read, matched right away: plain fields read
// better than a boxed config.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum ManifestContents {
    /// An image manifest (OCI or Docker schema 2), or an artifact manifest.
    #[component(name = "image")]
    Image(ImageContents),
    /// An index (OCI image index or Docker manifest list).
    #[component(name = "index")]
    Index(IndexContents),
}

impl ManifestContents {
    /// The media type the document was read as: what to send or store it
    /// as.
    pub fn media_type(&self) -> &str {
        match self {
            ManifestContents::Image(image) => &image.media_type,
            ManifestContents::Index(index) => &index.media_type,
        }
    }

    /// The manifest it refers to (OCI 1.1 `subject`), if any.
    pub fn subject(&self) -> Option<&Descriptor> {
        match self {
            ManifestContents::Image(image) => image.subject.as_ref(),
            ManifestContents::Index(index) => index.subject.as_ref(),
        }
    }
}

/// What one page of a referrers listing lists, as the component reads it
/// (WIT `referrers-page`).
#[derive(Debug, Clone, Default, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ReferrersPage {
    /// The entries that are valid descriptors, in order.
    pub referrers: Vec<Descriptor>,
    /// What is wrong with each entry that is not, naming it
    /// (`manifests[3].digest: …`).
    pub refused: Vec<String>,
}

/// The form of an OCI artifact manifest (WIT `artifact-form`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
pub enum ArtifactForm {
    /// OCI 1.1: `artifactType` set, the empty config.
    #[component(name = "oci-v1-1")]
    OciV1_1,
    /// OCI 1.0: no `artifactType`, a config media type specific to the
    /// artifact; for registries that refuse 1.1.
    #[component(name = "oci-v1-0")]
    OciV1_0,
}

/// What an artifact manifest must say (WIT `artifact-request`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ArtifactRequest {
    /// The artifact's type.
    #[component(name = "artifact-type")]
    pub artifact_type: String,
    /// Its blobs.
    pub layers: Vec<Descriptor>,
    /// Manifest annotations, sorted by key.
    pub annotations: Vec<(String, String)>,
    /// When it was made (`SOURCE_DATE_EPOCH`), in seconds since the epoch.
    pub created: Option<i64>,
    /// The manifest it refers to.
    pub subject: Option<Descriptor>,
}

/// The tool whose conventions the files of an artifact follow (WIT
/// `artifact-tool`): the component decides what that means for media
/// types, annotations and the artifact type.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum ArtifactTool {
    /// `oras push`: `artifact push`.
    #[component(name = "oras")]
    Oras,
    /// `docker compose publish`, by a tool of this version.
    #[component(name = "compose")]
    Compose(String),
}

/// One file of an artifact, as the host read it (WIT `artifact-file`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ArtifactFile {
    /// The last component of its path.
    pub name: String,
    /// The media type given for it.
    #[component(name = "media-type")]
    pub media_type: Option<String>,
    /// The digest of its bytes.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
}

/// What is to be pushed as an artifact, as the host read it (WIT
/// `artifact-plan`); the component makes the [`ArtifactRequest`] of it.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ArtifactPlan {
    /// Whose conventions its files follow.
    pub tool: ArtifactTool,
    /// The artifact type given (`--artifact-type`).
    #[component(name = "artifact-type")]
    pub artifact_type: Option<String>,
    /// Its files, in order.
    pub files: Vec<ArtifactFile>,
    /// Manifest annotations given, in any order.
    pub annotations: Vec<(String, String)>,
    /// When it was made (`SOURCE_DATE_EPOCH`), in seconds since the epoch.
    pub created: Option<i64>,
    /// The manifest it refers to.
    pub subject: Option<Descriptor>,
}

/// How a layer's bytes are stored (WIT `compression`; its cases in the
/// WIT's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
pub enum LayerCompression {
    /// None: the layer tars as they are.
    #[component(name = "none")]
    None,
    /// gzip, as `docker push` sends layers.
    #[component(name = "gzip")]
    Gzip,
    /// zstd (level 3, zstd's default).
    #[component(name = "zstd")]
    Zstd,
}

/// The kind of manifest a layer is listed in (WIT `manifest-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
pub enum ManifestFormat {
    /// An OCI image manifest.
    #[component(name = "oci")]
    Oci,
    /// A Docker image manifest, schema 2.
    #[component(name = "docker")]
    Docker,
}

/// One layer of an image as a reader of its bytes needs it (WIT
/// `image-layer`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ImageLayer {
    /// The layer as the manifest lists it.
    pub descriptor: Descriptor,
    /// How its bytes are compressed.
    pub compression: LayerCompression,
    /// The digest of its uncompressed tar (the config's `diff_id`).
    #[component(name = "diff-id")]
    pub diff_id: Digest,
}

/// What an entry of an index is (WIT `entry-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
pub enum IndexEntryKind {
    /// An image manifest.
    #[component(name = "image")]
    Image,
    /// An index, whose images take the entry's name.
    #[component(name = "index")]
    Index,
    /// Anything else: skipped.
    #[component(name = "other")]
    Other,
}

/// An entry of an index, with the name it is known by (WIT
/// `index-entry`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct IndexEntry {
    /// The entry, as the index lists it.
    pub manifest: Descriptor,
    /// What it is.
    pub kind: IndexEntryKind,
    /// Its name, if it has one.
    pub name: Option<String>,
}

/// What the host read of a WebAssembly component, for pushing it as an
/// OCI artifact (WIT `component-world`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ComponentWorld {
    /// The world it implements, in full (`ocipipe:image/tagging@0.1.0`).
    pub target: String,
    /// The interfaces it imports.
    pub imports: Vec<String>,
    /// The interfaces it exports.
    pub exports: Vec<String>,
}

/// The blobs of a WebAssembly component pushed as an OCI artifact (WIT
/// `component-artifact`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ComponentArtifact {
    /// The wasm config document, with its bytes.
    pub config: Document,
    /// The component's bytes' descriptor.
    pub layer: Descriptor,
}
