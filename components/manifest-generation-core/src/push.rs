//! What an artifact push says and sends besides its files: the request
//! for [`crate::artifact_manifest`] from the files the host read, in the
//! conventions of the tool it follows ([`plan_artifact`]: oras's or docker
//! compose's media types and annotations), the blobs the manifest refers
//! to besides the files ([`artifact_blobs`]: the empty config `{}`), and
//! the descriptor the referrers tag schema lists the pushed manifest by
//! ([`artifact_referrer`]).
//!
//! Owns: the default media type of a file, the annotations each tool
//! writes on a file, the compose project type, the order of annotations.
//! Must not: read files (the host hashes them), or check descriptors
//! (`artifact-manifest` does when it writes them).

use crate::{
    ANNOTATION_COMPOSE_FILE, ANNOTATION_TITLE, Annotation, ArtifactForm, ArtifactRequest,
    COMPOSE_PROJECT_ARTIFACT_TYPE, Descriptor, Document, EMPTY_JSON_DIGEST, EMPTY_JSON_SIZE, Error,
    MEDIA_TYPE_EMPTY_JSON,
};

/// The media type oras gives a file pushed without one.
pub const ORAS_DEFAULT_FILE_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
/// The media type of a compose file in a published project.
pub const COMPOSE_FILE_MEDIA_TYPE: &str = "application/vnd.docker.compose.file+yaml";
/// The annotation naming the version of the tool that published a compose
/// project.
pub const ANNOTATION_COMPOSE_VERSION: &str = "com.docker.compose.version";
/// The empty JSON object: the config of an artifact manifest.
const EMPTY_JSON: &[u8] = b"{}";

/// The tool whose conventions an artifact's files follow (WIT
/// `artifact-tool`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactTool {
    /// `oras push`.
    Oras,
    /// `docker compose publish`, by a tool of this version.
    Compose(String),
}

/// One file of an artifact, as the host read it (WIT `artifact-file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactFile {
    /// The last component of its path.
    pub name: String,
    /// The media type given for it.
    pub media_type: Option<String>,
    /// The digest of its bytes.
    pub digest: String,
    /// Its size.
    pub size: u64,
}

/// What is to be pushed as an artifact (WIT `artifact-plan`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactPlan {
    /// Whose conventions its files follow.
    pub tool: ArtifactTool,
    /// The artifact type given.
    pub artifact_type: Option<String>,
    /// Its files, in order.
    pub files: Vec<ArtifactFile>,
    /// Manifest annotations, in any order.
    pub annotations: Vec<Annotation>,
    /// Seconds since the Unix epoch, for `org.opencontainers.image.created`.
    pub created: Option<i64>,
    /// The manifest it refers to.
    pub subject: Option<Descriptor>,
}

/// The request for the artifact manifest of `plan`; see the WIT
/// `plan-artifact`.
pub fn plan_artifact(plan: &ArtifactPlan) -> Result<ArtifactRequest, Error> {
    let artifact_type = match (&plan.tool, &plan.artifact_type) {
        (ArtifactTool::Oras, Some(given)) => given.clone(),
        (ArtifactTool::Oras, None) => {
            return Err(Error::invalid("an oras artifact needs an artifact type"));
        }
        (ArtifactTool::Compose(_), None) => COMPOSE_PROJECT_ARTIFACT_TYPE.to_owned(),
        (ArtifactTool::Compose(_), Some(given)) => {
            return Err(Error::invalid(format!(
                "a compose project's artifact type is {COMPOSE_PROJECT_ARTIFACT_TYPE}, not {given:?}"
            )));
        }
    };
    let layers = plan
        .files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            file_descriptor(&plan.tool, file)
                .map_err(|why| Error::invalid(format!("files[{i}] ({}): {why}", file.name)))
        })
        .collect::<Result<_, _>>()?;
    Ok(ArtifactRequest {
        artifact_type,
        layers,
        annotations: sorted(plan.annotations.clone()),
        created: plan.created,
        subject: plan.subject.clone(),
    })
}

/// The descriptor of one file, as `tool` writes it; why not, when the
/// file breaks the tool's conventions.
fn file_descriptor(tool: &ArtifactTool, file: &ArtifactFile) -> Result<Descriptor, String> {
    let (media_type, annotations) = match tool {
        ArtifactTool::Oras => (
            file.media_type
                .as_deref()
                .unwrap_or(ORAS_DEFAULT_FILE_MEDIA_TYPE),
            vec![(ANNOTATION_TITLE.to_owned(), file.name.clone())],
        ),
        ArtifactTool::Compose(version) => {
            if let Some(given) = &file.media_type {
                return Err(format!(
                    "a compose file's media type is {COMPOSE_FILE_MEDIA_TYPE}, not {given:?}"
                ));
            }
            (
                COMPOSE_FILE_MEDIA_TYPE,
                vec![
                    (ANNOTATION_COMPOSE_FILE.to_owned(), file.name.clone()),
                    (ANNOTATION_COMPOSE_VERSION.to_owned(), version.clone()),
                ],
            )
        }
    };
    let mut descriptor = Descriptor::new(media_type, file.digest.clone(), file.size);
    descriptor.annotations = sorted(annotations);
    Ok(descriptor)
}

/// The blobs an artifact manifest refers to besides its files; see the
/// WIT `artifact-blobs`. Both forms' config, and the layer of an artifact
/// without files, are the one blob `{}`.
pub fn artifact_blobs(
    _request: &ArtifactRequest,
    _form: ArtifactForm,
) -> Result<Vec<Document>, Error> {
    let empty = Document::new(MEDIA_TYPE_EMPTY_JSON, EMPTY_JSON.to_vec());
    debug_assert_eq!(empty.descriptor.digest, EMPTY_JSON_DIGEST);
    debug_assert_eq!(empty.descriptor.size, EMPTY_JSON_SIZE);
    Ok(vec![empty])
}

/// The descriptor the referrers tag schema lists a pushed artifact
/// manifest by; see the WIT `artifact-referrer`.
pub fn artifact_referrer(request: &ArtifactRequest, manifest: &Descriptor) -> Descriptor {
    let mut referrer = manifest.clone();
    referrer.artifact_type = Some(request.artifact_type.clone());
    referrer.annotations = sorted(request.annotations.clone());
    referrer
}

/// Annotations sorted by key (then value), the order every list of them
/// is given in.
fn sorted(mut annotations: Vec<Annotation>) -> Vec<Annotation> {
    annotations.sort();
    annotations
}
