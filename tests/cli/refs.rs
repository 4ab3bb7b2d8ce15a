//! `ocipipe ref parse|normalize` through the real tagging component.

use crate::harness::{Ocipipe, ocipipe};
use serde_json::Value;

const KEYS: [&str; 10] = [
    "input", "ok", "name", "string", "familiar", "domain", "path", "tag", "digest", "error",
];

/// The cases ported from distribution/reference's own tests (and ours).
fn cases(mode: &str) -> Vec<Value> {
    let all: Vec<Value> =
        serde_json::from_str(include_str!("../data/reference-cases.json")).unwrap();
    all.into_iter().filter(|c| c["mode"] == mode).collect()
}

fn check_table(mode: &str, command: &str) {
    let cases = cases(mode);
    assert!(cases.len() > 100, "{mode}: only {} cases", cases.len());
    // Inputs that hold a line break cannot go through stdin: pass them as
    // arguments, the rest one per line.
    let (by_arg, by_line): (Vec<&Value>, Vec<&Value>) = cases
        .iter()
        .partition(|c| c["input"].as_str().unwrap().contains('\n'));
    let stdin: String = by_line
        .iter()
        .map(|c| format!("{}\n", c["input"].as_str().unwrap()))
        .collect();
    let mut args = vec!["ref", command, "--json", "-"];
    args.extend(by_arg.iter().map(|c| c["input"].as_str().unwrap()));
    let run = Ocipipe::new().run_with_stdin(&args, &stdin);
    assert_eq!(
        run.code, 1,
        "some cases are invalid, so exit 1; stderr: {}",
        run.stderr
    );
    let lines = run.json_lines();
    let cases: Vec<&Value> = by_line.into_iter().chain(by_arg).collect();
    assert_eq!(lines.len(), cases.len());
    for (case, line) in cases.iter().zip(&lines) {
        let object = line.as_object().unwrap();
        assert_eq!(
            object.keys().collect::<Vec<_>>().len(),
            KEYS.len(),
            "{line}"
        );
        for key in KEYS {
            assert!(object.contains_key(key), "missing {key}: {line}");
            if let Some(expected) = case.get(key) {
                assert_eq!(
                    &line[key], expected,
                    "{key} of {:?} ({}): got {line}",
                    case["input"], case["source"]
                );
            }
        }
    }
}

#[test]
fn parse_agrees_with_distribution_reference_on_every_published_case() {
    check_table("parse", "parse");
}

#[test]
fn normalize_agrees_with_distribution_reference_on_every_published_case() {
    check_table("normalize", "normalize");
}

#[test]
fn normalize_reports_every_field() {
    let digest = format!("sha256:{}", "f".repeat(64));
    let input = format!("localhost:5000/team/app:1.2@{digest}");
    let run = ocipipe(&["ref", "normalize", "--json", "ubuntu", &input]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(
        lines[0],
        serde_json::json!({
            "input": "ubuntu", "ok": true, "name": "docker.io/library/ubuntu",
            "string": "docker.io/library/ubuntu", "familiar": "ubuntu",
            "domain": "docker.io", "path": "library/ubuntu", "tag": null,
            "digest": null, "error": null,
        })
    );
    assert_eq!(lines[1]["domain"], "localhost:5000");
    assert_eq!(lines[1]["path"], "team/app");
    assert_eq!(lines[1]["tag"], "1.2");
    assert_eq!(lines[1]["digest"], digest.as_str());
    assert_eq!(lines[1]["familiar"], input.as_str());
}

#[test]
fn parse_leaves_familiar_null_and_does_not_normalise() {
    let run = ocipipe(&["ref", "parse", "--json", "ubuntu"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = &run.json_lines()[0];
    assert_eq!(line["name"], "ubuntu");
    assert_eq!(line["domain"], "");
    assert_eq!(line["familiar"], Value::Null);
}

#[test]
fn human_output_is_one_reference_per_line_and_errors_go_to_stderr() {
    let run =
        Ocipipe::new().run_with_stdin(&["ref", "normalize", "-", "busybox:1"], "ubuntu\nNOPE\n");
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "docker.io/library/ubuntu\ndocker.io/library/busybox:1\n"
    );
    assert_eq!(
        run.stderr.trim(),
        "error: \"NOPE\": invalid reference format: repository name (library/NOPE) must be lowercase"
    );
}

#[test]
fn bad_inputs_get_the_libraries_messages() {
    let long = "a".repeat(256);
    let bad_digest = format!("ubuntu@sha256:{}", "a".repeat(40));
    let unknown_algorithm = format!("ubuntu@md5:{}", "a".repeat(32));
    let cases = [
        (
            "parse",
            "",
            "repository name must have at least one component",
        ),
        ("parse", "Uppercase", "repository name must be lowercase"),
        (
            "parse",
            long.as_str(),
            "repository name must not be more than 255 characters",
        ),
        (
            "parse",
            bad_digest.as_str(),
            "invalid checksum digest length",
        ),
        (
            "parse",
            unknown_algorithm.as_str(),
            "unsupported digest algorithm",
        ),
        ("parse", "ubuntu@sha256:abc", "invalid reference format"),
        ("parse", "a:b:c", "invalid reference format"),
        (
            "normalize",
            "docker.io/Library/x",
            "invalid reference format: repository name (Library/x) must be lowercase",
        ),
    ];
    for (command, input, message) in cases {
        let run = ocipipe(&["ref", command, "--json", input]);
        assert_eq!(run.code, 1, "{input:?} must be refused");
        let line = &run.json_lines()[0];
        assert_eq!(line["ok"], false);
        assert_eq!(line["error"], message, "{command} {input:?}");
        assert_eq!(line["name"], Value::Null);
    }
}

#[test]
fn all_valid_inputs_exit_zero() {
    let run = ocipipe(&["ref", "normalize", "a", "b/c:d", "[::1]:5000/e"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 3);
}
