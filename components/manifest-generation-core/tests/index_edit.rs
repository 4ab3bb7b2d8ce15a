//! `plan_index`, `filter_index` and `config_platform`: the indexes
//! `index create`, `append` and `filter` write (golden bytes, kept entries
//! and fields, media type, refusals of what is listed twice) and the
//! platform an image's config states.

use manifest_generation_core::*;
use serde_json::{Value, json};

const OCI_M: &str = MEDIA_TYPE_OCI_MANIFEST;
const DOCKER_M: &str = MEDIA_TYPE_DOCKER_MANIFEST;

/// A distinct digest for each `n`.
fn dg(n: u8) -> String {
    ocipipe_sdk::digest::sha256(&[n])
}

fn plat(os: &str, arch: &str, variant: Option<&str>) -> Platform {
    Platform {
        os: os.into(),
        architecture: arch.into(),
        cpu_variant: variant.map(Into::into),
        ..Platform::default()
    }
}

fn child(n: u8, media_type: &str, platform: Option<Platform>) -> IndexChild {
    IndexChild {
        manifest: Descriptor::new(media_type, dg(n), 100 + u64::from(n)),
        platform,
    }
}

/// An entry as Go writes it: media type, digest, size, then the rest.
fn entry(n: u8, media_type: &str, rest: &str) -> String {
    format!(
        r#"{{"mediaType":"{media_type}","digest":"{}","size":{}{rest}}}"#,
        dg(n),
        100 + u64::from(n)
    )
}

fn linux(arch: &str) -> String {
    format!(r#","platform":{{"architecture":"{arch}","os":"linux"}}"#)
}

/// A buildx attestation entry for the image `n`.
fn attestation(n: u8, of: u8) -> String {
    entry(
        n,
        OCI_M,
        &format!(
            r#","annotations":{{"vnd.docker.reference.digest":"{}","vnd.docker.reference.type":"attestation-manifest"}},"platform":{{"architecture":"unknown","os":"unknown"}}"#,
            dg(of)
        ),
    )
}

fn index(media_type: &str, entries: &[String], tail: &str) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{media_type}","manifests":[{}]{tail}}}"#,
        entries.join(",")
    )
}

fn text(doc: &Document) -> &str {
    std::str::from_utf8(&doc.bytes).unwrap()
}

fn ok(doc: Result<Document, Error>) -> Document {
    let doc = doc.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc.descriptor.digest,
        ocipipe_sdk::digest::sha256(&doc.bytes)
    );
    assert_eq!(doc.descriptor.size, doc.bytes.len() as u64);
    doc
}

fn invalid(result: Result<Document, Error>) -> String {
    match result {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

fn append(existing: &str, media_type: &str, children: &[IndexChild]) -> Result<Document, Error> {
    plan_index(Some((media_type, existing.as_bytes())), children, &[])
}

fn json_of(doc: &Document) -> Value {
    serde_json::from_slice(&doc.bytes).unwrap()
}

mod create {
    use super::*;

    #[test]
    fn lists_the_children_in_order_under_their_platforms() {
        let children = [
            child(1, OCI_M, Some(plat("linux", "amd64", None))),
            child(2, DOCKER_M, Some(plat("linux", "arm", Some("v7")))),
            child(3, MEDIA_TYPE_OCI_INDEX, None),
        ];
        let doc = ok(plan_index(None, &children, &[]));
        assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_OCI_INDEX);
        assert_eq!(
            text(&doc),
            index(
                MEDIA_TYPE_OCI_INDEX,
                &[
                    entry(1, OCI_M, &linux("amd64")),
                    entry(
                        2,
                        DOCKER_M,
                        r#","platform":{"architecture":"arm","os":"linux","variant":"v7"}"#
                    ),
                    entry(3, MEDIA_TYPE_OCI_INDEX, ""),
                ],
                ""
            )
        );
        // The same input, the same bytes.
        assert_eq!(ok(plan_index(None, &children, &[])), doc);
    }

    #[test]
    fn keeps_the_childs_descriptor_fields_but_not_its_platform() {
        let mut c = child(1, OCI_M, Some(plat("windows", "amd64", None)));
        c.platform.as_mut().unwrap().os_version = Some("10.0.17763.1".into());
        c.platform.as_mut().unwrap().os_features = vec!["win32k".into()];
        c.manifest.annotations = vec![("z".into(), "1".into()), ("a".into(), "<2>".into())];
        c.manifest.artifact_type = Some("application/vnd.example".into());
        c.manifest.platform = Some(plat("linux", "s390x", None));
        let mut bare = child(2, OCI_M, None);
        bare.manifest.platform = Some(plat("linux", "s390x", None));
        let doc = ok(plan_index(None, &[c, bare], &[]));
        assert_eq!(
            text(&doc),
            index(
                MEDIA_TYPE_OCI_INDEX,
                &[
                    entry(
                        1,
                        OCI_M,
                        r#","annotations":{"a":"\u003c2\u003e","z":"1"},"platform":{"architecture":"amd64","os":"windows","os.version":"10.0.17763.1","os.features":["win32k"]},"artifactType":"application/vnd.example""#
                    ),
                    entry(2, OCI_M, ""),
                ],
                ""
            )
        );
    }

    #[test]
    fn is_an_oci_index_with_its_annotations_even_of_docker_images() {
        let children = [
            child(1, DOCKER_M, Some(plat("linux", "amd64", None))),
            child(2, DOCKER_M, Some(plat("linux", "arm64", None))),
        ];
        let annotations = [
            (
                "org.opencontainers.image.version".to_owned(),
                "1.2".to_owned(),
            ),
            ("b".to_owned(), "x".to_owned()),
        ];
        let doc = ok(plan_index(None, &children, &annotations));
        assert_eq!(
            text(&doc),
            index(
                MEDIA_TYPE_OCI_INDEX,
                &[
                    entry(1, DOCKER_M, &linux("amd64")),
                    entry(2, DOCKER_M, &linux("arm64"))
                ],
                r#","annotations":{"b":"x","org.opencontainers.image.version":"1.2"}"#
            )
        );
    }

    #[test]
    fn refuses_an_index_of_nothing() {
        let m = invalid(plan_index(None, &[], &[]));
        assert!(m.contains("at least one image or index"), "{m}");
        let existing = index(MEDIA_TYPE_OCI_INDEX, &[entry(1, OCI_M, "")], "");
        let m = invalid(append(&existing, MEDIA_TYPE_OCI_INDEX, &[]));
        assert!(m.starts_with("nothing to append"), "{m}");
    }

    #[test]
    fn refuses_malformed_children_and_annotations() {
        let mut bad_digest = child(1, OCI_M, None);
        bad_digest.manifest.digest = "sha256:abc".into();
        let good = child(2, OCI_M, None);
        let m = invalid(plan_index(None, &[good.clone(), bad_digest], &[]));
        assert!(
            m.starts_with("children[1]: ") && m.contains("sha256:abc"),
            "{m}"
        );

        let no_arch = child(1, OCI_M, Some(plat("linux", "", None)));
        let m = invalid(plan_index(None, &[no_arch], &[]));
        assert_eq!(m, "children[0]: platform: no architecture");

        let layer = child(1, MEDIA_TYPE_OCI_LAYER_GZIP, None);
        match plan_index(None, &[layer], &[]) {
            Err(Error::Unsupported(m)) => {
                assert!(m.starts_with("children[0]: media type \"application/vnd.oci.image.layer.v1.tar+gzip\" is not a manifest or index type"), "{m}")
            }
            other => panic!("{other:?}"),
        }

        let twice = [
            ("k".to_owned(), "1".to_owned()),
            ("k".to_owned(), "2".to_owned()),
        ];
        let m = invalid(plan_index(None, std::slice::from_ref(&good), &twice));
        assert_eq!(m, "annotations: key \"k\" given twice");
        let empty_key = [(String::new(), "v".to_owned())];
        let m = invalid(plan_index(None, &[good], &empty_key));
        assert!(m.starts_with("annotations: empty key"), "{m}");
    }
}

mod append {
    use super::*;

    /// An OCI index with everything an append must keep: an entry with
    /// `data`, urls, annotations and `artifactType`, `artifactType`,
    /// `subject`, annotations and an unknown field of the index.
    fn rich() -> (Vec<String>, String) {
        let entries = vec![
            entry(
                1,
                OCI_M,
                r#","urls":["https://example.com/m"],"annotations":{"org.opencontainers.image.ref.name":"v1"},"data":"e30=","platform":{"architecture":"amd64","os":"linux"}"#,
            ),
            entry(
                2,
                OCI_M,
                r#","annotations":{"x":"y"},"artifactType":"application/vnd.example""#,
            ),
        ];
        let tail = format!(
            r#","subject":{{"mediaType":"{OCI_M}","digest":"{}","size":9}},"annotations":{{"a":"old","keep":"me"}},"zz-extra":{{"n":[1,2]}}"#,
            dg(9)
        );
        (entries, tail)
    }

    fn rich_index() -> String {
        let (entries, tail) = rich();
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_OCI_INDEX}","artifactType":"application/vnd.set","manifests":[{}]{tail}}}"#,
            entries.join(",")
        )
    }

    #[test]
    fn keeps_the_existing_entries_and_fields_byte_for_byte() {
        let existing = rich_index();
        let doc = ok(append(
            &existing,
            MEDIA_TYPE_OCI_INDEX,
            &[child(3, OCI_M, Some(plat("linux", "arm64", Some("v8"))))],
        ));
        let (mut entries, tail) = rich();
        entries.push(entry(
            3,
            OCI_M,
            r#","platform":{"architecture":"arm64","os":"linux","variant":"v8"}"#,
        ));
        let expected = format!(
            r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_OCI_INDEX}","artifactType":"application/vnd.set","manifests":[{}]{tail}}}"#,
            entries.join(",")
        );
        assert_eq!(text(&doc), expected);
        assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_OCI_INDEX);
    }

    #[test]
    fn adds_annotations_to_the_indexs_own_replacing_the_same_keys() {
        let existing = rich_index();
        let doc = ok(plan_index(
            Some(("", existing.as_bytes())),
            &[child(3, OCI_M, None)],
            &[
                ("a".to_owned(), "new".to_owned()),
                ("b".to_owned(), "added".to_owned()),
            ],
        ));
        let v = json_of(&doc);
        assert_eq!(
            v["annotations"],
            json!({"a": "new", "b": "added", "keep": "me"})
        );
        assert_eq!(v["zz-extra"], json!({"n": [1, 2]}));
        assert_eq!(v["manifests"].as_array().unwrap().len(), 3);
        assert_eq!(v["manifests"][0]["data"], "e30=");
    }

    #[test]
    fn a_docker_list_of_docker_images_stays_a_docker_list() {
        let existing = index(
            MEDIA_TYPE_DOCKER_MANIFEST_LIST,
            &[entry(1, DOCKER_M, &linux("amd64"))],
            "",
        );
        let doc = ok(append(
            &existing,
            MEDIA_TYPE_DOCKER_MANIFEST_LIST,
            &[
                child(2, DOCKER_M, Some(plat("linux", "arm64", None))),
                child(3, MEDIA_TYPE_DOCKER_MANIFEST_LIST, None),
            ],
        ));
        assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_DOCKER_MANIFEST_LIST);
        assert_eq!(
            text(&doc),
            index(
                MEDIA_TYPE_DOCKER_MANIFEST_LIST,
                &[
                    entry(1, DOCKER_M, &linux("amd64")),
                    entry(2, DOCKER_M, &linux("arm64")),
                    entry(3, MEDIA_TYPE_DOCKER_MANIFEST_LIST, ""),
                ],
                ""
            )
        );
    }

    #[test]
    fn a_docker_list_becomes_oci_with_an_oci_entry_or_annotations() {
        let docker_only = index(
            MEDIA_TYPE_DOCKER_MANIFEST_LIST,
            &[entry(1, DOCKER_M, &linux("amd64"))],
            "",
        );
        // An OCI child.
        let doc = ok(append(
            &docker_only,
            MEDIA_TYPE_DOCKER_MANIFEST_LIST,
            &[child(2, OCI_M, Some(plat("linux", "arm64", None)))],
        ));
        assert_eq!(
            text(&doc),
            index(
                MEDIA_TYPE_OCI_INDEX,
                &[
                    entry(1, DOCKER_M, &linux("amd64")),
                    entry(2, OCI_M, &linux("arm64"))
                ],
                ""
            )
        );
        // An OCI entry already there (a list some tool mixed).
        let mixed = index(
            MEDIA_TYPE_DOCKER_MANIFEST_LIST,
            &[entry(1, OCI_M, &linux("amd64"))],
            "",
        );
        let doc = ok(append(
            &mixed,
            MEDIA_TYPE_DOCKER_MANIFEST_LIST,
            &[child(2, DOCKER_M, Some(plat("linux", "arm64", None)))],
        ));
        assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_OCI_INDEX);
        assert_eq!(json_of(&doc)["mediaType"], MEDIA_TYPE_OCI_INDEX);
        // Annotations asked for: a Docker list has none.
        let doc = ok(plan_index(
            Some((MEDIA_TYPE_DOCKER_MANIFEST_LIST, docker_only.as_bytes())),
            &[child(2, DOCKER_M, Some(plat("linux", "arm64", None)))],
            &[("k".to_owned(), "v".to_owned())],
        ));
        assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_OCI_INDEX);
        assert_eq!(json_of(&doc)["annotations"], json!({"k": "v"}));
    }

    #[test]
    fn an_oci_index_of_docker_images_stays_oci() {
        let existing = index(
            MEDIA_TYPE_OCI_INDEX,
            &[entry(1, DOCKER_M, &linux("amd64"))],
            "",
        );
        let doc = ok(append(
            &existing,
            MEDIA_TYPE_OCI_INDEX,
            &[child(2, DOCKER_M, Some(plat("linux", "arm64", None)))],
        ));
        assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_OCI_INDEX);
    }

    #[test]
    fn keeps_a_buildx_index_with_its_attestations() {
        let existing = index(
            MEDIA_TYPE_OCI_INDEX,
            &[
                entry(1, OCI_M, &linux("amd64")),
                attestation(2, 1),
                // A repeat the index already had is not ours to judge.
                entry(3, OCI_M, &linux("amd64")),
            ],
            "",
        );
        let doc = ok(append(
            &existing,
            MEDIA_TYPE_OCI_INDEX,
            &[
                child(4, OCI_M, Some(plat("linux", "arm64", None))),
                // Its attestation, unknown/unknown like the other one.
                IndexChild {
                    manifest: Descriptor {
                        annotations: vec![
                            (ANNOTATION_REFERENCE_DIGEST.into(), dg(4)),
                            (
                                "vnd.docker.reference.type".into(),
                                "attestation-manifest".into(),
                            ),
                        ],
                        ..Descriptor::new(OCI_M, dg(5), 105)
                    },
                    platform: Some(plat("unknown", "unknown", None)),
                },
            ],
        ));
        assert_eq!(
            text(&doc),
            index(
                MEDIA_TYPE_OCI_INDEX,
                &[
                    entry(1, OCI_M, &linux("amd64")),
                    attestation(2, 1),
                    entry(3, OCI_M, &linux("amd64")),
                    entry(4, OCI_M, &linux("arm64")),
                    attestation(5, 4),
                ],
                ""
            )
        );
    }

    #[test]
    fn refuses_a_digest_listed_twice_naming_both() {
        let existing = index(
            MEDIA_TYPE_OCI_INDEX,
            &[entry(1, OCI_M, &linux("amd64")), entry(2, OCI_M, "")],
            "",
        );
        let m = invalid(append(
            &existing,
            MEDIA_TYPE_OCI_INDEX,
            &[child(2, OCI_M, Some(plat("linux", "arm64", None)))],
        ));
        assert_eq!(
            m,
            format!(
                "children[0] and manifests[1] of the existing index are the same manifest ({}); an index lists a manifest once",
                dg(2)
            )
        );
        let m = invalid(plan_index(
            None,
            &[
                child(1, OCI_M, None),
                child(2, OCI_M, None),
                child(1, MEDIA_TYPE_OCI_INDEX, None),
            ],
            &[],
        ));
        assert!(
            m.starts_with("children[2] and children[0] are the same manifest"),
            "{m}"
        );
    }

    #[test]
    fn refuses_two_images_of_one_platform_in_any_spelling() {
        let existing = index(
            MEDIA_TYPE_OCI_INDEX,
            &[entry(
                1,
                OCI_M,
                r#","platform":{"architecture":"arm64","os":"linux","variant":"v8"}"#,
            )],
            "",
        );
        let m = invalid(append(
            &existing,
            MEDIA_TYPE_OCI_INDEX,
            &[child(2, DOCKER_M, Some(plat("Linux", "aarch64", None)))],
        ));
        assert_eq!(
            m,
            format!(
                "children[0] ({}, Linux/aarch64) and manifests[0] of the existing index ({}, linux/arm64/v8) are both for the platform linux/arm64; an index lists one image per platform",
                dg(2),
                dg(1)
            )
        );
        let m = invalid(plan_index(
            None,
            &[
                child(1, OCI_M, Some(plat("linux", "arm", None))),
                child(2, OCI_M, Some(plat("linux", "arm", Some("7")))),
            ],
            &[],
        ));
        assert!(
            m.starts_with(&format!(
                "children[1] ({}, linux/arm/7) and children[0]",
                dg(2)
            )),
            "{m}"
        );
        // Another variant is another platform.
        ok(plan_index(
            None,
            &[
                child(1, OCI_M, Some(plat("linux", "arm", Some("v6")))),
                child(2, OCI_M, Some(plat("linux", "arm", Some("v7")))),
                child(3, OCI_M, Some(plat("linux", "amd64", None))),
                child(4, OCI_M, Some(plat("linux", "amd64", Some("v2")))),
            ],
            &[],
        ));
    }

    #[test]
    fn os_version_and_features_tell_platforms_apart() {
        let windows = |n: u8, version: &str, features: &[&str]| {
            let mut p = plat("windows", "amd64", None);
            p.os_version = Some(version.into()).filter(|v: &String| !v.is_empty());
            p.os_features = features.iter().map(|f| f.to_string()).collect();
            child(n, OCI_M, Some(p))
        };
        // One image per Windows version, as Microsoft's indexes list them.
        ok(plan_index(
            None,
            &[
                windows(1, "10.0.17763.5329", &[]),
                windows(2, "10.0.20348.2227", &[]),
                windows(3, "", &[]),
                windows(4, "10.0.20348.2227", &["win32k"]),
            ],
            &[],
        ));
        let m = invalid(plan_index(
            None,
            &[
                windows(1, "10.0.20348.2227", &["b", "a"]),
                windows(2, "10.0.20348.2227", &["a", "b", "a"]),
            ],
            &[],
        ));
        assert!(
            m.contains("are both for the platform windows(10.0.20348.2227+a+b)/amd64"),
            "{m}"
        );
    }

    #[test]
    fn refuses_an_existing_document_that_is_no_index() {
        let c = [child(2, OCI_M, None)];
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_M}","config":{},"layers":[]}}"#,
            entry(1, MEDIA_TYPE_OCI_CONFIG, "")
        );
        let m = invalid(append(&manifest, "", &c));
        assert!(
            m.starts_with("existing: the document is an image manifest (application/vnd.oci.image.manifest.v1+json), not an index"),
            "{m}"
        );
        let m = invalid(append("[]", MEDIA_TYPE_OCI_INDEX, &c));
        assert_eq!(
            m,
            "existing: the manifest is not a JSON object but an array"
        );
        let oci = index(MEDIA_TYPE_OCI_INDEX, &[entry(1, OCI_M, "")], "");
        let m = invalid(append(&oci, MEDIA_TYPE_DOCKER_MANIFEST_LIST, &c));
        assert!(
            m.starts_with(
                "existing: mediaType: the document says \"application/vnd.oci.image.index.v1+json\""
            ),
            "{m}"
        );
        let bad_entry = index(MEDIA_TYPE_OCI_INDEX, &[r#"{"mediaType":"a/b"}"#.into()], "");
        let m = invalid(append(&bad_entry, MEDIA_TYPE_OCI_INDEX, &c));
        assert_eq!(m, "existing: manifests[0].digest: missing");
    }
}

mod filter {
    use super::*;

    /// A buildx index: amd64, arm64/v8 and arm/v7 images each with its
    /// attestation, an entry without a platform, index annotations and an
    /// unknown field.
    fn buildx() -> Vec<String> {
        vec![
            entry(1, OCI_M, &linux("amd64")),
            entry(
                2,
                OCI_M,
                r#","platform":{"architecture":"arm64","os":"linux","variant":"v8"}"#,
            ),
            entry(
                3,
                OCI_M,
                r#","platform":{"architecture":"arm","os":"linux","variant":"v7"}"#,
            ),
            attestation(4, 1),
            attestation(5, 2),
            attestation(6, 3),
            entry(7, OCI_M, ""),
        ]
    }

    const TAIL: &str = r#","annotations":{"org.opencontainers.image.created":"2026-01-01T00:00:00Z"},"x-extra":true"#;

    fn filter(entries: &[String], wanted: &[Platform]) -> Result<Document, Error> {
        let idx = index(MEDIA_TYPE_OCI_INDEX, entries, TAIL);
        filter_index(MEDIA_TYPE_OCI_INDEX, idx.as_bytes(), wanted)
    }

    #[test]
    fn keeps_the_wanted_images_and_their_attestations_only() {
        let all = buildx();
        let doc = ok(filter(
            &all,
            &[plat("linux", "arm64", None), plat("linux", "amd64", None)],
        ));
        let kept = [
            all[0].clone(),
            all[1].clone(),
            all[3].clone(),
            all[4].clone(),
        ];
        assert_eq!(text(&doc), index(MEDIA_TYPE_OCI_INDEX, &kept, TAIL));
        assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_OCI_INDEX);
    }

    #[test]
    fn matches_platforms_as_select_platform_does() {
        let all = buildx();
        let digests = |doc: &Document| -> Vec<String> {
            json_of(doc)["manifests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["digest"].as_str().unwrap().to_owned())
                .collect()
        };
        let doc = ok(filter(&all, &[plat("Linux", "aarch64", None)]));
        assert_eq!(digests(&doc), [dg(2), dg(5)]);
        let doc = ok(filter(&all, &[plat("linux", "armhf", None)]));
        assert_eq!(digests(&doc), [dg(3), dg(6)]);
        let doc = ok(filter(&all, &[plat("linux", "x86_64", Some("v1"))]));
        assert_eq!(digests(&doc), [dg(1), dg(4)]);
        // A variant asked for must be there.
        let m = invalid(filter(&all, &[plat("linux", "arm", Some("v6"))]));
        assert!(
            m.starts_with("no manifest for linux/arm/v6 in the index"),
            "{m}"
        );
    }

    #[test]
    fn refuses_a_platform_the_index_lacks_listing_its_platforms() {
        let m = invalid(filter(
            &buildx(),
            &[plat("linux", "amd64", None), plat("linux", "s390x", None)],
        ));
        assert_eq!(
            m,
            "no manifest for linux/s390x in the index; it has linux/amd64, linux/arm64/v8, linux/arm/v7"
        );
        let no_platforms = [entry(1, OCI_M, ""), attestation(2, 1)];
        let m = invalid(filter(&no_platforms, &[plat("linux", "amd64", None)]));
        assert_eq!(
            m,
            "no manifest for linux/amd64: none of the index's 1 manifests names a platform"
        );
    }

    #[test]
    fn drops_attestations_of_dropped_images_and_unplatformed_entries() {
        let entries = [
            entry(1, OCI_M, &linux("amd64")),
            // Attests an entry that is not in the index.
            attestation(2, 9),
            // Names no digest: judged by its own platform.
            entry(
                3,
                OCI_M,
                r#","annotations":{"vnd.docker.reference.digest":""},"platform":{"architecture":"unknown","os":"unknown"}"#,
            ),
            entry(4, MEDIA_TYPE_OCI_INDEX, ""),
            attestation(5, 1),
        ];
        let doc = ok(filter(&entries, &[plat("linux", "amd64", None)]));
        assert_eq!(
            text(&doc),
            index(
                MEDIA_TYPE_OCI_INDEX,
                &[entries[0].clone(), entries[4].clone()],
                TAIL
            )
        );
    }

    #[test]
    fn keeps_a_docker_list_a_docker_list() {
        let entries = [
            entry(1, DOCKER_M, &linux("amd64")),
            entry(2, DOCKER_M, &linux("arm64")),
        ];
        let list = index(MEDIA_TYPE_DOCKER_MANIFEST_LIST, &entries, "");
        // A generic media type defers to the document's own.
        let doc = ok(filter_index(
            "application/json",
            list.as_bytes(),
            &[plat("linux", "arm64", None)],
        ));
        assert_eq!(doc.descriptor.media_type, MEDIA_TYPE_DOCKER_MANIFEST_LIST);
        assert_eq!(
            text(&doc),
            index(MEDIA_TYPE_DOCKER_MANIFEST_LIST, &entries[1..], "")
        );
    }

    #[test]
    fn refuses_no_or_malformed_platforms_and_non_indexes() {
        let m = invalid(filter(&buildx(), &[]));
        assert!(m.starts_with("no platform to keep"), "{m}");
        let m = invalid(filter(
            &buildx(),
            &[plat("linux", "amd64", None), plat("", "arm64", None)],
        ));
        assert_eq!(m, "platforms[1]: no os");
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{},"layers":[]}}"#,
            entry(1, MEDIA_TYPE_OCI_CONFIG, "")
        );
        let m = invalid(filter_index(
            "",
            manifest.as_bytes(),
            &[plat("linux", "amd64", None)],
        ));
        assert!(
            m.starts_with("the document is an image manifest (application/vnd.oci.image.manifest.v1+json), not an index; the index filtered"),
            "{m}"
        );
        match filter_index(
            MEDIA_TYPE_DOCKER_SCHEMA1,
            b"{}",
            &[plat("linux", "amd64", None)],
        ) {
            Err(Error::Unsupported(m)) => assert!(m.contains("schema 1"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}

mod config {
    use super::*;

    #[test]
    fn states_the_platform_as_written() {
        let config = br#"{"architecture":"aarch64","os":"linux","variant":"v8","os.version":"6.1","os.features":["b","a"],"config":{"Env":["A=1"]},"rootfs":{"type":"layers","diff_ids":[]}}"#;
        assert_eq!(
            config_platform(config),
            Ok(Platform {
                architecture: "aarch64".into(),
                os: "linux".into(),
                os_version: Some("6.1".into()),
                os_features: vec!["b".into(), "a".into()],
                cpu_variant: Some("v8".into()),
            })
        );
        let windows = br#"{"architecture":"amd64","os":"windows","os.version":"10.0.17763.5329"}"#;
        assert_eq!(
            config_platform(windows),
            Ok(Platform {
                os_version: Some("10.0.17763.5329".into()),
                ..plat("windows", "amd64", None)
            })
        );
    }

    #[test]
    fn empty_optional_fields_are_none() {
        let config = br#"{"architecture":"amd64","os":"linux","variant":"","os.version":"","os.features":null}"#;
        assert_eq!(config_platform(config), Ok(plat("linux", "amd64", None)));
    }

    #[test]
    fn refuses_a_config_without_os_or_architecture() {
        let refusal = |config: &[u8]| match config_platform(config) {
            Err(Error::InvalidInput(m)) => m,
            other => panic!("{other:?}"),
        };
        let m = refusal(br#"{"os":"linux"}"#);
        assert!(
            m.starts_with("config.architecture: missing or empty; "),
            "{m}"
        );
        let m = refusal(br#"{"os":"","architecture":"amd64"}"#);
        assert!(m.starts_with("config.os: missing or empty; "), "{m}");
        assert_eq!(
            refusal(br#"{"os":"linux","architecture":7}"#),
            "config.architecture: must be a string, not a number"
        );
        assert_eq!(
            refusal(br#"{"os":"linux","architecture":"amd64","os.features":"x"}"#),
            "config.os.features: must be an array, not a string"
        );
        assert_eq!(
            refusal(br#"{"os":"linux","architecture":"amd64","os.features":[""]}"#),
            "config: an empty os feature"
        );
    }

    #[test]
    fn refuses_what_is_not_a_json_object() {
        let m = match config_platform(b"not json") {
            Err(Error::InvalidInput(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(m.starts_with("the config is not valid JSON: "), "{m}");
        assert_eq!(
            config_platform(br#"["linux","amd64"]"#),
            Err(Error::invalid(
                "the config is not a JSON object but an array"
            ))
        );
    }
}
