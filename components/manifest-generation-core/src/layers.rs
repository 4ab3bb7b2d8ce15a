//! Layers as manifests describe them: which media type a layer stored with
//! a compression is given ([`layer_media_type`]), and, reading an image
//! back, how each listed layer is compressed and which `diff_id` its config
//! gives it ([`image_layers`]).
//!
//! Owns: the layer media types (OCI's and Docker schema 2's, the
//! non-distributable and foreign ones read too) and what each says of the
//! bytes' compression; that the config's `rootfs.diff_ids` match the
//! manifest's layers one for one.
//! Must not: read or compress bytes (the host does), or decide which layers
//! to copy.

use ocipipe_sdk::digest;
use serde_json::Value;

use crate::read::parse_object;
use crate::{Descriptor, Error, MEDIA_TYPE_DOCKER_LAYER_GZIP};

/// `application/vnd.oci.image.layer.v1.tar`
pub const MEDIA_TYPE_OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// `application/vnd.oci.image.layer.v1.tar+gzip`
pub const MEDIA_TYPE_OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// `application/vnd.oci.image.layer.v1.tar+zstd`
pub const MEDIA_TYPE_OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// `application/vnd.docker.image.rootfs.diff.tar`
pub const MEDIA_TYPE_DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar";

/// `application/vnd.docker.image.rootfs.diff.tar.zstd` (containerd's name
/// for a zstd layer in a Docker manifest)
pub const MEDIA_TYPE_DOCKER_LAYER_ZSTD: &str = "application/vnd.docker.image.rootfs.diff.tar.zstd";

/// Every layer media type read, with the compression it says the bytes
/// have.
const LAYER_MEDIA_TYPES: [(&str, Compression); 9] = [
    (MEDIA_TYPE_OCI_LAYER, Compression::None),
    (
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        Compression::None,
    ),
    (MEDIA_TYPE_DOCKER_LAYER, Compression::None),
    (MEDIA_TYPE_OCI_LAYER_GZIP, Compression::Gzip),
    (
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        Compression::Gzip,
    ),
    (MEDIA_TYPE_DOCKER_LAYER_GZIP, Compression::Gzip),
    (
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        Compression::Gzip,
    ),
    (MEDIA_TYPE_OCI_LAYER_ZSTD, Compression::Zstd),
    (MEDIA_TYPE_DOCKER_LAYER_ZSTD, Compression::Zstd),
];

pub use crate::wit::exports::ocipipe::image::manifests::{Compression, ImageLayer, ManifestFormat};

/// The media type of a layer stored with `compression` in a manifest of
/// `format`; see the WIT `layer-media-type`.
pub fn layer_media_type(compression: Compression, format: ManifestFormat) -> String {
    match (format, compression) {
        (ManifestFormat::Oci, Compression::None) => MEDIA_TYPE_OCI_LAYER,
        (ManifestFormat::Oci, Compression::Gzip) => MEDIA_TYPE_OCI_LAYER_GZIP,
        (ManifestFormat::Oci, Compression::Zstd) => MEDIA_TYPE_OCI_LAYER_ZSTD,
        (ManifestFormat::Docker, Compression::None) => MEDIA_TYPE_DOCKER_LAYER,
        (ManifestFormat::Docker, Compression::Gzip) => MEDIA_TYPE_DOCKER_LAYER_GZIP,
        (ManifestFormat::Docker, Compression::Zstd) => MEDIA_TYPE_DOCKER_LAYER_ZSTD,
    }
    .to_owned()
}

/// The compression a layer media type says its bytes have; none when it
/// is not a layer media type read here.
pub fn layer_compression(media_type: &str) -> Option<Compression> {
    LAYER_MEDIA_TYPES
        .iter()
        .find(|(known, _)| *known == media_type)
        .map(|(_, compression)| *compression)
}

/// The layers of an image whose manifest lists `layers` and whose config
/// is `config`; see the WIT `image-layers`.
pub fn image_layers(layers: &[Descriptor], config: &[u8]) -> Result<Vec<ImageLayer>, Error> {
    let config = parse_object(config, "the config")?;
    let diff_ids = match config.get("rootfs").and_then(|r| r.get("diff_ids")) {
        Some(Value::Array(ids)) => ids,
        Some(_) => return Err(Error::invalid("config: rootfs.diff_ids is not an array")),
        None => return Err(Error::invalid("config: rootfs.diff_ids is missing")),
    };
    if diff_ids.len() != layers.len() {
        return Err(Error::invalid(format!(
            "the manifest lists {} layers but its config {} diff_ids",
            layers.len(),
            diff_ids.len()
        )));
    }
    layers
        .iter()
        .zip(diff_ids)
        .enumerate()
        .map(|(i, (layer, diff_id))| {
            layer.check(&format!("layers[{i}]"))?;
            let compression = layer_compression(&layer.media_type).ok_or_else(|| {
                Error::Unsupported(format!(
                    "layers[{i}]: media type {:?} is not a layer type this reads",
                    layer.media_type
                ))
            })?;
            let diff_id = diff_id.as_str().ok_or_else(|| {
                Error::invalid(format!("config: rootfs.diff_ids[{i}] is not a string"))
            })?;
            digest::check(diff_id).map_err(|e| {
                Error::invalid(format!("config: rootfs.diff_ids[{i}]: {}", e.message()))
            })?;
            Ok(ImageLayer {
                descriptor: layer.clone(),
                compression,
                diff_id: diff_id.to_owned(),
            })
        })
        .collect()
}
