//! What the image edits ask of the manifest-generation component (WIT
//! 0.3.0): a config's edits, a child an index lists in place of another, a
//! manifest a new index lists.

use super::{Descriptor, Digest, Platform};
use wasmtime::component::{ComponentType, Lift, Lower};

/// What `image mutate` changes in an image config (WIT `config-edits`).
#[derive(Debug, Clone, Default, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ConfigEdits {
    /// `KEY=value` pairs added or replacing, as given (the component
    /// checks them).
    pub env: Vec<String>,
    /// Names of variables removed.
    #[component(name = "env-remove")]
    pub env_remove: Vec<String>,
    /// Labels added or replacing.
    pub labels: Vec<(String, String)>,
    /// Names of labels removed.
    #[component(name = "label-remove")]
    pub label_remove: Vec<String>,
    /// Entrypoint, as in a Dockerfile: a JSON array or a command line.
    pub entrypoint: Option<String>,
    /// Command, written as `entrypoint` is.
    pub cmd: Option<String>,
    /// User.
    pub user: Option<String>,
    /// Working directory.
    #[component(name = "working-dir")]
    pub working_dir: Option<String>,
    /// Exposed ports added, e.g. `8080/tcp`.
    #[component(name = "exposed-ports")]
    pub exposed_ports: Vec<String>,
    /// New creation time, seconds since the Unix epoch; none keeps it.
    pub created: Option<i64>,
    /// The history entry's `created_by`.
    #[component(name = "created-by")]
    pub created_by: Option<String>,
}

/// A manifest an index lists in place of another (WIT `replaced-child`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ReplacedChild {
    /// The digest the index lists.
    pub old: Digest,
    /// What it lists instead.
    pub new: Descriptor,
}

/// A manifest to list in a new index (WIT `index-child`).
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct IndexChild {
    /// The manifest: digest, size, media type.
    pub manifest: Descriptor,
    /// The platform it is listed with; none for an index or an artifact.
    pub platform: Option<Platform>,
}
