//! The Rust types of the WIT interface `ocipipe:image/types`, one for each
//! WIT type, with the field and case names `wit-bindgen` gives them.
//!
//! Owns: the shape of these types (a component's `generate!` uses them in
//! place of generated ones, `with: { "ocipipe:image/types@0.3.0":
//! ocipipe_sdk::types }`, and lifts and lowers them by field and case name)
//! and the checks that belong to a value of one of them.
//! Must not: hold anything but types and their methods (every item here
//! stands for a WIT type), or add a field or case the WIT does not have.

use std::fmt;

use crate::digest;
use crate::media_type;

/// A content digest in its full form, `<algorithm>:<encoded>`, e.g.
/// `sha256:` and 64 lowercase hex characters (see [`crate::digest`]).
pub type Digest = String;

/// A key/value pair of an annotation or label map.
pub type Annotation = (String, String);

/// An image reference, parsed and validated as the Go library
/// `distribution/reference` does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reference {
    /// `Name()`: domain and path joined with `/`.
    pub name: String,
    /// The registry host, with port or IPv6 brackets when given; empty when
    /// a non-normalised reference names none.
    pub domain: String,
    /// The repository path within the domain.
    pub path: String,
    /// The tag.
    pub tag: Option<String>,
    /// The digest that pins the content.
    pub digest: Option<Digest>,
    /// `String()`: name, `:tag`, `@digest`.
    pub full: String,
    /// `FamiliarString()`: the shortest form that normalises back.
    pub familiar: String,
}

/// The platform an image is built for (OCI image index `platform`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Platform {
    /// CPU architecture in Go's `GOARCH` terms, e.g. `amd64`.
    pub architecture: String,
    /// Operating system in Go's `GOOS` terms, e.g. `linux`.
    pub os: String,
    /// Operating system version, e.g. `10.0.14393.1066` on Windows.
    pub os_version: Option<String>,
    /// Required operating system features, e.g. `win32k`.
    pub os_features: Vec<String>,
    /// CPU variant (`variant` in JSON), e.g. `v7` for `arm`.
    pub cpu_variant: Option<String>,
}

impl Platform {
    /// Checks that architecture and OS are given and no OS feature is
    /// empty; `what` names the platform in the message, e.g. `platform`.
    pub fn check(&self, what: &str) -> Result<(), Error> {
        if self.architecture.is_empty() {
            return Err(Error::invalid(format!("{what}: no architecture")));
        }
        if self.os.is_empty() {
            return Err(Error::invalid(format!("{what}: no os")));
        }
        if self.os_features.iter().any(String::is_empty) {
            return Err(Error::invalid(format!("{what}: an empty os feature")));
        }
        Ok(())
    }
}

/// An OCI content descriptor: what a manifest says about a blob.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Descriptor {
    /// Media type of the referenced content.
    pub media_type: String,
    /// Digest of the referenced content.
    pub digest: Digest,
    /// Size of the referenced content in bytes.
    pub size: u64,
    /// Type of an artifact (OCI 1.1).
    pub artifact_type: Option<String>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// Platform, for a manifest listed in an index.
    pub platform: Option<Platform>,
    /// Alternate locations of the content.
    pub urls: Vec<String>,
}

impl Descriptor {
    /// A descriptor with only media type, digest and size.
    pub fn new(media_type: impl Into<String>, digest: impl Into<Digest>, size: u64) -> Self {
        Descriptor {
            media_type: media_type.into(),
            digest: digest.into(),
            size,
            ..Descriptor::default()
        }
    }

    /// Checks what a registry would refuse: the media type and an artifact
    /// type as [`media_type::validate`] wants them, the digest as
    /// [`digest::validate`] wants it, a size a Go `int64` holds, urls
    /// without spaces, the platform ([`Platform::check`]) and annotation
    /// keys ([`crate::json::annotation_map`]). `what` names the descriptor
    /// in every message, e.g. `layers[2]`.
    pub fn check(&self, what: &str) -> Result<(), Error> {
        let within = |e: Error| Error::invalid(format!("{what}: {}", e.message()));
        media_type::validate(&self.media_type).map_err(within)?;
        digest::check(&self.digest).map_err(within)?;
        if self.size > i64::MAX as u64 {
            return Err(Error::invalid(format!(
                "{what}: size {} is larger than the largest size a descriptor can state ({})",
                self.size,
                i64::MAX
            )));
        }
        if let Some(t) = self.artifact_type.as_deref().filter(|t| !t.is_empty()) {
            media_type::validate(t)
                .map_err(|e| Error::invalid(format!("{what}: artifact type: {}", e.message())))?;
        }
        if let Some(u) = self
            .urls
            .iter()
            .find(|u| u.is_empty() || u.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(Error::invalid(format!("{what}: invalid url {u:?}")));
        }
        if let Some(p) = &self.platform {
            p.check(&format!("{what}: platform"))?;
        }
        crate::json::annotation_map(&format!("{what}: annotations"), &self.annotations)?;
        Ok(())
    }
}

/// A small document an operation produced, with its bytes exactly as they
/// must be stored or sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    /// Media type, digest and size of `bytes`.
    pub descriptor: Descriptor,
    /// The document itself.
    pub bytes: Vec<u8>,
}

impl Document {
    /// `bytes` of `media_type`, described by their sha256 digest and size.
    pub fn new(media_type: impl Into<String>, bytes: Vec<u8>) -> Self {
        Document {
            descriptor: Descriptor::new(media_type, digest::sha256(&bytes), bytes.len() as u64),
            bytes,
        }
    }
}

/// Why an operation refused its input. Every case carries a message a
/// person can act on; the host adds the component and function names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An image reference does not follow the reference grammar; the
    /// message is `distribution/reference`'s own.
    InvalidReference(String),
    /// Another argument is malformed.
    InvalidInput(String),
    /// The input is well formed but asks for something the component does
    /// not do.
    Unsupported(String),
    /// The input is larger than the component accepts.
    TooLarge(String),
}

impl Error {
    /// An [`Error::InvalidInput`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }

    /// The message, whatever the case.
    pub fn message(&self) -> &str {
        match self {
            Error::InvalidReference(m)
            | Error::InvalidInput(m)
            | Error::Unsupported(m)
            | Error::TooLarge(m) => m,
        }
    }
}

/// The message alone: the case is for programs, the message for people.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    #[test]
    fn a_well_formed_descriptor_passes() {
        let d = Descriptor {
            artifact_type: Some("application/vnd.example+type".into()),
            annotations: vec![("a".into(), "1".into())],
            platform: Some(Platform {
                architecture: "arm64".into(),
                os: "linux".into(),
                ..Platform::default()
            }),
            urls: vec!["https://example.com/blob".into()],
            ..Descriptor::new("application/vnd.oci.image.manifest.v1+json", D, 2)
        };
        assert_eq!(d.check("x"), Ok(()));
        // An empty artifact type is none.
        let plain = Descriptor {
            artifact_type: Some(String::new()),
            ..Descriptor::new("a/b", D, 0)
        };
        assert_eq!(plain.check("x"), Ok(()));
    }

    #[test]
    fn descriptor_checks_name_the_descriptor_and_the_value() {
        let platform = |architecture: &str, os: &str| Platform {
            architecture: architecture.into(),
            os: os.into(),
            ..Platform::default()
        };
        let cases: Vec<(Descriptor, &str)> = vec![
            (Descriptor::new("nope", D, 1), "\"nope\""),
            (Descriptor::new("a/b", "sha256:abc", 1), "\"sha256:abc\""),
            (Descriptor::new("a/b", D, u64::MAX), "18446744073709551615"),
            (
                Descriptor {
                    artifact_type: Some("bad type".into()),
                    ..Descriptor::new("a/b", D, 1)
                },
                "artifact type: invalid media type \"bad type\"",
            ),
            (
                Descriptor {
                    annotations: vec![("k".into(), "1".into()), ("k".into(), "2".into())],
                    ..Descriptor::new("a/b", D, 1)
                },
                "annotations: key \"k\" given twice",
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
                    platform: Some(platform("", "linux")),
                    ..Descriptor::new("a/b", D, 1)
                },
                "platform: no architecture",
            ),
            (
                Descriptor {
                    platform: Some(platform("amd64", "")),
                    ..Descriptor::new("a/b", D, 1)
                },
                "platform: no os",
            ),
            (
                Descriptor {
                    platform: Some(Platform {
                        os_features: vec![String::new()],
                        ..platform("amd64", "linux")
                    }),
                    ..Descriptor::new("a/b", D, 1)
                },
                "platform: an empty os feature",
            ),
        ];
        for (d, needle) in cases {
            let Err(Error::InvalidInput(msg)) = d.check("layers[3]") else {
                panic!("{d:?} accepted")
            };
            assert!(msg.starts_with("layers[3]: "), "{msg}");
            assert!(msg.contains(needle), "{msg} lacks {needle}");
        }
    }

    #[test]
    fn a_document_is_described_by_its_sha256_and_length() {
        let doc = Document::new("application/json", b"{}".to_vec());
        assert_eq!(
            doc.descriptor,
            Descriptor::new(
                "application/json",
                "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                2
            )
        );
    }

    #[test]
    fn errors_display_their_message() {
        for e in [
            Error::InvalidReference("m".into()),
            Error::invalid("m"),
            Error::Unsupported("m".into()),
            Error::TooLarge("m".into()),
        ] {
            assert_eq!(e.to_string(), "m");
            assert_eq!(e.message(), "m");
        }
    }
}
