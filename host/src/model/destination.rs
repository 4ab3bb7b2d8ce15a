//! The one image destination interface: where a content-addressed writer
//! puts an image, blob by blob, then its documents, then commits — as
//! go-containerregistry's `remote`/`layout` writers and regclient's
//! `scheme.API` take it.
//!
//! The sequence every writer follows ([`Destination`]'s methods, in
//! order):
//! 1. **known blobs**, each looked for first ([`Destination::find_blob`]):
//!    skipped when present, mounted where the place can (a registry from
//!    another repository of it), else put from bytes that can be opened
//!    again for each try ([`Destination::put_blob`]);
//! 2. **blobs made while they are written** (a layer tar compressed as it
//!    is sent: `stream.Layer`), whose digest is known only at their end
//!    ([`Destination::put_made`]);
//! 3. **documents**, children before the index that lists them
//!    ([`Destination::put_manifest`]);
//! 4. **the commit** ([`Destination::commit`]): the output appears whole
//!    or not at all, and a tag never names a missing blob.
//!
//! Why here, in `model`: every place an image goes is owned by another
//! module — an OCI layout by `store` ([`crate::store::layout_writer`]), a
//! registry repository by `registry` — and those modules never import each
//! other; `model` is what all of them share (as they share
//! [`super::Progress`]). The pipeline drives any implementation without
//! knowing which. The archive outputs and the engine, which store layers
//! uncompressed and name images rather than manifests, take whole images
//! through `store::sink` (`write_images`), written once there.
//!
//! The methods block: an implementation over an async client (a registry)
//! runs it on its runtime, and is called from threads outside it.
//!
//! Must not: decide anything about the documents (components do), or
//! hold an implementation.

use super::{Descriptor, Digest, Document};
use std::io::{self, Read, Write};

/// A blob's bytes, opened once per try.
pub type BlobBytes = Box<dyn Read + Send>;

/// Opens a known blob's bytes; called again for each try.
pub type OpenBlob = dyn Fn() -> io::Result<BlobBytes> + Send + Sync;

/// Makes a blob into the writer it is given; called again for each try.
/// It may borrow what it makes the blob from (`'a`): a destination calls
/// it only while its `put_made` runs.
pub type MakeBlob<'a> = dyn Fn(&mut dyn Write) -> io::Result<()> + Send + Sync + 'a;

/// What a destination found when looking for a known blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Not there: it must be put.
    Absent,
    /// Already there: skipped.
    Present,
    /// Made present from elsewhere in the place (a registry mount).
    Mounted,
}

/// A place an image can be written into; see the [module
/// documentation](self) for the order of the calls.
pub trait Destination: Sync {
    /// What goes wrong writing into it.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Looks for blob `blob` (its digest and size), mounting it where the
    /// place can; what was found.
    fn find_blob(&self, blob: &Descriptor) -> Result<Found, Self::Error>;

    /// Puts blob `blob` from `open`, refusing bytes that do not hash to
    /// its digest or have another size.
    fn put_blob(&self, blob: &Descriptor, open: &OpenBlob) -> Result<(), Self::Error>;

    /// Puts a blob made while it is written; its digest and size.
    fn put_made(&self, make: &MakeBlob<'_>) -> Result<(Digest, u64), Self::Error>;

    /// Puts a manifest or an index, once every blob and child it names is in.
    fn put_manifest(&self, manifest: &Document) -> Result<(), Self::Error>;

    /// Makes what was put appear, `root` named `tag` when given; dropping a
    /// destination uncommitted leaves the place as it was.
    fn commit(self, root: &Descriptor, tag: Option<&str>) -> Result<(), Self::Error>
    where
        Self: Sized;
}

/// What [`put_known`] did with a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// Sent: its bytes.
    Sent(u64),
    /// Already there: its bytes, not sent.
    Skipped(u64),
    /// Mounted from elsewhere in the place.
    Mounted,
}

impl Moved {
    /// The bytes it sent: none when skipped or mounted.
    pub fn sent(self) -> u64 {
        match self {
            Moved::Sent(size) => size,
            Moved::Skipped(_) | Moved::Mounted => 0,
        }
    }
}

/// Step 1 for one known blob: looked for, then put unless found.
pub fn put_known<D: Destination>(
    destination: &D,
    blob: &Descriptor,
    open: &OpenBlob,
) -> Result<Moved, D::Error> {
    Ok(match destination.find_blob(blob)? {
        Found::Present => Moved::Skipped(blob.size),
        Found::Mounted => Moved::Mounted,
        Found::Absent => {
            destination.put_blob(blob, open)?;
            Moved::Sent(blob.size)
        }
    })
}
