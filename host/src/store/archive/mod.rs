//! Reading image archives (`docker save` / `docker load` tars) safely.
//!
//! Owns: one pass over an archive's tar headers into an [`ArchiveIndex`]
//! (validating every entry name) and opening one entry's bytes
//! ([`index`]); reading and checking `manifest.json`, the image configs and
//! their `diff_ids` ([`manifest`]). Reads the legacy layout Docker Engine
//! 20.10 writes (`<hex>.json` configs, `<id>/layer.tar` layers) and
//! ocipipe's dual-format one (`manifest.json` pointing into
//! `blobs/sha256/<hex>`, beside `index.json` and `oci-layout`). A layer's
//! bytes are checked against its `diff_id` by whoever streams them
//! (unpacking does, as it reads each layer).
//!
//! Must not: write anything to disk (unpacking is [`super::unpack`]),
//! decide an archive's layout (the tar-assembly component does), read a
//! layer into memory (layers stream; only small documents such as
//! `manifest.json` and configs are read whole, under a cap), or trust a
//! name, size or digest it has not checked.

mod error;
mod index;
mod manifest;

pub use error::Error;
pub use index::{ArchiveIndex, Entry, EntryKind, EntryReader};
pub use manifest::{ArchiveImage, MANIFEST, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES};

#[cfg(test)]
mod tests;
