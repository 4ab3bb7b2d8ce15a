//! Digests: validation with the rules of `github.com/opencontainers/go-digest`
//! v1.0.0 (`Digest.Validate`, the version `distribution/reference` v0.6
//! uses) and the sha256 digest of bytes.
//!
//! Owns: what a valid digest is, the one list of algorithms, and the go-digest
//! error messages. The registered algorithms are `sha256`, `sha384` and
//! `sha512` (all three are available to any Go program that links
//! `crypto/sha256` and `crypto/sha512`, as BuildKit and the engine do); the
//! encoded part is lowercase hex of exactly twice the hash size.
//! Must not: decide which algorithms an output format accepts (a tar
//! archive's blob names are sha256 only: that is its format's rule).

use std::fmt;

use sha2::{Digest as _, Sha256};

use crate::types::{Digest, Error};

/// The algorithm of [`sha256`] digests and of image IDs.
pub const SHA256: &str = "sha256";

/// The registered algorithms and the hex length of their encoded part.
const ALGORITHMS: [(&str, usize); 3] = [(SHA256, 64), ("sha384", 96), ("sha512", 128)];

/// Why a string is not a digest; `Display` gives go-digest's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestError {
    /// `ErrDigestInvalidFormat`: "invalid checksum digest format".
    InvalidFormat,
    /// `ErrDigestInvalidLength`: "invalid checksum digest length".
    InvalidLength,
    /// `ErrDigestUnsupported`: "unsupported digest algorithm".
    Unsupported,
}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DigestError::InvalidFormat => "invalid checksum digest format",
            DigestError::InvalidLength => "invalid checksum digest length",
            DigestError::Unsupported => "unsupported digest algorithm",
        })
    }
}

impl std::error::Error for DigestError {}

/// Splits a valid digest into algorithm and encoded part, checking it as
/// go-digest's `Digest.Validate` does, in the same order:
///
/// 1. no `:`, empty algorithm or empty encoded part: invalid format;
/// 2. algorithm not registered: invalid format if the digest does not fit
///    go-digest's general grammar, else unsupported algorithm;
/// 3. encoded length not twice the hash size: invalid length;
/// 4. encoded part not lowercase hex: invalid format.
pub fn split(digest: &str) -> Result<(&str, &str), DigestError> {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return Err(DigestError::InvalidFormat);
    };
    if algorithm.is_empty() || encoded.is_empty() {
        return Err(DigestError::InvalidFormat);
    }
    let Some(&(_, hex_len)) = ALGORITHMS.iter().find(|(name, _)| *name == algorithm) else {
        return Err(if fits_general_grammar(algorithm, encoded) {
            DigestError::Unsupported
        } else {
            DigestError::InvalidFormat
        });
    };
    if encoded.len() != hex_len {
        return Err(DigestError::InvalidLength);
    }
    if !encoded
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(DigestError::InvalidFormat);
    }
    Ok((algorithm, encoded))
}

/// Validates a digest as go-digest's `Digest.Validate` does (see [`split`]).
pub fn validate(digest: &str) -> Result<(), DigestError> {
    split(digest).map(|_| ())
}

/// [`validate`] as an [`Error::InvalidInput`] that names the digest and says
/// what a valid one looks like.
pub fn check(digest: &str) -> Result<(), Error> {
    validate(digest).map_err(|e| {
        let hint = match e {
            DigestError::Unsupported => "the algorithm must be sha256, sha384 or sha512",
            DigestError::InvalidLength => {
                "sha256 takes 64 hex characters, sha384 96 and sha512 128"
            }
            DigestError::InvalidFormat => "expected <algorithm>:<lowercase hex>",
        };
        Error::invalid(format!("invalid digest {digest:?}: {e} ({hint})"))
    })
}

/// The digest of `algorithm` and `encoded`, when that is a valid digest.
pub fn from_parts(algorithm: &str, encoded: &str) -> Result<Digest, DigestError> {
    let digest = format!("{algorithm}:{encoded}");
    validate(&digest)?;
    Ok(digest)
}

/// `sha256:<64 lowercase hex>` of `bytes` (go-digest `FromBytes`).
pub fn sha256(bytes: &[u8]) -> Digest {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(SHA256.len() + 1 + 64);
    out.push_str(SHA256);
    out.push(':');
    for b in Sha256::digest(bytes) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
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
    fn checks_in_go_digests_order() {
        let hex64 = "f".repeat(64);
        assert_eq!(validate(&format!("sha256:{hex64}")), Ok(()));
        assert_eq!(validate(&format!("sha384:{}", "0".repeat(96))), Ok(()));
        assert_eq!(validate(&format!("sha512:{}", "0".repeat(128))), Ok(()));
        assert_eq!(validate(""), Err(DigestError::InvalidFormat));
        assert_eq!(validate("sha256"), Err(DigestError::InvalidFormat));
        assert_eq!(validate(":abc"), Err(DigestError::InvalidFormat));
        assert_eq!(validate("sha256:"), Err(DigestError::InvalidFormat));
        assert_eq!(validate("md5:abc"), Err(DigestError::Unsupported));
        assert_eq!(validate("MD5:abc"), Err(DigestError::InvalidFormat));
        assert_eq!(validate("md5:a:b"), Err(DigestError::InvalidFormat));
        assert_eq!(validate("sha256:abc"), Err(DigestError::InvalidLength));
        assert_eq!(
            validate(&format!("sha256:{}", "F".repeat(64))),
            Err(DigestError::InvalidFormat)
        );
        assert_eq!(
            validate(&format!("sha256:{}", "g".repeat(64))),
            Err(DigestError::InvalidFormat)
        );
        assert_eq!(
            validate(&format!("sha512:{hex64}")),
            Err(DigestError::InvalidLength)
        );
    }

    #[test]
    fn messages_are_go_digests() {
        assert_eq!(
            DigestError::InvalidFormat.to_string(),
            "invalid checksum digest format"
        );
        assert_eq!(
            DigestError::InvalidLength.to_string(),
            "invalid checksum digest length"
        );
        assert_eq!(
            DigestError::Unsupported.to_string(),
            "unsupported digest algorithm"
        );
    }

    #[test]
    fn split_gives_algorithm_and_encoded_part() {
        let d = format!("sha384:{}", "a".repeat(96));
        assert_eq!(split(&d), Ok(("sha384", &d[7..])));
    }

    #[test]
    fn check_names_the_digest() {
        for bad in ["", "sha256:abc", "md5:abc", "SHA256:abc"] {
            let Err(Error::InvalidInput(m)) = check(bad) else {
                panic!("{bad:?} accepted")
            };
            assert!(m.starts_with(&format!("invalid digest {bad:?}: ")), "{m}");
        }
    }

    #[test]
    fn from_parts_validates() {
        let hex = "0".repeat(64);
        assert_eq!(from_parts(SHA256, &hex), Ok(format!("sha256:{hex}")));
        assert_eq!(from_parts(SHA256, "00"), Err(DigestError::InvalidLength));
        assert_eq!(from_parts("", &hex), Err(DigestError::InvalidFormat));
    }

    #[test]
    fn sha256_of_bytes() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256(b"{}"),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
