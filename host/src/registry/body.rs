//! Request bodies streamed from blocking code with flat memory: a
//! [`BlobWriter`] (what a layer is compressed into as it is sent) hands
//! pieces through a small bounded channel that the HTTP client drains. A
//! body read from a file or an archive is a thread copying into one.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Size of one piece handed to the client.
const PIECE: usize = 1 << 20;
/// Pieces in flight: memory is at most `PIECE * (DEPTH + 2)` per body.
const DEPTH: usize = 4;

/// The sending half of a streamed request body. Bytes written go to the
/// request; [`BlobWriter::finish`] ends the body. Dropped unfinished, it
/// ends the body with an error, so that a registry never keeps a blob cut
/// short as if whole.
pub struct BlobWriter {
    tx: Option<tokio::sync::mpsc::Sender<io::Result<bytes::Bytes>>>,
    piece: Vec<u8>,
    ended: Arc<AtomicBool>,
}

/// The receiving half: the body of one request.
pub struct BlobBody(pub(super) reqwest::Body);

/// A body and the writer that fills it, from a thread outside the async
/// runtime (a write waits while the channel is full).
pub fn blob_channel() -> (BlobWriter, BlobBody) {
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<bytes::Bytes>>(DEPTH);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let item = rx.recv().await?;
        Some((item, rx))
    });
    let writer = BlobWriter {
        tx: Some(tx),
        piece: Vec::with_capacity(PIECE),
        ended: Arc::new(AtomicBool::new(false)),
    };
    (writer, BlobBody(reqwest::Body::wrap_stream(stream)))
}

impl BlobWriter {
    /// Set once the request stops taking bytes (it failed or was
    /// dropped): a write failing then is the upload's failure, not the
    /// writer's.
    pub fn ended(&self) -> Arc<AtomicBool> {
        self.ended.clone()
    }

    fn send(&mut self, item: io::Result<bytes::Bytes>) -> io::Result<()> {
        let tx = self.tx.as_ref().expect("not finished");
        tx.blocking_send(item).map_err(|_| {
            self.ended.store(true, Ordering::Relaxed);
            io::Error::new(io::ErrorKind::BrokenPipe, "the upload stopped taking bytes")
        })
    }

    fn send_piece(&mut self) -> io::Result<()> {
        if self.piece.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.piece, Vec::with_capacity(PIECE));
        self.send(Ok(bytes::Bytes::from(piece)))
    }

    /// Sends what is left and ends the body.
    pub fn finish(mut self) -> io::Result<()> {
        self.send_piece()?;
        self.tx.take();
        Ok(())
    }

    /// Sends what is left, then ends the body with `error`.
    fn fail(mut self, error: io::Error) {
        let _ = self.send_piece().and_then(|()| self.send(Err(error)));
        self.tx.take();
    }
}

impl Write for BlobWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let taken = data.len().min(PIECE - self.piece.len());
        self.piece.extend_from_slice(&data[..taken]);
        if self.piece.len() == PIECE {
            self.send_piece()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if self.tx.is_some() {
            let _ = self.send(Err(io::Error::other("the blob was not made whole")));
        }
    }
}

/// A body that streams `source` to its end. A read failure ends the
/// request with it.
pub(crate) fn from_reader(mut source: super::BlobReader) -> reqwest::Body {
    let (mut writer, body) = blob_channel();
    std::thread::spawn(move || {
        let mut piece = vec![0u8; PIECE];
        loop {
            let n = match source.read(&mut piece) {
                Ok(0) => {
                    let _ = writer.finish();
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    writer.fail(e);
                    return;
                }
            };
            // The request was dropped (a failed upload): stop reading.
            if writer.write_all(&piece[..n]).is_err() {
                return;
            }
        }
    });
    body.0
}
