//! The contract of each command (docs/contract.md): `component contract`
//! prints it, and a `--component` for an operation the command calls
//! nothing of is refused before anything is done.

use crate::harness::Ocipipe;

/// Runs `args` and asserts the one-line usage refusal `said`, exit 2.
fn refused(args: &[&str], said: &str) {
    let run = Ocipipe::new().run(args);
    assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    assert_eq!(run.stderr, format!("error: {said}\n"), "{args:?}");
    assert_eq!(run.stdout, "");
}

#[test]
fn an_override_of_an_operation_the_command_does_not_call_is_refused() {
    refused(
        &[
            "--component",
            "privileges=./nope.wasm",
            "ref",
            "normalize",
            "ubuntu",
        ],
        "--component privileges=./nope.wasm: `ref normalize` calls no privileges function \
         (it calls: tagging)",
    );
    refused(
        &["--component", "tagging=./nope.wasm", "image", "ls"],
        "--component tagging=./nope.wasm: `image ls` calls no tagging function (it calls no \
         component)",
    );
    // One unused among used ones is refused too.
    refused(
        &[
            "--component",
            "tagging=./a.wasm",
            "--component",
            "tar-assembly=./b.wasm",
            "image",
            "save",
            "x",
            "-o",
            "x.tar",
        ],
        "--component tar-assembly=./b.wasm: `image save` calls no tar-assembly function (it \
         calls: tagging)",
    );
}

#[test]
fn an_unused_registry_component_is_refused_before_it_is_fetched() {
    // Port 1 answers nothing: a fetch would fail otherwise.
    let digest = format!("sha256:{}", "0".repeat(64));
    let value = format!("privileges=docker://127.0.0.1:1/c@{digest}");
    refused(
        &["--component", &value, "ref", "parse", "x"],
        &format!(
            "--component {}: `ref parse` calls no privileges function (it calls: tagging)",
            value
        ),
    );
}

#[test]
fn an_override_of_an_operation_the_command_calls_is_used() {
    let run = Ocipipe::new().run(&["--component", "tagging=./nope.wasm", "ref", "parse", "x"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.first_error_line()
            .starts_with("error: cannot read component tagging (./nope.wasm)"),
        "{}",
        run.stderr
    );
}

#[test]
fn component_contract_prints_each_commands_calls() {
    let run = Ocipipe::new().run(&["component", "contract", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.json_lines();
    let normalize = lines
        .iter()
        .find(|l| l["command"] == "ref normalize")
        .expect("ref normalize has an entry");
    assert_eq!(
        normalize["calls"],
        serde_json::json!([{
            "operation": "tagging",
            "interface": "naming",
            "function": "parse-normalized-named"
        }])
    );
    let login = lines.iter().find(|l| l["command"] == "login").unwrap();
    assert_eq!(login["calls"], serde_json::json!([]));
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/contract.md"),
    )
    .unwrap();
    let table = Ocipipe::new().run(&["component", "contract"]);
    assert!(
        docs.contains(&table.stdout),
        "docs/contract.md holds the printed table"
    );
}
