//! The author's kit end to end: `component new` for every operation, the
//! new crate's own tests natively, `component build` of it, and the
//! component it makes: it exports its operation's world of the WIT this
//! ocipipe speaks and imports the same interfaces (its delegation to the
//! built-in). No engine is needed, but four crate builds (the standard
//! library built once, for all four: one shared target directory) take a
//! minute or more, so this is here rather than in `cli`.

use crate::harness::Ocipipe;
use sha2::{Digest as _, Sha256};
use std::path::Path;
use std::process::Command;

/// The operations and their world's interfaces.
const WORLDS: [(&str, &[&str]); 4] = [
    ("tagging", &["naming", "tags"]),
    ("tar-assembly", &["layers", "archives", "changesets"]),
    ("manifest-generation", &["configs", "manifests"]),
    ("privileges", &["plugins"]),
];

#[test]
fn a_new_crate_of_each_operation_tests_and_builds_into_its_world() {
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("target");
    for (operation, interfaces) in WORLDS {
        let dir = work.path().join(format!("my-{operation}"));
        let dir_arg = dir.to_str().unwrap();
        let made = Ocipipe::new().run(&["--json", "component", "new", operation, dir_arg]);
        assert_eq!(made.code, 0, "{}", made.stderr);
        assert_eq!(
            made.json_lines(),
            [
                serde_json::json!({"operation": operation, "path": dir_arg, "crate": format!("my-{operation}")})
            ]
        );

        // Its own tests pass natively, as made.
        let tested = Command::new("cargo")
            .args(["test", "--quiet", "--manifest-path"])
            .arg(dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .unwrap();
        assert!(
            tested.status.success(),
            "cargo test of the {operation} template: {}",
            String::from_utf8_lossy(&tested.stderr)
        );
        assert!(String::from_utf8_lossy(&tested.stdout).contains("1 passed"));

        let built = Ocipipe::new()
            .env("CARGO_TARGET_DIR", target.to_str().unwrap())
            .run(&["--json", "component", "build", dir_arg]);
        assert_eq!(built.code, 0, "{}", built.stderr);
        let record = &built.json_lines()[0];
        let wasm = Path::new(record["path"].as_str().unwrap());
        assert_eq!(
            wasm,
            target.join(format!(
                "wasm32-wasip2/release/my_{}.wasm",
                operation.replace('-', "_")
            ))
        );
        let bytes = std::fs::read(wasm).unwrap();
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        assert_eq!(record["digest"], digest.as_str());
        let (imports, exports) = interfaces_of(&bytes);
        for interface in interfaces {
            let name = format!("ocipipe:image/{interface}@0.3.0");
            assert!(
                exports.contains(&name),
                "{operation} exports {exports:?}, not {name}"
            );
            assert!(
                imports.contains(&name),
                "{operation} imports {imports:?}, not {name}"
            );
        }
        // As made, it delegates every function: the shipped vectors find
        // no difference from the built-in.
        let compared = Ocipipe::new().run(&["--json", "component", "test", wasm.to_str().unwrap()]);
        assert_eq!(compared.code, 0, "{}\n{}", compared.stdout, compared.stderr);
        let lines = compared.json_lines();
        let summary = &lines.last().unwrap()["summary"];
        assert_eq!(summary["operation"], operation);
        assert_eq!(summary["differences"], 0, "{summary}");
        assert!(summary["vectors"].as_u64().unwrap() > 100, "{summary}");
    }
}

/// What a component imports and exports, by name.
fn interfaces_of(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let component = wasmtime::component::Component::new(&engine, bytes).unwrap();
    let ty = component.component_type();
    let imports = ty.imports(&engine).map(|(n, _)| n.to_string()).collect();
    let exports = ty.exports(&engine).map(|(n, _)| n.to_string()).collect();
    (imports, exports)
}

/// SIGINT to ocipipe alone in the middle of `component build` (as
/// `timeout` or a supervisor sends it; a terminal's Ctrl-C reaches the
/// whole foreground group): it exits as interrupted, reports no
/// component, and no cargo or rustc of the build runs on after it to
/// write one.
#[test]
fn an_interrupted_build_stops_cargo_with_it() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("interrupted");
    let made = Ocipipe::new().run(&["component", "new", "tagging", dir.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let build = crate::harness::ocipipe_command()
        .args(["--json", "component", "build"])
        .arg(&dir)
        .env("CARGO_TARGET_DIR", work.path().join("target"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mine = work.path().to_str().unwrap().to_string();
    let building = || !processes_naming(&mine, build.id()).is_empty();
    let started = std::time::Instant::now();
    while !building() {
        assert!(started.elapsed().as_secs() < 60, "cargo never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    crate::hostile::kill(&build, "INT");
    let out = build.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert!(out.stdout.is_empty(), "no component reported");
    let stopped = std::time::Instant::now();
    loop {
        let left = processes_naming(&mine, 0);
        if left.is_empty() {
            break;
        }
        assert!(
            stopped.elapsed().as_secs() < 10,
            "still running after the interrupt: {left:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The command lines of running processes, other than `except`, that
/// name `text`.
fn processes_naming(text: &str, except: u32) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != except && *pid != std::process::id())
        .filter_map(|pid| {
            let line = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let line = String::from_utf8_lossy(&line).replace('\0', " ");
            line.contains(text).then_some(line)
        })
        .collect()
}
