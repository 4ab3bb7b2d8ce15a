//! Components of other versions and chains of components, with the real
//! fixtures of `tests/fixtures`: a 0.1.0 component runs; one built before
//! `unique-tag` fails only that call, naming it; one of an unspoken
//! version is refused naming its exports and the spoken versions; a
//! delegating component runs over the next layer, whose failures are its
//! own.

use super::operations::TAGGING;
use super::{Components, Error, Limits, Operation as _, Runtime, Source, Tagging, WIT_VERSION};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wasmtime::component::Val;

fn fixture(file: &str) -> PathBuf {
    Path::new(env!("OCIPIPE_GUEST_DIR")).join(file)
}

fn runtime() -> Arc<Runtime> {
    Arc::new(Runtime::new(Limits::default(), None).unwrap())
}

/// The tagging chain of `files`, outermost first, over the built-in.
fn chain(files: &[&str]) -> Result<Tagging, Error> {
    let sources: Vec<Source> = files.iter().map(|f| Source::File(fixture(f))).collect();
    runtime().load_chain::<Tagging>(&sources)
}

/// `file`'s bytes with every `ocipipe:image/IFACE@FROM` it names made
/// `@TO` (the same length): the component as built against another
/// version of the package.
fn with_version(file: &str, from: &str, to: &str) -> PathBuf {
    assert_eq!(from.len(), to.len());
    let mut bytes = std::fs::read(fixture(file)).unwrap();
    let (prefix, at) = (b"ocipipe:image/", format!("@{from}"));
    let mut i = 0;
    while let Some(found) = bytes[i..].windows(prefix.len()).position(|w| w == prefix) {
        let start = i + found + prefix.len();
        let end = start
            + bytes[start..]
                .iter()
                .take_while(|b| b.is_ascii_lowercase() || **b == b'-')
                .count();
        if bytes[end..].starts_with(at.as_bytes()) {
            bytes[end + 1..end + at.len()].copy_from_slice(to.as_bytes());
        }
        i = end;
    }
    let dir = tempfile::tempdir().unwrap().keep();
    let path = dir.join(format!("{}-{to}.wasm", file.trim_end_matches(".wasm")));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_component_built_against_0_1_0_runs_as_it_did() {
    let old = chain(&["old_tagging.wasm"]).unwrap();
    assert_eq!(old.version().exact(), "0.1.0");
    let builtin = runtime().load::<Tagging>(&Source::Builtin).unwrap();
    assert_eq!(builtin.version().exact(), WIT_VERSION);
    for name in ["ubuntu", "alpine:3", "example.com/team/app:1"] {
        assert_eq!(
            old.normalize_with_default_tag(name).unwrap(),
            builtin.normalize_with_default_tag(name).unwrap(),
            "{name}"
        );
    }
    let tag = old.unique_tag("app", &[0xab; 16]).unwrap();
    assert_eq!(tag.tag.as_deref(), Some("abababababababababababababababab"));
}

#[test]
fn a_function_the_component_lacks_fails_only_its_call_naming_it_and_the_version() {
    let partial = chain(&["partial_tagging.wasm"]).unwrap();
    assert_eq!(
        partial.normalize_with_default_tag("ubuntu").unwrap().full,
        "docker.io/library/ubuntu:latest"
    );
    let missing = partial.unique_tag("app", &[0; 16]).unwrap_err();
    assert!(matches!(missing, Error::Missing { .. }), "{missing:?}");
    assert_eq!(
        missing.to_string(),
        format!(
            "component tagging ({}) has no function unique-tag in ocipipe:image/naming@0.1.0 \
             (built against an older version?)",
            fixture("partial_tagging.wasm").display()
        )
    );
}

#[test]
fn an_unspoken_version_is_refused_naming_its_exports_and_the_spoken_versions() {
    let future = with_version("partial_tagging.wasm", "0.1.0", "0.4.0");
    let refused = runtime()
        .load::<Tagging>(&Source::File(future.clone()))
        .err()
        .unwrap()
        .to_string();
    assert!(refused.starts_with("component tagging ("), "{refused}");
    assert!(
        refused.ends_with(
            "it exports no version of the tagging world this ocipipe speaks (0.3.0, 0.2.0, 0.1.0): \
             it exports ocipipe:image/naming@0.4.0, ocipipe:image/tags@0.4.0"
        ),
        "{refused}"
    );
    let bytes = std::fs::read(&future).unwrap();
    let refused = runtime()
        .world_of("future.wasm", &bytes)
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains(
            "none of the worlds of the versions this ocipipe speaks (0.3.0, 0.2.0, 0.1.0;"
        ) && refused.ends_with("it exports ocipipe:image/naming@0.4.0, ocipipe:image/tags@0.4.0"),
        "{refused}"
    );
}

#[test]
fn a_compatible_version_runs_as_the_spoken_one_and_keeps_its_own() {
    let patch = with_version("old_tagging.wasm", "0.1.0", "0.1.1");
    let bytes = std::fs::read(&patch).unwrap();
    let implemented = runtime().world_of("patch.wasm", &bytes).unwrap();
    assert_eq!(implemented.world_name(), "ocipipe:image/tagging@0.1.1");
    let tagging = runtime().load::<Tagging>(&Source::File(patch)).unwrap();
    assert_eq!(tagging.version().exact(), "0.1.1");
    assert_eq!(tagging.version().spoken(), "0.1.0");
    assert_eq!(
        tagging.parse_normalized_named("ubuntu").unwrap().name,
        "docker.io/library/ubuntu"
    );
    for (file, version) in [
        ("old_tagging.wasm", "0.1.0"),
        ("partial_tagging.wasm", "0.1.0"),
        // Built against the frozen wit/v0.2.0: an older version, still spoken.
        ("mirror_tagging.wasm", "0.2.0"),
        ("hostile.wasm", WIT_VERSION),
    ] {
        let bytes = std::fs::read(fixture(file)).unwrap();
        let implemented = runtime().world_of(file, &bytes).unwrap();
        assert_eq!(
            (implemented.operation, implemented.version.as_str()),
            (&TAGGING, version)
        );
    }
}

#[test]
fn a_delegating_component_changes_one_answer_and_passes_the_others_on() {
    let mirror = chain(&["mirror_tagging.wasm"]).unwrap();
    let normalized = mirror.normalize_with_default_tag("ubuntu").unwrap();
    assert_eq!(normalized.full, "mirror.example/library/ubuntu:latest");
    assert_eq!(normalized.domain, "mirror.example");
    // Not a Docker Hub name: the built-in's answer as it is.
    let other = mirror
        .normalize_with_default_tag("example.com/app")
        .unwrap();
    assert_eq!(other.full, "example.com/app:latest");
    assert_eq!(
        mirror.parse_normalized_named("ubuntu").unwrap().name,
        "docker.io/library/ubuntu"
    );
    let refused = mirror.parse("UPPER").unwrap_err();
    assert!(
        matches!(&refused, Error::Refused { component, .. } if component.contains("mirror_tagging")),
        "{refused}"
    );
    let filter = crate::model::TagFilter {
        allow: vec!["^1".into()],
        deny: vec![],
        semver: None,
        latest: Some(1),
    };
    let tags = ["1.0".to_string(), "1.2".to_string(), "2.0".to_string()];
    assert_eq!(
        mirror.select_tags(&tags, &filter).unwrap().unwrap(),
        ["1.2"]
    );
}

#[test]
fn a_chain_runs_the_first_over_the_next() {
    // The mirror over the hostile component: the hostile one answers the
    // name as given, the mirror rewrites it.
    let over = chain(&["mirror_tagging.wasm", "hostile.wasm"]).unwrap();
    assert_eq!(
        over.normalize_with_default_tag("docker.io/x").unwrap().full,
        "mirror.example/x"
    );
    // The other way round: the hostile one imports nothing, so it is the
    // whole operation and the mirror under it is never reached.
    let under = chain(&["hostile.wasm", "mirror_tagging.wasm"]).unwrap();
    assert_eq!(
        under
            .normalize_with_default_tag("docker.io/x")
            .unwrap()
            .full,
        "docker.io/x"
    );
    // Two mirrors over the built-in: the inner one rewrites, the outer one
    // finds nothing left to rewrite.
    let twice = chain(&["mirror_tagging.wasm", "mirror_tagging.wasm"]).unwrap();
    assert_eq!(
        twice.normalize_with_default_tag("ubuntu").unwrap().full,
        "mirror.example/library/ubuntu:latest"
    );
}

#[test]
fn a_failure_of_the_next_layer_is_the_calls_naming_the_inner_component() {
    let over_hostile = chain(&["mirror_tagging.wasm", "hostile.wasm"]).unwrap();
    let crashed = over_hostile.parse("panic").unwrap_err();
    let Error::Trap {
        component,
        function,
        message,
    } = &crashed
    else {
        panic!("{crashed:?}");
    };
    assert!(component.contains("hostile.wasm"), "{crashed}");
    assert_eq!(function, "parse");
    assert!(
        message.contains("hostile component panics on purpose"),
        "{crashed}"
    );
    let over_partial = chain(&["mirror_tagging.wasm", "partial_tagging.wasm"]).unwrap();
    let missing = over_partial
        .unique_tag("app", &[0; 16])
        .unwrap_err()
        .to_string();
    assert!(
        missing.starts_with("component tagging (")
            && missing.contains(
                "partial_tagging.wasm) has no function unique-tag in ocipipe:image/naming@0.1.0"
            ),
        "{missing}"
    );
    // The 0.1.0 component under the 0.2.0 mirror answers the rest.
    assert_eq!(
        over_partial
            .normalize_with_default_tag("ubuntu")
            .unwrap()
            .full,
        "mirror.example/library/ubuntu:latest"
    );
}

#[test]
fn functions_are_listed_and_called_with_dynamic_values_through_the_chain() {
    let mirror = fixture("mirror_tagging.wasm");
    let components = Components::chained(runtime(), |o| {
        if *o == TAGGING {
            vec![Source::File(mirror.clone())]
        } else {
            vec![]
        }
    });
    let functions = components.functions(&TAGGING).unwrap();
    let names: Vec<String> = functions
        .iter()
        .map(|f| format!("{}.{}", f.interface, f.name))
        .collect();
    assert!(
        names.contains(&"naming.unique-tag".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"tags.select-tags".to_string()), "{names:?}");
    let normalize = functions
        .iter()
        .find(|f| f.name == "normalize-with-default-tag")
        .unwrap();
    assert_eq!(normalize.params.len(), 1);
    assert_eq!(normalize.params[0].0, "input");
    assert_eq!(normalize.results.len(), 1);

    let answer = components
        .call_values(
            &TAGGING,
            "naming",
            "normalize-with-default-tag",
            &[Val::String("ubuntu".into())],
        )
        .unwrap();
    let [Val::Result(Ok(Some(record)))] = answer.as_slice() else {
        panic!("{answer:?}");
    };
    let Val::Record(fields) = record.as_ref() else {
        panic!("{record:?}");
    };
    assert!(
        fields.contains(&(
            "full".to_string(),
            Val::String("mirror.example/library/ubuntu:latest".into())
        )),
        "{fields:?}"
    );
    let missing = components
        .call_values(&TAGGING, "naming", "no-such-function", &[])
        .unwrap_err();
    assert!(matches!(missing, Error::Missing { .. }), "{missing}");
    let wrong = components
        .call_values(&TAGGING, "naming", "parse", &[])
        .unwrap_err();
    assert!(matches!(wrong, Error::Invalid { .. }), "{wrong}");
    assert_eq!(components.version(&TAGGING).unwrap(), "0.2.0");
}
