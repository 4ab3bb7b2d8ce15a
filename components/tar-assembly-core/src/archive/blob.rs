//! Blob names, and where a blob the host writes itself goes
//! ([`blob_entry`]; the table is in the [module documentation](super)).

use ocipipe_sdk::digest::SHA256;

use super::catalog::Digests;
use super::{ArchiveFormat, BlobHead, BlobPlacement, WrittenBlob};
use crate::Error;
use crate::header::{self, Header};

/// The encoded part of the placeholder name: as long as any sha256 one.
const PLACEHOLDER_HEX: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `blobs/<algorithm>/<encoded>` of a digest already checked.
pub(super) fn blob_path(digest: &str) -> String {
    let (algorithm, encoded) = digest.split_once(':').unwrap_or((digest, ""));
    format!("blobs/{algorithm}/{encoded}")
}

/// The encoded part of a digest already checked (after the `:`).
pub(super) fn encoded(digest: &str) -> &str {
    digest.split_once(':').map_or(digest, |(_, e)| e)
}

/// `layer-<ordinal>.tar`: a blob of the `Docker` format.
pub(super) fn layer_path(ordinal: u32) -> String {
    format!("layer-{ordinal}.tar")
}

/// The ordinal of a `layer-<n>.tar` path, `n` written as `layer_path` does.
pub(super) fn parse_layer_path(path: &str) -> Option<u32> {
    let n = path.strip_prefix("layer-")?.strip_suffix(".tar")?;
    let ordinal: u32 = n.parse().ok()?;
    (ordinal.to_string() == n).then_some(ordinal)
}

/// Where the `ordinal`-th blob the host writes, of `size` bytes, goes, given
/// the blobs `written` so far: [`BlobPlacement::Stored`] at the path of a
/// written blob with the same digest, else the head to write it under (see
/// the [module documentation](super)).
pub fn blob_entry(
    format: ArchiveFormat,
    digest: Option<&str>,
    ordinal: u32,
    size: u64,
    written: &[WrittenBlob],
) -> Result<BlobPlacement, Error> {
    if let Some(d) = digest {
        Digests::Sha256.check(d, "blob")?;
        if let Some(w) = written.iter().find(|w| w.digest == d) {
            return Ok(BlobPlacement::Stored(w.path.clone()));
        }
    }
    let path = match (format, digest) {
        (ArchiveFormat::DockerAndOci | ArchiveFormat::OciArchive, Some(d)) => blob_path(d),
        (ArchiveFormat::DockerAndOci | ArchiveFormat::OciArchive, None) => {
            format!("blobs/{SHA256}/{PLACEHOLDER_HEX}")
        }
        (ArchiveFormat::Docker, _) => layer_path(ordinal),
    };
    let header = header::encode(&Header::archive(&path, header::TYPE_REG, size))?;
    let padding = u32::try_from(header::padding(size)).expect("padding is less than a block");
    Ok(BlobPlacement::Write(BlobHead {
        path,
        header,
        padding,
    }))
}
