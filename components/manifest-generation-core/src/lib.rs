//! The manifest-generation operation as pure functions: OCI image configs
//! (buildkit moby-exporter semantics) and edits of existing ones
//! ([`edit_config`], `image mutate`), OCI image manifests and indexes, OCI
//! 1.1 / 1.0 artifact manifests (docker compose `ocipush`), and Docker
//! schema2 manifests including managed-plugin manifests (moby plugin manager
//! `buildManifest`); and the decisions of reading them back for a copy: what
//! a manifest or index refers to ([`read_manifest`]), which child of an
//! index a platform means ([`select_platform`], containerd's matcher), and
//! an OCI image layout's `index.json` ([`layout_index`], [`layout_entry`],
//! skopeo's `oci:` transport) and its `oci-layout` ([`layout_marker`]),
//! the images a layout holds
//! ([`index_entries`]) and each image's layers ([`image_layers`]), and the
//! media type of a layer stored with a compression ([`layer_media_type`]);
//! the blobs a copy of an image transfers ([`copied_blobs`]: not the
//! foreign layers) and the base layers a build's push sends as stored
//! ([`base_layer_as_stored`]); a WebAssembly component as an OCI artifact, its wasm
//! config included ([`component_blobs`], [`component_layer`]);
//! and the decisions around OCI artifacts: the
//! request and the extra blobs of a push of files ([`plan_artifact`],
//! [`artifact_blobs`], [`artifact_referrer`]), the
//! form to retry a refused push in ([`fallback_form`]), the file names of
//! a pulled artifact's blobs ([`artifact_file_names`]), the referrers
//! tag schema ([`referrers_tag`], [`referrers_index`]) and the entries of a
//! page of referrers ([`read_referrers`]); and the index edits: the index
//! `index create`/`append` write ([`plan_index`]), the platform a child is
//! listed under ([`config_platform`]) and the index `index filter` keeps
//! ([`filter_index`]).
//!
//! No I/O, no clock, no randomness: times arrive as seconds since the epoch
//! (or inside a base config, as RFC 3339). Every document is written with
//! [`ocipipe_sdk::json`] the way Go's `encoding/json` writes the peers'
//! structs (fields in the Go structs' order, map keys sorted, `<`, `>`, `&`,
//! U+2028 and U+2029 escaped), so the same input always gives the same
//! bytes, and the digest in the returned descriptor is the sha256 of exactly
//! those bytes. The shared types (descriptor, platform, document, error)
//! are the SDK's; the world's own are this crate's records or, for the
//! enums and the records holding one, its generated bindings ([`wit`]).
//!
//! # Versions and API stability
//!
//! This crate is released with ocipipe, at ocipipe's version, and bundles
//! the WIT of the `ocipipe:image` version it implements (`wit/`, today
//! `0.3.0`). What stays put:
//!
//! - the [`wit`] module: the world's bindings (generated with
//!   `pub_export_macro`, so a component can implement the world with this
//!   crate's `Guest` traits and [`wit::export!`](crate::wit::export)). The
//!   imported interfaces (the next implementation of the operation) and the
//!   exported ones share their Rust types, so a component that delegates
//!   returns the import's answer unchanged. These types change only with a
//!   new WIT version, and then with a new minor version of this crate;
//! - the types `with` maps WIT types to (named in [`wit`]).
//!
//! Everything else (the pure functions, their helper types, error texts
//! beyond what the WIT documents) is the built-in component's logic,
//! exported for reuse, and may change in any release: depend on an exact
//! version (`=X.Y.Z`), as `ocipipe component new` does.

mod artifact;
mod command;
mod component;
mod config;
mod copy;
mod edit;
mod edit_manifest;
mod index;
mod index_edit;
mod layers;
mod layout;
mod manifest;
mod marker;
mod platform;
mod push;
mod read;
mod referrers;
mod time;
pub mod wit;

pub use artifact::{
    ANNOTATION_COMPOSE_FILE, ANNOTATION_TITLE, MAX_FILE_NAME_BYTES, artifact_file_names,
};
pub use component::{
    ComponentArtifact, ComponentWorld, MEDIA_TYPE_WASM, MEDIA_TYPE_WASM_CONFIG, WASM_ARCHITECTURE,
    WASM_OS, component_blobs, component_layer,
};
pub use config::{
    DEFAULT_PATH_ENV_UNIX, HISTORY_ADDED_COMMENT, HISTORY_ADDED_CREATED_BY, image_config,
};
pub use copy::{base_layer_as_stored, copied_blobs};
pub use edit::{ConfigEdits, edit_config};
pub use edit_manifest::{ReplacedChild, edit_index, edit_manifest};
pub use index_edit::{
    ANNOTATION_REFERENCE_DIGEST, IndexChild, config_platform, filter_index, plan_index,
};
pub use layers::{
    Compression, ImageLayer, MEDIA_TYPE_DOCKER_LAYER, MEDIA_TYPE_DOCKER_LAYER_ZSTD,
    MEDIA_TYPE_OCI_LAYER, MEDIA_TYPE_OCI_LAYER_GZIP, MEDIA_TYPE_OCI_LAYER_ZSTD, ManifestFormat,
    image_layers, layer_compression, layer_media_type,
};
pub use layout::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, EntryKind, IndexEntry, index_entries, layout_entry,
    layout_index, layout_tags,
};
pub use manifest::{
    COMPOSE_EMPTY_CONFIG_MEDIA_TYPE, COMPOSE_PROJECT_ARTIFACT_TYPE, EMPTY_JSON_DATA_BASE64,
    EMPTY_JSON_DIGEST, EMPTY_JSON_SIZE, FALLBACK_ERROR_CODES, artifact_manifest, docker_manifest,
    fallback_form, image_index, image_manifest, v1_0_config_media_type,
};
pub use marker::{IMAGE_LAYOUT_VERSION, layout_marker};
pub use ocipipe_sdk::{Annotation, Descriptor, Document, Error, Platform};
pub use platform::{
    KNOWN_ARCHITECTURES, KNOWN_OPERATING_SYSTEMS, normalize_platform, select_platform,
};
pub use push::{
    ANNOTATION_COMPOSE_VERSION, ArtifactFile, ArtifactPlan, ArtifactTool, COMPOSE_FILE_MEDIA_TYPE,
    ORAS_DEFAULT_FILE_MEDIA_TYPE, artifact_blobs, artifact_referrer, plan_artifact,
};
pub use read::{MAX_DOCUMENT_SIZE, read_manifest};
pub use referrers::{read_referrers, referrers_index, referrers_tag};

/// `application/vnd.oci.image.config.v1+json`
pub const MEDIA_TYPE_OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// `application/vnd.oci.image.manifest.v1+json`
pub const MEDIA_TYPE_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// `application/vnd.oci.image.index.v1+json`
pub const MEDIA_TYPE_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// `application/vnd.oci.empty.v1+json`: the `{}` blob.
pub const MEDIA_TYPE_EMPTY_JSON: &str = "application/vnd.oci.empty.v1+json";
/// `application/vnd.docker.distribution.manifest.v2+json`
pub const MEDIA_TYPE_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// `application/vnd.docker.distribution.manifest.list.v2+json`
pub const MEDIA_TYPE_DOCKER_MANIFEST_LIST: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
/// `application/vnd.docker.distribution.manifest.v1+json`: Docker schema 1,
/// which is refused.
pub const MEDIA_TYPE_DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
/// `application/vnd.docker.distribution.manifest.v1+prettyjws`: signed
/// Docker schema 1, which is refused.
pub const MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED: &str =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
/// `application/vnd.docker.container.image.v1+json`
pub const MEDIA_TYPE_DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// `application/vnd.docker.plugin.v1+json`: a managed plugin's config.
pub const MEDIA_TYPE_DOCKER_PLUGIN_CONFIG: &str = "application/vnd.docker.plugin.v1+json";
/// `application/vnd.docker.image.rootfs.diff.tar.gzip`
pub const MEDIA_TYPE_DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// One history entry of an image config, as the caller gives it (WIT
/// `history`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Seconds since the Unix epoch; written as RFC 3339 UTC.
    pub created: Option<i64>,
    /// The command that made the layer.
    pub created_by: Option<String>,
    /// A free comment.
    pub comment: Option<String>,
    /// True when the step made no layer.
    pub empty_layer: bool,
}

/// What the image config must say (WIT `config-request`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigRequest {
    /// A config to start from, as JSON; none gives the platform's default.
    pub base: Option<String>,
    pub platform: Platform,
    /// Digests of the uncompressed layer tars, all layers, in order.
    pub diff_ids: Vec<String>,
    /// History added after the base's.
    pub history: Vec<History>,
    /// Seconds since the Unix epoch (from `SOURCE_DATE_EPOCH`).
    pub created: Option<i64>,
    /// `KEY=value`.
    pub env: Vec<String>,
    /// Dockerfile form: a JSON array of strings, or a shell command line.
    pub entrypoint: Option<String>,
    /// Dockerfile form, as `entrypoint`.
    pub cmd: Option<String>,
    /// Replaces the working directory.
    pub working_dir: Option<String>,
    /// Replaces the user.
    pub user: Option<String>,
    /// Labels added to the base's.
    pub labels: Vec<Annotation>,
    /// `port[/proto]` or `start-end[/proto]`.
    pub exposed_ports: Vec<String>,
}

pub use wit::exports::ocipipe::image::manifests::ArtifactForm;

/// What an artifact manifest must say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArtifactRequest {
    pub artifact_type: String,
    pub layers: Vec<Descriptor>,
    pub annotations: Vec<Annotation>,
    /// Seconds since the Unix epoch, for `org.opencontainers.image.created`.
    pub created: Option<i64>,
    pub subject: Option<Descriptor>,
}

/// The machine the host runs on, in Rust's terms (`std::env::consts`): the
/// default platform (WIT `host-machine`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostMachine {
    /// `std::env::consts::OS`, e.g. `linux`.
    pub os: String,
    /// `std::env::consts::ARCH`, e.g. `x86_64`.
    pub arch: String,
    /// Whether the CPU is little-endian.
    pub little_endian: bool,
}

/// What an image manifest refers to (WIT `image-contents`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageContents {
    /// The manifest's media type: the given one, or the document's own
    /// when the given one was empty or generic.
    pub media_type: String,
    /// The config.
    pub config: Descriptor,
    /// The layers, in order.
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to.
    pub subject: Option<Descriptor>,
    /// The artifact's type (OCI 1.1).
    pub artifact_type: Option<String>,
}

/// What an index refers to (WIT `index-contents`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexContents {
    /// The index's media type, chosen as [`ImageContents::media_type`] is.
    pub media_type: String,
    /// The manifests it lists, in order.
    pub manifests: Vec<Descriptor>,
    /// The manifest this index refers to.
    pub subject: Option<Descriptor>,
}

/// What one page of a referrers listing lists (WIT `referrers-page`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferrersPage {
    /// The entries that are valid descriptors, in order.
    pub referrers: Vec<Descriptor>,
    /// What is wrong with each entry that is not, in order, naming it
    /// (`manifests[3].digest: …`).
    pub refused: Vec<String>,
}

/// What a manifest or an index refers to (WIT `manifest-contents`).
// The cases hold their records by value, as the WIT variant does: the
// component's bindings lift and lower this type itself, so no `Box`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestContents {
    /// An image (or artifact) manifest.
    Image(ImageContents),
    /// An index of manifests.
    Index(IndexContents),
}
