//! Digest validation with the rules of `github.com/opencontainers/go-digest`
//! v1.0.0 (`Digest.Validate`), the version `distribution/reference` v0.6 uses.
//!
//! The registered algorithms are `sha256`, `sha384` and `sha512` (all three are
//! available once `crypto/sha256` and `crypto/sha512` are linked, as in any
//! program that imports both, e.g. BuildKit). Their encoded part must be
//! lowercase hex of exactly twice the hash size.

use crate::RefError;

/// Hex length of each registered algorithm's encoded part.
fn registered_hex_len(algorithm: &str) -> Option<usize> {
    match algorithm {
        "sha256" => Some(64),
        "sha384" => Some(96),
        "sha512" => Some(128),
        _ => None,
    }
}

/// Validates `s` as go-digest's `Digest.Validate` does, with the same order
/// of checks and the same errors:
///
/// 1. no `:`, empty algorithm or empty encoded part: invalid format;
/// 2. algorithm not registered: invalid format if `s` does not fit
///    go-digest's general grammar, else unsupported algorithm;
/// 3. encoded length not twice the hash size: invalid length;
/// 4. encoded part not lowercase hex: invalid format.
pub fn validate(s: &str) -> Result<(), RefError> {
    let Some((algorithm, encoded)) = s.split_once(':') else {
        return Err(RefError::ChecksumInvalidFormat);
    };
    if algorithm.is_empty() || encoded.is_empty() {
        return Err(RefError::ChecksumInvalidFormat);
    }
    let Some(hex_len) = registered_hex_len(algorithm) else {
        return Err(if fits_general_grammar(algorithm, encoded) {
            RefError::DigestUnsupported
        } else {
            RefError::ChecksumInvalidFormat
        });
    };
    if encoded.len() != hex_len {
        return Err(RefError::ChecksumInvalidLength);
    }
    if !encoded.bytes().all(crate::grammar::is_lower_hex) {
        return Err(RefError::ChecksumInvalidFormat);
    }
    Ok(())
}

/// go-digest's `DigestRegexpAnchored`, split at the first `:`:
/// `[a-z0-9]+(?:[.+_-][a-z0-9]+)*` `:` `[a-zA-Z0-9=_-]+`.
fn fits_general_grammar(algorithm: &str, encoded: &str) -> bool {
    let algorithm_ok = algorithm
        .as_bytes()
        .split(|b| matches!(b, b'.' | b'+' | b'_' | b'-'))
        .all(|component| {
            !component.is_empty()
                && component
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    let encoded_ok = !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    algorithm_ok && encoded_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_of_checks() {
        let hex64 = "f".repeat(64);
        assert_eq!(validate(&format!("sha256:{hex64}")), Ok(()));
        assert_eq!(validate(&format!("sha384:{}", "0".repeat(96))), Ok(()));
        assert_eq!(validate(&format!("sha512:{}", "0".repeat(128))), Ok(()));
        assert_eq!(validate("sha256"), Err(RefError::ChecksumInvalidFormat));
        assert_eq!(validate(":abc"), Err(RefError::ChecksumInvalidFormat));
        assert_eq!(validate("sha256:"), Err(RefError::ChecksumInvalidFormat));
        assert_eq!(validate("md5:abc"), Err(RefError::DigestUnsupported));
        assert_eq!(validate("MD5:abc"), Err(RefError::ChecksumInvalidFormat));
        assert_eq!(validate("md5:a:b"), Err(RefError::ChecksumInvalidFormat));
        assert_eq!(validate("sha256:abc"), Err(RefError::ChecksumInvalidLength));
        assert_eq!(
            validate(&format!("sha256:{}", "F".repeat(64))),
            Err(RefError::ChecksumInvalidFormat)
        );
        assert_eq!(
            validate(&format!("sha512:{hex64}")),
            Err(RefError::ChecksumInvalidLength)
        );
    }
}
