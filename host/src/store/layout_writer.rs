//! An OCI image layout written blob by blob, as a copy fills it: the
//! destination of `ocipipe copy … oci:DIR[:TAG]`.
//!
//! A new layout is built in a private directory beside the target and
//! renamed into place when complete. An existing layout gets its new blobs
//! in place (each through a temporary file, so a blob file is always
//! whole) and its `index.json` replaced atomically last; if the copy
//! fails, the blobs it added are removed again. Every blob is hashed as it
//! is written and kept only if it matches its digest and size.
//!
//! Must not: decide what `index.json` says (the manifest-generation
//! component does), or build a path from anything but a validated digest.

use super::atomic::{AtomicFile, parent_dir};
use super::cleanup::{Registered, create};
use super::hashing::HashingWriter;
use crate::model::Digest;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The marker file of an image layout.
const OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

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
}

/// A layout being written.
pub struct LayoutWriter {
    target: PathBuf,
    /// Where blobs go: the staging directory of a new layout, else `target`.
    root: PathBuf,
    staging: Option<(tempfile::TempDir, Registered)>,
    existing_index: Option<Vec<u8>>,
    added: Mutex<Vec<PathBuf>>,
    finished: bool,
}

/// A blob being written into a layout.
pub struct BlobFile {
    file: HashingWriter<tempfile::NamedTempFile>,
    _registered: Registered,
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

impl LayoutWriter {
    /// Starts writing into the layout `target`: a new one when it does not
    /// exist or is an empty directory, else an existing layout.
    pub fn open(target: &Path) -> Result<Self, Error> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        let empty = match std::fs::read_dir(target) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => true,
            Err(e) => return Err(io(target)(e)),
        };
        if !empty {
            if !target.join("oci-layout").is_file() {
                return Err(Error::NotALayout(target.to_path_buf()));
            }
            let existing_index = match std::fs::read(target.join("index.json")) {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(io(&target.join("index.json"))(e)),
            };
            return Ok(Self {
                target: target.to_path_buf(),
                root: target.to_path_buf(),
                staging: None,
                existing_index,
                added: Mutex::new(Vec::new()),
                finished: false,
            });
        }
        let (staging, registered) = create(
            || {
                tempfile::Builder::new()
                    .prefix(".ocipipe-layout-")
                    .tempdir_in(parent_dir(target))
            },
            |dir| dir.path(),
        )
        .map_err(io(target))?;
        std::fs::write(staging.path().join("oci-layout"), OCI_LAYOUT).map_err(io(target))?;
        Ok(Self {
            target: target.to_path_buf(),
            root: staging.path().to_path_buf(),
            staging: Some((staging, registered)),
            existing_index: None,
            added: Mutex::new(Vec::new()),
            finished: false,
        })
    }

    /// The `index.json` of the existing layout, if any.
    pub fn existing_index(&self) -> Option<&[u8]> {
        self.existing_index.as_deref()
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm())
            .join(digest.encoded())
    }

    /// Whether the layout already holds blob `digest` of `size` bytes.
    pub fn has_blob(&self, digest: &Digest, size: u64) -> bool {
        std::fs::metadata(self.blob_path(digest)).is_ok_and(|m| m.is_file() && m.len() == size)
    }

    /// A temporary file for blob `digest`, in the directory it will live in.
    pub fn blob_file(&self, digest: &Digest) -> Result<BlobFile, Error> {
        self.temporary_in(parent_dir(&self.blob_path(digest)))
    }

    /// A temporary file for a sha256 blob made here (see [`Self::commit_made`]).
    pub fn made_blob(&self) -> Result<BlobFile, Error> {
        self.temporary_in(&self.root.join("blobs").join("sha256"))
    }

    fn temporary_in(&self, dir: &Path) -> Result<BlobFile, Error> {
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        let (file, registered) = create(
            || {
                std::fs::create_dir_all(dir)?;
                tempfile::Builder::new()
                    .prefix(".ocipipe-")
                    .tempfile_in(dir)
            },
            |file| file.path(),
        )
        .map_err(io)?;
        Ok(BlobFile {
            file: HashingWriter::new(file),
            _registered: registered,
        })
    }

    /// Keeps `file` as the blob of whatever its bytes hash to (a blob made
    /// here, whose digest is known only at its end); that digest and size.
    pub fn commit_made(&self, file: BlobFile) -> Result<(Digest, u64), Error> {
        let (digest, size, tmp) = file.file.finish().map_err(|source| Error::Io {
            path: self.root.join("blobs"),
            source,
        })?;
        self.keep(tmp, &digest)?;
        Ok((digest, size))
    }

    /// Renames a finished temporary file to blob `digest`, readable by all.
    fn keep(&self, tmp: tempfile::NamedTempFile, digest: &Digest) -> Result<(), Error> {
        let path = self.blob_path(digest);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let tmp = tmp.into_temp_path();
        std::fs::set_permissions(
            &tmp,
            std::os::unix::fs::PermissionsExt::from_mode(0o644 & !super::atomic::umask()),
        )
        .map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        self.added.lock().expect("not poisoned").push(path);
        Ok(())
    }

    /// Keeps `file` as blob `digest` if it holds `size` bytes hashing to it.
    pub fn commit_blob(&self, file: BlobFile, digest: &Digest, size: u64) -> Result<(), Error> {
        let path = self.blob_path(digest);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let (actual, written, file) = file.file.finish().map_err(io)?;
        if written != size || (digest.algorithm() == "sha256" && &actual != digest) {
            return Err(Error::Mismatch {
                digest: digest.clone(),
                expected_size: size,
                size: written,
                actual,
            });
        }
        self.keep(file, digest)
    }

    /// Writes a small blob (a manifest, a config) whole.
    pub fn put_bytes(&self, digest: &Digest, bytes: &[u8]) -> Result<(), Error> {
        if self.has_blob(digest, bytes.len() as u64) {
            return Ok(());
        }
        let mut file = self.blob_file(digest)?;
        file.write(bytes).map_err(|source| Error::Io {
            path: self.blob_path(digest),
            source,
        })?;
        self.commit_blob(file, digest, bytes.len() as u64)
    }

    /// Writes `index.json` and makes the layout appear (a new one is
    /// renamed into place).
    pub fn finish(mut self, index: &[u8]) -> Result<(), Error> {
        let index_path = self.root.join("index.json");
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        let mut file = AtomicFile::create(&index_path).map_err(io(&index_path))?;
        file.file().write_all(index).map_err(io(&index_path))?;
        file.commit(&index_path).map_err(io(&index_path))?;
        if let Some((staging, _registered)) = self.staging.take() {
            if self.target.exists() {
                std::fs::remove_dir(&self.target).map_err(io(&self.target))?;
            }
            let staged = staging.keep();
            std::fs::rename(&staged, &self.target).map_err(|source| {
                let _ = std::fs::remove_dir_all(&staged);
                Error::Io {
                    path: self.target.clone(),
                    source,
                }
            })?;
        }
        self.finished = true;
        Ok(())
    }
}

impl Drop for LayoutWriter {
    /// An unfinished copy into an existing layout takes its blobs back (a
    /// new layout's staging directory goes with its `TempDir`).
    fn drop(&mut self) {
        if self.finished || self.staging.is_some() {
            return;
        }
        for path in self.added.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_layout_appears_only_when_finished_with_checked_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("layout");
        let writer = LayoutWriter::open(&target).unwrap();
        assert!(writer.existing_index().is_none());
        let digest = Digest::sha256(b"hello");
        writer.put_bytes(&digest, b"hello").unwrap();
        let mut wrong = writer.blob_file(&Digest::sha256(b"other")).unwrap();
        wrong.write(b"tampered").unwrap();
        let refused = writer
            .commit_blob(wrong, &Digest::sha256(b"other"), 8)
            .unwrap_err();
        assert!(matches!(refused, Error::Mismatch { .. }), "{refused}");
        assert!(!target.exists());
        writer.finish(b"{}").unwrap();
        assert_eq!(
            std::fs::read(target.join("oci-layout")).unwrap(),
            OCI_LAYOUT
        );
        assert_eq!(std::fs::read(target.join("index.json")).unwrap(), b"{}");
        assert_eq!(
            std::fs::read(target.join("blobs/sha256").join(digest.encoded())).unwrap(),
            b"hello"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["layout"]);
        let hidden: Vec<_> = std::fs::read_dir(target.join("blobs/sha256"))
            .unwrap()
            .collect();
        assert_eq!(hidden.len(), 1, "no temporary blob files left");
    }

    #[test]
    fn an_unfinished_copy_into_an_existing_layout_takes_its_blobs_back() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("layout");
        let first = LayoutWriter::open(&target).unwrap();
        let kept = Digest::sha256(b"kept");
        first.put_bytes(&kept, b"kept").unwrap();
        first.finish(b"{\"old\":1}").unwrap();
        let second = LayoutWriter::open(&target).unwrap();
        assert_eq!(second.existing_index(), Some(&b"{\"old\":1}"[..]));
        assert!(second.has_blob(&kept, 4));
        let added = Digest::sha256(b"added");
        second.put_bytes(&added, b"added").unwrap();
        second.put_bytes(&kept, b"kept").unwrap();
        drop(second);
        assert!(!target.join("blobs/sha256").join(added.encoded()).exists());
        assert!(target.join("blobs/sha256").join(kept.encoded()).exists());
        assert_eq!(
            std::fs::read(target.join("index.json")).unwrap(),
            b"{\"old\":1}"
        );
    }

    #[test]
    fn refuses_a_directory_that_is_not_a_layout() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let refused = LayoutWriter::open(dir.path()).err().unwrap().to_string();
        assert!(refused.contains("not an OCI image layout"), "{refused}");
        assert!(dir.path().join("notes.txt").exists());
    }
}
