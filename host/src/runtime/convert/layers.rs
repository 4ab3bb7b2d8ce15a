//! Conversions for the layer and listing functions of the
//! `manifest-generation` world (`layer-media-type`, `image-layers`,
//! `index-entries`, `component-descriptors`, `component-layer`), and the
//! checks that an image's layers are the ones the component was given, in
//! order, and that a component artifact's blobs are the ones the host
//! read.

use super::{Origin, descriptor_from_wit};
use crate::model::{
    Descriptor, Digest, ImageLayer, IndexEntry, IndexEntryKind, LayerCompression, ManifestFormat,
};
use crate::runtime::Error;
use crate::runtime::bindings::manifest_generation::exports::ocipipe::image::manifests;
use crate::runtime::bindings::types;

/// A layer's compression, into WIT.
pub(in crate::runtime) fn compression_to_wit(
    compression: LayerCompression,
) -> manifests::Compression {
    match compression {
        LayerCompression::None => manifests::Compression::None,
        LayerCompression::Gzip => manifests::Compression::Gzip,
        LayerCompression::Zstd => manifests::Compression::Zstd,
    }
}

/// A manifest format, into WIT.
pub(in crate::runtime) fn manifest_format_to_wit(
    format: ManifestFormat,
) -> manifests::ManifestFormat {
    match format {
        ManifestFormat::Oci => manifests::ManifestFormat::Oci,
        ManifestFormat::Docker => manifests::ManifestFormat::Docker,
    }
}

/// The layers of an image as a component read them: one per layer of
/// `given`, each that layer unchanged, with a well-formed `diff_id`.
pub(in crate::runtime) fn image_layers_from_wit(
    at: Origin<'_>,
    given: &[Descriptor],
    layers: Vec<manifests::ImageLayer>,
) -> Result<Vec<ImageLayer>, Error> {
    if layers.len() != given.len() {
        return Err(at.contract(format!(
            "it answered {} layers for the {} it was given",
            layers.len(),
            given.len()
        )));
    }
    layers
        .into_iter()
        .zip(given)
        .enumerate()
        .map(|(i, (layer, given))| {
            let descriptor = descriptor_from_wit(at, layer.descriptor)?;
            if &descriptor != given {
                return Err(at.contract(format!(
                    "layer {i} came back as {} ({}), not as it was given",
                    descriptor.digest, descriptor.media_type
                )));
            }
            Ok(ImageLayer {
                descriptor,
                compression: match layer.compression {
                    manifests::Compression::None => LayerCompression::None,
                    manifests::Compression::Gzip => LayerCompression::Gzip,
                    manifests::Compression::Zstd => LayerCompression::Zstd,
                },
                diff_id: at.digest(layer.diff_id)?,
            })
        })
        .collect()
}

/// An entry of an index, as a component read it.
pub(in crate::runtime) fn index_entry_from_wit(
    at: Origin<'_>,
    entry: manifests::IndexEntry,
) -> Result<IndexEntry, Error> {
    Ok(IndexEntry {
        manifest: descriptor_from_wit(at, entry.manifest)?,
        kind: match entry.kind {
            manifests::EntryKind::Image => IndexEntryKind::Image,
            manifests::EntryKind::Index => IndexEntryKind::Index,
            manifests::EntryKind::Other => IndexEntryKind::Other,
        },
        name: entry.name,
    })
}

/// The descriptors of a component artifact, as a component answered them:
/// the config describes `config` exactly, the layer is the component of
/// `wasm` and `size` the host read.
pub(in crate::runtime) fn component_descriptors_from_wit(
    at: Origin<'_>,
    wasm: &Digest,
    size: u64,
    config: &[u8],
    artifact: manifests::ComponentArtifact,
) -> Result<(Descriptor, Descriptor), Error> {
    let config_descriptor = descriptor_from_wit(at, artifact.config)?;
    let layer = descriptor_from_wit(at, artifact.layer)?;
    if config_descriptor.digest != Digest::sha256(config)
        || config_descriptor.size != config.len() as u64
    {
        return Err(at.contract("the config's descriptor does not describe the config given"));
    }
    if &layer.digest != wasm || layer.size != size {
        return Err(at.contract(format!(
            "the layer is {} of {} bytes, not the component {wasm} of {size}",
            layer.digest, layer.size
        )));
    }
    Ok((config_descriptor, layer))
}

/// The layer a component chose as a component's: one of `given`,
/// unchanged.
pub(in crate::runtime) fn component_layer_from_wit(
    at: Origin<'_>,
    given: &[Descriptor],
    layer: types::Descriptor,
) -> Result<Descriptor, Error> {
    let layer = descriptor_from_wit(at, layer)?;
    if given.contains(&layer) {
        Ok(layer)
    } else {
        Err(at.contract(format!(
            "it chose {}, which is not one of the {} layers it was given",
            layer.digest,
            given.len()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Origin<'static> = Origin {
        component: "manifest-generation (test)",
        function: "image-layers",
    };

    fn layer(descriptor: &Descriptor) -> manifests::ImageLayer {
        manifests::ImageLayer {
            descriptor: super::super::descriptor_to_wit(descriptor),
            compression: manifests::Compression::None,
            diff_id: Digest::sha256(b"tar").to_string(),
        }
    }

    #[test]
    fn layers_must_be_the_ones_given_in_order() {
        let given = [
            Descriptor::new("a/b", Digest::sha256(b"1"), 1),
            Descriptor::new("a/b", Digest::sha256(b"2"), 1),
        ];
        let read = image_layers_from_wit(AT, &given, given.iter().map(layer).collect()).unwrap();
        assert_eq!(read[1].descriptor, given[1]);
        let swapped = vec![layer(&given[1]), layer(&given[0])];
        let err = image_layers_from_wit(AT, &given, swapped).unwrap_err();
        assert!(err.to_string().contains("layer 0 came back"), "{err}");
        let short = image_layers_from_wit(AT, &given, vec![layer(&given[0])]).unwrap_err();
        assert!(matches!(short, Error::Contract { .. }));
    }

    #[test]
    fn a_component_artifact_must_describe_what_the_host_read() {
        let wasm = Digest::sha256(b"wasm");
        let answer = |config: &[u8], size| manifests::ComponentArtifact {
            config: super::super::descriptor_to_wit(&Descriptor::new(
                "a/c",
                Digest::sha256(config),
                config.len() as u64,
            )),
            layer: super::super::descriptor_to_wit(&Descriptor::new("a/w", wasm.clone(), size)),
        };
        assert!(component_descriptors_from_wit(AT, &wasm, 4, b"{}", answer(b"{}", 4)).is_ok());
        assert!(component_descriptors_from_wit(AT, &wasm, 4, b"{}", answer(b"[]", 4)).is_err());
        assert!(component_descriptors_from_wit(AT, &wasm, 4, b"{}", answer(b"{}", 5)).is_err());
    }
}
