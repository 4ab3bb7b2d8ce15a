//! An OCI image index read back and written again: the `index.json` of an
//! OCI image layout ([`crate::layout_index`], [`crate::layout_entry`]) and
//! the index at a referrers tag ([`crate::referrers_index`]).
//!
//! And the indexes `index create`, `append` and `filter` write
//! ([`crate::plan_index`], [`crate::filter_index`]).
//!
//! Owns: reading an existing index (an OCI image index, or for the index
//! edits a Docker manifest list too, checked as [`crate::read_manifest`]
//! checks one, its entries' `data` and unknown top-level fields kept) and
//! the bytes of an index: the OCI Go struct's field order
//! (`specs-go/v1/index.go`: `schemaVersion`, `mediaType`, `artifactType`,
//! `manifests`, `subject`, `annotations`), each entry a [`DescriptorJson`],
//! then the unknown top-level fields sorted by key, all written by
//! [`to_go_json`]. A Docker manifest list is written the same way with its
//! own media type, as buildx's `imagetools create` writes one (the OCI
//! struct): `schemaVersion`, `mediaType`, `manifests`, the OCI-only fields
//! being empty.
//! Must not: decide which entries an index holds (its callers do), read or
//! write files, or check that blobs exist (the host does I/O).

use std::collections::BTreeMap;

use ocipipe_sdk::json::{DescriptorJson, to_go_json};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::read::{
    Kind, check_schema_version, check_shape, descriptor, entries, opt_media_type, opt_str,
    parse_object, string_map, typed_document, within,
};
use crate::{Descriptor, Document, Error, MEDIA_TYPE_OCI_INDEX};

/// The top-level fields of an index that are read, not kept as unknown.
const KNOWN_FIELDS: [&str; 6] = [
    "schemaVersion",
    "mediaType",
    "artifactType",
    "manifests",
    "subject",
    "annotations",
];

/// A descriptor of the index with its embedded content (`data`), which
/// the WIT descriptor does not carry but a layout's rewrite must keep.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) descriptor: Descriptor,
    pub(crate) data: Option<String>,
}

impl Entry {
    /// An entry with no embedded content.
    pub(crate) fn new(descriptor: Descriptor) -> Self {
        Entry {
            descriptor,
            data: None,
        }
    }

    pub(crate) fn json(&self) -> DescriptorJson<'_> {
        let mut json = DescriptorJson::from(&self.descriptor);
        json.data = self.data.as_deref();
        json
    }
}

/// An OCI image index, read or to be written.
#[derive(Debug, Clone, Default)]
pub(crate) struct OciIndex {
    pub(crate) artifact_type: Option<String>,
    pub(crate) manifests: Vec<Entry>,
    pub(crate) subject: Option<Entry>,
    pub(crate) annotations: Vec<(String, String)>,
    /// Top-level fields the OCI index does not define, kept as they are.
    pub(crate) unknown: Map<String, Value>,
}

#[derive(Serialize)]
struct OciIndexJson<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u8,
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    #[serde(rename = "artifactType", skip_serializing_if = "Option::is_none")]
    artifact_type: Option<&'a str>,
    manifests: Vec<DescriptorJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<DescriptorJson<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<&'a str, &'a str>,
    #[serde(flatten)]
    unknown: &'a Map<String, Value>,
}

impl OciIndex {
    /// The index as a document of media type
    /// `application/vnd.oci.image.index.v1+json`; the same index always
    /// gives the same bytes.
    pub(crate) fn document(&self) -> Document {
        self.document_as(Kind::OciIndex)
    }

    /// The index as a document of the index kind `kind` (an OCI image index
    /// or a Docker manifest list), in the same field order.
    pub(crate) fn document_as(&self, kind: Kind) -> Document {
        debug_assert!(kind.is_index(), "{kind:?} is not an index kind");
        let json = OciIndexJson {
            schema_version: 2,
            media_type: kind.media_type(),
            artifact_type: self.artifact_type.as_deref(),
            manifests: self.manifests.iter().map(Entry::json).collect(),
            subject: self.subject.as_ref().map(Entry::json),
            annotations: self
                .annotations
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            unknown: &self.unknown,
        };
        Document::new(kind.media_type(), to_go_json(&json))
    }
}

/// An existing index that must be an OCI image index (no `mediaType`, or
/// the OCI index's), checked as `read-manifest` checks one. `name` starts
/// every message (`index.json`, `existing`); `role` says what the index is
/// for when its media type is another (`the index of an OCI image layout`).
pub(crate) fn read_oci_index(bytes: &[u8], name: &str, role: &str) -> Result<OciIndex, Error> {
    read_fields(bytes, role).map_err(|e| within(&format!("{name}: "), e))
}

/// `bytes` as the JSON object of an OCI image index (no `mediaType`, or
/// the OCI index's), its shape checked as `read-manifest` checks one; its
/// entries are not read. `role` says what the index is for when its media
/// type is another.
pub(crate) fn oci_index_object(bytes: &[u8], role: &str) -> Result<Map<String, Value>, Error> {
    let doc = parse_object(bytes, "the document")?;
    check_schema_version(&doc)?;
    if let Some(mt) = opt_str(&doc, "mediaType", "")?.filter(|t| !t.is_empty())
        && mt != MEDIA_TYPE_OCI_INDEX
    {
        return Err(Error::invalid(format!(
            "mediaType: {mt:?}; {role} is an OCI image index ({MEDIA_TYPE_OCI_INDEX:?})"
        )));
    }
    check_shape(&doc, Kind::OciIndex)?;
    Ok(doc)
}

/// An existing index given as `media_type` (chosen as
/// [`crate::read_manifest`] chooses it): an OCI image index or a Docker
/// manifest list, with its kind. An image manifest is refused; `role` says
/// what the index is for.
pub(crate) fn read_any_index(
    media_type: &str,
    bytes: &[u8],
    role: &str,
) -> Result<(Kind, OciIndex), Error> {
    let (kind, doc) = typed_document(media_type, bytes)?;
    if !kind.is_index() {
        return Err(Error::invalid(format!(
            "the document is an image manifest ({}), not an index; {role} is an OCI image index or a Docker manifest list",
            kind.media_type()
        )));
    }
    Ok((kind, from_object(&doc)?))
}

fn read_fields(bytes: &[u8], role: &str) -> Result<OciIndex, Error> {
    from_object(&oci_index_object(bytes, role)?)
}

/// The fields of an index object whose shape is checked.
fn from_object(doc: &Map<String, Value>) -> Result<OciIndex, Error> {
    let manifests = entries(doc)?
        .iter()
        .enumerate()
        .map(|(i, v)| entry(&format!("manifests[{i}]"), v))
        .collect::<Result<_, _>>()?;
    let subject = match doc.get("subject") {
        None | Some(Value::Null) => None,
        Some(v) => Some(entry("subject", v)?),
    };
    Ok(OciIndex {
        artifact_type: opt_media_type(doc, "artifactType", "")?,
        manifests,
        subject,
        annotations: string_map(doc, "annotations", "")?,
        unknown: doc
            .iter()
            .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

/// One descriptor of the index, with its `data`; `what` names it.
pub(crate) fn entry(what: &str, v: &Value) -> Result<Entry, Error> {
    let descriptor = descriptor(what, v)?;
    let data = match v.as_object() {
        Some(obj) => opt_str(obj, "data", &format!("{what}."))?.map(str::to_owned),
        None => None,
    };
    Ok(Entry { descriptor, data })
}
