//! The manifest-generation operation's wrapper: platforms, image configs
//! and manifests, called through the `manifest-generation` world.
//!
//! Must not: build or check a document itself; conversions live in
//! `convert::manifest_generation`.

use super::bindings::manifest_generation::{ManifestGeneration as World, ManifestGenerationPre};
use super::bound::{Bound, bind};
use super::convert::manifest_generation::{config_request_to_wit, host_machine_to_wit};
use super::convert::{descriptor_to_wit, document_from_wit, platform_from_wit};
use super::operations::MANIFEST_GENERATION;
use super::{Error, Sandbox};
use crate::model::{ConfigRequest, Descriptor, Document, HostMachine, Platform};

/// A loaded manifest-generation component.
pub struct ManifestGeneration(Bound<ManifestGenerationPre<Sandbox>, World>);

bind!(
    ManifestGeneration,
    MANIFEST_GENERATION,
    ManifestGenerationPre
);

impl ManifestGeneration {
    /// A platform as a person writes it (`os/arch[/variant]`), normalised
    /// as containerd does; without `spec`, the platform of `host`.
    pub fn normalize_platform(
        &self,
        spec: Option<&str>,
        host: &HostMachine,
    ) -> Result<Platform, Error> {
        let host = host_machine_to_wit(host);
        self.0.invoke(
            "normalize-platform",
            |w, s| {
                w.ocipipe_image_configs()
                    .call_normalize_platform(s, spec, &host)
            },
            |_, platform| Ok(platform_from_wit(platform)),
        )
    }

    /// The image config; its digest is the image ID.
    pub fn image_config(&self, request: &ConfigRequest) -> Result<Document, Error> {
        let request = config_request_to_wit(request);
        self.0.invoke(
            "image-config",
            |w, s| w.ocipipe_image_configs().call_image_config(s, &request),
            document_from_wit,
        )
    }

    /// An OCI image manifest for a config and its layers.
    pub fn image_manifest(
        &self,
        config: &Descriptor,
        layers: &[Descriptor],
        annotations: &[(String, String)],
    ) -> Result<Document, Error> {
        let config = descriptor_to_wit(config);
        let layers: Vec<_> = layers.iter().map(descriptor_to_wit).collect();
        self.0.invoke(
            "image-manifest",
            |w, s| {
                w.ocipipe_image_manifests().call_image_manifest(
                    s,
                    &config,
                    &layers,
                    annotations,
                    None,
                )
            },
            document_from_wit,
        )
    }
}
