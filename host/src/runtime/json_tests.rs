//! The JSON mapping, on the real types of the built-in components' functions.

use super::dynamic::Dynamic;
use super::*;
use crate::runtime::operations::{MANIFEST_GENERATION, PRIVILEGES, TAGGING, TAR_ASSEMBLY};
use serde_json::json;

fn info(component: &Dynamic, name: &str) -> FunctionInfo {
    resolve(&component.infos(), name).unwrap().clone()
}

/// Calls `name` of `component` with `args`, and answers as JSON.
fn call(component: &Dynamic, name: &str, args: Value) -> Value {
    let function = info(component, name);
    let params = arguments(&args, &function.params).unwrap();
    let results = component
        .call(&function.interface, &function.name, &params)
        .unwrap();
    answer(&results)
}

/// The error `args` get for `name`.
fn refused(component: &Dynamic, name: &str, args: Value) -> String {
    arguments(&args, &info(component, name).params)
        .unwrap_err()
        .to_string()
}

#[test]
fn functions_are_listed_with_their_interfaces_and_types() {
    let tagging = Dynamic::builtin(&TAGGING);
    let names: Vec<String> = tagging.infos().iter().map(|f| f.qualified()).collect();
    assert!(names.contains(&"naming.parse".to_string()), "{names:?}");
    assert!(names.contains(&"tags.select-tags".to_string()), "{names:?}");
    let parse = (tagging.infos().into_iter())
        .find(|f| f.name == "parse")
        .unwrap();
    assert_eq!(parse.interface, "naming");
    assert_eq!(parse.params.len(), 1);
    assert_eq!(parse.params[0].0, "input");
    assert_eq!(parse.params[0].1, Type::String);
    assert!(matches!(parse.results[..], [Type::Result(_)]));
}

#[test]
fn a_name_finds_its_function_with_or_without_its_interface() {
    let tar = Dynamic::builtin(&TAR_ASSEMBLY).infos();
    assert_eq!(resolve(&tar, "plan-layer").unwrap().interface, "layers");
    assert_eq!(
        resolve(&tar, "archives.blob-entry").unwrap().name,
        "blob-entry"
    );
    let unknown = resolve(&tar, "layers.blob-entry").unwrap_err();
    assert!(
        unknown.starts_with("no function layers.blob-entry; the functions are "),
        "{unknown}"
    );
    assert!(unknown.contains("archives.plan-archive"), "{unknown}");
    // `entry-kind` is two interfaces' type, but no function is named twice
    // in one world: an ambiguous name is made here from two worlds.
    let mut both = tar.clone();
    let mut twin = both[0].clone();
    twin.interface = "other".into();
    both.push(twin);
    let ambiguous = resolve(&both, &both[0].name.clone()).unwrap_err();
    assert!(
        ambiguous.contains("is ambiguous: say which of"),
        "{ambiguous}"
    );
}

#[test]
fn results_records_options_and_variants_come_out_as_the_mapping_says() {
    let tagging = Dynamic::builtin(&TAGGING);
    let parsed = call(&tagging, "naming.parse", json!(["ubuntu:22.04"]));
    assert_eq!(
        parsed,
        json!({"ok": {"name": "ubuntu", "domain": "", "path": "ubuntu", "tag": "22.04",
            "digest": null, "full": "ubuntu:22.04", "familiar": "ubuntu:22.04"}})
    );
    let bad = call(&tagging, "parse", json!(["UPPER"]));
    assert_eq!(
        bad,
        json!({"error": {"invalid-reference": "repository name must be lowercase"}})
    );
    let id = format!("sha256:{}", "a".repeat(64));
    let any = call(&tagging, "parse-any-reference", json!([id]));
    assert_eq!(any, json!({"ok": {"id": id}}));
    assert_eq!(
        call(&tagging, "names-no-image", json!(["scratch"])),
        json!(true)
    );
    let found = call(
        &tagging,
        "find-name",
        json!({"wanted": "ubuntu:1", "names": ["x", "docker.io/library/ubuntu:1"]}),
    );
    assert_eq!(found, json!({"ok": 1}));
    let none = call(&tagging, "find-name", json!(["ubuntu:2", ["x"]]));
    assert_eq!(none, json!({"ok": null}));
}

#[test]
fn a_result_without_ok_payload_and_variant_cases_without_payload() {
    let tagging = Dynamic::builtin(&TAGGING);
    let fine = json!([{"allow": ["^1"], "deny": [], "semver": null, "latest": 2}]);
    assert_eq!(
        call(&tagging, "check-tag-filter", fine),
        json!({"ok": null})
    );
    let bad = call(
        &tagging,
        "check-tag-filter",
        json!([{"allow": [], "deny": [], "semver": "nope"}]),
    );
    let field = &bad["error"]["field"];
    assert_eq!(field, &json!("semver"), "{bad}");
    let regex = call(
        &tagging,
        "check-tag-filter",
        json!([{"allow": ["("], "deny": []}]),
    );
    assert_eq!(regex["error"]["field"], json!({"allow": 0}), "{regex}");
    let privileges = Dynamic::builtin(&PRIVILEGES);
    let asked = json!([{"name": "network", "description": "", "value": ["host"]}]);
    for grants in [json!("all"), json!({"names": ["network"]})] {
        let judged = call(&privileges, "judge-privileges", json!([asked, grants]));
        assert_eq!(judged, json!([true]));
    }
}

#[test]
fn bytes_are_text_when_utf8_and_numbers_otherwise_and_either_goes_in() {
    let tar = Dynamic::builtin(&TAR_ASSEMBLY);
    let members = json!([[
        {"path": [0xff, b'/', b'.', b'w', b'h', b'.', b'a'], "kind": "regular"},
        {"path": "d/.wh.b", "kind": "regular"},
        {"path": "d/c", "kind": "regular"},
    ]]);
    let changes = call(&tar, "plan-changeset", members);
    assert_eq!(
        changes,
        json!({"ok": [{"remove": [0xff, b'/', b'a']}, {"remove": "d/b"}, {"apply": 2}]})
    );
    let tagging = Dynamic::builtin(&TAGGING);
    let entropy: Vec<u8> = (0..16).collect();
    let as_numbers = call(&tagging, "unique-tag", json!(["app", entropy]));
    let as_text = call(&tagging, "unique-tag", json!(["app", "0123456789abcdef"]));
    assert_eq!(
        as_numbers["ok"]["tag"],
        json!("000102030405060708090a0b0c0d0e0f")
    );
    assert_eq!(
        as_text["ok"]["tag"],
        json!("30313233343536373839616263646566")
    );
}

#[test]
fn values_round_trip() {
    let manifests = Dynamic::builtin(&MANIFEST_GENERATION);
    let descriptor = json!({"media-type": "application/vnd.oci.image.config.v1+json",
        "digest": format!("sha256:{}", "b".repeat(64)), "size": 12_345_678_901_u64,
        "artifact-type": null, "annotations": [["a", "1"], ["b", "2"]],
        "platform": {"architecture": "arm64", "os": "linux", "os-version": null,
            "os-features": ["x"], "cpu-variant": "v8"},
        "urls": []});
    let args = json!([descriptor, [descriptor], [["k", "v"]], descriptor]);
    let function = info(&manifests, "image-manifest");
    let values = arguments(&args, &function.params).unwrap();
    let back: Vec<Value> = values.iter().map(to_json).collect();
    assert_eq!(Value::Array(back), args);
    let tar = Dynamic::builtin(&TAR_ASSEMBLY);
    let entry = json!({"path": "a", "kind": "symlink", "mode": 0o777, "uid": 0, "gid": 0,
        "size": 0, "link-target": "b", "link-group": null, "device-major": 0,
        "device-minor": 0, "xattrs": [["user.x", [0, 0xfe]], ["user.y", "text"]]});
    let args = json!([[entry], {"mtime": -1, "keep-owner": true}]);
    let values = arguments(&args, &info(&tar, "plan-layer").params).unwrap();
    let back: Vec<Value> = values.iter().map(to_json).collect();
    assert_eq!(Value::Array(back), args);
}

#[test]
fn arguments_go_by_position_or_by_name() {
    let tagging = Dynamic::builtin(&TAGGING);
    let params = info(&tagging, "select-tags").params;
    let filter = json!({"allow": ["^1"], "deny": [], "semver": null, "latest": null});
    let by_position = arguments(&json!([["1", "2"], filter]), &params).unwrap();
    let by_name = arguments(&json!({"filter": filter, "tags": ["1", "2"]}), &params).unwrap();
    assert_eq!(by_position, by_name);
    // A missing option, field or parameter, is none.
    let short = arguments(&json!([["1", "2"], {"allow": ["^1"], "deny": []}]), &params).unwrap();
    assert_eq!(short, by_position);
    let manifests = Dynamic::builtin(&MANIFEST_GENERATION);
    let params = info(&manifests, "normalize-platform").params;
    let host = json!({"os": "linux", "arch": "x86_64", "little-endian": true});
    let without = arguments(&json!({"host": host}), &params).unwrap();
    assert_eq!(without[0], Val::Option(None));
}

#[test]
fn bad_arguments_are_refused_naming_where() {
    let tagging = Dynamic::builtin(&TAGGING);
    let cases = [
        (
            "select-tags",
            json!([[], {"allow": [3], "deny": []}]),
            "argument 2 (filter).allow[0]: expected a string, got 3",
        ),
        (
            "select-tags",
            json!([[], {"allow": [], "deny": [], "colour": 1}]),
            "argument 2 (filter): no field colour; the fields are allow, deny, semver, latest",
        ),
        (
            "select-tags",
            json!([[], {"allow": []}]),
            "argument 2 (filter).deny: missing",
        ),
        (
            "select-tags",
            json!([[], {"allow": [], "deny": [], "latest": -1}]),
            "argument 2 (filter).latest: expected an integer in range of u32, got -1",
        ),
        (
            "select-tags",
            json!([[], {"allow": [], "deny": [], "latest": 1.5}]),
            "argument 2 (filter).latest: expected an integer, got 1.5",
        ),
        ("parse", json!([]), "arguments: expected 1 (input), got 0"),
        (
            "parse",
            json!({"name": "x"}),
            "arguments: no parameter name; the parameters are input",
        ),
        (
            "parse",
            json!("ubuntu"),
            "arguments: expected an array or an object of the parameters (input), got \"ubuntu\"",
        ),
        (
            "unique-tag",
            json!(["app", [256]]),
            "argument 2 (entropy)[0]: expected an integer in range of u8, got 256",
        ),
        (
            "unique-tag",
            json!(["app", 7]),
            "argument 2 (entropy): expected a string or an array of bytes, got 7",
        ),
        ("names-no-image", json!({}), "argument 1 (base): missing"),
    ];
    for (function, args, expected) in cases {
        assert_eq!(refused(&tagging, function, args), expected, "{function}");
    }
    let privileges = Dynamic::builtin(&PRIVILEGES);
    let asked = json!([]);
    let cases = [
        (
            json!([asked, "some"]),
            "argument 2 (grants): no case some; the cases are all, names",
        ),
        (
            json!([asked, "names"]),
            "argument 2 (grants): the case names has a payload: write {\"names\": …}",
        ),
        (
            json!([asked, {"all": 1}]),
            "argument 2 (grants).all: the case has no payload, got 1",
        ),
        (
            json!([asked, {"names": "network"}]),
            "argument 2 (grants).names: expected an array, got \"network\"",
        ),
        (
            json!([asked, {"all": null, "names": []}]),
            "argument 2 (grants): expected \"case\" or {\"case\": payload} of all, names, got {\"all\":null,\"names\":[]}",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(refused(&privileges, "judge-privileges", args), expected);
    }
    let manifests = Dynamic::builtin(&MANIFEST_GENERATION);
    let layer = refused(&manifests, "layer-media-type", json!(["brotli", "oci"]));
    assert_eq!(
        layer,
        "argument 1 (compression): expected one of none, gzip, zstd, got \"brotli\""
    );
    let index = refused(&manifests, "image-index", json!([[], [["only-a-key"]]]));
    assert_eq!(
        index,
        "argument 2 (annotations)[0]: expected an array of 2, got [\"only-a-key\"]"
    );
    let fallback = refused(&manifests, "fallback-form", json!([70000, null]));
    assert_eq!(
        fallback,
        "argument 1 (status): expected an integer in range of u16, got 70000"
    );
    let tagging_result = refused(&tagging, "find-name", json!(["a", null]));
    assert_eq!(
        tagging_result,
        "argument 2 (names): expected an array, got null"
    );
}

#[test]
fn scalars_without_a_world_of_theirs() {
    // No function of `wit/` takes these; their types need no component.
    assert_eq!(
        to_val(&json!("é"), &Type::Char, "c").unwrap(),
        Val::Char('é')
    );
    let two = to_val(&json!("ab"), &Type::Char, "c")
        .unwrap_err()
        .to_string();
    assert_eq!(two, "c: expected a one-character string, got \"ab\"");
    assert_eq!(to_val(&json!(-128), &Type::S8, "n").unwrap(), Val::S8(-128));
    assert!(to_val(&json!(-129), &Type::S8, "n").is_err());
    assert_eq!(to_val(&json!(-2), &Type::S16, "n").unwrap(), Val::S16(-2));
    assert_eq!(
        to_val(&json!(1.5), &Type::Float64, "f").unwrap(),
        Val::Float64(1.5)
    );
    assert_eq!(
        to_val(&json!(2), &Type::Float32, "f").unwrap(),
        Val::Float32(2.0)
    );
    assert!(to_val(&json!(null), &Type::Float64, "f").is_err());
    assert_eq!(to_json(&Val::Float64(f64::NAN)), Value::Null);
    assert_eq!(to_json(&Val::Char('x')), json!("x"));
    assert_eq!(to_json(&Val::Flags(vec!["a".into()])), json!(["a"]));
    assert_eq!(
        to_json(&Val::Map(vec![(Val::String("k".into()), Val::U8(1))])),
        json!([["k", 1]])
    );
    assert_eq!(answer(&[]), Value::Null);
    assert_eq!(answer(&[Val::Bool(true), Val::U8(1)]), json!([true, 1]));
    assert_eq!(to_json(&Val::Result(Ok(None))), json!({"ok": null}));
    assert_eq!(to_json(&Val::Result(Err(None))), json!({"error": null}));
}
