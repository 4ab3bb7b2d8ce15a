//! Each privilege kind with moby's name, description and values; their
//! order; combinations; what asks for nothing.

use privileges_core::{Privilege, compute_privileges};

fn privileges(config: &str) -> Vec<Privilege> {
    compute_privileges(config).unwrap_or_else(|e| panic!("{config}: {e}"))
}

fn names(config: &str) -> Vec<String> {
    privileges(config).into_iter().map(|p| p.name).collect()
}

fn one(name: &str, description: &str, value: &[&str]) -> Privilege {
    Privilege {
        name: name.into(),
        description: description.into(),
        value: value.iter().map(|v| v.to_string()).collect(),
    }
}

const NETWORK: &str = "permissions to access a network";
const IPC: &str = "allow access to host ipc namespace";
const PID: &str = "allow access to host pid namespace";
const MOUNT: &str = "host path to mount";
const DEVICE: &str = "host device to access";
const ALL_DEVICES: &str = "allow 'rwm' access to all devices";
const CAPABILITIES: &str = "list of additional capabilities required";

#[test]
fn a_network_other_than_none_or_bridge_is_a_privilege() {
    for network in ["host", "overlay", "NULL", "Bridge", " ", "none"] {
        let config = format!(r#"{{"Network":{{"Type":{network:?}}}}}"#);
        assert_eq!(
            privileges(&config),
            [one("network", NETWORK, &[network])],
            "{config}"
        );
    }
    for network in ["null", "bridge", ""] {
        let config = format!(r#"{{"Network":{{"Type":{network:?}}}}}"#);
        assert_eq!(privileges(&config), [], "{config}");
    }
    assert_eq!(privileges(r#"{"Network":{}}"#), []);
}

#[test]
fn host_namespaces_are_privileges_when_true() {
    assert_eq!(
        privileges(r#"{"IpcHost":true}"#),
        [one("host ipc namespace", IPC, &["true"])]
    );
    assert_eq!(
        privileges(r#"{"PidHost":true}"#),
        [one("host pid namespace", PID, &["true"])]
    );
    assert_eq!(privileges(r#"{"IpcHost":false,"PidHost":false}"#), []);
}

#[test]
fn each_mount_with_a_source_is_a_privilege_even_an_empty_source() {
    let config = r#"{"Mounts":[
        {"Name":"data","Source":"/var/lib/data","Destination":"/data","Type":"bind","Options":["rbind"]},
        {"Name":"settable","Destination":"/mnt","Settable":["source"]},
        {"Source":"","Destination":"/empty"},
        {"Source":null},
        {"Source":"/var/lib/data"}
    ]}"#;
    assert_eq!(
        privileges(config),
        [
            one("mount", MOUNT, &["/var/lib/data"]),
            one("mount", MOUNT, &[""]),
            one("mount", MOUNT, &["/var/lib/data"]),
        ]
    );
}

#[test]
fn each_device_with_a_path_is_a_privilege() {
    let config = r#"{"Linux":{"Devices":[
        {"Name":"fuse","Path":"/dev/fuse"},
        {"Name":"settable","Settable":["path"]},
        {"Path":""},
        {"Path":null},
        {"Path":"/dev/kvm"}
    ]}}"#;
    assert_eq!(
        privileges(config),
        [
            one("device", DEVICE, &["/dev/fuse"]),
            one("device", DEVICE, &[""]),
            one("device", DEVICE, &["/dev/kvm"]),
        ]
    );
}

#[test]
fn all_devices_is_a_privilege_when_true() {
    assert_eq!(
        privileges(r#"{"Linux":{"AllowAllDevices":true}}"#),
        [one("allow-all-devices", ALL_DEVICES, &["true"])]
    );
    assert_eq!(privileges(r#"{"Linux":{"AllowAllDevices":false}}"#), []);
}

#[test]
fn capabilities_are_one_privilege_listing_them_as_given() {
    assert_eq!(
        privileges(
            r#"{"Linux":{"Capabilities":["CAP_SYS_ADMIN","CAP_NET_ADMIN","CAP_SYS_ADMIN",""]}}"#
        ),
        [one(
            "capabilities",
            CAPABILITIES,
            &["CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_ADMIN", ""]
        )]
    );
    assert_eq!(privileges(r#"{"Linux":{"Capabilities":[]}}"#), []);
    assert_eq!(privileges(r#"{"Linux":{"Capabilities":null}}"#), []);
}

#[test]
fn every_kind_comes_in_mobys_order_whatever_the_order_of_the_keys() {
    let config = r#"{
        "Linux":{"Capabilities":["CAP_SYS_ADMIN"],"AllowAllDevices":true,
                 "Devices":[{"Path":"/dev/fuse"},{"Path":"/dev/kvm"}]},
        "Mounts":[{"Source":"/a"},{"Source":"/b"}],
        "PidHost":true,
        "IpcHost":true,
        "Network":{"Type":"host"}
    }"#;
    assert_eq!(
        privileges(config),
        [
            one("network", NETWORK, &["host"]),
            one("host ipc namespace", IPC, &["true"]),
            one("host pid namespace", PID, &["true"]),
            one("mount", MOUNT, &["/a"]),
            one("mount", MOUNT, &["/b"]),
            one("device", DEVICE, &["/dev/fuse"]),
            one("device", DEVICE, &["/dev/kvm"]),
            one("allow-all-devices", ALL_DEVICES, &["true"]),
            one("capabilities", CAPABILITIES, &["CAP_SYS_ADMIN"]),
        ]
    );
}

#[test]
fn combinations_keep_the_order_with_gaps() {
    for (config, expected) in [
        (
            r#"{"PidHost":true,"Network":{"Type":"host"}}"#,
            &["network", "host pid namespace"][..],
        ),
        (
            r#"{"Linux":{"Capabilities":["CAP_A"]},"Mounts":[{"Source":"/m"}]}"#,
            &["mount", "capabilities"],
        ),
        (
            r#"{"Linux":{"AllowAllDevices":true,"Devices":[{"Path":"/dev/x"}]},"IpcHost":true}"#,
            &["host ipc namespace", "device", "allow-all-devices"],
        ),
        (
            r#"{"Mounts":[{"Name":"no source"}],"Linux":{"Devices":[{"Name":"no path"}]}}"#,
            &[],
        ),
    ] {
        assert_eq!(names(config), expected, "{config}");
    }
}

#[test]
fn a_typical_plugin_config_asks_for_what_its_fields_say() {
    // The shape `docker plugin create` writes back (every field, nulls
    // for empty lists), as for vieux/sshfs.
    let config = r#"{"Args":{"Description":"","Name":"","Settable":null,"Value":null},
        "Description":"sshFS plugin for Docker","DockerVersion":"20.10.24+dfsg1",
        "Documentation":"https://docs.docker.com/engine/extend/plugins/",
        "Entrypoint":["/docker-volume-sshfs"],
        "Env":[{"Description":"","Name":"DEBUG","Settable":["value"],"Value":"0"}],
        "Interface":{"Socket":"sshfs.sock","Types":["docker.volumedriver/1.0"]},
        "IpcHost":false,"Linux":{"AllowAllDevices":false,"Capabilities":["CAP_SYS_ADMIN"],
        "Devices":[{"Description":"","Name":"","Path":"/dev/fuse","Settable":null}]},
        "Mounts":[{"Description":"","Destination":"/mnt/state","Name":"state","Options":["rbind"],
        "Settable":["source"],"Source":"/var/lib/docker/plugins/","Type":"bind"}],
        "Network":{"Type":"host"},"PidHost":false,"PropagatedMount":"/mnt/volumes",
        "User":{},"WorkDir":"","rootfs":{"diff_ids":["sha256:abc"],"type":"layers"}}"#;
    assert_eq!(
        privileges(config),
        [
            one("network", NETWORK, &["host"]),
            one("mount", MOUNT, &["/var/lib/docker/plugins/"]),
            one("device", DEVICE, &["/dev/fuse"]),
            one("capabilities", CAPABILITIES, &["CAP_SYS_ADMIN"]),
        ]
    );
}

#[test]
fn an_empty_or_null_config_asks_for_nothing() {
    assert_eq!(privileges("{}"), []);
    assert_eq!(
        privileges(" null "),
        [],
        "Go decodes null into the zero config"
    );
    assert_eq!(
        privileges(r#"{"Network":null,"Linux":null,"Mounts":null,"IpcHost":null}"#),
        []
    );
}

#[test]
fn values_keep_every_character() {
    assert_eq!(
        privileges(r#"{"Mounts":[{"Source":"/a b/\u00e9\n\"<&>"}]}"#),
        [one("mount", MOUNT, &["/a b/é\n\"<&>"])]
    );
}
