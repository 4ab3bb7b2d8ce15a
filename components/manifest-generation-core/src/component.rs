//! A WebAssembly component as an OCI artifact, in the CNCF wasm OCI
//! artifact layout (what `wkg oci push` writes and wasm runtimes pull):
//! an image manifest whose config is the wasm config document and whose
//! one layer is the component's bytes.
//!
//! Owns: the two media types, and which layer of a pulled manifest is the
//! component. Must not: build the wasm config document (its world's
//! imports and exports are the host's to read), or read bytes.

use ocipipe_sdk::digest;

use crate::{Descriptor, Error};

/// `application/vnd.wasm.config.v0+json`: the wasm config document.
pub const MEDIA_TYPE_WASM_CONFIG: &str = "application/vnd.wasm.config.v0+json";
/// `application/wasm`: the component's bytes.
pub const MEDIA_TYPE_WASM: &str = "application/wasm";

/// The blobs of a component artifact (WIT `component-artifact`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentArtifact {
    /// The wasm config document's descriptor.
    pub config: Descriptor,
    /// The component's bytes' descriptor.
    pub layer: Descriptor,
}

/// The descriptors of a component of `wasm_digest` and `wasm_size` pushed
/// with the wasm config document `config`; see the WIT
/// `component-descriptors`.
pub fn component_descriptors(
    wasm_digest: &str,
    wasm_size: u64,
    config: &[u8],
) -> Result<ComponentArtifact, Error> {
    digest::check(wasm_digest)
        .map_err(|e| Error::invalid(format!("wasm-digest: {}", e.message())))?;
    Ok(ComponentArtifact {
        config: Descriptor::new(
            MEDIA_TYPE_WASM_CONFIG,
            digest::sha256(config),
            config.len() as u64,
        ),
        layer: Descriptor::new(MEDIA_TYPE_WASM, wasm_digest, wasm_size),
    })
}

/// The layer holding the component of a manifest whose config is `config`
/// and whose layers are `layers`; see the WIT `component-layer`.
pub fn component_layer(config: &Descriptor, layers: &[Descriptor]) -> Result<Descriptor, Error> {
    let wasm: Vec<&Descriptor> = layers
        .iter()
        .filter(|l| l.media_type == MEDIA_TYPE_WASM)
        .collect();
    match wasm[..] {
        [layer] => Ok(layer.clone()),
        _ => Err(Error::Unsupported(format!(
            "a wasm component artifact has a {MEDIA_TYPE_WASM_CONFIG} config and one \
             {MEDIA_TYPE_WASM} layer; this one has a {} config and {} such layers",
            config.media_type,
            wasm.len()
        ))),
    }
}
