//! A registry repository as the one destination
//! ([`model::destination::Destination`](crate::model::destination)), as
//! go-containerregistry's `remote.Write` takes an image:
//! - a known blob is looked for (`HEAD`), then mounted from the configured
//!   repository of the same registry; a mount the registry declines
//!   (`202`) hands over the session the blob is then sent into;
//! - a blob made while it is sent goes in one `PATCH` of unknown length,
//!   closed by `PUT ?digest=` once it is whole (`stream.Layer`);
//! - manifests go by digest, children before their index; the last one
//!   put is held back, as it may be the root, which goes once, under its
//!   tag, at the commit;
//! - the commit is the tag's `PUT`, last: until then no tag names what was
//!   sent, and a push that fails leaves its tags as they were.
//!
//! The pushes of a run send each blob of a repository once ([`gate`]): a
//! blob another push is looking for or sending is waited for, then found.
//!
//! The methods block: each runs the async client on the runtime whose
//! handle the destination holds, and is called from threads outside it.

use super::body::{BlobWriter, blob_channel};
use super::protocol::{Made, Mount, Session};
use super::{Error, Repository};
use crate::hashing::InlineHashing;
use crate::model::destination::{Destination, Found, MakeBlob, OpenBlob};
use crate::model::{Descriptor, Digest, Document};
pub(super) use gate::BlobGates;
use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

/// A repository being pushed to.
pub struct RepositoryDestination {
    repository: Repository,
    runtime: tokio::runtime::Handle,
    /// A repository of the same registry that lends its blobs.
    mount_from: Option<String>,
    /// Repositories of the same registry that lend one blob each (an
    /// index made of images from several), before `mount_from`.
    mount_by_blob: HashMap<Digest, String>,
    /// Sessions handed over by declined mounts, by blob.
    declined: Mutex<HashMap<Digest, Session>>,
    /// The manifests put, by digest: the root is tagged with its bytes.
    manifests: Mutex<HashMap<Digest, Document>>,
    /// The last manifest put, not sent yet: the commit sends it under the
    /// tag when it is the root, the next manifest by its digest otherwise.
    held: Mutex<Option<Document>>,
    /// The blobs this push holds ([`gate`]), from their look-up to their put.
    holding: Mutex<HashSet<Digest>>,
}

impl RepositoryDestination {
    /// Pushes into `repository` on `runtime`, mounting blobs from
    /// `mount_from` (another repository of the same registry; one whose
    /// pull scope `repository` was made with).
    pub fn new(
        repository: Repository,
        runtime: tokio::runtime::Handle,
        mount_from: Option<String>,
    ) -> Self {
        let mount_from = mount_from.filter(|from| from != repository.name());
        Self {
            repository,
            runtime,
            mount_from,
            mount_by_blob: HashMap::new(),
            declined: Mutex::default(),
            manifests: Mutex::default(),
            held: Mutex::default(),
            holding: Mutex::default(),
        }
    }

    /// Mounts each blob of `by_blob` from its repository (one whose pull
    /// scope `repository` was made with), rather than from `mount_from`.
    pub fn mounting(mut self, by_blob: HashMap<Digest, String>) -> Self {
        let own = self.repository.name().to_string();
        self.mount_by_blob = by_blob.into_iter().filter(|(_, r)| *r != own).collect();
        self
    }

    /// The repository.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The commit of a referrer: its manifest (one with a `subject`, no
    /// children, every blob in) put at once under `tag`; whether the
    /// registry says it indexed the subject's referrers (`OCI-Subject`).
    /// A refusal leaves the destination as it was, to commit another form.
    pub fn commit_referrer(&self, manifest: &Document, tag: &str) -> Result<bool, Error> {
        self.send_held()?;
        let descriptor = &manifest.descriptor;
        let (_, indexed) = self.runtime.block_on(self.repository.put_referrer(
            tag,
            &descriptor.media_type,
            &manifest.bytes,
        ))?;
        Ok(indexed)
    }

    /// Sends the manifest held back, by its digest.
    fn send_held(&self) -> Result<(), Error> {
        let held = self.held.lock().expect("not poisoned").take();
        match held {
            Some(manifest) => self.send(&manifest, manifest.descriptor.digest.as_str()),
            None => Ok(()),
        }
    }

    /// `PUT`s `manifest` under `reference`.
    fn send(&self, manifest: &Document, reference: &str) -> Result<(), Error> {
        let descriptor = &manifest.descriptor;
        self.runtime.block_on(self.repository.put_manifest(
            reference,
            &descriptor.media_type,
            &manifest.bytes,
        ))?;
        Ok(())
    }

    /// Ends this push's hold of `blob`: it is there, or not.
    fn release(&self, blob: &Digest, there: bool) {
        if self.holding.lock().expect("not poisoned").remove(blob) {
            let gates = self.repository.registry().blob_gates();
            gates.release(self.repository.name(), blob, there);
        }
    }

    fn remember(&self, manifest: &Document) {
        self.manifests
            .lock()
            .expect("not poisoned")
            .insert(manifest.descriptor.digest.clone(), manifest.clone());
    }
}

/// Sessions of declined mounts whose blob was never put (a failure
/// stopped the push first) are cancelled rather than left open.
impl Drop for RepositoryDestination {
    fn drop(&mut self) {
        let holding = std::mem::take(self.holding.get_mut().expect("not poisoned"));
        for blob in holding {
            let gates = self.repository.registry().blob_gates();
            gates.release(self.repository.name(), &blob, false);
        }
        let declined = std::mem::take(self.declined.get_mut().expect("not poisoned"));
        if declined.is_empty() {
            return;
        }
        let cancel = async {
            for (_, session) in declined {
                self.repository.cancel_upload(session.0).await;
            }
        };
        // Called from the threads that drive it, outside the runtime.
        if tokio::runtime::Handle::try_current().is_err() {
            self.runtime.block_on(cancel);
        }
    }
}

impl Destination for RepositoryDestination {
    type Error = Error;

    fn find_blob(&self, blob: &Descriptor) -> Result<Found, Error> {
        let digest = &blob.digest;
        let gates = self.repository.registry().blob_gates();
        // A blob looked for again by the push that holds it stays held.
        let holds = self.holding.lock().expect("not poisoned").contains(digest);
        if !holds && gates.hold(self.repository.name(), digest) {
            return Ok(Found::Present);
        }
        self.holding
            .lock()
            .expect("not poisoned")
            .insert(digest.clone());
        let found = self.runtime.block_on(async {
            if self.repository.blob_size(digest).await?.is_some() {
                return Ok(Found::Present);
            }
            let Some(from) = self.mount_by_blob.get(digest).or(self.mount_from.as_ref()) else {
                return Ok(Found::Absent);
            };
            Ok(match self.repository.mount_blob(digest, from).await? {
                Mount::Mounted => Found::Mounted,
                Mount::Declined(session) => {
                    self.declined
                        .lock()
                        .expect("not poisoned")
                        .insert(digest.clone(), session);
                    Found::Absent
                }
            })
        });
        // Held on until the put when absent.
        match &found {
            Ok(Found::Absent) => {}
            Ok(_) => self.release(digest, true),
            Err(_) => self.release(digest, false),
        }
        found
    }

    fn put_blob(&self, blob: &Descriptor, open: &OpenBlob) -> Result<(), Error> {
        let session = self
            .declined
            .lock()
            .expect("not poisoned")
            .remove(&blob.digest);
        let put = self.runtime.block_on(self.repository.put_blob_into(
            &blob.digest,
            blob.size,
            session,
            open,
        ));
        self.release(&blob.digest, put.is_ok());
        put
    }

    fn put_made(&self, make: &MakeBlob<'_>) -> Result<(Digest, u64), Error> {
        type Start = (BlobWriter, tokio::sync::oneshot::Sender<Made>);
        let (start, starts) = std::sync::mpsc::channel::<Start>();
        let failure: Mutex<Option<io::Error>> = Mutex::new(None);
        let uploaded = std::thread::scope(|scope| {
            // The maker: one thread, one try after another.
            scope.spawn(|| {
                for (writer, made) in starts {
                    let ended = writer.ended();
                    match make_into(make, writer) {
                        Ok((digest, size)) => drop(made.send(Made::Whole { digest, size })),
                        // The upload stopped: its error is the one to report.
                        Err(_) if ended.load(Ordering::Relaxed) => drop(made),
                        Err(e) => {
                            *failure.lock().expect("not poisoned") = Some(e);
                            let _ = made.send(Made::Failed);
                        }
                    }
                }
            });
            let transport = self.repository.transport();
            let uploaded =
                self.runtime
                    .block_on(transport.retrying("upload a blob as it is made", || {
                        let (writer, body) = blob_channel();
                        let (made, made_rx) = tokio::sync::oneshot::channel();
                        start
                            .send((writer, made))
                            .expect("the maker runs until told to stop");
                        self.repository.put_streamed(body, made_rx)
                    }));
            drop(start);
            uploaded
        });
        match failure.into_inner().expect("not poisoned") {
            Some(source) => Err(Error::Io {
                what: "cannot make a blob".to_string(),
                source,
            }),
            None => uploaded,
        }
    }

    fn put_manifest(&self, manifest: &Document) -> Result<(), Error> {
        self.send_held()?;
        self.remember(manifest);
        *self.held.lock().expect("not poisoned") = Some(manifest.clone());
        Ok(())
    }

    fn commit(self, root: &Descriptor, tag: Option<&str>) -> Result<(), Error> {
        let held = self.held.lock().expect("not poisoned").take();
        let root_held = held
            .as_ref()
            .is_some_and(|h| h.descriptor.digest == root.digest);
        if let Some(held) = held.filter(|_| !root_held || tag.is_none()) {
            self.send(&held, held.descriptor.digest.as_str())?;
        }
        let Some(tag) = tag else {
            return Ok(());
        };
        let manifests = self.manifests.lock().expect("not poisoned");
        let manifest = manifests.get(&root.digest).ok_or_else(|| Error::Protocol {
            registry: self.repository.registry().host().to_string(),
            what: format!("tag {tag}"),
            message: format!("the manifest {} to tag was not put first", root.digest),
        })?;
        self.send(manifest, tag)
    }
}

/// Makes a blob into `writer`, hashed on its way (inline: the body's
/// channel already bounds what is in flight); ends the body once whole.
/// Its digest and size.
fn make_into(make: &MakeBlob<'_>, writer: BlobWriter) -> io::Result<(Digest, u64)> {
    let mut hashed = InlineHashing::new(writer);
    make(&mut hashed)?;
    let (digest, size, writer) = hashed.finish();
    writer.finish()?;
    Ok((digest, size))
}

mod gate;
#[cfg(test)]
mod tests;
