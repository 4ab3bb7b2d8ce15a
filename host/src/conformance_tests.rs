//! The shipped vectors against the built-ins, and the comparer against a
//! built-in and against callers that answer otherwise.

use super::*;
use crate::runtime::FunctionInfo;
use crate::runtime::json;
use crate::runtime::json::dynamic::Dynamic;
use crate::runtime::operations::{ALL, PRIVILEGES, TAGGING};
use serde_json::json;
use wasmtime::component::Val;

/// `component`'s answer to `vector`, as `component call` makes it.
fn builtin_outcome(component: &Dynamic, infos: &[FunctionInfo], vector: &Vector) -> Outcome {
    json::call(infos, &vector.function, &vector.args, |f, params| {
        component.call(&f.interface, &f.name, params)
    })
    .into()
}

#[test]
fn every_operation_ships_vectors_for_every_function_that_fit_its_types() {
    assert_eq!(SHIPPED.len(), ALL.len());
    for operation in ALL {
        let vectors = shipped(operation);
        let component = Dynamic::builtin(operation);
        let infos = component.infos();
        for function in &infos {
            let name = function.qualified();
            let count = vectors.iter().filter(|v| v.function == name).count();
            assert!(count >= 3, "{}: {name} has {count} vectors", operation.name);
        }
        for vector in &vectors {
            let function = json::resolve(&infos, &vector.function)
                .unwrap_or_else(|e| panic!("{} line {}: {e}", operation.name, vector.line));
            assert_eq!(function.qualified(), vector.function, "names are in full");
            if let Err(e) = json::arguments(&vector.args, &function.params) {
                panic!("{} line {}: {e}", operation.name, vector.line);
            }
        }
    }
}

#[test]
fn every_built_in_answers_every_vector_and_agrees_with_itself() {
    for operation in ALL {
        let vectors = shipped(operation);
        let component = Dynamic::builtin(operation);
        let infos = component.infos();
        let mut refused = 0;
        let report = compare(
            &vectors,
            |v| {
                let outcome = builtin_outcome(&component, &infos, v);
                if matches!(&outcome, Outcome::Answer(a) if a.get("error").is_some()) {
                    refused += 1;
                }
                outcome
            },
            |v| builtin_outcome(&component, &infos, v),
            &[],
        )
        .unwrap();
        assert!(report.passed(), "{}: {report}", operation.name);
        assert!(report.differences.is_empty());
        assert_eq!(
            report.failed_on_both, 0,
            "{}: a vector the built-in fails",
            operation.name
        );
        assert_eq!(report.vectors, vectors.len());
        assert_eq!(report.functions.len(), infos.len());
        let counted: usize = report.functions.values().map(|c| c.vectors).sum();
        assert_eq!(counted, vectors.len());
        // The suite holds refusals too, and mostly answers.
        assert!(
            refused > 0 && refused < vectors.len(),
            "{}: {refused}",
            operation.name
        );
    }
}

/// The built-in tagging, but `parse-normalized-named` answers every name
/// at `mirror.example` (the issue's mirror rewrite), and `select-tags` is
/// missing (a component built before it).
fn mirror(component: &Dynamic, infos: &[FunctionInfo], vector: &Vector) -> Outcome {
    if vector.function == "tags.select-tags" {
        return Outcome::Failed(format!(
            "component tagging (./mirror.wasm) has no function select-tags in \
             ocipipe:image/tags@{}",
            crate::runtime::WIT_VERSION
        ));
    }
    json::call(infos, &vector.function, &vector.args, |f, params| {
        let mut results = component.call(&f.interface, &f.name, params)?;
        if f.name == "parse-normalized-named"
            && let Val::Result(Ok(Some(reference))) = &mut results[0]
            && let Val::Record(fields) = reference.as_mut()
        {
            for (name, value) in fields.iter_mut() {
                if name == "domain" {
                    *value = Val::String("mirror.example".into());
                }
            }
        }
        Ok::<_, String>(results)
    })
    .into()
}

#[test]
fn a_component_that_answers_otherwise_is_caught_function_by_function() {
    let vectors = shipped(&TAGGING);
    let component = Dynamic::builtin(&TAGGING);
    let infos = component.infos();
    let run = |expect_differ: &[&str]| {
        let names: Vec<String> = expect_differ.iter().map(|s| s.to_string()).collect();
        compare(
            &vectors,
            |v| builtin_outcome(&component, &infos, v),
            |v| mirror(&component, &infos, v),
            &names,
        )
    };
    let report = run(&[]).unwrap();
    assert!(!report.passed());
    let differing: std::collections::BTreeSet<&str> = report
        .differences
        .iter()
        .map(|d| d.vector.function.as_str())
        .collect();
    assert_eq!(
        differing,
        ["naming.parse-normalized-named", "tags.select-tags"].into()
    );
    // Refusals are the same, so only the vectors the built-in answers Ok.
    let rewritten = &report.functions["naming.parse-normalized-named"];
    assert!(rewritten.differences > 0 && rewritten.differences < rewritten.vectors);
    let missing = &report.functions["tags.select-tags"];
    assert_eq!(missing.differences, missing.vectors);
    assert_eq!(report.functions["naming.parse"].differences, 0);
    let first = &report.differences[0];
    let (Outcome::Answer(want), Outcome::Answer(got)) = (&first.expected, &first.got) else {
        panic!("{first:?}")
    };
    assert_eq!(got["ok"]["domain"], json!("mirror.example"));
    assert_ne!(want["ok"]["domain"], json!("mirror.example"));
    let text = report.to_string();
    assert!(
        text.starts_with(&format!(
            "{} vectors of {} functions: {} differences\n",
            vectors.len(),
            infos.len(),
            report.differences.len()
        )),
        "{text}"
    );
    assert!(
        text.contains("\nnaming.parse-normalized-named (vector line "),
        "{text}"
    );
    assert!(
        text.contains(
            "  got:      failed: component tagging (./mirror.wasm) has no function select-tags"
        ),
        "{text}"
    );

    // `component test --json` prints the report as it serialises.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["vectors"], json!(vectors.len()));
    assert_eq!(
        json["functions"]["tags.select-tags"]["differences"],
        json!(missing.vectors)
    );
    let listed = &json["differences"][0];
    assert_eq!(
        listed["vector"]["function"],
        json!("naming.parse-normalized-named")
    );
    assert_eq!(
        listed["got"]["answer"]["ok"]["domain"],
        json!("mirror.example")
    );
    assert_eq!(listed["excused"], json!(false));
    let failed = &json["differences"][report.differences.len() - 1]["got"]["failed"];
    assert!(
        failed.as_str().unwrap().contains("no function select-tags"),
        "{failed}"
    );

    // Declared, by either name: excused, still listed.
    let excused = run(&["parse-normalized-named", "tags.select-tags"]).unwrap();
    assert!(excused.passed(), "{excused}");
    assert_eq!(excused.differences.len(), report.differences.len());
    assert!(excused.to_string().contains("excused by --expect-differ"));
    let half = run(&["naming.parse-normalized-named"]).unwrap();
    assert!(!half.passed());
    assert!(
        half.unexcused()
            .all(|d| d.vector.function == "tags.select-tags")
    );
    let unknown = run(&["parse-normalised-named"]).unwrap_err();
    assert!(
        unknown.starts_with(
            "--expect-differ parse-normalised-named: no vector calls parse-normalised-named; \
             the functions are naming.find-name, "
        ),
        "{unknown}"
    );
}

#[test]
fn arguments_that_do_not_fit_fail_a_side_not_the_run() {
    let component = Dynamic::builtin(&PRIVILEGES);
    let infos = component.infos();
    let vectors = parse(concat!(
        r#"{"function": "plugins.compute-privileges", "args": ["{}"]}"#,
        "\n\n",
        r#"{"function": "plugins.compute-privileges", "args": [3], "about": "a number"}"#,
        "\n",
        r#"{"function": "plugins.no-such", "args": []}"#,
    ))
    .unwrap();
    assert_eq!(vectors[1].line, 3);
    let report = compare(
        &vectors,
        |v| builtin_outcome(&component, &infos, v),
        |v| builtin_outcome(&component, &infos, v),
        &[],
    )
    .unwrap();
    assert_eq!(report.failed_on_both, 2);
    assert!(report.passed());
    let failed = builtin_outcome(&component, &infos, &vectors[1]);
    assert_eq!(
        failed,
        Outcome::Failed(
            "plugins.compute-privileges: argument 1 (plugin-config): expected a string, got 3"
                .into()
        )
    );
    let answered = builtin_outcome(&component, &infos, &vectors[0]);
    assert_eq!(answered, Outcome::Answer(json!({"ok": []})));
}

#[test]
fn a_bad_vector_line_is_refused_naming_it() {
    let cases = [
        ("[1]", "line 1: a vector is a JSON object"),
        (r#"{"args": []}"#, "line 1: no \"function\" string"),
        (r#"{"function": "f"}"#, "line 1: no \"args\""),
        (
            r#"{"function": "f", "args": [], "about": 1}"#,
            "line 1: \"about\" is not a string",
        ),
        (
            r#"{"function": "f", "args": [], "expect": 1}"#,
            "line 1: unknown key \"expect\" (a vector has function, args and about)",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse(text).unwrap_err(), expected);
    }
    let broken = parse("{\"function\": \"f\", \"args\": []}\n{").unwrap_err();
    assert!(broken.starts_with("line 2: EOF while parsing"), "{broken}");
}
