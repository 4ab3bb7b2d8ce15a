//! Image-reference parsing that behaves exactly like the Go library
//! `github.com/distribution/reference` v0.6 (with `go-digest` v1.0.0, whose
//! rules [`ocipipe_sdk::digest`] holds), with no regular expressions, no I/O,
//! no clock and no randomness.
//!
//! The Go library returns a family of types (`repository`,
//! `taggedReference`, `canonicalReference`, `reference`, `digestReference`);
//! here a single [`Reference`] carries optional parts:
//!
//! | Go type              | `domain`/`path` | `tag`  | `digest` |
//! |----------------------|-----------------|--------|----------|
//! | `repository`         | set             | `None` | `None`   |
//! | `taggedReference`    | set             | `Some` | `None`   |
//! | `canonicalReference` | set             | `None` | `Some`   |
//! | `reference`          | set             | `Some` | `Some`   |
//! | `digestReference`    | both `""`       | `None` | `Some`   |
//!
//! A digest-only reference (Go's `digestReference`) is only produced by
//! [`parse_any_reference`]; its `path` is empty, which no other parse result
//! can have.
//!
//! Error messages ([`RefError`]'s `Display`) are the Go messages verbatim.
//!
//! Which tags a sync entry selects is [`tag_filter`]'s (with regular
//! expressions and semver ranges, as the sync file writes them).
//!
//! The `tagging` world's bindings are generated here ([`wit`]).
//!
//! # Versions and API stability
//!
//! This crate is released with ocipipe, at ocipipe's version, and bundles
//! the WIT of the `ocipipe:image` version it implements (`wit/`, today
//! `0.3.0`). What stays put:
//!
//! - the [`wit`] module: the world's bindings (generated with
//!   `pub_export_macro`, so a component can implement the world with this
//!   crate's `Guest` traits and [`wit::export!`](crate::wit::export)). The
//!   imported interfaces (the next implementation of the operation) and the
//!   exported ones share their Rust types, so a component that delegates
//!   returns the import's answer unchanged. These types change only with a
//!   new WIT version, and then with a new minor version of this crate;
//! - the types `with` maps WIT types to (named in [`wit`]).
//!
//! Everything else (the pure functions, their helper types, error texts
//! beyond what the WIT documents) is the built-in component's logic,
//! exported for reuse, and may change in any release: depend on an exact
//! version (`=X.Y.Z`), as `ocipipe component new` does.

use std::fmt;

use ocipipe_sdk::digest::{self, DigestError, SHA256};

pub mod grammar;
pub mod tag_filter;
pub mod wit;

pub use tag_filter::{
    FilterError, FilterField, TagFilter, check_tag_filter, select_tags, tag_version,
};

/// Maximum length of the repository path (Go `RepositoryNameTotalLengthMax`).
///
/// Despite the Go constant's name, `Parse` and `WithName` compare it with the
/// length of the *path* (the name without its domain), not the whole name.
pub const REPOSITORY_NAME_TOTAL_LENGTH_MAX: usize = 255;

/// The domain that familiar (Docker Hub) names normalise to.
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// The legacy Docker Hub domain, normalised to [`DEFAULT_DOMAIN`].
pub const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// The namespace of official images on Docker Hub.
pub const OFFICIAL_REPO_PREFIX: &str = "library/";
/// The tag [`tag_name_only`] adds.
pub const DEFAULT_TAG: &str = "latest";
/// The name Dockerfiles reserve for the empty base (`FROM scratch`):
/// [`names_no_image`].
pub const SCRATCH: &str = "scratch";
/// Number of entropy bytes [`unique_tag`] turns into a tag.
pub const UNIQUE_TAG_ENTROPY_LEN: usize = 16;

/// A parsed reference. `domain` may be `""` for a non-normalised parse; both
/// `domain` and `path` are `""` for a digest-only reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub domain: String,
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// Go `Name()`: `domain/path`, or `path` when there is no domain.
    pub fn name(&self) -> String {
        join_name(&self.domain, &self.path)
    }

    /// Whether this is a digest-only reference (Go `digestReference`).
    pub fn is_digest_only(&self) -> bool {
        self.path.is_empty() && self.domain.is_empty()
    }

    /// Go `FamiliarName`: the name with `docker.io/` and, for official
    /// images, `library/` removed.
    pub fn familiar_name(&self) -> String {
        if self.domain != DEFAULT_DOMAIN {
            return self.name();
        }
        match self.path.strip_prefix(OFFICIAL_REPO_PREFIX) {
            Some(rest) if !rest.contains('/') => rest.to_owned(),
            _ => self.path.clone(),
        }
    }

    /// Go `FamiliarString`: the familiar name with tag and digest; a
    /// digest-only reference gives its digest.
    pub fn familiar_string(&self) -> String {
        if self.is_digest_only() {
            return self.full_string();
        }
        format_reference(
            &self.familiar_name(),
            self.tag.as_deref(),
            self.digest.as_deref(),
        )
    }
}

/// The WIT `reference` record: every form a caller may want, computed once.
impl From<&Reference> for ocipipe_sdk::Reference {
    fn from(r: &Reference) -> Self {
        ocipipe_sdk::Reference {
            name: r.name(),
            domain: r.domain.clone(),
            path: r.path.clone(),
            tag: r.tag.clone(),
            digest: r.digest.clone(),
            full: r.full_string(),
            familiar: r.familiar_string(),
        }
    }
}

/// Go `String()`: `name[:tag][@digest]`; a digest-only reference gives its
/// digest.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full_string())
    }
}

impl Reference {
    /// What `Display` writes, built without the formatting machinery: in
    /// a component, each of its functions first called through the
    /// function table costs the host a lookup in every fresh instance.
    fn full_string(&self) -> String {
        if self.is_digest_only() {
            return self.digest.clone().unwrap_or_default();
        }
        format_reference(&self.name(), self.tag.as_deref(), self.digest.as_deref())
    }
}

fn join_name(domain: &str, path: &str) -> String {
    if domain.is_empty() {
        path.to_owned()
    } else {
        concat(&[domain, "/", path])
    }
}

/// `parts` joined, without `format!` (see [`Reference::full_string`]).
fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    parts.iter().for_each(|p| out.push_str(p));
    out
}

fn format_reference(name: &str, tag: Option<&str>, digest: Option<&str>) -> String {
    let mut out = String::from(name);
    if let Some(tag) = tag {
        out.push(':');
        out.push_str(tag);
    }
    if let Some(digest) = digest {
        out.push('@');
        out.push_str(digest);
    }
    out
}

/// Errors, displayed with the exact messages of the Go libraries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    /// `ErrReferenceInvalidFormat`: "invalid reference format".
    InvalidReferenceFormat,
    /// `ErrTagInvalidFormat`: "invalid tag format".
    TagInvalidFormat,
    /// `ErrDigestInvalidFormat` of the reference package: "invalid digest format".
    DigestInvalidFormat,
    /// `ErrNameContainsUppercase`: "repository name must be lowercase".
    NameContainsUppercase,
    /// `ErrNameEmpty`: "repository name must have at least one component".
    NameEmpty,
    /// `ErrNameTooLong`: "repository name must not be more than 255 characters".
    NameTooLong,
    /// `ErrNameNotCanonical`: "repository name must be canonical".
    NameNotCanonical,
    /// go-digest `ErrDigestInvalidFormat`: "invalid checksum digest format".
    ChecksumInvalidFormat,
    /// go-digest `ErrDigestInvalidLength`: "invalid checksum digest length".
    ChecksumInvalidLength,
    /// go-digest `ErrDigestUnsupported`: "unsupported digest algorithm".
    DigestUnsupported,
    /// `ParseNormalizedNamed` on a remote name with uppercase letters:
    /// "invalid reference format: repository name (%s) must be lowercase".
    RemoteNameNotLowercase(String),
    /// `ParseNormalizedNamed` on a 64-hex identifier: "invalid repository
    /// name (%s), cannot specify 64-byte hexadecimal strings".
    IdentifierAsName(String),
    /// [`parse_targets`]: an empty entry at a 1-based position.
    EmptyTarget { position: usize, names: String },
    /// [`parse_targets`]: an entry that does not parse.
    InvalidTarget {
        target: String,
        source: Box<RefError>,
    },
    /// [`parse_targets`]: an entry pins a digest; an engine can only give
    /// an image a name with a tag (Docker refuses to tag with a digest).
    DigestTarget(String),
    /// [`unique_tag`]: the name already carries a tag or a digest.
    NotNameOnly(String),
    /// [`unique_tag`]: fewer than [`UNIQUE_TAG_ENTROPY_LEN`] entropy bytes.
    InsufficientEntropy { got: usize },
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidReferenceFormat => f.write_str("invalid reference format"),
            Self::TagInvalidFormat => f.write_str("invalid tag format"),
            Self::DigestInvalidFormat => f.write_str("invalid digest format"),
            Self::NameContainsUppercase => f.write_str("repository name must be lowercase"),
            Self::NameEmpty => f.write_str("repository name must have at least one component"),
            Self::NameTooLong => write!(
                f,
                "repository name must not be more than {REPOSITORY_NAME_TOTAL_LENGTH_MAX} characters"
            ),
            Self::NameNotCanonical => f.write_str("repository name must be canonical"),
            Self::ChecksumInvalidFormat => f.write_str("invalid checksum digest format"),
            Self::ChecksumInvalidLength => f.write_str("invalid checksum digest length"),
            Self::DigestUnsupported => f.write_str("unsupported digest algorithm"),
            Self::RemoteNameNotLowercase(remote) => write!(
                f,
                "invalid reference format: repository name ({remote}) must be lowercase"
            ),
            Self::IdentifierAsName(name) => write!(
                f,
                "invalid repository name ({name}), cannot specify 64-byte hexadecimal strings"
            ),
            Self::EmptyTarget { position, names } => {
                write!(f, "empty image name at position {position} in {names:?}")
            }
            Self::InvalidTarget { target, source } => {
                write!(f, "invalid target {target:?}: {source}")
            }
            Self::DigestTarget(target) => write!(
                f,
                "invalid target {target:?}: a target name cannot carry a digest, only a tag"
            ),
            Self::NotNameOnly(name) => write!(
                f,
                "image name {name:?} must not have a tag or digest: a unique tag is added to it"
            ),
            Self::InsufficientEntropy { got } => write!(
                f,
                "a unique tag needs {UNIQUE_TAG_ENTROPY_LEN} bytes of entropy, got {got}"
            ),
        }
    }
}

impl std::error::Error for RefError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidTarget { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// go-digest's errors, as `Parse` returns them for a digest that fits the
/// reference grammar but not go-digest's rules.
impl From<DigestError> for RefError {
    fn from(e: DigestError) -> Self {
        match e {
            DigestError::InvalidFormat => RefError::ChecksumInvalidFormat,
            DigestError::InvalidLength => RefError::ChecksumInvalidLength,
            DigestError::Unsupported => RefError::DigestUnsupported,
        }
    }
}

/// A reference refused: the WIT `invalid-reference` case, with the Go
/// message.
impl From<RefError> for ocipipe_sdk::Error {
    fn from(e: RefError) -> Self {
        ocipipe_sdk::Error::InvalidReference(e.to_string())
    }
}

/// Go `strings.ToLower`, which maps each rune with Unicode *simple* case
/// mapping. Rust's `char::to_lowercase` uses the full mapping, which differs
/// only for U+0130 (Go gives `i`, full mapping gives `i` + U+0307).
fn go_to_lower(s: &str) -> String {
    let mut lower = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\u{130}' {
            lower.push('i');
        } else {
            lower.extend(c.to_lowercase());
        }
    }
    lower
}

fn has_upper(s: &str) -> bool {
    // ASCII (almost every name) needs no lowering to know.
    match s.is_ascii() {
        true => s.bytes().any(|b| b.is_ascii_uppercase()),
        false => go_to_lower(s) != s,
    }
}

/// Go `Parse`: parses a reference without normalising it; the domain is
/// whatever first path element fits the domain grammar (possibly none).
pub fn parse(s: &str) -> Result<Reference, RefError> {
    if s.is_empty() {
        return Err(RefError::NameEmpty);
    }
    let Some(matched) = grammar::match_reference(s) else {
        let lower = go_to_lower(s);
        if lower != s && grammar::match_reference(&lower).is_some() {
            return Err(RefError::NameContainsUppercase);
        }
        return Err(RefError::InvalidReferenceFormat);
    };
    let (domain, path) = grammar::match_name(matched.name).unwrap_or(("", matched.name));
    if path.len() > REPOSITORY_NAME_TOTAL_LENGTH_MAX {
        return Err(RefError::NameTooLong);
    }
    if let Some(digest) = matched.digest {
        digest::validate(digest)?;
    }
    Ok(Reference {
        domain: domain.to_owned(),
        path: path.to_owned(),
        tag: matched.tag.map(str::to_owned),
        digest: matched.digest.map(str::to_owned),
    })
}

/// Go `splitDockerDomain`: splits a familiar or canonical name into domain
/// and remainder (remote name with any tag/digest), defaulting to Docker Hub.
fn split_docker_domain(name: &str) -> (&str, String) {
    let Some((maybe_domain, maybe_remote)) = name.split_once('/') else {
        // A single element is always a Docker Hub official image, even
        // "localhost" or "example.com" (a Go FIXME keeps it so).
        return (DEFAULT_DOMAIN, concat(&[OFFICIAL_REPO_PREFIX, name]));
    };
    // The order of these checks matters: "index.docker.io" contains a dot.
    let (domain, remote) = if maybe_domain == "localhost" {
        (maybe_domain, maybe_remote)
    } else if maybe_domain == LEGACY_DEFAULT_DOMAIN {
        (DEFAULT_DOMAIN, maybe_remote)
    } else if maybe_domain.contains(['.', ':']) || has_upper(maybe_domain) {
        // Likely a domain or an IP address (with or without a port); or an
        // uppercase first element, which cannot be a namespace.
        (maybe_domain, maybe_remote)
    } else {
        (DEFAULT_DOMAIN, name)
    };
    if domain == DEFAULT_DOMAIN && !remote.contains('/') {
        return (domain, concat(&[OFFICIAL_REPO_PREFIX, remote]));
    }
    (domain, remote.to_owned())
}

/// Go `ParseNormalizedNamed`: parses a familiar name (as typed in the Docker
/// CLI) into a fully qualified reference, e.g. `ubuntu` into
/// `docker.io/library/ubuntu`.
pub fn parse_normalized_named(s: &str) -> Result<Reference, RefError> {
    if grammar::is_identifier(s) {
        return Err(RefError::IdentifierAsName(s.to_owned()));
    }
    let (domain, remainder) = split_docker_domain(s);
    let remote = remainder.split(':').next().unwrap_or_default();
    if has_upper(remote) {
        return Err(RefError::RemoteNameNotLowercase(remote.to_owned()));
    }
    parse(&concat(&[domain, "/", &remainder]))
}

/// Go `ParseNamed`: like [`parse_normalized_named`], but the input must
/// already be in canonical form.
pub fn parse_named(s: &str) -> Result<Reference, RefError> {
    let named = parse_normalized_named(s)?;
    if named.full_string() != s {
        return Err(RefError::NameNotCanonical);
    }
    Ok(named)
}

/// Go `ParseDockerRef`: normalises, drops the tag of a reference that has
/// both a tag and a digest, and adds `latest` to a bare name.
pub fn parse_docker_ref(s: &str) -> Result<Reference, RefError> {
    let named = parse_normalized_named(s)?;
    if let (Some(_), Some(digest)) = (&named.tag, &named.digest) {
        let name = with_name(&named.name())?;
        return with_digest(&name, digest);
    }
    Ok(tag_name_only(named))
}

/// Go `ParseAnyReference`: a 64-hex identifier or a valid registered digest
/// gives a digest-only reference (`domain` and `path` empty, `digest`
/// `Some("sha256:...")`); anything else is parsed with
/// [`parse_normalized_named`].
pub fn parse_any_reference(s: &str) -> Result<Reference, RefError> {
    let digest = if grammar::is_identifier(s) {
        Some(format!("{SHA256}:{s}"))
    } else if digest::validate(s).is_ok() {
        Some(s.to_owned())
    } else {
        None
    };
    match digest {
        Some(digest) => Ok(Reference {
            domain: String::new(),
            path: String::new(),
            tag: None,
            digest: Some(digest),
        }),
        None => parse_normalized_named(s),
    }
}

/// Go `WithName`: a name (no tag, no digest), split like [`parse`] splits.
pub fn with_name(name: &str) -> Result<Reference, RefError> {
    let (domain, path) = grammar::match_name(name).ok_or(RefError::InvalidReferenceFormat)?;
    if path.len() > REPOSITORY_NAME_TOTAL_LENGTH_MAX {
        return Err(RefError::NameTooLong);
    }
    Ok(Reference {
        domain: domain.to_owned(),
        path: path.to_owned(),
        tag: None,
        digest: None,
    })
}

/// Go `WithTag`: sets (or replaces) the tag, keeping any digest. The tag must
/// fit `[\w][\w.-]{0,127}`. A digest-only reference has no name to tag:
/// that gives [`RefError::NameEmpty`] (Go's types rule this call out).
pub fn with_tag(r: &Reference, tag: &str) -> Result<Reference, RefError> {
    if !grammar::is_tag(tag) {
        return Err(RefError::TagInvalidFormat);
    }
    if r.is_digest_only() {
        return Err(RefError::NameEmpty);
    }
    Ok(Reference {
        tag: Some(tag.to_owned()),
        ..r.clone()
    })
}

/// Go `WithDigest`: sets (or replaces) the digest, keeping any tag. The
/// digest is checked against the reference grammar only (as in Go), not
/// against the registered algorithms. A digest-only reference gives
/// [`RefError::NameEmpty`].
pub fn with_digest(r: &Reference, digest: &str) -> Result<Reference, RefError> {
    if !grammar::is_digest(digest) {
        return Err(RefError::DigestInvalidFormat);
    }
    if r.is_digest_only() {
        return Err(RefError::NameEmpty);
    }
    Ok(Reference {
        digest: Some(digest.to_owned()),
        ..r.clone()
    })
}

/// Go `TagNameOnly`: adds the tag `latest` when there is neither a tag nor a
/// digest.
pub fn tag_name_only(r: Reference) -> Reference {
    if r.tag.is_none() && r.digest.is_none() {
        return Reference {
            tag: Some(DEFAULT_TAG.to_owned()),
            ..r
        };
    }
    r
}

/// The name a push writes: [`parse_normalized_named`] then
/// [`tag_name_only`]. A reference with a digest is refused, as `docker
/// push` refuses one: a push writes a tag, and a digest names content
/// that is already there.
pub fn push_target(s: &str) -> Result<Reference, ocipipe_sdk::Error> {
    let named = tag_name_only(parse_normalized_named(s)?);
    if named.digest.is_some() {
        return Err(ocipipe_sdk::Error::invalid(format!(
            "{s:?} names a digest: a push goes to a tag, not a digest"
        )));
    }
    Ok(named)
}

/// Whether `base`, the image a build is asked to start from, names no
/// image: [`SCRATCH`], exactly. See the WIT `names-no-image`.
pub fn names_no_image(base: &str) -> bool {
    base == SCRATCH
}

/// The index of the first of `names` (as an archive or a layout spells
/// its images' names) that means `wanted`: `wanted` exactly, or the same
/// reference once both are normalised with the default tag, so `ubuntu:1`
/// finds `docker.io/library/ubuntu:1` and the other way round. A name of
/// `names` that does not parse matches only itself; a `wanted` that does
/// not parse is refused. See the WIT `find-name`.
pub fn find_name(wanted: &str, names: &[String]) -> Result<Option<u32>, RefError> {
    let normalised = tag_name_only(parse_normalized_named(wanted)?);
    let means = |name: &str| {
        name == wanted || parse_normalized_named(name).is_ok_and(|n| tag_name_only(n) == normalised)
    };
    Ok(names
        .iter()
        .position(|name| means(name))
        .map(|i| u32::try_from(i).unwrap_or(u32::MAX)))
}

/// BuildKit image exporter `name=a,b`: splits on `,`, trims whitespace around
/// each entry, and parses each with [`parse_normalized_named`] followed by
/// [`tag_name_only`].
///
/// An empty entry (as in `"a,,b"`, `"a,"` or `""`) is an
/// [`RefError::EmptyTarget`] naming its 1-based position; an entry that does
/// not parse is an [`RefError::InvalidTarget`] wrapping the parse error; an
/// entry with a digest is a [`RefError::DigestTarget`].
pub fn parse_targets(names: &str) -> Result<Vec<Reference>, RefError> {
    names
        .split(',')
        .enumerate()
        .map(|(index, entry)| {
            let target = entry.trim();
            if target.is_empty() {
                return Err(RefError::EmptyTarget {
                    position: index + 1,
                    names: names.to_owned(),
                });
            }
            let named =
                parse_normalized_named(target).map_err(|source| RefError::InvalidTarget {
                    target: target.to_owned(),
                    source: Box::new(source),
                })?;
            if named.digest.is_some() {
                return Err(RefError::DigestTarget(target.to_owned()));
            }
            Ok(tag_name_only(named))
        })
        .try_fold(Vec::new(), |mut targets: Vec<Reference>, target| {
            // `a,docker.io/library/a:latest` names one image once: a name
            // given twice is kept once, in its first place (as `docker
            // build -t a -t a` does), not refused later by an archive.
            let target = target?;
            if !targets.contains(&target) {
                targets.push(target);
            }
            Ok(targets)
        })
}

/// buf's plugin client `Tag`: the normalised `name` (which must carry
/// neither a tag nor a digest) tagged with 32 lowercase hex characters made
/// from the first [`UNIQUE_TAG_ENTROPY_LEN`] bytes of `entropy`.
///
/// The name is checked first, then the entropy length.
pub fn unique_tag(name: &str, entropy: &[u8]) -> Result<Reference, RefError> {
    let named = parse_normalized_named(name)?;
    if named.tag.is_some() || named.digest.is_some() {
        return Err(RefError::NotNameOnly(name.to_owned()));
    }
    let Some(bytes) = entropy.get(..UNIQUE_TAG_ENTROPY_LEN) else {
        return Err(RefError::InsufficientEntropy { got: entropy.len() });
    };
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let tag: String = bytes
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]])
        .map(char::from)
        .collect();
    Ok(Reference {
        tag: Some(tag),
        ..named
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_lowercase_uses_simple_mapping() {
        assert_eq!(go_to_lower("ABC"), "abc");
        assert_eq!(go_to_lower("\u{130}"), "i");
        assert_eq!(go_to_lower("\u{212A}"), "k");
        assert_eq!(go_to_lower("Äö"), "äö");
    }
}
