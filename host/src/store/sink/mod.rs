//! Image outputs ("sinks") on disk and in streams: an archive file, an
//! archive stream (a pipe, or the body of an engine load: the engine as a
//! destination is `pipeline::engine_stream`'s `EngineLoad`), and an OCI
//! layout directory made by a build (over [`super::layout_writer`], the
//! one layout writer, which copies use directly as a
//! [`crate::model::destination::Destination`]). A registry is written by
//! `registry`, which `store` never imports. Every output is driven by one
//! sequence, [`write_images`]: put the layers (each blob once; known ones
//! left out where the receiver holds them), put the image (its documents
//! and whatever else the format holds), finish (the output appears
//! atomically, or not at all).
//!
//! Owns: writing a blob entry (head, bytes hashed on the way, padding),
//! rewriting a placeholder head once the digest is known, measuring layers
//! when an output needs digests first, writing layers in parallel where the
//! output allows it, and committing atomically.
//!
//! Must not: decide a name, a head, a layout or whether a blob is a
//! duplicate — the tar-assembly component decides through
//! [`ArchivePlanner`] — or import `runtime`, `docker` or `registry` code.

mod archive_file;
mod archive_stream;
mod blobs;
mod layout_dir;

pub use archive_file::ArchiveFile;
pub use archive_stream::{ArchiveStream, KnownLayer};
pub use blobs::measure_all;
pub use layout_dir::LayoutDir;

use super::plan::{self, LayerSource};
use crate::model::{
    ArchiveFormat, ArchiveImage, BlobPlacement, Digest, LayoutFile, Progress, Segment, WrittenBlob,
};
use std::io::{self, Write};

/// An error of a planner (a component), passed through with its message.
pub type PlannerError = Box<dyn std::error::Error + Send + Sync>;

/// The decisions an output needs, made by the tar-assembly component. The
/// pipeline implements this over the runtime; `store` never imports it.
pub trait ArchivePlanner: Sync {
    /// Where the `ordinal`-th layer, of `size` bytes, goes, given what is
    /// already `written` (see `blob-entry` in `wit/tar-assembly.wit`).
    fn blob_entry(
        &self,
        format: ArchiveFormat,
        digest: Option<&Digest>,
        ordinal: u32,
        size: u64,
        written: &[WrittenBlob],
    ) -> Result<BlobPlacement, PlannerError>;

    /// Everything of a tar archive but the `written` blobs.
    fn plan_archive(
        &self,
        format: ArchiveFormat,
        images: &[ArchiveImage],
        written: &[WrittenBlob],
    ) -> Result<Vec<Segment>, PlannerError>;

    /// The files of a layout but the `written` blobs.
    fn plan_layout(
        &self,
        images: &[ArchiveImage],
        written: &[WrittenBlob],
    ) -> Result<Vec<LayoutFile>, PlannerError>;
}

/// An image output.
pub trait ImageSink {
    /// Streams layers in, each blob once; returns each layer's digest and
    /// size, in order. Outputs that can write several layers at once do.
    /// Called once per image; layers are numbered across the calls.
    fn put_layers(
        &mut self,
        layers: &[LayerSource],
        progress: &dyn Progress,
    ) -> Result<Vec<PutLayer>, Error>;

    /// Writes the images' documents (configs, manifests) and whatever else
    /// the output holds (`manifest.json`, `index.json`, `oci-layout`), once
    /// every layer is in.
    fn put_images(&mut self, images: &[ArchiveImage]) -> Result<(), Error>;

    /// Makes the output appear, atomically; dropping a sink without
    /// finishing it leaves nothing behind.
    fn finish(self: Box<Self>) -> Result<(), Error>;

    /// The digests and sizes of the layers the next `put_layers` gets,
    /// known beforehand, and which of them the receiver already holds
    /// (left out). Only an output that can leave layers out takes them.
    fn know(&mut self, known: Vec<KnownLayer>) -> Result<(), Error> {
        let _ = known;
        Err(Error::Contract(
            "this output cannot leave out layers its receiver holds".into(),
        ))
    }
}

/// One image's layers, for [`write_images`].
pub struct ImageLayers<'a> {
    /// Where each layer's bytes come from, bottom first.
    pub layers: &'a [LayerSource],
    /// Their digests and sizes when known beforehand, and which of them
    /// the receiver holds (see [`ImageSink::know`]).
    pub known: Option<Vec<KnownLayer>>,
}

/// The one sequence every image output is written in: each image's layers
/// (each blob once), then its documents, which `documents` makes (the
/// `i`-th image's, from what the output took of its layers), then the
/// commit. The output appears whole or not at all: dropped on an error,
/// `sink` leaves nothing behind. Returns each image with its layers.
pub fn write_images<E: From<Error>>(
    mut sink: Box<dyn ImageSink + '_>,
    images: Vec<ImageLayers<'_>>,
    progress: &dyn Progress,
    mut documents: impl FnMut(usize, &[PutLayer]) -> Result<ArchiveImage, E>,
) -> Result<Vec<(ArchiveImage, Vec<PutLayer>)>, E> {
    let mut written = Vec::with_capacity(images.len());
    for (i, image) in images.into_iter().enumerate() {
        if let Some(known) = image.known {
            sink.know(known)?;
        }
        let put = sink.put_layers(image.layers, progress)?;
        written.push((documents(i, &put)?, put));
    }
    let all: Vec<ArchiveImage> = written.iter().map(|(image, _)| image.clone()).collect();
    sink.put_images(&all)?;
    sink.finish()?;
    Ok(written)
}

/// The archive output `target` resolved to (see
/// [`crate::store::atomic::Target`]): a regular file written beside and
/// renamed ([`ArchiveFile`]), anything else streamed into
/// ([`ArchiveStream`]). `named` is the target as given, for errors.
pub fn archive_at<'p>(
    target: crate::store::atomic::Target,
    named: &std::path::Path,
    format: ArchiveFormat,
    planner: &'p dyn ArchivePlanner,
) -> Result<Box<dyn ImageSink + 'p>, Error> {
    use crate::store::atomic::Target;
    Ok(match target {
        Target::Replace(file) => Box::new(ArchiveFile::create(&file, format, planner)?),
        Target::Into(file) => Box::new(ArchiveStream::new(
            file,
            format,
            planner,
            format!("cannot write {}", named.display()),
        )),
    })
}

/// A layer as an output took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutLayer {
    /// Its digest (the diff ID: layers are stored uncompressed).
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Not sent: the receiver already had it (an incremental load).
    pub skipped: bool,
}

/// Failures writing an output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The component that plans the output failed or refused.
    #[error(transparent)]
    Planner(PlannerError),
    /// The component's plan broke the contract of its world.
    #[error("the tar-assembly component broke its contract: {0}")]
    Contract(String),
    /// Reading a layer or writing a planned segment failed.
    #[error(transparent)]
    Plan(plan::Error),
    /// A layer's bytes hashed differently the second time they were read.
    #[error(
        "layer {ordinal} changed while it was read: it hashed to {first}, then to {second}; \
         keep its files still while building"
    )]
    Changed {
        /// Which layer, counting from 1.
        ordinal: usize,
        /// The first digest.
        first: Digest,
        /// The second.
        second: Digest,
    },
    /// Writing the output failed.
    #[error("{what}: {source}")]
    Output {
        /// What was being written.
        what: String,
        /// The I/O error.
        source: io::Error,
    },
}

impl From<plan::Error> for Error {
    fn from(e: plan::Error) -> Self {
        Error::Plan(e)
    }
}

impl Error {
    /// `e` with a failure to write the output named as `what`, not as
    /// the plan's anonymous output.
    pub(crate) fn naming_output(what: &str) -> impl FnOnce(plan::Error) -> Error {
        let what = what.to_string();
        move |e| match e {
            plan::Error::Write { source } => Error::Output { what, source },
            other => Error::Plan(other),
        }
    }

    pub(crate) fn output(what: impl std::fmt::Display) -> impl FnOnce(io::Error) -> Error {
        let what = what.to_string();
        move |source| Error::Output { what, source }
    }
}

/// A writer that reports what passes through it as progress.
pub struct Counted<'p, W> {
    inner: W,
    progress: &'p dyn Progress,
}

impl<'p, W: Write> Counted<'p, W> {
    /// Counts what is written to `inner` into `progress`.
    pub fn new(inner: W, progress: &'p dyn Progress) -> Self {
        Self { inner, progress }
    }

    /// The writer inside.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(data)?;
        self.progress.advance(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Layers worked on at once at most: hashing runs at ≈1.8 GB/s per core,
/// so one stream cannot keep up with the page cache, but layers are
/// independent.
const MAX_WORKERS: usize = 4;

/// `work(i)` for every `i < count` on up to [`MAX_WORKERS`] threads (no more
/// than the machine has cores); the results in order.
pub(crate) fn in_parallel<T: Send, E: Send>(
    count: usize,
    work: impl Fn(usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    type Slot<T, E> = Mutex<Option<Result<T, E>>>;
    let next = AtomicUsize::new(0);
    let results: Vec<Slot<T, E>> = (0..count).map(|_| Mutex::new(None)).collect();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, MAX_WORKERS)
        .min(count);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let result = work(i);
                    *results[i].lock().expect("not poisoned") = Some(result);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .expect("not poisoned")
                .expect("every item ran")
        })
        .collect()
}

/// `layer 2/4`, for progress.
fn task(verb: &str, ordinal: usize, of: usize) -> String {
    format!("{verb} {}/{of}", ordinal + 1)
}

/// A layer index as the WIT's `u32` ordinal.
fn ordinal(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

#[cfg(test)]
pub(crate) mod test_planner;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod conformance;
