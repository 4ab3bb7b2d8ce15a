//! Streaming a tar made on this side into one engine load request: a
//! scoped thread produces the bytes into a bounded channel while this
//! thread drives the request, so nothing is buffered whole and no
//! temporary file is made.

use super::Error;
use crate::docker::Error as DockerError;
use crate::docker::{Engine, LoadReport};
use bytes::Bytes;
use std::io::Write;

/// Pieces in flight between the producer and the request.
const IN_FLIGHT: usize = 8;

/// The producer's end of the request body.
pub(super) struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
}

impl ChannelWriter {
    /// Sends a piece the producer owns, without copying it.
    pub(super) fn send_owned(&mut self, piece: Vec<u8>) -> std::io::Result<()> {
        self.tx
            .blocking_send(Ok(Bytes::from(piece)))
            .map_err(|_| closed())
    }
}

fn closed() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::BrokenPipe,
        "the engine closed the request",
    )
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.tx
            .blocking_send(Ok(Bytes::copy_from_slice(data)))
            .map_err(|_| closed())?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `produce` on a scoped thread, its output streamed as the body of
/// one load request, and returns what both gave. A producer that fails
/// fails the request too, rather than load half a tar; when both fail, the
/// engine's error is returned (it says more than a closed pipe).
pub(super) fn stream_into_engine<T: Send>(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    produce: impl FnOnce(&mut ChannelWriter) -> Result<T, Error> + Send,
) -> Result<(T, LoadReport), Error> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(IN_FLIGHT);
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let (produced, loaded) = std::thread::scope(|scope| {
        let producer = scope.spawn(|| {
            let mut out = ChannelWriter { tx };
            let result = produce(&mut out);
            if let Err(e) = &result {
                let _ = out
                    .tx
                    .blocking_send(Err(std::io::Error::other(e.to_string())));
            }
            result
        });
        let loaded = runtime.block_on(engine.load(body));
        (producer.join(), loaded)
    });
    let produced = produced.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let loaded = loaded?;
    Ok((produced?, loaded))
}

/// The diff IDs of the `base` images' layers, which an incremental load
/// may send as zero-length placeholders. Empty when there is no base, or
/// when the engine keeps containerd's image store, where placeholders do
/// not work.
pub(super) fn layers_the_engine_has(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    base: &[String],
) -> Result<Vec<String>, DockerError> {
    if base.is_empty() {
        return Ok(Vec::new());
    }
    if runtime.block_on(engine.uses_containerd_store())? {
        tracing::info!("the engine uses the containerd image store: sending every layer");
        return Ok(Vec::new());
    }
    let mut known = Vec::new();
    for image in base {
        known.extend(runtime.block_on(engine.inspect(image))?.layers);
    }
    Ok(known)
}
