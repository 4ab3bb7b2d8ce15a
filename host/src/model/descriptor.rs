//! Descriptors, documents, platforms and image-config requests (OCI image
//! spec terms).

use super::Digest;
use serde::Serialize;
use wasmtime::component::{ComponentType, Lift, Lower};

/// An OCI content descriptor; also the WIT record `descriptor`, which
/// crosses the sandbox as this type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Descriptor {
    /// Media type of the content.
    #[component(name = "media-type")]
    pub media_type: String,
    /// Digest, `sha256:<64 hex>`.
    pub digest: Digest,
    /// Size in bytes.
    pub size: u64,
    /// Artifact type (OCI 1.1).
    #[component(name = "artifact-type")]
    pub artifact_type: Option<String>,
    /// Annotations, sorted by key.
    pub annotations: Vec<(String, String)>,
    /// Platform, for index entries.
    pub platform: Option<Platform>,
    /// Alternate locations.
    pub urls: Vec<String>,
}

impl Descriptor {
    /// A plain descriptor: media type, digest, size.
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Self {
        Self {
            media_type: media_type.into(),
            digest,
            size,
            artifact_type: None,
            annotations: Vec::new(),
            platform: None,
            urls: Vec::new(),
        }
    }
}

/// A small document a component produced, with its descriptor; also the
/// WIT record `document`.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Document {
    /// Media type, digest and size of `bytes`.
    pub descriptor: Descriptor,
    /// The exact bytes.
    pub bytes: Vec<u8>,
}

impl Document {
    /// `bytes` as the document `descriptor` describes, if they are its
    /// size and hash to its digest; else what they are instead.
    pub fn described(descriptor: &Descriptor, bytes: Vec<u8>) -> Result<Self, String> {
        let actual = Digest::sha256(&bytes);
        if bytes.len() as u64 != descriptor.size || actual != descriptor.digest {
            return Err(format!(
                "{} holds {} bytes hashing to {actual}, not the {} bytes its descriptor says",
                descriptor.digest,
                bytes.len(),
                descriptor.size
            ));
        }
        Ok(Self {
            descriptor: descriptor.clone(),
            bytes,
        })
    }
}

/// An image platform; also the WIT record `platform`, which crosses the
/// sandbox as this type (see `runtime`'s bindings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Platform {
    /// `GOARCH`, e.g. `amd64`.
    pub architecture: String,
    /// `GOOS`, e.g. `linux`.
    pub os: String,
    /// OS version.
    #[component(name = "os-version")]
    pub os_version: Option<String>,
    /// OS features.
    #[component(name = "os-features")]
    pub os_features: Vec<String>,
    /// CPU variant, e.g. `v8`: WIT's `cpu-variant`, the guest SDK's
    /// `cpu_variant`; OCI's `variant` in JSON.
    #[serde(rename = "variant")]
    #[component(name = "cpu-variant")]
    pub cpu_variant: Option<String>,
}

impl std::fmt::Display for Platform {
    /// `os/arch[/variant]`, as a person writes it (and `normalize-platform`
    /// reads it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.cpu_variant {
            Some(variant) if !variant.is_empty() => write!(f, "/{variant}"),
            _ => Ok(()),
        }
    }
}

/// One history entry of an image config.
#[derive(Debug, Clone, Default, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct History {
    /// Seconds since the Unix epoch (written as RFC 3339 UTC).
    pub created: Option<i64>,
    /// The step that made the layer.
    #[component(name = "created-by")]
    pub created_by: Option<String>,
    /// A comment.
    pub comment: Option<String>,
    /// True when the step made no layer.
    #[component(name = "empty-layer")]
    pub empty_layer: bool,
}

/// What an image config must say (see `wit/manifest-generation.wit`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ConfigRequest {
    /// A config to start from (JSON); none gives the platform default.
    pub base: Option<String>,
    /// The platform, as the component's `normalize-platform` returned it.
    pub platform: Platform,
    /// Layer diff IDs, in order.
    #[component(name = "diff-ids")]
    pub diff_ids: Vec<Digest>,
    /// History entries given by the caller.
    pub history: Vec<History>,
    /// Creation time, seconds since the Unix epoch (`SOURCE_DATE_EPOCH`,
    /// never the clock); written as RFC 3339 UTC.
    pub created: Option<i64>,
    /// `KEY=value` environment entries, as given (the component checks
    /// them).
    pub env: Vec<String>,
    /// Entrypoint, replacing the base's, as in a Dockerfile: a JSON array
    /// (exec form) or a command line (shell form); the component decides.
    pub entrypoint: Option<String>,
    /// Command, replacing the base's, written as `entrypoint` is.
    pub cmd: Option<String>,
    /// Working directory.
    #[component(name = "working-dir")]
    pub working_dir: Option<String>,
    /// User.
    pub user: Option<String>,
    /// Labels.
    pub labels: Vec<(String, String)>,
    /// Exposed ports, e.g. `8080/tcp`.
    #[component(name = "exposed-ports")]
    pub exposed_ports: Vec<String>,
}

/// The machine the host runs on, in Rust's terms: the default platform,
/// which the manifest-generation component names in OCI's terms.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct HostMachine {
    /// `std::env::consts::OS`.
    pub os: String,
    /// `std::env::consts::ARCH`.
    pub arch: String,
    /// Whether the CPU is little-endian.
    #[component(name = "little-endian")]
    pub little_endian: bool,
}

impl HostMachine {
    /// This process's machine.
    pub fn current() -> Self {
        Self {
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            little_endian: cfg!(target_endian = "little"),
        }
    }
}
