//! The manifest-generation component: exports `ocipipe:image/configs` and
//! `ocipipe:image/manifests` by delegating to the pure functions in
//! `manifest-generation-core`.
//!
//! The shared WIT types are `ocipipe_sdk`'s and this world's records are the
//! core's own (`with` below), so values cross the boundary without
//! conversion; only the WIT enums (`artifact-form`, `compression`,
//! `manifest-format`, `entry-kind`), which `wit-bindgen` generates itself,
//! and the records holding one (`image-layer`, `index-entry`) are matched
//! to the core's here. No logic lives here.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "manifest-generation",
        with: {
            "ocipipe:image/types@0.1.0": ocipipe_sdk::types,
            "ocipipe:image/configs@0.1.0/history": manifest_generation_core::History,
            "ocipipe:image/configs@0.1.0/config-request": manifest_generation_core::ConfigRequest,
            "ocipipe:image/configs@0.1.0/host-machine": manifest_generation_core::HostMachine,
            "ocipipe:image/manifests@0.1.0/artifact-request": manifest_generation_core::ArtifactRequest,
            "ocipipe:image/manifests@0.1.0/image-contents": manifest_generation_core::ImageContents,
            "ocipipe:image/manifests@0.1.0/index-contents": manifest_generation_core::IndexContents,
            "ocipipe:image/manifests@0.1.0/manifest-contents": manifest_generation_core::ManifestContents,
            "ocipipe:image/manifests@0.1.0/referrers-page": manifest_generation_core::ReferrersPage,
            "ocipipe:image/manifests@0.1.0/artifact-tool": manifest_generation_core::ArtifactTool,
            "ocipipe:image/manifests@0.1.0/artifact-file": manifest_generation_core::ArtifactFile,
            "ocipipe:image/manifests@0.1.0/artifact-plan": manifest_generation_core::ArtifactPlan,
            "ocipipe:image/manifests@0.1.0/component-artifact": manifest_generation_core::ComponentArtifact,
            "ocipipe:image/manifests@0.1.0/component-world": manifest_generation_core::ComponentWorld,
        },
    });
}

use bindings::exports::ocipipe::image::configs;
use bindings::exports::ocipipe::image::manifests::{
    self, ArtifactForm, Compression, EntryKind, ImageLayer, IndexEntry, ManifestFormat,
};
use manifest_generation_core::{
    self as core, ArtifactPlan, ArtifactRequest, ComponentArtifact, ComponentWorld, ConfigRequest,
    HostMachine, ManifestContents, ReferrersPage,
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

    fn artifact_manifest(request: ArtifactRequest, form: ArtifactForm) -> Result<Document, Error> {
        core::artifact_manifest(&request, form_to_core(form))
    }

    fn plan_artifact(plan: ArtifactPlan) -> Result<ArtifactRequest, Error> {
        core::plan_artifact(&plan)
    }

    fn artifact_blobs(
        request: ArtifactRequest,
        form: ArtifactForm,
    ) -> Result<Vec<Document>, Error> {
        core::artifact_blobs(&request, form_to_core(form))
    }

    fn artifact_referrer(request: ArtifactRequest, manifest: Descriptor) -> Descriptor {
        core::artifact_referrer(&request, &manifest)
    }

    fn docker_manifest(config: Descriptor, layers: Vec<Descriptor>) -> Result<Document, Error> {
        core::docker_manifest(&config, &layers)
    }

    fn fallback_form(status: u16, code: Option<String>) -> Option<ArtifactForm> {
        core::fallback_form(status, code.as_deref()).map(|form| match form {
            core::ArtifactForm::OciV1_1 => ArtifactForm::OciV11,
            core::ArtifactForm::OciV1_0 => ArtifactForm::OciV10,
        })
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
        core::base_layer_as_stored(compression_to_core(stored))
    }

    fn component_layer(config: Descriptor, layers: Vec<Descriptor>) -> Result<Descriptor, Error> {
        core::component_layer(&config, &layers)
    }

    fn layer_media_type(compression: Compression, format: ManifestFormat) -> String {
        let format = match format {
            ManifestFormat::Oci => core::ManifestFormat::Oci,
            ManifestFormat::Docker => core::ManifestFormat::Docker,
        };
        core::layer_media_type(compression_to_core(compression), format)
    }

    fn image_layers(layers: Vec<Descriptor>, config: Vec<u8>) -> Result<Vec<ImageLayer>, Error> {
        let layers = core::image_layers(&layers, &config)?;
        Ok(layers
            .into_iter()
            .map(|l| ImageLayer {
                descriptor: l.descriptor,
                compression: match l.compression {
                    core::Compression::None => Compression::None,
                    core::Compression::Gzip => Compression::Gzip,
                    core::Compression::Zstd => Compression::Zstd,
                },
                diff_id: l.diff_id,
            })
            .collect())
    }

    fn index_entries(
        media_type: Option<String>,
        index: Vec<u8>,
        name: Option<String>,
    ) -> Result<Vec<IndexEntry>, Error> {
        let entries = core::index_entries(media_type.as_deref(), &index, name.as_deref())?;
        Ok(entries
            .into_iter()
            .map(|e| IndexEntry {
                manifest: e.manifest,
                kind: match e.kind {
                    core::EntryKind::Image => EntryKind::Image,
                    core::EntryKind::Index => EntryKind::Index,
                    core::EntryKind::Other => EntryKind::Other,
                },
                name: e.name,
            })
            .collect())
    }
}

/// The core's compression for the WIT enum, which `wit-bindgen` generates
/// itself.
fn compression_to_core(compression: Compression) -> core::Compression {
    match compression {
        Compression::None => core::Compression::None,
        Compression::Gzip => core::Compression::Gzip,
        Compression::Zstd => core::Compression::Zstd,
    }
}

/// The core's form for the WIT enum, which `wit-bindgen` generates itself.
fn form_to_core(form: ArtifactForm) -> core::ArtifactForm {
    match form {
        ArtifactForm::OciV11 => core::ArtifactForm::OciV1_1,
        ArtifactForm::OciV10 => core::ArtifactForm::OciV1_0,
    }
}

bindings::export!(ManifestGeneration with_types_in bindings);
