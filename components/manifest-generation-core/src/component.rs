//! A WebAssembly component as an OCI artifact, in the CNCF wasm OCI
//! artifact layout (what `wkg oci push` writes and wasm runtimes pull):
//! an image manifest whose config is the wasm config document and whose
//! one layer is the component's bytes.
//!
//! Owns: the two media types, the wasm config document, and which layer
//! of a pulled manifest is the component. Must not: read the component
//! (its world, imports and exports are the host's to read), or read bytes.

use ocipipe_sdk::{digest, json};
use serde::Serialize;

use crate::{Descriptor, Document, Error};

/// `application/vnd.wasm.config.v0+json`: the wasm config document.
pub const MEDIA_TYPE_WASM_CONFIG: &str = "application/vnd.wasm.config.v0+json";
/// `application/wasm`: the component's bytes.
pub const MEDIA_TYPE_WASM: &str = "application/wasm";
/// The config's `architecture`: a component runs on any machine.
pub const WASM_ARCHITECTURE: &str = "wasm";
/// The config's `os`: WASI preview 2, the interfaces a component imports.
pub const WASM_OS: &str = "wasip2";

/// What the host read of a component (WIT `component-world`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentWorld {
    /// The world it implements, in full, e.g. `ocipipe:image/tagging@0.1.0`.
    pub target: String,
    /// The interfaces it imports, e.g. `wasi:io/streams@0.2.0`.
    pub imports: Vec<String>,
    /// The interfaces it exports.
    pub exports: Vec<String>,
}

/// The blobs of a component artifact (WIT `component-artifact`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentArtifact {
    /// The wasm config document.
    pub config: Document,
    /// The component's bytes' descriptor.
    pub layer: Descriptor,
}

/// The wasm config document, its keys in the order ocipipe has always
/// written them (sorted), so a component pushed again keeps its digest.
#[derive(Serialize)]
struct WasmConfig<'a> {
    architecture: &'static str,
    component: WasmComponent<'a>,
    #[serde(rename = "layerDigests")]
    layer_digests: [&'a str; 1],
    os: &'static str,
}

/// The config's `component` object.
#[derive(Serialize)]
struct WasmComponent<'a> {
    exports: &'a [String],
    imports: &'a [String],
    target: &'a str,
}

/// The blobs of a component of `wasm_digest` and `wasm_size` that
/// implements `world` (WIT `component`); see the WIT `component-blobs`.
pub fn component_blobs(
    wasm_digest: &str,
    wasm_size: u64,
    world: &ComponentWorld,
) -> Result<ComponentArtifact, Error> {
    digest::check(wasm_digest)
        .map_err(|e| Error::invalid(format!("wasm-digest: {}", e.message())))?;
    if world.target.is_empty() {
        return Err(Error::invalid("component.target: empty"));
    }
    let config = WasmConfig {
        architecture: WASM_ARCHITECTURE,
        component: WasmComponent {
            exports: &world.exports,
            imports: &world.imports,
            target: &world.target,
        },
        layer_digests: [wasm_digest],
        os: WASM_OS,
    };
    Ok(ComponentArtifact {
        config: Document::new(MEDIA_TYPE_WASM_CONFIG, json::to_go_json(&config)),
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
