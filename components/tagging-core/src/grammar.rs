//! Hand-written matchers for the reference grammar.
//!
//! Each function accepts exactly the strings that the corresponding anchored
//! regular expression of `github.com/distribution/reference` (v0.6,
//! `regexp.go`) accepts, and reports the same capture groups. No regular
//! expression engine is used: the crate is instantiated once per call in
//! WebAssembly, where compiling a regexp per call would dominate the cost.
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain "/"] remote-name
//! domain           := host [":" port-number]
//! host             := domain-name | "[" [a-fA-F0-9:]+ "]"
//! domain-name      := domain-component ("." domain-component)*
//! domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//! port-number      := [0-9]+
//! remote-name      := path-component ("/" path-component)*
//! path-component   := [a-z0-9]+ (separator [a-z0-9]+)*
//! separator        := "." | "_" | "__" | "-"+
//! tag              := [\w][\w.-]{0,127}
//! digest           := algorithm ":" [0-9a-fA-F]{32,}
//! algorithm        := alg-component ([-_+.] alg-component)*
//! alg-component    := [A-Za-z][A-Za-z0-9]*
//! identifier       := [a-f0-9]{64}
//! ```
//!
//! Why a reference splits without backtracking: neither a tag nor a digest
//! may contain `/`, and a name holds `:` only inside its domain, which is
//! always followed by `/`; a name never holds `@`. So the digest starts after
//! the first `@`, and the tag (if any) starts after the first `:` that follows
//! the last `/` before that `@`. If that split fails the grammar, no other
//! split can succeed either.

use ocipipe_sdk::digest::{self, SHA256};

/// The maximum length of a tag (`[\w][\w.-]{0,127}`).
pub const TAG_MAX_LEN: usize = 128;

/// The minimum number of hex digits in a digest accepted by the grammar.
pub const DIGEST_HEX_MIN_LEN: usize = 32;

/// The capture groups of a successful match of the full reference grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceMatch<'a> {
    /// The name: optional domain and the remote name.
    pub name: &'a str,
    /// The tag, without its leading `:`.
    pub tag: Option<&'a str>,
    /// The digest, without its leading `@`.
    pub digest: Option<&'a str>,
}

/// Matches the anchored full reference grammar (`name[:tag][@digest]`).
pub fn match_reference(s: &str) -> Option<ReferenceMatch<'_>> {
    let (left, digest) = match s.split_once('@') {
        Some((left, digest)) => (left, Some(digest)),
        None => (s, None),
    };
    if let Some(digest) = digest
        && !is_digest(digest)
    {
        return None;
    }
    let last_segment = left.rfind('/').map_or(0, |slash| slash + 1);
    let (name, tag) = match left[last_segment..].find(':') {
        Some(colon) => {
            let colon = last_segment + colon;
            (&left[..colon], Some(&left[colon + 1..]))
        }
        None => (left, None),
    };
    if let Some(tag) = tag
        && !is_tag(tag)
    {
        return None;
    }
    match_name(name)?;
    Some(ReferenceMatch { name, tag, digest })
}

/// Matches the anchored name grammar (`[domain/]remote-name`) and returns
/// `(domain, path)`; the domain is `""` when there is none.
///
/// Like the leftmost-first regexp, the optional domain is taken whenever the
/// first `/`-separated element can be one.
pub fn match_name(s: &str) -> Option<(&str, &str)> {
    if let Some((first, rest)) = s.split_once('/')
        && is_domain(first)
        && is_remote_name(rest)
    {
        return Some((first, rest));
    }
    is_remote_name(s).then_some(("", s))
}

/// Matches the anchored `domain` grammar: a host (domain name, or an IPv6
/// address in brackets) with an optional `:port`.
pub fn is_domain(s: &str) -> bool {
    let bytes = s.as_bytes();
    let host_end = if bytes.first() == Some(&b'[') {
        let Some(close) = bytes.iter().position(|&b| b == b']') else {
            return false;
        };
        let inside = &bytes[1..close];
        if inside.is_empty() || !inside.iter().all(|&b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        close + 1
    } else {
        let end = bytes.iter().position(|&b| b == b':').unwrap_or(bytes.len());
        if !is_domain_name(&bytes[..end]) {
            return false;
        }
        end
    };
    match &bytes[host_end..] {
        [] => true,
        [b':', port @ ..] => !port.is_empty() && port.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// `domain-component ("." domain-component)*`
fn is_domain_name(bytes: &[u8]) -> bool {
    bytes.split(|&b| b == b'.').all(|component| {
        matches!(
            (component.first(), component.last()),
            (Some(first), Some(last)) if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric()
        ) && component
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// `path-component ("/" path-component)*`
pub fn is_remote_name(s: &str) -> bool {
    s.as_bytes().split(|&b| b == b'/').all(is_path_component)
}

/// `[a-z0-9]+ (separator [a-z0-9]+)*` with separator `.`, `_`, `__` or `-+`.
fn is_path_component(bytes: &[u8]) -> bool {
    let is_alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let is_sep = |b: &u8| matches!(b, b'.' | b'_' | b'-');
    let mut rest = bytes;
    loop {
        let run = rest.iter().take_while(|b| is_alnum(b)).count();
        if run == 0 {
            return false;
        }
        rest = &rest[run..];
        if rest.is_empty() {
            return true;
        }
        let sep_len = rest.iter().take_while(|b| is_sep(b)).count();
        let separator = &rest[..sep_len];
        let valid = matches!(separator, b"." | b"_" | b"__")
            || (!separator.is_empty() && separator.iter().all(|&b| b == b'-'));
        if !valid {
            return false;
        }
        rest = &rest[sep_len..];
    }
}

/// Matches the anchored tag grammar `[\w][\w.-]{0,127}`.
pub fn is_tag(s: &str) -> bool {
    let is_word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    match s.as_bytes() {
        [first, rest @ ..] if rest.len() < TAG_MAX_LEN => {
            is_word(first) && rest.iter().all(|b| is_word(b) || matches!(b, b'.' | b'-'))
        }
        _ => false,
    }
}

/// Matches the anchored digest grammar of the reference package:
/// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`.
///
/// This is looser than what `go-digest` finally accepts; see
/// [`ocipipe_sdk::digest::validate`].
pub fn is_digest(s: &str) -> bool {
    let Some((algorithm, hex)) = s.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm
        .as_bytes()
        .split(|b| matches!(b, b'-' | b'_' | b'+' | b'.'))
        .all(|component| match component {
            [first, rest @ ..] => {
                first.is_ascii_alphabetic() && rest.iter().all(u8::is_ascii_alphanumeric)
            }
            [] => false,
        });
    algorithm_ok && hex.len() >= DIGEST_HEX_MIN_LEN && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Matches the anchored identifier grammar `[a-f0-9]{64}`: exactly the
/// encoded part of a valid sha256 digest.
pub fn is_identifier(s: &str) -> bool {
    digest::from_parts(SHA256, s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_component_separators() {
        for ok in ["a", "a.b", "a_b", "a__b", "a-b", "a---b", "a.b_c__d-e"] {
            assert!(is_path_component(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "", ".a", "a.", "a..b", "a___b", "a._b", "a-.b", "a_-b", "A", "a/b", "a:b",
        ] {
            assert!(!is_path_component(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn domains() {
        for ok in ["a", "a-b.c", "A.B:1", "[::1]", "[::1]:5000", "1.2.3.4:80"] {
            assert!(is_domain(ok), "{ok}");
        }
        for bad in [
            "", "-a", "a-", "a..b", "a.", "[]", "[::1", "[::1]:", "[g::1]", "a:", "a:b", "a:1:2",
        ] {
            assert!(!is_domain(bad), "{bad}");
        }
    }

    #[test]
    fn tags() {
        assert!(is_tag("_"));
        assert!(is_tag(&"a".repeat(128)));
        assert!(!is_tag(&"a".repeat(129)));
        assert!(!is_tag(""));
        assert!(!is_tag(".a"));
        assert!(!is_tag("-a"));
        assert!(!is_tag("a:b"));
    }

    #[test]
    fn digests() {
        let hex = "0".repeat(32);
        assert!(is_digest(&format!("sha256:{hex}")));
        assert!(is_digest(&format!("A1.b+c_d-e:{hex}")));
        assert!(!is_digest(&format!("1a:{hex}")));
        assert!(!is_digest(&format!("a..b:{hex}")));
        assert!(!is_digest(&format!(":{hex}")));
        assert!(!is_digest(&format!("a:{}", &hex[1..])));
        assert!(!is_digest(&format!("a:{hex}:{hex}")));
    }
}
