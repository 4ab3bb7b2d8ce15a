//! The sandbox holds: a third-party component that loops, eats memory,
//! traps or chatters is stopped or contained, with one clear line, and the
//! host goes on. Loaded through `--component`, the third-party path.

use crate::harness::{hostile, ocipipe};
use ocipipe::runtime::{Error, Limits, Runtime, Source, Tagging};
use std::sync::Arc;
use std::time::Duration;

fn run_hostile(input: &str) -> crate::harness::Run {
    let component = format!("tagging={}", hostile().display());
    ocipipe(&[
        "--component",
        &component,
        "--component-timeout",
        "1s",
        "--component-memory-mib",
        "32",
        "ref",
        "parse",
        input,
    ])
}

fn assert_stopped(input: &str, expected: &str) {
    let run = run_hostile(input);
    assert_eq!(run.code, 1, "{input}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{input}: no result may be printed");
    let line = run.first_error_line();
    assert!(line.starts_with("error: component tagging ("), "{line}");
    assert!(line.contains("hostile.wasm"), "names the component: {line}");
    assert!(line.contains(expected), "{input}: {line}");
}

#[test]
fn a_looping_component_is_stopped_by_the_time_limit() {
    assert_stopped(
        "loop",
        "ran out of time in parse (limit 1s); it was stopped",
    );
}

#[test]
fn a_memory_hungry_component_is_stopped_at_the_memory_limit() {
    assert_stopped(
        "memory",
        "exceeded its memory limit in parse (33554432 bytes)",
    );
}

#[test]
fn a_trapping_component_is_reported() {
    assert_stopped(
        "trap",
        "crashed in parse: wasm trap: wasm `unreachable` instruction executed",
    );
}

#[test]
fn a_panicking_component_is_reported_with_its_message() {
    assert_stopped("panic", "hostile component panics on purpose");
}

#[test]
fn an_answer_with_a_malformed_digest_breaks_the_contract() {
    assert_stopped(
        "digest",
        "broke its contract in parse: \"sha256:not-a-digest\" is not a digest",
    );
}

#[test]
fn an_answer_with_an_overlong_tag_breaks_the_contract() {
    assert_stopped(
        "long-tag",
        "broke its contract in parse: answered a tag of 129 characters",
    );
}

#[test]
fn output_beyond_the_cap_is_dropped_not_fatal() {
    let run = run_hostile("chatter");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout, "chatter\n",
        "the component's own output never reaches ours"
    );
}

#[test]
fn the_wasi_context_grants_nothing_and_is_deterministic() {
    assert_eq!(
        run_hostile("clock").stdout,
        "0\n",
        "the wall clock is fixed"
    );
    assert_eq!(run_hostile("env").stdout, "0\n", "no environment");
    assert_eq!(
        run_hostile("files").stdout,
        "denied\n",
        "no preopened directory"
    );
    let random = run_hostile("random").stdout;
    assert_eq!(random.trim().len(), 16);
    assert_eq!(run_hostile("random").stdout, random, "seeded randomness");
}

#[test]
fn the_host_survives_and_the_component_serves_the_next_call() {
    let limits = Limits {
        memory_bytes: 32 << 20,
        timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let runtime = Arc::new(Runtime::new(limits, None).unwrap());
    let tagging = runtime.load::<Tagging>(&Source::File(hostile())).unwrap();
    assert!(matches!(
        tagging.parse("loop"),
        Err(Error::Timeout { function, .. }) if function == "parse"
    ));
    assert!(
        matches!(tagging.parse("memory"), Err(Error::Memory { limit, .. }) if limit == 32 << 20)
    );
    assert!(matches!(tagging.parse("trap"), Err(Error::Trap { .. })));
    assert!(matches!(
        tagging.parse("digest"),
        Err(Error::Contract { function, .. }) if function == "parse"
    ));
    assert!(matches!(
        tagging.unique_tag("x", &[0; 16]),
        Err(Error::Refused {
            kind: "unsupported",
            ..
        })
    ));
    assert_eq!(tagging.parse("still-here").unwrap().full, "still-here");
}

/// More looping calls at once than the instance pool has slots (64): each
/// waits for a slot and is stopped by its own time limit; none fails for
/// want of an instance.
#[test]
fn more_calls_at_once_than_the_pool_holds_each_wait_for_a_slot() {
    let limits = Limits {
        timeout: Duration::from_millis(100),
        ..Limits::default()
    };
    let runtime = Arc::new(Runtime::new(limits, None).unwrap());
    let tagging = runtime.load::<Tagging>(&Source::File(hostile())).unwrap();
    let errors: Vec<Error> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..96)
            .map(|_| scope.spawn(|| tagging.parse("loop").unwrap_err()))
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for error in errors {
        assert!(matches!(error, Error::Timeout { .. }), "{error}");
    }
}

#[test]
fn a_file_that_is_not_a_component_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.wasm");
    std::fs::write(&bogus, b"\0asm but not really").unwrap();
    let run = ocipipe(&[
        "--component",
        &format!("tagging={}", bogus.display()),
        "ref",
        "parse",
        "x",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_error_line()
            .contains("is not a valid tagging component"),
        "{}",
        run.stderr
    );

    let missing = dir.path().join("missing.wasm");
    let run = ocipipe(&[
        "--component",
        &format!("tagging={}", missing.display()),
        "ref",
        "parse",
        "x",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_error_line()
            .starts_with("error: cannot read component tagging ("),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_operation_is_refused() {
    let run = ocipipe(&["--component", "painting=x.wasm", "ref", "parse", "x"]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_error_line().contains("no such operation"),
        "{}",
        run.stderr
    );
}

/// A fixture component of tests/fixtures, e.g. `mirror_tagging.wasm`.
fn fixture(file: &str) -> String {
    let path = hostile().with_file_name(file);
    format!("tagging={}", path.display())
}

#[test]
fn a_chain_of_components_runs_the_first_over_the_next_and_its_failures_name_the_inner_one() {
    // The mirror over the built-in: `ref normalize` is passed on.
    let run = ocipipe(&[
        "--component",
        &fixture("mirror_tagging.wasm"),
        "ref",
        "normalize",
        "ubuntu",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "docker.io/library/ubuntu\n");
    // The mirror over the hostile component, which panics: its line.
    let run = ocipipe(&[
        "--component",
        &fixture("mirror_tagging.wasm"),
        "--component",
        &fixture("hostile.wasm"),
        "ref",
        "parse",
        "panic",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let line = run.first_error_line();
    assert!(line.contains("hostile.wasm) crashed in parse"), "{line}");
    assert!(
        line.contains("hostile component panics on purpose"),
        "{line}"
    );
}

#[test]
fn a_component_built_before_a_function_was_added_runs_the_commands_that_do_not_call_it() {
    let run = ocipipe(&[
        "--component",
        &fixture("partial_tagging.wasm"),
        "ref",
        "normalize",
        "ubuntu",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "docker.io/library/ubuntu\n");
}

/// A component that imports an interface the host does not provide
/// (neither WASI nor its own world's) is refused when loaded, before any
/// call, naming the import and what a component may import.
#[test]
fn a_component_importing_what_the_host_does_not_provide_is_refused_naming_it() {
    let run = ocipipe(&[
        "--component",
        &fixture("foreign_tagging.wasm"),
        "ref",
        "normalize",
        "ubuntu",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let line = run.first_error_line();
    assert!(line.contains("foreign_tagging.wasm"), "{line}");
    assert!(
        line.contains("it imports clock, which the host does not provide"),
        "{line}"
    );
    assert!(line.contains("naming, tags"), "{line}");
}
