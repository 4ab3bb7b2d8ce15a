//! Reading one layer tar (plain or gzip) as a stream of members, and the
//! checks that hold for the whole stream: it is not cut short or corrupt,
//! it ends with its end-of-archive marker, a gzip layer ends with its
//! checksummed trailer, and the uncompressed bytes hash to the layer's
//! `diff_id` when one is given. Pass 1 of unpacking ([`members`]) and
//! [`check_layer`] read a layer here without writing anything.
//!
//! Must not: write anything, read a layer into memory, or accept a member
//! name that is absolute or has a `..` component.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use super::error::{At, Error, after, not_a_tar, stream_error};
use crate::hashing::InlineHashing;
use crate::model::{Digest, Member, MemberKind};
use crate::store::tar::name::components;
use crate::store::tar::{BLOCK, Compression, member_kind, read_prefix, sniff};

/// A layer tar that unpacking can read more than once: once for its
/// members, once to apply them. Any `Fn() -> io::Result<impl Read>` is one.
pub trait LayerTar {
    /// A reader from the layer's first byte (plain or gzip).
    fn open(&self) -> io::Result<Box<dyn Read>>;
}

impl<F, R> LayerTar for F
where
    F: Fn() -> io::Result<R>,
    R: Read + 'static,
{
    fn open(&self) -> io::Result<Box<dyn Read>> {
        Ok(Box::new(self()?))
    }
}

/// One layer to apply.
pub(super) struct Layer<L> {
    /// How errors name it.
    pub(super) label: String,
    pub(super) tar: L,
    /// What its uncompressed bytes must hash to, when known.
    pub(super) diff_id: Option<Digest>,
}

/// The reader a layer's members are read from.
pub(super) type Stream = InlineHashing<Box<dyn Read>>;

/// Pass 1: the layer's members in tar order, every name checked, the whole
/// stream read and checked. Writes nothing.
pub(super) fn members<L: LayerTar>(layer: &Layer<L>) -> Result<Vec<Member>, Error> {
    Ok(scan(layer, |_, _| Ok(()))?.0)
}

/// Checks a layer tar given as a build input (plain or gzip) without
/// writing anything: every name and hard-link target stays inside the
/// root (no absolute paths, no `..`), no entry is truncated, the stream
/// ends properly. Device nodes and absolute symlink targets are image
/// content, not escapes, and pass. Returns how the layer is compressed.
/// Errors name the layer `shown` (its path as the user gave it, when
/// `path` is a spooled copy).
pub fn check_layer(path: &Path, shown: &Path) -> Result<Compression, Error> {
    let layer = Layer {
        label: shown.display().to_string(),
        tar: || File::open(path).map(BufReader::new),
        diff_id: None,
    };
    scan(&layer, |entry, at| match entry.link_name_bytes() {
        Some(target) if entry.header().entry_type().is_hard_link() => {
            components(&target).map_err(|_| Error::HardLinkEscape {
                layer: at.layer.to_owned(),
                entry: at.entry.to_owned(),
                target: String::from_utf8_lossy(&target).into_owned(),
            })?;
            Ok(())
        }
        _ => Ok(()),
    })
    .map(|(_, compression)| compression)
}

/// Reads every member (names checked, then `also`), reading past its data;
/// the members and the layer's compression.
fn scan<L: LayerTar>(
    layer: &Layer<L>,
    mut also: impl FnMut(&tar::Entry<'_, Stream>, &At<'_>) -> Result<(), Error>,
) -> Result<(Vec<Member>, Compression), Error> {
    let mut members = Vec::new();
    let compression = read_layer(layer, false, |entry, raw, at| {
        let kind = member_kind(entry.header());
        if kind != MemberKind::PaxGlobal {
            components(raw).map_err(|problem| at.unsafe_name(problem))?;
            also(entry, at)?;
        }
        members.push(Member {
            path: raw.to_vec(),
            kind,
        });
        io::copy(entry, &mut io::sink())
            .map_err(|e| stream_error(at.layer, &Some(at.entry.to_owned()), e))?;
        Ok(())
    })?;
    Ok((members, compression))
}

/// Reads one layer tar entry by entry, calling `each` on every entry with
/// its raw name, then checks that the stream ended with its
/// end-of-archive marker, that a gzip trailer is intact, and that the
/// bytes hash to the layer's diff_id when one is given. Returns how the
/// layer is compressed.
pub(super) fn read_layer<L: LayerTar>(
    layer: &Layer<L>,
    preserve_ownership: bool,
    mut each: impl FnMut(&mut tar::Entry<'_, Stream>, &[u8], &At<'_>) -> Result<(), Error>,
) -> Result<Compression, Error> {
    let label = &layer.label;
    let mut reader = layer.tar.open().map_err(|source| Error::OpenLayer {
        layer: label.clone(),
        source,
    })?;
    let mut prefix = [0u8; 4];
    let got = read_prefix(&mut reader, &mut prefix).map_err(|e| stream_error(label, &None, e))?;
    let stream = io::Cursor::new(prefix[..got].to_vec()).chain(reader);
    let compression = sniff(&prefix[..got]);
    let plain: Box<dyn Read> = match compression {
        Compression::None => Box::new(stream),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(stream)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::new(stream).map_err(|e| stream_error(label, &None, e))?,
        ),
        Compression::Unsupported(format) => {
            return Err(Error::UnsupportedCompression {
                layer: label.clone(),
                format,
            });
        }
    };
    let mut archive = tar::Archive::new(InlineHashing::new(plain));
    archive.set_preserve_ownerships(preserve_ownership);
    archive.set_preserve_mtime(true);
    archive.set_unpack_xattrs(false);
    let mut last: Option<String> = None;
    // Where the header after the last entry starts.
    let mut end = 0u64;
    for item in archive
        .entries()
        .map_err(|e| stream_error(label, &None, e))?
    {
        let mut entry = item.map_err(|e| match (&last, compression) {
            (None, Compression::None) => not_a_tar(label, &e),
            _ => stream_error(label, &last, e),
        })?;
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        end = entry
            .raw_file_position()
            .saturating_add(entry.size())
            .div_ceil(BLOCK)
            * BLOCK;
        let at = At {
            layer: label,
            entry: &shown,
        };
        each(&mut entry, &raw, &at)?;
        last = Some(shown);
    }
    let mut rest = archive.into_inner();
    // The tar reader stops at a zero block or at the end of the stream:
    // only the first is a whole layer.
    if rest.count() < end.saturating_add(BLOCK) {
        return Err(Error::Truncated {
            layer: label.clone(),
            detail: format!("it ends without an end-of-archive marker {}", after(&last)),
            entry: last,
        });
    }
    // Read to the end: a gzip stream's trailer (its checksum) is checked there.
    io::copy(&mut rest, &mut io::sink()).map_err(|e| stream_error(label, &last, e))?;
    let actual = rest.digest();
    match &layer.diff_id {
        Some(expected) if *expected != actual => Err(Error::DiffIdMismatch {
            layer: label.clone(),
            expected: expected.clone(),
            actual,
        }),
        _ => Ok(compression),
    }
}
