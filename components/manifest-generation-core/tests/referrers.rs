//! `referrers_tag` and `referrers_index`: the OCI 1.1 referrers tag
//! schema; the tag's spelling (the distribution spec's own examples),
//! golden bytes of the index, replacement, kept fields, refusals.

use manifest_generation_core::*;

const M1: &str = "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f";
const M2: &str = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";
const M3: &str = "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736";
const SBOM: &str = "application/spdx+json";
const SIG: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";

fn referrer(digest: &str, size: u64, artifact_type: &str) -> Descriptor {
    Descriptor {
        artifact_type: Some(artifact_type.into()),
        ..Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, digest, size)
    }
}

fn add(existing: Option<&str>, r: &Descriptor) -> Document {
    referrers_index(existing.map(str::as_bytes), r).unwrap_or_else(|e| panic!("{e}"))
}

fn text(doc: &Document) -> &str {
    std::str::from_utf8(&doc.bytes).unwrap()
}

fn entries_of(doc: &Document) -> Vec<Descriptor> {
    match read_manifest(MEDIA_TYPE_OCI_INDEX, &doc.bytes).unwrap() {
        ManifestContents::Index(index) => index.manifests,
        other => panic!("{other:?}"),
    }
}

fn invalid(existing: Option<&str>, r: &Descriptor) -> String {
    match referrers_index(existing.map(str::as_bytes), r) {
        Err(Error::InvalidInput(msg)) => msg,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

/// The examples of the distribution spec's "Referrers Tag Schema".
#[test]
fn the_tag_is_the_specs() {
    let a64 = "a".repeat(64);
    assert_eq!(
        referrers_tag(&format!("sha256:{a64}")),
        format!("sha256-{a64}")
    );
    assert_eq!(
        referrers_tag(&format!("sha512:{}", "a".repeat(128))),
        format!("sha512-{a64}")
    );
    assert_eq!(
        referrers_tag(
            "test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall+truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharactersToExcerciseEncodedTruncation"
        ),
        "test-algorithm-using-algorithm-s-alsoSome-InTheEncodedSectionToShowHyphenReplacementAndLotsAndLot"
    );
    assert_eq!(
        referrers_tag(M1),
        "sha256-e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"
    );
}

/// Whatever the digest, the answer is a valid tag
/// (`[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`).
#[test]
fn the_tag_is_always_a_valid_tag() {
    let longest = format!("{}:{}", "a".repeat(200), "b".repeat(300));
    for digest in [
        M1,
        "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
        longest.as_str(),
    ] {
        let tag = referrers_tag(digest);
        assert!(tag.len() <= 128, "{tag}");
        assert!(
            tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'),
            "{tag}"
        );
        assert!(
            tag.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
            "{tag}"
        );
    }
    assert_eq!(
        referrers_tag("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"),
        "sha256-b64u-LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"
    );
    assert_eq!(
        referrers_tag(&longest),
        format!("{}-{}", "a".repeat(32), "b".repeat(64))
    );
}

#[test]
fn a_new_tag_holds_the_referrer_alone() {
    let r = Descriptor {
        annotations: vec![
            (
                "org.opencontainers.image.created".into(),
                "2024-01-01T00:00:00Z".into(),
            ),
            ("a".into(), "<&>".into()),
        ],
        ..referrer(M1, 714, SBOM)
    };
    let doc = add(None, &r);
    let expected = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{M1}","size":714,"annotations":{{"a":"\u003c\u0026\u003e","org.opencontainers.image.created":"2024-01-01T00:00:00Z"}},"artifactType":"application/spdx+json"}}]}}"#
    );
    assert_eq!(text(&doc), expected);
    assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_OCI_INDEX);
    assert_eq!(
        doc.descriptor.digest,
        ocipipe_sdk::digest::sha256(&doc.bytes)
    );
    assert_eq!(doc.descriptor.size, doc.bytes.len() as u64);
    // Annotations are written sorted, so the order given does not matter.
    let mut reversed = r.clone();
    reversed.annotations.reverse();
    assert_eq!(add(None, &reversed), doc);
    // Read back, it is the referrer with its annotations sorted.
    let mut sorted = r;
    sorted.annotations.sort();
    assert_eq!(entries_of(&doc), [sorted]);
}

#[test]
fn a_new_referrer_is_appended_after_the_others() {
    let first = add(None, &referrer(M1, 1, SBOM));
    let second = add(Some(text(&first)), &referrer(M2, 2, SIG));
    assert_eq!(
        entries_of(&second),
        [referrer(M1, 1, SBOM), referrer(M2, 2, SIG)]
    );
    let third = add(Some(text(&second)), &referrer(M3, 3, SBOM));
    assert_eq!(
        entries_of(&third),
        [
            referrer(M1, 1, SBOM),
            referrer(M2, 2, SIG),
            referrer(M3, 3, SBOM)
        ]
    );
}

#[test]
fn a_referrer_already_listed_is_replaced_in_place_once() {
    let existing = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
  {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{M1}","size":1,"artifactType":"{SBOM}"}},
  {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{M2}","size":2,"artifactType":"{SIG}","annotations":{{"old":"1"}}}},
  {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{M3}","size":3,"artifactType":"{SBOM}"}},
  {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{M2}","size":2,"artifactType":"{SIG}"}}
]}}"#
    );
    let updated = Descriptor {
        annotations: vec![("new".into(), "2".into())],
        ..referrer(M2, 2, SIG)
    };
    let doc = add(Some(&existing), &updated);
    assert_eq!(
        entries_of(&doc),
        [
            referrer(M1, 1, SBOM),
            updated.clone(),
            referrer(M3, 3, SBOM)
        ]
    );
    // Adding it again changes nothing.
    assert_eq!(add(Some(text(&doc)), &updated), doc);
}

#[test]
fn other_entries_keep_their_fields_and_the_index_nothing_of_its_own() {
    let existing = format!(
        r#"{{
  "zz.extension": {{"b": 1}},
  "annotations": {{"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}},
  "manifests": [
    {{
      "platform": {{"variant": "v8", "os": "linux", "architecture": "arm64"}},
      "artifactType": "application/vnd.example+type",
      "urls": ["https://example.com/m"],
      "data": "e30=",
      "annotations": {{"z": "1", "a": "2"}},
      "size": 2,
      "digest": "{M1}",
      "mediaType": "application/vnd.oci.image.index.v1+json"
    }}
  ],
  "subject": {{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{M3}", "size": 4}},
  "artifactType": "application/vnd.example.index+type",
  "schemaVersion": 2
}}"#
    );
    let doc = add(Some(&existing), &referrer(M2, 5, SIG));
    let expected = concat!(
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":["#,
        r#"{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f","size":2,"urls":["https://example.com/m"],"annotations":{"a":"2","z":"1"},"platform":{"architecture":"arm64","os":"linux","variant":"v8"},"artifactType":"application/vnd.example+type"},"#,
        r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270","size":5,"artifactType":"application/vnd.dev.cosign.artifact.sig.v1+json"}]}"#
    );
    assert_eq!(text(&doc), expected);
    // Written again from its own output: a fixed point.
    assert_eq!(add(Some(expected), &referrer(M2, 5, SIG)), doc);
}

/// An index without `mediaType` (allowed by the image spec) is read.
#[test]
fn an_existing_index_without_media_type_is_read() {
    let old = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{M1}","size":1}}]}}"#
    );
    let doc = add(Some(&old), &referrer(M2, 2, SIG));
    assert_eq!(
        entries_of(&doc),
        [
            Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, M1, 1),
            referrer(M2, 2, SIG)
        ]
    );
}

#[test]
fn refuses_an_existing_document_that_is_not_an_oci_index() {
    let r = referrer(M1, 1, SBOM);
    let cases = [
        ("{", "existing: the document is not valid JSON: "),
        (
            "[]",
            "existing: the document is not a JSON object but an array",
        ),
        (r#"{"manifests":[]}"#, "existing: schemaVersion: missing"),
        (
            r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}"#,
            "existing: mediaType: \"application/vnd.docker.distribution.manifest.list.v2+json\"; the referrers index is an OCI image index",
        ),
        (
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{}}"#,
            "existing: mediaType: \"application/vnd.oci.image.manifest.v1+json\"; the referrers index",
        ),
        (r#"{"schemaVersion":2}"#, "existing: manifests: missing"),
        (
            r#"{"schemaVersion":2,"manifests":[],"config":{}}"#,
            "existing: config: an index has no config",
        ),
        (
            r#"{"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"sha256:00","size":1}]}"#,
            "existing: manifests[0].digest: invalid digest \"sha256:00\"",
        ),
        (
            r#"{"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"}]}"#,
            "existing: manifests[0].size: missing",
        ),
    ];
    for (existing, expected) in cases {
        let msg = invalid(Some(existing), &r);
        assert!(msg.starts_with(expected), "{existing}: {msg}");
    }
    match referrers_index(Some(br#"{"schemaVersion":1,"manifests":[]}"#), &r) {
        Err(Error::Unsupported(msg)) => {
            assert!(msg.starts_with("existing: schemaVersion: 1"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
    let too_big = vec![b' '; MAX_DOCUMENT_SIZE + 1];
    match referrers_index(Some(&too_big), &r) {
        Err(Error::TooLarge(msg)) => assert!(msg.starts_with("existing: "), "{msg}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn refuses_a_referrer_that_is_not_a_manifest_with_a_subject() {
    let m = invalid(None, &referrer("sha256:abc", 1, SBOM));
    assert!(
        m.starts_with("referrer: invalid digest \"sha256:abc\""),
        "{m}"
    );
    let m = invalid(None, &referrer(M1, 1, "not a type"));
    assert!(m.starts_with("referrer: artifact type: "), "{m}");
    for media_type in [
        MEDIA_TYPE_OCI_CONFIG,
        MEDIA_TYPE_DOCKER_MANIFEST,
        MEDIA_TYPE_DOCKER_MANIFEST_LIST,
        "application/vnd.oci.image.layer.v1.tar",
    ] {
        let r = Descriptor::new(media_type, M1, 1);
        match referrers_index(None, &r) {
            Err(Error::Unsupported(msg)) => assert!(
                msg.starts_with(&format!(
                    "referrer: media type {media_type:?} cannot refer to a subject"
                )),
                "{msg}"
            ),
            other => panic!("{media_type}: {other:?}"),
        }
    }
    // An index can be a referrer too.
    let index = Descriptor::new(MEDIA_TYPE_OCI_INDEX, M1, 1);
    assert_eq!(entries_of(&add(None, &index)), [index]);
}

/// A page of the referrers API, as JSON text.
fn page(entries: &str) -> String {
    format!(r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_OCI_INDEX}","manifests":[{entries}]}}"#)
}

fn entry(digest: &str, artifact_type: &str) -> String {
    format!(
        r#"{{"mediaType":"{MEDIA_TYPE_OCI_MANIFEST}","digest":"{digest}","size":7,"artifactType":"{artifact_type}"}}"#
    )
}

/// One malformed entry (anyone who can push a referrer can make one) is
/// described and left out; every other entry is listed, in order.
#[test]
fn a_page_lists_every_valid_entry_and_describes_each_malformed_one() {
    let bad_digest = r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:zz","size":7}"#;
    let negative =
        format!(r#"{{"mediaType":"{MEDIA_TYPE_OCI_MANIFEST}","digest":"{M3}","size":-1}}"#);
    let text = page(
        &[
            entry(M1, SBOM),
            bad_digest.to_string(),
            "42".to_string(),
            entry(M2, SIG),
            negative,
        ]
        .join(","),
    );
    let read = read_referrers(text.as_bytes()).unwrap();
    assert_eq!(
        read.referrers,
        [referrer(M1, 7, SBOM), referrer(M2, 7, SIG)]
    );
    assert_eq!(read.refused.len(), 3, "{:?}", read.refused);
    assert!(
        read.refused[0].starts_with("manifests[1].digest: "),
        "{:?}",
        read.refused
    );
    assert!(
        read.refused[1].starts_with("manifests[2]: must be a descriptor object"),
        "{:?}",
        read.refused
    );
    assert_eq!(read.refused[2], "manifests[4].size: -1 is negative");
    // The index the tag schema keeps reads the same way.
    let kept = add(None, &referrer(M1, 7, SBOM));
    assert_eq!(
        read_referrers(&kept.bytes).unwrap().referrers,
        [referrer(M1, 7, SBOM)]
    );
    assert_eq!(
        read_referrers(page("").as_bytes()).unwrap(),
        ReferrersPage::default()
    );
}

/// What is not a page of referrers at all is refused whole.
#[test]
fn what_is_not_an_index_is_refused_as_a_page() {
    let invalid = |text: &str| match read_referrers(text.as_bytes()) {
        Err(Error::InvalidInput(msg)) => msg,
        other => panic!("{text}: expected invalid-input, got {other:?}"),
    };
    assert!(invalid("[]").starts_with("the referrers page: the document is not a JSON object"));
    assert!(invalid("{").contains("not valid JSON"));
    assert!(invalid(r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]}"#)
        .contains("a page of referrers is an OCI image index"));
    assert!(
        invalid(r#"{"schemaVersion":2,"manifests":{}}"#).contains("manifests: must be an array")
    );
    assert!(
        invalid(r#"{"schemaVersion":2,"manifests":[],"layers":[]}"#)
            .contains("an index has no layers")
    );
    assert!(matches!(
        read_referrers(br#"{"schemaVersion":1,"manifests":[]}"#),
        Err(Error::Unsupported(_))
    ));
    let huge = page(&vec![entry(M1, SBOM); 40_000].join(","));
    assert!(matches!(
        read_referrers(huge.as_bytes()),
        Err(Error::TooLarge(_))
    ));
}
