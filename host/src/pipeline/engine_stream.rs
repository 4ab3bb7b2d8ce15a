//! The Docker Engine as one image destination: every route into it
//! (`image build --load`, `image load`, `copy … docker-daemon:`) is
//! [`EngineLoad`]: a checked archive as it is ([`EngineLoad::load_file`]),
//! or images written by the one sequence into an [`EngineStream`], a
//! [`crate::model::destination::Destination`] writing a `docker`-format
//! archive ([`EngineLoad::load`]). Either is streamed into one load
//! request: a scoped thread produces the bytes into a bounded channel while
//! this thread drives the request, so nothing is buffered whole and no
//! temporary file is made. With base images on a graph-driver engine, the
//! layers whose chain a base holds go in as placeholders (imgutil's
//! incremental load: the destination learns each layer's digest, the
//! tar-assembly component says which to leave out, and they are put as
//! [`crate::model::destination::Moved::Omitted`]); when the engine refuses
//! them, the sequence runs again with every layer: written once, here. The
//! engine must then show every image sent, by its ID.
//!
//! Must not: decide which layers to leave out, or whether the engine takes
//! placeholders at all (the tar-assembly component does, from the chains
//! and the image store read here), or how the archive is laid out.

use super::Error;
use super::build::Operations;
use super::planner::Planner;
use crate::docker::Error as DockerError;
use crate::docker::{Engine, LoadReport};
use crate::model::{ArchiveFormat, Digest, ImageStore, Progress};
use crate::store::sink::{ArchiveStream, Omitting};
use bytes::Bytes;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The engine as a destination of images.
pub(super) struct EngineLoad<'a> {
    ops: &'a Operations<'a>,
    runtime: &'a tokio::runtime::Runtime,
    engine: &'a Engine,
    /// The layer chains the engine holds that a load may leave out.
    chains: Vec<Vec<Digest>>,
}

/// The engine as the one sequence writes into it: a `docker`-format
/// archive streamed into a load request.
pub(super) type EngineStream<'s> = ArchiveStream<'s, 's, &'s mut ChannelWriter>;

/// What a load did.
pub(super) struct Loaded<T> {
    /// What the sequence gave.
    pub(super) written: T,
    /// What the engine reported.
    pub(super) report: LoadReport,
    /// Layer bytes not sent because the engine had them.
    pub(super) bytes_skipped: u64,
}

impl<'a> EngineLoad<'a> {
    /// The engine, leaving out the layers the images `base` hold (none
    /// when the engine keeps containerd's image store).
    pub(super) fn new(
        ops: &'a Operations<'a>,
        runtime: &'a tokio::runtime::Runtime,
        engine: &'a Engine,
        base: &[String],
    ) -> Result<Self, Error> {
        let chains = base_chains(ops, runtime, engine, base)?;
        Ok(Self {
            ops,
            runtime,
            engine,
            chains,
        })
    }

    /// Whether a load may leave layers out.
    pub(super) fn incremental(&self) -> bool {
        !self.chains.is_empty()
    }

    /// Whether a load would leave out any layer of an image of these
    /// `diff_ids` (the tar-assembly component decides, as the destination
    /// asks it again when it writes).
    pub(super) fn omits_any(&self, diff_ids: &[Digest]) -> Result<bool, Error> {
        if !self.incremental() {
            return Ok(false);
        }
        let omit = self
            .ops
            .tar_assembly
            .layers_to_omit(diff_ids, &self.chains)?;
        Ok(omit.contains(&true))
    }

    /// Loads the archive file at `path` as it is (checked already), which
    /// must hold the images `expected` (their config digests).
    pub(super) fn load_file(&self, path: &Path, expected: &[Digest]) -> Result<LoadReport, Error> {
        let report = stream_file(self.runtime, self.engine, path, self.ops.progress)?;
        check_loaded(self.runtime, self.engine, &report, expected)?;
        Ok(report)
    }

    /// Loads what `sequence` writes into the engine and commits, which
    /// gives the IDs (config digests) of the images it sent. Placeholders
    /// the engine refuses are sent again in full (logged): `sequence` runs
    /// again with every layer.
    pub(super) fn load<T: Send>(
        &self,
        sequence: impl Fn(EngineStream<'_>) -> Result<(T, Vec<Digest>), Error> + Sync,
    ) -> Result<Loaded<T>, Error> {
        let planner = Planner(self.ops.tar_assembly);
        let send = |chains: &[Vec<Digest>], omitted: &AtomicU64| {
            stream_into_engine(self.runtime, self.engine, |out| {
                let into = ArchiveStream::new(
                    out,
                    ArchiveFormat::Docker,
                    &planner,
                    "cannot stream to the engine",
                )
                .omitting(Omitting { chains, omitted });
                sequence(into)
            })
        };
        let omitted = AtomicU64::new(0);
        let ((written, ids), report) = match send(&self.chains, &omitted) {
            Err(Error::Docker(DockerError::LoadRefused { message }))
                if omitted.load(Ordering::Relaxed) > 0 =>
            {
                tracing::warn!(%message, "the engine refused the placeholder layers; loading every layer");
                omitted.store(0, Ordering::Relaxed);
                send(&[], &omitted)?
            }
            other => other?,
        };
        check_loaded(self.runtime, self.engine, &report, &ids)?;
        Ok(Loaded {
            written,
            report,
            bytes_skipped: omitted.into_inner(),
        })
    }
}

/// Pieces in flight between the producer and the request.
const IN_FLIGHT: usize = 8;

/// Size of the pieces a file is streamed in.
const PIECE: usize = 1 << 20;

/// The producer's end of the request body.
pub(super) struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
}

impl ChannelWriter {
    /// Sends a piece the producer owns, without copying it.
    fn send_owned(&mut self, piece: Vec<u8>) -> std::io::Result<()> {
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
fn stream_into_engine<T: Send>(
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

/// Streams the file at `path` into one load request, as it is.
fn stream_file(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    path: &Path,
    progress: &dyn Progress,
) -> Result<LoadReport, Error> {
    let what = format!("cannot read {}", path.display());
    let mut file =
        crate::store::files::open_input(path, "an image archive").map_err(Error::output(&what))?;
    let total = file.metadata().ok().map(|m| m.len());
    progress.start("load", total);
    let (_, report) = stream_into_engine(runtime, engine, move |out| {
        loop {
            let mut piece = vec![0u8; PIECE];
            let n = match file.read(&mut piece) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::output(&what)(e)),
            };
            piece.truncate(n);
            progress.advance(n as u64);
            out.send_owned(piece)
                .map_err(Error::output("cannot stream to the engine"))?;
        }
    })?;
    progress.finish();
    Ok(report)
}

/// The diff IDs of each `base` image, bottom layer first: the layer chains
/// the engine holds, which an incremental load may leave out. Empty when
/// there is no base, or when the tar-assembly component says the engine's
/// image store takes no placeholders. Each name goes through the tagging
/// component before the engine sees it.
fn base_chains(
    ops: &Operations<'_>,
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    base: &[String],
) -> Result<Vec<Vec<Digest>>, Error> {
    if base.is_empty() {
        return Ok(Vec::new());
    }
    let store = match runtime.block_on(engine.uses_containerd_store())? {
        true => ImageStore::Containerd,
        false => ImageStore::GraphDriver,
    };
    if !ops.tar_assembly.omits_layers(store)? {
        tracing::info!(
            ?store,
            "the engine's image store takes no placeholders: sending every layer"
        );
        return Ok(Vec::new());
    }
    let mut chains = Vec::with_capacity(base.len());
    for image in base {
        let reference = ops.tagging.parse_any_reference(image)?;
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
fn check_loaded(
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
