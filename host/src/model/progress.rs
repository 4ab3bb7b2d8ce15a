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
