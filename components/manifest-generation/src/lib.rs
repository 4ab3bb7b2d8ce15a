//! The manifest-generation component: exports `ocipipe:image/configs` and
//! `ocipipe:image/manifests` by adapting the pure functions in
//! `manifest-generation-core` to the WIT types. No logic lives here beyond
//! the conversion.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "manifest-generation",
    });
}

use bindings::exports::ocipipe::image::configs::{self, ConfigRequest};
use bindings::exports::ocipipe::image::manifests::{self, ArtifactForm, ArtifactRequest};
use bindings::ocipipe::image::types::{Annotation, Descriptor, Document, Error, Platform};
use manifest_generation_core as core;

struct ManifestGeneration;

impl configs::Guest for ManifestGeneration {
    fn image_config(request: ConfigRequest) -> Result<Document, Error> {
        let request = core::ConfigRequest {
            base: request.base,
            platform: platform_from_wit(request.platform),
            diff_ids: request.diff_ids,
            history: request
                .history
                .into_iter()
                .map(|h| core::History {
                    created: h.created,
                    created_by: h.created_by,
                    comment: h.comment,
                    empty_layer: h.empty_layer,
                })
                .collect(),
            created: request.created,
            env: request.env,
            entrypoint: request.entrypoint,
            cmd: request.cmd,
            working_dir: request.working_dir,
            user: request.user,
            labels: request.labels,
            exposed_ports: request.exposed_ports,
        };
        convert(core::image_config(&request))
    }
}

impl manifests::Guest for ManifestGeneration {
    fn image_manifest(
        config: Descriptor,
        layers: Vec<Descriptor>,
        annotations: Vec<Annotation>,
        subject: Option<Descriptor>,
    ) -> Result<Document, Error> {
        convert(core::image_manifest(
            &from_wit(config),
            &from_wit_list(layers),
            &annotations,
            subject.map(from_wit).as_ref(),
        ))
    }

    fn image_index(
        manifests: Vec<Descriptor>,
        annotations: Vec<Annotation>,
    ) -> Result<Document, Error> {
        convert(core::image_index(&from_wit_list(manifests), &annotations))
    }

    fn artifact_manifest(request: ArtifactRequest, form: ArtifactForm) -> Result<Document, Error> {
        let request = core::ArtifactRequest {
            artifact_type: request.artifact_type,
            layers: from_wit_list(request.layers),
            annotations: request.annotations,
            subject: request.subject.map(from_wit),
        };
        convert(core::artifact_manifest(&request, form_from_wit(form)))
    }

    fn docker_manifest(config: Descriptor, layers: Vec<Descriptor>) -> Result<Document, Error> {
        convert(core::docker_manifest(
            &from_wit(config),
            &from_wit_list(layers),
        ))
    }

    fn fallback_form(status: u16) -> Option<ArtifactForm> {
        core::fallback_form(status).map(form_to_wit)
    }
}

fn form_from_wit(form: ArtifactForm) -> core::ArtifactForm {
    match form {
        ArtifactForm::OciV11 => core::ArtifactForm::OciV1_1,
        ArtifactForm::OciV10 => core::ArtifactForm::OciV1_0,
    }
}

fn form_to_wit(form: core::ArtifactForm) -> ArtifactForm {
    match form {
        core::ArtifactForm::OciV1_1 => ArtifactForm::OciV11,
        core::ArtifactForm::OciV1_0 => ArtifactForm::OciV10,
    }
}

fn platform_from_wit(p: Platform) -> core::Platform {
    core::Platform {
        architecture: p.architecture,
        os: p.os,
        os_version: p.os_version,
        os_features: p.os_features,
        cpu_variant: p.cpu_variant,
    }
}

fn platform_to_wit(p: core::Platform) -> Platform {
    Platform {
        architecture: p.architecture,
        os: p.os,
        os_version: p.os_version,
        os_features: p.os_features,
        cpu_variant: p.cpu_variant,
    }
}

fn from_wit(d: Descriptor) -> core::Descriptor {
    core::Descriptor {
        media_type: d.media_type,
        digest: d.digest,
        size: d.size,
        artifact_type: d.artifact_type,
        annotations: d.annotations,
        platform: d.platform.map(platform_from_wit),
        urls: d.urls,
    }
}

fn from_wit_list(list: Vec<Descriptor>) -> Vec<core::Descriptor> {
    list.into_iter().map(from_wit).collect()
}

fn to_wit(d: core::Descriptor) -> Descriptor {
    Descriptor {
        media_type: d.media_type,
        digest: d.digest,
        size: d.size,
        artifact_type: d.artifact_type,
        annotations: d.annotations,
        platform: d.platform.map(platform_to_wit),
        urls: d.urls,
    }
}

fn convert(result: Result<core::Document, core::Error>) -> Result<Document, Error> {
    result
        .map(|doc| Document {
            descriptor: to_wit(doc.descriptor),
            bytes: doc.bytes,
        })
        .map_err(|e| match e {
            core::Error::InvalidInput(m) => Error::InvalidInput(m),
            core::Error::Unsupported(m) => Error::Unsupported(m),
        })
}

bindings::export!(ManifestGeneration with_types_in bindings);
