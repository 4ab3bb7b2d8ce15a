//! {{crate}}: an ocipipe `manifest-generation` component (the world
//! `ocipipe:image/manifest-generation@{{wit}}`, whose WIT is in `wit/`).
//!
//! Every function answers what the next implementation answers: `next` is
//! the WIT import of the same interface, which ocipipe links to the
//! built-in (or to the component named before this one with
//! `--component manifest-generation=…`). Change the answers you need; the
//! rest stay the built-in's. Which command calls which function:
//! `ocipipe component contract`.

use manifest_generation_core::wit::exports::ocipipe::image::{configs, manifests};
use manifest_generation_core::wit::ocipipe::image::configs as next_configs;
use manifest_generation_core::wit::ocipipe::image::manifests as next;
use ocipipe_sdk::{Annotation, Descriptor, Document, Error, Platform};

struct Component;

impl configs::Guest for Component {
    fn image_config(request: configs::ConfigRequest) -> Result<Document, Error> {
        let labels = labels(request.labels.clone());
        next_configs::image_config(&configs::ConfigRequest { labels, ..request })
    }

    fn normalize_platform(
        spec: Option<String>,
        host: configs::HostMachine,
    ) -> Result<Platform, Error> {
        next_configs::normalize_platform(spec.as_deref(), &host)
    }

    fn edit_config(config: Vec<u8>, edits: configs::ConfigEdits) -> Result<Document, Error> {
        let labels = labels(edits.labels.clone());
        next_configs::edit_config(&config, &configs::ConfigEdits { labels, ..edits })
    }

    fn config_platform(config: Vec<u8>) -> Result<Platform, Error> {
        next_configs::config_platform(&config)
    }
}

impl manifests::Guest for Component {
    fn image_manifest(
        config: Descriptor,
        layers: Vec<Descriptor>,
        annotations: Vec<Annotation>,
        subject: Option<Descriptor>,
    ) -> Result<Document, Error> {
        next::image_manifest(&config, &layers, &annotations, subject.as_ref())
    }

    fn image_index(
        manifests: Vec<Descriptor>,
        annotations: Vec<Annotation>,
    ) -> Result<Document, Error> {
        next::image_index(&manifests, &annotations)
    }

    fn edit_manifest(
        manifest: Document,
        config: Descriptor,
        annotations: Vec<Annotation>,
    ) -> Result<Document, Error> {
        next::edit_manifest(&manifest, &config, &annotations)
    }

    fn edit_index(
        index: Document,
        replaced: Vec<manifests::ReplacedChild>,
        annotations: Vec<Annotation>,
    ) -> Result<Document, Error> {
        next::edit_index(&index, &replaced, &annotations)
    }

    fn plan_index(
        existing: Option<Document>,
        children: Vec<manifests::IndexChild>,
        annotations: Vec<Annotation>,
    ) -> Result<Document, Error> {
        next::plan_index(existing.as_ref(), &children, &annotations)
    }

    fn filter_index(index: Document, platforms: Vec<Platform>) -> Result<Document, Error> {
        next::filter_index(&index, &platforms)
    }

    fn artifact_manifest(
        request: manifests::ArtifactRequest,
        form: manifests::ArtifactForm,
    ) -> Result<Document, Error> {
        next::artifact_manifest(&request, form)
    }

    fn plan_artifact(plan: manifests::ArtifactPlan) -> Result<manifests::ArtifactRequest, Error> {
        next::plan_artifact(&plan)
    }

    fn artifact_blobs(
        request: manifests::ArtifactRequest,
        form: manifests::ArtifactForm,
    ) -> Result<Vec<Document>, Error> {
        next::artifact_blobs(&request, form)
    }

    fn artifact_referrer(request: manifests::ArtifactRequest, manifest: Descriptor) -> Descriptor {
        next::artifact_referrer(&request, &manifest)
    }

    fn docker_manifest(config: Descriptor, layers: Vec<Descriptor>) -> Result<Document, Error> {
        next::docker_manifest(&config, &layers)
    }

    fn fallback_form(status: u16, code: Option<String>) -> Option<manifests::ArtifactForm> {
        next::fallback_form(status, code.as_deref())
    }

    fn artifact_file_names(layers: Vec<Descriptor>) -> Result<Vec<String>, Error> {
        next::artifact_file_names(&layers)
    }

    fn referrers_tag(subject: String) -> String {
        next::referrers_tag(&subject)
    }

    fn referrers_index(existing: Option<Vec<u8>>, referrer: Descriptor) -> Result<Document, Error> {
        next::referrers_index(existing.as_deref(), &referrer)
    }

    fn read_referrers(page: Vec<u8>) -> Result<manifests::ReferrersPage, Error> {
        next::read_referrers(&page)
    }

    fn read_manifest(
        media_type: String,
        bytes: Vec<u8>,
    ) -> Result<manifests::ManifestContents, Error> {
        next::read_manifest(&media_type, &bytes)
    }

    fn select_platform(manifests: Vec<Descriptor>, wanted: Platform) -> Result<Descriptor, Error> {
        next::select_platform(&manifests, &wanted)
    }

    fn layout_index(
        existing: Option<Vec<u8>>,
        manifest: Descriptor,
        tag: Option<String>,
        image_name: Option<String>,
    ) -> Result<Document, Error> {
        next::layout_index(
            existing.as_deref(),
            &manifest,
            tag.as_deref(),
            image_name.as_deref(),
        )
    }

    fn layout_entry(index: Vec<u8>, tag: Option<String>) -> Result<Descriptor, Error> {
        next::layout_entry(&index, tag.as_deref())
    }

    fn layout_tags(index: Vec<u8>) -> Result<Vec<String>, Error> {
        next::layout_tags(&index)
    }

    fn layout_marker(existing: Option<Vec<u8>>) -> Result<Vec<u8>, Error> {
        next::layout_marker(existing.as_deref())
    }

    fn component_blobs(
        wasm_digest: String,
        wasm_size: u64,
        component: manifests::ComponentWorld,
    ) -> Result<manifests::ComponentArtifact, Error> {
        next::component_blobs(&wasm_digest, wasm_size, &component)
    }

    fn copied_blobs(config: Descriptor, layers: Vec<Descriptor>) -> Vec<Descriptor> {
        next::copied_blobs(&config, &layers)
    }

    fn base_layer_as_stored(stored: manifests::Compression) -> bool {
        next::base_layer_as_stored(stored)
    }

    fn component_layer(config: Descriptor, layers: Vec<Descriptor>) -> Result<Descriptor, Error> {
        next::component_layer(&config, &layers)
    }

    fn layer_media_type(
        compression: manifests::Compression,
        format: manifests::ManifestFormat,
    ) -> String {
        next::layer_media_type(compression, format)
    }

    fn image_layers(
        layers: Vec<Descriptor>,
        config: Vec<u8>,
    ) -> Result<Vec<manifests::ImageLayer>, Error> {
        next::image_layers(&layers, &config)
    }

    fn index_entries(
        media_type: Option<String>,
        index: Vec<u8>,
        name: Option<String>,
    ) -> Result<Vec<manifests::IndexEntry>, Error> {
        next::index_entries(media_type.as_deref(), &index, name.as_deref())
    }
}

/// The labels of every image config made or edited, from those asked for
/// (`KEY`, `value`): the place to change an answer. As it is, as asked.
fn labels(asked: Vec<Annotation>) -> Vec<Annotation> {
    // Stamp every image with a label.
    // let mut labels = asked;
    // labels.push(("org.example.built-by".into(), "my-team".into()));
    // return labels;
    asked
}

manifest_generation_core::wit::export!(Component);

#[cfg(test)]
mod tests {
    use super::labels;

    #[test]
    fn labels_stay_as_asked() {
        let asked = vec![(
            "org.opencontainers.image.title".to_string(),
            "app".to_string(),
        )];
        // Stamped, as in the comment: two labels here.
        assert_eq!(labels(asked.clone()), asked);
    }
}
