//! `artifact_file_names`: the file each blob of a pulled artifact is
//! written to; which annotation names it, and every unsafe name refused.

use manifest_generation_core::*;

const D1: &str = "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0";
const D2: &str = "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b";
const D3: &str = "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736";

fn blob(digest: &str, annotations: &[(&str, &str)]) -> Descriptor {
    Descriptor {
        annotations: annotations
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Descriptor::new("application/yaml", digest, 1)
    }
}

fn titled(digest: &str, title: &str) -> Descriptor {
    blob(digest, &[(ANNOTATION_TITLE, title)])
}

fn refusal(layers: &[Descriptor]) -> String {
    match artifact_file_names(layers) {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

#[test]
fn names_come_from_the_title_else_the_compose_file_in_order() {
    let layers = [
        titled(D1, "compose.yaml"),
        blob(D2, &[(ANNOTATION_COMPOSE_FILE, "override.yaml")]),
        // Both: the title wins.
        blob(
            D3,
            &[
                (ANNOTATION_COMPOSE_FILE, "ignored.yaml"),
                ("other", "x"),
                (ANNOTATION_TITLE, "app.env"),
            ],
        ),
    ];
    assert_eq!(
        artifact_file_names(&layers).unwrap(),
        ["compose.yaml", "override.yaml", "app.env"]
    );
    assert_eq!(artifact_file_names(&[]).unwrap(), Vec::<String>::new());
}

#[test]
fn names_that_are_ordinary_but_odd_are_kept_as_given() {
    let long = "a".repeat(MAX_FILE_NAME_BYTES);
    // 2-byte characters: 127 of them are 254 bytes.
    let long_utf8 = "é".repeat(127);
    for name in [
        "...",
        ".env",
        "a..b",
        "name with spaces.yaml",
        "C:x",
        "ünïcode.yaml",
        long.as_str(),
        long_utf8.as_str(),
    ] {
        assert_eq!(
            artifact_file_names(&[titled(D1, name)]).unwrap(),
            [name],
            "{name:?}"
        );
    }
}

#[test]
fn a_blob_without_a_name_is_refused_by_position_and_digest() {
    let layers = [
        titled(D1, "a.yaml"),
        blob(D2, &[("org.opencontainers.image.description", "x")]),
    ];
    let m = refusal(&layers);
    assert!(
        m.starts_with(&format!("layers[1] ({D2}): no file name")),
        "{m}"
    );
    assert!(
        m.contains(ANNOTATION_TITLE) && m.contains(ANNOTATION_COMPOSE_FILE),
        "{m}"
    );
}

#[test]
fn unsafe_names_are_refused() {
    let too_long = "a".repeat(MAX_FILE_NAME_BYTES + 1);
    // 128 two-byte characters: 256 bytes though only 128 characters.
    let too_long_utf8 = "é".repeat(128);
    let cases: [(&str, &str); 16] = [
        ("", "is empty"),
        (".", "names a directory"),
        ("..", "names a directory"),
        ("/etc/passwd", "is an absolute path"),
        ("/", "is an absolute path"),
        ("../compose.yaml", "path separator"),
        ("dir/compose.yaml", "path separator"),
        ("compose.yaml/", "path separator"),
        ("..\\compose.yaml", "path separator"),
        ("C:\\compose.yaml", "path separator"),
        ("a\0b", "control character U+0000"),
        ("a\nb", "control character U+000A"),
        ("a\u{1b}[31mb", "control character U+001B"),
        ("a\u{7f}", "control character U+007F"),
        (too_long.as_str(), "is 256 bytes long; at most 255"),
        (too_long_utf8.as_str(), "is 256 bytes long; at most 255"),
    ];
    for (name, why) in cases {
        let m = refusal(&[titled(D1, "ok.yaml"), titled(D2, name)]);
        assert!(
            m.starts_with(&format!("layers[1] ({D2}): file name {name:?} ")),
            "{name:?}: {m}"
        );
        assert!(m.contains(why), "{name:?}: {m} lacks {why:?}");
    }
    // A C1 control character, and one in a compose file name.
    let m = refusal(&[blob(D1, &[(ANNOTATION_COMPOSE_FILE, "a\u{85}b")])]);
    assert!(m.contains("control character U+0085"), "{m}");
}

/// An empty title is refused, not replaced by the compose file name.
#[test]
fn an_empty_title_is_not_skipped() {
    let m = refusal(&[blob(
        D1,
        &[(ANNOTATION_TITLE, ""), (ANNOTATION_COMPOSE_FILE, "a.yaml")],
    )]);
    assert!(
        m.starts_with(&format!("layers[0] ({D1}): file name \"\" is empty")),
        "{m}"
    );
}

#[test]
fn two_blobs_with_one_name_are_refused() {
    let layers = [
        titled(D1, "compose.yaml"),
        titled(D2, "other.yaml"),
        blob(D3, &[(ANNOTATION_COMPOSE_FILE, "compose.yaml")]),
    ];
    let m = refusal(&layers);
    assert_eq!(
        m,
        format!(
            "layers[2] ({D3}): file name \"compose.yaml\" is also the name of layers[0] ({D1})"
        )
    );
    // Names differing only in case are different files here.
    assert!(artifact_file_names(&[titled(D1, "a.yaml"), titled(D2, "A.yaml")]).is_ok());
}
