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
//! left as it is. A [`Destination`] that lays images out as the
//! tar-assembly component plans (`plan-layout`), layers uncompressed.

use super::blobs::{self, Blobs, made_error, same_layer};
use super::{ArchivePlanner, Error, in_parallel, ordinal};
use crate::model::destination::{Destination, Found, Layer, MakeBlob, Moved, OpenBlob, PutLayer};
use crate::model::{
    ArchiveFormat, ArchiveImage, BlobPlacement, Descriptor, Digest, Document, LayerCompression,
    Segment,
};
use crate::store::layout_writer::{self, LayoutWriter, OCI_LAYOUT, StagedFile};
use crate::store::plan::{Blob, write_plan};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// A layout directory being written.
pub struct LayoutDir<'p> {
    writer: LayoutWriter,
    blobs: Mutex<Blobs<'p>>,
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
            blobs: Mutex::new(Blobs::new(ArchiveFormat::OciLayout, planner)),
            what,
        })
    }

    /// Writes the planned file at `path` (a blob, named by its digest, or
    /// the `oci-layout` marker) from `contents`; `index.json` is given
    /// back, for the commit.
    fn put_file(
        &self,
        path: &str,
        contents: &[Segment],
        documents: &HashMap<Digest, (Blob, u64)>,
    ) -> Result<Option<Vec<u8>>, Error> {
        let mut bytes = Vec::new();
        write_plan(contents, documents, &mut bytes).map_err(Error::naming_output(&self.what))?;
        match path {
            "index.json" => return Ok(Some(bytes)),
            "oci-layout" if bytes == OCI_LAYOUT => {}
            _ => {
                let digest = planned_blob(path)?;
                self.writer
                    .put_bytes(&digest, &bytes)
                    .map_err(naming(&self.what))?;
            }
        }
        Ok(None)
    }

    /// The layer `digest`, hashed into `staged`, kept where the planner
    /// puts it; dropped when it is a duplicate.
    fn keep(
        &self,
        blobs: &mut Blobs<'_>,
        at: usize,
        staged: StagedFile,
        digest: &Digest,
        size: u64,
    ) -> Result<Moved, Error> {
        match blobs.place(Some(digest), ordinal(at), size)? {
            // The same layer twice: the staged copy goes.
            BlobPlacement::Stored(_) => Ok(Moved::Skipped(size)),
            BlobPlacement::Write(head) => {
                if !head.header.is_empty() || head.padding != 0 {
                    return Err(Error::Contract(
                        "blob-entry gave a layout blob a tar header or padding".into(),
                    ));
                }
                if planned_blob(&head.path)? != *digest {
                    return Err(Error::Contract(format!(
                        "blob-entry placed layer {digest} at {:?}, another blob's path",
                        head.path
                    )));
                }
                self.writer
                    .keep_hashed(staged, digest)
                    .map_err(naming(&self.what))?;
                blobs.wrote(digest.clone(), head.path);
                Ok(Moved::Sent(size))
            }
        }
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

/// Makes every layer into its own staged blob file of `writer`, several
/// at once; the files, digests and sizes in layer order.
fn hash_into_files(
    writer: &LayoutWriter,
    layers: &[Layer<'_>],
    what: &str,
) -> Result<Vec<(StagedFile, Digest, u64)>, Error> {
    in_parallel(layers.len(), |i| {
        let mut staged = writer.staged_file().map_err(naming(what))?;
        let made = blobs::make(&layers[i], staged.file()).map_err(made_error(what))?;
        same_layer(i, &blobs::expected(&layers[i]), &made)?;
        Ok((staged, made.0, made.1))
    })
}

impl Destination for LayoutDir<'_> {
    type Error = Error;

    /// Nothing is in a new layout but what was put.
    fn find_blob(&self, _: &Descriptor) -> Result<Found, Error> {
        Ok(Found::Absent)
    }

    fn put_blob(&self, blob: &Descriptor, open: &OpenBlob) -> Result<(), Error> {
        super::put_loose_blob(self, blob, open)
    }

    fn put_made(&self, make: &MakeBlob<'_>) -> Result<(Digest, u64), Error> {
        super::put_loose_made(self, make)
    }

    fn put_manifest(&self, _: &Document) -> Result<(), Error> {
        Err(super::names_images())
    }

    fn commit(self, _: &Descriptor, _: Option<&str>) -> Result<(), Error> {
        let blobs = self.blobs.lock().expect("not poisoned");
        let files = blobs
            .planner
            .plan_layout(&blobs.images, &blobs.written)
            .map_err(Error::Planner)?;
        let documents = blobs.documents();
        let mut index = None;
        for file in files {
            index = self
                .put_file(&file.path, &file.contents, &documents)?
                .or(index);
        }
        drop(blobs);
        let index = index
            .ok_or_else(|| Error::Contract("plan-layout gave the layout no index.json".into()))?;
        let what = self.what;
        self.writer.finish(|existing| match existing {
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

    fn layer_compression(&self, _: LayerCompression) -> LayerCompression {
        LayerCompression::None
    }

    fn put_layers(&self, layers: &[Layer<'_>]) -> Result<Vec<PutLayer>, Error> {
        let hashed = hash_into_files(&self.writer, layers, &self.what)?;
        let mut blobs = self.blobs.lock().expect("not poisoned");
        let first = blobs.take_ordinals(layers.len());
        let mut put = Vec::with_capacity(layers.len());
        for (i, (staged, digest, size)) in hashed.into_iter().enumerate() {
            let moved = self.keep(&mut blobs, first + i, staged, &digest, size)?;
            put.push(blobs::put(digest, size, moved));
        }
        Ok(put)
    }

    fn put_image(&self, image: &ArchiveImage) -> Result<u64, Error> {
        let mut blobs = self.blobs.lock().expect("not poisoned");
        blobs.images.push(image.clone());
        Ok(0)
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
