//! OCI artifacts: `artifact push`, `artifact pull`, `artifact ls` and
//! `compose publish`.
//!
//! A push sends each file as a blob (looked for first), then the empty
//! config `{}` (its real two bytes), then the manifest the
//! manifest-generation component writes in the form asked for. With
//! `auto`, a registry that refuses the OCI 1.1 form gets the 1.0 form only
//! when the component says its refusal calls for it (`fallback-form`), and
//! the report says which form landed and why. With a subject, the registry
//! indexes the referrer itself when it answers `OCI-Subject`; otherwise the
//! referrers tag schema's index (`sha256-<hex>`) is updated.
//!
//! A pull verifies every blob against its digest and writes it under the
//! name the component allows (`artifact-file-names`) into a private
//! directory that is renamed into place whole.

use super::Error;
use super::copy::{CopyContext, Registries, put_bytes, put_known};
use crate::model::{
    ArtifactForm, ArtifactRequest, Descriptor, Digest, ManifestContents, Reference,
};
use crate::registry::{self, BlobReader, Repository};
use std::path::{Path, PathBuf};

/// The OCI 1.1 empty descriptor's content, `{}`.
const EMPTY_JSON: &[u8] = b"{}";
/// Its media type.
const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";

/// Which form of artifact manifest to push (`--oci-version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OciVersion {
    /// OCI 1.1, then 1.0 if the registry refuses 1.1 the way the
    /// component says calls for it.
    Auto,
    /// OCI 1.1 only.
    V1_1,
    /// OCI 1.0 only.
    V1_0,
}

/// One file of an artifact.
#[derive(Debug, Clone)]
pub struct ArtifactFile {
    /// Where its bytes are.
    pub path: PathBuf,
    /// Its media type.
    pub media_type: String,
    /// Its annotations (the title, compose's file name…).
    pub annotations: Vec<(String, String)>,
}

/// What to push.
#[derive(Debug, Clone)]
pub struct ArtifactPush {
    /// The artifact type (`artifactType`, or the 1.0 config's media type).
    pub artifact_type: String,
    /// The files, in order.
    pub files: Vec<ArtifactFile>,
    /// Manifest annotations.
    pub annotations: Vec<(String, String)>,
    /// When it was made (`SOURCE_DATE_EPOCH`), in seconds since the epoch;
    /// none leaves `org.opencontainers.image.created` out.
    pub created: Option<i64>,
    /// The manifest this artifact refers to, in the same repository.
    pub subject: Option<Reference>,
    /// The form.
    pub oci_version: OciVersion,
}

/// What a push did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PushedArtifact {
    /// The name pushed.
    pub name: String,
    /// The manifest digest.
    pub digest: Digest,
    /// The form that landed: `1.1` or `1.0`.
    pub oci_version: &'static str,
    /// Why 1.0 was pushed after 1.1, when it was.
    pub fallback_reason: Option<String>,
    /// How the subject lists this referrer: `api` (the registry indexed
    /// it) or `tag-schema` (the `sha256-<hex>` index); none without one.
    pub referrers: Option<&'static str>,
    /// Blob bytes sent.
    pub bytes_sent: u64,
}

/// Pushes the artifact `spec` describes to `target`.
pub fn push_artifact(
    ctx: &CopyContext<'_>,
    target: &Reference,
    spec: &ArtifactPush,
) -> Result<PushedArtifact, Error> {
    if target.digest.is_some() {
        return Err(Error::NotFound {
            source_name: target.full.clone(),
            message: "an artifact is pushed to a tag, not a digest".into(),
        });
    }
    let mg = ctx.ops.manifest_generation;
    let repository = Registries::new(ctx.access).push_target(target, None)?;
    let subject = match &spec.subject {
        Some(subject) => Some(subject_descriptor(ctx, &repository, target, subject)?),
        None => None,
    };
    let mut bytes_sent = 0;
    let mut layers = Vec::with_capacity(spec.files.len());
    for file in &spec.files {
        let (mut descriptor, sent) = put_file(ctx, &repository, &file.media_type, &file.path)?;
        descriptor.annotations = sorted(&file.annotations);
        bytes_sent += sent;
        layers.push(descriptor);
    }
    // The empty config (and the empty layer of an artifact without files):
    // `{}`, whatever media type the form gives it.
    bytes_sent += put_bytes(
        ctx,
        &repository,
        &Descriptor::new(
            EMPTY_MEDIA_TYPE,
            Digest::sha256(EMPTY_JSON),
            EMPTY_JSON.len() as u64,
        ),
        EMPTY_JSON,
    )?;
    let request = ArtifactRequest {
        artifact_type: spec.artifact_type.clone(),
        layers,
        annotations: sorted(&spec.annotations),
        created: spec.created,
        subject: subject.clone(),
    };
    let tag = target.tag.as_deref().unwrap_or("latest");
    let put = |form: ArtifactForm| -> Result<(Descriptor, bool), Error> {
        let manifest = mg.artifact_manifest(&request, form)?;
        let (_, indexed) = ctx.runtime.block_on(repository.put_referrer(
            tag,
            &manifest.descriptor.media_type,
            &manifest.bytes,
        ))?;
        Ok((manifest.descriptor, indexed))
    };
    let (landed, fallback_reason, (mut manifest, indexed)) = match spec.oci_version {
        OciVersion::V1_0 => ("1.0", None, put(ArtifactForm::OciV1_0)?),
        OciVersion::V1_1 => ("1.1", None, put(ArtifactForm::OciV1_1)?),
        OciVersion::Auto => match put(ArtifactForm::OciV1_1) {
            Ok(put) => ("1.1", None, put),
            Err(Error::Registry(registry::Error::Status(refusal))) => {
                match mg.fallback_form(refusal.status, refusal.code.as_deref())? {
                    Some(form) => {
                        let reason =
                            format!("the registry refused the OCI 1.1 manifest: {refusal}");
                        tracing::warn!("{reason}; pushing the OCI 1.0 form");
                        ("1.0", Some(reason), put(form)?)
                    }
                    None => return Err(Error::Registry(registry::Error::Status(refusal))),
                }
            }
            Err(e) => return Err(e),
        },
    };
    let referrers = match &subject {
        None => None,
        Some(_) if indexed => Some("api"),
        Some(subject) => {
            manifest.artifact_type = Some(spec.artifact_type.clone());
            manifest.annotations = request.annotations.clone();
            add_to_tag_schema(ctx, &repository, &subject.digest, &manifest)?;
            Some("tag-schema")
        }
    };
    Ok(PushedArtifact {
        name: target.full.clone(),
        digest: manifest.digest,
        oci_version: landed,
        fallback_reason,
        referrers,
        bytes_sent,
    })
}

/// The descriptor of the manifest `subject` names, which must be in the
/// repository the referrer goes to (referrers are listed per repository).
fn subject_descriptor(
    ctx: &CopyContext<'_>,
    repository: &Repository,
    target: &Reference,
    subject: &Reference,
) -> Result<Descriptor, Error> {
    if subject.domain != target.domain || subject.path != target.path {
        return Err(Error::NotFound {
            source_name: subject.full.clone(),
            message: format!(
                "a subject must be in the same repository as the artifact ({}/{})",
                target.domain, target.path
            ),
        });
    }
    let reference = subject.manifest_reference();
    let fetched = ctx.runtime.block_on(repository.manifest(&reference))?;
    let contents = ctx
        .ops
        .manifest_generation
        .read_manifest(&fetched.media_type, &fetched.bytes)?;
    let media_type = match contents {
        ManifestContents::Image { media_type, .. } | ManifestContents::Index { media_type, .. } => {
            media_type
        }
    };
    Ok(Descriptor::new(
        media_type,
        fetched.digest,
        fetched.bytes.len() as u64,
    ))
}

/// Adds `referrer` to the referrers tag schema's index of `subject`.
fn add_to_tag_schema(
    ctx: &CopyContext<'_>,
    repository: &Repository,
    subject: &Digest,
    referrer: &Descriptor,
) -> Result<(), Error> {
    let (tag, existing) = tag_schema_index(ctx, repository, subject)?;
    let index = ctx
        .ops
        .manifest_generation
        .referrers_index(existing.as_deref(), referrer)?;
    ctx.runtime.block_on(repository.put_manifest(
        &tag,
        &index.descriptor.media_type,
        &index.bytes,
    ))?;
    Ok(())
}

/// The referrers tag schema's tag for `subject`, and the index kept
/// there (none when the tag does not exist).
fn tag_schema_index(
    ctx: &CopyContext<'_>,
    repository: &Repository,
    subject: &Digest,
) -> Result<(String, Option<Vec<u8>>), Error> {
    let tag = ctx.ops.manifest_generation.referrers_tag(subject)?;
    match ctx.runtime.block_on(repository.manifest(&tag)) {
        Ok(fetched) => Ok((tag, Some(fetched.bytes))),
        Err(registry::Error::Status(s)) if s.status == 404 => Ok((tag, None)),
        Err(e) => Err(e.into()),
    }
}

/// The referrers of the manifest `reference` names: from the referrers
/// API where the registry has one, else the tag schema's index.
pub fn list_referrers(
    ctx: &CopyContext<'_>,
    reference: &Reference,
) -> Result<Vec<Descriptor>, Error> {
    let mut registries = Registries::new(ctx.access);
    let repository = registries.source(reference)?;
    let subject = subject_descriptor(ctx, &repository, reference, reference)?;
    let mg = ctx.ops.manifest_generation;
    let index = match ctx
        .runtime
        .block_on(repository.referrers(&subject.digest))?
    {
        Some(index) => Some(index),
        None => tag_schema_index(ctx, &repository, &subject.digest)?.1,
    };
    let Some(index) = index else {
        return Ok(Vec::new());
    };
    match mg.read_manifest("application/vnd.oci.image.index.v1+json", &index)? {
        ManifestContents::Index { manifests, .. } => Ok(manifests),
        ManifestContents::Image { .. } => Err(Error::Contract(
            "the referrers of a manifest read as an image manifest".into(),
        )),
    }
}

/// What a pull wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PulledArtifact {
    /// The manifest digest.
    pub digest: Digest,
    /// The artifact type, when the manifest has one.
    pub artifact_type: Option<String>,
    /// The files, in the manifest's order.
    pub files: Vec<PulledFile>,
}

/// One file pulled.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PulledFile {
    /// Its name in the directory.
    pub name: String,
    /// Its digest.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// Its media type.
    pub media_type: String,
}

/// Pulls the artifact `source` names into the new directory `dir`: every
/// blob verified, the directory appearing whole or not at all.
pub fn pull_artifact(
    ctx: &CopyContext<'_>,
    source: &Reference,
    dir: &Path,
) -> Result<PulledArtifact, Error> {
    let what = format!("cannot write {}", dir.display());
    crate::store::atomic::check_new_dir(dir).map_err(Error::output(&what))?;
    let repository = Registries::new(ctx.access).source(source)?;
    let reference = source.manifest_reference();
    let fetched = ctx.runtime.block_on(repository.manifest(&reference))?;
    let mg = ctx.ops.manifest_generation;
    let (layers, artifact_type) = match mg.read_manifest(&fetched.media_type, &fetched.bytes)? {
        ManifestContents::Image {
            layers,
            artifact_type,
            ..
        } => (layers, artifact_type),
        ManifestContents::Index { .. } => {
            return Err(Error::NotFound {
                source_name: source.full.clone(),
                message: "it names an index, not an artifact manifest".into(),
            });
        }
    };
    let names = mg.artifact_file_names(&layers)?;
    let (staging, _registered) = crate::store::cleanup::create(
        || {
            tempfile::Builder::new()
                .prefix(".ocipipe-pull-")
                .tempdir_in(crate::store::atomic::parent_dir(dir))
        },
        |d| d.path(),
    )
    .map_err(Error::output(&what))?;
    let mut files = Vec::with_capacity(layers.len());
    for (layer, name) in layers.iter().zip(names) {
        let path = staging.path().join(&name);
        download(ctx, &repository, layer, &path)?;
        files.push(PulledFile {
            name,
            digest: layer.digest.clone(),
            size: layer.size,
            media_type: layer.media_type.clone(),
        });
    }
    if dir.exists() {
        std::fs::remove_dir(dir).map_err(Error::output(&what))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        Error::output(&what)(e)
    })?;
    Ok(PulledArtifact {
        digest: fetched.digest,
        artifact_type,
        files,
    })
}

/// Blob `blob` into the new file `path`, checked against its digest and
/// size as it arrives; fetched again after a cut.
fn download(
    ctx: &CopyContext<'_>,
    repository: &Repository,
    blob: &Descriptor,
    path: &Path,
) -> Result<(), Error> {
    ctx.runtime.block_on(repository.fetch_blob(
        &blob.digest,
        blob.size,
        &format!("cannot write {}", path.display()),
        || std::fs::File::create(path),
    ))?;
    Ok(())
}

/// The file at `path` as a blob of `media_type`, unless the repository
/// has it: its descriptor, and the bytes sent.
fn put_file(
    ctx: &CopyContext<'_>,
    repository: &Repository,
    media_type: &str,
    path: &Path,
) -> Result<(Descriptor, u64), Error> {
    let (digest, size) = hash_file(path)?;
    let descriptor = Descriptor::new(media_type, digest, size);
    let path = path.to_path_buf();
    let sent = put_known(
        ctx,
        repository,
        &descriptor,
        None,
        Box::new(move || Ok(Box::new(std::fs::File::open(&path)?) as BlobReader)),
    )?;
    Ok((descriptor, sent))
}

/// The digest and size of the file at `path`.
fn hash_file(path: &Path) -> Result<(Digest, u64), Error> {
    let what = format!("{}", path.display());
    let mut file = std::fs::File::open(path).map_err(Error::input(&what))?;
    let mut hashed = crate::store::hashing::HashingWriter::new(std::io::sink());
    std::io::copy(&mut file, &mut hashed).map_err(Error::input(&what))?;
    let (digest, size, _) = hashed.finish().map_err(Error::input(&what))?;
    Ok((digest, size))
}

fn sorted(annotations: &[(String, String)]) -> Vec<(String, String)> {
    let mut sorted = annotations.to_vec();
    sorted.sort();
    sorted
}

/// The config media type of a wasm component artifact (the CNCF wasm OCI
/// artifact layout).
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The media type of its one layer, the component's bytes.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";

/// Pushes the component `wasm` to `target` as a wasm OCI artifact: its
/// bytes as the one `application/wasm` layer, and `config` (the wasm
/// config document, naming its world's imports and exports).
pub fn push_component(
    ctx: &CopyContext<'_>,
    target: &Reference,
    wasm: &Path,
    config: &[u8],
) -> Result<PushedArtifact, Error> {
    let repository = Registries::new(ctx.access).push_target(target, None)?;
    let (layer, mut bytes_sent) = put_file(ctx, &repository, WASM_LAYER_MEDIA_TYPE, wasm)?;
    let config_descriptor = Descriptor::new(
        WASM_CONFIG_MEDIA_TYPE,
        Digest::sha256(config),
        config.len() as u64,
    );
    bytes_sent += put_bytes(ctx, &repository, &config_descriptor, config)?;
    let manifest = ctx
        .ops
        .manifest_generation
        .image_manifest(&config_descriptor, &[layer], &[])?;
    let tag = target.tag.as_deref().unwrap_or("latest");
    let digest = ctx.runtime.block_on(repository.put_manifest(
        tag,
        &manifest.descriptor.media_type,
        &manifest.bytes,
    ))?;
    Ok(PushedArtifact {
        name: target.full.clone(),
        digest,
        oci_version: "1.1",
        fallback_reason: None,
        referrers: None,
        bytes_sent,
    })
}

/// Fetches the component the wasm artifact `source` names into `dir` (a
/// cache, content-addressed): its manifest and layer verified against
/// their digests. A file already there is used only if it still hashes to
/// the digest; one that does not is refused, never run.
pub fn fetch_component(
    ctx: &CopyContext<'_>,
    source: &Reference,
    dir: &Path,
) -> Result<PathBuf, Error> {
    let repository = Registries::new(ctx.access).source(source)?;
    let reference = source.manifest_reference();
    let fetched = ctx.runtime.block_on(repository.manifest(&reference))?;
    let not_a_component = |message: String| Error::NotFound {
        source_name: source.full.clone(),
        message,
    };
    let (config, layers) = match ctx
        .ops
        .manifest_generation
        .read_manifest(&fetched.media_type, &fetched.bytes)?
    {
        ManifestContents::Image { config, layers, .. } => (config, layers),
        ManifestContents::Index { .. } => {
            return Err(not_a_component("it names an index, not a component".into()));
        }
    };
    let wasm: Vec<&Descriptor> = layers
        .iter()
        .filter(|l| l.media_type == WASM_LAYER_MEDIA_TYPE)
        .collect();
    let [layer] = wasm[..] else {
        return Err(not_a_component(format!(
            "a wasm component artifact has a {WASM_CONFIG_MEDIA_TYPE} config and one \
             {WASM_LAYER_MEDIA_TYPE} layer; this one has a {} config and {} such layers",
            config.media_type,
            wasm.len()
        )));
    };
    let path = dir.join(format!("{}.wasm", layer.digest.encoded()));
    if path.exists() {
        let (digest, size) = hash_file(&path)?;
        if digest != layer.digest || size != layer.size {
            return Err(Error::Output {
                what: format!("the cached component {}", path.display()),
                source: std::io::Error::other(format!(
                    "it hashes to {digest}, not to {}: it was changed after it was fetched; \
                     it is not run (remove it to fetch it again)",
                    layer.digest
                )),
            });
        }
        return Ok(path);
    }
    std::fs::create_dir_all(dir)
        .map_err(Error::output(format!("cannot create {}", dir.display())))?;
    let partial = tempfile::Builder::new()
        .prefix(".fetch-")
        .tempfile_in(dir)
        .map_err(Error::output(format!(
            "cannot write into {}",
            dir.display()
        )))?;
    download(ctx, &repository, layer, partial.path())?;
    partial
        .persist(&path)
        .map_err(|e| Error::output(format!("cannot write {}", path.display()))(e.error))?;
    Ok(path)
}
