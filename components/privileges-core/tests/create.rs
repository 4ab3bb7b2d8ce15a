//! The config of a plugin made from a context: moby's `CreateFromContext`
//! encoding (checked byte for byte against configs the engine's
//! `docker plugin create` wrote, in `tests/e2e/plugin_build.rs`), and the
//! checks the engine leaves to install time.

use privileges_core::{PLUGIN_CONFIG_MEDIA_TYPE, plugin_config};

const DIFF_ID: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

const MINIMAL: &str = r#"{"Interface":{"Types":["docker.volumedriver/1.0"],"Socket":"p.sock"},"Entrypoint":["/bin/p"]}"#;

fn config(context: &str) -> String {
    let document = plugin_config(context, DIFF_ID).unwrap_or_else(|e| panic!("{context}: {e}"));
    assert_eq!(document.descriptor.media_type, PLUGIN_CONFIG_MEDIA_TYPE);
    assert_eq!(document.descriptor.size, document.bytes.len() as u64);
    String::from_utf8(document.bytes).unwrap()
}

fn refusal(context: &str) -> String {
    match plugin_config(context, DIFF_ID) {
        Ok(d) => panic!("{context} was taken: {}", String::from_utf8_lossy(&d.bytes)),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_field_is_written_in_the_structs_order_with_null_for_what_is_absent() {
    assert_eq!(
        config(MINIMAL),
        concat!(
            r#"{"Args":{"Description":"","Name":"","Settable":null,"Value":null},"#,
            r#""Description":"","Documentation":"","Entrypoint":["/bin/p"],"Env":null,"#,
            r#""Interface":{"Socket":"p.sock","Types":["docker.volumedriver/1.0"]},"#,
            r#""IpcHost":false,"Linux":{"AllowAllDevices":false,"Capabilities":null,"Devices":null},"#,
            r#""Mounts":null,"Network":{"Type":""},"PidHost":false,"PropagatedMount":"","#,
            r#""User":{},"WorkDir":"","#,
            r#""rootfs":{"diff_ids":["sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],"type":"layers"}}"#,
            "\n"
        )
    );
}

#[test]
fn every_kind_of_value_is_written_back() {
    let written = config(
        r#"{
        "Description": "a <plugin> & more", "DockerVersion": "20.10.24",
        "Documentation": "https://example.com/p",
        "Args": {"Name": "args", "Settable": ["value"], "Value": []},
        "Env": [{"Name": "DEBUG", "Settable": ["value"], "Value": "0"}, {"Name": "X"}],
        "Interface": {"Types": ["docker.volumedriver/1.0", "docker.authz/1.0"], "Socket": "p.sock", "ProtocolScheme": "moby.plugins.http/v1"},
        "Entrypoint": ["/bin/p", "--flag"],
        "IpcHost": true, "PidHost": true, "PropagatedMount": "/data", "WorkDir": "/w",
        "User": {"UID": 1000, "GID": 0},
        "Network": {"Type": "host"},
        "Mounts": [{"Name": "state", "Source": "/var/lib/p", "Destination": "/state", "Type": "bind", "Options": ["rbind"]}],
        "Linux": {"Capabilities": ["CAP_SYS_ADMIN"], "AllowAllDevices": true, "Devices": [{"Path": "/dev/fuse"}]}
    }"#,
    );
    assert_eq!(
        written,
        concat!(
            r#"{"Args":{"Description":"","Name":"args","Settable":["value"],"Value":[]},"#,
            r#""Description":"a \u003cplugin\u003e \u0026 more","DockerVersion":"20.10.24","#,
            r#""Documentation":"https://example.com/p","Entrypoint":["/bin/p","--flag"],"#,
            r#""Env":[{"Description":"","Name":"DEBUG","Settable":["value"],"Value":"0"},"#,
            r#"{"Description":"","Name":"X","Settable":null,"Value":null}],"#,
            r#""Interface":{"ProtocolScheme":"moby.plugins.http/v1","Socket":"p.sock","#,
            r#""Types":["docker.volumedriver/1.0","docker.authz/1.0"]},"#,
            r#""IpcHost":true,"Linux":{"AllowAllDevices":true,"Capabilities":["CAP_SYS_ADMIN"],"#,
            r#""Devices":[{"Description":"","Name":"","Path":"/dev/fuse","Settable":null}]},"#,
            r#""Mounts":[{"Description":"","Destination":"/state","Name":"state","Options":["rbind"],"#,
            r#""Settable":null,"Source":"/var/lib/p","Type":"bind"}],"#,
            r#""Network":{"Type":"host"},"PidHost":true,"PropagatedMount":"/data","#,
            r#""User":{"UID":1000},"WorkDir":"/w","#,
            r#""rootfs":{"diff_ids":["sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],"type":"layers"}}"#,
            "\n"
        )
    );
}

#[test]
fn the_config_is_read_as_the_engine_reads_it() {
    // Keys in any case, unknown keys dropped, the context's rootfs
    // replaced, a key given twice merged.
    let written = config(
        r#"{"interface":{"types":["docker.volumedriver/1.0"],"SOCKET":"p.sock"},
            "entrypoint":["/bin/p"],"Unknown":[1,2],
            "rootfs":{"type":"layers","diff_ids":["sha256:old"]},
            "Linux":{"Capabilities":["CAP_A"]},"linux":{"AllowAllDevices":true}}"#,
    );
    assert!(
        written.contains(
            r#""Linux":{"AllowAllDevices":true,"Capabilities":["CAP_A"],"Devices":null}"#
        ),
        "{written}"
    );
    assert!(
        !written.contains("Unknown") && !written.contains("sha256:old"),
        "{written}"
    );
    assert!(written.contains(&format!(
        r#""rootfs":{{"diff_ids":["{DIFF_ID}"],"type":"layers"}}"#
    )));
}

#[test]
fn the_same_context_gives_the_same_bytes() {
    let a = plugin_config(MINIMAL, DIFF_ID).unwrap();
    let b = plugin_config(MINIMAL, DIFF_ID).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.descriptor.digest, b.descriptor.digest);
    let other = plugin_config(MINIMAL, &DIFF_ID.replace('0', "1")).unwrap();
    assert_ne!(a.descriptor.digest, other.descriptor.digest);
}

#[test]
fn a_config_the_engine_cannot_read_is_refused() {
    assert!(refusal("{").contains("not valid JSON"));
    assert!(refusal(r#"{"Entrypoint":"/bin/p"}"#).contains("Entrypoint is a string, not an array"));
}

#[test]
fn interfaces_must_be_named_in_full() {
    let with_types = |types: &str| {
        format!(r#"{{"Interface":{{"Types":{types},"Socket":"p.sock"}},"Entrypoint":["/bin/p"]}}"#)
    };
    assert!(refusal(&with_types("[]")).contains("Interface.Types is empty"));
    assert!(refusal(&with_types("null")).contains("Interface.Types is empty"));
    for bad in [
        "volumedriver/1.0",
        "docker.volumedriver",
        "docker./1.0",
        ".volumedriver/1.0",
        "docker.volumedriver/",
        r"docker.volume\u0064river/1.0",
    ] {
        let message = refusal(&with_types(&format!(r#"["docker.authz/1.0", "{bad}"]"#)));
        assert!(
            message.contains("Interface.Types[1]") && message.contains("PREFIX.CAPABILITY/VERSION"),
            "{bad}: {message}"
        );
    }
}

#[test]
fn the_socket_is_a_file_name() {
    for socket in ["", ".", "..", "run/p.sock", "/run/p.sock"] {
        let context = format!(
            r#"{{"Interface":{{"Types":["docker.volumedriver/1.0"],"Socket":"{socket}"}},"Entrypoint":["/bin/p"]}}"#
        );
        assert!(refusal(&context).contains("Interface.Socket"), "{socket}");
    }
}

#[test]
fn the_entrypoint_names_a_program() {
    for entrypoint in ["null", "[]", r#"["", "x"]"#] {
        let context = format!(
            r#"{{"Interface":{{"Types":["docker.volumedriver/1.0"],"Socket":"p.sock"}},"Entrypoint":{entrypoint}}}"#
        );
        assert!(
            refusal(&context).contains("Entrypoint has no program"),
            "{entrypoint}"
        );
    }
}

#[test]
fn the_fields_the_privileges_read_are_checked() {
    let with = |extra: &str| MINIMAL.replacen('{', &format!("{{{extra},"), 1);
    assert!(
        refusal(&with(r#""Mounts":[{"Source":"/s","Destination":"rel"}]"#))
            .contains("Mounts[0].Destination")
    );
    assert!(refusal(&with(r#""Mounts":[{"Source":"/s"}]"#)).contains("Mounts[0].Destination"));
    assert!(
        refusal(&with(r#""Linux":{"Devices":[{"Path":""}]}"#)).contains("Linux.Devices[0].Path")
    );
    for capability in ["SYS_ADMIN", "cap_sys_admin", "CAP_", "CAP_SYS ADMIN"] {
        let message = refusal(&with(&format!(
            r#""Linux":{{"Capabilities":["CAP_CHOWN","{capability}"]}}"#
        )));
        assert!(
            message.contains("Linux.Capabilities[1]"),
            "{capability}: {message}"
        );
    }
    // A device without a path asks for nothing and needs nothing.
    config(&with(r#""Linux":{"Devices":[{"Name":"d"}]}"#));
}

#[test]
fn the_diff_id_is_a_sha256_digest() {
    for bad in ["", "sha256:abc", "sha512:0123", &DIFF_ID.to_uppercase()] {
        let e = plugin_config(MINIMAL, bad).unwrap_err().to_string();
        assert!(e.contains("not a sha256 digest"), "{bad}: {e}");
    }
}

#[test]
fn a_manifest_is_a_plugins_by_its_config_media_type() {
    use privileges_core::why_not_a_plugin;
    let digest = "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f";
    let plugin = ocipipe_sdk::Descriptor::new(PLUGIN_CONFIG_MEDIA_TYPE, digest, 2);
    assert_eq!(why_not_a_plugin(&plugin), None);
    let image = ocipipe_sdk::Descriptor::new("application/vnd.oci.image.config.v1+json", digest, 2);
    assert_eq!(
        why_not_a_plugin(&image).as_deref(),
        Some(
            "its config is application/vnd.oci.image.config.v1+json, \
             not application/vnd.docker.plugin.v1+json"
        )
    );
}
