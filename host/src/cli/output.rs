//! Printing results: JSON Lines with `--json`, human lines otherwise. A
//! closed stdout (`| head`) surfaces as a broken-pipe error, which `main`
//! treats as success.

use serde::Serialize;
use std::io::Write;

/// Prints one result per line to stdout.
pub struct Printer {
    json: bool,
    out: Box<dyn Write>,
}

impl Printer {
    /// A printer in JSON mode when `json` is set.
    pub fn new(json: bool) -> Self {
        Self {
            json,
            out: Box::new(std::io::stdout().lock()),
        }
    }

    /// A printer for a command that wrote its output to `output`: on
    /// stderr when that is stdout itself (`-o /dev/stdout`), so that
    /// stdout holds the output alone, as with `-o -`.
    pub fn beside_output(json: bool, output: &std::path::Path) -> Self {
        if !crate::store::atomic::is_standard_output(output) {
            return Self::new(json);
        }
        Self {
            json,
            out: Box::new(std::io::stderr().lock()),
        }
    }

    /// Whether results are printed as JSON Lines.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints `human` for people; nothing with `--json`, where the
    /// records say it.
    pub fn note(&mut self, human: impl FnOnce() -> String) -> std::io::Result<()> {
        if self.json {
            return Ok(());
        }
        writeln!(self.out, "{}", human())?;
        self.out.flush()
    }

    /// Prints `record` as a JSON line, or `human` without `--json`.
    pub fn result(
        &mut self,
        record: &impl Serialize,
        human: impl FnOnce() -> String,
    ) -> std::io::Result<()> {
        if self.json {
            let line = serde_json::to_string(record)?;
            writeln!(self.out, "{}", crate::model::json_line(&line))?;
        } else {
            writeln!(self.out, "{}", human())?;
        }
        self.out.flush()
    }
}
