//! Editing an existing image config (`image mutate`): each field, removals
//! and their refusals, the history entry and `created`, what is kept as it
//! is, canonical and deterministic bytes, malformed configs.

use manifest_generation_core::*;
use serde_json::{Value, json};

const D1: &str = "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0";
const D2: &str = "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b";
const EPOCH_SECONDS: i64 = 1_704_067_200;
const EPOCH: &str = "2024-01-01T00:00:00Z";

/// A config as a registry serves it: keys in Docker's order, not sorted.
const BASE: &str = r#"{"architecture":"amd64","config":{"Hostname":"","User":"root","ExposedPorts":{"80/tcp":{}},"Env":["PATH=/usr/bin","LANG=C","A=1"],"Cmd":["/bin/sh"],"Entrypoint":["/entry"],"WorkingDir":"/","Labels":{"b":"2","a":"1"},"StopSignal":"SIGTERM"},"created":"2023-06-01T00:00:00Z","docker_version":"20.10","history":[{"created":"2023-06-01T00:00:00Z","created_by":"ADD file in /"},{"created":"2023-06-01T00:00:01Z","created_by":"CMD [\"/bin/sh\"]","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0"]}}"#;

fn edit(config: &str, edits: &ConfigEdits) -> Document {
    let doc = edit_config(config.as_bytes(), edits).unwrap();
    assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_OCI_CONFIG);
    assert_eq!(
        doc.descriptor.digest,
        ocipipe_sdk::digest::sha256(&doc.bytes)
    );
    assert_eq!(doc.descriptor.size, doc.bytes.len() as u64);
    doc
}

fn text(doc: &Document) -> &str {
    std::str::from_utf8(&doc.bytes).unwrap()
}

fn value(config: &str, edits: &ConfigEdits) -> Value {
    serde_json::from_slice(&edit(config, edits).bytes).unwrap()
}

/// `config.<key>` of the edited BASE.
fn field(edits: &ConfigEdits, key: &str) -> Option<Value> {
    value(BASE, edits)["config"].get(key).cloned()
}

fn invalid(config: &str, edits: &ConfigEdits) -> String {
    match edit_config(config.as_bytes(), edits) {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

fn with_config(config: Value) -> String {
    json!({"os": "linux", "config": config, "rootfs": {"type": "layers", "diff_ids": []}})
        .to_string()
}

fn by(created_by: &str) -> ConfigEdits {
    ConfigEdits {
        created_by: Some(created_by.into()),
        ..ConfigEdits::default()
    }
}

/// Every field at once, golden bytes.
#[test]
fn every_field_golden() {
    let edits = ConfigEdits {
        env: vec!["LANG=C.UTF-8".into(), "APP=1".into()],
        env_remove: vec!["A".into()],
        labels: vec![("b".into(), "two".into()), ("c".into(), "<3>".into())],
        label_remove: vec!["a".into()],
        entrypoint: Some("exec /app".into()),
        cmd: Some(r#"["--port", "80"]"#.into()),
        user: Some("1000".into()),
        working_dir: Some("/srv".into()),
        exposed_ports: vec!["8080".into(), "53/udp".into()],
        created: Some(EPOCH_SECONDS),
        created_by: Some("ocipipe image mutate --env APP=1 && more".into()),
    };
    let expected = concat!(
        r#"{"architecture":"amd64","#,
        r#""config":{"User":"1000","ExposedPorts":{"53/udp":{},"80/tcp":{},"8080/tcp":{}},"#,
        r#""Env":["PATH=/usr/bin","LANG=C.UTF-8","APP=1"],"#,
        r#""Entrypoint":["/bin/sh","-c","exec /app"],"Cmd":["--port","80"],"WorkingDir":"/srv","#,
        r#""Labels":{"b":"two","c":"\u003c3\u003e"},"StopSignal":"SIGTERM","Hostname":""},"#,
        r#""created":"2024-01-01T00:00:00Z","docker_version":"20.10","#,
        r#""history":[{"created":"2023-06-01T00:00:00Z","created_by":"ADD file in /"},"#,
        r#"{"created":"2023-06-01T00:00:01Z","created_by":"CMD [\"/bin/sh\"]","empty_layer":true},"#,
        r#"{"created":"2024-01-01T00:00:00Z","created_by":"ocipipe image mutate --env APP=1 \u0026\u0026 more","empty_layer":true}],"#,
        r#""os":"linux","#,
        r#""rootfs":{"type":"layers","diff_ids":["sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0"]}}"#
    );
    assert_eq!(text(&edit(BASE, &edits)), expected);
}

#[test]
fn same_edit_same_bytes_whatever_the_inputs_layout() {
    let edits = ConfigEdits {
        env: vec!["X=1".into()],
        labels: vec![("z".into(), "1".into()), ("y".into(), "2".into())],
        exposed_ports: vec!["9000".into(), "80".into()],
        created_by: Some("mutate".into()),
        ..ConfigEdits::default()
    };
    let a = edit(BASE, &edits);
    assert_eq!(edit(BASE, &edits), a);
    // The same config pretty-printed with sorted keys, and the edit's
    // labels and ports in another order: the same bytes.
    let v: Value = serde_json::from_str(BASE).unwrap();
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let mut reordered = edits.clone();
    reordered.labels.reverse();
    reordered.exposed_ports.reverse();
    assert_eq!(edit(&pretty, &reordered), a);
    // Another edit, another digest.
    assert_ne!(
        edit(BASE, &by("other")).descriptor.digest,
        a.descriptor.digest
    );
}

/// On `image build`'s output, an edit with nothing but `created_by` adds
/// the history entry and nothing else, byte for byte.
#[test]
fn on_image_configs_output_only_the_history_entry_is_added() {
    let built = image_config(&ConfigRequest {
        base: Some(BASE.into()),
        platform: Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..Platform::default()
        },
        diff_ids: vec![D1.into(), D2.into()],
        created: Some(EPOCH_SECONDS),
        labels: vec![("k".into(), "v".into())],
        exposed_ports: vec!["443".into()],
        ..ConfigRequest::default()
    })
    .unwrap();
    let input = text(&built);
    let out = edit(input, &by("ocipipe image mutate"));
    let entry = format!(
        r#"{{"created":"{EPOCH}","created_by":"ocipipe image mutate","empty_layer":true}}"#
    );
    // `history` is followed by `os` in the sorted top-level keys.
    assert_eq!(input.matches(r#"}],"os":"#).count(), 1);
    let expected = input.replacen(r#"}],"os":"#, &format!(r#"}},{entry}],"os":"#), 1);
    assert_eq!(text(&out), expected);
    // Again on that output: one more entry, the rest unchanged.
    let again = edit(text(&out), &by("ocipipe image mutate"));
    let expected = expected.replacen(r#"}],"os":"#, &format!(r#"}},{entry}],"os":"#), 1);
    assert_eq!(text(&again), expected);
}

#[test]
fn env_replaces_in_place_and_appends_new_keys() {
    let config = with_config(json!({"Env": ["A=1", "B=2", "A=3", "C"]}));
    let v = value(
        &config,
        &ConfigEdits {
            env: vec!["A=x".into(), "C=y".into(), "D=".into(), "D=z".into()],
            ..ConfigEdits::default()
        },
    );
    // image build's rule: the first entry of a key replaced where it is,
    // a later duplicate left, new keys appended in order.
    assert_eq!(
        v["config"]["Env"],
        json!(["A=x", "B=2", "A=3", "C=y", "D=z"])
    );
}

#[test]
fn env_remove_removes_every_entry_of_the_key() {
    let config = with_config(json!({"Env": ["A=1", "B=2", "A=3", "C", "D=4"]}));
    let v = value(
        &config,
        &ConfigEdits {
            env: vec!["E=5".into(), "B=two".into()],
            env_remove: vec!["A".into(), "C".into(), "A".into()],
            ..ConfigEdits::default()
        },
    );
    assert_eq!(v["config"]["Env"], json!(["B=two", "D=4", "E=5"]));
    // Removing the last one leaves no Env at all (omitempty).
    let v = value(
        &with_config(json!({"Env": ["A=1"], "User": "u"})),
        &ConfigEdits {
            env_remove: vec!["A".into()],
            ..ConfigEdits::default()
        },
    );
    assert_eq!(v["config"], json!({"User": "u"}));
}

#[test]
fn windows_env_keys_match_whatever_their_case() {
    let config = json!({
        "os": "windows",
        "config": {"Env": ["Path=C:\\Windows", "TEMP=C:\\t", "x=1"]},
        "rootfs": {"type": "layers", "diff_ids": []}
    })
    .to_string();
    let v = value(
        &config,
        &ConfigEdits {
            env: vec!["PATH=C:\\bin".into()],
            env_remove: vec!["temp".into(), "X".into()],
            ..ConfigEdits::default()
        },
    );
    assert_eq!(v["config"]["Env"], json!(["PATH=C:\\bin"]));
    // On linux they are case-sensitive: "a" is not "A".
    let m = invalid(
        &with_config(json!({"Env": ["A=1"]})),
        &ConfigEdits {
            env_remove: vec!["a".into()],
            ..ConfigEdits::default()
        },
    );
    assert_eq!(
        m,
        r#"env-remove[0]: the config has no variable "a" (it has "A")"#
    );
}

#[test]
fn removing_an_unknown_key_is_refused_listing_the_keys_there_are() {
    let env = |config: &str, key: &str| {
        invalid(
            config,
            &ConfigEdits {
                env_remove: vec!["PATH".into(), key.into()],
                ..ConfigEdits::default()
            },
        )
    };
    assert_eq!(
        env(BASE, "NOPE"),
        r#"env-remove[1]: the config has no variable "NOPE" (it has "PATH", "LANG", "A")"#
    );
    // Each key listed once, in the config's order.
    let config = with_config(json!({"Env": ["PATH=/x", "B=1", "PATH=/y", "C"]}));
    assert_eq!(
        env(&config, "D"),
        r#"env-remove[1]: the config has no variable "D" (it has "PATH", "B", "C")"#
    );
    assert_eq!(
        invalid(
            &with_config(json!({})),
            &ConfigEdits {
                env_remove: vec!["A".into()],
                ..ConfigEdits::default()
            }
        ),
        r#"env-remove[0]: the config has no variable "A" (it has none)"#
    );
    let labels = |config: &str| {
        invalid(
            config,
            &ConfigEdits {
                label_remove: vec!["zz".into()],
                ..ConfigEdits::default()
            },
        )
    };
    assert_eq!(
        labels(BASE),
        r#"label-remove[0]: the config has no label "zz" (it has "a", "b")"#
    );
    assert_eq!(
        labels(&with_config(json!({"Labels": null}))),
        r#"label-remove[0]: the config has no label "zz" (it has none)"#
    );
}

#[test]
fn a_key_both_set_and_removed_is_refused() {
    let m = invalid(
        BASE,
        &ConfigEdits {
            env: vec!["X=1".into(), "LANG=C.UTF-8".into()],
            env_remove: vec!["LANG".into()],
            ..ConfigEdits::default()
        },
    );
    assert_eq!(
        m,
        r#"env-remove[0]: "LANG" is also set by env[1] ("LANG=C.UTF-8"); give one or the other"#
    );
    let m = invalid(
        BASE,
        &ConfigEdits {
            labels: vec![("a".into(), "new".into())],
            label_remove: vec!["b".into(), "a".into()],
            ..ConfigEdits::default()
        },
    );
    assert_eq!(
        m,
        r#"label-remove[1]: "a" is also set by labels (to "new"); give one or the other"#
    );
}

#[test]
fn malformed_keys_and_entries_are_refused() {
    let cases: Vec<(ConfigEdits, &str)> = vec![
        (
            ConfigEdits {
                env: vec!["A=1".into(), "NOEQUALS".into()],
                ..ConfigEdits::default()
            },
            r#"env[1]: "NOEQUALS" is not KEY=value"#,
        ),
        (
            ConfigEdits {
                env: vec!["=x".into()],
                env_remove: vec!["A".into()],
                ..ConfigEdits::default()
            },
            r#"env[0]: "=x" is not KEY=value"#,
        ),
        (
            ConfigEdits {
                env_remove: vec![String::new()],
                ..ConfigEdits::default()
            },
            "env-remove[0]: empty key",
        ),
        (
            ConfigEdits {
                env_remove: vec!["A=1".into()],
                ..ConfigEdits::default()
            },
            r#"env-remove[0]: "A=1" is not a key (a key has no `=`)"#,
        ),
        (
            ConfigEdits {
                labels: vec![(String::new(), "v".into())],
                ..ConfigEdits::default()
            },
            r#"labels: empty key (value "v")"#,
        ),
        (
            ConfigEdits {
                labels: vec![("k".into(), "1".into()), ("k".into(), "2".into())],
                ..ConfigEdits::default()
            },
            r#"labels: key "k" given twice"#,
        ),
        (
            ConfigEdits {
                label_remove: vec!["a".into(), String::new()],
                ..ConfigEdits::default()
            },
            "label-remove[1]: empty key",
        ),
    ];
    for (edits, message) in cases {
        assert_eq!(invalid(BASE, &edits), message);
    }
}

#[test]
fn labels_are_merged_and_removed() {
    let labels = field(
        &ConfigEdits {
            labels: vec![("b".into(), "two".into()), ("c".into(), "3".into())],
            label_remove: vec!["a".into()],
            ..ConfigEdits::default()
        },
        "Labels",
    );
    assert_eq!(labels, Some(json!({"b": "two", "c": "3"})));
    // All removed: no Labels.
    let labels = field(
        &ConfigEdits {
            label_remove: vec!["a".into(), "b".into()],
            ..ConfigEdits::default()
        },
        "Labels",
    );
    assert_eq!(labels, None);
}

#[test]
fn entrypoint_and_cmd_exec_and_shell_forms() {
    let ep_cmd = |entrypoint: Option<&str>, cmd: Option<&str>| {
        let edits = ConfigEdits {
            entrypoint: entrypoint.map(str::to_owned),
            cmd: cmd.map(str::to_owned),
            ..ConfigEdits::default()
        };
        (field(&edits, "Entrypoint"), field(&edits, "Cmd"))
    };
    // Neither: kept.
    assert_eq!(
        ep_cmd(None, None),
        (Some(json!(["/entry"])), Some(json!(["/bin/sh"])))
    );
    // The exec form; without a cmd the config's Cmd is cleared (the
    // Dockerfile's ENTRYPOINT rule, crane mutate's too).
    assert_eq!(
        ep_cmd(Some(r#"["/app", "-v"]"#), None),
        (Some(json!(["/app", "-v"])), None)
    );
    // The shell form, through the image's shell.
    assert_eq!(
        ep_cmd(Some("exec /app"), Some("--verbose 1")),
        (
            Some(json!(["/bin/sh", "-c", "exec /app"])),
            Some(json!(["/bin/sh", "-c", "--verbose 1"]))
        )
    );
    // A cmd alone keeps the entrypoint.
    assert_eq!(
        ep_cmd(None, Some(r#"["serve"]"#)),
        (Some(json!(["/entry"])), Some(json!(["serve"])))
    );
    // Windows: cmd /S /C.
    let windows = json!({"os": "windows", "rootfs": {"type": "layers"}}).to_string();
    let v = value(
        &windows,
        &ConfigEdits {
            cmd: Some("dir C:\\".into()),
            ..ConfigEdits::default()
        },
    );
    assert_eq!(v["config"]["Cmd"], json!(["cmd", "/S", "/C", "dir C:\\"]));
}

#[test]
fn an_empty_entrypoint_or_cmd_clears_it_like_an_empty_array() {
    let ep_cmd = |entrypoint: Option<&str>, cmd: Option<&str>| {
        let edits = ConfigEdits {
            entrypoint: entrypoint.map(str::to_owned),
            cmd: cmd.map(str::to_owned),
            ..ConfigEdits::default()
        };
        (field(&edits, "Entrypoint"), field(&edits, "Cmd"))
    };
    for empty in ["", "[]"] {
        // Clearing the entrypoint is an entrypoint edit: Cmd goes too
        // unless given.
        assert_eq!(ep_cmd(Some(empty), None), (None, None));
        assert_eq!(
            ep_cmd(Some(empty), Some(r#"["/bin/app"]"#)),
            (None, Some(json!(["/bin/app"])))
        );
        assert_eq!(ep_cmd(None, Some(empty)), (Some(json!(["/entry"])), None));
    }
    // Only the empty string: blanks are a (shell form) command line.
    assert_eq!(
        ep_cmd(None, Some(" ")),
        (Some(json!(["/entry"])), Some(json!(["/bin/sh", "-c", " "])))
    );
}

#[test]
fn a_broken_exec_form_is_refused() {
    for (entrypoint, cmd, start) in [
        (Some(r#"["/app","#), None, "entrypoint: "),
        (None, Some("[1]"), "cmd: "),
    ] {
        let m = invalid(
            BASE,
            &ConfigEdits {
                entrypoint: entrypoint.map(str::to_owned),
                cmd: cmd.map(str::to_owned),
                ..ConfigEdits::default()
            },
        );
        let bad = entrypoint.or(cmd).unwrap();
        assert!(
            m.starts_with(&format!("{start}{bad:?} starts with `[`")),
            "{m}"
        );
    }
}

#[test]
fn user_and_working_dir_are_replaced_or_cleared() {
    let edits = ConfigEdits {
        user: Some("1000:1000".into()),
        working_dir: Some("/srv".into()),
        ..ConfigEdits::default()
    };
    assert_eq!(field(&edits, "User"), Some(json!("1000:1000")));
    assert_eq!(field(&edits, "WorkingDir"), Some(json!("/srv")));
    let edits = ConfigEdits {
        user: Some(String::new()),
        working_dir: Some(String::new()),
        ..ConfigEdits::default()
    };
    assert_eq!(field(&edits, "User"), None);
    assert_eq!(field(&edits, "WorkingDir"), None);
}

#[test]
fn exposed_ports_are_added() {
    let edits = ConfigEdits {
        exposed_ports: vec!["80/TCP".into(), "7000-7001/udp".into(), "9/sctp".into()],
        ..ConfigEdits::default()
    };
    assert_eq!(
        field(&edits, "ExposedPorts"),
        Some(json!({"7000/udp": {}, "7001/udp": {}, "80/tcp": {}, "9/sctp": {}}))
    );
    for (bad, message) in [
        (
            "80/http",
            r#"exposed-ports[1]: "80/http": invalid protocol "http""#,
        ),
        (
            "8080:80",
            r#"exposed-ports[1]: "8080:80": an exposed port has no host"#,
        ),
    ] {
        let m = invalid(
            BASE,
            &ConfigEdits {
                exposed_ports: vec!["443".into(), bad.into()],
                ..ConfigEdits::default()
            },
        );
        assert!(m.starts_with(message), "{m}");
    }
}

#[test]
fn the_history_entry_is_dated_by_the_edit_else_by_the_config() {
    let entry = |config: &str, edits: &ConfigEdits| {
        let v = value(config, edits);
        (v["history"].as_array().unwrap().last().cloned().unwrap(), v)
    };
    // The edit's time: the entry's and the config's.
    let (e, v) = entry(
        BASE,
        &ConfigEdits {
            created: Some(EPOCH_SECONDS),
            created_by: Some("m".into()),
            ..ConfigEdits::default()
        },
    );
    assert_eq!(
        e,
        json!({"created": EPOCH, "created_by": "m", "empty_layer": true})
    );
    assert_eq!(v["created"], EPOCH);
    // Without: the config's `created`, kept as written at the top, in Go's
    // form in the entry.
    let config = json!({
        "created": "2023-06-01T00:00:00.500+02:00",
        "rootfs": {"type": "layers", "diff_ids": []}
    })
    .to_string();
    let (e, v) = entry(&config, &by("m"));
    assert_eq!(
        e,
        json!({"created": "2023-06-01T00:00:00.5+02:00", "created_by": "m", "empty_layer": true})
    );
    assert_eq!(v["created"], "2023-06-01T00:00:00.500+02:00");
    // Neither: no time anywhere; no created_by (none or empty): left out.
    let config = json!({"rootfs": {"type": "layers", "diff_ids": []}}).to_string();
    for created_by in [None, Some(String::new())] {
        let (e, v) = entry(
            &config,
            &ConfigEdits {
                created_by,
                ..ConfigEdits::default()
            },
        );
        assert_eq!(e, json!({"empty_layer": true}));
        assert!(v.get("created").is_none());
    }
}

#[test]
fn history_is_kept_as_it_is_and_not_matched_to_the_layers_again() {
    // Two layers, history accounting for one, an entry without a time: an
    // image build would add an entry and date it; an edit does neither.
    let config = json!({
        "history": [
            {"created_by": "ADD a", "comment": "c", "author": "me"},
            {"created": "2020-01-01T00:00:00Z", "created_by": "ENV x", "empty_layer": true}
        ],
        "rootfs": {"type": "layers", "diff_ids": [D1, D2]}
    })
    .to_string();
    let v = value(&config, &by("m"));
    assert_eq!(
        v["history"],
        json!([
            {"created_by": "ADD a", "author": "me", "comment": "c"},
            {"created": "2020-01-01T00:00:00Z", "created_by": "ENV x", "empty_layer": true},
            {"created_by": "m", "empty_layer": true}
        ])
    );
    // A config whose history matched its layers still does.
    let v = value(BASE, &by("m"));
    let non_empty = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h.get("empty_layer") != Some(&json!(true)))
        .count();
    assert_eq!(non_empty, v["rootfs"]["diff_ids"].as_array().unwrap().len());
}

#[test]
fn rootfs_and_the_platform_are_kept_as_written() {
    let config = json!({
        "architecture": "x86_64",
        "os": "Linux",
        "variant": "",
        "os.version": "",
        "rootfs": {"zeta": {"b": 1, "a": 2}, "diff_ids": ["sha256:not-checked", D1], "type": "layers"}
    })
    .to_string();
    let doc = edit(&config, &ConfigEdits::default());
    assert_eq!(
        text(&doc),
        concat!(
            r#"{"architecture":"x86_64","history":[{"empty_layer":true}],"os":"Linux","os.version":"","#,
            r#""rootfs":{"type":"layers","diff_ids":["sha256:not-checked","sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0"],"zeta":{"a":2,"b":1}},"#,
            r#""variant":""}"#
        )
    );
    // An image without layers: `diff_ids` empty or null, kept so.
    for ids in [json!([]), Value::Null] {
        let config = json!({"rootfs": {"type": "layers", "diff_ids": ids}}).to_string();
        assert_eq!(
            value(&config, &ConfigEdits::default())["rootfs"]["diff_ids"],
            ids
        );
    }
}

#[test]
fn unknown_keys_are_kept_with_sorted_objects() {
    let config = r#"{"zz":{"b":1,"a":[3,{"y":1,"x":2}]},"author":"me","container_config":{"Hostname":"h","Cmd":["x"]},"config":{"Domainname":"x","Volumes":{"/data":{}},"Healthcheck":{"Retries":3,"Test":["CMD","true"]},"OnBuild":["RUN x"],"ArgsEscaped":true},"rootfs":{"type":"layers","diff_ids":[]}}"#;
    let doc = edit(config, &ConfigEdits::default());
    assert_eq!(
        text(&doc),
        concat!(
            r#"{"author":"me","#,
            r#""config":{"Volumes":{"/data":{}},"ArgsEscaped":true,"Healthcheck":{"Test":["CMD","true"],"Retries":3},"OnBuild":["RUN x"],"Domainname":"x"},"#,
            r#""container_config":{"Cmd":["x"],"Hostname":"h"},"#,
            r#""history":[{"empty_layer":true}],"#,
            r#""rootfs":{"type":"layers","diff_ids":[]},"#,
            r#""zz":{"a":[3,{"x":2,"y":1}],"b":1}}"#
        )
    );
}

#[test]
fn the_created_time_must_be_one_a_config_can_state() {
    let m = invalid(
        BASE,
        &ConfigEdits {
            created: Some(i64::MAX),
            ..ConfigEdits::default()
        },
    );
    assert!(
        m.starts_with("created: 9223372036854775807 seconds since the epoch falls in the year"),
        "{m}"
    );
    let v = value(
        BASE,
        &ConfigEdits {
            created: Some(-1),
            ..ConfigEdits::default()
        },
    );
    assert_eq!(v["created"], "1969-12-31T23:59:59Z");
}

#[test]
fn malformed_configs_are_refused_naming_the_problem() {
    let cases = [
        ("{", "config is not valid JSON"),
        ("[1]", "config is not a JSON object but an array"),
        ("null", "config is not a JSON object but null"),
        (r#"{"os": 1}"#, "config: os is a number where a string"),
        (r#"{}"#, "config: no rootfs: not an image config"),
        (
            r#"{"rootfs": []}"#,
            "config: rootfs is an array where an object",
        ),
        (
            r#"{"rootfs": {"type": 1}}"#,
            "config: rootfs.type is a number",
        ),
        (
            r#"{"rootfs": {"diff_ids": "sha256:x"}}"#,
            "config: rootfs.diff_ids is a string where an array",
        ),
        (
            r#"{"rootfs": {"diff_ids": ["sha256:x", 2]}}"#,
            "config: rootfs.diff_ids[1] is a number where a string",
        ),
    ];
    let rooted = |rest: &str| format!(r#"{{"rootfs":{{"type":"layers"}},{rest}}}"#);
    let more = [
        (rooted(r#""config": []"#), "config: config is an array"),
        (
            rooted(r#""config": {"Env": "A=1"}"#),
            "config: config.Env is a string",
        ),
        (
            rooted(r#""config": {"Env": [1]}"#),
            "config: config.Env holds a number",
        ),
        (
            rooted(r#""config": {"Cmd": {}}"#),
            "config: config.Cmd is an object",
        ),
        (
            rooted(r#""config": {"User": 0}"#),
            "config: config.User is a number",
        ),
        (
            rooted(r#""config": {"Labels": {"a": 1}}"#),
            "config: config.Labels[\"a\"] is a number",
        ),
        (
            rooted(r#""config": {"ExposedPorts": []}"#),
            "config: config.ExposedPorts is an array",
        ),
        (
            rooted(r#""config": {"ArgsEscaped": "yes"}"#),
            "config: config.ArgsEscaped is a string",
        ),
        (rooted(r#""history": {}"#), "config: history is an object"),
        (
            rooted(r#""history": [1]"#),
            "config: history[0] is a number",
        ),
        (
            rooted(r#""history": [{"created": "yesterday"}]"#),
            "config: history[0].created: \"yesterday\" is not an RFC 3339 time",
        ),
        (
            rooted(r#""history": [{"empty_layer": "true"}]"#),
            "config: history[0].empty_layer is a string",
        ),
        (
            rooted(r#""created": "2024-01-01""#),
            "config: created: \"2024-01-01\" is not an RFC 3339 time",
        ),
    ];
    let all = cases
        .iter()
        .map(|(c, n)| (c.to_string(), *n))
        .chain(more.iter().map(|(c, n)| (c.clone(), *n)));
    for (config, needle) in all {
        let m = invalid(&config, &by("m"));
        assert!(
            m.starts_with(needle),
            "{config}: {m} does not start with {needle}"
        );
    }
}

#[test]
fn a_config_over_the_document_limit_is_too_large() {
    let padding = "x".repeat(MAX_DOCUMENT_SIZE);
    let config = json!({"rootfs": {"type": "layers"}, "pad": padding}).to_string();
    match edit_config(config.as_bytes(), &ConfigEdits::default()) {
        Err(Error::TooLarge(m)) => assert!(m.starts_with("config is "), "{m}"),
        other => panic!("expected too-large, got {other:?}"),
    }
}

#[test]
fn a_config_without_a_config_section_gets_one_only_when_edited() {
    let config = json!({"rootfs": {"type": "layers", "diff_ids": []}}).to_string();
    let v = value(&config, &ConfigEdits::default());
    assert!(v.get("config").is_none());
    let v = value(
        &config,
        &ConfigEdits {
            env: vec!["A=1".into()],
            ..ConfigEdits::default()
        },
    );
    assert_eq!(v["config"], json!({"Env": ["A=1"]}));
}

/// A config as the Docker Engine writes it (every field of its struct, the
/// empty ones too): the known `config` fields empty are left out, as
/// image build writes them; Docker's other fields are kept, sorted.
#[test]
fn a_docker_engine_config_is_written_in_the_canonical_form() {
    let config = concat!(
        r#"{"architecture":"arm64","variant":"v8","os":"linux","#,
        r#""config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"Tty":false,"#,
        r#""Env":["PATH=/bin"],"Cmd":["sh"],"Image":"sha256:abc","Volumes":null,"WorkingDir":"","#,
        r#""Entrypoint":null,"OnBuild":null,"Labels":null},"#,
        r#""container":"c0ffee","docker_version":"24.0.7","#,
        r#""created":"2023-06-01T00:00:00.123456789Z","#,
        r#""rootfs":{"type":"layers","diff_ids":["sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0"]}}"#
    );
    let doc = edit(
        config,
        &ConfigEdits {
            labels: vec![("org.opencontainers.image.version".into(), "1.0".into())],
            created_by: Some(
                "ocipipe image mutate --label org.opencontainers.image.version=1.0".into(),
            ),
            ..ConfigEdits::default()
        },
    );
    assert_eq!(
        text(&doc),
        concat!(
            r#"{"architecture":"arm64","#,
            r#""config":{"Env":["PATH=/bin"],"Cmd":["sh"],"Labels":{"org.opencontainers.image.version":"1.0"},"#,
            r#""AttachStdin":false,"Domainname":"","Hostname":"","Image":"sha256:abc","Tty":false},"#,
            r#""container":"c0ffee","created":"2023-06-01T00:00:00.123456789Z","docker_version":"24.0.7","#,
            r#""history":[{"created":"2023-06-01T00:00:00.123456789Z","created_by":"ocipipe image mutate --label org.opencontainers.image.version=1.0","empty_layer":true}],"#,
            r#""os":"linux","#,
            r#""rootfs":{"type":"layers","diff_ids":["sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0"]},"#,
            r#""variant":"v8"}"#
        )
    );
}

/// Removals are checked against the config as it was, so a key removed
/// twice is one removal, and every check happens before any change.
#[test]
fn removals_are_checked_against_the_config_as_it_was() {
    let v = value(
        BASE,
        &ConfigEdits {
            env_remove: vec!["A".into(), "A".into()],
            label_remove: vec!["a".into(), "a".into()],
            ..ConfigEdits::default()
        },
    );
    assert_eq!(v["config"]["Env"], json!(["PATH=/usr/bin", "LANG=C"]));
    assert_eq!(v["config"]["Labels"], json!({"b": "2"}));
    // A good removal before a bad one: refused all the same, naming the bad.
    let m = invalid(
        BASE,
        &ConfigEdits {
            label_remove: vec!["a".into(), "b".into(), "c".into()],
            ..ConfigEdits::default()
        },
    );
    assert_eq!(
        m,
        r#"label-remove[2]: the config has no label "c" (it has "a", "b")"#
    );
}
