//! JSON written byte for byte as Go's `encoding/json` writes the structs of
//! the peers (the engine, containerd, BuildKit, the OCI Go types), so that
//! the same document has the same digest whoever writes it.
//!
//! Owns: [`to_go_json`] (compact; `<`, `>`, `&`, U+2028 and U+2029 escaped as
//! `\u003c`… the way Go escapes them for HTML safety; serde_json escapes
//! the rest as Go does: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other
//! control characters as `\u00xx`), objects whose keys keep a Go struct's
//! field order ([`Ordered`]), and the OCI descriptor and platform in their
//! Go field order ([`DescriptorJson`], [`PlatformJson`]).
//! Must not: validate (see [`crate::Descriptor::check`]) or decide which
//! fields a document has.

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;
use serde_json::ser::Formatter;

use crate::types::{Annotation, Descriptor, Error, Platform};

/// serde_json's compact formatter, but for the characters Go escapes in
/// strings and serde_json does not.
struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escaped = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escaped.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// The bytes Go's `json.Marshal` writes for `value`.
pub fn to_go_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    // Writing into memory cannot fail, and every map key of a serde_json
    // `Value` or of the types here is a string.
    value
        .serialize(&mut ser)
        .expect("serializing JSON into memory cannot fail");
    out
}

/// A JSON object whose keys come out in the given order (a Go struct's
/// field order), not sorted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ordered(pub Vec<(String, OrderedValue)>);

/// A value inside an [`Ordered`] object.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderedValue {
    /// Any JSON value, written as serde_json holds it.
    Plain(Value),
    /// A nested object with its own key order.
    Object(Ordered),
}

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for OrderedValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OrderedValue::Plain(v) => v.serialize(s),
            OrderedValue::Object(o) => o.serialize(s),
        }
    }
}

/// Annotations (or labels) as the sorted map Go writes; every key must be
/// non-empty and given once. `what` names the list in messages.
pub fn annotation_map<'a>(
    what: &str,
    annotations: &'a [Annotation],
) -> Result<BTreeMap<&'a str, &'a str>, Error> {
    let mut map = BTreeMap::new();
    for (k, v) in annotations {
        if k.is_empty() {
            return Err(Error::invalid(format!("{what}: empty key (value {v:?})")));
        }
        if map.insert(k.as_str(), v.as_str()).is_some() {
            return Err(Error::invalid(format!("{what}: key {k:?} given twice")));
        }
    }
    Ok(map)
}

/// `Some(s)` unless `s` is empty or absent: Go's `omitempty` on a string.
pub fn omit_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// A platform as JSON, in the OCI Go struct's order: `architecture`, `os`,
/// `os.version`, `os.features`, `variant`; empty ones left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformJson<'a> {
    architecture: &'a str,
    os: &'a str,
    #[serde(rename = "os.version", skip_serializing_if = "Option::is_none")]
    os_version: Option<&'a str>,
    #[serde(rename = "os.features", skip_serializing_if = "<[_]>::is_empty")]
    os_features: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
}

impl<'a> From<&'a Platform> for PlatformJson<'a> {
    fn from(p: &'a Platform) -> Self {
        PlatformJson {
            architecture: &p.architecture,
            os: &p.os,
            os_version: omit_empty(&p.os_version),
            os_features: &p.os_features,
            variant: omit_empty(&p.cpu_variant),
        }
    }
}

/// A descriptor as JSON, in the OCI Go struct's order (`specs-go/v1`
/// `descriptor.go`): `mediaType`, `digest`, `size`, `urls`, `annotations`,
/// `data`, `platform`, `artifactType`; empty ones left out. Annotations are
/// written sorted (a later duplicate key wins: check first with
/// [`Descriptor::check`] where that must be refused).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DescriptorJson<'a> {
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    digest: &'a str,
    size: u64,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    urls: &'a [String],
    /// The annotations; a writer may add its own before writing.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<&'a str, &'a str>,
    /// Embedded content, base64 (OCI 1.1 `data`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<PlatformJson<'a>>,
    /// The artifact type (OCI 1.1), when not empty.
    #[serde(rename = "artifactType", skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<&'a str>,
}

impl<'a> From<&'a Descriptor> for DescriptorJson<'a> {
    fn from(d: &'a Descriptor) -> Self {
        DescriptorJson {
            media_type: &d.media_type,
            digest: &d.digest,
            size: d.size,
            urls: &d.urls,
            annotations: d
                .annotations
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            data: None,
            platform: d.platform.as_ref().map(PlatformJson::from),
            artifact_type: omit_empty(&d.artifact_type),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn escapes_like_go() {
        let v = serde_json::json!({"b": "a && b <c> \u{2028}\u{2029} \n\t\r\u{8}\u{c}\u{1} \"\\ é", "a": 1});
        assert_eq!(
            text(to_go_json(&v)),
            r#"{"a":1,"b":"a \u0026\u0026 b \u003cc\u003e \u2028\u2029 \n\t\r\b\f\u0001 \"\\ é"}"#
        );
    }

    #[test]
    fn keys_are_escaped_too_and_order_is_kept() {
        let o = Ordered(vec![
            ("z<".into(), OrderedValue::Plain(Value::Bool(true))),
            ("a".into(), OrderedValue::Object(Ordered(vec![]))),
        ]);
        assert_eq!(text(to_go_json(&o)), r#"{"z\u003c":true,"a":{}}"#);
    }

    #[test]
    fn descriptor_field_order_and_omission() {
        let d = Descriptor {
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            digest: D.into(),
            size: 2,
            artifact_type: Some("application/vnd.example+type".into()),
            annotations: vec![("z".into(), "1".into()), ("a".into(), "2".into())],
            platform: Some(Platform {
                architecture: "arm64".into(),
                os: "linux".into(),
                os_version: Some("10.0".into()),
                os_features: vec!["win32k".into()],
                cpu_variant: Some("v8".into()),
            }),
            urls: vec!["https://example.com/blob".into()],
        };
        assert_eq!(
            text(to_go_json(&DescriptorJson::from(&d))),
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{D}","size":2,"urls":["https://example.com/blob"],"annotations":{{"a":"2","z":"1"}},"platform":{{"architecture":"arm64","os":"linux","os.version":"10.0","os.features":["win32k"],"variant":"v8"}},"artifactType":"application/vnd.example+type"}}"#
            )
        );
        // Empty strings are left out as Go's `omitempty` leaves them out.
        let plain = Descriptor {
            artifact_type: Some(String::new()),
            platform: Some(Platform {
                architecture: "amd64".into(),
                os: "linux".into(),
                os_version: Some(String::new()),
                os_features: vec![],
                cpu_variant: Some(String::new()),
            }),
            ..Descriptor::new("a/b", D, 0)
        };
        assert_eq!(
            text(to_go_json(&DescriptorJson::from(&plain))),
            format!(
                r#"{{"mediaType":"a/b","digest":"{D}","size":0,"platform":{{"architecture":"amd64","os":"linux"}}}}"#
            )
        );
    }

    #[test]
    fn data_comes_between_annotations_and_platform() {
        let d = Descriptor::new("a/b", D, 2);
        let mut j = DescriptorJson::from(&d);
        j.data = Some("e30=");
        j.annotations.insert("k", "v");
        assert_eq!(
            text(to_go_json(&j)),
            format!(
                r#"{{"mediaType":"a/b","digest":"{D}","size":2,"annotations":{{"k":"v"}},"data":"e30="}}"#
            )
        );
    }

    #[test]
    fn annotation_keys_are_non_empty_and_unique() {
        let list = vec![("b".to_owned(), "1".to_owned()), ("a".into(), "2".into())];
        let map = annotation_map("x", &list).unwrap();
        assert_eq!(
            map.into_iter().collect::<Vec<_>>(),
            [("a", "2"), ("b", "1")]
        );
        let twice = vec![("k".to_owned(), "1".to_owned()), ("k".into(), "2".into())];
        assert_eq!(
            annotation_map("labels", &twice),
            Err(Error::invalid("labels: key \"k\" given twice"))
        );
        let empty = vec![(String::new(), "v".to_owned())];
        assert_eq!(
            annotation_map("labels", &empty),
            Err(Error::invalid("labels: empty key (value \"v\")"))
        );
    }
}
