//! The manifest-generation component: exports `ocipipe:image/configs` and
//! `ocipipe:image/manifests` by delegating to the pure functions in
//! `manifest-generation-core`.
//!
//! The world's bindings are generated once, in `manifest-generation-core`
//! ([`manifest_generation_core::wit`]), so every WIT type has one Rust
//! definition (the shared ones `ocipipe_sdk`'s, the world's own the core's)
//! and values cross the boundary without conversion. This crate implements
//! the world's `Guest` traits and exports them. No logic lives here.

use manifest_generation_core::wit::exports::ocipipe::image::{configs, manifests};
use manifest_generation_core::{
    self as core, ArtifactForm, ArtifactPlan, ArtifactRequest, ComponentArtifact, ComponentWorld,
    Compression, ConfigEdits, ConfigRequest, HostMachine, ImageLayer, IndexChild, IndexEntry,
    ManifestContents, ManifestFormat, ReferrersPage, ReplacedChild,
};
use ocipipe_sdk::{Annotation, Descriptor, Document, Error, Platform};

struct ManifestGeneration;

impl configs::Guest for ManifestGeneration {
    fn image_config(request: ConfigRequest) -> Result<Document, Error> {
        core::image_config(&request)
    }

    fn normalize_platform(spec: Option<String>, host: HostMachine) -> Result<Platform, Error> {
        core::normalize_platform(spec.as_deref(), &host)
    }

    fn edit_config(config: Vec<u8>, edits: ConfigEdits) -> Result<Document, Error> {
        core::edit_config(&config, &edits)
    }

    fn config_platform(config: Vec<u8>) -> Result<Platform, Error> {
        core::config_platform(&config)
    }
}

impl manifests::Guest for ManifestGeneration {
    fn image_manifest(
        config: Descriptor,
        layers: Vec<Descriptor>,
        annotations: Vec<Annotation>,
        subject: Option<Descriptor>,
    ) -> Result<Document, Error> {
        core::image_manifest(&config, &layers, &annotations, subject.as_ref())
    }

    fn image_index(
        manifests: Vec<Descriptor>,
        annotations: Vec<Annotation>,
    ) -> Result<Document, Error> {
        core::image_index(&manifests, &annotations)
    }

    fn edit_manifest(
        manifest: Document,
        config: Descriptor,
        annotations: Vec<Annotation>,
    ) -> Result<Document, Error> {
        core::edit_manifest(&manifest, &config, &annotations)
    }

    fn edit_index(
        index: Document,
        replaced: Vec<ReplacedChild>,
        annotations: Vec<Annotation>,
    ) -> Result<Document, Error> {
        core::edit_index(&index, &replaced, &annotations)
    }

    fn plan_index(
        existing: Option<Document>,
        children: Vec<IndexChild>,
        annotations: Vec<Annotation>,
    ) -> Result<Document, Error> {
        let existing = existing
            .as_ref()
            .map(|d| (d.descriptor.media_type.as_str(), d.bytes.as_slice()));
        core::plan_index(existing, &children, &annotations)
    }

    fn filter_index(index: Document, platforms: Vec<Platform>) -> Result<Document, Error> {
        core::filter_index(&index.descriptor.media_type, &index.bytes, &platforms)
    }

    fn artifact_manifest(request: ArtifactRequest, form: ArtifactForm) -> Result<Document, Error> {
        core::artifact_manifest(&request, form)
    }

    fn plan_artifact(plan: ArtifactPlan) -> Result<ArtifactRequest, Error> {
        core::plan_artifact(&plan)
    }

    fn artifact_blobs(
        request: ArtifactRequest,
        form: ArtifactForm,
    ) -> Result<Vec<Document>, Error> {
        core::artifact_blobs(&request, form)
    }

    fn artifact_referrer(request: ArtifactRequest, manifest: Descriptor) -> Descriptor {
        core::artifact_referrer(&request, &manifest)
    }

    fn docker_manifest(config: Descriptor, layers: Vec<Descriptor>) -> Result<Document, Error> {
        core::docker_manifest(&config, &layers)
    }

    fn fallback_form(status: u16, code: Option<String>) -> Option<ArtifactForm> {
        core::fallback_form(status, code.as_deref())
    }

    fn artifact_file_names(layers: Vec<Descriptor>) -> Result<Vec<String>, Error> {
        core::artifact_file_names(&layers)
    }

    fn referrers_tag(subject: String) -> String {
        core::referrers_tag(&subject)
    }

    fn referrers_index(existing: Option<Vec<u8>>, referrer: Descriptor) -> Result<Document, Error> {
        core::referrers_index(existing.as_deref(), &referrer)
    }

    fn read_referrers(page: Vec<u8>) -> Result<ReferrersPage, Error> {
        core::read_referrers(&page)
    }

    fn read_manifest(media_type: String, bytes: Vec<u8>) -> Result<ManifestContents, Error> {
        core::read_manifest(&media_type, &bytes)
    }

    fn select_platform(manifests: Vec<Descriptor>, wanted: Platform) -> Result<Descriptor, Error> {
        core::select_platform(&manifests, &wanted)
    }

    fn layout_index(
        existing: Option<Vec<u8>>,
        manifest: Descriptor,
        tag: Option<String>,
        image_name: Option<String>,
    ) -> Result<Document, Error> {
        core::layout_index(
            existing.as_deref(),
            &manifest,
            tag.as_deref(),
            image_name.as_deref(),
        )
    }

    fn layout_entry(index: Vec<u8>, tag: Option<String>) -> Result<Descriptor, Error> {
        core::layout_entry(&index, tag.as_deref())
    }

    fn layout_tags(index: Vec<u8>) -> Result<Vec<String>, Error> {
        core::layout_tags(&index)
    }

    fn layout_marker(existing: Option<Vec<u8>>) -> Result<Vec<u8>, Error> {
        core::layout_marker(existing.as_deref())
    }

    fn component_blobs(
        wasm_digest: String,
        wasm_size: u64,
        component: ComponentWorld,
    ) -> Result<ComponentArtifact, Error> {
        core::component_blobs(&wasm_digest, wasm_size, &component)
    }

    fn copied_blobs(config: Descriptor, layers: Vec<Descriptor>) -> Vec<Descriptor> {
        core::copied_blobs(&config, &layers)
    }

    fn base_layer_as_stored(stored: Compression) -> bool {
        core::base_layer_as_stored(stored)
    }

    fn component_layer(config: Descriptor, layers: Vec<Descriptor>) -> Result<Descriptor, Error> {
        core::component_layer(&config, &layers)
    }

    fn layer_media_type(compression: Compression, format: ManifestFormat) -> String {
        core::layer_media_type(compression, format)
    }

    fn image_layers(layers: Vec<Descriptor>, config: Vec<u8>) -> Result<Vec<ImageLayer>, Error> {
        core::image_layers(&layers, &config)
    }

    fn index_entries(
        media_type: Option<String>,
        index: Vec<u8>,
        name: Option<String>,
    ) -> Result<Vec<IndexEntry>, Error> {
        core::index_entries(media_type.as_deref(), &index, name.as_deref())
    }
}

manifest_generation_core::wit::export!(ManifestGeneration);
