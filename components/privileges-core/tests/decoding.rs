//! The config is read as the engine's Go `encoding/json` reads it. Every
//! case here was first asked of Engine 20.10 (`GET /plugins/privileges` of
//! the same config pushed to a registry); the end-to-end tests
//! (`tests/e2e/plugin.rs`) ask it again.

use privileges_core::compute_privileges;

/// Each privilege as `name=value,value`.
fn asked(config: &str) -> Vec<String> {
    compute_privileges(config)
        .unwrap_or_else(|e| panic!("{config}: {e}"))
        .into_iter()
        .map(|p| format!("{}={}", p.name, p.value.join(",")))
        .collect()
}

#[test]
fn keys_match_fields_whatever_their_case() {
    assert_eq!(
        asked(r#"{"network":{"type":"host"},"ipchost":true,"PIDHOST":true}"#),
        [
            "network=host",
            "host ipc namespace=true",
            "host pid namespace=true"
        ]
    );
    assert_eq!(
        asked(
            r#"{"mounts":[{"source":"/m"}],"LINUX":{"devices":[{"PATH":"/d"}],"allowalldevices":true,"capabilities":["C"]}}"#
        ),
        [
            "mount=/m",
            "device=/d",
            "allow-all-devices=true",
            "capabilities=C"
        ]
    );
}

#[test]
fn long_s_and_the_kelvin_sign_fold_to_s_and_k() {
    assert_eq!(
        asked(r#"{"IpcHo\u017ft":true,"Networ\u212a":{"Type":"x"}}"#),
        ["network=x", "host ipc namespace=true"]
    );
    assert_eq!(asked("{\"IpcHoſt\":true}"), ["host ipc namespace=true"]);
    // Other look-alikes are other keys.
    assert_eq!(
        asked(r#"{"\u0130pcHost":true,"IpcHost ":true}"#),
        Vec::<String>::new()
    );
}

#[test]
fn escaped_keys_are_unescaped_first() {
    assert_eq!(
        asked(r#"{"\u0049pcHost":true}"#),
        ["host ipc namespace=true"]
    );
}

#[test]
fn unknown_keys_of_any_shape_are_ignored() {
    assert_eq!(
        asked(r#"{"Unknown":{"deep":[1,[2,{"x":null}]]},"IpcHost":true,"Linux":{"Other":5}}"#),
        ["host ipc namespace=true"]
    );
}

#[test]
fn a_key_given_twice_merges_objects_and_keeps_the_last_scalar() {
    assert_eq!(
        asked(r#"{"Linux":{"Capabilities":["A"]},"Linux":{"AllowAllDevices":true}}"#),
        ["allow-all-devices=true", "capabilities=A"]
    );
    assert_eq!(
        asked(r#"{"IpcHost":true,"ipchost":false}"#),
        Vec::<String>::new()
    );
    assert_eq!(
        asked(r#"{"Network":{"Type":"bridge"},"Network":{"Type":"host"}}"#),
        ["network=host"]
    );
}

#[test]
fn null_leaves_scalars_and_structs_and_clears_pointers_and_slices() {
    assert_eq!(
        asked(r#"{"IpcHost":true,"IpcHost":null,"Network":{"Type":"host"},"Network":null}"#),
        ["network=host", "host ipc namespace=true"]
    );
    assert_eq!(
        asked(r#"{"Network":{"Type":"host"},"Network":{"Type":null}}"#),
        ["network=host"]
    );
    assert_eq!(
        asked(r#"{"Mounts":[{"Source":"/a","Source":null}]}"#),
        Vec::<String>::new()
    );
    assert_eq!(
        asked(r#"{"Linux":{"Capabilities":["A"],"Capabilities":null}}"#),
        Vec::<String>::new()
    );
}

#[test]
fn an_array_decodes_into_the_elements_already_there() {
    // A struct element merges: the second array's element keeps the
    // first's Source.
    assert_eq!(
        asked(r#"{"Mounts":[{"Source":"/a"}],"Mounts":[{"Name":"n"}]}"#),
        ["mount=/a"]
    );
    // null in an array of strings keeps the string there.
    assert_eq!(
        asked(r#"{"Linux":{"Capabilities":["A","B"]},"Linux":{"Capabilities":[null]}}"#),
        ["capabilities=A"]
    );
    assert_eq!(
        asked(r#"{"Linux":{"Capabilities":["A","B"],"Capabilities":[null,"C",null]}}"#),
        ["capabilities=A,C,"]
    );
}

#[test]
fn elements_cut_off_by_a_shorter_array_come_back_with_a_longer_one() {
    assert_eq!(
        asked(
            r#"{"Mounts":[{"Source":"/a"},{"Source":"/b"}],"Mounts":[{"Name":"n"}],"Mounts":[{"Name":"m"},{"Name":"o"}]}"#
        ),
        ["mount=/a", "mount=/b"]
    );
    assert_eq!(
        asked(
            r#"{"Linux":{"Capabilities":["A","B","C"],"Capabilities":["X"],"Capabilities":[null,null,null,null]}}"#
        ),
        ["capabilities=X,B,C,"]
    );
}

#[test]
fn an_empty_array_starts_a_new_slice() {
    assert_eq!(
        asked(
            r#"{"Linux":{"Capabilities":["A","B"],"Capabilities":[],"Capabilities":[null,null]}}"#
        ),
        ["capabilities=,"]
    );
    assert_eq!(
        asked(r#"{"Mounts":[{"Source":"/a"}],"Mounts":[],"Mounts":[{}]}"#),
        Vec::<String>::new()
    );
}

#[test]
fn lone_surrogates_become_the_replacement_character() {
    assert_eq!(
        asked(r#"{"Mounts":[{"Source":"\ud800x\udc00\ud83d\ude00"}]}"#),
        ["mount=\u{fffd}x\u{fffd}😀"]
    );
}

#[test]
fn fields_the_privileges_do_not_read_are_still_read() {
    // Well-typed values of every other field are accepted.
    assert_eq!(
        asked(
            r#"{"Args":{"Name":"a","Description":"d","Settable":["value"],"Value":["x",null]},
            "Env":[{"Name":"E","Value":null,"Settable":[]}],"Entrypoint":["/p"],
            "Interface":{"Types":["docker.volumedriver/1.0","x"],"Socket":"s.sock","ProtocolScheme":"moby.plugins.http/v1"},
            "User":{"UID":0,"GID":4294967295},"rootfs":{"type":"layers","diff_ids":["sha256:x"]},
            "rootfs":null,"WorkDir":"/","PropagatedMount":"","DockerVersion":"x",
            "Description":"","Documentation":"","IpcHost":true}"#
        ),
        ["host ipc namespace=true"]
    );
}
