//! The conformance suite: the vectors each operation ships
//! (`host/conformance/OPERATION.jsonl`, built into the binary) and the pure
//! comparer that `ocipipe component test FILE.wasm` runs them with.
//!
//! A vector is one call, one JSON object a line:
//! `{"function": "naming.parse", "args": ["ubuntu"], "about": "…"}`, the
//! arguments as `runtime::json` maps them (an array by position, or an
//! object by parameter name). Vectors state no answer: the built-in's is
//! the expected one, so the suite holds whatever the built-in does, WIT
//! errors included (a vector may well be one the built-in refuses).
//!
//! [`compare`] runs every vector on two callers, the built-in and the
//! component under test, and lists where their answers differ; a function
//! named with `--expect-differ FUNCTION` may differ (a stricter privileges
//! component, a mirror-rewriting tagging one) and its differences are
//! listed as excused. The [`Report`] says how many vectors ran, per
//! function, and each difference with its arguments and both answers;
//! `component test` exits 0 when [`Report::passed`].
//!
//! Must not: load or call a component itself (the callers do), or read
//! files.

use crate::runtime::operations::Declaration;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// The vectors shipped for each operation of the table, by its name.
const SHIPPED: &[(&str, &str)] = &[
    ("tagging", include_str!("../conformance/tagging.jsonl")),
    (
        "tar-assembly",
        include_str!("../conformance/tar-assembly.jsonl"),
    ),
    (
        "manifest-generation",
        include_str!("../conformance/manifest-generation.jsonl"),
    ),
    (
        "privileges",
        include_str!("../conformance/privileges.jsonl"),
    ),
];

/// One call of the suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vector {
    /// Its line in the vectors file, from 1.
    pub line: usize,
    /// `IFACE.FUNCTION`, e.g. `naming.parse`.
    pub function: String,
    /// The arguments, as JSON.
    pub args: Value,
    /// What it checks, for a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
}

/// The vectors shipped for `operation`.
pub fn shipped(operation: &Declaration) -> Vec<Vector> {
    let (_, text) = SHIPPED
        .iter()
        .find(|(name, _)| *name == operation.name)
        .expect("every operation of the table ships vectors (a test checks it)");
    parse(text).expect("the shipped vectors parse (a test checks it)")
}

/// The vectors of a `.jsonl` text; blank lines are skipped. An error names
/// the line.
pub fn parse(text: &str) -> Result<Vec<Vector>, String> {
    let mut vectors = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fail = |why: String| format!("line {number}: {why}");
        let value: Value = serde_json::from_str(line).map_err(|e| fail(e.to_string()))?;
        let Value::Object(mut object) = value else {
            return Err(fail("a vector is a JSON object".into()));
        };
        let function = match object.remove("function") {
            Some(Value::String(function)) => function,
            _ => return Err(fail("no \"function\" string".into())),
        };
        let args = object
            .remove("args")
            .ok_or_else(|| fail("no \"args\"".into()))?;
        let about = match object.remove("about") {
            None => None,
            Some(Value::String(about)) => Some(about),
            Some(_) => return Err(fail("\"about\" is not a string".into())),
        };
        if let Some(key) = object.keys().next() {
            return Err(fail(format!(
                "unknown key {key:?} (a vector has function, args and about)"
            )));
        }
        vectors.push(Vector {
            line: number,
            function,
            args,
            about,
        });
    }
    Ok(vectors)
}

/// What one side answered to one vector.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The function's answer as JSON (a WIT `error` answer included).
    Answer(Value),
    /// The call failed: no such function, arguments that do not fit its
    /// types, a trap, a limit; the failure's text.
    Failed(String),
}

/// A call's JSON answer, or why it failed (as `runtime::json::call` gives
/// it).
impl From<Result<Value, String>> for Outcome {
    fn from(result: Result<Value, String>) -> Self {
        match result {
            Ok(answer) => Outcome::Answer(answer),
            Err(message) => Outcome::Failed(message),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Answer(value) => write!(f, "{value}"),
            Outcome::Failed(message) => write!(f, "failed: {message}"),
        }
    }
}

/// One vector on which the two sides differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The vector.
    pub vector: Vector,
    /// The built-in's outcome.
    pub expected: Outcome,
    /// The component's outcome.
    pub got: Outcome,
    /// Whether `--expect-differ` names its function.
    pub excused: bool,
}

/// How one function fared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FunctionCount {
    /// Its vectors run.
    pub vectors: usize,
    /// Those on which the sides differ.
    pub differences: usize,
}

/// What a run of the suite found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Vectors run.
    pub vectors: usize,
    /// Per function (`IFACE.FUNCTION`), in name order.
    pub functions: BTreeMap<String, FunctionCount>,
    /// Every difference, in vector order, excused ones included.
    pub differences: Vec<Difference>,
    /// Vectors that failed on both sides alike (counted, not differences).
    pub failed_on_both: usize,
}

impl Report {
    /// No difference but those `--expect-differ` excuses.
    pub fn passed(&self) -> bool {
        self.differences.iter().all(|d| d.excused)
    }

    /// The differences not excused.
    pub fn unexcused(&self) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(|d| !d.excused)
    }
}

/// Runs every vector on `expected` (the built-in) and on `got` (the
/// component under test), and reports where they differ. Two answers agree
/// when their JSON is equal; two failures agree whatever their text (it
/// names each component). `expect_differ` names functions
/// (`IFACE.FUNCTION`, or `FUNCTION` alone) whose differences are excused;
/// one that no vector calls is refused, naming the functions there are.
pub fn compare(
    vectors: &[Vector],
    mut expected: impl FnMut(&Vector) -> Outcome,
    mut got: impl FnMut(&Vector) -> Outcome,
    expect_differ: &[String],
) -> Result<Report, String> {
    let excused = |function: &str| {
        let bare = function.split_once('.').map_or(function, |(_, f)| f);
        expect_differ.iter().any(|e| e == function || e == bare)
    };
    if let Some(unknown) = expect_differ.iter().find(|e| {
        vectors
            .iter()
            .all(|v| v.function != **e && v.function.split_once('.').map(|(_, f)| f) != Some(e))
    }) {
        let mut known: Vec<&str> = vectors.iter().map(|v| v.function.as_str()).collect();
        known.sort_unstable();
        known.dedup();
        return Err(format!(
            "--expect-differ {unknown}: no vector calls {unknown}; the functions are {}",
            known.join(", ")
        ));
    }
    let mut report = Report {
        vectors: 0,
        functions: BTreeMap::new(),
        differences: Vec::new(),
        failed_on_both: 0,
    };
    for vector in vectors {
        let (want, have) = (expected(vector), got(vector));
        report.vectors += 1;
        let count = report.functions.entry(vector.function.clone()).or_default();
        count.vectors += 1;
        match (&want, &have) {
            (Outcome::Answer(a), Outcome::Answer(b)) if a == b => {}
            (Outcome::Failed(_), Outcome::Failed(_)) => report.failed_on_both += 1,
            _ => {
                count.differences += 1;
                report.differences.push(Difference {
                    vector: vector.clone(),
                    expected: want,
                    got: have,
                    excused: excused(&vector.function),
                });
            }
        }
    }
    Ok(report)
}

/// For a person: one line of totals, then each difference with its
/// arguments and both outcomes.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let excused = self.differences.len() - self.unexcused().count();
        write!(
            f,
            "{} vectors of {} functions: {} differences",
            self.vectors,
            self.functions.len(),
            self.differences.len()
        )?;
        if excused > 0 {
            write!(f, " ({excused} excused by --expect-differ)")?;
        }
        if self.failed_on_both > 0 {
            write!(f, "; {} failed on both sides", self.failed_on_both)?;
        }
        writeln!(f)?;
        for d in &self.differences {
            let about = d.vector.about.as_deref().unwrap_or("");
            let mark = if d.excused {
                " (expected to differ)"
            } else {
                ""
            };
            writeln!(
                f,
                "\n{} (vector line {}){mark}: {about}",
                d.vector.function, d.vector.line
            )?;
            writeln!(f, "  args:     {}", d.vector.args)?;
            writeln!(f, "  built-in: {}", d.expected)?;
            writeln!(f, "  got:      {}", d.got)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "conformance_tests.rs"]
mod tests;
