//! A registry repository as a [`Destination`], over
//! [`registry::Repository`]: where `image build --push` (and `plugin
//! build --push`) write. This is the place the registry's own destination
//! plugs in: it replaces [`RepositoryAdapter`] whole, with the mount done
//! by `find_blob`.
//!
//! A blob made while it is sent streams into one `PATCH` of unknown
//! length, closed by `PUT ?digest=` once the digest is known, as `docker
//! push` sends layers; each try makes it again.

use crate::model::destination::{Destination, Found, MakeBlob, OpenBlob};
use crate::model::{Descriptor, Digest, Document};
use crate::registry::{self, Made, Repository, Uploaded};
use crate::store::hashing::HashingWriter;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A registry repository being pushed to.
pub(super) struct RepositoryAdapter<'a> {
    /// The runtime the registry client runs on.
    runtime: &'a tokio::runtime::Runtime,
    repository: Repository,
    /// A repository of the same registry whose blobs may be mounted.
    mount_from: Option<String>,
    /// Bytes of the blobs mounted rather than sent.
    mounted: AtomicU64,
    /// The manifests put, sent at the commit: the root under its tag.
    manifests: Mutex<Vec<Document>>,
}

impl<'a> RepositoryAdapter<'a> {
    /// Pushing to `repository`, mounting from `mount_from` where it can.
    pub(super) fn new(
        runtime: &'a tokio::runtime::Runtime,
        repository: Repository,
        mount_from: Option<&str>,
    ) -> Self {
        Self {
            runtime,
            repository,
            mount_from: mount_from.map(str::to_string),
            mounted: AtomicU64::new(0),
            manifests: Mutex::new(Vec::new()),
        }
    }

    /// Bytes of the blobs mounted so far (reported as put, not sent).
    pub(super) fn mounted(&self) -> u64 {
        self.mounted.load(Ordering::Relaxed)
    }
}

impl Destination for RepositoryAdapter<'_> {
    type Error = registry::Error;

    fn find_blob(&self, blob: &Descriptor) -> Result<Found, registry::Error> {
        Ok(
            match self
                .runtime
                .block_on(self.repository.blob_size(&blob.digest))?
            {
                Some(_) => Found::Present,
                None => Found::Absent,
            },
        )
    }

    fn put_blob(&self, blob: &Descriptor, open: &OpenBlob) -> Result<(), registry::Error> {
        let uploaded = self.runtime.block_on(self.repository.put_blob(
            &blob.digest,
            blob.size,
            self.mount_from.as_deref(),
            open,
        ))?;
        if uploaded == Uploaded::Mounted {
            self.mounted.fetch_add(blob.size, Ordering::Relaxed);
        }
        Ok(())
    }

    fn put_made(&self, make: &MakeBlob<'_>) -> Result<(Digest, u64), registry::Error> {
        type Start = (registry::BlobWriter, tokio::sync::oneshot::Sender<Made>);
        let (start, starts) = std::sync::mpsc::channel::<Start>();
        std::thread::scope(|scope| {
            // The maker: one thread, one try after another.
            scope.spawn(|| {
                for (mut writer, made) in starts {
                    let ended = writer.ended();
                    let hashed = {
                        let mut hashing = HashingWriter::new(&mut writer);
                        make(&mut hashing)
                            .and_then(|()| hashing.finish())
                            .map(|(digest, size, _)| (digest, size))
                    };
                    match hashed.and_then(|made| writer.finish().map(|()| made)) {
                        Ok((digest, size)) => {
                            let _ = made.send(Made::Whole { digest, size });
                        }
                        // The upload stopped: its error is the one to report.
                        Err(_) if ended.load(Ordering::Relaxed) => drop(made),
                        // The maker's own failure, which it keeps to report.
                        Err(_) => {
                            let _ = made.send(Made::Failed);
                        }
                    }
                }
            });
            let uploaded = self.runtime.block_on(self.repository.transport().retrying(
                "upload a blob as it is made",
                || {
                    let (writer, body) = registry::blob_channel();
                    let (made, made_rx) = tokio::sync::oneshot::channel();
                    start
                        .send((writer, made))
                        .expect("the maker runs until told to stop");
                    self.repository.put_streamed(body, made_rx)
                },
            ));
            drop(start);
            uploaded
        })
    }

    fn put_manifest(&self, manifest: &Document) -> Result<(), registry::Error> {
        self.manifests
            .lock()
            .expect("not poisoned")
            .push(manifest.clone());
        Ok(())
    }

    fn commit(self, root: &Descriptor, tag: Option<&str>) -> Result<(), registry::Error> {
        let manifests = self.manifests.into_inner().expect("not poisoned");
        // Children by digest first, so the tag never names a missing one.
        let (roots, children): (Vec<_>, Vec<_>) = manifests
            .into_iter()
            .partition(|m| m.descriptor.digest == root.digest);
        for manifest in children.iter().chain(&roots) {
            let reference = match tag {
                Some(tag) if manifest.descriptor.digest == root.digest => tag.to_string(),
                _ => manifest.descriptor.digest.as_str().to_string(),
            };
            self.runtime.block_on(self.repository.put_manifest(
                &reference,
                &manifest.descriptor.media_type,
                &manifest.bytes,
            ))?;
        }
        Ok(())
    }
}
