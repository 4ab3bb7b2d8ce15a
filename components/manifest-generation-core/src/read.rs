//! Reading manifests and indexes back: what a document refers to.
//!
//! Owns: which media types are manifests and indexes here (OCI image
//! manifest and index, Docker schema 2 manifest and manifest list), how a
//! document's type is chosen (the given type wins; an empty or generic one
//! defers to the document's `mediaType`, then to the OCI spec's structural
//! hint: `manifests` is an index, `config`/`layers` a manifest), the
//! refusals (Docker schema 1, a contradicting `mediaType`, a
//! `schemaVersion` other than 2, malformed JSON and descriptors), and
//! reading a descriptor from JSON with every field the WIT `descriptor`
//! has. Every message names the field, e.g. `layers[2].size: -1 is
//! negative`.
//! Must not: write documents (`manifest`, `layout`), or decide what to
//! copy; this only says what a document refers to.

use ocipipe_sdk::{digest, media_type};
use serde_json::{Map, Value};

use crate::{
    Descriptor, Error, ImageContents, IndexContents, MEDIA_TYPE_DOCKER_MANIFEST,
    MEDIA_TYPE_DOCKER_MANIFEST_LIST, MEDIA_TYPE_DOCKER_SCHEMA1, MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED,
    MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST, ManifestContents, Platform,
};

/// The largest manifest, index or `index.json` read: 4 MiB, the limit
/// containers/image reads manifests with (`iolimits.MaxManifestBodySize`)
/// and the size registries must at least accept.
pub const MAX_DOCUMENT_SIZE: usize = 4 << 20;

/// Media types that say nothing about the document: the document's own
/// `mediaType` decides.
const GENERIC_MEDIA_TYPES: [&str; 3] = ["", "application/json", "application/octet-stream"];

/// What to do with a schema 1 manifest, for every refusal of one.
const SCHEMA1_REFUSAL: &str = "Docker schema 1 manifests are not supported: the image must be converted to schema 2 first (e.g. `skopeo copy --format v2s2`, or pushed again with a current Docker)";

/// The kinds of document this reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    OciManifest,
    OciIndex,
    DockerManifest,
    DockerList,
}

impl Kind {
    /// Every kind, for messages.
    const ALL: [Kind; 4] = [
        Kind::OciManifest,
        Kind::OciIndex,
        Kind::DockerManifest,
        Kind::DockerList,
    ];

    pub(crate) fn media_type(self) -> &'static str {
        match self {
            Kind::OciManifest => MEDIA_TYPE_OCI_MANIFEST,
            Kind::OciIndex => MEDIA_TYPE_OCI_INDEX,
            Kind::DockerManifest => MEDIA_TYPE_DOCKER_MANIFEST,
            Kind::DockerList => MEDIA_TYPE_DOCKER_MANIFEST_LIST,
        }
    }

    pub(crate) fn is_index(self) -> bool {
        matches!(self, Kind::OciIndex | Kind::DockerList)
    }

    /// The kind of a media type (exact), when it is one of these.
    pub(crate) fn of(media_type: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.media_type() == media_type)
    }

    /// The kind of a media type a document was given or says it has;
    /// schema 1 and anything else are refused, `what` naming where the
    /// type came from.
    fn named(media_type: &str, what: &str) -> Result<Kind, Error> {
        if let Some(kind) = Kind::of(media_type) {
            return Ok(kind);
        }
        if [MEDIA_TYPE_DOCKER_SCHEMA1, MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED].contains(&media_type) {
            return Err(Error::Unsupported(format!(
                "{what} {media_type:?}: {SCHEMA1_REFUSAL}"
            )));
        }
        Err(Error::Unsupported(format!(
            "{what} {media_type:?} is not a manifest or index type this reads ({})",
            accepted_types()
        )))
    }
}

/// The accepted media types, for messages.
pub(crate) fn accepted_types() -> String {
    Kind::ALL.map(Kind::media_type).join(", ")
}

/// What a manifest or index refers to; see the WIT `read-manifest`.
pub fn read_manifest(media_type: &str, bytes: &[u8]) -> Result<ManifestContents, Error> {
    let (kind, doc) = typed_document(media_type, bytes)?;
    let media_type = kind.media_type().to_owned();
    let subject = opt_descriptor(&doc, "subject")?;
    if kind.is_index() {
        return Ok(ManifestContents::Index(IndexContents {
            media_type,
            manifests: manifests(&doc)?,
            subject,
        }));
    }
    let config = match doc.get("config") {
        Some(v) if !v.is_null() => descriptor("config", v)?,
        _ => {
            return Err(Error::invalid(
                "config: missing (an image manifest must name its config)",
            ));
        }
    };
    let layers = match doc.get("layers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| descriptor(&format!("layers[{i}]"), v))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(not_a("layers", "an array", other)),
    };
    let artifact_type = match kind {
        Kind::OciManifest => opt_media_type(&doc, "artifactType", "")?,
        _ => None,
    };
    Ok(ManifestContents::Image(ImageContents {
        media_type,
        config,
        layers,
        subject,
        artifact_type,
    }))
}

/// The kind of the manifest or index `bytes` given as `media_type`, and its
/// JSON object, its schema version and shape checked: the given type wins
/// (and must agree with the document's own), an empty or generic one
/// defers to the document's `mediaType`, then to its fields.
pub(crate) fn typed_document(
    media_type: &str,
    bytes: &[u8],
) -> Result<(Kind, Map<String, Value>), Error> {
    let given = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let given_kind = if GENERIC_MEDIA_TYPES.contains(&given.as_str()) {
        None
    } else {
        Some(Kind::named(&given, "media type")?)
    };
    let doc = parse_object(bytes, "the manifest")?;
    check_schema_version(&doc)?;
    let own = opt_str(&doc, "mediaType", "")?.filter(|t| !t.is_empty());
    let kind = match (given_kind, own) {
        (Some(_), Some(own)) if own != given => {
            return Err(Error::invalid(format!(
                "mediaType: the document says {own:?}, but it was given as {given:?}"
            )));
        }
        (Some(given_kind), _) => given_kind,
        (None, Some(own)) => Kind::named(own, "mediaType")?,
        (None, None) => infer_kind(&doc)?,
    };
    check_shape(&doc, kind)?;
    Ok((kind, doc))
}

/// `bytes` as a JSON object; `what` names the document in messages.
pub(crate) fn parse_object(bytes: &[u8], what: &str) -> Result<Map<String, Value>, Error> {
    if bytes.len() > MAX_DOCUMENT_SIZE {
        return Err(Error::TooLarge(format!(
            "{what} is {} bytes; at most {MAX_DOCUMENT_SIZE} (4 MiB) are read",
            bytes.len()
        )));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Error::invalid(format!(
            "{what} is not a JSON object but {}",
            json_kind(&other)
        ))),
        Err(e) => Err(Error::invalid(format!("{what} is not valid JSON: {e}"))),
    }
}

/// `schemaVersion` must be 2; 1 is Docker schema 1.
pub(crate) fn check_schema_version(doc: &Map<String, Value>) -> Result<(), Error> {
    match doc.get("schemaVersion") {
        None | Some(Value::Null) => Err(Error::invalid("schemaVersion: missing (must be 2)")),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(2) => Ok(()),
            Some(1) => Err(Error::Unsupported(format!(
                "schemaVersion: 1: {SCHEMA1_REFUSAL}"
            ))),
            _ => Err(Error::Unsupported(format!(
                "schemaVersion: {n}: only schema version 2 is read"
            ))),
        },
        Some(other) => Err(not_a("schemaVersion", "a number", other)),
    }
}

/// The kind of an OCI document without `mediaType`, by its fields, as the
/// image spec allows.
fn infer_kind(doc: &Map<String, Value>) -> Result<Kind, Error> {
    let index_like = present(doc, "manifests");
    let manifest_like = present(doc, "config") || present(doc, "layers");
    match (index_like, manifest_like) {
        (true, false) => Ok(Kind::OciIndex),
        (false, true) => Ok(Kind::OciManifest),
        (true, true) => Err(Error::invalid(
            "mediaType: missing, and the document has both `manifests` (as an index) and `config`/`layers` (as a manifest)",
        )),
        (false, false) => Err(Error::invalid(
            "mediaType: missing, and the document has neither `manifests` (as an index) nor `config`/`layers` (as a manifest)",
        )),
    }
}

/// The document has the fields of its kind, not the other kind's
/// (containerd's `validateMediaType`).
pub(crate) fn check_shape(doc: &Map<String, Value>, kind: Kind) -> Result<(), Error> {
    let mt = kind.media_type();
    if kind.is_index() {
        if let Some(field) = ["config", "layers"].into_iter().find(|f| present(doc, f)) {
            return Err(Error::invalid(format!(
                "{field}: an index has no {field}, but this document is read as {mt:?}"
            )));
        }
        if !present(doc, "manifests") {
            return Err(Error::invalid(format!(
                "manifests: missing (an index of type {mt:?} must list its manifests)"
            )));
        }
    } else if present(doc, "manifests") {
        return Err(Error::invalid(format!(
            "manifests: an image manifest has no manifests, but this document is read as {mt:?}"
        )));
    }
    Ok(())
}

/// The `manifests` of an index.
fn manifests(doc: &Map<String, Value>) -> Result<Vec<Descriptor>, Error> {
    entries(doc)?
        .iter()
        .enumerate()
        .map(|(i, v)| descriptor(&format!("manifests[{i}]"), v))
        .collect()
}

/// The `manifests` array of an index, unread.
pub(crate) fn entries(doc: &Map<String, Value>) -> Result<&[Value], Error> {
    match doc.get("manifests") {
        Some(Value::Array(items)) => Ok(items),
        None | Some(Value::Null) => Err(Error::invalid("manifests: missing")),
        Some(other) => Err(not_a("manifests", "an array", other)),
    }
}

/// The descriptor at `key`, when present.
pub(crate) fn opt_descriptor(
    doc: &Map<String, Value>,
    key: &str,
) -> Result<Option<Descriptor>, Error> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => descriptor(key, v).map(Some),
    }
}

/// A descriptor read from JSON: `mediaType`, `digest` and `size` required
/// and checked (go-digest's rules; a whole number from 0 to the largest
/// int64), `urls`, `annotations`, `platform` and `artifactType` when
/// present, and the rest of [`Descriptor::check`]. `what` names it, e.g.
/// `layers[2]`; fields are named `layers[2].size`.
pub(crate) fn descriptor(what: &str, v: &Value) -> Result<Descriptor, Error> {
    let Value::Object(obj) = v else {
        return Err(not_a(what, "a descriptor object", v));
    };
    let at = format!("{what}.");
    let media_type = required_str(obj, "mediaType", &at)?;
    media_type::validate(media_type)
        .map_err(|e| Error::invalid(format!("{at}mediaType: {}", e.message())))?;
    let digest = required_str(obj, "digest", &at)?;
    digest::check(digest).map_err(|e| Error::invalid(format!("{at}digest: {}", e.message())))?;
    let size = match obj.get("size") {
        None | Some(Value::Null) => return Err(Error::invalid(format!("{at}size: missing"))),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_i64()) {
            (Some(size), _) => size,
            (None, Some(negative)) => {
                return Err(Error::invalid(format!("{at}size: {negative} is negative")));
            }
            _ => {
                return Err(Error::invalid(format!(
                    "{at}size: {n} is not a whole number"
                )));
            }
        },
        Some(other) => return Err(not_a(&format!("{at}size"), "a number", other)),
    };
    let urls = match obj.get("urls") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, u)| match u {
                Value::String(s) => Ok(s.clone()),
                other => Err(not_a(&format!("{at}urls[{i}]"), "a string", other)),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(not_a(&format!("{at}urls"), "an array", other)),
    };
    let platform = match obj.get("platform") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(platform(p, &format!("{at}platform."))?),
        Some(other) => return Err(not_a(&format!("{at}platform"), "an object", other)),
    };
    let d = Descriptor {
        media_type: media_type.to_owned(),
        digest: digest.to_owned(),
        size,
        artifact_type: opt_media_type(obj, "artifactType", &at)?,
        annotations: string_map(obj, "annotations", &at)?,
        platform,
        urls,
    };
    d.check(what)?;
    Ok(d)
}

/// A platform object; `at` is the prefix of its fields' names.
pub(crate) fn platform(p: &Map<String, Value>, at: &str) -> Result<Platform, Error> {
    let os_features = match p.get("os.features") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, f)| match f {
                Value::String(s) => Ok(s.clone()),
                other => Err(not_a(&format!("{at}os.features[{i}]"), "a string", other)),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(not_a(&format!("{at}os.features"), "an array", other)),
    };
    Ok(Platform {
        architecture: required_str(p, "architecture", at)?.to_owned(),
        os: required_str(p, "os", at)?.to_owned(),
        os_version: opt_str(p, "os.version", at)?
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        os_features,
        cpu_variant: opt_str(p, "variant", at)?
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    })
}

/// A map of strings (annotations), sorted by key; absent is empty.
pub(crate) fn string_map(
    obj: &Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Vec<(String, String)>, Error> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        // serde_json's map is sorted by key.
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(not_a(&format!("{at}{key}.{k}"), "a string", other)),
            })
            .collect(),
        Some(other) => Err(not_a(&format!("{at}{key}"), "an object", other)),
    }
}

/// An optional media-type field (`artifactType`), checked; empty is none.
pub(crate) fn opt_media_type(
    obj: &Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<String>, Error> {
    match opt_str(obj, key, at)?.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(t) => {
            media_type::validate(t)
                .map_err(|e| Error::invalid(format!("{at}{key}: {}", e.message())))?;
            Ok(Some(t.to_owned()))
        }
    }
}

/// A string field that must be there; `at` prefixes its name.
fn required_str<'a>(obj: &'a Map<String, Value>, key: &str, at: &str) -> Result<&'a str, Error> {
    opt_str(obj, key, at)?.ok_or_else(|| Error::invalid(format!("{at}{key}: missing")))
}

/// A string field, when present (`null` is absent, as in Go).
pub(crate) fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<&'a str>, Error> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(not_a(&format!("{at}{key}"), "a string", other)),
    }
}

/// The field is there and not `null`.
pub(crate) fn present(obj: &Map<String, Value>, key: &str) -> bool {
    obj.get(key).is_some_and(|v| !v.is_null())
}

/// "`field`: must be `expected`, not …".
pub(crate) fn not_a(field: &str, expected: &str, got: &Value) -> Error {
    Error::invalid(format!(
        "{field}: must be {expected}, not {}",
        json_kind(got)
    ))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `e` with `prefix` before its message, of the same case.
pub(crate) fn within(prefix: &str, e: Error) -> Error {
    let message = format!("{prefix}{}", e.message());
    match e {
        Error::InvalidReference(_) => Error::InvalidReference(message),
        Error::InvalidInput(_) => Error::InvalidInput(message),
        Error::Unsupported(_) => Error::Unsupported(message),
        Error::TooLarge(_) => Error::TooLarge(message),
    }
}
