//! Domain types shared by the host's modules: what a reference, digest or
//! descriptor is, independent of WIT bindings and of any backend. The
//! runtime converts generated binding types to and from these.

mod archive;
mod descriptor;
mod layer;
mod progress;
mod reference;

pub use archive::{ArchiveFormat, ArchiveImage, ArchiveLayer, BlobHead, LayoutFile, WrittenBlob};
pub use descriptor::{ConfigRequest, Descriptor, Document, History, Platform};
pub use layer::{Entry, EntryKind, LayerOptions, Segment};
pub use progress::{Progress, Quiet};
pub use reference::Reference;

/// The digest of `bytes` in full form, `sha256:<64 hex>`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}
