//! `names_no_image`: which base a build starts from no image for.

use tagging_core::{SCRATCH, names_no_image, parse_normalized_named};

#[test]
fn scratch_names_no_image() {
    assert!(names_no_image("scratch"));
    assert_eq!(SCRATCH, "scratch");
}

#[test]
fn only_scratch_itself_names_no_image() {
    for base in [
        "docker://scratch",
        "scratch:latest",
        "docker.io/library/scratch",
        "Scratch",
        " scratch",
        "",
        "docker://example.com/base:1",
        "oci:/tmp/layout",
    ] {
        assert!(!names_no_image(base), "{base:?}");
    }
}

#[test]
fn scratch_would_otherwise_parse_as_an_image_name() {
    // Why the decision is needed: the grammar alone takes it for
    // docker.io/library/scratch.
    let named = parse_normalized_named(SCRATCH).unwrap();
    assert_eq!(named.name(), "docker.io/library/scratch");
}

// ------------------------------------------------------------------ find_name

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn a_name_finds_any_spelling_of_itself() {
    use tagging_core::find_name;
    let held = names(&["other:1", "docker.io/library/ubuntu:1", "ubuntu:2"]);
    assert_eq!(find_name("ubuntu:1", &held).unwrap(), Some(1));
    let held = names(&["ubuntu:1"]);
    assert_eq!(
        find_name("docker.io/library/ubuntu:1", &held).unwrap(),
        Some(0)
    );
    // The default tag on either side.
    assert_eq!(
        find_name("ubuntu", &names(&["ubuntu:latest"])).unwrap(),
        Some(0)
    );
    assert_eq!(
        find_name("ubuntu:latest", &names(&["ubuntu"])).unwrap(),
        Some(0)
    );
    // The first that means it.
    let twice = names(&["ubuntu:1", "docker.io/library/ubuntu:1"]);
    assert_eq!(find_name("ubuntu:1", &twice).unwrap(), Some(0));
}

#[test]
fn another_image_or_tag_is_not_found() {
    use tagging_core::find_name;
    let held = names(&["ubuntu:2", "example.com/ubuntu:1", "library/ubuntu:10"]);
    assert_eq!(find_name("ubuntu:1", &held).unwrap(), None);
    assert_eq!(find_name("ubuntu:1", &[]).unwrap(), None);
}

#[test]
fn a_held_name_that_does_not_parse_matches_only_itself_and_a_bad_wanted_is_refused() {
    use tagging_core::find_name;
    let held = names(&["Not A Name", "ubuntu:1"]);
    assert_eq!(find_name("ubuntu:1", &held).unwrap(), Some(1));
    assert!(find_name("Not A Name", &held).is_err());
    assert!(find_name("UPPER", &names(&["UPPER"])).is_err());
}
