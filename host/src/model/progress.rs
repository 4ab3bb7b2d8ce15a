//! Progress of long work, reported by the pipeline and shown by the CLI
//! (a bar on a terminal, JSON events with `--json`, nothing otherwise).

/// Receives progress; implementations must be cheap: `advance` is called
/// once per megabyte streamed.
pub trait Progress: Send + Sync {
    /// A task starts, e.g. `layer 2/4`, with its size in bytes when known.
    fn start(&self, task: &str, total: Option<u64>);
    /// `bytes` more of the current task are done.
    fn advance(&self, bytes: u64);
    /// The current task is done.
    fn finish(&self);
}

/// Progress that goes nowhere.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// Several tasks at once shown as one: the `count` outputs of a build
/// written together, or the images a sync copies at once, report as one
/// task of their summed bytes, from [`Together::new`] (or
/// [`Together::named`]) to [`Together::done`]; their own starts and
/// finishes are not shown.
pub struct Together<'a> {
    inner: &'a dyn Progress,
}

impl<'a> Together<'a> {
    /// `count` tasks shown on `inner`, starting now.
    pub fn new(inner: &'a dyn Progress, count: usize) -> Self {
        Self::named(inner, &format!("{count} outputs"))
    }

    /// Tasks shown on `inner` as the one task `task`, starting now.
    pub fn named(inner: &'a dyn Progress, task: &str) -> Self {
        inner.start(task, None);
        Self { inner }
    }

    /// Every task is over.
    pub fn done(self) {
        self.inner.finish();
    }
}

impl Progress for Together<'_> {
    fn start(&self, _: &str, _: Option<u64>) {}

    fn advance(&self, bytes: u64) {
        self.inner.advance(bytes);
    }

    fn finish(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Every call, as a line.
    #[derive(Default)]
    struct Recorded(Mutex<Vec<String>>);

    impl Progress for Recorded {
        fn start(&self, task: &str, total: Option<u64>) {
            self.0
                .lock()
                .unwrap()
                .push(format!("start {task} {total:?}"));
        }
        fn advance(&self, bytes: u64) {
            self.0.lock().unwrap().push(format!("advance {bytes}"));
        }
        fn finish(&self) {
            self.0.lock().unwrap().push("finish".into());
        }
    }

    #[test]
    fn tasks_together_show_as_one_task_of_their_bytes() {
        let recorded = Recorded::default();
        let together = Together::new(&recorded, 2);
        together.start("4 layers", Some(10));
        together.advance(3);
        together.start("push", None);
        together.advance(4);
        together.finish();
        together.advance(3);
        together.finish();
        together.done();
        assert_eq!(
            *recorded.0.lock().unwrap(),
            [
                "start 2 outputs None",
                "advance 3",
                "advance 4",
                "advance 3",
                "finish"
            ]
        );
    }
}
