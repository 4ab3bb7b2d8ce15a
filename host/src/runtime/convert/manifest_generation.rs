//! Conversions for the `manifest-generation` world: what a manifest refers
//! to (WIT `manifest-contents`, a variant of two records, where `model`
//! has one enum of two struct cases).

use crate::model::ManifestContents;
use crate::runtime::bindings::manifest_generation::exports::ocipipe::image::manifests;

/// What a manifest refers to, as a component answered it.
pub(in crate::runtime) fn manifest_contents_from_wit(
    contents: manifests::ManifestContents,
) -> ManifestContents {
    match contents {
        manifests::ManifestContents::Image(image) => ManifestContents::Image {
            media_type: image.media_type,
            config: image.config,
            layers: image.layers,
            subject: image.subject,
            artifact_type: image.artifact_type,
        },
        manifests::ManifestContents::Index(index) => ManifestContents::Index {
            media_type: index.media_type,
            manifests: index.manifests,
            subject: index.subject,
        },
    }
}
