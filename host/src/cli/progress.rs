//! Showing progress: an indicatif bar on stderr when it is a terminal, JSON
//! event lines on stderr with `--json` (stdout keeps one line per result),
//! nothing otherwise.

use crate::model::{Progress, Quiet};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;

/// Bytes between two JSON progress events.
const JSON_EVERY: u64 = 64 << 20;

/// The progress display for this run.
pub fn for_run(json: bool) -> Box<dyn Progress> {
    if json {
        Box::new(JsonEvents::default())
    } else if std::io::stderr().is_terminal() {
        Box::new(Bar::default())
    } else {
        Box::new(Quiet)
    }
}

/// A bar per task on the terminal.
#[derive(Default)]
struct Bar {
    bar: Mutex<Option<ProgressBar>>,
}

impl Progress for Bar {
    fn start(&self, task: &str, total: Option<u64>) {
        let bar = match total {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(
                    "{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{msg:>12} {spinner} {bytes} {bytes_per_sec}")
                    .expect("a valid template"),
            ),
        };
        bar.set_message(task.to_string());
        if let Some(old) = self.bar.lock().expect("not poisoned").replace(bar) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = &*self.bar.lock().expect("not poisoned") {
            bar.inc(bytes);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().expect("not poisoned").take() {
            bar.finish_and_clear();
        }
    }
}

/// `{"event":"progress",...}` lines on stderr.
#[derive(Default)]
struct JsonEvents {
    state: Mutex<JsonState>,
}

#[derive(Default)]
struct JsonState {
    task: String,
    total: Option<u64>,
    done: u64,
    reported: u64,
}

impl JsonEvents {
    fn emit(state: &JsonState, event: &str) {
        let line = serde_json::json!({
            "event": event,
            "task": state.task,
            "bytes": state.done,
            "total": state.total,
        });
        eprintln!("{line}");
    }
}

impl Progress for JsonEvents {
    fn start(&self, task: &str, total: Option<u64>) {
        let mut state = self.state.lock().expect("not poisoned");
        *state = JsonState {
            task: task.to_string(),
            total,
            ..JsonState::default()
        };
        Self::emit(&state, "start");
    }

    fn advance(&self, bytes: u64) {
        let mut state = self.state.lock().expect("not poisoned");
        state.done += bytes;
        if state.done - state.reported >= JSON_EVERY {
            state.reported = state.done;
            Self::emit(&state, "progress");
        }
    }

    fn finish(&self) {
        let state = self.state.lock().expect("not poisoned");
        Self::emit(&state, "done");
    }
}
