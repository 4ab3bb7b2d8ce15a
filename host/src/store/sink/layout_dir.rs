//! An OCI image layout directory (`image build --oci-layout DIR`): built in
//! a private directory beside the target and renamed into place when
//! complete. Each layer is hashed into its own temporary file, several at
//! once, and then renamed to where the planner puts a blob of its digest.

use super::blobs::Blobs;
use super::{ArchivePlanner, Counted, Error, ImageSink, PutLayer, in_parallel, ordinal, task};
use crate::model::{ArchiveFormat, ArchiveImage, BlobPlacement, Digest, Progress};
use crate::store::atomic::parent_dir;
use crate::store::hashing::HashingWriter;
use crate::store::plan::{LayerSource, write_plan};
use crate::store::tar::name::relative_path;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A layout directory being written.
pub struct LayoutDir<'p> {
    target: PathBuf,
    staging: tempfile::TempDir,
    _registered: crate::store::cleanup::Registered,
    blobs: Blobs<'p>,
    what: String,
}

impl<'p> LayoutDir<'p> {
    /// Starts writing the layout `target`, which must not exist or be an
    /// empty directory.
    pub fn create(target: &Path, planner: &'p dyn ArchivePlanner) -> Result<Self, Error> {
        let what = format!("cannot write {}", target.display());
        crate::store::atomic::check_new_dir(target).map_err(Error::output(&what))?;
        let (staging, registered) = crate::store::cleanup::create(
            || {
                tempfile::Builder::new()
                    .prefix(".ocipipe-layout-")
                    .tempdir_in(parent_dir(target))
            },
            |dir| dir.path(),
        )
        .map_err(Error::output(&what))?;
        Ok(Self {
            target: target.to_path_buf(),
            staging,
            _registered: registered,
            blobs: Blobs::new(ArchiveFormat::OciLayout, planner),
            what,
        })
    }

    /// Where a planned path goes inside the staging directory; a path that
    /// would leave it breaks the planner's contract.
    fn inside(&self, path: &str) -> Result<PathBuf, Error> {
        let relative = relative_path(path).ok_or_else(|| {
            Error::Contract(format!(
                "it placed a file at {path:?}, which is not a normal path inside the layout"
            ))
        })?;
        Ok(self.staging.path().join(relative))
    }

    /// Creates the file `path` (and its parents) in the staging directory.
    fn create_file(&self, path: &Path) -> Result<std::fs::File, Error> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::output(&self.what))?;
        }
        std::fs::File::create(path).map_err(Error::output(&self.what))
    }
}

/// Hashes every layer into its own temporary file in `dir`, several at
/// once; the files, digests and sizes in layer order.
fn hash_into_files(
    dir: &Path,
    layers: &[LayerSource],
    progress: &dyn Progress,
    what: &str,
) -> Result<Vec<(tempfile::NamedTempFile, Digest, u64)>, Error> {
    in_parallel(layers.len(), |i| {
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(Error::output(what))?;
        let known = layers[i].known_size()?;
        let mut hashing = HashingWriter::new(Counted::new(tmp, progress));
        layers[i]
            .stream(&mut hashing, known)
            .map_err(Error::naming_output(what))?;
        let (digest, size, counted) = hashing.finish().map_err(Error::output(what))?;
        Ok((counted.into_inner(), digest, size))
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
        let hashed = hash_into_files(self.staging.path(), layers, progress, &self.what);
        progress.finish();
        let first = self.blobs.take_ordinals(layers.len());
        let mut put = Vec::with_capacity(layers.len());
        for (i, (tmp, digest, size)) in hashed?.into_iter().enumerate() {
            match self.blobs.place(Some(&digest), ordinal(first + i), size)? {
                BlobPlacement::Stored(_) => self.blobs.remember(&digest, &layers[i], size),
                BlobPlacement::Write(head) => {
                    if !head.header.is_empty() || head.padding != 0 {
                        return Err(Error::Contract(
                            "blob-entry gave a layout blob a tar header or padding".into(),
                        ));
                    }
                    let path = self.inside(&head.path)?;
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent).map_err(Error::output(&self.what))?;
                    }
                    tmp.persist(&path).map_err(|e| Error::Output {
                        what: self.what.clone(),
                        source: e.error,
                    })?;
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
            let path = self.inside(&file.path)?;
            let mut out = std::io::BufWriter::new(self.create_file(&path)?);
            write_plan(&file.contents, self.blobs.sources(), &mut out)
                .map_err(Error::naming_output(&self.what))?;
            out.flush().map_err(Error::output(&self.what))?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), Error> {
        let Self {
            target,
            staging,
            what,
            ..
        } = *self;
        // Renaming onto an empty directory replaces it; a directory that
        // another run filled meanwhile is left as it is.
        std::fs::rename(staging.path(), &target).map_err(|source| {
            let source = match crate::store::atomic::taken_meanwhile(&source) {
                true => std::io::Error::new(
                    source.kind(),
                    "something else made it while this build ran; it was left as it is \
                     (name a new or empty directory)",
                ),
                false => source,
            };
            Error::Output { what, source }
        })?;
        let _renamed = staging.keep();
        Ok(())
    }
}
