//! moby's `types.PluginConfig` (Engine 20.10, `api/types/plugin*.go`) as a
//! schema for `decode`, and `computePrivileges` over the decoded value.
//!
//! Every field of the config is in the schema, not only those the
//! privileges read: the engine decodes the whole document, and a field of
//! the wrong type anywhere makes it fail (its privileges endpoint then
//! answers "no privileges"; we refuse the config instead).

use crate::Privilege;
use crate::decode::{Field, Struct, Type, Value};

const STRINGS: Type = Type::Slice(&Type::String);
const STRING_POINTER: Type = Type::Pointer(&Type::String);

/// `types.PluginConfig`.
pub static PLUGIN_CONFIG: Struct = Struct {
    name: "PluginConfig",
    fields: &[
        Field {
            name: "Args",
            ty: Type::Struct(&PLUGIN_CONFIG_ARGS),
            omit_empty: false,
        },
        Field {
            name: "Description",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "DockerVersion",
            ty: Type::String,
            omit_empty: true,
        },
        Field {
            name: "Documentation",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "Entrypoint",
            ty: STRINGS,
            omit_empty: false,
        },
        Field {
            name: "Env",
            ty: Type::Slice(&Type::Struct(&PLUGIN_ENV)),
            omit_empty: false,
        },
        Field {
            name: "Interface",
            ty: Type::Struct(&PLUGIN_CONFIG_INTERFACE),
            omit_empty: false,
        },
        Field {
            name: "IpcHost",
            ty: Type::Bool,
            omit_empty: false,
        },
        Field {
            name: "Linux",
            ty: Type::Struct(&PLUGIN_CONFIG_LINUX),
            omit_empty: false,
        },
        Field {
            name: "Mounts",
            ty: Type::Slice(&Type::Struct(&PLUGIN_MOUNT)),
            omit_empty: false,
        },
        Field {
            name: "Network",
            ty: Type::Struct(&PLUGIN_CONFIG_NETWORK),
            omit_empty: false,
        },
        Field {
            name: "PidHost",
            ty: Type::Bool,
            omit_empty: false,
        },
        Field {
            name: "PropagatedMount",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "User",
            ty: Type::Struct(&PLUGIN_CONFIG_USER),
            omit_empty: true,
        },
        Field {
            name: "WorkDir",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "rootfs",
            ty: Type::Pointer(&Type::Struct(&PLUGIN_CONFIG_ROOTFS)),
            omit_empty: true,
        },
    ],
};

/// The whole config's type.
pub static PLUGIN_CONFIG_TYPE: Type = Type::Struct(&PLUGIN_CONFIG);

/// `types.PluginConfigArgs`.
static PLUGIN_CONFIG_ARGS: Struct = Struct {
    name: "PluginConfigArgs",
    fields: &[
        Field {
            name: "Description",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "Name",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "Settable",
            ty: STRINGS,
            omit_empty: false,
        },
        Field {
            name: "Value",
            ty: STRINGS,
            omit_empty: false,
        },
    ],
};

/// `types.PluginEnv`.
static PLUGIN_ENV: Struct = Struct {
    name: "PluginEnv",
    fields: &[
        Field {
            name: "Description",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "Name",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "Settable",
            ty: STRINGS,
            omit_empty: false,
        },
        Field {
            name: "Value",
            ty: STRING_POINTER,
            omit_empty: false,
        },
    ],
};

/// `types.PluginConfigInterface`.
pub static PLUGIN_CONFIG_INTERFACE: Struct = Struct {
    name: "PluginConfigInterface",
    fields: &[
        Field {
            name: "ProtocolScheme",
            ty: Type::String,
            omit_empty: true,
        },
        Field {
            name: "Socket",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "Types",
            ty: Type::Slice(&Type::PluginInterface),
            omit_empty: false,
        },
    ],
};

/// `types.PluginConfigLinux`.
pub static PLUGIN_CONFIG_LINUX: Struct = Struct {
    name: "PluginConfigLinux",
    fields: &[
        Field {
            name: "AllowAllDevices",
            ty: Type::Bool,
            omit_empty: false,
        },
        Field {
            name: "Capabilities",
            ty: STRINGS,
            omit_empty: false,
        },
        Field {
            name: "Devices",
            ty: Type::Slice(&Type::Struct(&PLUGIN_DEVICE)),
            omit_empty: false,
        },
    ],
};

/// `types.PluginDevice`.
pub static PLUGIN_DEVICE: Struct = Struct {
    name: "PluginDevice",
    fields: &[
        Field {
            name: "Description",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "Name",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "Path",
            ty: STRING_POINTER,
            omit_empty: false,
        },
        Field {
            name: "Settable",
            ty: STRINGS,
            omit_empty: false,
        },
    ],
};

/// `types.PluginMount`.
pub static PLUGIN_MOUNT: Struct = Struct {
    name: "PluginMount",
    fields: &[
        Field {
            name: "Description",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "Destination",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "Name",
            ty: Type::String,
            omit_empty: false,
        },
        Field {
            name: "Options",
            ty: STRINGS,
            omit_empty: false,
        },
        Field {
            name: "Settable",
            ty: STRINGS,
            omit_empty: false,
        },
        Field {
            name: "Source",
            ty: STRING_POINTER,
            omit_empty: false,
        },
        Field {
            name: "Type",
            ty: Type::String,
            omit_empty: false,
        },
    ],
};

/// `types.PluginConfigNetwork`.
static PLUGIN_CONFIG_NETWORK: Struct = Struct {
    name: "PluginConfigNetwork",
    fields: &[Field {
        name: "Type",
        ty: Type::String,
        omit_empty: false,
    }],
};

/// `types.PluginConfigUser`.
static PLUGIN_CONFIG_USER: Struct = Struct {
    name: "PluginConfigUser",
    fields: &[
        Field {
            name: "GID",
            ty: Type::Uint32,
            omit_empty: true,
        },
        Field {
            name: "UID",
            ty: Type::Uint32,
            omit_empty: true,
        },
    ],
};

/// `types.PluginConfigRootfs`.
pub static PLUGIN_CONFIG_ROOTFS: Struct = Struct {
    name: "PluginConfigRootfs",
    fields: &[
        Field {
            name: "diff_ids",
            ty: STRINGS,
            omit_empty: false,
        },
        Field {
            name: "type",
            ty: Type::String,
            omit_empty: true,
        },
    ],
};

/// moby's `computePrivileges` of a decoded config, in its order: network,
/// host IPC namespace, host PID namespace, each mount with a source, each
/// device with a path, all devices, capabilities.
pub fn compute(config: &Value) -> Vec<Privilege> {
    let mut privileges = Vec::new();
    let network = config
        .field(&PLUGIN_CONFIG, "Network")
        .field(&PLUGIN_CONFIG_NETWORK, "Type")
        .as_str();
    if !matches!(network, "null" | "bridge" | "") {
        privileges.push(Privilege::new(
            crate::NETWORK,
            "permissions to access a network",
            vec![network.to_string()],
        ));
    }
    if config.field(&PLUGIN_CONFIG, "IpcHost").as_bool() {
        privileges.push(Privilege::new(
            crate::HOST_IPC_NAMESPACE,
            "allow access to host ipc namespace",
            vec!["true".to_string()],
        ));
    }
    if config.field(&PLUGIN_CONFIG, "PidHost").as_bool() {
        privileges.push(Privilege::new(
            crate::HOST_PID_NAMESPACE,
            "allow access to host pid namespace",
            vec!["true".to_string()],
        ));
    }
    for mount in config.field(&PLUGIN_CONFIG, "Mounts").as_slice() {
        if let Some(source) = mount.field(&PLUGIN_MOUNT, "Source").as_pointer() {
            privileges.push(Privilege::new(
                crate::MOUNT,
                "host path to mount",
                vec![source.as_str().to_string()],
            ));
        }
    }
    let linux = config.field(&PLUGIN_CONFIG, "Linux");
    for device in linux.field(&PLUGIN_CONFIG_LINUX, "Devices").as_slice() {
        if let Some(path) = device.field(&PLUGIN_DEVICE, "Path").as_pointer() {
            privileges.push(Privilege::new(
                crate::DEVICE,
                "host device to access",
                vec![path.as_str().to_string()],
            ));
        }
    }
    if linux
        .field(&PLUGIN_CONFIG_LINUX, "AllowAllDevices")
        .as_bool()
    {
        privileges.push(Privilege::new(
            crate::ALLOW_ALL_DEVICES,
            "allow 'rwm' access to all devices",
            vec!["true".to_string()],
        ));
    }
    let capabilities = linux.field(&PLUGIN_CONFIG_LINUX, "Capabilities").as_slice();
    if !capabilities.is_empty() {
        privileges.push(Privilege::new(
            crate::CAPABILITIES,
            "list of additional capabilities required",
            capabilities
                .iter()
                .map(|c| c.as_str().to_string())
                .collect(),
        ));
    }
    privileges
}
