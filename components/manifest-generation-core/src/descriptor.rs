//! Descriptors as JSON, in the field order of the OCI Go struct
//! (`opencontainers/image-spec` `specs-go/v1/descriptor.go`): `mediaType`,
//! `digest`, `size`, `urls`, `annotations`, `data`, `platform`,
//! `artifactType`; empty optional fields left out. Platforms: `architecture`,
//! `os`, `os.version`, `os.features`, `variant`.

use crate::{Annotation, Descriptor, Error, Platform, invalid};
use serde::Serialize;
use std::collections::BTreeMap;

/// Checks a digest: `sha256:` and 64 lowercase hex characters, or
/// `sha512:` and 128. Anything else is `invalid-input` naming the value.
pub fn validate_digest(digest: &str) -> Result<(), Error> {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return Err(invalid(format!(
            "invalid digest {digest:?}: expected <algorithm>:<hex>"
        )));
    };
    let want = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        _ => {
            return Err(invalid(format!(
                "invalid digest {digest:?}: unsupported algorithm {algorithm:?} (sha256 or sha512)"
            )));
        }
    };
    if encoded.len() != want {
        return Err(invalid(format!(
            "invalid digest {digest:?}: {algorithm} needs {want} hex characters, got {}",
            encoded.len()
        )));
    }
    if !encoded
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(invalid(format!(
            "invalid digest {digest:?}: the encoded part must be lowercase hex"
        )));
    }
    Ok(())
}

/// Checks the shape of a media type as RFC 6838 section 4.2 names it (the
/// OCI schema's pattern): `type/subtype`, each 1 to 127 characters from
/// `A-Za-z0-9!#$&^_.+-`, starting with a letter or digit; no parameters.
pub fn validate_media_type(media_type: &str) -> Result<(), Error> {
    fn name_ok(name: &str) -> bool {
        let b = name.as_bytes();
        !b.is_empty()
            && b.len() <= 127
            && b[0].is_ascii_alphanumeric()
            && b.iter()
                .all(|&c| c.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&c))
    }
    match media_type.split_once('/') {
        Some((ty, sub)) if name_ok(ty) && name_ok(sub) => Ok(()),
        _ => Err(invalid(format!(
            "invalid media type {media_type:?}: expected type/subtype as RFC 6838 names them"
        ))),
    }
}

/// Annotations as a sorted map; keys must be non-empty and unique.
pub(crate) fn annotation_map<'a>(
    what: &str,
    annotations: &'a [Annotation],
) -> Result<BTreeMap<&'a str, &'a str>, Error> {
    let mut map = BTreeMap::new();
    for (k, v) in annotations {
        if k.is_empty() {
            return Err(invalid(format!("{what}: empty key (value {v:?})")));
        }
        if map.insert(k.as_str(), v.as_str()).is_some() {
            return Err(invalid(format!("{what}: key {k:?} given twice")));
        }
    }
    Ok(map)
}

/// `Some(s)` unless `s` is empty: Go's `omitempty` on a string.
pub(crate) fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// A platform as JSON.
#[derive(Serialize)]
pub(crate) struct PlatformJson<'a> {
    architecture: &'a str,
    os: &'a str,
    #[serde(rename = "os.version", skip_serializing_if = "Option::is_none")]
    os_version: Option<&'a str>,
    #[serde(rename = "os.features", skip_serializing_if = "<[_]>::is_empty")]
    os_features: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
}

impl<'a> PlatformJson<'a> {
    pub(crate) fn new(what: &str, p: &'a Platform) -> Result<Self, Error> {
        if p.architecture.is_empty() {
            return Err(invalid(format!("{what}: platform has no architecture")));
        }
        if p.os.is_empty() {
            return Err(invalid(format!("{what}: platform has no os")));
        }
        if let Some(f) = p.os_features.iter().find(|f| f.is_empty()) {
            return Err(invalid(format!("{what}: empty os feature {f:?}")));
        }
        Ok(PlatformJson {
            architecture: &p.architecture,
            os: &p.os,
            os_version: non_empty(&p.os_version),
            os_features: &p.os_features,
            variant: non_empty(&p.cpu_variant),
        })
    }
}

/// A descriptor as JSON. `data` is only ever the empty descriptor's `e30=`.
#[derive(Serialize)]
pub(crate) struct DescriptorJson<'a> {
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    digest: &'a str,
    size: u64,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    urls: &'a [String],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<PlatformJson<'a>>,
    #[serde(rename = "artifactType", skip_serializing_if = "Option::is_none")]
    pub(crate) artifact_type: Option<&'a str>,
}

impl<'a> DescriptorJson<'a> {
    /// Validates `d` (`what` names it in messages, e.g. `layers[2]`) and
    /// borrows it for writing.
    pub(crate) fn new(what: &str, d: &'a Descriptor) -> Result<Self, Error> {
        validate_media_type(&d.media_type).map_err(|e| invalid(format!("{what}: {e}")))?;
        validate_digest(&d.digest).map_err(|e| invalid(format!("{what}: {e}")))?;
        if d.size > i64::MAX as u64 {
            return Err(invalid(format!(
                "{what}: size {} is larger than the largest size a descriptor can state ({})",
                d.size,
                i64::MAX
            )));
        }
        let artifact_type = non_empty(&d.artifact_type);
        if let Some(t) = artifact_type {
            validate_media_type(t).map_err(|e| invalid(format!("{what}: artifact type: {e}")))?;
        }
        for u in &d.urls {
            if u.is_empty() || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(invalid(format!("{what}: invalid url {u:?}")));
            }
        }
        let platform = match &d.platform {
            Some(p) => Some(PlatformJson::new(what, p)?),
            None => None,
        };
        Ok(DescriptorJson {
            media_type: &d.media_type,
            digest: &d.digest,
            size: d.size,
            urls: &d.urls,
            annotations: annotation_map(&format!("{what}: annotations"), &d.annotations)?,
            data: None,
            platform,
            artifact_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::to_go_json;

    const D: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    #[test]
    fn digests() {
        assert!(validate_digest(D).is_ok());
        assert!(validate_digest(&format!("sha512:{}", "0a".repeat(64))).is_ok());
        for bad in [
            "",
            "sha256",
            "sha256:",
            &D.to_uppercase(),
            &D.replace("sha256", "SHA256"),
            &D[..D.len() - 1],
            &format!("{D}0"),
            &format!("sha512:{}", "0a".repeat(32)),
            &format!("md5:{}", "0a".repeat(16)),
            &D.replace('4', "g"),
        ] {
            let err = validate_digest(bad).unwrap_err();
            let Error::InvalidInput(msg) = err else {
                panic!("{bad}")
            };
            assert!(msg.contains(&format!("{bad:?}")), "{msg}");
        }
    }

    #[test]
    fn media_types() {
        for ok in [
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.compose.file+yaml",
            "a/b",
            "application/vnd.example!#$&^_.+-x",
        ] {
            assert!(validate_media_type(ok).is_ok(), "{ok}");
        }
        let long = format!("application/{}", "a".repeat(128));
        for bad in [
            "",
            "application",
            "application/",
            "/json",
            "application/json; charset=utf-8",
            "application/json/x",
            "-application/json",
            "application/.json",
            "applicátion/json",
            long.as_str(),
        ] {
            let err = validate_media_type(bad).unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
        assert!(validate_media_type(&format!("application/{}", "a".repeat(127))).is_ok());
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
        let j = to_go_json(&DescriptorJson::new("x", &d).unwrap());
        assert_eq!(
            String::from_utf8(j).unwrap(),
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{D}","size":2,"urls":["https://example.com/blob"],"annotations":{{"a":"2","z":"1"}},"platform":{{"architecture":"arm64","os":"linux","os.version":"10.0","os.features":["win32k"],"variant":"v8"}},"artifactType":"application/vnd.example+type"}}"#
            )
        );
        let plain = Descriptor {
            artifact_type: Some(String::new()),
            ..Descriptor::new("a/b", D, 0)
        };
        assert_eq!(
            String::from_utf8(to_go_json(&DescriptorJson::new("x", &plain).unwrap())).unwrap(),
            format!(r#"{{"mediaType":"a/b","digest":"{D}","size":0}}"#)
        );
    }

    #[test]
    fn descriptor_validation_names_the_value() {
        let cases: Vec<(Descriptor, &str)> = vec![
            (Descriptor::new("nope", D, 1), "\"nope\""),
            (Descriptor::new("a/b", "sha256:abc", 1), "\"sha256:abc\""),
            (Descriptor::new("a/b", D, u64::MAX), "18446744073709551615"),
            (
                Descriptor {
                    artifact_type: Some("bad type".into()),
                    ..Descriptor::new("a/b", D, 1)
                },
                "\"bad type\"",
            ),
            (
                Descriptor {
                    annotations: vec![("k".into(), "1".into()), ("k".into(), "2".into())],
                    ..Descriptor::new("a/b", D, 1)
                },
                "\"k\" given twice",
            ),
            (
                Descriptor {
                    annotations: vec![(String::new(), "v".into())],
                    ..Descriptor::new("a/b", D, 1)
                },
                "empty key",
            ),
            (
                Descriptor {
                    urls: vec!["http://x y".into()],
                    ..Descriptor::new("a/b", D, 1)
                },
                "\"http://x y\"",
            ),
            (
                Descriptor {
                    platform: Some(Platform {
                        os: "linux".into(),
                        ..Platform::default()
                    }),
                    ..Descriptor::new("a/b", D, 1)
                },
                "no architecture",
            ),
            (
                Descriptor {
                    platform: Some(Platform {
                        architecture: "amd64".into(),
                        ..Platform::default()
                    }),
                    ..Descriptor::new("a/b", D, 1)
                },
                "no os",
            ),
        ];
        for (d, needle) in cases {
            let Err(Error::InvalidInput(msg)) = DescriptorJson::new("layers[3]", &d) else {
                panic!("{d:?} accepted")
            };
            assert!(msg.starts_with("layers[3]: "), "{msg}");
            assert!(msg.contains(needle), "{msg} lacks {needle}");
        }
    }
}
