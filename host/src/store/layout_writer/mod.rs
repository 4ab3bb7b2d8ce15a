//! The one OCI image layout writer: blob by blob, as a copy fills it
//! (`ocipipe copy … oci:DIR[:TAG]`), or a build hashes its layers into it
//! several at once (`image build --oci-layout DIR`); both through
//! [`LayoutDestination`], whose commit has the manifest-generation
//! component decide `index.json`.
//!
//! A new layout is built in a private directory beside the target and
//! renamed into place when complete. An existing layout gets its new blobs
//! as temporary files in its blob directories; at the end, under the
//! layout's exclusive lock ([`super::dir_lock`]), they are renamed to
//! their digests and `index.json` is replaced, decided from the index read
//! under that same lock, so concurrent copies into one layout each keep
//! their tag. Two copies that both create one new layout: the first
//! renames its directory into place, the second finds it there and adds
//! its image to it as to any existing layout.
//!
//! A copy that fails or is interrupted (SIGINT, SIGTERM) leaves the layout
//! as it was: its temporary files go, and so do the blobs it renamed in,
//! unless `index.json` naming them is in place. A blob that was already
//! there, or that another copy moved in first, is never one of them; and
//! a copy looks for blobs under the shared lock, so it never counts on a
//! blob that another copy has moved in but may still take back. Every
//! blob is hashed as it is written and kept only if it matches its digest
//! and size.
//!
//! Must not: decide what `index.json` or `oci-layout` says (the
//! manifest-generation component does), or build a path from anything but
//! a validated digest.

use super::atomic::{AtomicFile, parent_dir};
use super::cleanup::{self, Registered, create};
use super::dir_lock::{self, DirLock, Mode};
use super::files::Scratch;
use crate::hashing::HashingWriter;
use crate::model::{Descriptor, Digest};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The most bytes of a layout's `oci-layout` read: far more than the one
/// field it holds.
pub const MAX_MARKER_BYTES: u64 = 4096;

/// Failures writing a layout.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The target exists and is not an image layout.
    #[error(
        "{0} exists and is not an OCI image layout (no oci-layout file); name a new or empty directory"
    )]
    NotALayout(PathBuf),
    /// A blob's bytes do not match its descriptor.
    #[error(
        "blob {digest}: {size} bytes hashing to {actual} arrived, not the {expected_size} bytes described"
    )]
    Mismatch {
        /// The digest described.
        digest: Digest,
        /// The size described.
        expected_size: u64,
        /// What arrived.
        size: u64,
        /// What it hashed to.
        actual: Digest,
    },
    /// The target's `oci-layout` names no version the component reads (or
    /// the component made no marker for a new layout).
    #[error("cannot write into the OCI image layout {target}: {source}")]
    Marker {
        /// The layout.
        target: PathBuf,
        /// The component's refusal, or why the file could not be read.
        source: PlannerError,
    },
    /// The layout's lock could not be taken.
    #[error(transparent)]
    Lock(#[from] dir_lock::Error),
    /// The component that decides `index.json` failed or refused.
    #[error(transparent)]
    Planner(PlannerError),
    /// A build's layer was not what was known of it beforehand.
    #[error(
        "layer {ordinal} changed while it was read: {detail}; keep its files still while building"
    )]
    Changed {
        /// Which layer, counting from 1.
        ordinal: usize,
        /// How it differs.
        detail: String,
    },
    /// A blob's bytes could not be read.
    #[error("cannot read blob {digest}: {source}")]
    Read {
        /// The blob.
        digest: Digest,
        /// The I/O error.
        source: io::Error,
    },
}

mod destination;

pub use super::sink::PlannerError;
pub use destination::LayoutDestination;

/// The decision of a layout's `oci-layout`, made by the manifest-generation
/// component (`layout-marker`) for every layout written or read: what a
/// new one holds, and whether an existing one's names a version read and
/// written. The pipeline implements it over the runtime, which `store`
/// never imports.
pub trait LayoutMarker: Sync {
    /// Without `existing`, the bytes of a new layout's `oci-layout`; with
    /// a layout's, those bytes back if they name a version that is read,
    /// else the refusal, naming what they say.
    fn layout_marker(&self, existing: Option<&[u8]>) -> Result<Vec<u8>, PlannerError>;
}

/// The decisions a layout's writer needs, made by the manifest-generation
/// component (`layout-marker`, `layout-index`), for builds and copies
/// alike; the pipeline implements it over the runtime, which `store`
/// never imports.
pub trait IndexPlanner: LayoutMarker {
    /// The `index.json` after adding `root` to `existing` (none for a new
    /// layout), tagged `tag`, or named `image_name` as a build names its
    /// image (a full name with a tag).
    fn layout_index(
        &self,
        existing: Option<&[u8]>,
        root: &Descriptor,
        tag: Option<&str>,
        image_name: Option<&str>,
    ) -> Result<Vec<u8>, PlannerError>;
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io { path, source }
}

/// A layout being written.
pub struct LayoutWriter {
    target: PathBuf,
    kind: Kind,
    /// Blobs of an existing layout, finished and waiting to be moved in.
    pending: Mutex<Vec<Pending>>,
}

/// What is being written.
enum Kind {
    /// A new layout, built in a private directory beside the target with
    /// every blob under its final name.
    New { staging: Scratch },
    /// An existing layout: blobs wait in [`LayoutWriter::pending`].
    Existing,
}

/// A finished blob, still under its temporary name.
struct Pending {
    digest: Digest,
    file: tempfile::TempPath,
    registered: Registered,
}

/// A blob being written into a layout.
pub struct BlobFile {
    file: HashingWriter<tempfile::NamedTempFile>,
    registered: Registered,
}

impl BlobFile {
    /// Appends bytes.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }
}

impl Write for BlobFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.file.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A temporary file in a layout's blob directory that the caller fills
/// and hashes itself (several at once, counting progress), then keeps
/// with [`LayoutWriter::keep_hashed`]; removed when dropped, or on an
/// interrupt.
pub struct StagedFile {
    file: tempfile::NamedTempFile,
    registered: Registered,
}

impl StagedFile {
    /// The file, to write into.
    pub fn file(&mut self) -> &mut tempfile::NamedTempFile {
        &mut self.file
    }
}

/// The bytes of the `oci-layout` of the layout `target`, at most
/// [`MAX_MARKER_BYTES`].
fn read_marker(target: &Path) -> Result<Vec<u8>, Error> {
    let refused = |why: String| Error::Marker {
        target: target.to_path_buf(),
        source: why.into(),
    };
    crate::store::files::read_at_most(&target.join("oci-layout"), MAX_MARKER_BYTES)
        .map_err(|e| refused(format!("cannot read its oci-layout: {e}")))?
        .ok_or_else(|| {
            refused(format!(
                "its oci-layout is larger than {MAX_MARKER_BYTES} bytes"
            ))
        })
}

/// The file of blob `digest` in the layout rooted at `root`.
fn blob_path(root: &Path, digest: &Digest) -> PathBuf {
    root.join("blobs")
        .join(digest.algorithm())
        .join(digest.encoded())
}

/// Where blob `digest` lives, relative to a layout's root.
pub fn relative_blob_path(digest: &Digest) -> PathBuf {
    blob_path(Path::new(""), digest)
}

/// Whether `path` is a blob file of `size` bytes.
fn holds(path: &Path, size: u64) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == size)
}

impl LayoutWriter {
    /// Starts writing into the layout `target`: a new one when it does not
    /// exist or is an empty directory, its `oci-layout` as `marker` makes
    /// it, else an existing layout whose `oci-layout` `marker` accepts.
    pub fn open(target: &Path, marker: &dyn LayoutMarker) -> Result<Self, Error> {
        let empty = match std::fs::read_dir(target) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => true,
            Err(e) => return Err(io_error(target)(e)),
        };
        let refused = |source| Error::Marker {
            target: target.to_path_buf(),
            source,
        };
        let kind = if empty {
            let bytes = marker.layout_marker(None).map_err(refused)?;
            let staging = Scratch::beside(target, ".ocipipe-layout-").map_err(io_error(target))?;
            std::fs::write(staging.path().join("oci-layout"), bytes).map_err(io_error(target))?;
            Kind::New { staging }
        } else if target.join("oci-layout").is_file() {
            let bytes = read_marker(target)?;
            marker.layout_marker(Some(&bytes)).map_err(refused)?;
            Kind::Existing
        } else {
            return Err(Error::NotALayout(target.to_path_buf()));
        };
        Ok(Self {
            target: target.to_path_buf(),
            kind,
            pending: Mutex::new(Vec::new()),
        })
    }

    /// Where blobs are written: the staging directory, or the layout.
    fn root(&self) -> &Path {
        match &self.kind {
            Kind::New { staging, .. } => staging.path(),
            Kind::Existing => &self.target,
        }
    }

    /// Whether the layout already holds blob `digest` of `size` bytes (or
    /// this copy has written it). In an existing layout, looked for under
    /// the shared lock: a blob seen there stays.
    pub fn has_blob(&self, digest: &Digest, size: u64) -> Result<bool, Error> {
        let path = blob_path(self.root(), digest);
        if let Kind::New { .. } = self.kind {
            return Ok(holds(&path, size));
        }
        if self.pending().iter().any(|p| &p.digest == digest) {
            return Ok(true);
        }
        let _shared = DirLock::take(&self.target, Mode::Shared)?;
        Ok(holds(&path, size))
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A temporary file for blob `digest`, in the directory it will live in.
    pub fn blob_file(&self, digest: &Digest) -> Result<BlobFile, Error> {
        self.temporary_in(parent_dir(&blob_path(self.root(), digest)))
    }

    /// A temporary file for a sha256 blob made here (see [`Self::commit_made`]).
    pub fn made_blob(&self) -> Result<BlobFile, Error> {
        self.temporary_in(&self.root().join("blobs").join("sha256"))
    }

    /// A temporary file for a sha256 blob the caller hashes itself (see
    /// [`StagedFile`]).
    pub fn staged_file(&self) -> Result<StagedFile, Error> {
        let (file, registered) = self.temporary_file(&self.root().join("blobs").join("sha256"))?;
        Ok(StagedFile { file, registered })
    }

    /// Keeps `staged` as blob `digest`, which the caller found its bytes
    /// to hash to while writing them.
    pub fn keep_hashed(&self, staged: StagedFile, digest: &Digest) -> Result<(), Error> {
        let StagedFile { file, registered } = staged;
        self.keep(file, registered, digest)
    }

    fn temporary_in(&self, dir: &Path) -> Result<BlobFile, Error> {
        let (file, registered) = self.temporary_file(dir)?;
        Ok(BlobFile {
            file: HashingWriter::new(file),
            registered,
        })
    }

    fn temporary_file(&self, dir: &Path) -> Result<(tempfile::NamedTempFile, Registered), Error> {
        create(
            || {
                std::fs::create_dir_all(dir)?;
                tempfile::Builder::new()
                    .prefix(".ocipipe-")
                    .tempfile_in(dir)
            },
            |file| file.path(),
        )
        .map_err(io_error(dir))
    }

    /// Keeps `file` as the blob of whatever its bytes hash to (a blob made
    /// here, whose digest is known only at its end); that digest and size.
    pub fn commit_made(&self, file: BlobFile) -> Result<(Digest, u64), Error> {
        let BlobFile { file, registered } = file;
        let (digest, size, tmp) = file
            .finish()
            .map_err(io_error(&self.root().join("blobs")))?;
        self.keep(tmp, registered, &digest)?;
        Ok((digest, size))
    }

    /// Keeps a finished temporary file as blob `digest`, readable by all:
    /// renamed to it in a new layout, kept pending in an existing one.
    fn keep(
        &self,
        tmp: tempfile::NamedTempFile,
        registered: Registered,
        digest: &Digest,
    ) -> Result<(), Error> {
        let path = blob_path(self.root(), digest);
        let tmp = tmp.into_temp_path();
        std::fs::set_permissions(
            &tmp,
            std::os::unix::fs::PermissionsExt::from_mode(0o644 & !super::atomic::umask()),
        )
        .map_err(io_error(&path))?;
        match self.kind {
            Kind::New { .. } => tmp.persist(&path).map_err(|e| io_error(&path)(e.error))?,
            Kind::Existing => self.pending().push(Pending {
                digest: digest.clone(),
                file: tmp,
                registered,
            }),
        }
        Ok(())
    }

    /// Keeps `file` as blob `digest` if it holds `size` bytes hashing to it.
    pub fn commit_blob(&self, file: BlobFile, digest: &Digest, size: u64) -> Result<(), Error> {
        let BlobFile { file, registered } = file;
        let (actual, written, file) = file
            .finish()
            .map_err(io_error(&blob_path(self.root(), digest)))?;
        if written != size || (digest.algorithm() == "sha256" && &actual != digest) {
            return Err(Error::Mismatch {
                digest: digest.clone(),
                expected_size: size,
                size: written,
                actual,
            });
        }
        self.keep(file, registered, digest)
    }

    /// Writes a small blob (a manifest, a config) whole.
    pub fn put_bytes(&self, digest: &Digest, bytes: &[u8]) -> Result<(), Error> {
        if self.has_blob(digest, bytes.len() as u64)? {
            return Ok(());
        }
        let mut file = self.blob_file(digest)?;
        file.write(bytes)
            .map_err(io_error(&blob_path(self.root(), digest)))?;
        self.commit_blob(file, digest, bytes.len() as u64)
    }

    /// Makes the copy appear with the `index.json` that `decide` makes of
    /// the layout's current one (none for a new layout): a new layout is
    /// renamed into place; an existing one (or one that another copy made
    /// meanwhile) gets the blobs and the index under its exclusive lock.
    /// `decide` is called again when the layout appeared meanwhile.
    pub fn finish<E: From<Error>>(
        self,
        mut decide: impl FnMut(Option<&[u8]>) -> Result<Vec<u8>, E>,
    ) -> Result<(), E> {
        let Self {
            target,
            kind,
            pending,
        } = self;
        let staging = match kind {
            Kind::Existing => {
                let pending = pending.into_inner().unwrap_or_else(|e| e.into_inner());
                let blobs = pending
                    .into_iter()
                    .map(|p| Blob {
                        from: p.file.to_path_buf(),
                        digest: p.digest,
                        temporary: Some((p.file, p.registered)),
                    })
                    .collect();
                return publish(&target, blobs, decide);
            }
            Kind::New { staging } => staging,
        };
        let index_path = staging.path().join("index.json");
        let index = decide(None)?;
        std::fs::write(&index_path, index).map_err(io_error(&index_path))?;
        // Renaming onto an empty directory replaces it; onto a layout that
        // another copy has made meanwhile, it fails, and this copy's image
        // is added to that layout.
        match std::fs::rename(staging.path(), &target) {
            Ok(()) => {
                let _renamed = staging.keep();
                Ok(())
            }
            Err(e) if super::atomic::taken_meanwhile(&e) => {
                let blobs = staged_blobs(staging.path())?;
                publish(&target, blobs, decide)
            }
            Err(e) => Err(io_error(&target)(e).into()),
        }
    }
}

/// A finished blob file to move into a layout.
struct Blob {
    from: PathBuf,
    digest: Digest,
    /// The temporary file it is, removed unless moved.
    temporary: Option<(tempfile::TempPath, Registered)>,
}

/// The blobs of a staged layout: `blobs/ALGORITHM/ENCODED` files, named by
/// validated digests only (the staging directory is ours, but a name that
/// is not a digest is skipped, not trusted).
fn staged_blobs(staging: &Path) -> Result<Vec<Blob>, Error> {
    let mut blobs = Vec::new();
    let dir = staging.join("blobs");
    let entries = |dir: &Path| std::fs::read_dir(dir).map_err(io_error(dir));
    for algorithm in entries(&dir)? {
        let algorithm = algorithm.map_err(io_error(&dir))?;
        for blob in entries(&algorithm.path())? {
            let blob = blob.map_err(io_error(&algorithm.path()))?;
            let name = format!(
                "{}:{}",
                algorithm.file_name().to_string_lossy(),
                blob.file_name().to_string_lossy()
            );
            if let Ok(digest) = name.parse::<Digest>() {
                blobs.push(Blob {
                    from: blob.path(),
                    digest,
                    temporary: None,
                });
            }
        }
    }
    Ok(blobs)
}

/// Blobs renamed into a layout by this copy: removed again on drop (a
/// failure), or on an interrupt while registered, until settled.
#[derive(Default)]
struct Added {
    paths: Vec<PathBuf>,
    registrations: Vec<Registered>,
}

impl Drop for Added {
    fn drop(&mut self) {
        for path in &self.paths {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Under the exclusive lock of the layout `target`: moves `blobs` in (a
/// blob already there stays as it is, and the moved one is dropped),
/// reads `index.json`, replaces it with what `decide` makes of it, and
/// only then lets the blobs moved in stay. Any failure before that takes
/// them back.
fn publish<E: From<Error>>(
    target: &Path,
    blobs: Vec<Blob>,
    mut decide: impl FnMut(Option<&[u8]>) -> Result<Vec<u8>, E>,
) -> Result<(), E> {
    // Declared first, dropped last: the blobs are taken back under it.
    let _lock = DirLock::take(target, Mode::Exclusive).map_err(Error::from)?;
    if !target.join("oci-layout").is_file() {
        return Err(Error::NotALayout(target.to_path_buf()).into());
    }
    let mut added = Added::default();
    for blob in blobs {
        let to = blob_path(target, &blob.digest);
        let size = std::fs::metadata(&blob.from)
            .map_err(io_error(&blob.from))?
            .len();
        if holds(&to, size) {
            continue;
        }
        let existed = to.exists();
        let (to, registered) = create(
            || {
                std::fs::create_dir_all(parent_dir(&to))?;
                std::fs::rename(&blob.from, &to)?;
                Ok(to.clone())
            },
            |to| to.as_path(),
        )
        .map_err(io_error(&to))?;
        if let Some((file, _registered)) = blob.temporary {
            // Moved: nothing is left to remove under its old name.
            let _ = file.keep();
        }
        // A damaged file of that name was there (another size): it is
        // replaced, and not taken back.
        if !existed {
            added.paths.push(to);
            added.registrations.push(registered);
        }
    }
    let index_path = target.join("index.json");
    let existing = match std::fs::read(&index_path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error(&index_path)(e).into()),
    };
    let index = decide(existing.as_deref())?;
    let mut file = AtomicFile::create(&index_path).map_err(io_error(&index_path))?;
    file.file()
        .write_all(&index)
        .map_err(io_error(&index_path))?;
    cleanup::settle(&mut added.registrations, || file.commit(&index_path))
        .map_err(io_error(&index_path))?;
    added.paths.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{NativeLayoutReader, names};

    /// A `decide` that writes `index` whatever was there.
    fn index(index: &'static [u8]) -> impl FnMut(Option<&[u8]>) -> Result<Vec<u8>, Error> {
        move |_| Ok(index.to_vec())
    }

    fn blob(layout: &Path, digest: &Digest) -> PathBuf {
        blob_path(layout, digest)
    }

    /// A layout at `dir/layout` holding blob `kept` and index `{"old":1}`.
    fn existing(dir: &Path, kept: &[u8]) -> PathBuf {
        let target = dir.join("layout");
        let first = LayoutWriter::open(&target, &NativeLayoutReader).unwrap();
        first.put_bytes(&Digest::sha256(kept), kept).unwrap();
        first.finish(index(b"{\"old\":1}")).unwrap();
        target
    }

    #[test]
    fn a_new_layout_appears_only_when_finished_with_checked_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("layout");
        let writer = LayoutWriter::open(&target, &NativeLayoutReader).unwrap();
        let digest = Digest::sha256(b"hello");
        writer.put_bytes(&digest, b"hello").unwrap();
        let mut wrong = writer.blob_file(&Digest::sha256(b"other")).unwrap();
        wrong.write(b"tampered").unwrap();
        let refused = writer
            .commit_blob(wrong, &Digest::sha256(b"other"), 8)
            .unwrap_err();
        assert!(matches!(refused, Error::Mismatch { .. }), "{refused}");
        assert!(!target.exists());
        writer
            .finish(|existing| {
                assert!(existing.is_none());
                Ok::<_, Error>(b"{}".to_vec())
            })
            .unwrap();
        assert_eq!(
            std::fs::read(target.join("oci-layout")).unwrap(),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
            "the component's marker, the bytes a layout has always had"
        );
        assert_eq!(std::fs::read(target.join("index.json")).unwrap(), b"{}");
        assert_eq!(std::fs::read(blob(&target, &digest)).unwrap(), b"hello");
        assert_eq!(names(dir.path()), ["layout"]);
        assert_eq!(
            names(&target.join("blobs/sha256")),
            [digest.encoded()],
            "no temporary blob files left"
        );
    }

    #[test]
    fn an_unfinished_copy_into_an_existing_layout_takes_its_blobs_back() {
        let dir = tempfile::tempdir().unwrap();
        let target = existing(dir.path(), b"kept");
        let kept = Digest::sha256(b"kept");
        let before = names(&target.join("blobs/sha256"));
        let second = LayoutWriter::open(&target, &NativeLayoutReader).unwrap();
        assert!(second.has_blob(&kept, 4).unwrap());
        let added = Digest::sha256(b"added");
        second.put_bytes(&added, b"added").unwrap();
        assert!(second.has_blob(&added, 5).unwrap(), "its own blob counts");
        second.put_bytes(&kept, b"kept").unwrap();
        drop(second);
        assert_eq!(names(&target.join("blobs/sha256")), before);
        assert_eq!(
            std::fs::read(target.join("index.json")).unwrap(),
            b"{\"old\":1}"
        );
    }

    #[test]
    fn a_failed_index_takes_back_only_the_blobs_this_copy_moved_in() {
        let dir = tempfile::tempdir().unwrap();
        let target = existing(dir.path(), b"kept");
        let (shared, own) = (Digest::sha256(b"shared"), Digest::sha256(b"own"));
        // Two copies add one blob at once; the first to finish keeps it.
        let first = LayoutWriter::open(&target, &NativeLayoutReader).unwrap();
        let second = LayoutWriter::open(&target, &NativeLayoutReader).unwrap();
        first.put_bytes(&shared, b"shared").unwrap();
        second.put_bytes(&shared, b"shared").unwrap();
        second.put_bytes(&own, b"own").unwrap();
        first
            .finish(|existing| {
                assert_eq!(existing, Some(&b"{\"old\":1}"[..]));
                Ok::<_, Error>(b"{\"first\":1}".to_vec())
            })
            .unwrap();
        let refused = second.finish(|existing| {
            assert_eq!(existing, Some(&b"{\"first\":1}"[..]), "read under the lock");
            Err(Error::NotALayout(PathBuf::from("decided against")))
        });
        assert!(refused.is_err());
        assert!(
            blob(&target, &shared).exists(),
            "the first copy's blob stays"
        );
        assert!(!blob(&target, &own).exists(), "the failed copy's goes");
        assert!(blob(&target, &Digest::sha256(b"kept")).exists());
        assert_eq!(
            std::fs::read(target.join("index.json")).unwrap(),
            b"{\"first\":1}"
        );
        let mut left = names(&target.join("blobs/sha256"));
        left.retain(|n| n.starts_with('.'));
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }

    #[test]
    fn two_copies_creating_one_layout_both_land_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("layout");
        let first = LayoutWriter::open(&target, &NativeLayoutReader).unwrap();
        let second = LayoutWriter::open(&target, &NativeLayoutReader).unwrap();
        let (a, b) = (Digest::sha256(b"a"), Digest::sha256(b"b"));
        first.put_bytes(&a, b"a").unwrap();
        second.put_bytes(&b, b"b").unwrap();
        first.finish(index(b"{\"a\":1}")).unwrap();
        let mut seen = Vec::new();
        second
            .finish(|existing| {
                seen.push(existing.map(<[u8]>::to_vec));
                Ok::<_, Error>(b"{\"a\":1,\"b\":1}".to_vec())
            })
            .unwrap();
        assert_eq!(seen, [None, Some(b"{\"a\":1}".to_vec())]);
        assert_eq!(
            std::fs::read(target.join("index.json")).unwrap(),
            b"{\"a\":1,\"b\":1}"
        );
        assert!(blob(&target, &a).exists() && blob(&target, &b).exists());
        assert_eq!(names(dir.path()), ["layout"], "no staging left");
    }

    #[test]
    fn refuses_a_directory_that_is_not_a_layout() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let refused = LayoutWriter::open(dir.path(), &NativeLayoutReader)
            .err()
            .unwrap()
            .to_string();
        assert!(refused.contains("not an OCI image layout"), "{refused}");
        assert!(dir.path().join("notes.txt").exists());
    }

    #[test]
    fn refuses_to_add_to_a_layout_of_another_version_and_leaves_it_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let target = existing(dir.path(), b"kept");
        let before = names(&target.join("blobs/sha256"));
        for (marker, says) in [
            (&br#"{"imageLayoutVersion":"2.0.0"}"#[..], "\"2.0.0\""),
            (&b"not json"[..], "is not JSON"),
            (&[b' '; 4097][..], "larger than 4096 bytes"),
        ] {
            std::fs::write(target.join("oci-layout"), marker).unwrap();
            let refused = LayoutWriter::open(&target, &NativeLayoutReader)
                .err()
                .unwrap();
            assert!(matches!(refused, Error::Marker { .. }), "{refused}");
            let message = refused.to_string();
            assert!(message.contains(says), "{message}");
            assert!(message.contains(&target.display().to_string()), "{message}");
            assert_eq!(std::fs::read(target.join("oci-layout")).unwrap(), marker);
        }
        assert_eq!(names(&target.join("blobs/sha256")), before);
        assert_eq!(
            std::fs::read(target.join("index.json")).unwrap(),
            b"{\"old\":1}"
        );
    }
}
