//! The on-disk cache of compiled components.
//!
//! An entry is keyed by the component's sha256 and by the engine's
//! compatibility hash (wasmtime version, target, compiler settings), so a
//! new ocipipe or another machine never loads incompatible code. Entries are
//! written to a temporary file and renamed, so processes that start at once
//! never see half an entry. Each entry ends with the CRC-32 of its
//! contents: an entry that is truncated or altered fails that check (or
//! wasmtime's own) and is compiled again, never loaded. (A checksum, not a
//! digest: the directory is the user's own, and whoever can write there
//! could write any digest too; what it catches is damage.)
//!
//! A hit maps the entry rather than reading it: the checksum is taken over
//! the mapped file and wasmtime maps the same file as its code, so the
//! entry is never copied (a warm `ocipipe` process spends most of its time
//! here).

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The layout of an entry (code, then its CRC-32), part of its key: an
/// ocipipe that writes entries another way keeps them under other names
/// rather than taking each other's for corrupt.
const ENTRY_FORMAT: &str = "elf+crc32";

/// Length of the checksum trailer of an entry: the CRC-32 of the rest,
/// little-endian.
const TRAILER: usize = 4;

/// A directory of compiled components.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

/// What a lookup found; reported in the log and used by the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A valid entry was loaded.
    Hit,
    /// There was no entry; the component was compiled and stored.
    Miss,
    /// The entry was unreadable or corrupt; it was compiled and replaced.
    Replaced,
}

impl CompileCache {
    /// A cache in `dir` (created on first store).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory of this cache.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the entry for a component with this sha256 on `engine`.
    fn entry_path(&self, engine: &Engine, sha256: &[u8; 32]) -> PathBuf {
        // SipHash with fixed keys, not sha256: the same in every process
        // of one build, and sha2 would first query the CPU's features
        // (tens of microseconds under a hypervisor) for 100 bytes. A key
        // that another Rust hashes otherwise only names entries anew, and
        // a collision only meets wasmtime's own compatibility check.
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        ENTRY_FORMAT.hash(&mut hasher);
        let engine_key = hex::encode(hasher.finish().to_be_bytes());
        self.dir
            .join(format!("{}-{engine_key}.cwasm", hex::encode(sha256)))
    }

    /// Loads the component from its entry, or compiles it and stores the
    /// entry, telling which. A failure to store is logged, not returned:
    /// the cache only makes things faster.
    pub fn lookup(
        &self,
        engine: &Engine,
        sha256: &[u8; 32],
        wasm: &[u8],
    ) -> wasmtime::Result<(Component, Outcome)> {
        let path = self.entry_path(engine, sha256);
        let outcome = match File::open(&path) {
            Ok(entry) => match load_entry(engine, &entry, &path) {
                Some(component) => {
                    tracing::debug!(path = %path.display(), "compile cache hit");
                    return Ok((component, Outcome::Hit));
                }
                None => {
                    tracing::warn!(path = %path.display(), "compile cache entry is corrupt; compiling again");
                    Outcome::Replaced
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Outcome::Miss,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read compile cache entry");
                Outcome::Replaced
            }
        };
        let compiled = engine.precompile_component(wasm)?;
        if let Err(e) = self.store(&path, &compiled) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot write the compile cache");
        }
        // Safety: `compiled` was produced by this engine just now.
        let component = unsafe { Component::deserialize(engine, &compiled)? };
        Ok((component, outcome))
    }

    fn store(&self, path: &Path, compiled: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(compiled)?;
        tmp.write_all(&crc32fast::hash(compiled).to_le_bytes())?;
        tmp.as_file().sync_data()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Checks the trailer of `entry`, the open file at `path`, and maps it
/// as a component; `None` when corrupt.
fn load_entry(engine: &Engine, entry: &File, path: &Path) -> Option<Component> {
    let len = usize::try_from(entry.metadata().ok()?.len()).ok()?;
    let split = len.checked_sub(TRAILER).filter(|n| *n > 0)?;
    let mapped = Mapped::new(entry, len)?;
    let (code, sum) = mapped.bytes().split_at(split);
    if crc32fast::hash(code).to_le_bytes() != sum {
        return None;
    }
    drop(mapped);
    // Safety: the bytes are what `precompile_component` of an engine with
    // the same compatibility hash wrote (the key says so, the checksum
    // says they are unchanged; entries are replaced by rename, never
    // rewritten in place), and wasmtime checks its header again. It
    // ignores the trailer after the ELF image.
    unsafe { Component::deserialize_file(engine, path) }.ok()
}

/// A file mapped read-only, to check it without copying it.
struct Mapped {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Mapped {
    fn new(file: &File, len: usize) -> Option<Self> {
        use std::os::fd::AsRawFd as _;
        // Safety: a fresh private read-only mapping of an open file; it is
        // only read, through `bytes`, while `self` lives.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        (ptr != libc::MAP_FAILED).then_some(Self { ptr, len })
    }

    fn bytes(&self) -> &[u8] {
        // Safety: `ptr` maps `len` readable bytes until `drop`. (Another
        // process only ever replaces the file by rename, so the mapped
        // inode is not written meanwhile.)
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // Safety: `ptr` and `len` are the mapping made in `new`.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}
