//! `ocipipe ref parse|normalize`.

use super::args::{RefArgs, RefCommand};
use super::output::Printer;
use super::{Config, Outcome};
use crate::model::Reference;
use crate::runtime::{self, Tagging};
use serde::Serialize;
use std::io::BufRead;

/// One result line; keys and order are part of the CLI contract.
#[derive(Serialize)]
struct Record<'a> {
    input: &'a str,
    ok: bool,
    name: Option<&'a str>,
    string: Option<&'a str>,
    familiar: Option<&'a str>,
    domain: Option<&'a str>,
    path: Option<&'a str>,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
    error: Option<&'a str>,
}

pub(super) fn run(config: &Config, cmd: RefCommand) -> anyhow::Result<Outcome> {
    let (args, normalize) = match cmd {
        RefCommand::Parse(args) => (args, false),
        RefCommand::Normalize(args) => (args, true),
    };
    let inputs = inputs(args)?;
    let components = config.components_for_calls(inputs.len())?;
    let tagging = components.get::<Tagging>()?;
    let mut printer = Printer::new(config.json);
    let mut outcome = Outcome::Success;
    for input in inputs {
        let ok = match input {
            Ok(input) => check_one(tagging, &mut printer, &input, normalize)?,
            Err(bytes) => {
                let input = String::from_utf8_lossy(&bytes);
                report_failure(&mut printer, &input, "the line is not UTF-8")?;
                false
            }
        };
        if !ok {
            outcome = Outcome::SomeFailed;
        }
    }
    Ok(outcome)
}

/// The references to check: arguments, with `-` replaced by stdin's lines.
/// A line that is not UTF-8 is kept as bytes, to be reported alone.
fn inputs(args: RefArgs) -> anyhow::Result<Vec<Result<String, Vec<u8>>>> {
    let mut all = Vec::with_capacity(args.refs.len());
    for arg in args.refs {
        if arg == "-" {
            for line in std::io::stdin().lock().split(b'\n') {
                let mut line = line?;
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                all.push(String::from_utf8(line).map_err(|e| e.into_bytes()));
            }
        } else {
            all.push(Ok(arg));
        }
    }
    Ok(all)
}

/// Prints that `input` is not a reference, and why.
fn report_failure(printer: &mut Printer, input: &str, message: &str) -> anyhow::Result<()> {
    let failed = Record {
        input,
        ok: false,
        name: None,
        string: None,
        familiar: None,
        domain: None,
        path: None,
        tag: None,
        digest: None,
        error: Some(message),
    };
    if printer.is_json() {
        printer.result(&failed, String::new)?;
    } else {
        eprintln!("error: {input:?}: {message}");
    }
    Ok(())
}

/// Prints one result; `Ok(false)` when the input is invalid. A component
/// failure other than a refusal (a trap, a time-out) ends the command.
fn check_one(
    tagging: &Tagging,
    printer: &mut Printer,
    input: &str,
    normalize: bool,
) -> anyhow::Result<bool> {
    let parsed = if normalize {
        tagging.parse_normalized_named(input)
    } else {
        tagging.parse(input)
    };
    match parsed {
        Ok(r) => {
            printer.result(&record(input, &r, normalize), || r.full.clone())?;
            Ok(true)
        }
        // The component's own message (the reference grammar's, e.g.
        // `invalid reference format`), not the error's Display, which names
        // the component and function: scripts compare `error`.
        Err(runtime::Error::Refused { message, .. }) => {
            report_failure(printer, input, &message)?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

fn record<'a>(input: &'a str, r: &'a Reference, normalize: bool) -> Record<'a> {
    Record {
        input,
        ok: true,
        name: Some(&r.name),
        string: Some(&r.full),
        familiar: normalize.then_some(r.familiar.as_str()),
        domain: Some(&r.domain),
        path: Some(&r.path),
        tag: r.tag.as_deref(),
        digest: r.digest.as_ref().map(|d| d.as_str()),
        error: None,
    }
}
