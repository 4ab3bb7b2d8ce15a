//! An image build into an OCI image layout directory (`image build
//! --oci-layout DIR`), through the one layout writer
//! ([`crate::store::layout_writer`], which copies use too): a new layout
//! is staged beside the target and renamed into place when complete; every
//! temporary file is removed on a failure or an interrupt. Each layer is
//! hashed into its own temporary blob file, several at once, and kept
//! under the name the planner gives a blob of its digest.
//!
//! A build makes a new layout: the target must not exist or be an empty
//! directory, and a layout that something else made there meanwhile is
//! left as it is.

use super::blobs::Blobs;
use super::{ArchivePlanner, Counted, Error, ImageSink, PutLayer, in_parallel, ordinal, task};
use crate::hashing::HashingWriter;
use crate::model::{ArchiveFormat, ArchiveImage, BlobPlacement, Digest, Progress, Segment};
use crate::store::layout_writer::{self, LayoutWriter, OCI_LAYOUT, StagedFile};
use crate::store::plan::{LayerSource, write_plan};
use std::path::Path;

/// A layout directory being written.
pub struct LayoutDir<'p> {
    writer: LayoutWriter,
    blobs: Blobs<'p>,
    /// The planned `index.json`, once the images are in.
    index: Option<Vec<u8>>,
    what: String,
}

impl<'p> LayoutDir<'p> {
    /// Starts writing the layout `target`, which must not exist or be an
    /// empty directory.
    pub fn create(target: &Path, planner: &'p dyn ArchivePlanner) -> Result<Self, Error> {
        let what = format!("cannot write {}", target.display());
        crate::store::atomic::check_new_dir(target).map_err(Error::output(&what))?;
        let writer = LayoutWriter::open(target).map_err(naming(&what))?;
        Ok(Self {
            writer,
            blobs: Blobs::new(ArchiveFormat::OciLayout, planner),
            index: None,
            what,
        })
    }

    /// Writes the planned file at `path` (a blob, named by its digest, or
    /// the `oci-layout` marker) from `contents`; keeps `index.json` for
    /// [`ImageSink::finish`].
    fn put_file(&mut self, path: &str, contents: &[Segment]) -> Result<(), Error> {
        let mut bytes = Vec::new();
        write_plan(contents, self.blobs.sources(), &mut bytes)
            .map_err(Error::naming_output(&self.what))?;
        match path {
            "index.json" => self.index = Some(bytes),
            "oci-layout" if bytes == OCI_LAYOUT => {}
            _ => {
                let digest = planned_blob(path)?;
                self.writer
                    .put_bytes(&digest, &bytes)
                    .map_err(naming(&self.what))?;
            }
        }
        Ok(())
    }
}

/// The digest a planned layout path names: `blobs/ALGORITHM/ENCODED`,
/// where the layout writer keeps that blob, or the plan breaks the
/// planner's contract.
fn planned_blob(path: &str) -> Result<Digest, Error> {
    path.strip_prefix("blobs/")
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(algorithm, encoded)| format!("{algorithm}:{encoded}").parse::<Digest>().ok())
        .filter(|digest| layout_writer::relative_blob_path(digest) == Path::new(path))
        .ok_or_else(|| {
            Error::Contract(format!(
                "it placed a file at {path:?}, which is not a blob, index.json or oci-layout \
                 of a layout"
            ))
        })
}

/// A layout writer's failure as this output's: named as `what` (the
/// target, not the staging directory beside it).
fn naming(what: &str) -> impl Fn(layout_writer::Error) -> Error + '_ {
    move |e| match e {
        layout_writer::Error::Io { source, .. } => Error::Output {
            what: what.to_string(),
            source,
        },
        other => Error::Output {
            what: what.to_string(),
            source: std::io::Error::other(other.to_string()),
        },
    }
}

/// Hashes every layer into its own staged blob file of `writer`, several
/// at once; the files, digests and sizes in layer order.
fn hash_into_files(
    writer: &LayoutWriter,
    layers: &[LayerSource],
    progress: &dyn Progress,
    what: &str,
) -> Result<Vec<(StagedFile, Digest, u64)>, Error> {
    in_parallel(layers.len(), |i| {
        let mut staged = writer.staged_file().map_err(naming(what))?;
        let known = layers[i].known_size()?;
        let mut hashing = HashingWriter::new(Counted::new(staged.file(), progress));
        layers[i]
            .stream(&mut hashing, known)
            .map_err(Error::naming_output(what))?;
        let (digest, size, _) = hashing.finish().map_err(Error::output(what))?;
        Ok((staged, digest, size))
    })
}

impl ImageSink for LayoutDir<'_> {
    fn put_layers(
        &mut self,
        layers: &[LayerSource],
        progress: &dyn Progress,
    ) -> Result<Vec<PutLayer>, Error> {
        let total = layers
            .iter()
            .map(|l| l.known_size().map(|s| s.unwrap_or(0)))
            .sum::<Result<u64, _>>()?;
        progress.start(&task("layer", layers.len() - 1, layers.len()), Some(total));
        let hashed = hash_into_files(&self.writer, layers, progress, &self.what);
        progress.finish();
        let first = self.blobs.take_ordinals(layers.len());
        let mut put = Vec::with_capacity(layers.len());
        for (i, (staged, digest, size)) in hashed?.into_iter().enumerate() {
            match self.blobs.place(Some(&digest), ordinal(first + i), size)? {
                // The same layer twice: the staged copy goes.
                BlobPlacement::Stored(_) => self.blobs.remember(&digest, &layers[i], size),
                BlobPlacement::Write(head) => {
                    if !head.header.is_empty() || head.padding != 0 {
                        return Err(Error::Contract(
                            "blob-entry gave a layout blob a tar header or padding".into(),
                        ));
                    }
                    if planned_blob(&head.path)? != digest {
                        return Err(Error::Contract(format!(
                            "blob-entry placed layer {digest} at {:?}, another blob's path",
                            head.path
                        )));
                    }
                    self.writer
                        .keep_hashed(staged, &digest)
                        .map_err(naming(&self.what))?;
                    self.blobs
                        .wrote(digest.clone(), head.path, &layers[i], size);
                }
            }
            put.push(PutLayer {
                digest,
                size,
                skipped: false,
            });
        }
        Ok(put)
    }

    fn put_images(&mut self, images: &[ArchiveImage]) -> Result<(), Error> {
        let files = self
            .blobs
            .planner
            .plan_layout(images, &self.blobs.written)
            .map_err(Error::Planner)?;
        self.blobs.remember_documents(images);
        for file in files {
            self.put_file(&file.path, &file.contents)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), Error> {
        let Self {
            writer,
            index,
            what,
            ..
        } = *self;
        let index = index
            .ok_or_else(|| Error::Contract("plan-layout gave the layout no index.json".into()))?;
        writer.finish(|existing| match existing {
            None => Ok(index.clone()),
            // Another run made a layout there meanwhile: the blobs this
            // build moved in are taken back and its index is left as it is.
            Some(_) => Err(Error::Output {
                what: what.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "something else made it while this build ran; it was left as it is \
                     (name a new or empty directory)",
                ),
            }),
        })
    }
}

impl From<layout_writer::Error> for Error {
    fn from(e: layout_writer::Error) -> Self {
        match e {
            layout_writer::Error::Io { path, source } => Error::Output {
                what: format!("cannot write {}", path.display()),
                source,
            },
            other => Error::Output {
                what: "cannot write the layout".into(),
                source: std::io::Error::other(other.to_string()),
            },
        }
    }
}
