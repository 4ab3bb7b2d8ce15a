//! The `oci-layout` file of an OCI image layout directory (image-spec
//! `image-layout.md`): what a new layout's says, and whether an existing
//! layout's names the version this reads and writes ([`layout_marker`]).
//!
//! Owns: the layout version. Must not: read or write files (the host
//! does I/O), or decide what an archive holds (tar-assembly writes the
//! marker inside the archives it plans).

use serde_json::Value;

use crate::Error;

/// The version of the image layout this reads and writes (image-spec
/// `ImageLayoutVersion`).
pub const IMAGE_LAYOUT_VERSION: &str = "1.0.0";

/// The bytes of a new layout's `oci-layout`, as containers/image and
/// go-containerregistry write them.
const NEW_MARKER: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

/// A new layout's `oci-layout` without `existing`; with it, `existing`
/// back once checked; see the WIT `layout-marker`.
pub fn layout_marker(existing: Option<&[u8]>) -> Result<Vec<u8>, Error> {
    let Some(bytes) = existing else {
        return Ok(NEW_MARKER.to_vec());
    };
    let refuse = |what: String| {
        Err(Error::invalid(format!(
            "oci-layout {what}; only imageLayoutVersion \"{IMAGE_LAYOUT_VERSION}\" is read"
        )))
    };
    let value = match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => value,
        Err(e) => return refuse(format!("is not JSON ({e})")),
    };
    let Some(object) = value.as_object() else {
        return refuse("is not a JSON object".to_owned());
    };
    match object.get("imageLayoutVersion") {
        None => refuse("has no imageLayoutVersion".to_owned()),
        Some(Value::String(v)) if v == IMAGE_LAYOUT_VERSION => Ok(bytes.to_vec()),
        Some(Value::String(v)) => Err(Error::Unsupported(format!(
            "oci-layout says imageLayoutVersion {v:?}; only \"{IMAGE_LAYOUT_VERSION}\" is read"
        ))),
        Some(other) => refuse(format!("says imageLayoutVersion {other}, not a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_layout_gets_the_bytes_it_always_had() {
        assert_eq!(
            layout_marker(None).unwrap(),
            br#"{"imageLayoutVersion":"1.0.0"}"#
        );
    }

    #[test]
    fn a_marker_of_version_1_0_0_comes_back_unchanged() {
        for marker in [
            &br#"{"imageLayoutVersion":"1.0.0"}"#[..],
            br#"{ "imageLayoutVersion" : "1.0.0" }"#,
            br#"{"imageLayoutVersion":"1.0.0","extra":true}"#,
        ] {
            assert_eq!(layout_marker(Some(marker)).unwrap(), marker);
        }
        let new = layout_marker(None).unwrap();
        assert_eq!(layout_marker(Some(&new)).unwrap(), new);
    }

    fn refusal(marker: &[u8]) -> Error {
        layout_marker(Some(marker)).expect_err("accepted")
    }

    #[test]
    fn another_version_is_unsupported_and_named() {
        let e = refusal(br#"{"imageLayoutVersion":"2.0.0"}"#);
        assert_eq!(
            e,
            Error::Unsupported(
                "oci-layout says imageLayoutVersion \"2.0.0\"; only \"1.0.0\" is read".into()
            )
        );
        let e = refusal(br#"{"imageLayoutVersion":"1.0"}"#);
        assert!(e.message().contains("\"1.0\""), "{e}");
    }

    #[test]
    fn what_is_not_a_marker_is_invalid_and_says_what_it_is() {
        for (marker, says) in [
            (&b"imageLayoutVersion: 1.0.0"[..], "is not JSON"),
            (b"", "is not JSON"),
            (br#"["imageLayoutVersion","1.0.0"]"#, "is not a JSON object"),
            (b"\"1.0.0\"", "is not a JSON object"),
            (b"{}", "has no imageLayoutVersion"),
            (
                br#"{"ImageLayoutVersion":"1.0.0"}"#,
                "has no imageLayoutVersion",
            ),
            (
                br#"{"imageLayoutVersion":1}"#,
                "imageLayoutVersion 1, not a string",
            ),
            (
                br#"{"imageLayoutVersion":null}"#,
                "imageLayoutVersion null, not a string",
            ),
        ] {
            match refusal(marker) {
                Error::InvalidInput(m) => {
                    assert!(m.starts_with("oci-layout "), "{m}");
                    assert!(m.contains(says), "{m} should say {says}");
                    assert!(m.contains("only imageLayoutVersion \"1.0.0\""), "{m}");
                }
                other => panic!("{marker:?}: {other:?}"),
            }
        }
    }
}
