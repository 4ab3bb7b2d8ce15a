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
            let name = format!("ocipipe:image/{interface}@0.2.0");
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
