//! OCI artifacts: `artifact push`, `artifact pull`, `artifact ls` and
//! `compose publish`.
//!
//! A push writes into the repository as into any destination
//! ([`RepositoryDestination`]): each file as a blob (looked for first),
//! then the blobs the manifest refers to besides them (the empty config
//! `{}`), then the manifest the manifest-generation component writes in
//! the form asked for, last, under its tag (the commit). The component
//! decides every document and name of it: the files' media types and
//! annotations in the conventions of the tool the push follows
//! (`plan-artifact`: oras's or compose's), the other blobs
//! (`artifact-blobs`), the manifest, and the descriptor a referrers index
//! lists it by (`artifact-referrer`). With
//! `auto`, a registry that refuses the OCI 1.1 form gets the 1.0 form only
//! when the component says its refusal calls for it (`fallback-form`), and
//! the report says which form landed and why. With a subject, the registry
//! indexes the referrer itself when it answers `OCI-Subject`; otherwise the
//! referrers tag schema's index (`sha256-<hex>`) is updated.
//!
//! A push refuses, before anything is sent, what a pull would refuse: the
//! manifest it is about to push is read back by the pull's own decisions
//! ([`artifact_files`]). A file that can be read only once (stdin, a FIFO)
//! is spooled first, so that its digest and its upload read the same
//! bytes.
//!
//! A pull verifies every blob against its digest and writes it under the
//! name the component allows (`artifact-file-names`) into a private
//! directory that is renamed into place whole.

use super::Error;
use super::copy::{CopyContext, Referrers, Registries, push_destination, put_document, referrers};
use super::tag::identifier;
use crate::model::destination::{Destination as _, put_known};
use crate::model::{
    ArtifactFile, ArtifactForm, ArtifactPlan, ArtifactRequest, ArtifactTool, ComponentWorld,
    Descriptor, Digest, Document, ImageContents, IndexContents, ManifestContents, Reference,
};
use crate::registry::{self, BlobReader, Repository, RepositoryDestination};
use crate::store;
use crate::store::files::StagedDir;
use crate::store::spool::{Spooled, copy_unless_rereadable};
use std::path::{Path, PathBuf};

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

/// One file of an artifact, as named on the command line.
#[derive(Debug, Clone)]
pub struct ArtifactInput {
    /// Where its bytes are.
    pub path: PathBuf,
    /// Its name in the artifact: the last component of `path`.
    pub name: String,
    /// The media type given for it.
    pub media_type: Option<String>,
}

/// What to push.
#[derive(Debug, Clone)]
pub struct ArtifactPush {
    /// Whose conventions its files follow. A compose project's files must
    /// be YAML text: checked before anything is pushed.
    pub tool: ArtifactTool,
    /// The artifact type given (`--artifact-type`).
    pub artifact_type: Option<String>,
    /// The files, in order.
    pub files: Vec<ArtifactInput>,
    /// Manifest annotations, in any order.
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

/// Pushes the artifact `spec` describes to `target` (a tag, as the
/// tagging component's `push-target` gives it).
pub fn push_artifact(
    ctx: &CopyContext<'_>,
    target: &Reference,
    spec: &ArtifactPush,
) -> Result<PushedArtifact, Error> {
    let mg = ctx.ops.manifest_generation;
    // Every file read whole before anything is sent: its digest, and a
    // copy of it when it can be read only once.
    let yaml = matches!(spec.tool, ArtifactTool::Compose(_));
    let inputs = spec
        .files
        .iter()
        .map(|file| Input::open(&file.path, yaml))
        .collect::<Result<Vec<_>, _>>()?;
    let repository = Registries::new(ctx.access).push_target(target, None)?;
    let subject = match &spec.subject {
        Some(subject) => Some(subject_descriptor(ctx, &repository, target, subject)?),
        None => None,
    };
    let request = mg.plan_artifact(&plan(spec, &inputs, subject.clone()))?;
    let manifest_in = |form| checked_manifest(mg, &request, form, target);
    let first = match spec.oci_version {
        OciVersion::V1_0 => ArtifactForm::OciV1_0,
        OciVersion::Auto | OciVersion::V1_1 => ArtifactForm::OciV1_1,
    };
    let first_manifest = manifest_in(first)?;
    let destination = push_destination(ctx, repository.clone());
    let mut bytes_sent = 0;
    for (input, layer) in inputs.iter().zip(&request.layers) {
        bytes_sent += input.put(&destination, layer)?;
    }
    let mut put_before = Vec::new();
    let blobs = mg.artifact_blobs(&request, first)?;
    bytes_sent += put_blobs(&destination, blobs, &mut put_before)?;
    let tag = identifier(target)?;
    let put = |manifest: Document| -> Result<(Document, bool), registry::Error> {
        let indexed = destination.commit_referrer(&manifest, &tag)?;
        Ok((manifest, indexed))
    };
    let (landed, fallback_reason, (manifest, indexed)) = match spec.oci_version {
        OciVersion::V1_0 => ("1.0", None, put(first_manifest)?),
        OciVersion::V1_1 => ("1.1", None, put(first_manifest)?),
        OciVersion::Auto => match put(first_manifest) {
            Ok(put) => ("1.1", None, put),
            Err(registry::Error::Status(refusal)) => {
                match mg.fallback_form(refusal.status, refusal.code.as_deref())? {
                    Some(form) => {
                        let reason =
                            format!("the registry refused the OCI 1.1 manifest: {refusal}");
                        tracing::warn!("{reason}; pushing the OCI 1.0 form");
                        let manifest = manifest_in(form)?;
                        let blobs = mg.artifact_blobs(&request, form)?;
                        bytes_sent += put_blobs(&destination, blobs, &mut put_before)?;
                        ("1.0", Some(reason), put(manifest)?)
                    }
                    None => return Err(Error::Registry(registry::Error::Status(refusal))),
                }
            }
            Err(e) => return Err(e.into()),
        },
    };
    let referrers = match &subject {
        None => None,
        Some(_) if indexed => Some("api"),
        Some(subject) => {
            let referrer = mg.artifact_referrer(&request, &manifest.descriptor)?;
            referrers::add_to_tag_schema(ctx, &repository, &subject.digest, &[referrer])?;
            Some("tag-schema")
        }
    };
    Ok(PushedArtifact {
        name: target.full.clone(),
        digest: manifest.descriptor.digest,
        oci_version: landed,
        fallback_reason,
        referrers,
        bytes_sent,
    })
}

/// What the component is told of the push `spec` of the files `inputs`
/// read, with the descriptor of its `subject`.
fn plan(spec: &ArtifactPush, inputs: &[Input], subject: Option<Descriptor>) -> ArtifactPlan {
    ArtifactPlan {
        tool: spec.tool.clone(),
        artifact_type: spec.artifact_type.clone(),
        files: (spec.files.iter().zip(inputs))
            .map(|(file, input)| ArtifactFile {
                name: file.name.clone(),
                media_type: file.media_type.clone(),
                digest: input.digest.clone(),
                size: input.size,
            })
            .collect(),
        annotations: spec.annotations.clone(),
        created: spec.created,
        subject,
    }
}

/// The manifest of `request` in `form` as it will be pushed to `target`,
/// checked as a pull will read it.
fn checked_manifest(
    mg: &crate::runtime::ManifestGeneration,
    request: &ArtifactRequest,
    form: ArtifactForm,
    target: &Reference,
) -> Result<Document, Error> {
    let manifest = mg.artifact_manifest(request, form)?;
    artifact_files(
        mg,
        &manifest.descriptor.media_type,
        &manifest.bytes,
        &target.full,
    )
    .map_err(|e| match e {
        Error::Component(source) => Error::Unpullable {
            target: target.full.clone(),
            source,
        },
        other => other,
    })?;
    Ok(manifest)
}

/// One file of a push, read: its digest and size, and where to read it
/// again for the upload.
struct Input {
    /// As the user named it.
    path: PathBuf,
    /// A copy of a stream (stdin, a FIFO), read instead of `path`.
    spooled: Option<Spooled>,
    digest: Digest,
    size: u64,
}

impl Input {
    /// Reads `path`: spooled when it can be read only once, checked as
    /// YAML text when `yaml`, hashed.
    fn open(path: &Path, yaml: bool) -> Result<Self, Error> {
        let shown = path.display().to_string();
        let spooled = copy_unless_rereadable(path).map_err(Error::input(&shown))?;
        let read = spooled.as_ref().map_or(path, |s| s.path());
        if yaml {
            super::yaml_text::check(read, &shown)?;
        }
        let (digest, size) = store::files::hash_file(read).map_err(Error::input(&shown))?;
        Ok(Self {
            path: path.to_path_buf(),
            spooled,
            digest,
            size,
        })
    }

    /// Puts it, as `layer` describes it, unless the repository has it;
    /// bytes sent.
    fn put(&self, destination: &RepositoryDestination, layer: &Descriptor) -> Result<u64, Error> {
        let read = self
            .spooled
            .as_ref()
            .map_or(self.path.clone(), |s| s.path().to_path_buf());
        let open = move || Ok(Box::new(store::files::open_input(&read, "a file")?) as BlobReader);
        Ok(put_known(destination, layer, &open)?.sent())
    }
}

/// Puts each of `blobs` not in `put_before` (the digests put before,
/// which it joins) unless the repository has it; bytes sent.
fn put_blobs(
    destination: &RepositoryDestination,
    blobs: Vec<Document>,
    put_before: &mut Vec<Digest>,
) -> Result<u64, Error> {
    let mut bytes_sent = 0;
    for blob in blobs {
        if !put_before.contains(&blob.descriptor.digest) {
            bytes_sent += put_document(destination, &blob)?;
            put_before.push(blob.descriptor.digest);
        }
    }
    Ok(bytes_sent)
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
    let reference = identifier(subject)?;
    let fetched = ctx.runtime.block_on(repository.manifest(&reference))?;
    let contents = ctx
        .ops
        .manifest_generation
        .read_manifest(&fetched.media_type, &fetched.bytes)?;
    let media_type = match contents {
        ManifestContents::Image(ImageContents { media_type, .. })
        | ManifestContents::Index(IndexContents { media_type, .. }) => media_type,
    };
    Ok(Descriptor::new(
        media_type,
        fetched.digest,
        fetched.bytes.len() as u64,
    ))
}

/// The referrers of the manifest `reference` names: from the referrers
/// API where the registry has one, else the tag schema's index
/// ([`referrers::list`]).
pub fn list_referrers(ctx: &CopyContext<'_>, reference: &Reference) -> Result<Referrers, Error> {
    let mut registries = Registries::new(ctx.access);
    let repository = registries.source(reference)?;
    let subject = subject_descriptor(ctx, &repository, reference, reference)?;
    Ok(referrers::list(ctx, &repository, &subject.digest)?.referrers)
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
    let staged = StagedDir::new(dir).map_err(Error::output(&what))?;
    let repository = Registries::new(ctx.access).source(source)?;
    let reference = identifier(source)?;
    let fetched = ctx.runtime.block_on(repository.manifest(&reference))?;
    let mg = ctx.ops.manifest_generation;
    let ArtifactFiles {
        layers,
        names,
        artifact_type,
    } = artifact_files(mg, &fetched.media_type, &fetched.bytes, &source.full)?;
    let mut files = Vec::with_capacity(layers.len());
    for (layer, name) in layers.iter().zip(names) {
        let path = staged.path().join(&name);
        download(ctx, &repository, layer, &path)?;
        files.push(PulledFile {
            name,
            digest: layer.digest.clone(),
            size: layer.size,
            media_type: layer.media_type.clone(),
        });
    }
    staged.commit().map_err(Error::output(&what))?;
    Ok(PulledArtifact {
        digest: fetched.digest,
        artifact_type,
        files,
    })
}

/// What a pull of an artifact manifest writes.
struct ArtifactFiles {
    /// The blobs, in order.
    layers: Vec<Descriptor>,
    /// The file name of each.
    names: Vec<String>,
    /// The artifact type, when the manifest has one.
    artifact_type: Option<String>,
}

/// The blobs of the artifact manifest `bytes` (of `media_type`, from
/// `name`), the file name each is pulled to, and the artifact type, as the
/// manifest-generation component reads them (`read-manifest`, then
/// `artifact-file-names`): the one decision a pull writes files by and a
/// push checks what it makes with.
fn artifact_files(
    mg: &crate::runtime::ManifestGeneration,
    media_type: &str,
    bytes: &[u8],
    name: &str,
) -> Result<ArtifactFiles, Error> {
    match mg.read_manifest(media_type, bytes)? {
        ManifestContents::Image(ImageContents {
            layers,
            artifact_type,
            ..
        }) => {
            let names = mg.artifact_file_names(&layers)?;
            Ok(ArtifactFiles {
                layers,
                names,
                artifact_type,
            })
        }
        ManifestContents::Index(IndexContents { .. }) => Err(Error::NotFound {
            source_name: name.to_string(),
            message: "it names an index, not an artifact manifest".into(),
        }),
    }
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
        || store::files::create(path),
    ))?;
    Ok(())
}

/// Pushes the component `wasm` to `target` as a wasm OCI artifact (the
/// CNCF wasm layout, whose blobs the manifest-generation component
/// decides): its bytes as the one layer, and the wasm config document the
/// component writes from `world` (its world, imports and exports).
pub fn push_component(
    ctx: &CopyContext<'_>,
    target: &Reference,
    wasm: &Path,
    world: &ComponentWorld,
) -> Result<PushedArtifact, Error> {
    let repository = Registries::new(ctx.access).push_target(target, None)?;
    let destination = push_destination(ctx, repository);
    let input = Input::open(wasm, false)?;
    let (config, layer) =
        ctx.ops
            .manifest_generation
            .component_blobs(&input.digest, input.size, world)?;
    let mut bytes_sent = input.put(&destination, &layer)?;
    bytes_sent += put_document(&destination, &config)?;
    let manifest = ctx
        .ops
        .manifest_generation
        .image_manifest(&config.descriptor, &[layer], &[])?;
    destination.put_manifest(&manifest)?;
    destination.commit(&manifest.descriptor, Some(&identifier(target)?))?;
    Ok(PushedArtifact {
        name: target.full.clone(),
        digest: manifest.descriptor.digest,
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
    let reference = identifier(source)?;
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
        ManifestContents::Image(ImageContents { config, layers, .. }) => (config, layers),
        ManifestContents::Index(IndexContents { .. }) => {
            return Err(not_a_component("it names an index, not a component".into()));
        }
    };
    let layer = match ctx
        .ops
        .manifest_generation
        .component_layer(&config, &layers)
    {
        Ok(layer) => layer,
        // The component's reason is why the artifact is not a component.
        Err(crate::runtime::Error::Refused { message, .. }) => {
            return Err(not_a_component(message));
        }
        Err(e) => return Err(e.into()),
    };
    let path = dir.join(format!("{}.wasm", layer.digest.encoded()));
    if path.exists() {
        let (digest, size) =
            store::files::hash_file(&path).map_err(Error::input(path.display()))?;
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
    let partial = store::files::cache_entry(&path).map_err(Error::output(format!(
        "cannot write into {}",
        dir.display()
    )))?;
    ctx.runtime.block_on(repository.fetch_blob(
        &layer.digest,
        layer.size,
        &format!("cannot write {}", path.display()),
        || partial.rewrite(),
    ))?;
    partial
        .commit(&path)
        .map_err(Error::output(format!("cannot write {}", path.display())))?;
    Ok(path)
}
