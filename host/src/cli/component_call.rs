//! The author's checks: `ocipipe component call OPERATION FUNCTION JSON`
//! runs one function (of the built-in, or of the `--component` chain) and
//! prints its answer as JSON; `ocipipe component test FILE.wasm` runs the
//! operation's shipped vectors on the file and on the built-in and lists
//! every difference.
//!
//! Both are thin: values cross as `runtime::json` maps them, the vectors
//! and the comparison are `conformance`'s.

use super::output::Printer;
use super::{Config, Outcome};
use crate::conformance::{self, Outcome as Answer, Report};
use crate::runtime::{Components, Declaration, FunctionInfo, Source, json, operations};
use anyhow::Context as _;
use std::path::Path;

/// `component call`: the answer's JSON on stdout, one line. A WIT `error`
/// answer is an answer (exit 0); arguments that do not fit the function,
/// a function the world lacks or a component that fails are errors.
pub(super) fn call(
    config: &Config,
    operation: &str,
    function: &str,
    args: &str,
) -> anyhow::Result<Outcome> {
    let operation = known(operation)?;
    let args: serde_json::Value = serde_json::from_str(args)
        .with_context(|| format!("the arguments are not JSON: {args}"))?;
    let components = config.components_for_calls(1)?;
    let functions = components.functions(operation)?;
    let answer = json::call(&functions, function, &args, |f, values| {
        components.call_values(operation, &f.interface, &f.name, values)
    })
    .map_err(|e| {
        let from = match components.source(operation) {
            Source::Builtin => "built-in".to_string(),
            Source::File(path) => path.display().to_string(),
        };
        let version = components.version(operation).unwrap_or("?");
        anyhow::anyhow!(
            "{} ({from}, {}@{version}) {function}: {e}",
            operation.name,
            crate::runtime::WIT_PACKAGE
        )
    })?;
    Printer::new(true).result(&answer, String::new)?;
    Ok(Outcome::Success)
}

/// `component test`: the file's operation's vectors, on the file (over the
/// built-in, so that what it delegates answers as the built-in does) and
/// on the built-in alone. Exit 0 when no difference is left unexcused by
/// `expect_differ`.
pub(super) fn test(
    config: &Config,
    file: &Path,
    expect_differ: &[String],
) -> anyhow::Result<Outcome> {
    if let Some((operation, _)) = config.components.first() {
        return Err(super::UsageError(format!(
            "--component {operation}: `component test` tests FILE, over the built-in; \
             it runs no other component"
        ))
        .into());
    }
    // A FIFO is read once, into a temporary copy: its world and its
    // calls read the same bytes.
    let spooled = crate::store::spool::copy_unless_rereadable(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let read = spooled.as_ref().map_or(file, |s| s.path());
    let bytes = std::fs::read(read).with_context(|| format!("cannot read {}", file.display()))?;
    if let Some(what) = crate::runtime::not_a_component(&bytes) {
        anyhow::bail!("{}: {what}", file.display());
    }
    let runtime = config.runtime()?;
    let operation = runtime
        .world_of(&file.display().to_string(), &bytes)?
        .operation;
    let builtin = Components::builtin(runtime.clone());
    let tested = Components::chained(runtime, |o| match o == operation {
        true => vec![Source::File(read.to_path_buf())],
        false => Vec::new(),
    });
    let expected = answers(&builtin, operation)?;
    let got = answers(&tested, operation)?;
    let vectors = conformance::shipped(operation);
    let report = conformance::compare(&vectors, expected, got, expect_differ)
        .map_err(|e| anyhow::anyhow!("--expect-differ: {e}"))?;
    print(config, operation, file, &report)?;
    Ok(match report.passed() {
        true => Outcome::Success,
        false => Outcome::SomeFailed,
    })
}

/// A caller of `operation` in `components` for the comparer: a vector's
/// answer, or why there is none.
fn answers<'a>(
    components: &'a Components,
    operation: &'static Declaration,
) -> anyhow::Result<impl Fn(&conformance::Vector) -> Answer + 'a> {
    let functions: Vec<FunctionInfo> = components.functions(operation)?;
    Ok(move |vector: &conformance::Vector| {
        Answer::from(json::call(
            &functions,
            &vector.function,
            &vector.args,
            |f, values| components.call_values(operation, &f.interface, &f.name, values),
        ))
    })
}

/// The report: as text (each difference, then the counts), or with
/// `--json` one line per difference and a `{"summary": …}` line.
fn print(
    config: &Config,
    operation: &Declaration,
    file: &Path,
    report: &Report,
) -> anyhow::Result<()> {
    let mut printer = Printer::new(config.json);
    if !config.json {
        let text = format!("{} ({}): {report}", file.display(), operation.name);
        printer.result(&(), || text.trim_end().to_string())?;
        return Ok(());
    }
    for difference in &report.differences {
        printer.result(difference, String::new)?;
    }
    let summary = serde_json::json!({"summary": {
        "operation": operation.name,
        "vectors": report.vectors,
        "functions": report.functions,
        "differences": report.differences.len(),
        "unexcused": report.unexcused().count(),
        "failed_on_both": report.failed_on_both,
        "passed": report.passed(),
    }});
    printer.result(&summary, String::new)?;
    Ok(())
}

/// The operation named `name`, or a refusal listing them.
fn known(name: &str) -> anyhow::Result<&'static Declaration> {
    operations::named(name).ok_or_else(|| {
        let names: Vec<&str> = operations::ALL.iter().map(|o| o.name).collect();
        anyhow::anyhow!(
            "no operation {name:?} (the operations: {})",
            names.join(", ")
        )
    })
}
