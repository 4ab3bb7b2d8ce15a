//! Media types: the shape RFC 6838 section 4.2 gives them, which is the
//! pattern the OCI schemas check.
//!
//! Owns: whether a string may stand as a descriptor's `mediaType` or an
//! `artifactType`. Must not: decide which media types an operation
//! supports (that is each operation's rule).

use crate::types::Error;

/// The longest type or subtype name RFC 6838 allows.
const NAME_MAX: usize = 127;

/// Checks `type/subtype`, each 1 to 127 characters from
/// `A-Za-z0-9!#$&^_.+-`, starting with a letter or digit, without
/// parameters; anything else is [`Error::InvalidInput`] naming the value.
pub fn validate(media_type: &str) -> Result<(), Error> {
    fn name_ok(name: &str) -> bool {
        let b = name.as_bytes();
        !b.is_empty()
            && b.len() <= NAME_MAX
            && b[0].is_ascii_alphanumeric()
            && b.iter()
                .all(|&c| c.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&c))
    }
    match media_type.split_once('/') {
        Some((ty, sub)) if name_ok(ty) && name_ok(sub) => Ok(()),
        _ => Err(Error::invalid(format!(
            "invalid media type {media_type:?}: expected type/subtype as RFC 6838 names them"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc_6838_names() {
        for ok in [
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.compose.file+yaml",
            "a/b",
            "application/vnd.example!#$&^_.+-x",
        ] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        assert!(validate(&format!("application/{}", "a".repeat(127))).is_ok());
    }

    #[test]
    fn refuses_other_shapes_naming_the_value() {
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
            let err = validate(bad).unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }
}
