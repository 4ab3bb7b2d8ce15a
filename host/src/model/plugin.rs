//! What a managed Docker plugin asks to be allowed on the host, as the
//! privileges component computes it from the plugin's config.
//!
//! Must not: compute or judge privileges; the component decides.

/// One privilege a plugin asks for (moby's `types.PluginPrivilege`). With
/// `--json` it prints as `name`, `description`, `value`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Privilege {
    /// What kind, e.g. `network`, `mount`, `capabilities`.
    pub name: String,
    /// moby's sentence for the person who grants it.
    pub description: String,
    /// What is asked for, e.g. the mount's source, the capabilities.
    pub value: Vec<String>,
}
