use super::*;
use crate::model::FileRef;

const AT: Origin<'static> = Origin {
    component: "tar-assembly (built-in)",
    function: "plan-layer",
};

fn contract_broken<T: Checked + std::fmt::Debug>(answer: &T, says: &str) -> bool {
    match answer.check(AT) {
        Err(Error::Contract {
            function, message, ..
        }) if function == "plan-layer" => message.contains(says),
        other => panic!("{answer:?} was not refused: {other:?}"),
    }
}

fn document(bytes: &[u8]) -> Document {
    Document {
        descriptor: Descriptor::new(
            "application/vnd.oci.image.config.v1+json",
            Digest::sha256(bytes),
            bytes.len() as u64,
        ),
        bytes: bytes.to_vec(),
    }
}

fn reference(tag: Option<&str>) -> Reference {
    Reference {
        name: "docker.io/library/ubuntu".into(),
        domain: "docker.io".into(),
        path: "library/ubuntu".into(),
        tag: tag.map(str::to_string),
        digest: None,
        full: "docker.io/library/ubuntu".into(),
        familiar: "ubuntu".into(),
    }
}

#[test]
fn a_refusal_reaches_a_terminal_with_its_control_characters_escaped() {
    let e = AT.refused(types::Error::InvalidReference(
        "repository name (library/\t\u{11}\u{1b}[2Jx) must be lowercase\nsecond line".into(),
    ));
    assert_eq!(
        e.to_string(),
        "component tar-assembly (built-in) refused plan-layer: \
         repository name (library/\t\\u{11}\\u{1b}[2Jx) must be lowercase\nsecond line"
    );
}

#[test]
fn a_refusal_names_the_component_and_the_function_first() {
    let e = AT.refused(types::Error::InvalidInput("no such path".into()));
    assert_eq!(
        e.to_string(),
        "component tar-assembly (built-in) refused plan-layer: no such path"
    );
    assert!(matches!(
        e,
        Error::Refused { kind: "invalid-input", ref message, .. } if message == "no such path"
    ));
}

#[test]
fn a_malformed_digest_breaks_the_contract_naming_the_component() {
    let e = AT.malformed_digest(&Digest::parse("sha256:nothex").unwrap_err());
    assert!(matches!(
        &e,
        Error::Contract { function, .. } if function == "plan-layer"
    ));
    assert!(
        e.to_string()
            .starts_with("component tar-assembly (built-in) broke its contract in plan-layer"),
        "{e}"
    );
}

#[test]
fn a_document_is_taken_when_its_bytes_are_what_it_describes() {
    assert!(document(b"{}").check(AT).is_ok());
    assert!(vec![document(b"{}"), document(b"[]")].check(AT).is_ok());
}

#[test]
fn a_document_whose_bytes_do_not_hash_to_its_digest_breaks_the_contract() {
    let mut other = document(b"{}");
    other.bytes = b"[]".to_vec();
    assert!(contract_broken(&other, "do not hash to it"));
    let mut longer = document(b"{}");
    longer.descriptor.size = 3;
    assert!(contract_broken(&vec![longer], "do not hash to it"));
}

#[test]
fn a_size_beyond_int64_breaks_the_contract() {
    let mut d = Descriptor::new("application/octet-stream", Digest::sha256(b""), 0);
    assert!(d.check(AT).is_ok());
    d.size = i64::MAX as u64 + 1;
    assert!(contract_broken(&Some(d), "more than OCI's int64 allows"));
}

#[test]
fn a_media_type_too_long_or_with_control_characters_breaks_the_contract() {
    let longest = format!("application/{}", "x".repeat(MAX_MEDIA_TYPE - 12));
    let ok = Descriptor::new(longest.as_str(), Digest::sha256(b""), 0);
    assert!(ok.check(AT).is_ok());
    for bad in [format!("{longest}x"), "application/x\u{1b}[2J".to_string()] {
        let d = Descriptor::new(bad, Digest::sha256(b""), 0);
        assert!(contract_broken(&d, "which is not one"));
    }
}

#[test]
fn a_string_beyond_the_limit_breaks_the_contract_wherever_it_is() {
    let long = "a".repeat(MAX_TEXT + 1);
    let mut d = Descriptor::new("application/octet-stream", Digest::sha256(b""), 0);
    d.annotations = vec![("org.example".into(), long.clone())];
    assert!(contract_broken(&d, "annotation of 65537 bytes"));
    let mut r = reference(None);
    r.familiar = long.clone();
    assert!(contract_broken(
        &AnyReference::Named(r),
        "reference of 65537 bytes"
    ));
    let file = Segment::File(FileRef {
        path: long.clone(),
        size: 1,
    });
    assert!(contract_broken(&vec![file], "path of 65537 bytes"));
    assert!(contract_broken(&vec![long], "string of 65537 bytes"));
    assert!("a".repeat(MAX_TEXT).check(AT).is_ok());
}

#[test]
fn a_tag_beyond_the_grammar_length_breaks_the_contract() {
    let longest = "t".repeat(MAX_TAG);
    assert!(reference(Some(&longest)).check(AT).is_ok());
    assert!(reference(None).check(AT).is_ok());
    let longer = format!("{longest}t");
    assert!(contract_broken(
        &reference(Some(&longer)),
        "tag of 129 characters"
    ));
    assert!(contract_broken(&reference(Some("")), "tag of 0 characters"));
}
