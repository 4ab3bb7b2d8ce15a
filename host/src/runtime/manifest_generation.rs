//! The manifest-generation operation, called through its WIT world.

use super::bindings::manifest_generation::exports::ocipipe::image::configs;
use super::bindings::manifest_generation::{ManifestGeneration as World, ManifestGenerationPre};
use super::convert::{descriptor_to_wit, document_from_wit, platform_to_wit};
use super::{Answer, Bound, Error, Loaded, Runtime};
use crate::model::{ConfigRequest, Descriptor, Document};
use std::sync::Arc;

/// A loaded manifest-generation component.
pub struct ManifestGeneration(Bound<ManifestGenerationPre<super::Sandbox>>);

impl ManifestGeneration {
    pub(super) fn new(runtime: Arc<Runtime>, loaded: Loaded) -> Result<Self, Error> {
        Bound::new(
            runtime,
            loaded,
            "manifest-generation",
            ManifestGenerationPre::new,
        )
        .map(Self)
    }

    /// The image config; its digest is the image ID.
    pub fn image_config(&self, request: &ConfigRequest) -> Result<Document, Error> {
        let request = configs::ConfigRequest {
            base: request.base.clone(),
            platform: platform_to_wit(&request.platform),
            diff_ids: request.diff_ids.iter().map(|d| d.to_string()).collect(),
            history: request
                .history
                .iter()
                .map(|h| configs::History {
                    created: h.created.clone(),
                    created_by: h.created_by.clone(),
                    comment: h.comment.clone(),
                    empty_layer: h.empty_layer,
                })
                .collect(),
            created: request.created.clone(),
            env: request.env.clone(),
            entrypoint: request.entrypoint.clone(),
            cmd: request.cmd.clone(),
            working_dir: request.working_dir.clone(),
            user: request.user.clone(),
            labels: request.labels.clone(),
            exposed_ports: request.exposed_ports.clone(),
        };
        let document = self.invoke("image-config", |w, s| {
            w.ocipipe_image_configs().call_image_config(s, &request)
        })?;
        document_from_wit(&self.0.loaded.name, "image-config", document)
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
        let document = self.invoke("image-manifest", |w, s| {
            w.ocipipe_image_manifests()
                .call_image_manifest(s, &config, &layers, annotations, None)
        })?;
        document_from_wit(&self.0.loaded.name, "image-manifest", document)
    }

    fn invoke<T>(
        &self,
        function: &'static str,
        call: impl FnOnce(&World, &mut wasmtime::Store<super::Sandbox>) -> Answer<T>,
    ) -> Result<T, Error> {
        self.0.invoke(function, |pre, s| pre.instantiate(s), call)
    }
}
