//! `plugin privileges --config FILE|-`, which needs no engine and no
//! registry: what a config asks for, in `--json` and human lines; configs
//! that are malformed, too large, not text or not files are refused; a
//! stream read once (stdin, a FIFO) gets every check a file gets. (Plugins
//! in a registry, against the engine's own answer: `tests/e2e/plugin.rs`.)

use crate::harness::{Ocipipe, assert_refused, strings};
use crate::hostile::{Given, InputCommand, inputs};
use serde_json::json;

const EVERYTHING: &str = r#"{
  "Description": "every privilege",
  "Network": {"Type": "host"},
  "IpcHost": true,
  "PidHost": true,
  "Mounts": [{"Source": "/var/lib/x", "Destination": "/x"}, {"Destination": "/y"}],
  "Linux": {"AllowAllDevices": true, "Capabilities": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"],
            "Devices": [{"Path": "/dev/fuse"}]}
}"#;

fn run_config(config: &[u8], args: &[&str]) -> crate::harness::Run {
    let mut all = args.to_vec();
    all.extend_from_slice(&["plugin", "privileges", "--config", "-"]);
    Ocipipe::new().run_with_stdin_bytes(&all, config)
}

#[test]
fn json_prints_one_object_per_privilege_in_mobys_order() {
    let run = run_config(EVERYTHING.as_bytes(), &["--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.json_lines(),
        [
            json!({"name": "network", "description": "permissions to access a network", "value": ["host"]}),
            json!({"name": "host ipc namespace", "description": "allow access to host ipc namespace", "value": ["true"]}),
            json!({"name": "host pid namespace", "description": "allow access to host pid namespace", "value": ["true"]}),
            json!({"name": "mount", "description": "host path to mount", "value": ["/var/lib/x"]}),
            json!({"name": "device", "description": "host device to access", "value": ["/dev/fuse"]}),
            json!({"name": "allow-all-devices", "description": "allow 'rwm' access to all devices", "value": ["true"]}),
            json!({"name": "capabilities", "description": "list of additional capabilities required", "value": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]}),
        ]
    );
}

#[test]
fn human_lines_are_one_per_privilege_and_nothing_is_said_on_stderr() {
    let run = run_config(EVERYTHING.as_bytes(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "network: [host]\nhost ipc namespace: [true]\nhost pid namespace: [true]\n\
         mount: [/var/lib/x]\ndevice: [/dev/fuse]\nallow-all-devices: [true]\n\
         capabilities: [CAP_SYS_ADMIN CAP_NET_ADMIN]\n"
    );
    let nothing = run_config(b"{\"Network\":{\"Type\":\"bridge\"}}", &[]);
    assert_eq!(nothing.code, 0, "{}", nothing.stderr);
    assert_eq!(nothing.stdout, "");
    assert_eq!(
        nothing.stderr,
        "the plugin config in standard input asks for no privileges\n"
    );
    let json = run_config(b"{}", &["--json"]);
    assert_eq!(
        (json.code, json.stdout.as_str(), json.stderr.as_str()),
        (0, "", "")
    );
}

/// A config whose values carry terminal escapes: a mount source that
/// erases its line and writes a harmless one in its place, a device with a
/// line break that forges the next line, a capability with a C1 control.
const ESCAPES: &str = r#"{
  "Mounts": [{"Source": "/srv\u001b[2K\rmount: [/var/lib/safe]", "Destination": "/x"}],
  "Linux": {"Capabilities": ["CAP_\u009bSYS_ADMIN"],
            "Devices": [{"Path": "/dev/fuse\ndevice: [/dev/null]"}]}
}"#;

#[test]
fn control_characters_of_a_config_are_escaped_on_the_lines_people_grant_from() {
    let run = run_config(ESCAPES.as_bytes(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "mount: [/srv\\u{1b}[2K\\rmount: [/var/lib/safe]]\n\
         device: [/dev/fuse\\ndevice: [/dev/null]]\n\
         capabilities: [CAP_\\u{9b}SYS_ADMIN]\n"
    );
    // JSON keeps the values as they are: serde escapes them.
    let json = run_config(ESCAPES.as_bytes(), &["--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert!(
        json.stdout.chars().all(|c| c == '\n' || !c.is_control()),
        "{:?}",
        json.stdout
    );
    let values: Vec<serde_json::Value> = json
        .json_lines()
        .iter()
        .map(|l| l["value"][0].clone())
        .collect();
    assert_eq!(
        values,
        [
            json!("/srv\u{1b}[2K\rmount: [/var/lib/safe]"),
            json!("/dev/fuse\ndevice: [/dev/null]"),
            json!("CAP_\u{9b}SYS_ADMIN"),
        ]
    );
}

#[test]
fn a_malformed_config_file_is_refused_with_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    for (name, config, words) in [
        (
            "not-json.json",
            &b"{\n  \"IpcHost\": yes\n}"[..],
            "the plugin config is not valid JSON: invalid character 'y' looking for beginning of value (line 2, column 14)",
        ),
        (
            "wrong-type.json",
            br#"{"Linux":{"Capabilities":"CAP_SYS_ADMIN"}}"#,
            "the plugin config is malformed: Linux.Capabilities is a string, not an array",
        ),
        (
            "array.json",
            b"[{\"IpcHost\":true}]",
            "the plugin config is an array, not a JSON object",
        ),
        ("empty.json", b"", "unexpected end of JSON input"),
        (
            "not-utf8.json",
            b"{\"Mounts\":[{\"Source\":\"/\xff\"}]}",
            "the plugin config is not UTF-8 text (byte 23 is not)",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, config).unwrap();
        let run = Ocipipe::new().run(&["plugin", "privileges", "--config", path.to_str().unwrap()]);
        assert_refused(&run, words);
        assert_eq!(
            run.first_error_line(),
            format!(
                "error: cannot compute the privileges of the plugin config in {}",
                path.display()
            )
        );
        assert_eq!(run.stdout, "", "{name}");
    }
}

#[test]
fn a_refusal_names_the_component_that_refused() {
    let run = run_config(br#"{"IpcHost":"true"}"#, &[]);
    assert_refused(
        &run,
        "component privileges (built-in) refused compute-privileges: the plugin config is \
         malformed: IpcHost is a string, not a boolean",
    );
}

#[test]
fn what_is_not_a_config_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let run = Ocipipe::new().run(&[
        "plugin",
        "privileges",
        "--config",
        missing.to_str().unwrap(),
    ]);
    assert_refused(&run, "No such file or directory");
    let run = Ocipipe::new().run(&[
        "plugin",
        "privileges",
        "--config",
        dir.path().to_str().unwrap(),
    ]);
    assert_refused(&run, "it is a directory, not a plugin config");
    let big = dir.path().join("big.json");
    let mut config = b"{\"Description\":\"".to_vec();
    config.resize((4 << 20) + 10, b'x');
    config.extend_from_slice(b"\"}");
    std::fs::write(&big, config).unwrap();
    let run = Ocipipe::new().run(&["plugin", "privileges", "--config", big.to_str().unwrap()]);
    assert_refused(&run, "larger than 4194304 bytes (4 MiB)");
}

#[test]
fn a_reference_or_a_config_is_needed_not_both() {
    let run = Ocipipe::new().run(&["plugin", "privileges"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = Ocipipe::new().run(&[
        "plugin",
        "privileges",
        "registry.example/p:1",
        "--config",
        "-",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = Ocipipe::new().run(&["plugin", "privileges", "Not A Reference"]);
    assert_refused(&run, "is not a plugin reference");
}

#[test]
fn stdin_and_fifos_get_every_check_a_file_gets() {
    let mut random = vec![0u8; 4096];
    getrandom::fill(&mut random).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("everything", EVERYTHING.as_bytes().to_vec()),
        ("nothing", b"{}".to_vec()),
        ("null", b"null".to_vec()),
        ("empty", Vec::new()),
        ("malformed", br#"{"PidHost":1}"#.to_vec()),
        ("not-json", b"PidHost: true\n".to_vec()),
        (
            "escape-sequence",
            b"{\"Network\":{\"Type\":\"ho\x1b[31mst\"}}".to_vec(),
        ),
        ("not-utf8", b"{\"Network\":{\"Type\":\"\xff\"}}".to_vec()),
        ("random", random),
    ];
    let args = |input: &str| strings(&["plugin", "privileges", "--config", input]);
    for (file, stream) in [(Given::Path, Given::Stdin), (Given::Path, Given::Path)] {
        inputs::stdin_matches_file(
            &InputCommand {
                name: "plugin privileges --config",
                args: &args,
                env: Vec::new(),
                file,
                stream,
            },
            &cases,
            &["everything", "nothing", "null"],
        );
    }
}

/// `ocipipe ARGS` with an engine address where nothing listens: what
/// these tests refuse must be refused before any engine is asked.
fn without_engine(args: &[&str]) -> crate::harness::Run {
    let dir = tempfile::tempdir().unwrap();
    let dead = format!("unix://{}", dir.path().join("dead.sock").display());
    Ocipipe::new().env("DOCKER_HOST", &dead).run(args)
}

#[test]
fn an_unknown_grant_is_a_usage_error_that_lists_the_names() {
    for grant in [
        "netwrok",
        "network,mounts",
        "Network",
        "host-ipc-namespace",
        "",
    ] {
        let run = without_engine(&[
            "plugin",
            "install",
            "registry.example/p:1",
            "--grant",
            grant,
        ]);
        assert_eq!(run.code, 2, "--grant {grant:?}: {}", run.stderr);
        for name in [
            "\"network\"",
            "\"host ipc namespace\"",
            "\"host pid namespace\"",
            "\"mount\"",
            "\"device\"",
            "\"allow-all-devices\"",
            "\"capabilities\"",
        ] {
            assert!(run.stderr.contains(name), "{name} in: {}", run.stderr);
        }
    }
}

#[test]
fn grant_and_grant_all_conflict() {
    let run = without_engine(&[
        "plugin",
        "install",
        "registry.example/p:1",
        "--grant",
        "network",
        "--grant-all",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[test]
fn grant_names_are_taken_comma_separated_repeated_and_spaced() {
    // Taken: what stops the install is the missing engine.
    let run = without_engine(&[
        "plugin",
        "install",
        "registry.example/p:1",
        "--grant",
        "network, host ipc namespace,host pid namespace",
        "--grant",
        "mount",
        "--grant=device,allow-all-devices,capabilities",
    ]);
    assert_refused(&run, "cannot reach the Docker Engine");
}

#[test]
fn names_are_checked_before_any_engine_is_asked() {
    let digest = format!("sha256:{}", "a".repeat(64));
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            strings(&["plugin", "install", "Not A Reference", "--grant-all"]),
            "\"Not A Reference\" is not a plugin reference".into(),
        ),
        (
            strings(&[
                "plugin",
                "install",
                "registry.example/p:1",
                "--grant-all",
                "--alias",
                &format!("local/p@{digest}"),
            ]),
            format!(
                "invalid plugin name \"local/p@{digest}\": a plugin is named with a tag, not a digest"
            ),
        ),
        (
            strings(&["plugin", "push", &format!("registry.example/p@{digest}")]),
            "a plugin is named with a tag, not a digest".into(),
        ),
        (
            strings(&["plugin", "rm", "ok-plugin", "Bad Name"]),
            "\"Bad Name\" is not a plugin name or ID".into(),
        ),
        (
            strings(&["plugin", "enable", "UPPER"]),
            "\"UPPER\" is not a plugin name or ID".into(),
        ),
        (
            strings(&["plugin", "disable", "a//b"]),
            "\"a//b\" is not a plugin name or ID".into(),
        ),
    ];
    for (args, words) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = without_engine(&args);
        assert_refused(&run, &words);
        assert!(
            !run.stderr.contains("cannot reach the Docker Engine"),
            "{args:?}: {}",
            run.stderr
        );
    }
}
