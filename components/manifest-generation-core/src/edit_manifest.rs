//! The manifests and indexes of an edited image (`image mutate`): an image
//! manifest listing a new config ([`edit_manifest`]), an index listing new
//! children ([`edit_index`]), each with annotations added.
//!
//! Owns: which fields of the old document the new one keeps (all of them,
//! as [`crate::read_manifest`] reads them, `data` and unknown top-level
//! fields included) and in what order they are written (the Go structs'
//! the crate writes everywhere: `schemaVersion`, `mediaType`,
//! `artifactType`, `config`, `layers`/`manifests`, `subject`,
//! `annotations`, then unknown fields sorted).
//! Must not: decide the config (`edit_config`) or fetch anything.

use crate::index::{Entry, entry};
use crate::read::{entries, opt_media_type, opt_str, parse_object, string_map};
use crate::{
    Annotation, Descriptor, Document, Error, MEDIA_TYPE_DOCKER_CONFIG, MEDIA_TYPE_OCI_CONFIG,
    ManifestContents, read_manifest,
};
use ocipipe_sdk::json::{DescriptorJson, annotation_map, to_go_json};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The top-level fields written in order; the rest are kept as unknown.
const KNOWN_FIELDS: [&str; 8] = [
    "schemaVersion",
    "mediaType",
    "artifactType",
    "config",
    "layers",
    "manifests",
    "subject",
    "annotations",
];

/// A manifest or an index, every field the crate reads in the Go structs'
/// order, the unknown ones after.
#[derive(Serialize)]
struct EditedJson<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u8,
    #[serde(rename = "mediaType", skip_serializing_if = "Option::is_none")]
    media_type: Option<&'a str>,
    #[serde(rename = "artifactType", skip_serializing_if = "Option::is_none")]
    artifact_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<DescriptorJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layers: Option<Vec<DescriptorJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    manifests: Option<Vec<DescriptorJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<DescriptorJson<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<&'a str, &'a str>,
    #[serde(flatten)]
    unknown: Map<String, Value>,
}

/// The parts of a document that an edit keeps.
struct Kept {
    /// The `mediaType` field as the document has it (absent stays absent).
    media_type: Option<String>,
    artifact_type: Option<String>,
    subject: Option<Entry>,
    annotations: Vec<(String, String)>,
    unknown: Map<String, Value>,
}

impl Kept {
    fn read(doc: &Map<String, Value>) -> Result<Self, Error> {
        Ok(Kept {
            media_type: opt_str(doc, "mediaType", "")?.map(str::to_owned),
            artifact_type: opt_media_type(doc, "artifactType", "")?,
            subject: match doc.get("subject") {
                None | Some(Value::Null) => None,
                Some(v) => Some(entry("subject", v)?),
            },
            annotations: string_map(doc, "annotations", "")?,
            unknown: doc
                .iter()
                .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }

    /// The document's annotations with `added` set over them.
    fn annotations<'a>(
        &'a self,
        added: &'a [Annotation],
    ) -> Result<BTreeMap<&'a str, &'a str>, Error> {
        let mut map: BTreeMap<&str, &str> = self
            .annotations
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        map.extend(annotation_map("annotations", added)?);
        Ok(map)
    }

    fn json<'a>(&'a self, added: &'a [Annotation]) -> Result<EditedJson<'a>, Error> {
        Ok(EditedJson {
            schema_version: 2,
            media_type: self.media_type.as_deref(),
            artifact_type: self.artifact_type.as_deref(),
            config: None,
            layers: None,
            manifests: None,
            subject: self.subject.as_ref().map(Entry::json),
            annotations: self.annotations(added)?,
            unknown: self.unknown.clone(),
        })
    }
}

/// The image manifest `manifest` listing `config` in place of its config,
/// with `annotations` added to its own (replacing the same keys);
/// everything else kept (layers with their `data`, `subject`, unknown
/// fields). `config` is written as given, its media type included.
///
/// Refused: what [`read_manifest`] refuses, an index, an artifact (an
/// `artifactType`, or a config that is not an OCI or Docker image config),
/// and a `config` that is not a valid descriptor.
pub fn edit_manifest(
    manifest: &Document,
    config: &Descriptor,
    annotations: &[Annotation],
) -> Result<Document, Error> {
    let contents = read_manifest(&manifest.descriptor.media_type, &manifest.bytes)?;
    let ManifestContents::Image(image) = contents else {
        return Err(Error::invalid(
            "manifest: it is an index; edit each image it lists",
        ));
    };
    if let Some(t) = &image.artifact_type {
        return Err(Error::invalid(format!(
            "manifest: it is an artifact of type {t:?}, not an image"
        )));
    }
    if ![MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_DOCKER_CONFIG]
        .contains(&image.config.media_type.as_str())
    {
        return Err(Error::invalid(format!(
            "manifest: its config is of type {:?}, not an image config",
            image.config.media_type
        )));
    }
    config.check("config")?;
    let doc = parse_object(&manifest.bytes, "the manifest")?;
    let layers = match doc.get("layers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| entry(&format!("layers[{i}]"), v))
            .collect::<Result<_, _>>()?,
        Some(_) => unreachable!("read_manifest checked layers"),
    };
    let kept = Kept::read(&doc)?;
    let mut json = kept.json(annotations)?;
    json.config = Some(DescriptorJson::from(config));
    json.layers = Some(layers.iter().map(Entry::json).collect());
    Ok(Document::new(&image.media_type, to_go_json(&json)))
}

/// A manifest an index lists in place of another (WIT `replaced-child`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacedChild {
    /// The digest the index lists.
    pub old: String,
    /// What it lists instead: digest, size and media type.
    pub new: Descriptor,
}

/// The index `index` (OCI image index or Docker manifest list) with each
/// entry named in `replaced` listing the new manifest (its digest, size
/// and media type; the entry's platform, annotations and other fields
/// kept), and `annotations` added to the index's own; every other entry
/// and field kept.
///
/// Refused: what [`read_manifest`] refuses, an image manifest, and a
/// `replaced` digest the index does not list.
pub fn edit_index(
    index: &Document,
    replaced: &[ReplacedChild],
    annotations: &[Annotation],
) -> Result<Document, Error> {
    let contents = read_manifest(&index.descriptor.media_type, &index.bytes)?;
    let ManifestContents::Index(read) = contents else {
        return Err(Error::invalid(
            "index: it is an image manifest, not an index",
        ));
    };
    let doc = parse_object(&index.bytes, "the index")?;
    let mut manifests: Vec<Entry> = entries(&doc)?
        .iter()
        .enumerate()
        .map(|(i, v)| entry(&format!("manifests[{i}]"), v))
        .collect::<Result<_, _>>()?;
    for (i, swap) in replaced.iter().enumerate() {
        swap.new.check(&format!("replaced[{i}].new"))?;
        let mut found = false;
        for entry in manifests
            .iter_mut()
            .filter(|e| e.descriptor.digest == swap.old)
        {
            entry.descriptor.digest = swap.new.digest.clone();
            entry.descriptor.size = swap.new.size;
            entry.descriptor.media_type = swap.new.media_type.clone();
            entry.data = None;
            found = true;
        }
        if !found {
            return Err(Error::invalid(format!(
                "replaced[{i}].old: the index lists no manifest {}",
                swap.old
            )));
        }
    }
    let kept = Kept::read(&doc)?;
    let mut json = kept.json(annotations)?;
    json.manifests = Some(manifests.iter().map(Entry::json).collect());
    Ok(Document::new(&read.media_type, to_go_json(&json)))
}
