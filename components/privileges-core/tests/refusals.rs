//! A config the engine cannot decode is refused with a message that says
//! what is wrong and where. (The engine's `GET /plugins/privileges`
//! answers `[]` for each of these, as if nothing were asked.)

use privileges_core::{Error, MAX_DEPTH, compute_privileges};

fn refused(config: &str) -> String {
    match compute_privileges(config) {
        Err(Error::InvalidInput(message)) => message,
        other => panic!("{config}: expected invalid-input, got {other:?}"),
    }
}

#[test]
fn text_that_is_not_json_is_refused_with_its_position() {
    for (config, message) in [
        (
            "",
            "the plugin config is not valid JSON: unexpected end of JSON input (line 1, column 1)",
        ),
        (
            "{\"IpcHost\":true,}",
            "the plugin config is not valid JSON: invalid character '}' looking for beginning of object key string (line 1, column 17)",
        ),
        (
            "{\n  \"IpcHost\": tru\n}",
            "the plugin config is not valid JSON: invalid character '\\n' in literal true (expecting 'e') (line 2, column 17)",
        ),
        (
            "{} {}",
            "the plugin config is not valid JSON: invalid character '{' after top-level value (line 1, column 4)",
        ),
        (
            "{'IpcHost':true}",
            "the plugin config is not valid JSON: invalid character '\\'' looking for beginning of object key string (line 1, column 2)",
        ),
        (
            "{\"IpcHost\":true",
            "the plugin config is not valid JSON: unexpected end of JSON input (line 1, column 16)",
        ),
        (
            "IpcHost: true",
            "the plugin config is not valid JSON: invalid character 'I' looking for beginning of value (line 1, column 1)",
        ),
    ] {
        assert_eq!(refused(config), message, "{config:?}");
    }
}

#[test]
fn a_document_that_is_not_an_object_is_refused() {
    for (config, what) in [
        ("[]", "an array"),
        ("\"{}\"", "a string"),
        ("5", "a number"),
        ("true", "true"),
    ] {
        assert_eq!(
            refused(config),
            format!("the plugin config is {what}, not a JSON object")
        );
    }
}

#[test]
fn a_field_of_the_wrong_type_is_refused_by_its_path() {
    for (config, message) in [
        (
            r#"{"IpcHost":"true"}"#,
            "IpcHost is a string, not a boolean",
        ),
        (r#"{"PidHost":1}"#, "PidHost is a number, not a boolean"),
        (
            r#"{"Network":"host"}"#,
            "Network is a string, not an object",
        ),
        (
            r#"{"Network":{"Type":true}}"#,
            "Network.Type is true, not a string",
        ),
        (
            r#"{"Mounts":{"Source":"/a"}}"#,
            "Mounts is an object, not an array",
        ),
        (
            r#"{"Mounts":[{"Source":["/a"]}]}"#,
            "Mounts[0].Source is an array, not a string",
        ),
        (
            r#"{"Mounts":["/a"]}"#,
            "Mounts[0] is a string, not an object",
        ),
        (
            r#"{"Linux":{"Devices":[{"Path":"/a"},{"Path":5}]}}"#,
            "Linux.Devices[1].Path is a number, not a string",
        ),
        (
            r#"{"Linux":{"AllowAllDevices":"yes"}}"#,
            "Linux.AllowAllDevices is a string, not a boolean",
        ),
        (
            r#"{"Linux":{"Capabilities":"CAP_SYS_ADMIN"}}"#,
            "Linux.Capabilities is a string, not an array",
        ),
        (
            r#"{"Linux":{"Capabilities":["CAP_A",7]}}"#,
            "Linux.Capabilities[1] is a number, not a string",
        ),
        // Fields the privileges do not read: the engine cannot decode
        // the config either.
        (
            r#"{"Description":5}"#,
            "Description is a number, not a string",
        ),
        (
            r#"{"Entrypoint":"/p"}"#,
            "Entrypoint is a string, not an array",
        ),
        (
            r#"{"Env":[{"Value":false}]}"#,
            "Env[0].Value is false, not a string",
        ),
        (
            r#"{"Args":{"Value":[{}]}}"#,
            "Args.Value[0] is an object, not a string",
        ),
        (
            r#"{"rootfs":{"diff_ids":"x"}}"#,
            "rootfs.diff_ids is a string, not an array",
        ),
        (
            r#"{"User":{"UID":"0"}}"#,
            "User.UID is a string, not an unsigned 32-bit integer",
        ),
        (
            r#"{"User":{"UID":-1}}"#,
            "User.UID is the number -1, not an unsigned 32-bit integer",
        ),
        (
            r#"{"User":{"GID":1.5}}"#,
            "User.GID is the number 1.5, not an unsigned 32-bit integer",
        ),
        (
            r#"{"User":{"GID":4294967296}}"#,
            "User.GID is the number 4294967296, not an unsigned 32-bit integer",
        ),
        (
            r#"{"User":{"GID":1e3}}"#,
            "User.GID is the number 1e3, not an unsigned 32-bit integer",
        ),
        (
            r#"{"Interface":{"Types":[null]}}"#,
            "Interface.Types[0] is null, not a string naming a plugin interface (e.g. \"docker.volumedriver/1.0\")",
        ),
        (
            r#"{"Interface":{"Types":[{"Capability":"volumedriver"}]}}"#,
            "Interface.Types[0] is an object, not a string naming a plugin interface (e.g. \"docker.volumedriver/1.0\")",
        ),
    ] {
        assert_eq!(
            refused(config),
            format!("the plugin config is malformed: {message}"),
            "{config}"
        );
    }
}

#[test]
fn the_first_wrong_field_is_named() {
    assert_eq!(
        refused(r#"{"Network":{"Type":1},"IpcHost":"x"}"#),
        "the plugin config is malformed: Network.Type is a number, not a string"
    );
}

#[test]
fn a_key_names_its_field_as_the_schema_spells_it() {
    assert_eq!(
        refused(r#"{"linux":{"capabilities":[1]}}"#),
        "the plugin config is malformed: Linux.Capabilities[0] is a number, not a string"
    );
}

#[test]
fn bad_syntax_anywhere_wins_over_a_wrong_type_before_it() {
    // Go checks the whole document's syntax before decoding any of it.
    let message = refused(r#"{"IpcHost":"x","PidHost":tru}"#);
    assert!(
        message.starts_with("the plugin config is not valid JSON: "),
        "{message}"
    );
}

#[test]
fn nesting_deeper_than_gos_limit_is_refused() {
    let deep = format!(
        r#"{{"x":{}{}}}"#,
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    );
    let message = refused(&deep);
    assert!(message.contains("exceeded max depth"), "{message}");
    let fits = format!(
        r#"{{"IpcHost":true,"x":{}{}}}"#,
        "[".repeat(MAX_DEPTH - 1),
        "]".repeat(MAX_DEPTH - 1)
    );
    assert_eq!(compute_privileges(&fits).unwrap().len(), 1);
}

#[test]
fn control_characters_in_a_string_are_refused_and_named_escaped() {
    let message = refused("{\"Network\":{\"Type\":\"ho\u{7}st\"}}");
    assert!(
        message.contains(r"invalid character '\u{7}' in string literal"),
        "{message}"
    );
}
