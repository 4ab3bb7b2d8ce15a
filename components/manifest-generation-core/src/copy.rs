//! What a copy of an image transfers: its config and its layers, except
//! the foreign ones ([`copied_blobs`]); and which layers of a build's base
//! a push sends as they are stored ([`base_layer_as_stored`]).
//!
//! Owns: which blobs listed by an image manifest go with it, and which
//! keep their bytes. Must not: read or compress bytes, or decide how a
//! destination stores them.

use std::collections::HashSet;

use crate::{Compression, Descriptor};

/// The blobs an image manifest listing `config` and `layers` has a copy
/// transfer, in order, each once; see the WIT `copied-blobs`.
pub fn copied_blobs(config: &Descriptor, layers: &[Descriptor]) -> Vec<Descriptor> {
    let mut seen = HashSet::new();
    std::iter::once(config)
        .chain(layers.iter().filter(|layer| !is_foreign(layer)))
        .filter(|blob| seen.insert(blob.digest.as_str()))
        .cloned()
        .collect()
}

/// Whether `layer` is foreign: it names the URLs its bytes are fetched
/// from (a Docker foreign layer, an OCI non-distributable one), so a
/// registry need not hold it.
fn is_foreign(layer: &Descriptor) -> bool {
    !layer.urls.is_empty()
}

/// Whether a base layer stored with `stored` is pushed as it is stored;
/// see the WIT `base-layer-as-stored`.
pub fn base_layer_as_stored(stored: Compression) -> bool {
    match stored {
        Compression::Gzip | Compression::Zstd => true,
        Compression::None => false,
    }
}
