use super::*;

fn ok(text: &str) -> SyncFile {
    parse("sync.yaml", text).unwrap_or_else(|e| panic!("refused: {e}"))
}

/// The one-line error for `text`, which must be refused.
fn refused(text: &str) -> String {
    match parse("sync.yaml", text) {
        Ok(file) => panic!("accepted: {file:?}"),
        Err(e) => e.to_string(),
    }
}

fn at<T>(value: T, line: usize, key: &str) -> At<T> {
    At {
        value,
        line,
        key: key.to_string(),
    }
}

/// The issue's example, with `referrer-types` and `registries` added.
const EXAMPLE: &str = r#"version: 1
defaults:            # every entry inherits these and may override them
  parallel: 4        # images copied at once
  platforms: all     # or a list: [linux/amd64, linux/arm64]
  referrers: true    # copy what refers to each image
  compression: keep  # keep | gzip | zstd
registries:
  localhost:5000: {requests-per-second: 10, concurrency: 4}
  docker.io:
    requests-per-second: 0.5
sync:
  - source: registry.example/library/alpine   # type: repository (the default)
    target: mirror.example/hub/alpine
    tags:
      allow: ['^3\.']          # regular expressions
      deny: ['-rc']
      semver: '>=3.18'         # a semver range over the tags that parse
      latest: 3                # the N highest by semver, after the filters
  - source: registry.example/app:1.2.3        # type: image
    target: mirror.example/app:1.2.3
    type: image
    platforms: [linux/amd64, linux/arm64]
  - source: oci:/srv/layouts/tools            # any transport of `copy`
    target: mirror.example/tools
    compression: zstd
    referrer-types: [application/vnd.dev.cosign.artifact.sig.v1+json]
"#;

#[test]
fn reads_the_issues_example() {
    let file = ok(EXAMPLE);
    assert_eq!(file.shown, "sync.yaml");
    assert_eq!(
        file.registries,
        vec![
            (
                "localhost:5000".to_string(),
                Budget {
                    requests_per_second: Some(10.0),
                    concurrency: Some(4)
                }
            ),
            (
                "docker.io".to_string(),
                Budget {
                    requests_per_second: Some(0.5),
                    concurrency: None
                }
            ),
        ]
    );
    let [alpine, app, tools] = &file.entries[..] else {
        panic!("{:?}", file.entries)
    };
    assert_eq!(
        *alpine,
        Entry {
            at: 12,
            source: at(
                "registry.example/library/alpine".into(),
                12,
                "sync[0].source"
            ),
            target: at("mirror.example/hub/alpine".into(), 13, "sync[0].target"),
            kind: Kind::Repository,
            parallel: 4,
            platforms: Platforms::All,
            referrers: true,
            referrer_types: vec![],
            compression: Compression::Keep,
            tags: TagFilter {
                allow: vec![at(r"^3\.".into(), 15, "sync[0].tags.allow[0]")],
                deny: vec![at("-rc".into(), 16, "sync[0].tags.deny[0]")],
                semver: Some(at(">=3.18".into(), 17, "sync[0].tags.semver")),
                latest: Some(3),
            },
        }
    );
    assert_eq!(
        (app.kind, app.at, app.tags.clone()),
        (Kind::Image, 19, TagFilter::default())
    );
    assert_eq!(
        app.platforms,
        Platforms::List(vec![
            at("linux/amd64".into(), 22, "sync[1].platforms[0]"),
            at("linux/arm64".into(), 22, "sync[1].platforms[1]"),
        ])
    );
    assert_eq!(tools.source.value, "oci:/srv/layouts/tools");
    assert_eq!(tools.compression, Compression::Zstd);
    assert_eq!(
        tools.referrer_types,
        ["application/vnd.dev.cosign.artifact.sig.v1+json"]
    );
    assert!(tools.referrers, "inherited from defaults");
}

#[test]
fn an_entry_without_defaults_gets_the_documented_ones() {
    let file = ok("version: 1\nsync:\n  - {source: a/b, target: c/d}\n");
    let entry = &file.entries[0];
    assert_eq!(
        (
            entry.kind,
            entry.parallel,
            &entry.platforms,
            entry.referrers,
            entry.compression
        ),
        (
            Kind::Repository,
            4,
            &Platforms::All,
            false,
            Compression::Keep
        )
    );
    assert!(entry.referrer_types.is_empty());
    assert_eq!(entry.tags, TagFilter::default());
    assert!(file.registries.is_empty());
}

#[test]
fn entry_keys_override_defaults_one_by_one_and_tags_whole() {
    let file = ok(r#"version: 1
defaults:
  parallel: 2
  referrers: true
  compression: gzip
  platforms: [linux/amd64]
  tags: {allow: ['^v'], semver: '>=1', latest: 2}
sync:
  - source: a
    target: b
    parallel: 8
    tags: {deny: [beta]}
  - source: c
    target: d
    referrers: false
  - source: e:1
    target: f:1
    type: image
"#);
    let [first, second, image] = &file.entries[..] else {
        panic!()
    };
    assert_eq!(
        (first.parallel, first.referrers, first.compression),
        (8, true, Compression::Gzip)
    );
    assert_eq!(
        first.tags,
        TagFilter {
            deny: vec![at("beta".into(), 12, "sync[0].tags.deny[0]")],
            ..TagFilter::default()
        },
        "an entry's tags replace the default's whole"
    );
    assert_eq!((second.parallel, second.referrers), (2, false));
    assert_eq!(
        second.platforms,
        Platforms::List(vec![at("linux/amd64".into(), 6, "defaults.platforms[0]")])
    );
    assert_eq!(
        second.tags.allow,
        [at("^v".to_string(), 7, "defaults.tags.allow[0]")]
    );
    assert_eq!(second.tags.latest, Some(2));
    assert_eq!(
        image.tags,
        TagFilter::default(),
        "an image entry inherits no tag filter"
    );
    assert_eq!(image.compression, Compression::Gzip);
}

#[test]
fn x_keys_are_ignored_everywhere() {
    let file = ok(r#"version: 1
x-note: anything at all
defaults:
  x-why: [1, 2]
  parallel: 3
registries:
  x-later: {whatever: true}
  localhost:5000: {concurrency: 2, x-comment: slow}
sync:
  - source: a
    target: b
    x-owner: team
    tags: {allow: [x], x-hint: {}}
"#);
    assert_eq!(
        file.registries,
        [(
            "localhost:5000".to_string(),
            Budget {
                requests_per_second: None,
                concurrency: Some(2)
            }
        )]
    );
    assert_eq!(file.entries[0].parallel, 3);
    assert_eq!(file.entries[0].tags.allow.len(), 1);
}

#[test]
fn anchors_aliases_and_merge_keys_work_as_in_regsync_files() {
    let file = ok(r#"version: 1
x-common: &common
  parallel: 2
  compression: gzip
  referrers: true
x-fast: &fast
  parallel: 16
  platforms: [linux/amd64]
x-allow: &allow ['^1\.']
sync:
  - <<: *common
    source: a
    target: b
    parallel: 5
  - <<: [*fast, *common]
    source: c
    target: d
    tags: {allow: *allow}
  - source: &src e
    target: f
    <<: *common
    compression: zstd
  - source: *src
    target: g
"#);
    let e = &file.entries;
    assert_eq!(
        (e[0].parallel, e[0].compression, e[0].referrers),
        (5, Compression::Gzip, true),
        "own keys win"
    );
    assert_eq!(
        (e[1].parallel, e[1].compression, e[1].referrers),
        (16, Compression::Gzip, true),
        "earlier merged mappings win over later ones"
    );
    assert_eq!(
        e[1].platforms,
        Platforms::List(vec![at("linux/amd64".into(), 8, "sync[1].platforms[0]")])
    );
    assert_eq!(
        e[1].tags.allow,
        [at(r"^1\.".to_string(), 9, "sync[1].tags.allow[0]")]
    );
    assert_eq!(
        (e[2].compression, e[2].parallel),
        (Compression::Zstd, 2),
        "own keys win after `<<` too"
    );
    assert_eq!(e[3].source.value, "e");
}

#[test]
fn defaults_may_themselves_be_merged() {
    let file = ok(
        "version: 1\nx-base: &b {parallel: 7}\ndefaults:\n  <<: *b\nsync: [{source: a, target: b}]\n",
    );
    assert_eq!(file.entries[0].parallel, 7);
}

#[test]
fn scalars_follow_the_yaml_1_2_core_schema() {
    // `0x10` is 16; a quoted number is a string; `yes` is a string in YAML 1.2.
    let file =
        ok("version: 0x1\ndefaults: {parallel: 0x10}\nsync: [{source: '1', target: \"2\"}]\n");
    assert_eq!(
        (
            file.entries[0].parallel,
            file.entries[0].source.value.as_str()
        ),
        (16, "1")
    );
    let e = refused("version: 1\ndefaults: {referrers: yes}\nsync: [{source: a, target: b}]\n");
    assert_eq!(
        e,
        r#"sync.yaml:2: defaults.referrers: expected true or false, found a string ("yes")"#
    );
    let e = refused("version: 1\ndefaults: {parallel: 2.5}\nsync: [{source: a, target: b}]\n");
    assert_eq!(
        e,
        "sync.yaml:2: defaults.parallel: expected a whole number, found the number 2.5"
    );
    let e = refused("version: 1\ndefaults: {parallel: !!str 2}\nsync: [{source: a, target: b}]\n");
    assert_eq!(
        e,
        r#"sync.yaml:2: defaults.parallel: expected a whole number, found a string ("2")"#
    );
}

/// Each bad input is refused with its line and key.
#[test]
fn refuses_bad_input_naming_line_and_key() {
    let cases: &[(&str, &str)] = &[
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    tagz: {}\n",
            "sync.yaml:5: sync[0].tagz: unknown key; allowed here: source, target, type, parallel, platforms, \
             referrers, referrer-types, compression, tags (and `x-` keys, which are ignored)",
        ),
        (
            "version: 1\nmirror: x\nsync: [{source: a, target: b}]\n",
            "sync.yaml:2: mirror: unknown key; allowed here: version, defaults, registries, sync (and `x-` keys, \
             which are ignored)",
        ),
        (
            "version: 1\ndefaults:\n  type: image\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: defaults.type: unknown key; allowed here: parallel, platforms, referrers, \
             referrer-types, compression, tags (and `x-` keys, which are ignored)",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    tags: {allow: [a], regex: b}\n",
            "sync.yaml:5: sync[0].tags.regex: unknown key; allowed here: allow, deny, semver, latest (and `x-` \
             keys, which are ignored)",
        ),
        (
            "version: 1\nregistries:\n  localhost:5000: {rps: 3}\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: registries.\"localhost:5000\".rps: unknown key; allowed here: requests-per-second, \
             concurrency (and `x-` keys, which are ignored)",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    tags:\n      semver: ['>=1']\n",
            "sync.yaml:6: sync[0].tags.semver: expected a string, found a list",
        ),
        (
            "version: 1\nsync:\n  - source: [a]\n    target: b\n",
            "sync.yaml:3: sync[0].source: expected a string, found a list",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    tags: {allow: '^v'}\n",
            "sync.yaml:5: sync[0].tags.allow: expected a list of strings (`[a, b]`), found a string (\"^v\")",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    tags:\n      allow:\n        - x\n        - 3\n",
            "sync.yaml:8: sync[0].tags.allow[1]: expected a string, found the number 3",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    tags: [x]\n",
            "sync.yaml:5: sync[0].tags: expected a mapping (`key: value` lines), found a list",
        ),
        (
            "version: 1\nsync:\n  - a b\n",
            "sync.yaml:3: sync[0]: expected a mapping (`key: value` lines), found a string (\"a b\")",
        ),
        (
            "version: 1\nsync:\n  - target: b\n",
            "sync.yaml:3: sync[0].source: missing; each entry names a source and a target",
        ),
        (
            "version: 1\nsync:\n  - source: a\n  - source: b\n    target: c\n",
            "sync.yaml:3: sync[0].target: missing; each entry names a source and a target",
        ),
        (
            "sync: [{source: a, target: b}]\n",
            "sync.yaml:1: version: missing; a sync file starts with `version: 1`",
        ),
        (
            "version: 1\ndefaults: {}\n",
            "sync.yaml:1: sync: missing; list the images to copy under `sync:`",
        ),
        (
            "version: 1\nsync: []\n",
            "sync.yaml:2: sync: no entries; list at least one `- source: … target: …`",
        ),
        (
            "version: 1\nsync: {source: a, target: b}\n",
            "sync.yaml:2: sync: expected a list of entries (`- source: …`), found a mapping",
        ),
        (
            "version: 2\nsync: [{source: a, target: b}]\n",
            "sync.yaml:1: version: version 2 is not known; this ocipipe reads version 1",
        ),
        (
            "version: '1'\nsync: [{source: a, target: b}]\n",
            "sync.yaml:1: version: expected the number 1, found a string (\"1\")",
        ),
        (
            "version: 1\ndefaults:\n  parallel: 0\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: defaults.parallel: must be at least 1, found 0",
        ),
        (
            "version: 1\nsync:\n  - {source: a, target: b,\n     parallel: -2}\n",
            "sync.yaml:4: sync[0].parallel: must be at least 1, found -2",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    tags: {latest: 0}\n",
            "sync.yaml:5: sync[0].tags.latest: must be at least 1, found 0",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    tags: {latest: 5000000000}\n",
            "sync.yaml:5: sync[0].tags.latest: must be at most 4294967295, found 5000000000",
        ),
        (
            "version: 1\ndefaults:\n  platforms: linux/amd64\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: defaults.platforms: expected `all` or a list such as [linux/amd64, linux/arm64], \
             found a string (\"linux/amd64\")",
        ),
        (
            "version: 1\ndefaults:\n  platforms: []\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: defaults.platforms: an empty list copies nothing; write `all` or a list such as \
             [linux/amd64, linux/arm64]",
        ),
        (
            "version: 1\ndefaults:\n  platforms: true\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: defaults.platforms: expected `all` or a list such as [linux/amd64, linux/arm64], \
             found the boolean true",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    platforms:\n      - linux/amd64\n      - {os: linux}\n",
            "sync.yaml:7: sync[0].platforms[1]: expected a string, found a mapping",
        ),
        (
            "version: 1\ndefaults:\n  compression: xz\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: defaults.compression: unknown value \"xz\"; allowed: keep, gzip, zstd",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    type: repo\n",
            "sync.yaml:5: sync[0].type: unknown value \"repo\"; allowed: repository, image",
        ),
        (
            "version: 1\nsync:\n  - source: a:1\n    target: b:1\n    type: image\n    tags: {latest: 1}\n",
            "sync.yaml:6: sync[0].tags: an image entry copies the one image it names; `tags` filters a \
             `type: repository` entry",
        ),
        (
            "version: 1\nsync:\n  - source: ''\n    target: b\n",
            "sync.yaml:3: sync[0].source: empty; write a value or remove the key",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: '  '\n",
            "sync.yaml:4: sync[0].target: empty; write a value or remove the key",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target:\n",
            "sync.yaml:4: sync[0].target: expected a string, found nothing (an empty value)",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    tags: {semver: ''}\n",
            "sync.yaml:5: sync[0].tags.semver: empty; write a value or remove the key",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    tags: {deny: ['']}\n",
            "sync.yaml:5: sync[0].tags.deny[0]: empty; write a value or remove the key",
        ),
        (
            "version: 1\ndefaults: {referrer-types: ['']}\nsync: [{source: a, target: b}]\n",
            "sync.yaml:2: defaults.referrer-types[0]: empty; write a value or remove the key",
        ),
        (
            "version: 1\nregistries:\n  localhost:5000: {requests-per-second: 0}\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: registries.\"localhost:5000\".requests-per-second: must be a number above 0, found 0",
        ),
        (
            "version: 1\nregistries:\n  r.example:\n    requests-per-second: -0.5\nsync: [{source: a, target: b}]\n",
            "sync.yaml:4: registries.\"r.example\".requests-per-second: must be a number above 0, found -0.5",
        ),
        (
            "version: 1\nregistries:\n  r.example: {requests-per-second: .inf}\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: registries.\"r.example\".requests-per-second: must be a number above 0, found inf",
        ),
        (
            "version: 1\nregistries:\n  r.example: {requests-per-second: fast}\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: registries.\"r.example\".requests-per-second: expected a number, found a string \
             (\"fast\")",
        ),
        (
            "version: 1\nregistries:\n  r.example: {concurrency: 0}\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: registries.\"r.example\".concurrency: must be at least 1, found 0",
        ),
        (
            "version: 1\nregistries:\n  r.example:\nsync: [{source: a, target: b}]\n",
            "sync.yaml:3: registries.\"r.example\": expected a mapping (`key: value` lines), found nothing (an \
             empty value)",
        ),
        (
            "version: 1\nregistries: [r.example]\nsync: [{source: a, target: b}]\n",
            "sync.yaml:2: registries: expected a mapping of registry hosts (`localhost:5000: {concurrency: 4}`), \
             found a list",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: m/x\n  - source: b\n    target: ' m/x '\n",
            "sync.yaml:6: sync[1].target: \"m/x\" is also the target of sync[0] (line 4); give each target one \
             entry",
        ),
        (
            "version: 1\nsync:\n  - source: a\n    target: b\n    source: c\n",
            "sync.yaml:5: the key `source` is written twice (first at line 3)",
        ),
        (
            "- a\n- b\n",
            "sync.yaml:1: expected a mapping (`key: value` lines), found a list",
        ),
        (
            "just text\n",
            "sync.yaml:1: expected a mapping (`key: value` lines), found a string (\"just text\")",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(refused(text), *expected, "for:\n{text}");
    }
}

#[test]
fn refuses_what_is_not_one_yaml_document() {
    assert_eq!(
        refused(""),
        "sync.yaml: the file is empty; a sync file needs `version: 1` and `sync:` entries"
    );
    assert_eq!(
        refused("# only a comment\n\n"),
        "sync.yaml: the file is empty; a sync file needs `version: 1` and `sync:` entries"
    );
    assert_eq!(refused("---\n...\n"), refused(""));
    let e = refused("version: 1\nsync: [{source: a, target: b}]\n---\nversion: 1\n");
    assert_eq!(
        e,
        "sync.yaml:3: a second YAML document; a sync file is one document"
    );
    let e = refused("version: 1\nsync:\n  - source: a\n    target: [b\n");
    assert!(e.starts_with("sync.yaml:5: not valid YAML: "), "{e}");
    let e = refused("version: 1\nsync:\n  - source: a\n   target: b\n");
    assert!(e.starts_with("sync.yaml:4: not valid YAML: "), "{e}");
    let e = refused("version: 1\ndefaults: {\"a\": 1\n\tb: 2}\n");
    assert!(e.starts_with("sync.yaml:"), "{e}");
}

#[test]
fn refuses_odd_yaml_a_sync_file_never_needs() {
    let cases: &[(&str, &str)] = &[
        (
            "version: 1\n? [a]\n: b\n",
            "sync.yaml:2: a key must be text, not a list or a mapping",
        ),
        (
            "version: 1\nx: &k y\n*k : z\n",
            "sync.yaml:3: an alias as a key is not supported; write the key",
        ),
        (
            "version: 1\ndefaults: *nowhere\n",
            "sync.yaml:2: not valid YAML: ",
        ),
        (
            "version: !custom 1\n",
            "sync.yaml:1: the tag !custom is not supported; remove it",
        ),
        (
            "version: 1\ndefaults:\n  <<: 3\n",
            "sync.yaml:3: `<<` merges mappings: give it a mapping or a list of them (`<<: *a`, `<<: [*a, *b]`)",
        ),
        (
            "version: 1\nx: &a {parallel: 1}\ndefaults:\n  <<: [*a, oops]\n",
            "sync.yaml:4: `<<` merges mappings: give it a mapping or a list of them (`<<: *a`, `<<: [*a, *b]`)",
        ),
        (
            "version: 1\nx: &a {parallel: 1}\ndefaults:\n  <<: *a\n  <<: *a\n",
            "sync.yaml:5: `<<` is written twice; merge several mappings with `<<: [*a, *b]`",
        ),
    ];
    for (text, expected) in cases {
        let e = refused(text);
        assert!(e.starts_with(expected), "for:\n{text}\ngot {e}");
    }
}

#[test]
fn a_quoted_merge_key_is_an_ordinary_key() {
    let e =
        refused("version: 1\ndefaults:\n  '<<': {parallel: 1}\nsync: [{source: a, target: b}]\n");
    assert!(
        e.starts_with("sync.yaml:3: defaults.\"<<\": unknown key;"),
        "{e}"
    );
}

#[test]
fn refuses_an_alias_bomb_quickly() {
    let mut text = String::from("version: 1\nx0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
    for i in 1..12 {
        let p = i - 1;
        text += &format!(
            "x{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        );
    }
    let e = refused(&text);
    assert!(
        e.contains("aliases expand to more than 100000 values"),
        "{e}"
    );
}

#[test]
fn refuses_deep_nesting() {
    let deep = format!("version: 1\nx-deep: {}{}\n", "[".repeat(65), "]".repeat(65));
    assert_eq!(
        refused(&deep),
        "sync.yaml:2: lists and mappings nest more than 64 deep"
    );
    let fine = format!(
        "version: 1\nx-deep: {}{}\nsync: [{{source: a, target: b}}]\n",
        "[".repeat(60),
        "]".repeat(60)
    );
    ok(&fine);
}

#[test]
fn error_at_names_the_values_line_and_key() {
    let file = ok(EXAMPLE);
    let semver = file.entries[0].tags.semver.as_ref().unwrap();
    let e = error_at(
        &file.shown,
        semver,
        "not a semver range: unexpected character",
    );
    assert_eq!(
        e.to_string(),
        "sync.yaml:17: sync[0].tags.semver: not a semver range: unexpected character"
    );
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(17), Some("sync[0].tags.semver"))
    );
}

#[test]
fn read_refuses_a_large_file_and_invalid_utf8_and_reads_a_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("sync.yaml");
    std::fs::write(&good, format!("\u{feff}{EXAMPLE}")).unwrap();
    let file = read(&good).unwrap();
    assert_eq!(
        (file.shown, file.entries.len()),
        (good.display().to_string(), 3)
    );

    let large = dir.path().join("large.yaml");
    let mut text = String::from("version: 1\n");
    text += &"# padding\n".repeat((MAX_FILE_BYTES / 10 + 1) as usize);
    std::fs::write(&large, text).unwrap();
    let e = read(&large).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: the file is larger than 4 MiB; a sync file is a few kilobytes (split it)",
            large.display()
        )
    );

    let latin1 = dir.path().join("latin1.yaml");
    std::fs::write(&latin1, b"version: 1\nsync:\n  - source: caf\xe9\n").unwrap();
    let e = read(&latin1).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:3: not UTF-8 text; a sync file is YAML in UTF-8",
            latin1.display()
        )
    );

    let missing = dir.path().join("missing.yaml");
    let e = read(&missing).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}: cannot read the sync file: ",
            missing.display()
        )),
        "{e}"
    );
}
