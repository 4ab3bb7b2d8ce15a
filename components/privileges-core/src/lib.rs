//! The privileges operation as a pure function: what a managed Docker
//! plugin asks to be allowed on the host, computed from its config
//! (`application/vnd.docker.plugin.v1+json`) exactly as moby's plugin
//! manager computes it before an install (`computePrivileges`, Engine
//! 20.10), and as `GET /plugins/privileges` answers it.
//!
//! [`compute_privileges`] gives, in this order:
//!
//! | name | when | value |
//! | --- | --- | --- |
//! | `network` | `Network.Type` is not `null`, `bridge` or empty | the type |
//! | `host ipc namespace` | `IpcHost` | `true` |
//! | `host pid namespace` | `PidHost` | `true` |
//! | `mount` | for each of `Mounts` with a `Source` (even an empty one) | the source |
//! | `device` | for each of `Linux.Devices` with a `Path` | the path |
//! | `allow-all-devices` | `Linux.AllowAllDevices` | `true` |
//! | `capabilities` | `Linux.Capabilities` is not empty | the capabilities, as listed |
//!
//! each with moby's description text. The config is read as the engine
//! reads it, with Go's `encoding/json` rules (see `decode`): keys match
//! case-insensitively, unknown keys are ignored, a key given twice merges,
//! `null` leaves a value as it was. Where the engine answers "no
//! privileges" because it could not decode the config (not JSON, or a
//! field of the wrong type anywhere in it), the config is refused here
//! with [`Error::InvalidInput`] saying what is wrong and where: a config
//! the engine cannot read cannot be installed, and reporting it as asking
//! for nothing would be a lie. A config that is `null` is Go's zero config
//! and asks for nothing, as on the engine.
//!
//! [`plugin_config`] writes the config of a plugin made from a plugin
//! context, as `docker plugin create` writes it (see `create`), after
//! the checks the engine leaves to install time; [`why_not_a_plugin`]
//! says whether a manifest is a plugin's, by its config;
//! [`judge_privileges`] says which privileges asked for a person's grants
//! cover (see `grants`).
//!
//! No I/O, no clock, no randomness; the shared error type is the SDK's.
//! The world's bindings are generated here ([`wit`]) over these types.
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

mod config;
mod create;
mod decode;
mod encode;
mod go_json;
mod grants;
pub mod wit;

pub use create::{PLUGIN_CONFIG_MEDIA_TYPE, plugin_config, why_not_a_plugin};
pub use go_json::MAX_DEPTH;
pub use grants::{Grants, judge_privileges};
pub use ocipipe_sdk::Error;

use decode::DecodeError;

/// The name of the privilege to reach a network other than `bridge`.
pub const NETWORK: &str = "network";
/// The name of the privilege to join the host's IPC namespace.
pub const HOST_IPC_NAMESPACE: &str = "host ipc namespace";
/// The name of the privilege to join the host's PID namespace.
pub const HOST_PID_NAMESPACE: &str = "host pid namespace";
/// The name of the privilege to mount a host path (one per mount).
pub const MOUNT: &str = "mount";
/// The name of the privilege to access a host device (one per device).
pub const DEVICE: &str = "device";
/// The name of the privilege to access every device.
pub const ALLOW_ALL_DEVICES: &str = "allow-all-devices";
/// The name of the privilege to hold more Linux capabilities.
pub const CAPABILITIES: &str = "capabilities";

/// One privilege a plugin asks for: moby's `types.PluginPrivilege`. It
/// stands for the WIT record `ocipipe:image/plugins/privilege`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Privilege {
    /// One of the names above, e.g. `mount`.
    pub name: String,
    /// moby's sentence for the person who grants it.
    pub description: String,
    /// What is asked for: a network type, a path, capabilities, `true`.
    pub value: Vec<String>,
}

impl Privilege {
    fn new(name: &str, description: &str, value: Vec<String>) -> Self {
        Self {
            name: name.to_string(),
            description: description.to_string(),
            value,
        }
    }
}

/// The privileges the plugin config `plugin_config` (a JSON document) asks
/// for, in moby's order; a config the engine cannot decode is refused.
pub fn compute_privileges(plugin_config: &str) -> Result<Vec<Privilege>, Error> {
    decode_config(plugin_config).map(|config| config::compute(&config))
}

/// `plugin_config` decoded as the engine decodes it; refused, saying what
/// is wrong and where, when the engine could not decode it.
fn decode_config(plugin_config: &str) -> Result<decode::Value, Error> {
    match decode::unmarshal(plugin_config, &config::PLUGIN_CONFIG_TYPE) {
        Ok(config) => Ok(config),
        Err(DecodeError::Syntax(e)) => {
            let (line, column) = line_and_column(plugin_config, e.offset);
            Err(Error::invalid(format!(
                "the plugin config is not valid JSON: {} (line {line}, column {column})",
                e.message
            )))
        }
        Err(DecodeError::Type(e)) if e.path.is_empty() => Err(Error::invalid(format!(
            "the plugin config is {}, not a JSON object",
            e.found
        ))),
        Err(DecodeError::Type(e)) => Err(Error::invalid(format!(
            "the plugin config is malformed: {} is {}, not {}",
            e.path, e.found, e.expected
        ))),
    }
}

/// The line and column (both from 1, the column in characters) of byte
/// `offset` of `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        assert_eq!(line_and_column("abc", 0), (1, 1));
        assert_eq!(line_and_column("abc", 2), (1, 3));
        assert_eq!(line_and_column("a\nbc", 3), (2, 2));
        assert_eq!(line_and_column("é\nüx", 5), (2, 2));
    }
}
