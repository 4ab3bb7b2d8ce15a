//! Request bodies streamed from a blocking reader (a file, a slice of an
//! archive) with flat memory: a thread reads pieces into a small bounded
//! channel that the HTTP client drains.

use std::io::Read;

/// Size of one piece read from the source.
const PIECE: usize = 1 << 20;
/// Pieces in flight: memory is at most `PIECE * (DEPTH + 2)` per body.
const DEPTH: usize = 4;

/// A body that streams `source` to its end. A read failure ends the
/// request with it.
pub(crate) fn from_reader(mut source: super::BlobReader) -> reqwest::Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(DEPTH);
    std::thread::spawn(move || {
        loop {
            let mut piece = vec![0u8; PIECE];
            let n = match source.read(&mut piece) {
                Ok(0) => return,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            piece.truncate(n);
            // The request was dropped (a failed upload): stop reading.
            if tx.blocking_send(Ok(bytes::Bytes::from(piece))).is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let item = rx.recv().await?;
        Some((item, rx))
    });
    reqwest::Body::wrap_stream(stream)
}
