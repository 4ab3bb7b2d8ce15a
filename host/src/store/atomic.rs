//! Outputs written atomically: a temporary file beside the target, renamed
//! over it only when complete, so a failure never leaves half a file.
//! Like `cp`, `tar` and `docker save`, nothing is fsynced: that would cost
//! about 0.4 s per GiB here and only matters for a power cut.
//!
//! Only a regular file is ever replaced. A target that is something else —
//! a device such as `/dev/null`, a FIFO, a terminal, or a symlink to one —
//! is written into directly, as `cp` and `tar` do ([`Target`]); a symlink
//! to a regular file is followed and the file it names is replaced. One of
//! this process's own descriptors named through `/proc` (`/dev/stdout`,
//! `/dev/fd/N`, `/proc/self/fd/N`: "magic links", whose targets such as
//! `pipe:[N]` are not paths) is written into whatever it is, as `-o -`
//! writes stdout. A new file gets `0666` less the umask; a replaced one
//! keeps its mode.

use super::cleanup::{self, Registered};
use std::ffi::OsStr;
use std::fs::{File, Permissions};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Symlinks followed at most when resolving a target.
const MAX_LINKS: usize = 40;

/// Where an output named on the command line goes.
#[derive(Debug)]
pub enum Target {
    /// A regular file, existing or not, at this path (symlinks resolved):
    /// written beside it and renamed over it.
    Replace(PathBuf),
    /// Not a regular file (a device, a FIFO, a socket's peer, a terminal),
    /// or a descriptor of this process: written into directly; nothing is
    /// renamed.
    Into(File),
}

impl Target {
    /// Resolves `path`: follows symlinks to what they name, refuses a
    /// directory, opens anything that is not a regular file for writing,
    /// and takes a descriptor of this process named through `/proc` as it
    /// is.
    pub fn resolve(path: &Path) -> io::Result<Self> {
        let mut path = path.to_path_buf();
        for _ in 0..MAX_LINKS {
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::Replace(path)),
                Err(e) => return Err(e),
            };
            let kind = meta.file_type();
            if kind.is_symlink() {
                if let Some(fd) = own_descriptor(&path) {
                    return Self::descriptor(fd);
                }
                // What the kernel reaches through the link: anything but a
                // file or a directory is opened through it (another
                // process's `/proc/PID/fd/N` names no path to follow).
                if let Ok(reached) = std::fs::metadata(&path)
                    && !reached.is_file()
                    && !reached.is_dir()
                {
                    return Ok(Self::Into(open_for_writing(&path)?));
                }
                let link = std::fs::read_link(&path)?;
                path = parent_dir(&path).join(link);
            } else if kind.is_dir() {
                return Err(is_a_directory());
            } else if kind.is_file() {
                return Ok(Self::Replace(path));
            } else {
                return Ok(Self::Into(open_for_writing(&path)?));
            }
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "too many levels of symbolic links",
        ))
    }

    /// This process's descriptor `fd`, duplicated: written at its offset,
    /// whatever it is (a pipe, a socket, a terminal, a file the shell
    /// opened, even for appending), as `-o -` writes stdout.
    fn descriptor(fd: RawFd) -> io::Result<Self> {
        // SAFETY: `fd` is open in this process: /proc listed it just now,
        // and it is only borrowed for the duplication.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let file = File::from(borrowed.try_clone_to_owned()?);
        if file.metadata()?.is_dir() {
            return Err(is_a_directory());
        }
        Ok(Self::Into(file))
    }
}

fn is_a_directory() -> io::Error {
    io::Error::new(
        io::ErrorKind::IsADirectory,
        "it is a directory; name a file",
    )
}

fn open_for_writing(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new().write(true).open(path)
}

/// The descriptor `link` is, when it is an entry of this process's
/// descriptor directory (`/proc/PID/fd/N` or `/proc/PID/task/TID/fd/N`,
/// however reached: `/proc/self/fd`, `/dev/fd`).
fn own_descriptor(link: &Path) -> Option<RawFd> {
    let fd = link.file_name()?.to_str()?.parse::<RawFd>().ok()?;
    let dir = std::fs::canonicalize(parent_dir(link)).ok()?;
    let parts: Vec<&OsStr> = dir.strip_prefix("/proc").ok()?.iter().collect();
    let pid = std::process::id().to_string();
    let ours = match parts.as_slice() {
        [p, fd_dir] => *fd_dir == "fd" && *p == pid.as_str(),
        [p, task, _, fd_dir] => *fd_dir == "fd" && *task == "task" && *p == pid.as_str(),
        _ => false,
    };
    ours.then_some(fd)
}

/// Whether `path` reaches this process's standard output (`/dev/stdout`,
/// or the very file or pipe stdout is): a command writing there must print
/// its report elsewhere.
pub fn is_standard_output(path: &Path) -> bool {
    let stdout = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(File::from)
        .and_then(|f| f.metadata());
    match (stdout, std::fs::metadata(path)) {
        (Ok(out), Ok(target)) => out.dev() == target.dev() && out.ino() == target.ino(),
        _ => false,
    }
}

/// Whether a rename of a finished directory failed because its target
/// became a non-empty directory meanwhile (another run made it).
pub fn taken_meanwhile(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::AlreadyExists
    )
}

/// A file being written in place of `target`.
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    /// The mode the finished file gets.
    mode: u32,
    _registered: Registered,
}

impl AtomicFile {
    /// Starts writing `target`: a hidden temporary file in its directory,
    /// removed again if this is dropped before [`Self::commit`] or the
    /// process is interrupted.
    pub fn create(target: &Path) -> io::Result<Self> {
        let mode = match std::fs::metadata(target) {
            Ok(meta) => meta.permissions().mode() & 0o7777,
            Err(_) => 0o666 & !umask(),
        };
        let (tmp, registered) = cleanup::create(
            || {
                tempfile::Builder::new()
                    .prefix(".ocipipe-")
                    .tempfile_in(parent_dir(target))
            },
            |tmp| tmp.path(),
        )?;
        Ok(Self {
            tmp,
            mode,
            _registered: registered,
        })
    }

    /// [`Self::create`], the finished file getting `mode` whatever the
    /// target's is (0600 for a file of secrets).
    pub fn with_mode(target: &Path, mode: u32) -> io::Result<Self> {
        let mut file = Self::create(target)?;
        file.mode = mode;
        Ok(file)
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// The file emptied, to be written from its start (again, after a
    /// failed try).
    pub fn rewrite(&self) -> io::Result<File> {
        let file = self.tmp.reopen()?;
        file.set_len(0)?;
        Ok(file)
    }

    /// Gives the complete file its mode and renames it to `target`.
    pub fn commit(self, target: &Path) -> io::Result<()> {
        self.tmp
            .as_file()
            .set_permissions(Permissions::from_mode(self.mode))?;
        self.tmp.persist(target).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Fails unless `target` is absent or an empty directory: a directory
/// output (a layout, a pull) never mixes with what was there.
pub fn check_new_dir(target: &Path) -> io::Result<()> {
    if target.exists() && std::fs::read_dir(target)?.next().is_some() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the directory exists and is not empty",
        ));
    }
    Ok(())
}

/// The directory a relative or absolute path lives in (`.` for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The process's umask, read without changing it (`umask(2)` can only be
/// read by setting it, which races with other threads creating files).
pub fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let value = line.strip_prefix("Umask:")?.trim();
                u32::from_str_radix(value, 8).ok()
            })
        })
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_new_file_gets_the_umask_and_a_replaced_one_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new");
        let mut out = AtomicFile::create(&new).unwrap();
        out.file().write_all(b"x").unwrap();
        out.commit(&new).unwrap();
        let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask());
        std::fs::set_permissions(&new, Permissions::from_mode(0o640)).unwrap();
        let mut out = AtomicFile::create(&new).unwrap();
        out.file().write_all(b"y").unwrap();
        out.commit(&new).unwrap();
        let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(std::fs::read(&new).unwrap(), b"y");
    }

    #[test]
    fn targets_resolve_to_the_file_a_symlink_names_or_into_what_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("file", &link).unwrap();
        match Target::resolve(&link).unwrap() {
            Target::Replace(path) => assert_eq!(path, file),
            other => panic!("{other:?}"),
        }
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("sub/../absent", &dangling).unwrap();
        match Target::resolve(&dangling).unwrap() {
            Target::Replace(path) => assert_eq!(path, dir.path().join("sub/../absent")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Target::resolve(Path::new("/dev/null")).unwrap(),
            Target::Into(_)
        ));
        let to_null = dir.path().join("null");
        std::os::unix::fs::symlink("/dev/null", &to_null).unwrap();
        assert!(matches!(
            Target::resolve(&to_null).unwrap(),
            Target::Into(_)
        ));
        assert!(std::fs::symlink_metadata(&to_null).unwrap().is_symlink());
        let err = Target::resolve(dir.path()).unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
        let looped = dir.path().join("loop");
        std::os::unix::fs::symlink("loop", &looped).unwrap();
        assert!(Target::resolve(&looped).is_err());
    }

    #[test]
    fn descriptors_of_this_process_are_written_into_whatever_they_are() {
        use std::io::{Read, Seek, Write};
        use std::os::fd::AsRawFd;
        let written = |target: Target, bytes: &[u8]| match target {
            Target::Into(mut file) => file.write_all(bytes).unwrap(),
            other => panic!("{other:?}"),
        };
        // A pipe: /proc/self/fd/N reads `pipe:[INODE]`, which is no path.
        let (mut reader, writer) = std::io::pipe().unwrap();
        let fd = writer.as_raw_fd();
        written(
            Target::resolve(Path::new(&format!("/proc/self/fd/{fd}"))).unwrap(),
            b"a",
        );
        written(
            Target::resolve(Path::new(&format!("/dev/fd/{fd}"))).unwrap(),
            b"b",
        );
        drop(writer);
        let mut got = String::new();
        reader.read_to_string(&mut got).unwrap();
        assert_eq!(got, "ab");
        // A socket, which cannot be opened through /proc at all.
        let (ours, mut peer) = std::os::unix::net::UnixStream::pair().unwrap();
        let fd = ours.as_raw_fd();
        written(
            Target::resolve(Path::new(&format!("/proc/thread-self/fd/{fd}"))).unwrap(),
            b"c",
        );
        drop(ours);
        let mut got = String::new();
        peer.read_to_string(&mut got).unwrap();
        assert_eq!(got, "c");
        // A file the shell opened for appending: appended to, not replaced.
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        std::fs::write(&log, b"kept ").unwrap();
        let mut appending = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        let fd = appending.as_raw_fd();
        written(
            Target::resolve(Path::new(&format!("/proc/self/fd/{fd}"))).unwrap(),
            b"added",
        );
        appending.rewind().unwrap();
        assert_eq!(std::fs::read(&log).unwrap(), b"kept added");
        // A directory is still refused.
        let opened = File::open(dir.path()).unwrap();
        let err = Target::resolve(Path::new(&format!("/proc/self/fd/{}", opened.as_raw_fd())))
            .unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
    }
}
