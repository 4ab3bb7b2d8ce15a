//! `ocipipe component call` (one function, JSON in and out) and
//! `ocipipe component test` (the shipped vectors on a file and on the
//! built-in), on the built-in components and the fixtures: the mirror
//! (`mirror-tagging`: one answer changed, the rest delegated) and the
//! hostile one.

use crate::harness::{Ocipipe, guest, ocipipe};
use crate::hostile::{Given, InputCommand, inputs};

fn mirror() -> String {
    format!("tagging={}", guest("mirror_tagging.wasm").display())
}

#[test]
fn call_prints_the_answer_as_json_and_a_refusal_is_an_answer() {
    let run = ocipipe(&[
        "component",
        "call",
        "tagging",
        "naming.parse",
        r#"["ubuntu:22.04"]"#,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let answer = &run.json_lines()[0]["ok"];
    assert_eq!(
        (&answer["name"], &answer["tag"]),
        (&"ubuntu".into(), &"22.04".into())
    );
    // By parameter name, and a function named alone.
    let run = ocipipe(&[
        "component",
        "call",
        "tagging",
        "parse",
        r#"{"input": "UP"}"#,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.json_lines()[0]["error"]["invalid-reference"].is_string(),
        "{}",
        run.stdout
    );
}

#[test]
fn call_goes_through_the_component_chain() {
    let args = [
        "component",
        "call",
        "tagging",
        "normalize-with-default-tag",
        r#"["alpine"]"#,
    ];
    let builtin = ocipipe(&args).json_lines();
    assert_eq!(builtin[0]["ok"]["full"], "docker.io/library/alpine:latest");
    let mut over = vec!["--component", &*Box::leak(mirror().into_boxed_str())];
    over.extend_from_slice(&args);
    let mirrored = ocipipe(&over).json_lines();
    assert_eq!(
        mirrored[0]["ok"]["full"],
        "mirror.example/library/alpine:latest"
    );
}

#[test]
fn call_refuses_what_does_not_fit_before_any_call() {
    for (args, words) in [
        (["tagging", "naming.parse", r#"["a", "b"]"#], "argument"),
        (["tagging", "naming.parse", "[1"], "not JSON"),
        (["tagging", "naming.nope", "[]"], "no function naming.nope"),
        (["taging", "parse", "[]"], "no operation \"taging\""),
        (
            ["tagging", "select-tags", r#"[["1"], {"allow": [3]}]"#],
            "allow[0]",
        ),
    ] {
        let mut all = vec!["component", "call"];
        all.extend_from_slice(&args);
        let run = ocipipe(&all);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(run.error().contains(words), "{args:?}: {}", run.error());
        assert_eq!(run.stdout, "", "{args:?}");
    }
}

#[test]
fn test_of_a_built_in_finds_no_difference() {
    let file = guest("ocipipe_privileges.wasm");
    let run = ocipipe(&["--json", "component", "test", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let summary = &run.json_lines()[0]["summary"];
    assert_eq!(summary["operation"], "privileges");
    assert_eq!(summary["differences"], 0);
    assert_eq!(summary["passed"], true);
    assert!(summary["vectors"].as_u64().unwrap() >= 100, "{summary}");
}

#[test]
fn test_lists_what_a_component_changed_and_passes_only_when_it_is_expected() {
    let file = guest("mirror_tagging.wasm");
    let file = file.to_str().unwrap();
    let run = ocipipe(&["--json", "component", "test", file]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines = run.json_lines();
    let (differences, summary) = lines.split_at(lines.len() - 1);
    assert!(!differences.is_empty());
    for difference in differences {
        assert_eq!(
            difference["vector"]["function"],
            "naming.normalize-with-default-tag"
        );
        assert_eq!(difference["excused"], false);
    }
    assert_eq!(summary[0]["summary"]["unexcused"], differences.len());

    let excused = [
        "component",
        "test",
        file,
        "--expect-differ",
        "normalize-with-default-tag",
    ];
    let run = ocipipe(&excused);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("differences"), "{}", run.stdout);

    let unknown = ocipipe(&["component", "test", file, "--expect-differ", "nope"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.error().contains("no vector calls nope"),
        "{}",
        unknown.error()
    );
}

#[test]
fn test_takes_its_component_as_a_file_only() {
    let file = guest("mirror_tagging.wasm");
    let run = Ocipipe::new().run(&[
        "--component",
        &mirror(),
        "component",
        "test",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.error().contains("runs no other component"),
        "{}",
        run.error()
    );
}

#[test]
fn test_reads_a_fifo_as_it_reads_a_file() {
    let command = InputCommand {
        name: "component test",
        args: &|input: &str| {
            ["--json", "component", "test", input]
                .map(String::from)
                .to_vec()
        },
        env: Vec::new(),
        file: Given::Path,
        stream: Given::Path,
    };
    let privileges = std::fs::read(guest("ocipipe_privileges.wasm")).unwrap();
    let cases = [
        ("privileges.wasm", privileges),
        ("core.wasm", b"\0asm\x01\0\0\0".to_vec()),
        ("text.wasm", b"not a component".to_vec()),
    ];
    inputs::stdin_matches_file(&command, &cases, &["privileges.wasm"]);
}
