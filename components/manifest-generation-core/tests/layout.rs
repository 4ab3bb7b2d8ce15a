//! `layout_index` and `layout_entry`: an OCI image layout's `index.json`
//! as skopeo's `oci:` transport writes and reads it, and as a build names
//! its image; golden bytes, replacement rules, kept fields, refusals.

use manifest_generation_core::*;

const M1: &str = "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f";
const M2: &str = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";
const M3: &str = "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736";
const M4: &str = "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0";

fn manifest(digest: &str, size: u64) -> Descriptor {
    Descriptor::new(MEDIA_TYPE_OCI_MANIFEST, digest, size)
}

fn tagged(digest: &str, size: u64, tag: &str) -> Descriptor {
    Descriptor {
        annotations: vec![(ANNOTATION_REF_NAME.into(), tag.into())],
        ..manifest(digest, size)
    }
}

/// An entry as Go writes it.
fn entry_json(d: &Descriptor) -> String {
    let tag = d
        .annotations
        .iter()
        .find(|(k, _)| k == ANNOTATION_REF_NAME)
        .map(|(_, v)| format!(r#","annotations":{{"{ANNOTATION_REF_NAME}":"{v}"}}"#))
        .unwrap_or_default();
    format!(
        r#"{{"mediaType":"{}","digest":"{}","size":{}{tag}}}"#,
        d.media_type, d.digest, d.size
    )
}

/// An index.json as skopeo writes it, of these entries.
fn index_json(entries: &[Descriptor]) -> String {
    let entries: Vec<String> = entries.iter().map(entry_json).collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_OCI_INDEX}","manifests":[{}]}}"#,
        entries.join(",")
    )
}

fn add(existing: Option<&str>, m: &Descriptor, tag: Option<&str>) -> Document {
    layout_index(existing.map(str::as_bytes), m, tag, None).unwrap_or_else(|e| panic!("{e}"))
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

fn invalid(existing: Option<&str>, m: &Descriptor, tag: Option<&str>) -> String {
    match layout_index(existing.map(str::as_bytes), m, tag, None) {
        Err(Error::InvalidInput(msg)) => msg,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

fn entry_refusal(index: &str, tag: Option<&str>) -> Error {
    layout_entry(index.as_bytes(), tag).expect_err("accepted")
}

#[test]
fn a_new_layout_holds_the_tagged_manifest() {
    let doc = add(None, &manifest(M1, 7143), Some("latest"));
    let expected = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{M1}","size":7143,"annotations":{{"org.opencontainers.image.ref.name":"latest"}}}}]}}"#
    );
    assert_eq!(text(&doc), expected);
    assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_OCI_INDEX);
    assert_eq!(
        doc.descriptor.digest,
        ocipipe_sdk::digest::sha256(&doc.bytes)
    );
    assert_eq!(doc.descriptor.size, doc.bytes.len() as u64);
    // What skopeo wrote reads back the same, and adding the same again
    // changes nothing.
    assert_eq!(expected, index_json(&[tagged(M1, 7143, "latest")]));
    assert_eq!(
        add(Some(&expected), &manifest(M1, 7143), Some("latest")),
        doc
    );
    // Without a tag: no annotations.
    assert_eq!(
        text(&add(None, &manifest(M1, 7143), None)),
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{M1}","size":7143}}]}}"#
        )
    );
}

#[test]
fn a_tag_already_there_is_replaced_in_place() {
    let existing = index_json(&[
        tagged(M1, 1, "a"),
        tagged(M2, 2, "b"),
        manifest(M3, 3),
        tagged(M4, 4, "c"),
    ]);
    let doc = add(
        Some(&existing),
        &Descriptor::new(MEDIA_TYPE_OCI_INDEX, M3, 33),
        Some("b"),
    );
    assert_eq!(
        entries_of(&doc),
        [
            tagged(M1, 1, "a"),
            Descriptor {
                annotations: vec![(ANNOTATION_REF_NAME.into(), "b".into())],
                ..Descriptor::new(MEDIA_TYPE_OCI_INDEX, M3, 33)
            },
            manifest(M3, 3),
            tagged(M4, 4, "c"),
        ]
    );
}

#[test]
fn a_new_tag_is_appended() {
    let existing = index_json(&[tagged(M1, 1, "a")]);
    let doc = add(Some(&existing), &manifest(M1, 1), Some("b"));
    assert_eq!(entries_of(&doc), [tagged(M1, 1, "a"), tagged(M1, 1, "b")]);
}

/// skopeo replaces an entry of the same digest without a name rather
/// than list the manifest twice, with a tag or without.
#[test]
fn an_unnamed_entry_of_the_same_digest_is_replaced_not_duplicated() {
    let existing = index_json(&[manifest(M1, 1), tagged(M2, 2, "b"), manifest(M2, 2)]);
    let doc = add(Some(&existing), &manifest(M2, 2), None);
    assert_eq!(text(&doc), existing);
    let doc = add(Some(&existing), &manifest(M2, 2), Some("new"));
    assert_eq!(
        entries_of(&doc),
        [manifest(M1, 1), tagged(M2, 2, "b"), tagged(M2, 2, "new")]
    );
    // A named entry of the same digest stays; the unnamed one is added.
    let existing = index_json(&[tagged(M2, 2, "b")]);
    let doc = add(Some(&existing), &manifest(M2, 2), None);
    assert_eq!(entries_of(&doc), [tagged(M2, 2, "b"), manifest(M2, 2)]);
    // Another digest is appended.
    let doc = add(Some(&existing), &manifest(M3, 3), None);
    assert_eq!(entries_of(&doc), [tagged(M2, 2, "b"), manifest(M3, 3)]);
}

#[test]
fn the_manifests_own_ref_name_is_its_tag_and_a_given_tag_wins() {
    let existing = index_json(&[tagged(M1, 1, "a"), tagged(M2, 2, "b")]);
    let doc = add(Some(&existing), &tagged(M3, 3, "a"), None);
    assert_eq!(entries_of(&doc), [tagged(M3, 3, "a"), tagged(M2, 2, "b")]);
    let doc = add(Some(&existing), &tagged(M3, 3, "a"), Some("b"));
    assert_eq!(entries_of(&doc), [tagged(M1, 1, "a"), tagged(M3, 3, "b")]);
    // An empty tag is no tag.
    let doc = add(Some(&existing), &manifest(M3, 3), Some(""));
    assert_eq!(
        entries_of(&doc),
        [tagged(M1, 1, "a"), tagged(M2, 2, "b"), manifest(M3, 3)]
    );
}

/// Every field of the other entries and the index's own fields are kept;
/// unknown top-level fields follow, sorted; keys come in Go's order
/// whatever order they were read in; the same input gives the same bytes.
#[test]
fn other_entries_and_fields_are_kept_in_go_order() {
    let existing = format!(
        r#"{{
  "zz.extension": {{"b": 1, "a": [true, null]}},
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
      "mediaType": "application/vnd.oci.image.manifest.v1+json"
    }}
  ],
  "a.extension": "x",
  "subject": {{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{M4}", "size": 4}},
  "artifactType": "application/vnd.example.index+type",
  "schemaVersion": 2
}}"#
    );
    let doc = add(Some(&existing), &tagged(M2, 5, "v1"), None);
    let expected = concat!(
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","artifactType":"application/vnd.example.index+type","manifests":["#,
        r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f","size":2,"urls":["https://example.com/m"],"annotations":{"a":"2","z":"1"},"data":"e30=","platform":{"architecture":"arm64","os":"linux","variant":"v8"},"artifactType":"application/vnd.example+type"},"#,
        r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270","size":5,"annotations":{"org.opencontainers.image.ref.name":"v1"}}],"#,
        r#""subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0","size":4},"#,
        r#""annotations":{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"},"#,
        r#""a.extension":"x","zz.extension":{"a":[true,null],"b":1}}"#
    );
    assert_eq!(text(&doc), expected);
    assert_eq!(add(Some(&existing), &tagged(M2, 5, "v1"), None), doc);
    // Written again from its own output: a fixed point.
    assert_eq!(add(Some(expected), &tagged(M2, 5, "v1"), None), doc);
}

/// An index.json without `mediaType`, as older skopeo wrote it, is read;
/// the rewrite names its type.
#[test]
fn an_index_without_media_type_is_read_and_gets_one() {
    let old = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{M1}","size":1,"annotations":{{"org.opencontainers.image.ref.name":"latest"}}}}]}}"#
    );
    let doc = add(Some(&old), &manifest(M1, 1), Some("latest"));
    assert_eq!(text(&doc), index_json(&[tagged(M1, 1, "latest")]));
}

#[test]
fn refuses_an_existing_index_that_is_not_an_oci_index() {
    let m = manifest(M1, 1);
    let cases = [
        ("{", "index.json: the document is not valid JSON: "),
        (
            "[]",
            "index.json: the document is not a JSON object but an array",
        ),
        (r#"{"manifests":[]}"#, "index.json: schemaVersion: missing"),
        (
            r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}"#,
            "index.json: mediaType: \"application/vnd.docker.distribution.manifest.list.v2+json\"; the index of an OCI image layout is an OCI image index",
        ),
        (
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]}"#,
            "index.json: mediaType: \"application/vnd.oci.image.manifest.v1+json\"",
        ),
        (r#"{"schemaVersion":2}"#, "index.json: manifests: missing"),
        (
            r#"{"schemaVersion":2,"manifests":[],"layers":[]}"#,
            "index.json: layers: an index has no layers",
        ),
        (
            r#"{"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"sha256:00","size":1}]}"#,
            "index.json: manifests[0].digest: invalid digest \"sha256:00\"",
        ),
        (
            r#"{"schemaVersion":2,"manifests":[],"annotations":{"k":false}}"#,
            "index.json: annotations.k: must be a string, not a boolean",
        ),
    ];
    for (existing, expected) in cases {
        let msg = invalid(Some(existing), &m, None);
        assert!(msg.starts_with(expected), "{existing}: {msg}");
    }
    match layout_index(
        Some(br#"{"schemaVersion":1,"manifests":[]}"#),
        &m,
        None,
        None,
    ) {
        Err(Error::Unsupported(msg)) => {
            assert!(msg.starts_with("index.json: schemaVersion: 1"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn refuses_a_manifest_that_is_not_one_and_a_bad_tag() {
    let m = invalid(None, &manifest("sha256:abc", 1), None);
    assert!(
        m.starts_with("manifest: invalid digest \"sha256:abc\""),
        "{m}"
    );
    match layout_index(
        None,
        &Descriptor::new(MEDIA_TYPE_OCI_CONFIG, M1, 1),
        None,
        None,
    ) {
        Err(Error::Unsupported(msg)) => {
            assert!(msg.starts_with("manifest: media type \"application/vnd.oci.image.config.v1+json\" is not a manifest or index type"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
    for bad in [
        "a b", "-a", "a-", "a//b", "/a", "a/", "a---b", "a..b", "ä", "a_",
    ] {
        let m = invalid(None, &manifest(M1, 1), Some(bad));
        assert!(
            m.starts_with(&format!(
                "tag {bad:?} is not a valid org.opencontainers.image.ref.name"
            )),
            "{bad}: {m}"
        );
    }
    for good in [
        "latest",
        "v1.2.3",
        "a--b",
        "a_b",
        "a:b@c+d",
        "localhost/ns/app:1.0",
        "1",
    ] {
        add(None, &manifest(M1, 1), Some(good));
    }
}

/// Adds `m` under the image name `image` (a build's `-t` name).
fn named(existing: Option<&str>, m: &Descriptor, image: &str) -> Document {
    layout_index(existing.map(str::as_bytes), m, None, Some(image))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn an_image_name_gives_both_names_in_the_bytes_a_build_always_wrote() {
    // What tar-assembly's `plan-layout` wrote for a build tagged with two
    // names (the golden build's `index.json`): one entry per name, both
    // annotations, sorted, compact, no newline.
    let first = named(None, &manifest(M1, 7143), "docker.io/golden/image:1.0");
    let both = named(
        Some(text(&first)),
        &manifest(M1, 7143),
        "docker.io/golden/image:latest",
    );
    let entry = |name: &str, tag: &str| {
        format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{M1}","size":7143,"annotations":{{"io.containerd.image.name":"{name}","org.opencontainers.image.ref.name":"{tag}"}}}}"#
        )
    };
    assert_eq!(
        text(&both),
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{},{}]}}"#,
            entry("docker.io/golden/image:1.0", "1.0"),
            entry("docker.io/golden/image:latest", "latest"),
        )
    );
    // A given tag wins over the name's; an empty name is none.
    let tagged_too = layout_index(None, &manifest(M1, 1), Some("v2"), Some("docker.io/a/b:1"));
    let entries = entries_of(&tagged_too.unwrap());
    assert!(
        entries[0]
            .annotations
            .contains(&(ANNOTATION_REF_NAME.into(), "v2".into()))
    );
    assert_eq!(
        layout_index(None, &manifest(M1, 1), None, Some("")).unwrap(),
        add(None, &manifest(M1, 1), None)
    );
}

#[test]
fn every_descriptor_field_comes_out_as_plan_layout_wrote_it() {
    // tar-assembly's former `layout_golden`: a manifest with every optional
    // field and two names, then an unnamed image.
    let rich = Descriptor {
        annotations: vec![("z".into(), "y".into())],
        urls: vec!["https://example.com/m".into()],
        platform: Some(Platform {
            architecture: "arm".into(),
            os: "linux".into(),
            os_version: None,
            os_features: vec!["f".into()],
            cpu_variant: Some("v7".into()),
        }),
        artifact_type: Some("application/x.t".into()),
        ..manifest(M1, 10)
    };
    let one = named(None, &rich, "docker.io/library/app:1");
    let two = named(Some(text(&one)), &rich, "example.com/app:v2");
    let all = add(Some(text(&two)), &manifest(M2, 20), None);
    let entry = |name: &str, tag: &str| {
        format!(
            r#"{{"mediaType":"{MEDIA_TYPE_OCI_MANIFEST}","digest":"{M1}","size":10,"urls":["https://example.com/m"],"annotations":{{"io.containerd.image.name":"{name}","org.opencontainers.image.ref.name":"{tag}","z":"y"}},"platform":{{"architecture":"arm","os":"linux","os.features":["f"],"variant":"v7"}},"artifactType":"application/x.t"}}"#
        )
    };
    assert_eq!(
        text(&all),
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_OCI_INDEX}","manifests":[{},{},{{"mediaType":"{MEDIA_TYPE_OCI_MANIFEST}","digest":"{M2}","size":20}}]}}"#,
            entry("docker.io/library/app:1", "1"),
            entry("example.com/app:v2", "v2"),
        )
    );
}

#[test]
fn image_names_tell_entries_apart_even_when_they_share_a_tag() {
    let a = named(None, &manifest(M1, 1), "docker.io/a/app:1.0");
    let b = named(Some(text(&a)), &manifest(M2, 2), "docker.io/b/app:1.0");
    let digests =
        |doc: &Document| -> Vec<String> { entries_of(doc).into_iter().map(|e| e.digest).collect() };
    assert_eq!(digests(&b), [M1, M2], "the same tag, two names: both kept");
    // The same name again replaces its entry, in place.
    let again = named(Some(text(&b)), &manifest(M3, 3), "docker.io/a/app:1.0");
    assert_eq!(digests(&again), [M3, M2]);
    // An unnamed entry of the same digest is replaced, not duplicated; a
    // skopeo tag of the same ref.name but no image name is kept.
    let existing = index_json(&[manifest(M4, 4), tagged(M1, 1, "1.0")]);
    let doc = named(Some(&existing), &manifest(M4, 4), "docker.io/c/app:1.0");
    assert_eq!(digests(&doc), [M4, M1]);
    assert_eq!(entries_of(&doc)[0].annotations.len(), 2);
}

#[test]
fn refuses_an_image_name_without_a_tag_or_with_a_digest() {
    for (bad, why) in [
        ("docker.io/library/ubuntu", "has no tag"),
        ("localhost:5000/app", "has no tag"),
        ("docker.io/a/b:", "has no tag"),
        (&format!("docker.io/a/b:1@{M1}"), "has a digest"),
        ("docker.io/a b:1", "contains whitespace"),
    ] {
        match layout_index(None, &manifest(M1, 1), None, Some(bad)) {
            Err(Error::InvalidInput(m)) => {
                assert!(m.starts_with(&format!("image-name {bad:?} {why}")), "{m}")
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    // A Docker tag the ref.name grammar would refuse is the name's own.
    let doc = named(None, &manifest(M1, 1), "docker.io/a/b:_v1..2");
    assert!(text(&doc).contains(r#""org.opencontainers.image.ref.name":"_v1..2""#));
}

#[test]
fn layout_entry_with_a_tag_finds_its_manifest() {
    let index = index_json(&[
        tagged(M1, 1, "a"),
        Descriptor {
            annotations: vec![(ANNOTATION_REF_NAME.into(), "b".into())],
            ..Descriptor::new(MEDIA_TYPE_OCI_INDEX, M2, 2)
        },
        tagged(M3, 3, "a"),
    ]);
    assert_eq!(
        layout_entry(index.as_bytes(), Some("a")).unwrap(),
        tagged(M1, 1, "a")
    );
    assert_eq!(
        layout_entry(index.as_bytes(), Some("b"))
            .unwrap()
            .media_type,
        MEDIA_TYPE_OCI_INDEX
    );
    let Error::InvalidInput(m) = entry_refusal(&index, Some("c")) else {
        panic!()
    };
    assert_eq!(m, r#"the layout has no image tagged "c" (tags: a, b)"#);
    let untagged = index_json(&[manifest(M1, 1)]);
    let Error::InvalidInput(m) = entry_refusal(&untagged, Some("latest")) else {
        panic!()
    };
    assert_eq!(
        m,
        r#"the layout has no image tagged "latest" (none of its images is tagged)"#
    );
}

#[test]
fn layout_entry_skips_tagged_entries_that_are_not_manifests() {
    let index = index_json(&[
        Descriptor {
            annotations: vec![(ANNOTATION_REF_NAME.into(), "a".into())],
            ..Descriptor::new("application/vnd.oci.image.layer.v1.tar", M1, 1)
        },
        tagged(M2, 2, "a"),
    ]);
    assert_eq!(
        layout_entry(index.as_bytes(), Some("a")).unwrap(),
        tagged(M2, 2, "a")
    );
    let only = index_json(&[Descriptor {
        annotations: vec![(ANNOTATION_REF_NAME.into(), "a".into())],
        ..Descriptor::new("application/vnd.oci.image.layer.v1.tar", M1, 1)
    }]);
    let Error::Unsupported(m) = entry_refusal(&only, Some("a")) else {
        panic!()
    };
    assert_eq!(
        m,
        r#"tag "a" names only entries of media types that are not manifests or indexes: application/vnd.oci.image.layer.v1.tar"#
    );
}

#[test]
fn layout_entry_without_a_tag_takes_the_only_image() {
    let one = index_json(&[tagged(M1, 1, "latest")]);
    assert_eq!(
        layout_entry(one.as_bytes(), None).unwrap(),
        tagged(M1, 1, "latest")
    );
    assert_eq!(
        layout_entry(one.as_bytes(), Some("")).unwrap(),
        tagged(M1, 1, "latest")
    );
    let two = index_json(&[tagged(M1, 1, "a"), manifest(M2, 2), tagged(M3, 3, "b")]);
    let Error::InvalidInput(m) = entry_refusal(&two, None) else {
        panic!()
    };
    assert_eq!(
        m,
        "the layout holds 3 images; name one as oci:PATH:TAG (tags: a, b)"
    );
    let untagged = index_json(&[manifest(M1, 1), manifest(M2, 2)]);
    let Error::InvalidInput(m) = entry_refusal(&untagged, None) else {
        panic!()
    };
    assert_eq!(
        m,
        "the layout holds 2 images; name one as oci:PATH:TAG (none of its images is tagged)"
    );
    let Error::InvalidInput(m) = entry_refusal(&index_json(&[]), None) else {
        panic!()
    };
    assert_eq!(m, "the layout holds no images");
}

#[test]
fn layout_entry_refuses_a_broken_index() {
    let Error::InvalidInput(m) = entry_refusal("not json", None) else {
        panic!()
    };
    assert!(
        m.starts_with("index.json: the document is not valid JSON"),
        "{m}"
    );
    let Error::InvalidInput(m) = entry_refusal(
        r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"}]}"#,
        None,
    ) else {
        panic!()
    };
    assert_eq!(m, "index.json: manifests[0].size: missing");
}

#[test]
fn layout_tags_lists_each_tag_of_a_manifest_once_in_order() {
    let index = index_json(&[
        tagged(M1, 1, "b"),
        manifest(M2, 2),
        Descriptor {
            annotations: vec![(ANNOTATION_REF_NAME.into(), "layer".into())],
            ..Descriptor::new("application/vnd.oci.image.layer.v1.tar", M3, 3)
        },
        Descriptor {
            annotations: vec![(ANNOTATION_REF_NAME.into(), "a".into())],
            ..Descriptor::new(MEDIA_TYPE_OCI_INDEX, M4, 4)
        },
        tagged(M3, 3, "b"),
    ]);
    assert_eq!(layout_tags(index.as_bytes()).unwrap(), ["b", "a"]);
    assert!(layout_tags(index_json(&[]).as_bytes()).unwrap().is_empty());
    assert!(matches!(
        layout_tags(b"not json"),
        Err(Error::InvalidInput(_))
    ));
}
