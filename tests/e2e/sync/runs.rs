//! Runs of a sync: referrers that arrive filtered by artifactType, shards
//! run at once covering every image once, and `--keep-going` past a
//! broken entry.

use super::{at, file, proxy, push, results, set, sync, tags};
use crate::harness::{registry, unique_repo};
use crate::registry::Env;
use std::collections::{BTreeMap, BTreeSet};

const SBOM: &str = "application/vnd.example.sbom";
const SIGNATURE: &str = "application/vnd.example.signature";

/// An artifact of `artifact_type` pushed to `reference`, its subject
/// `subject`; its digest.
fn attach(env: &Env, reference: &str, artifact_type: &str, subject: &str) -> String {
    let file = artifact_type.rsplit('.').next().unwrap();
    env.attach(reference, file, artifact_type, subject)["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn sync_brings_the_referrers_of_the_wanted_type() {
    let env = Env::new();
    let (src, dst) = (unique_repo("sync-ref-src"), unique_repo("sync-ref-dst"));
    let image = at(&src, "1.0");
    let digest = push(&env, "with referrers", std::slice::from_ref(&image));
    let sbom = attach(&env, &at(&src, "sbom"), SBOM, &image);
    attach(&env, &at(&src, "sig"), SIGNATURE, &image);
    let text = format!(
        "version: 1\ndefaults:\n  referrers: true\n  referrer-types: ['{SBOM}']\nsync:\n  \
         - source: {image}\n    target: {}\n    type: image\n",
        at(&dst, "1.0")
    );
    let sync_file = file(&env, "sync.yaml", &text);
    let run = sync(&env, &[&sync_file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (lines, _) = results(&run);
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert_eq!(lines[0]["action"], "copied", "{}", lines[0]);
    assert_eq!(lines[0]["digest"], digest.as_str());
    assert_eq!(lines[0]["referrers_copied"], 1, "{}", lines[0]);
    let listed: BTreeSet<(String, String)> = env
        .json_ok(&["artifact", "ls", &at(&dst, "1.0")])
        .iter()
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap().to_string();
            (field("digest"), field("artifact_type"))
        })
        .collect();
    assert_eq!(listed, BTreeSet::from([(sbom, SBOM.to_string())]));
    // The registry has no referrers API: the tag schema index lists it.
    let schema = format!("sha256-{}", digest.strip_prefix("sha256:").unwrap());
    assert_eq!(tags(&dst), set(&["1.0", &schema]));

    // Again: nothing more.
    let run = sync(&env, &[&sync_file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (lines, _) = results(&run);
    assert_eq!(lines[0]["action"], "unchanged", "{}", lines[0]);
    assert_eq!(lines[0]["referrers_copied"], 0, "{}", lines[0]);
    assert_eq!(lines[0]["bytes_sent"], 0, "{}", lines[0]);
}

#[test]
fn sync_shards_run_at_once_cover_every_image_once() {
    let env = Env::new();
    let src = unique_repo("sync-shard-src");
    push(&env, "shard a", &[at(&src, "a")]);
    push(&env, "shard b", &[at(&src, "b")]);
    let targets: Vec<String> = (0..5)
        .map(|i| unique_repo(&format!("sync-shard{i}")))
        .collect();
    let mut text = String::from("version: 1\nsync:\n");
    for target in &targets {
        let r = registry();
        text.push_str(&format!(
            "  - source: {r}/{src}\n    target: {r}/{target}\n"
        ));
    }
    let sync_file = file(&env, "sync.yaml", &text);
    let plan = sync(&env, &["--plan", &sync_file]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let planned: BTreeSet<String> = (plan.json_lines().iter())
        .map(|l| l["target"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(planned.len(), 10, "{}", plan.stdout);

    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|i| {
                let (env, sync_file) = (&env, &sync_file);
                scope.spawn(move || {
                    let shard = format!("{i}/3");
                    sync(env, &["--shard", &shard, sync_file])
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut shard_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut repos_of: Vec<BTreeSet<String>> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(run.code, 0, "shard {i}: {}", run.stderr);
        let (lines, _) = results(run);
        assert!(
            !lines.is_empty(),
            "shard {i} took nothing: 5 repositories over 3"
        );
        let mut repos = BTreeSet::new();
        for line in lines {
            assert_eq!(line["action"], "copied", "shard {i}: {line}");
            let target = line["target"].as_str().unwrap().to_string();
            repos.insert(target.rsplit_once(':').unwrap().0.to_string());
            let before = shard_of.insert(target.clone(), i);
            assert!(before.is_none(), "{target} in shards {before:?} and {i}");
        }
        repos_of.push(repos);
    }
    assert_eq!(shard_of.keys().cloned().collect::<BTreeSet<_>>(), planned);
    for (i, a) in repos_of.iter().enumerate() {
        for b in &repos_of[i + 1..] {
            assert!(a.is_disjoint(b), "a repository split: {a:?} {b:?}");
        }
    }
    for target in &targets {
        assert_eq!(tags(target), set(&["a", "b"]), "{target}");
    }
}

#[test]
fn sync_keep_going_copies_past_a_missing_repository() {
    let env = Env::new();
    let proxy = proxy();
    let host = proxy.address();
    let src = unique_repo("sync-kg-src");
    push(&env, "keep going", &[at(&src, "1")]);
    let missing = unique_repo("sync-kg-missing");
    let (t1, t2, t3) = (
        unique_repo("sync-kg-t1"),
        unique_repo("sync-kg-t2"),
        unique_repo("sync-kg-t3"),
    );
    let text = format!(
        "version: 1\nsync:\n  - source: {host}/{src}\n    target: {host}/{t1}\n  \
         - source: {host}/{missing}\n    target: {host}/{t2}\n  \
         - source: {host}/{src}:1\n    target: {host}/{t3}:1\n    type: image\n"
    );
    let sync_file = file(&env, "sync.yaml", &text);

    // Without --keep-going the plan fails first: nothing copied.
    let run = sync(&env, &[&sync_file]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains(&missing), "{}", run.stderr);
    assert!(
        run.stderr.contains("sync.yaml:5"),
        "names the entry: {}",
        run.stderr
    );
    assert!(
        tags(&t1).is_empty() && tags(&t3).is_empty(),
        "copied before failing"
    );
    super::wrote_nothing(&proxy.requests());

    let run = sync(&env, &["--keep-going", &sync_file]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (lines, summary) = results(&run);
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    let failed: Vec<_> = lines.iter().filter(|l| l["action"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{}", run.stdout);
    assert!(
        failed[0]["target"].as_str().unwrap().contains(&t2),
        "{}",
        failed[0]
    );
    assert!(
        failed[0]["error"].as_str().unwrap().contains(&missing),
        "{}",
        failed[0]
    );
    assert_eq!(summary["failed"], 1, "{summary}");
    assert_eq!(summary["copied"], 2, "{summary}");
    assert_eq!(tags(&t1), set(&["1"]));
    assert_eq!(tags(&t3), set(&["1"]));
    assert!(tags(&t2).is_empty());
}
