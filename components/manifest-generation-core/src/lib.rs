//! The manifest-generation operation as pure functions: OCI image configs
//! (buildkit moby-exporter semantics), OCI image manifests and indexes, OCI
//! 1.1 / 1.0 artifact manifests (docker compose `ocipush`), and Docker
//! schema2 manifests including managed-plugin manifests (moby plugin manager
//! `buildManifest`).
//!
//! No I/O, no clock, no randomness: times arrive as RFC 3339 strings. Every
//! document is written compactly the way Go's `encoding/json` writes the
//! peers' structs — fields in the Go structs' order, map keys sorted, `<`,
//! `>`, `&`, U+2028 and U+2029 escaped as `\u003c`… — so the same input
//! always gives the same bytes, and the digest in the returned descriptor is
//! the sha256 of exactly those bytes.

mod config;
mod descriptor;
mod digest;
mod json;
mod manifest;
mod time;

pub use config::{
    DEFAULT_PATH_ENV_UNIX, HISTORY_ADDED_COMMENT, HISTORY_ADDED_CREATED_BY, image_config,
};
pub use descriptor::{validate_digest, validate_media_type};
pub use digest::sha256_digest;
pub use manifest::{
    COMPOSE_EMPTY_CONFIG_MEDIA_TYPE, COMPOSE_PROJECT_ARTIFACT_TYPE, EMPTY_JSON_DATA_BASE64,
    EMPTY_JSON_DIGEST, EMPTY_JSON_SIZE, artifact_manifest, docker_manifest, fallback_form,
    image_index, image_manifest, v1_0_config_media_type,
};

use std::fmt;

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
/// `application/vnd.docker.container.image.v1+json`
pub const MEDIA_TYPE_DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// `application/vnd.docker.plugin.v1+json`: a managed plugin's config.
pub const MEDIA_TYPE_DOCKER_PLUGIN_CONFIG: &str = "application/vnd.docker.plugin.v1+json";
/// `application/vnd.docker.image.rootfs.diff.tar.gzip`
pub const MEDIA_TYPE_DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// A key/value pair of an annotation or label map.
pub type Annotation = (String, String);

/// Why an operation refused its input (the WIT `error` cases this crate
/// produces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An argument is malformed; the message names the offending value.
    InvalidInput(String),
    /// The input is well formed but asks for something not done here.
    Unsupported(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(m) | Error::Unsupported(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidInput(msg.into())
}

/// The platform an image is built for (OCI `platform`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    pub os_version: Option<String>,
    pub os_features: Vec<String>,
    /// CPU variant (`variant` in JSON).
    pub cpu_variant: Option<String>,
}

/// An OCI content descriptor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    pub artifact_type: Option<String>,
    pub annotations: Vec<Annotation>,
    pub platform: Option<Platform>,
    pub urls: Vec<String>,
}

impl Descriptor {
    /// A descriptor with only media type, digest and size.
    pub fn new(media_type: impl Into<String>, digest: impl Into<String>, size: u64) -> Self {
        Descriptor {
            media_type: media_type.into(),
            digest: digest.into(),
            size,
            ..Descriptor::default()
        }
    }
}

/// A document and its descriptor (media type, sha256 digest and size of
/// `bytes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub descriptor: Descriptor,
    pub bytes: Vec<u8>,
}

impl Document {
    pub(crate) fn new(media_type: &str, bytes: Vec<u8>) -> Self {
        Document {
            descriptor: Descriptor::new(media_type, sha256_digest(&bytes), bytes.len() as u64),
            bytes,
        }
    }
}

/// One history entry of an image config, as the caller gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// RFC 3339.
    pub created: Option<String>,
    pub created_by: Option<String>,
    pub comment: Option<String>,
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
    /// RFC 3339 (from `SOURCE_DATE_EPOCH`).
    pub created: Option<String>,
    /// `KEY=value`.
    pub env: Vec<String>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub labels: Vec<Annotation>,
    /// `port[/proto]` or `start-end[/proto]`.
    pub exposed_ports: Vec<String>,
}

/// The form of an artifact manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactForm {
    /// OCI 1.1: `artifactType` set, config is the empty descriptor.
    OciV1_1,
    /// OCI 1.0: no `artifactType`; a config media type specific to the
    /// artifact type.
    OciV1_0,
}

/// What an artifact manifest must say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArtifactRequest {
    pub artifact_type: String,
    pub layers: Vec<Descriptor>,
    pub annotations: Vec<Annotation>,
    pub subject: Option<Descriptor>,
}
