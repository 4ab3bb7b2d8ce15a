//! Unit tests of the API beyond the case table: parse_targets, unique_tag,
//! tag_name_only, with_tag / with_digest (including the Go tests
//! TestWithTag, TestWithDigest and TestInvalidReferenceComponents, which
//! build references rather than parse strings).

use std::error::Error;

use tagging_core::{
    RefError, Reference, parse, parse_any_reference, parse_normalized_named, parse_targets,
    tag_name_only, unique_tag, with_digest, with_name, with_tag,
};

const DIGEST: &str = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582";

fn strings(refs: &[Reference]) -> Vec<String> {
    refs.iter().map(ToString::to_string).collect()
}

// ------------------------------------------------------------------ parse_targets

#[test]
fn parse_targets_keeps_a_name_given_twice_once() {
    let refs = parse_targets("a, b,docker.io/library/a:latest,a:latest").unwrap();
    let full: Vec<String> = refs.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        full,
        ["docker.io/library/a:latest", "docker.io/library/b:latest"]
    );
}

#[test]
fn parse_targets_normalises_and_tags_each_name() {
    let refs = parse_targets("a,b").unwrap();
    assert_eq!(
        strings(&refs),
        ["docker.io/library/a:latest", "docker.io/library/b:latest"]
    );
}

#[test]
fn parse_targets_trims_around_entries_and_keeps_tags() {
    let refs = parse_targets(" a , b:v1 ,\texample.com:5000/c ").unwrap();
    assert_eq!(
        strings(&refs),
        [
            "docker.io/library/a:latest",
            "docker.io/library/b:v1",
            "example.com:5000/c:latest",
        ]
    );
    assert_eq!(refs[2].domain, "example.com:5000");
    assert_eq!(refs[2].tag.as_deref(), Some("latest"));
}

#[test]
fn parse_targets_refuses_digests() {
    for names in [format!("a,b@{DIGEST}"), format!("b:v1@{DIGEST}")] {
        let err = parse_targets(&names).unwrap_err();
        assert!(matches!(err, RefError::DigestTarget(_)), "{names}: {err:?}");
        assert!(err.to_string().contains("cannot carry a digest"), "{err}");
    }
}

#[test]
fn parse_targets_single_name() {
    let refs = parse_targets("ghcr.io/acme/app:1.2").unwrap();
    assert_eq!(strings(&refs), ["ghcr.io/acme/app:1.2"]);
}

#[test]
fn parse_targets_rejects_empty_entries_by_position() {
    for (names, position) in [
        ("a,,b", 2),
        ("a,", 2),
        (",a", 1),
        ("", 1),
        ("  ", 1),
        ("a, ,b", 2),
        ("a,b,c,", 4),
    ] {
        let err = parse_targets(names).unwrap_err();
        assert_eq!(
            err,
            RefError::EmptyTarget {
                position,
                names: names.to_owned()
            },
            "{names:?}"
        );
    }
    assert_eq!(
        parse_targets("a,,b").unwrap_err().to_string(),
        r#"empty image name at position 2 in "a,,b""#
    );
}

#[test]
fn parse_targets_names_the_invalid_entry_and_wraps_its_error() {
    let err = parse_targets("a, Foo ,b").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid target "Foo": invalid reference format: repository name (library/Foo) must be lowercase"#
    );
    let RefError::InvalidTarget { target, source } = &err else {
        panic!("unexpected {err:?}");
    };
    assert_eq!(target, "Foo");
    assert_eq!(
        **source,
        RefError::RemoteNameNotLowercase("library/Foo".to_owned())
    );
    assert_eq!(
        err.source().map(ToString::to_string),
        Some(source.to_string())
    );

    let err = parse_targets("a,b:-bad").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid target "b:-bad": invalid reference format"#
    );
}

// ------------------------------------------------------------------ unique_tag

#[test]
fn unique_tag_uses_first_16_bytes_as_lowercase_hex() {
    let entropy: Vec<u8> = (0u8..20).map(|i| i.wrapping_mul(0x1d) ^ 0xa5).collect();
    let r = unique_tag("buf.build/acme/plugin", &entropy).unwrap();
    let tag = r.tag.clone().unwrap();
    assert_eq!(tag.len(), 32);
    assert!(
        tag.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    let expected: String = entropy[..16].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(tag, expected);
    assert_eq!(r.domain, "buf.build");
    assert_eq!(r.path, "acme/plugin");
    assert_eq!(r.digest, None);
    assert_eq!(r.to_string(), format!("buf.build/acme/plugin:{expected}"));
    // The tag is a valid tag and the result parses back to itself.
    assert_eq!(parse(&r.to_string()).unwrap(), r);
}

#[test]
fn unique_tag_known_value_and_normalisation() {
    let entropy: Vec<u8> = (0u8..16).collect();
    let r = unique_tag("plugin", &entropy).unwrap();
    assert_eq!(
        r.to_string(),
        "docker.io/library/plugin:000102030405060708090a0b0c0d0e0f"
    );
    let r = unique_tag("acme/plugin", &[0xff; 16]).unwrap();
    assert_eq!(
        r.to_string(),
        "docker.io/acme/plugin:ffffffffffffffffffffffffffffffff"
    );
}

#[test]
fn unique_tag_is_deterministic_and_distinguishes_entropy() {
    let a = unique_tag("x", &[1; 16]).unwrap();
    assert_eq!(a, unique_tag("x", &[1; 16]).unwrap());
    assert_ne!(a, unique_tag("x", &[2; 16]).unwrap());
    // Bytes past the 16th do not matter.
    let mut long = vec![1; 16];
    long.extend([9; 8]);
    assert_eq!(a, unique_tag("x", &long).unwrap());
}

#[test]
fn unique_tag_rejects_short_entropy() {
    assert_eq!(
        unique_tag("x", &[0; 15]),
        Err(RefError::InsufficientEntropy { got: 15 })
    );
    assert_eq!(
        unique_tag("x", &[]),
        Err(RefError::InsufficientEntropy { got: 0 })
    );
    assert_eq!(
        RefError::InsufficientEntropy { got: 3 }.to_string(),
        "a unique tag needs 16 bytes of entropy, got 3"
    );
}

#[test]
fn unique_tag_rejects_tagged_or_digested_names() {
    for name in ["x:v1", &format!("x@{DIGEST}"), &format!("x:v1@{DIGEST}")] {
        assert_eq!(
            unique_tag(name, &[0; 16]),
            Err(RefError::NotNameOnly(name.to_owned())),
            "{name}"
        );
    }
    assert_eq!(
        unique_tag("x:v1", &[0; 16]).unwrap_err().to_string(),
        r#"image name "x:v1" must not have a tag or digest: a unique tag is added to it"#
    );
}

#[test]
fn unique_tag_passes_parse_errors_through() {
    assert_eq!(
        unique_tag("Foo", &[0; 16]),
        Err(RefError::RemoteNameNotLowercase("library/Foo".to_owned()))
    );
    assert_eq!(
        unique_tag("", &[0; 16]),
        Err(RefError::InvalidReferenceFormat)
    );
}

// ------------------------------------------------------------------ tag_name_only

#[test]
fn tag_name_only_adds_latest_to_bare_names_only() {
    let bare = parse_normalized_named("busybox").unwrap();
    assert_eq!(
        tag_name_only(bare).to_string(),
        "docker.io/library/busybox:latest"
    );

    let tagged = parse_normalized_named("busybox:1").unwrap();
    assert_eq!(tag_name_only(tagged.clone()), tagged);

    let digested = parse_normalized_named(&format!("busybox@{DIGEST}")).unwrap();
    assert_eq!(tag_name_only(digested.clone()), digested);

    let both = parse_normalized_named(&format!("busybox:1@{DIGEST}")).unwrap();
    assert_eq!(tag_name_only(both.clone()), both);

    let digest_only = parse_any_reference(&DIGEST["sha256:".len()..]).unwrap();
    assert!(digest_only.is_digest_only());
    assert_eq!(tag_name_only(digest_only.clone()), digest_only);

    // Non-normalised names keep their (absent) domain.
    assert_eq!(
        tag_name_only(parse("foo").unwrap()).to_string(),
        "foo:latest"
    );
}

// ------------------------------------------------------------------ with_tag / with_digest

/// reference_test.go TestWithTag.
#[test]
fn go_test_with_tag() {
    let cases = [
        ("test.com/foo", None, "tag", "test.com/foo:tag"),
        ("foo", None, "tag2", "foo:tag2"),
        ("test.com:8000/foo", None, "tag4", "test.com:8000/foo:tag4"),
        ("test.com:8000/foo", None, "TAG5", "test.com:8000/foo:TAG5"),
        (
            "test.com:8000/foo",
            Some("sha256:1234567890098765432112345667890098765"),
            "TAG5",
            "test.com:8000/foo:TAG5@sha256:1234567890098765432112345667890098765",
        ),
    ];
    for (name, digest, tag, combined) in cases {
        let mut named = with_name(name).unwrap();
        if let Some(digest) = digest {
            named = with_digest(&named, digest).unwrap();
        }
        let tagged = with_tag(&named, tag).unwrap();
        assert_eq!(tagged.to_string(), combined);
    }
}

/// reference_test.go TestWithDigest.
#[test]
fn go_test_with_digest() {
    let digest = "sha256:1234567890098765432112345667890098765";
    let cases = [
        (
            "test.com/foo",
            None,
            "test.com/foo@sha256:1234567890098765432112345667890098765",
        ),
        (
            "foo",
            None,
            "foo@sha256:1234567890098765432112345667890098765",
        ),
        (
            "test.com:8000/foo",
            None,
            "test.com:8000/foo@sha256:1234567890098765432112345667890098765",
        ),
        (
            "test.com:8000/foo",
            Some("latest"),
            "test.com:8000/foo:latest@sha256:1234567890098765432112345667890098765",
        ),
    ];
    for (name, tag, combined) in cases {
        let mut named = with_name(name).unwrap();
        if let Some(tag) = tag {
            named = with_tag(&named, tag).unwrap();
        }
        let digested = with_digest(&named, digest).unwrap();
        assert_eq!(digested.to_string(), combined);
    }
}

/// normalize_test.go TestInvalidReferenceComponents (the WithTag and
/// WithDigest parts; the parse parts are in the case table).
#[test]
fn go_test_invalid_reference_components() {
    let busybox = parse_normalized_named("busybox").unwrap();
    assert_eq!(with_tag(&busybox, "-foo"), Err(RefError::TagInvalidFormat));
    assert_eq!(
        with_digest(&busybox, "foo"),
        Err(RefError::DigestInvalidFormat)
    );
}

#[test]
fn with_tag_validates_and_replaces() {
    let r = parse_normalized_named(&format!("busybox:1@{DIGEST}")).unwrap();
    let retagged = with_tag(&r, "2").unwrap();
    assert_eq!(retagged.tag.as_deref(), Some("2"));
    assert_eq!(retagged.digest.as_deref(), Some(DIGEST));
    assert_eq!(retagged.familiar_string(), format!("busybox:2@{DIGEST}"));

    let long = "t".repeat(128);
    assert_eq!(with_tag(&r, &long).unwrap().tag, Some(long.clone()));
    for bad in [
        "",
        "-x",
        ".x",
        "a:b",
        "a/b",
        "a@b",
        "ä",
        &format!("{long}t"),
    ] {
        assert_eq!(
            with_tag(&r, bad),
            Err(RefError::TagInvalidFormat),
            "{bad:?}"
        );
    }
    assert_eq!(RefError::TagInvalidFormat.to_string(), "invalid tag format");

    let digest_only = parse_any_reference(DIGEST).unwrap();
    assert_eq!(with_tag(&digest_only, "v1"), Err(RefError::NameEmpty));
}

// ------------------------------------------------------------------ Reference

#[test]
fn reference_display_and_familiar_forms() {
    let r = parse_normalized_named(&format!("library/busybox:1@{DIGEST}")).unwrap();
    assert_eq!(r.name(), "docker.io/library/busybox");
    assert_eq!(
        r.to_string(),
        format!("docker.io/library/busybox:1@{DIGEST}")
    );
    assert_eq!(r.familiar_name(), "busybox");
    assert_eq!(r.familiar_string(), format!("busybox:1@{DIGEST}"));

    let nested = parse_normalized_named("library/a/b").unwrap();
    assert_eq!(nested.familiar_name(), "library/a/b");

    let other = parse_normalized_named("quay.io/library/x").unwrap();
    assert_eq!(other.familiar_name(), "quay.io/library/x");

    let digest_only = parse_any_reference(DIGEST).unwrap();
    assert_eq!(
        digest_only,
        Reference {
            domain: String::new(),
            path: String::new(),
            tag: None,
            digest: Some(DIGEST.to_owned())
        }
    );
    assert_eq!(digest_only.to_string(), DIGEST);
    assert_eq!(digest_only.familiar_string(), DIGEST);
    assert_eq!(digest_only.name(), "");
}

#[test]
fn plain_errors_have_no_source() {
    assert!(RefError::InvalidReferenceFormat.source().is_none());
    assert!(parse("Foo").unwrap_err().source().is_none());
}

// ------------------------------------------------------------------ parse_any_reference

/// normalize_test.go TestParseAnyReference is in the case table; these are
/// the decisions an engine argument depends on.
#[test]
fn any_reference_takes_64_lowercase_hex_as_an_image_id() {
    let hex = &DIGEST["sha256:".len()..];
    let id = parse_any_reference(hex).unwrap();
    assert!(id.is_digest_only());
    assert_eq!(id.digest.as_deref(), Some(DIGEST));
    // Uppercase hex is no ID, and no valid name either.
    assert_eq!(
        parse_any_reference(&hex.to_uppercase()),
        Err(RefError::RemoteNameNotLowercase(format!(
            "library/{}",
            hex.to_uppercase()
        )))
    );
    // One character short: a name.
    let named = parse_any_reference(&hex[1..]).unwrap();
    assert_eq!(
        named.to_string(),
        format!("docker.io/library/{}", &hex[1..])
    );
}

#[test]
fn any_reference_takes_a_valid_digest_as_an_image_id() {
    let id = parse_any_reference(DIGEST).unwrap();
    assert!(id.is_digest_only());
    assert_eq!(id.to_string(), DIGEST);
    // Not a valid digest: parsed as a name with a tag, as Go does.
    let named = parse_any_reference("sha256:abc").unwrap();
    assert_eq!(named.to_string(), "docker.io/library/sha256:abc");
    assert_eq!(named.tag.as_deref(), Some("abc"));
}

#[test]
fn any_reference_names_are_normalised_without_a_default_tag() {
    let named = parse_any_reference("redis").unwrap();
    assert_eq!(named.to_string(), "docker.io/library/redis");
    assert_eq!(named.tag, None);
    // A short image-ID prefix is a name whose familiar form is the prefix,
    // which the engine's own lookup then matches against IDs.
    let prefix = parse_any_reference("3f2a").unwrap();
    assert_eq!(prefix.familiar_string(), "3f2a");
    assert_eq!(
        parse_any_reference("Foo"),
        Err(RefError::RemoteNameNotLowercase("library/Foo".to_owned()))
    );
    assert_eq!(
        parse_any_reference(""),
        Err(RefError::InvalidReferenceFormat)
    );
}

// ------------------------------------------------------------------ WIT forms

#[test]
fn the_wit_reference_carries_every_form() {
    let r = parse_normalized_named(&format!("busybox:1@{DIGEST}")).unwrap();
    assert_eq!(
        ocipipe_sdk::Reference::from(&r),
        ocipipe_sdk::Reference {
            name: "docker.io/library/busybox".into(),
            domain: "docker.io".into(),
            path: "library/busybox".into(),
            tag: Some("1".into()),
            digest: Some(DIGEST.into()),
            full: format!("docker.io/library/busybox:1@{DIGEST}"),
            familiar: format!("busybox:1@{DIGEST}"),
        }
    );
}

#[test]
fn reference_errors_are_the_wit_invalid_reference_case_with_gos_message() {
    assert_eq!(
        ocipipe_sdk::Error::from(parse("Foo").unwrap_err()),
        ocipipe_sdk::Error::InvalidReference("repository name must be lowercase".into())
    );
}

#[test]
fn digest_errors_keep_go_digests_messages() {
    for (digest, message) in [
        (
            "sha256:0123456789abcdef0123456789abcdef",
            "invalid checksum digest length",
        ),
        (
            "md5:0123456789abcdef0123456789abcdef",
            "unsupported digest algorithm",
        ),
        (
            "sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
            "invalid checksum digest format",
        ),
    ] {
        let err = parse(&format!("busybox@{digest}")).unwrap_err();
        assert_eq!(err.to_string(), message, "{digest}");
    }
}

#[test]
fn a_push_target_gets_the_default_tag_and_may_not_name_a_digest() {
    let target = tagging_core::push_target("ubuntu").unwrap();
    assert_eq!(target.to_string(), "docker.io/library/ubuntu:latest");
    let digest = format!("sha256:{}", "a".repeat(64));
    for pinned in [format!("ubuntu@{digest}"), format!("ubuntu:1@{digest}")] {
        let err = tagging_core::push_target(&pinned).unwrap_err();
        assert!(
            matches!(err, ocipipe_sdk::Error::InvalidInput(_)),
            "{err:?}"
        );
        assert!(err.message().contains("a push goes to a tag, not a digest"));
    }
    assert!(matches!(
        tagging_core::push_target("UPPER").unwrap_err(),
        ocipipe_sdk::Error::InvalidReference(_)
    ));
}
