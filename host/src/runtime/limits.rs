//! The limits every component call runs under, and their defaults: the one
//! place where they are set.

use std::time::Duration;

/// Per-call limits. Each call gets a fresh store, so limits apply to one
/// call, not to a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest linear memory a component may grow to, bytes. Default
    /// 256 MiB: plans for big layers are lists of small records, and a
    /// guest parsing a JSON document needs about 12× its size.
    pub memory_bytes: usize,
    /// Longest a call may run, measured by epoch ticks. Default 10 s: the
    /// built-in operations answer in microseconds to milliseconds.
    pub timeout: Duration,
    /// Bytes of stdout and of stderr kept per call for the log; the rest is
    /// dropped (the component sees its stream closed). Default 64 KiB.
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 256 << 20,
            timeout: Duration::from_secs(10),
            output_bytes: 64 << 10,
        }
    }
}
