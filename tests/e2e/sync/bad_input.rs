//! Bad sync files, shards and lockfiles: refused before any request (the
//! proxy that every name points at sees nothing), exit 1, naming the file,
//! line and key.

use super::{at, file, proxy, push, sync, tags, wrote_nothing};
use crate::harness::unique_repo;
use crate::registry::{Env, error_line, refused};

/// Each file (its entries after `version: 1\nsync:\n`, `HOST` standing for
/// the proxy's address) and the words its refusal starts with after the
/// file's name.
const CASES: &[(&str, &str, &str)] = &[
    (
        "an unknown key",
        "  - source: HOST/a\n    target: HOST/b\n    tagz: {allow: [x]}\n",
        "sync.yaml:5: sync[0].tagz: unknown key",
    ),
    (
        "a wrong type",
        "  - source: HOST/a\n    target: HOST/b\n    parallel: many\n",
        "sync.yaml:5: sync[0].parallel: ",
    ),
    (
        "a regex that does not compile",
        "  - source: HOST/a\n    target: HOST/b\n    tags:\n      deny: ['-rc', '(']\n",
        "sync.yaml:6: sync[0].tags.deny[1]: ",
    ),
    (
        "a semver range that does not parse",
        "  - source: HOST/a\n    target: HOST/b\n    tags: {semver: '>>1.x'}\n",
        "sync.yaml:5: sync[0].tags.semver: ",
    ),
    (
        "two entries with the same target",
        "  - source: HOST/a\n    target: HOST/m\n  - source: HOST/b\n    target: HOST/m\n",
        "sync.yaml:6: sync[1].target: ",
    ),
    (
        "two image entries bound for one target tag, written apart",
        "  - source: HOST/a:1\n    target: HOST/m\n    type: image\n  \
         - source: HOST/b:1\n    target: docker://HOST/m:1\n    type: image\n",
        "sync.yaml:7: sync[1].target: ",
    ),
    (
        "tags on an image entry",
        "  - source: HOST/a:1\n    target: HOST/m:1\n    type: image\n    tags: {latest: 1}\n",
        "sync.yaml:6: sync[0].tags: ",
    ),
];

#[test]
fn sync_refuses_bad_files_before_any_request() {
    let env = Env::new();
    for (what, entries, words) in CASES {
        let proxy = proxy();
        let text = format!("version: 1\nsync:\n{entries}").replace("HOST", &proxy.address());
        let path = file(&env, "sync.yaml", &text);
        for args in [vec![path.as_str()], vec!["--plan", path.as_str()]] {
            let run = sync(&env, &args);
            refused(&run, words);
            assert!(
                error_line(&run).contains(&format!("{}", env.dir.path().display())),
                "{what}: names the file: {}",
                run.stderr
            );
            assert_eq!(run.stdout, "", "{what}");
        }
        assert_eq!(
            proxy.requests(),
            Vec::<serde_json::Value>::new(),
            "{what}: requests went out"
        );
    }
}

#[test]
fn sync_refuses_a_repository_and_an_image_bound_for_one_tag_before_writing() {
    let env = Env::new();
    let proxy = proxy();
    let host = proxy.address();
    let (src, other, m) = (
        unique_repo("sync-overlap-src"),
        unique_repo("sync-overlap-other"),
        unique_repo("sync-overlap-m"),
    );
    push(&env, "overlap", &[at(&src, "1")]);
    push(&env, "overlap, other", &[at(&other, "1")]);
    let text = format!(
        "version: 1\nsync:\n  - source: {host}/{src}\n    target: {host}/{m}\n  \
         - source: {host}/{other}:1\n    target: {host}/{m}:1\n    type: image\n"
    );
    let path = file(&env, "sync.yaml", &text);
    for keep_going in [false, true] {
        let mut args = vec![path.as_str()];
        if keep_going {
            args.insert(0, "--keep-going");
        }
        let run = sync(&env, &args);
        refused(&run, &format!("{m}:1"));
        let error = error_line(&run);
        assert!(
            error.contains("sync.yaml:3") && error.contains("sync.yaml:5"),
            "{error}"
        );
    }
    wrote_nothing(&proxy.requests());
    assert!(tags(&m).is_empty());
}

#[test]
fn sync_refuses_a_bad_shard_and_a_lockfile_line_that_is_not_json() {
    let env = Env::new();
    let proxy = proxy();
    let host = proxy.address();
    let path = file(
        &env,
        "sync.yaml",
        &format!("version: 1\nsync:\n  - source: {host}/a\n    target: {host}/b\n"),
    );
    for shard in ["3/3", "1/0", "x"] {
        let run = sync(&env, &["--shard", shard, &path]);
        assert_ne!(run.code, 0, "{shard}: {}", run.stderr);
        assert!(
            run.stderr.contains("is not a shard"),
            "{shard}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    let good = format!(
        r#"{{"source":"docker://{host}/a","tag":"1","digest":"sha256:{}","target":"docker://{host}/b:1","reason":"new","parallel":1,"platforms":null,"referrers":false,"referrer_types":[],"compression":"keep"}}"#,
        "1".repeat(64)
    );
    let lock = file(&env, "sync.lock", &format!("{good}\nnot json\n"));
    let run = sync(&env, &["--from-lock", &lock]);
    refused(
        &run,
        &format!("{lock}:2: not a line of an ocipipe sync plan"),
    );
    // The good line alone is read (and fails only at the registry).
    let lock = file(
        &env,
        "bad-digest.lock",
        &good.replace(&"1".repeat(64), "12"),
    );
    let run = sync(&env, &["--from-lock", &lock]);
    refused(&run, &format!("{lock}:1"));
    assert_eq!(proxy.requests(), Vec::<serde_json::Value>::new());
}
