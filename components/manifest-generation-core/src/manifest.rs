//! Manifests and indexes.
//!
//! Field orders are the Go structs' the peers marshal:
//! - OCI manifest (`specs-go/v1/manifest.go`): `schemaVersion`, `mediaType`,
//!   `artifactType`, `config`, `layers`, `subject`, `annotations`.
//! - OCI index (`specs-go/v1/index.go`): `schemaVersion`, `mediaType`,
//!   `manifests`, `annotations` (`artifactType` and `subject` are never
//!   set here), written by the crate's one OCI index writer (`index`).
//! - Docker schema2 as buildkit writes it with Docker media types:
//!   `schemaVersion`, `mediaType`, `config`, `layers`.
//! - A managed plugin's manifest as moby's `buildManifest` writes it: its
//!   `manifest` type embeds `ocispec.Manifest` and adds its own `mediaType`,
//!   which Go's encoding/json places after every embedded field:
//!   `schemaVersion`, `config`, `layers`, `mediaType`.

use crate::index::{Entry, OciIndex};
use crate::{
    Annotation, ArtifactForm, ArtifactRequest, Descriptor, Document, Error,
    MEDIA_TYPE_DOCKER_CONFIG, MEDIA_TYPE_DOCKER_LAYER_GZIP, MEDIA_TYPE_DOCKER_MANIFEST,
    MEDIA_TYPE_DOCKER_PLUGIN_CONFIG, MEDIA_TYPE_EMPTY_JSON, MEDIA_TYPE_OCI_MANIFEST,
};
use ocipipe_sdk::json::{DescriptorJson, annotation_map, to_go_json};
use ocipipe_sdk::media_type;
use serde::Serialize;
use std::collections::BTreeMap;

/// Digest of the `{}` blob.
pub const EMPTY_JSON_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
/// Size of the `{}` blob.
pub const EMPTY_JSON_SIZE: u64 = 2;
/// `{}` in base64, the empty descriptor's `data`.
pub const EMPTY_JSON_DATA_BASE64: &str = "e30=";
/// docker compose's artifact type for a project (`ComposeProjectArtifactType`).
pub const COMPOSE_PROJECT_ARTIFACT_TYPE: &str = "application/vnd.docker.compose.project";
/// docker compose's config media type in the OCI 1.0 form
/// (`ComposeEmptyConfigMediaType`); compose's loader recognises a 1.0
/// project by it.
pub const COMPOSE_EMPTY_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.docker.compose.config.empty.v1+json";

/// Docker schema2 layer media types accepted in a Docker manifest.
const DOCKER_LAYER_TYPES: &[&str] = &[
    crate::MEDIA_TYPE_DOCKER_LAYER,
    MEDIA_TYPE_DOCKER_LAYER_GZIP,
    crate::MEDIA_TYPE_DOCKER_LAYER_ZSTD,
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
];

#[derive(Serialize)]
struct OciManifestJson<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u8,
    #[serde(rename = "mediaType")]
    media_type: &'static str,
    #[serde(rename = "artifactType", skip_serializing_if = "Option::is_none")]
    artifact_type: Option<&'a str>,
    config: DescriptorJson<'a>,
    layers: Vec<DescriptorJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<DescriptorJson<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
struct DockerManifestJson<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u8,
    #[serde(rename = "mediaType")]
    media_type: &'static str,
    config: DescriptorJson<'a>,
    layers: Vec<DescriptorJson<'a>>,
}

#[derive(Serialize)]
struct PluginManifestJson<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u8,
    config: DescriptorJson<'a>,
    layers: Vec<DescriptorJson<'a>>,
    #[serde(rename = "mediaType")]
    media_type: &'static str,
}

/// `config`, of `media_type` when it has none: an image that came without
/// a manifest (a `docker load` archive's) says nothing of its config's type.
fn typed_config(config: &Descriptor, media_type: &str) -> Descriptor {
    let mut config = config.clone();
    if config.media_type.is_empty() {
        config.media_type = media_type.to_owned();
    }
    config
}

/// A descriptor checked ([`Descriptor::check`]; `what` names it) and
/// borrowed for writing.
fn descriptor_json<'a>(what: &str, d: &'a Descriptor) -> Result<DescriptorJson<'a>, Error> {
    d.check(what)?;
    Ok(DescriptorJson::from(d))
}

fn layers_json<'a>(layers: &'a [Descriptor]) -> Result<Vec<DescriptorJson<'a>>, Error> {
    layers
        .iter()
        .enumerate()
        .map(|(i, d)| descriptor_json(&format!("layers[{i}]"), d))
        .collect()
}

fn subject_json(subject: Option<&Descriptor>) -> Result<Option<DescriptorJson<'_>>, Error> {
    subject.map(|s| descriptor_json("subject", s)).transpose()
}

/// An OCI image manifest (`application/vnd.oci.image.manifest.v1+json`):
/// `schemaVersion` 2, `mediaType`, `config`, `layers` (`[]` when none),
/// then `subject` and `annotations` when given. A config of the empty media
/// type needs an `artifactType` (image-spec), so it is refused here: use
/// [`artifact_manifest`]. A config without a media type is an OCI image
/// config.
pub fn image_manifest(
    config: &Descriptor,
    layers: &[Descriptor],
    annotations: &[Annotation],
    subject: Option<&Descriptor>,
) -> Result<Document, Error> {
    let config = &typed_config(config, crate::MEDIA_TYPE_OCI_CONFIG);
    if config.media_type == MEDIA_TYPE_EMPTY_JSON {
        return Err(Error::invalid(format!(
            "config: media type {MEDIA_TYPE_EMPTY_JSON:?} requires an artifactType; make an artifact manifest instead"
        )));
    }
    let doc = OciManifestJson {
        schema_version: 2,
        media_type: MEDIA_TYPE_OCI_MANIFEST,
        artifact_type: None,
        config: descriptor_json("config", config)?,
        layers: layers_json(layers)?,
        subject: subject_json(subject)?,
        annotations: annotation_map("annotations", annotations)?,
    };
    Ok(Document::new(MEDIA_TYPE_OCI_MANIFEST, to_go_json(&doc)))
}

/// An OCI image index (`application/vnd.oci.image.index.v1+json`):
/// `schemaVersion` 2, `mediaType`, `manifests` (`[]` when none), then
/// `annotations` when given.
pub fn image_index(
    manifests: &[Descriptor],
    annotations: &[Annotation],
) -> Result<Document, Error> {
    for (i, d) in manifests.iter().enumerate() {
        d.check(&format!("manifests[{i}]"))?;
    }
    annotation_map("annotations", annotations)?;
    // Written as every OCI index here is (`OciIndex`): no `artifactType`,
    // `subject` or other fields to leave out.
    let index = OciIndex {
        manifests: manifests.iter().cloned().map(Entry::new).collect(),
        annotations: annotations.to_vec(),
        ..OciIndex::default()
    };
    Ok(index.document())
}

/// The config media type of the OCI 1.0 form for an artifact type: one
/// specific to the artifact (image-spec "Guidelines for Artifact Usage").
/// docker compose registered its own for projects,
/// [`COMPOSE_EMPTY_CONFIG_MEDIA_TYPE`], and its loader requires it; every
/// other artifact type is its own config media type, which is what tools
/// fall back to when `artifactType` is absent.
pub fn v1_0_config_media_type(artifact_type: &str) -> &str {
    if artifact_type == COMPOSE_PROJECT_ARTIFACT_TYPE {
        COMPOSE_EMPTY_CONFIG_MEDIA_TYPE
    } else {
        artifact_type
    }
}

/// An OCI artifact manifest, in the form asked for.
///
/// - `oci-v1-1`: `artifactType` = the request's, `config` = the empty
///   descriptor exactly as compose (`v1.DescriptorEmptyJSON`) writes it,
///   with `"data":"e30="`.
/// - `oci-v1-0`: no `artifactType`; `config` = `{}`'s digest and size 2 with
///   the media type [`v1_0_config_media_type`] gives, without `data` (a
///   field OCI 1.0 does not have), as compose's `ocipush` wrote it.
///
/// Both: `layers` are the request's, or, when there are none, the single
/// empty descriptor the image-spec suggests for an unused `layers` array;
/// `subject` and `annotations` when given. The descriptor of the result
/// carries the artifact type in the 1.1 form (for an index or referrers
/// entry), none in the 1.0 form.
pub fn artifact_manifest(request: &ArtifactRequest, form: ArtifactForm) -> Result<Document, Error> {
    let artifact_type = request.artifact_type.as_str();
    media_type::validate(artifact_type)
        .map_err(|e| Error::invalid(format!("artifact type: {e}")))?;
    let (config, artifact_type_field) = match form {
        ArtifactForm::OciV11 => (
            Descriptor::new(MEDIA_TYPE_EMPTY_JSON, EMPTY_JSON_DIGEST, EMPTY_JSON_SIZE),
            Some(artifact_type),
        ),
        ArtifactForm::OciV10 => (
            Descriptor::new(
                v1_0_config_media_type(artifact_type),
                EMPTY_JSON_DIGEST,
                EMPTY_JSON_SIZE,
            ),
            None,
        ),
    };
    let mut config_json = descriptor_json("config", &config)?;
    if form == ArtifactForm::OciV11 {
        config_json.data = Some(EMPTY_JSON_DATA_BASE64);
    }
    let empty_layer = [Descriptor::new(
        MEDIA_TYPE_EMPTY_JSON,
        EMPTY_JSON_DIGEST,
        EMPTY_JSON_SIZE,
    )];
    let layers = if request.layers.is_empty() {
        &empty_layer[..]
    } else {
        &request.layers[..]
    };
    let annotations = artifact_annotations(request)?;
    let doc = OciManifestJson {
        schema_version: 2,
        media_type: MEDIA_TYPE_OCI_MANIFEST,
        artifact_type: artifact_type_field,
        config: config_json,
        layers: layers_json(layers)?,
        subject: subject_json(request.subject.as_ref())?,
        annotations: annotation_map("annotations", &annotations)?,
    };
    let mut document = Document::new(MEDIA_TYPE_OCI_MANIFEST, to_go_json(&doc));
    document.descriptor.artifact_type = artifact_type_field.map(str::to_owned);
    Ok(document)
}

/// The annotation of an artifact's creation time.
const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";

/// An artifact's annotations, with `created` (RFC 3339 UTC) unless they
/// name a creation time already.
fn artifact_annotations(request: &ArtifactRequest) -> Result<Vec<Annotation>, Error> {
    let mut annotations = request.annotations.clone();
    if let Some(seconds) = request.created
        && !annotations.iter().any(|(k, _)| k == ANNOTATION_CREATED)
    {
        let created = crate::time::Time::from_unix_seconds("created", seconds)?;
        annotations.push((ANNOTATION_CREATED.to_string(), created.to_string()));
        annotations.sort();
    }
    Ok(annotations)
}

/// A Docker image manifest, schema 2
/// (`application/vnd.docker.distribution.manifest.v2+json`).
///
/// - config `application/vnd.docker.container.image.v1+json`: an image;
///   layers must be Docker layer types (`…rootfs.diff.tar`, `….tar.gzip`,
///   `….tar.zstd`, `…rootfs.foreign.diff.tar.gzip`).
/// - config `application/vnd.docker.plugin.v1+json`: a managed plugin's
///   manifest as moby's `buildManifest` writes it (`mediaType` last); its
///   layers must be `application/vnd.docker.image.rootfs.diff.tar.gzip`,
///   the only layer type moby writes for a plugin.
///
/// A config without a media type is a Docker image config. Any other
/// config media type is `unsupported`; descriptors with an
/// `artifactType` (not a schema2 field) are `invalid-input`.
pub fn docker_manifest(config: &Descriptor, layers: &[Descriptor]) -> Result<Document, Error> {
    let config = &typed_config(config, MEDIA_TYPE_DOCKER_CONFIG);
    let plugin = match config.media_type.as_str() {
        MEDIA_TYPE_DOCKER_CONFIG => false,
        MEDIA_TYPE_DOCKER_PLUGIN_CONFIG => true,
        other => {
            media_type::validate(other).map_err(|e| Error::invalid(format!("config: {e}")))?;
            return Err(Error::Unsupported(format!(
                "config: media type {other:?} cannot make a Docker schema2 manifest (use {MEDIA_TYPE_DOCKER_CONFIG:?}, or {MEDIA_TYPE_DOCKER_PLUGIN_CONFIG:?} for a plugin)"
            )));
        }
    };
    let config_json = descriptor_json("config", config)?;
    let layers_out = layers_json(layers)?;
    for (i, (d, j)) in std::iter::once((config, &config_json))
        .chain(layers.iter().zip(&layers_out))
        .enumerate()
    {
        if j.artifact_type.is_some() {
            let what = if i == 0 {
                "config".to_owned()
            } else {
                format!("layers[{}]", i - 1)
            };
            return Err(Error::invalid(format!(
                "{what}: a Docker schema2 descriptor has no artifactType (got {:?})",
                d.artifact_type.as_deref().unwrap_or_default()
            )));
        }
    }
    for (i, d) in layers.iter().enumerate() {
        let t = d.media_type.as_str();
        if plugin && t != MEDIA_TYPE_DOCKER_LAYER_GZIP {
            return Err(Error::Unsupported(format!(
                "layers[{i}]: media type {t:?} in a plugin manifest; a managed plugin's layers are {MEDIA_TYPE_DOCKER_LAYER_GZIP:?}"
            )));
        }
        if !plugin && !DOCKER_LAYER_TYPES.contains(&t) {
            return Err(Error::Unsupported(format!(
                "layers[{i}]: media type {t:?} is not a Docker schema2 layer type (one of {DOCKER_LAYER_TYPES:?})"
            )));
        }
    }
    let bytes = if plugin {
        to_go_json(&PluginManifestJson {
            schema_version: 2,
            config: config_json,
            layers: layers_out,
            media_type: MEDIA_TYPE_DOCKER_MANIFEST,
        })
    } else {
        to_go_json(&DockerManifestJson {
            schema_version: 2,
            media_type: MEDIA_TYPE_DOCKER_MANIFEST,
            config: config_json,
            layers: layers_out,
        })
    };
    Ok(Document::new(MEDIA_TYPE_DOCKER_MANIFEST, bytes))
}

/// The distribution error codes that say the manifest itself was not
/// accepted (`MANIFEST_INVALID`: it failed the registry's checks;
/// `UNSUPPORTED`: the registry does not implement what it uses), as the
/// distribution spec spells them.
pub const FALLBACK_ERROR_CODES: [&str; 2] = ["MANIFEST_INVALID", "UNSUPPORTED"];

/// Whether a registry's answer to an OCI 1.1 manifest push calls for a
/// retry in the 1.0 form; see the WIT `fallback-form`.
///
/// Narrower than compose's `isNonAuthClientError` (any 4xx but 401, 403,
/// 407): a missing blob, a bad name or tag, or a 404 would fail the 1.0
/// form just the same, so retrying only hides the real error. What the
/// 1.0 form can fix is a registry that does not take the 1.1 manifest:
/// 415 (its media type or shape), or a 4xx whose code says the manifest
/// was refused.
pub fn fallback_form(status: u16, code: Option<&str>) -> Option<ArtifactForm> {
    const UNSUPPORTED_MEDIA_TYPE: u16 = 415;
    const NOT_THE_MANIFEST: [u16; 4] = [401, 403, 404, 407];
    let client_error = (400..500).contains(&status) && !NOT_THE_MANIFEST.contains(&status);
    let manifest_refused = code.is_some_and(|c| FALLBACK_ERROR_CODES.contains(&c));
    (status == UNSUPPORTED_MEDIA_TYPE || (client_error && manifest_refused))
        .then_some(ArtifactForm::OciV10)
}
