//! Building a plan: adjacent byte runs are coalesced into one segment.

use crate::header::{BLOCK, padding};
use crate::{BlobRef, FileRef, Segment};

/// A plan being built.
#[derive(Debug, Default)]
pub(crate) struct PlanBuilder {
    segments: Vec<Segment>,
}

impl PlanBuilder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends bytes, merged into the previous segment when that is bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(Segment::Bytes(last)) = self.segments.last_mut() {
            last.extend_from_slice(bytes);
        } else {
            self.segments.push(Segment::Bytes(bytes.to_vec()));
        }
    }

    /// Appends `n` zero bytes.
    pub(crate) fn zeros(&mut self, n: u64) {
        let n = usize::try_from(n).expect("padding is less than a block");
        self.bytes(&[0u8; BLOCK][..n]);
    }

    /// A file entry's contents streamed by the host, then its padding.
    pub(crate) fn file(&mut self, path: &str, size: u64) {
        self.segments.push(Segment::File(FileRef {
            path: path.to_owned(),
            size,
        }));
        self.zeros(padding(size));
    }

    /// A blob streamed by the host, then its padding.
    pub(crate) fn blob(&mut self, digest: &str, size: u64) {
        self.segments.push(Segment::Blob(BlobRef {
            digest: digest.to_owned(),
            size,
        }));
        self.zeros(padding(size));
    }

    /// Contents produced here, then their padding.
    pub(crate) fn data(&mut self, bytes: &[u8]) {
        self.bytes(bytes);
        self.zeros(padding(bytes.len() as u64));
    }

    /// The end-of-archive marker (two zero blocks), and the plan.
    pub(crate) fn finish(mut self) -> Vec<Segment> {
        self.zeros(BLOCK as u64);
        self.zeros(BLOCK as u64);
        self.segments
    }
}
