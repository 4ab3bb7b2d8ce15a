//! What a managed Docker plugin asks to be allowed on the host, as the
//! privileges component computes it from the plugin's config.
//!
//! Must not: compute or judge privileges; the component decides.

use wasmtime::component::{ComponentType, Lift, Lower};

/// One privilege a plugin asks for (moby's `types.PluginPrivilege`). With
/// `--json` it prints as `name`, `description`, `value`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Privilege {
    /// What kind, e.g. `network`, `mount`, `capabilities`.
    pub name: String,
    /// moby's sentence for the person who grants it.
    pub description: String,
    /// What is asked for, e.g. the mount's source, the capabilities.
    pub value: Vec<String>,
}

impl std::fmt::Display for Privilege {
    /// As `docker plugin install` shows it: `NAME: [VALUE ...]`, every
    /// control character escaped: the values come from the plugin's
    /// config, and a person grants what this line shows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values: Vec<String> = self.value.iter().map(|v| super::one_line(v)).collect();
        write!(f, "{}: [{}]", super::one_line(&self.name), values.join(" "))
    }
}

/// What a person grants a plugin before it is installed (WIT `grants`):
/// which privileges the grants cover, the privileges component judges.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum Grants {
    /// Every privilege it asks for (`--grant-all`).
    #[component(name = "all")]
    All,
    /// Every privilege of these names (`--grant NAME`), whatever its value.
    #[component(name = "names")]
    Names(Vec<String>),
}

/// The names of the privileges moby computes, in its order: the names a
/// privileges component answers (`wit/privileges.wit` documents them),
/// and the ones `plugin install --grant` takes. A third-party component
/// may answer other names; only `--grant-all` grants those.
pub const PRIVILEGE_NAMES: [&str; 7] = [
    "network",
    "host ipc namespace",
    "host pid namespace",
    "mount",
    "device",
    "allow-all-devices",
    "capabilities",
];
