//! The tar places an image can go, each a
//! [`crate::model::destination::Destination`]: an archive file and an
//! archive stream (a pipe, or the body of an engine load: the engine as a
//! destination is `pipeline::engine_stream`). An OCI layout directory is
//! [`super::layout_writer`]'s, for builds and copies alike; a registry is
//! written by `registry`, which `store` never imports. They store layers uncompressed, take each
//! image's layers together ([`Destination::put_layers`]: in order, several
//! at once where the output allows it) and its documents whole
//! ([`Destination::put_image`]), and write the rest of the plan at the
//! commit (the output appears atomically, or not at all).
//!
//! Owns: writing a blob entry (head, bytes hashed on the way, padding),
//! rewriting a placeholder head once the digest is known, learning a
//! layer's size or digest when an output needs it first, writing layers in
//! parallel where the output allows it, and committing atomically.
//!
//! Must not: decide a name, a head, an archive's layout, whether a blob is a
//! duplicate or which layers the engine holds — the tar-assembly
//! component decides through [`ArchivePlanner`] — or import `runtime`,
//! `docker` or `registry` code.

mod archive_file;
mod archive_stream;
mod blobs;

pub use archive_file::ArchiveFile;
pub use archive_stream::{ArchiveStream, Omitting};

pub(crate) use crate::model::destination::in_parallel;
/// For the other place that keeps layer tars, a build's layout.
pub(crate) use blobs::{expected, make};

use super::plan;
use crate::hashing::HashingWriter;
use crate::model::destination::{Destination, Expected, Layer, MakeBlob, OpenBlob, PutLayer};
use crate::model::{
    ArchiveFormat, ArchiveImage, BlobPlacement, Descriptor, Digest, LayerCompression, Progress,
    Segment, WrittenBlob,
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

    /// Which of an image's layers (their `diff_ids`, bottom first) a load
    /// leaves out as placeholders, given the layer chains of the images
    /// the engine holds (`bases`): one flag per layer (see
    /// `layers-to-omit` in `wit/tar-assembly.wit`).
    fn layers_to_omit(
        &self,
        diff_ids: &[Digest],
        bases: &[Vec<Digest>],
    ) -> Result<Vec<bool>, PlannerError>;
}

/// The archive place `target` resolved to (see
/// [`crate::store::atomic::Target`]): a regular file written beside and
/// renamed ([`ArchiveFile`]), anything else streamed into
/// ([`ArchiveStream`]).
pub enum Archive<'p> {
    /// A regular file, renamed over at the commit.
    File(ArchiveFile<'p>),
    /// Anything else, written into.
    Stream(ArchiveStream<'p, 'p, std::fs::File>),
}

impl<'p> Archive<'p> {
    /// The archive at `target` in `format`; `named` is the target as
    /// given, for errors.
    pub fn at(
        target: crate::store::atomic::Target,
        named: &std::path::Path,
        format: ArchiveFormat,
        planner: &'p dyn ArchivePlanner,
    ) -> Result<Self, Error> {
        use crate::store::atomic::Target;
        Ok(match target {
            Target::Replace(file) => Archive::File(ArchiveFile::create(&file, format, planner)?),
            Target::Into(file) => Archive::Stream(ArchiveStream::new(
                file,
                format,
                planner,
                format!("cannot write {}", named.display()),
            )),
        })
    }
}

/// `$call` on whichever archive `$archive` is.
macro_rules! either {
    ($archive:expr, $a:ident => $call:expr) => {
        match $archive {
            Archive::File($a) => $call,
            Archive::Stream($a) => $call,
        }
    };
}

impl Destination for Archive<'_> {
    type Error = Error;

    fn find_blob(&self, blob: &Descriptor) -> Result<crate::model::destination::Found, Error> {
        either!(self, a => a.find_blob(blob))
    }

    fn put_blob(&self, blob: &Descriptor, open: &OpenBlob) -> Result<(), Error> {
        either!(self, a => a.put_blob(blob, open))
    }

    fn put_made(&self, make: &MakeBlob<'_>) -> Result<(Digest, u64), Error> {
        either!(self, a => a.put_made(make))
    }

    fn put_manifest(&self, manifest: &crate::model::Document) -> Result<(), Error> {
        either!(self, a => a.put_manifest(manifest))
    }

    fn commit(self, root: &Descriptor, tag: Option<&str>) -> Result<(), Error> {
        either!(self, a => a.commit(root, tag))
    }

    fn layer_compression(&self, wanted: LayerCompression) -> LayerCompression {
        either!(self, a => a.layer_compression(wanted))
    }

    fn put_layers(&self, layers: &[Layer<'_>]) -> Result<Vec<PutLayer>, Error> {
        either!(self, a => a.put_layers(layers))
    }

    fn put_image(&self, image: &ArchiveImage) -> Result<u64, Error> {
        either!(self, a => a.put_image(image))
    }
}

/// A loose known blob in a tar place: a layer of its own.
fn put_loose_blob<D: Destination<Error = Error>>(
    destination: &D,
    blob: &Descriptor,
    open: &OpenBlob,
) -> Result<(), Error> {
    let size = blob.size;
    let layer = Layer::Made {
        expected: Expected {
            size: Some(size),
            digest: Some(blob.digest.clone()),
        },
        make: Box::new(move |out: &mut dyn Write| {
            let mut hashing = HashingWriter::new(out);
            hashing.copy_exact(&mut open()?, size, true)?;
            let (digest, size, _) = hashing.finish()?;
            Ok((digest, size))
        }),
    };
    destination
        .put_layers(std::slice::from_ref(&layer))
        .map(drop)
}

/// A loose made blob in a tar place: a layer of its own, hashed here.
fn put_loose_made<D: Destination<Error = Error>>(
    destination: &D,
    make: &MakeBlob<'_>,
) -> Result<(Digest, u64), Error> {
    let layer = Layer::Made {
        expected: Expected::default(),
        make: Box::new(|out: &mut dyn Write| {
            let mut hashing = HashingWriter::new(out);
            make(&mut hashing)?;
            let (digest, size, _) = hashing.finish()?;
            Ok((digest, size))
        }),
    };
    let put = destination.put_layers(std::slice::from_ref(&layer))?;
    let put = put.first().expect("one layer put");
    Ok((put.digest.clone(), put.size))
}

/// A tar place names images: a manifest comes with its config, layers and
/// names ([`Destination::put_image`]).
fn names_images() -> Error {
    Error::Contract(
        "an archive names images: a manifest goes in with its config and layers (put-image)".into(),
    )
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

/// A writer or a reader that reports what passes through it as progress.
pub struct Counted<'p, W> {
    inner: W,
    progress: &'p dyn Progress,
}

impl<'p, W> Counted<'p, W> {
    /// Counts what is written to or read from `inner` into `progress`.
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

impl<R: io::Read> io::Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
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
