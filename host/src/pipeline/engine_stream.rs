//! Streaming a tar made on this side into one engine load request: a
//! scoped thread produces the bytes into a bounded channel while this
//! thread drives the request, so nothing is buffered whole and no
//! temporary file is made. Also what an incremental load needs from the
//! engine: the layer chains of the base images.

use super::Error;
use crate::docker::Error as DockerError;
use crate::docker::{Engine, LoadReport};
use crate::model::Digest;
use crate::runtime::Tagging;
use crate::store::sink::KnownLayer;
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
/// aborts the request too, rather than load half a tar. When both fail,
/// the producer's error is the cause (a file that changed, a full disk),
/// unless it only saw the engine close the request.
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
    match (produced, loaded) {
        (Ok(produced), Ok(loaded)) => Ok((produced, loaded)),
        (Err(e), Err(engine)) if e.is_closed_pipe() => Err(engine.into()),
        (Err(e), _) => Err(e),
        (Ok(_), Err(engine)) => Err(engine.into()),
    }
}

/// Streams what `produce` writes into a load. When `known` leaves layers
/// out and the engine refuses the placeholders, everything is sent again
/// with every layer (logged): the engine's refusal is the only sure test.
pub(super) fn load_with_fallback<T: Send>(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    known: Option<Vec<KnownLayer>>,
    produce: impl Fn(&mut ChannelWriter, Option<Vec<KnownLayer>>) -> Result<T, Error> + Sync,
) -> Result<(T, LoadReport), Error> {
    let omitting = known.as_ref().is_some_and(|k| k.iter().any(|l| l.omit));
    let every_layer = known.clone().map(|k| {
        k.into_iter()
            .map(|l| KnownLayer { omit: false, ..l })
            .collect()
    });
    match stream_into_engine(runtime, engine, |out| produce(out, known)) {
        Err(Error::Docker(DockerError::LoadRefused { message })) if omitting => {
            tracing::warn!(%message, "the engine refused the placeholder layers; loading every layer");
            stream_into_engine(runtime, engine, |out| produce(out, every_layer))
        }
        other => other,
    }
}

/// The diff IDs of each `base` image, bottom layer first: the layer chains
/// the engine holds, which an incremental load may leave out. Empty when
/// there is no base, or when the engine keeps containerd's image store,
/// where placeholders do not work. Each name goes through the tagging
/// component before the engine sees it.
pub(super) fn base_chains(
    tagging: &Tagging,
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    base: &[String],
) -> Result<Vec<Vec<Digest>>, Error> {
    if base.is_empty() {
        return Ok(Vec::new());
    }
    if runtime.block_on(engine.uses_containerd_store())? {
        tracing::info!("the engine uses the containerd image store: sending every layer");
        return Ok(Vec::new());
    }
    let mut chains = Vec::with_capacity(base.len());
    for image in base {
        let reference = tagging.parse_any_reference(image)?;
        let info = runtime.block_on(engine.inspect(reference.for_engine()))?;
        let chain = info
            .layers
            .iter()
            .map(|d| Digest::parse(d))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                Error::Docker(DockerError::Refused {
                    action: "describe the layers of",
                    reference: image.clone(),
                    message: e.to_string(),
                })
            })?;
        chains.push(chain);
    }
    Ok(chains)
}

/// Checks that the engine loaded every image `expected` (config digests,
/// the IDs the engine gives images): the IDs it reported, and the IDs of
/// the names it reported, looked up.
pub(super) fn check_loaded(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    report: &LoadReport,
    expected: &[Digest],
) -> Result<(), Error> {
    let mut loaded: Vec<String> = report.ids.clone();
    for name in &report.names {
        loaded.push(runtime.block_on(engine.inspect(name))?.id);
    }
    for id in expected {
        if !loaded.iter().any(|l| l == id.as_str()) {
            return Err(Error::Docker(DockerError::NotLoaded {
                message: format!(
                    "it reports {} ({}), not the image {id} that was sent",
                    if report.names.is_empty() {
                        "no name"
                    } else {
                        "the names"
                    },
                    if report.names.is_empty() {
                        loaded.join(", ")
                    } else {
                        report.names.join(", ")
                    },
                ),
            }));
        }
    }
    Ok(())
}
