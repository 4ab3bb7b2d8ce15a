//! The config of a plugin made from a plugin context, as moby's
//! `CreateFromContext` writes it (`json.NewEncoder(w).Encode(config)` of
//! the decoded `config.json` with its `rootfs` set), after the checks the
//! engine leaves out (its `validateConfig` is a `TODO` returning nil): a
//! plugin that fails them is created and pushed, then fails at install or
//! enable, far from its author.
//!
//! Must not: compute privileges (the crate's `config`) or encode JSON
//! (`encode`).

use crate::config::{
    PLUGIN_CONFIG, PLUGIN_CONFIG_INTERFACE, PLUGIN_CONFIG_LINUX, PLUGIN_CONFIG_ROOTFS,
    PLUGIN_CONFIG_TYPE, PLUGIN_DEVICE, PLUGIN_MOUNT,
};
use crate::decode::Value;
use crate::encode::{interface_parts, marshal};
use ocipipe_sdk::{Document, Error};

/// The media type of a managed plugin's config.
pub const PLUGIN_CONFIG_MEDIA_TYPE: &str = "application/vnd.docker.plugin.v1+json";

/// Why a manifest whose config is `config` is not a managed plugin's,
/// as the engine's privileges endpoint judges it (it looks for a config
/// of [`PLUGIN_CONFIG_MEDIA_TYPE`]); none when it is one.
pub fn why_not_a_plugin(config: &ocipipe_sdk::Descriptor) -> Option<String> {
    (config.media_type != PLUGIN_CONFIG_MEDIA_TYPE).then(|| {
        format!(
            "its config is {}, not {PLUGIN_CONFIG_MEDIA_TYPE}",
            config.media_type
        )
    })
}

/// The config blob of a plugin whose context's `config.json` is
/// `context_config` and whose rootfs is the one layer `rootfs_diff_id`.
pub fn plugin_config(context_config: &str, rootfs_diff_id: &str) -> Result<Document, Error> {
    let mut config = crate::decode_config(context_config)?;
    check(&config)?;
    check_diff_id(rootfs_diff_id)?;
    set_rootfs(&mut config, rootfs_diff_id);
    let mut bytes = marshal(&config, &PLUGIN_CONFIG_TYPE).into_bytes();
    bytes.push(b'\n');
    Ok(Document::new(PLUGIN_CONFIG_MEDIA_TYPE, bytes))
}

fn invalid(field: &str, message: impl std::fmt::Display) -> Error {
    Error::invalid(format!("the plugin config's {field} {message}"))
}

/// What the engine needs to install and enable the plugin.
fn check(config: &Value) -> Result<(), Error> {
    let interface = config.field(&PLUGIN_CONFIG, "Interface");
    let types = interface
        .field(&PLUGIN_CONFIG_INTERFACE, "Types")
        .as_slice();
    if types.is_empty() {
        return Err(invalid(
            "Interface.Types",
            "is empty: a plugin names at least one interface, e.g. \"docker.volumedriver/1.0\"",
        ));
    }
    for (i, ty) in types.iter().enumerate() {
        let Value::PluginInterface(raw) = ty else {
            unreachable!("Types holds interface types")
        };
        let (prefix, capability, version) = interface_parts(raw);
        let well_formed = !raw.contains('\\')
            && raw.contains('/')
            && !prefix.is_empty()
            && !capability.is_empty()
            && !version.is_empty()
            && format!("{prefix}.{capability}/{version}") == *raw;
        if !well_formed {
            return Err(invalid(
                &format!("Interface.Types[{i}]"),
                format!(
                    "{raw:?} is not PREFIX.CAPABILITY/VERSION (e.g. \"docker.volumedriver/1.0\"), \
                     written without escapes"
                ),
            ));
        }
    }
    let socket = interface.field(&PLUGIN_CONFIG_INTERFACE, "Socket").as_str();
    if socket.is_empty() || socket == "." || socket == ".." || socket.contains(['/', '\0']) {
        return Err(invalid(
            "Interface.Socket",
            format!(
                "{socket:?} is not a file name: the plugin's socket is made in its own directory, \
                 e.g. \"plugin.sock\""
            ),
        ));
    }
    let entrypoint = config.field(&PLUGIN_CONFIG, "Entrypoint").as_slice();
    if entrypoint.first().is_none_or(|e| e.as_str().is_empty()) {
        return Err(invalid(
            "Entrypoint",
            "has no program to run: it is the plugin's command, e.g. [\"/bin/plugin\"]",
        ));
    }
    for (i, mount) in config
        .field(&PLUGIN_CONFIG, "Mounts")
        .as_slice()
        .iter()
        .enumerate()
    {
        let destination = mount.field(&PLUGIN_MOUNT, "Destination").as_str();
        if !destination.starts_with('/') {
            return Err(invalid(
                &format!("Mounts[{i}].Destination"),
                format!("{destination:?} is not an absolute path in the plugin"),
            ));
        }
    }
    let linux = config.field(&PLUGIN_CONFIG, "Linux");
    for (i, device) in linux
        .field(&PLUGIN_CONFIG_LINUX, "Devices")
        .as_slice()
        .iter()
        .enumerate()
    {
        if device
            .field(&PLUGIN_DEVICE, "Path")
            .as_pointer()
            .is_some_and(|p| p.as_str().is_empty())
        {
            return Err(invalid(
                &format!("Linux.Devices[{i}].Path"),
                "is empty: name the host device, e.g. \"/dev/fuse\"",
            ));
        }
    }
    for (i, capability) in linux
        .field(&PLUGIN_CONFIG_LINUX, "Capabilities")
        .as_slice()
        .iter()
        .enumerate()
    {
        let name = capability.as_str();
        let well_formed = name.strip_prefix("CAP_").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        });
        if !well_formed {
            return Err(invalid(
                &format!("Linux.Capabilities[{i}]"),
                format!("{name:?} is not a capability name, e.g. \"CAP_SYS_ADMIN\""),
            ));
        }
    }
    Ok(())
}

/// A sha256 digest: `sha256:` and 64 lower-case hex digits.
fn check_diff_id(diff_id: &str) -> Result<(), Error> {
    let hex = diff_id.strip_prefix("sha256:").unwrap_or_default();
    if hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "the rootfs diff ID {diff_id:?} is not a sha256 digest"
        )))
    }
}

/// `rootfs` becomes the one layer, whatever the context's config said.
fn set_rootfs(config: &mut Value, diff_id: &str) {
    let Value::Struct(fields) = config else {
        unreachable!("a config is a struct")
    };
    let index = PLUGIN_CONFIG
        .fields
        .iter()
        .position(|f| f.name == "rootfs")
        .expect("PluginConfig has rootfs");
    let rootfs = PLUGIN_CONFIG_ROOTFS
        .fields
        .iter()
        .map(|f| match f.name {
            "diff_ids" => Value::Slice {
                backing: vec![Value::String(diff_id.to_string())],
                len: 1,
                nil: false,
            },
            "type" => Value::String("layers".to_string()),
            other => unreachable!("PluginConfigRootfs has no field {other}"),
        })
        .collect();
    fields[index] = Value::Pointer(Some(Box::new(Value::Struct(rootfs))));
}
