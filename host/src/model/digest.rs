//! Content digests (`<algorithm>:<encoded>`), validated once where they
//! enter the host so that every later use can trust them. A digest also
//! crosses the sandbox as itself, the WIT `digest` (a string): one a
//! component answers is validated as it is lifted out of the component's
//! memory, so a malformed one never becomes a `Digest`.

use serde::{Serialize, Serializer};
use sha2::Digest as _;
use std::fmt;

/// A content digest in full form, e.g. `sha256:` and 64 lowercase hex
/// characters. Only the algorithms the OCI image spec registers are taken
/// (`sha256`, `sha384`, `sha512`), each with its exact hex length, as
/// go-digest's `Validate` checks them.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

/// Why a string is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a digest: {reason} (expected sha256:<64 lowercase hex>)")]
pub struct DigestError {
    /// The string given.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Digest {
    /// Validates `s` as a digest.
    pub fn parse(s: &str) -> Result<Self, DigestError> {
        let fail = |reason| DigestError {
            input: s.chars().take(200).collect(),
            reason,
        };
        let (algorithm, encoded) = s.split_once(':').ok_or_else(|| fail("no `:`"))?;
        let len = match algorithm {
            "sha256" => 64,
            "sha384" => 96,
            "sha512" => 128,
            _ => return Err(fail("unknown algorithm")),
        };
        if encoded.len() != len {
            return Err(fail("wrong length"));
        }
        if !encoded
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(fail("not lowercase hex"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The sha256 digest of `bytes`.
    pub fn sha256(bytes: &[u8]) -> Self {
        Self::from_sha256(sha2::Sha256::digest(bytes).into())
    }

    /// The digest of a finished sha256 hash.
    pub fn from_sha256(hash: [u8; 32]) -> Self {
        Self(format!("sha256:{}", hex::encode(hash)))
    }

    /// The whole digest, `sha256:<hex>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The algorithm, e.g. `sha256`.
    pub fn algorithm(&self) -> &str {
        self.0.split_once(':').map_or("", |(a, _)| a)
    }

    /// The encoded (hex) part.
    pub fn encoded(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, e)| e)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.0)
    }
}

impl std::str::FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for Digest {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Digest {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Digest {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

mod component;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_of_empty_input() {
        assert_eq!(
            Digest::sha256(b"").as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parse_accepts_registered_algorithms_at_their_length() {
        let d = Digest::sha256(b"x");
        assert_eq!(Digest::parse(d.as_str()).unwrap(), d);
        assert_eq!(d.algorithm(), "sha256");
        assert_eq!(d.encoded().len(), 64);
        assert!(Digest::parse(&format!("sha512:{}", "a".repeat(128))).is_ok());
    }

    #[test]
    fn parse_refuses_what_go_digest_refuses() {
        for bad in [
            "",
            "sha256",
            "sha256:",
            &format!("sha256:{}", "A".repeat(64)),
            &format!("sha256:{}", "a".repeat(63)),
            &format!("md5:{}", "a".repeat(32)),
            &format!("sha256:{}g", "a".repeat(63)),
        ] {
            assert!(Digest::parse(bad).is_err(), "{bad:?} was taken");
        }
        let e = Digest::parse("sha256:zz").unwrap_err();
        assert!(e.to_string().contains("wrong length"), "{e}");
    }
}
