//! Image configs: golden bytes, buildkit's rules, validation, determinism.

use manifest_generation_core::*;
use serde_json::{Value, json};

const D1: &str = "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0";
const D2: &str = "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b";
/// `SOURCE_DATE_EPOCH` as the host passes it, and as the config writes it.
const EPOCH_SECONDS: i64 = 1_704_067_200;
const EPOCH: &str = "2024-01-01T00:00:00Z";

fn linux(arch: &str) -> Platform {
    Platform {
        architecture: arch.into(),
        os: "linux".into(),
        ..Platform::default()
    }
}

fn request() -> ConfigRequest {
    ConfigRequest {
        platform: linux("amd64"),
        diff_ids: vec![D1.into()],
        created: Some(EPOCH_SECONDS),
        ..ConfigRequest::default()
    }
}

fn build(req: &ConfigRequest) -> Document {
    let doc = image_config(req).unwrap();
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

fn value(req: &ConfigRequest) -> Value {
    serde_json::from_slice(&build(req).bytes).unwrap()
}

fn invalid_msg(req: &ConfigRequest) -> String {
    match image_config(req) {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

fn hist(created: Option<i64>, by: &str, empty: bool) -> History {
    History {
        created,
        created_by: Some(by.into()),
        comment: None,
        empty_layer: empty,
    }
}

/// No base: buildkit's default config for linux (PATH, WorkingDir `/`),
/// one history entry added for the layer, dated by the epoch.
#[test]
fn default_config_golden() {
    let doc = build(&request());
    let expected = concat!(
        r#"{"architecture":"amd64","#,
        r#""config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"WorkingDir":"/"},"#,
        r#""created":"2024-01-01T00:00:00Z","#,
        r#""history":[{"created":"2024-01-01T00:00:00Z","created_by":"created by ocipipe","comment":"added by ocipipe"}],"#,
        r#""os":"linux","#,
        r#""rootfs":{"type":"layers","diff_ids":["sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0"]}}"#
    );
    assert_eq!(text(&doc), expected);
    // sha256sum of `expected`, computed outside: the image ID.
    assert_eq!(
        doc.descriptor.digest,
        "sha256:54aff684b50059b8b4e4cad764442dab524a10fcadf1bd8f496eee85cc7188f4"
    );
}

/// A base like a registry's arm64 image, and every request field.
#[test]
fn base_config_golden() {
    let base = json!({
        "architecture": "arm64",
        "variant": "v8",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"],
            "Cmd": ["/bin/sh"],
            "WorkingDir": "/",
            "Labels": {"maintainer": "x"},
            "Hostname": "",
            "OnBuild": null
        },
        "created": "2023-06-01T00:00:00Z",
        "history": [
            {"created": "2023-06-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
            {"created": "2023-06-01T00:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"/bin/sh\"]", "empty_layer": true}
        ],
        "rootfs": {"type": "layers", "diff_ids": [D1]},
        "container": "abc",
        "docker_version": "20.10.23"
    });
    let req = ConfigRequest {
        base: Some(base.to_string()),
        platform: linux("arm64"),
        diff_ids: vec![D1.into(), D2.into()],
        history: vec![History {
            created_by: Some("RUN apk add curl && rm -rf /var/cache".into()),
            ..History::default()
        }],
        created: Some(EPOCH_SECONDS),
        env: vec!["LANG=C.UTF-8".into(), "APP=1".into()],
        entrypoint: Some(r#"["/app"]"#.into()),
        cmd: None,
        working_dir: Some("/srv".into()),
        user: Some("1000:1000".into()),
        labels: vec![(
            "org.opencontainers.image.source".into(),
            "https://example.com/<repo>".into(),
        )],
        exposed_ports: vec!["8080".into(), "53/udp".into()],
    };
    let doc = build(&req);
    let expected = concat!(
        r#"{"architecture":"arm64","#,
        r#""config":{"User":"1000:1000","ExposedPorts":{"53/udp":{},"8080/tcp":{}},"#,
        r#""Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8","APP=1"],"#,
        r#""Entrypoint":["/app"],"WorkingDir":"/srv","#,
        r#""Labels":{"maintainer":"x","org.opencontainers.image.source":"https://example.com/\u003crepo\u003e"},"#,
        r#""Hostname":""},"#,
        r#""container":"abc","created":"2024-01-01T00:00:00Z","docker_version":"20.10.23","#,
        r#""history":[{"created":"2023-06-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:abc in / "},"#,
        r#"{"created":"2023-06-01T00:00:01Z","created_by":"/bin/sh -c #(nop)  CMD [\"/bin/sh\"]","empty_layer":true},"#,
        r#"{"created":"2024-01-01T00:00:00Z","created_by":"RUN apk add curl \u0026\u0026 rm -rf /var/cache"}],"#,
        r#""os":"linux","#,
        r#""rootfs":{"type":"layers","diff_ids":["sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0","sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b"]}}"#
    );
    assert_eq!(text(&doc), expected);
    // Determinism: again, and from the base written with other key order
    // and whitespace.
    assert_eq!(build(&req), doc);
    let pretty = ConfigRequest {
        base: Some(serde_json::to_string_pretty(&base).unwrap()),
        ..req.clone()
    };
    assert_eq!(build(&pretty), doc);
}

#[test]
fn windows_default_has_no_path_and_env_keys_fold_case() {
    let req = ConfigRequest {
        platform: Platform {
            architecture: "amd64".into(),
            os: "windows".into(),
            os_version: Some("10.0.17763.1".into()),
            os_features: vec!["win32k".into()],
            cpu_variant: None,
        },
        diff_ids: vec![],
        created: None,
        env: vec!["Path=C:\\a".into(), "PATH=C:\\b".into(), "x=1".into()],
        ..request()
    };
    let v = value(&req);
    assert_eq!(v["config"]["Env"], json!(["PATH=C:\\b", "x=1"]));
    assert_eq!(v["config"]["WorkingDir"], "/");
    assert_eq!(v["os.version"], "10.0.17763.1");
    assert_eq!(v["os.features"], json!(["win32k"]));
    assert_eq!(v["rootfs"], json!({"type": "layers", "diff_ids": []}));
    assert!(v.get("history").is_none());
    assert!(v.get("created").is_none());
    // On linux keys are case-sensitive.
    let req = ConfigRequest {
        env: vec!["path=/x".into(), "PATH=/y".into()],
        ..request()
    };
    assert_eq!(value(&req)["config"]["Env"], json!(["PATH=/y", "path=/x"]));
}

#[test]
fn env_replaces_the_first_match_in_place() {
    let base = json!({"config": {"Env": ["A=1", "B=2", "A=3", "C"]}});
    let req = ConfigRequest {
        base: Some(base.to_string()),
        env: vec!["A=x".into(), "C=y".into(), "D=".into(), "D=z".into()],
        ..request()
    };
    assert_eq!(
        value(&req)["config"]["Env"],
        json!(["A=x", "B=2", "A=3", "C=y", "D=z"])
    );
}

#[test]
fn entrypoint_and_cmd() {
    let base = json!({"config": {"Entrypoint": ["/old"], "Cmd": ["--old"]}}).to_string();
    // The exec form of each list, as a Dockerfile writes it.
    let exec = |args: Vec<&str>| serde_json::to_string(&args).unwrap();
    let with = |entrypoint: Option<Vec<&str>>, cmd: Option<Vec<&str>>| {
        let v = value(&ConfigRequest {
            base: Some(base.clone()),
            entrypoint: entrypoint.map(exec),
            cmd: cmd.map(exec),
            ..request()
        });
        (
            v["config"].get("Entrypoint").cloned(),
            v["config"].get("Cmd").cloned(),
        )
    };
    // Neither: kept.
    assert_eq!(
        with(None, None),
        (Some(json!(["/old"])), Some(json!(["--old"])))
    );
    // ENTRYPOINT without CMD clears the base's CMD (Dockerfile rule).
    assert_eq!(
        with(Some(vec!["/new"]), None),
        (Some(json!(["/new"])), None)
    );
    // Both.
    assert_eq!(
        with(Some(vec!["/new"]), Some(vec!["-v"])),
        (Some(json!(["/new"])), Some(json!(["-v"])))
    );
    // CMD alone keeps the entrypoint.
    assert_eq!(
        with(None, Some(vec!["-v"])),
        (Some(json!(["/old"])), Some(json!(["-v"])))
    );
    // Empty lists clear.
    assert_eq!(with(Some(vec![]), Some(vec![])), (None, None));
}

#[test]
fn working_dir_and_user() {
    let base = json!({"config": {"WorkingDir": "/w", "User": "root"}}).to_string();
    let v = value(&ConfigRequest {
        base: Some(base.clone()),
        ..request()
    });
    assert_eq!(
        (&v["config"]["WorkingDir"], &v["config"]["User"]),
        (&json!("/w"), &json!("root"))
    );
    let v = value(&ConfigRequest {
        base: Some(base),
        working_dir: Some(String::new()),
        user: Some("app".into()),
        ..request()
    });
    assert!(v["config"].get("WorkingDir").is_none());
    assert_eq!(v["config"]["User"], "app");
}

#[test]
fn labels_and_ports_merge() {
    let base = json!({"config": {"Labels": {"a": "1", "b": "2"}, "ExposedPorts": {"80/tcp": {}}}});
    let v = value(&ConfigRequest {
        base: Some(base.to_string()),
        labels: vec![("b".into(), "two".into()), ("c".into(), "3".into())],
        exposed_ports: vec!["443".into(), "80/TCP".into(), "60000-60001/udp".into()],
        ..request()
    });
    assert_eq!(
        v["config"]["Labels"],
        json!({"a": "1", "b": "two", "c": "3"})
    );
    assert_eq!(
        v["config"]["ExposedPorts"],
        json!({"443/tcp": {}, "60000/udp": {}, "60001/udp": {}, "80/tcp": {}})
    );
}

#[test]
fn unknown_fields_are_kept_and_sorted() {
    let base = r#"{"zz":{"b":1,"a":[3,{"y":1,"x":2}]},"author":"me","moby.buildkit.cache.v0":"abc","config":{"Volumes":{"/data":{}},"StopSignal":"SIGTERM","Healthcheck":{"Retries":3,"Test":["CMD","true"]},"Shell":["/bin/sh","-c"],"Domainname":"x","ArgsEscaped":true}}"#;
    let doc = build(&ConfigRequest {
        base: Some(base.into()),
        ..request()
    });
    let t = text(&doc);
    assert!(
        t.contains(r#""config":{"Volumes":{"/data":{}},"StopSignal":"SIGTERM","ArgsEscaped":true,"Healthcheck":{"Test":["CMD","true"],"Retries":3},"Shell":["/bin/sh","-c"],"Domainname":"x"}"#),
        "{t}"
    );
    assert!(t.contains(r#""zz":{"a":[3,{"x":2,"y":1}],"b":1}"#), "{t}");
    assert!(
        t.starts_with(r#"{"architecture":"amd64","author":"me","config":"#),
        "{t}"
    );
    assert!(t.contains(r#""moby.buildkit.cache.v0":"abc""#), "{t}");
}

#[test]
fn platform_comes_from_the_request() {
    // The base's variant / os.version are replaced by the request's.
    let base = json!({"architecture": "arm", "os": "linux", "variant": "v6", "os.version": "x"});
    let v = value(&ConfigRequest {
        base: Some(base.to_string()),
        platform: Platform {
            cpu_variant: Some("v7".into()),
            ..linux("arm")
        },
        ..request()
    });
    assert_eq!(v["variant"], "v7");
    assert!(v.get("os.version").is_none());
    // Another architecture or os is refused.
    let m = invalid_msg(&ConfigRequest {
        base: Some(json!({"architecture": "arm64", "os": "linux"}).to_string()),
        ..request()
    });
    assert!(m.contains("\"arm64\"") && m.contains("\"amd64\""), "{m}");
    let m = invalid_msg(&ConfigRequest {
        base: Some(json!({"architecture": "amd64", "os": "windows"}).to_string()),
        ..request()
    });
    assert!(m.contains("\"windows\""), "{m}");
}

#[test]
fn created_rules() {
    let base = |created: Option<&str>, history: Value| {
        let mut b = json!({"history": history});
        if let Some(c) = created {
            b["created"] = c.into();
        }
        Some(b.to_string())
    };
    let h = json!([{"created": "2020-05-05T05:05:05.500+02:00", "created_by": "x"}]);
    // With the epoch: the epoch.
    let v = value(&ConfigRequest {
        base: base(Some("2019-01-01T00:00:00Z"), h.clone()),
        ..request()
    });
    assert_eq!(v["created"], EPOCH);
    // Without: the base's, as written.
    let v = value(&ConfigRequest {
        base: base(Some("2019-01-01T00:00:00.000Z"), h.clone()),
        created: None,
        ..request()
    });
    assert_eq!(v["created"], "2019-01-01T00:00:00.000Z");
    // No base time: the last history time (buildkit), written as Go does.
    let v = value(&ConfigRequest {
        base: base(None, h.clone()),
        created: None,
        ..request()
    });
    assert_eq!(v["created"], "2020-05-05T05:05:05.5+02:00");
    assert_eq!(v["history"][0]["created"], "2020-05-05T05:05:05.5+02:00");
    // No time anywhere: absent, and history without times.
    let v = value(&ConfigRequest {
        created: None,
        ..request()
    });
    assert!(v.get("created").is_none());
    assert!(v["history"][0].get("created").is_none());
}

#[test]
fn history_is_matched_to_layers() {
    // More non-empty entries than layers: the surplus at the end is
    // marked empty, nothing dropped.
    let base = json!({"history": [
        {"created_by": "a"}, {"created_by": "b"}, {"created_by": "c", "author": "me", "extra": 1}
    ]});
    let v = value(&ConfigRequest {
        base: Some(base.to_string()),
        history: vec![hist(None, "d", false)],
        created: None,
        ..request()
    });
    assert_eq!(
        v["history"],
        json!([
            {"created_by": "a"},
            {"created_by": "b", "empty_layer": true},
            {"created_by": "c", "author": "me", "empty_layer": true},
            {"created_by": "d", "empty_layer": true}
        ])
    );
    // Fewer: entries are added at the end, empty_layer entries kept.
    let v = value(&ConfigRequest {
        diff_ids: vec![D1.into(), D2.into()],
        history: vec![
            hist(None, "ENV a=b", true),
            hist(Some(1_672_531_200), "RUN x", false),
        ],
        ..request()
    });
    assert_eq!(
        v["history"],
        json!([
            {"created": "2023-01-01T00:00:00Z", "created_by": "ENV a=b", "empty_layer": true},
            {"created": "2023-01-01T00:00:00Z", "created_by": "RUN x"},
            {"created": EPOCH, "created_by": HISTORY_ADDED_CREATED_BY, "comment": HISTORY_ADDED_COMMENT}
        ])
    );
}

#[test]
fn epoch_clamps_later_history_but_not_the_base() {
    let base = json!({"history": [
        {"created": "2025-01-01T00:00:00Z", "created_by": "base, later than the epoch"}
    ]});
    let v = value(&ConfigRequest {
        base: Some(base.to_string()),
        diff_ids: vec![D1.into(), D2.into()],
        history: vec![
            hist(Some(1_748_736_000), "later", false),
            hist(Some(978_307_200), "earlier", true),
        ],
        ..request()
    });
    let times: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["created"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        ["2025-01-01T00:00:00Z", EPOCH, "2001-01-01T00:00:00Z"]
    );
    assert_eq!(v["created"], EPOCH);
}

#[test]
fn base_errors_name_the_problem() {
    let cases = [
        ("{", "not valid JSON"),
        ("[1]", "an array where a JSON object"),
        ("null", "null where a JSON object"),
        (r#"{"config": []}"#, "config is an array"),
        (r#"{"config": {"Env": "A=1"}}"#, "config.Env is a string"),
        (r#"{"config": {"Env": [1]}}"#, "config.Env holds a number"),
        (r#"{"config": {"Cmd": {}}}"#, "config.Cmd is an object"),
        (r#"{"config": {"User": 0}}"#, "config.User is a number"),
        (
            r#"{"config": {"Labels": {"a": 1}}}"#,
            "config.Labels[\"a\"] is a number",
        ),
        (
            r#"{"config": {"ExposedPorts": []}}"#,
            "config.ExposedPorts is an array",
        ),
        (
            r#"{"config": {"ArgsEscaped": "yes"}}"#,
            "config.ArgsEscaped is a string",
        ),
        (r#"{"history": {}}"#, "history is an object"),
        (r#"{"history": [1]}"#, "history[0] is a number"),
        (
            r#"{"history": [{"created": "yesterday"}]}"#,
            "base: history[0].created: \"yesterday\"",
        ),
        (
            r#"{"history": [{"empty_layer": "true"}]}"#,
            "history[0].empty_layer is a string",
        ),
        (
            r#"{"created": "2024-01-01"}"#,
            "base: created: \"2024-01-01\"",
        ),
        (r#"{"architecture": 1}"#, "architecture is a number"),
    ];
    for (base, needle) in cases {
        let m = invalid_msg(&ConfigRequest {
            base: Some(base.into()),
            ..request()
        });
        assert!(m.starts_with("base: "), "{base}: {m}");
        assert!(m.contains(needle), "{base}: {m} lacks {needle}");
    }
}

#[test]
fn request_errors_name_the_value() {
    let cases: Vec<(ConfigRequest, &str)> = vec![
        (
            ConfigRequest {
                diff_ids: vec![D1.into(), "sha256:abc".into()],
                ..request()
            },
            "diff-ids[1]: invalid digest \"sha256:abc\"",
        ),
        (
            ConfigRequest {
                env: vec!["A=1".into(), "NOEQUALS".into()],
                ..request()
            },
            "env[1]: \"NOEQUALS\" is not KEY=value",
        ),
        (
            ConfigRequest {
                env: vec!["=x".into()],
                ..request()
            },
            "env[0]: \"=x\"",
        ),
        (
            ConfigRequest {
                exposed_ports: vec!["80".into(), "80/http".into()],
                ..request()
            },
            "exposed-ports[1]: \"80/http\": invalid protocol \"http\"",
        ),
        (
            ConfigRequest {
                exposed_ports: vec!["70000".into()],
                ..request()
            },
            "exposed-ports[0]: \"70000\": port 70000 is out of range",
        ),
        (
            ConfigRequest {
                created: Some(i64::MAX),
                ..request()
            },
            "created: 9223372036854775807 seconds since the epoch falls in the year",
        ),
        (
            ConfigRequest {
                history: vec![hist(Some(-62_167_219_201), "x", false)],
                ..request()
            },
            "history[0].created: -62167219201 seconds since the epoch falls in the year -1;",
        ),
        (
            ConfigRequest {
                labels: vec![("a".into(), "1".into()), ("a".into(), "2".into())],
                ..request()
            },
            "labels: key \"a\" given twice",
        ),
        (
            ConfigRequest {
                platform: Platform {
                    os: "linux".into(),
                    ..Platform::default()
                },
                ..request()
            },
            "platform: no architecture",
        ),
        (
            ConfigRequest {
                platform: Platform {
                    architecture: "amd64".into(),
                    ..Platform::default()
                },
                ..request()
            },
            "platform: no os",
        ),
    ];
    for (req, needle) in cases {
        let m = invalid_msg(&req);
        assert!(m.starts_with(needle), "{m} does not start with {needle}");
    }
}

#[test]
fn same_input_same_bytes_and_the_digest_is_the_image_id() {
    let req = ConfigRequest {
        labels: vec![("b".into(), "2".into()), ("a".into(), "1".into())],
        exposed_ports: vec!["9000".into(), "80".into()],
        ..request()
    };
    let a = build(&req);
    let mut reordered = req.clone();
    reordered.labels.reverse();
    reordered.exposed_ports.reverse();
    assert_eq!(build(&reordered), a);
    // Different content, different ID.
    let other = build(&ConfigRequest {
        created: Some(EPOCH_SECONDS + 1),
        ..req
    });
    assert_ne!(other.descriptor.digest, a.descriptor.digest);
}

// ------------------------------------------------------------------ the new WIT

#[test]
fn created_seconds_are_written_as_rfc3339_utc() {
    for (seconds, written) in [
        (1_700_000_000, "2023-11-14T22:13:20Z"),
        (0, "1970-01-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
    ] {
        let v = value(&ConfigRequest {
            created: Some(seconds),
            history: vec![hist(Some(seconds), "RUN x", false)],
            ..request()
        });
        assert_eq!(v["created"], written);
        assert_eq!(v["history"][0]["created"], written);
    }
}

#[test]
fn a_platform_normalisation_would_change_is_refused_naming_the_normal_form() {
    let platform = |os: &str, arch: &str, variant: Option<&str>, features: &[&str]| Platform {
        architecture: arch.into(),
        os: os.into(),
        cpu_variant: variant.map(str::to_owned),
        os_features: features.iter().map(|f| f.to_string()).collect(),
        ..Platform::default()
    };
    for (given, normal) in [
        (platform("linux", "arm64", Some("v8"), &[]), "linux/arm64"),
        (platform("linux", "aarch64", None, &[]), "linux/arm64"),
        (platform("linux", "x86_64", None, &[]), "linux/amd64"),
        (platform("linux", "arm", None, &[]), "linux/arm/v7"),
        (platform("Linux", "amd64", None, &[]), "linux/amd64"),
        (platform("macos", "arm64", None, &[]), "darwin/arm64"),
        (platform("linux", "amd64", Some("v1"), &[]), "linux/amd64"),
        (
            platform("windows", "amd64", None, &["b", "a"]),
            "windows(+a+b)/amd64",
        ),
    ] {
        let m = invalid_msg(&ConfigRequest {
            platform: given.clone(),
            ..request()
        });
        assert!(
            m.starts_with("platform: ")
                && m.contains("not normalised")
                && m.ends_with(&format!("give {normal} (as normalize-platform returns it)")),
            "{given:?}: {m}"
        );
    }
    let m = invalid_msg(&ConfigRequest {
        platform: platform("linux", "z80", None, &[]),
        ..request()
    });
    assert!(
        m.starts_with("platform: unknown architecture \"z80\""),
        "{m}"
    );
    // Normalised ones are taken as they are; an empty variant is no variant.
    for ok in [
        platform("linux", "arm", Some("v7"), &[]),
        platform("linux", "arm64", Some(""), &[]),
        platform("linux", "amd64", Some("v3"), &[]),
        platform("windows", "amd64", None, &["a", "b"]),
    ] {
        build(&ConfigRequest {
            platform: ok,
            ..request()
        });
    }
}

#[test]
fn entrypoint_and_cmd_in_the_shell_form_run_through_the_platforms_shell() {
    let v = value(&ConfigRequest {
        entrypoint: Some("exec /app --port 80".into()),
        cmd: Some(r#"  ["-v"]"#.into()),
        ..request()
    });
    assert_eq!(
        v["config"]["Entrypoint"],
        json!(["/bin/sh", "-c", "exec /app --port 80"])
    );
    assert_eq!(v["config"]["Cmd"], json!(["-v"]));
    let windows = Platform {
        architecture: "amd64".into(),
        os: "windows".into(),
        ..Platform::default()
    };
    let v = value(&ConfigRequest {
        platform: windows,
        cmd: Some("dir C:\\".into()),
        ..request()
    });
    assert_eq!(v["config"]["Cmd"], json!(["cmd", "/S", "/C", "dir C:\\"]));
}

#[test]
fn an_entrypoint_or_cmd_starting_with_a_bracket_must_be_a_json_array() {
    for (field, bad) in [("entrypoint", r#"["/app","#), ("cmd", "[1]")] {
        let mut req = request();
        if field == "entrypoint" {
            req.entrypoint = Some(bad.into());
        } else {
            req.cmd = Some(bad.into());
        }
        let m = invalid_msg(&req);
        assert!(
            m.starts_with(&format!("{field}: {bad:?} starts with `[`")),
            "{m}"
        );
    }
}

#[test]
fn empty_label_keys_and_env_without_a_key_are_refused() {
    let m = invalid_msg(&ConfigRequest {
        labels: vec![(String::new(), "v".into())],
        ..request()
    });
    assert!(m.starts_with("labels: empty key"), "{m}");
    for bad in ["=x", "NOEQUALS", ""] {
        let m = invalid_msg(&ConfigRequest {
            env: vec![bad.into()],
            ..request()
        });
        assert!(
            m.starts_with(&format!("env[0]: {bad:?} is not KEY=value")),
            "{m}"
        );
    }
}
