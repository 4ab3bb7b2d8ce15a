//! A mirror of many repositories through every filter, then the same sync
//! again, which must send one manifest `HEAD` per tag on each side and
//! nothing else.

use super::{at, count, file, proxy, push, results, sync, tags};
use crate::harness::{FaultProxy, build, unique_repo};
use crate::registry::{Env, skopeo_digest};
use std::collections::{BTreeMap, BTreeSet};

/// Two registry repositories, a layout and the sync file that mirrors
/// them (through `src` and `dst`, two hosts for one registry): what each
/// target tag must hold.
struct Mirror {
    env: Env,
    src: FaultProxy,
    dst: FaultProxy,
    file: String,
    /// target repository -> tag -> digest.
    expected: BTreeMap<String, BTreeMap<String, String>>,
}

fn mirror() -> Mirror {
    let env = Env::new();
    let (src, dst) = (proxy(), proxy());
    let (a, b) = (unique_repo("sync-a"), unique_repo("sync-b"));
    let mut digest = BTreeMap::new();
    for (repo, tag_sets) in [
        (
            &a,
            vec![
                vec!["1.0", "latest"],
                vec!["1.1"],
                vec!["2.0"],
                vec!["2.1-rc"],
                vec!["v3.0"],
            ],
        ),
        (&b, vec![vec!["1.0"], vec!["1.5"], vec!["2.0"]]),
    ] {
        for names in tag_sets {
            let refs: Vec<String> = names.iter().map(|t| at(repo, t)).collect();
            let d = push(&env, &format!("{repo} {names:?}"), &refs);
            for t in names {
                digest.insert((repo.clone(), t.to_string()), d.clone());
            }
        }
    }
    let layer = crate::harness::a_layer(&env.path("layout-src"), "data", "the layout");
    let layout = env.path("layout");
    let built = build(&[
        "--layer",
        layer.to_str().unwrap(),
        "-t",
        "app:1.0,app:1.1",
        "--oci-layout",
        layout.to_str().unwrap(),
    ]);
    let layout_digest = built["manifest_digest"].as_str().unwrap().to_string();
    let targets: Vec<String> = ["dst-a", "dst-b", "dst-m", "dst-c"]
        .iter()
        .map(|p| unique_repo(&format!("sync-{p}")))
        .collect();
    let (s, t) = (src.address(), dst.address());
    let text = format!(
        r#"version: 1
x-common: &common
  parallel: 2
  x-note: keys starting with x- are ignored
defaults:
  tags: {{allow: ['^1\.']}}
sync:
  - source: {s}/{a}
    target: {t}/{ta}
    <<: *common
    tags:
      allow: ['^v?[0-9]']
      deny: ['-rc']
      semver: '>=1.1'
      latest: 2
  - source: docker://{s}/{b}
    target: {t}/{tb}
    <<: *common
  - source: {s}/{a}:1.0
    target: {t}/{tm}:pinned
    type: image
  - source: oci:{layout}
    target: {t}/{tc}
    tags: {{semver: '>=0'}}
"#,
        ta = targets[0],
        tb = targets[1],
        tm = targets[2],
        tc = targets[3],
        layout = layout.display(),
    );
    let file = file(&env, "sync.yaml", &text);
    let of = |repo: &String, tag: &str| digest[&(repo.clone(), tag.to_string())].clone();
    let expected = BTreeMap::from([
        (
            targets[0].clone(),
            BTreeMap::from([
                ("2.0".into(), of(&a, "2.0")),
                ("v3.0".into(), of(&a, "v3.0")),
            ]),
        ),
        (
            targets[1].clone(),
            BTreeMap::from([("1.0".into(), of(&b, "1.0")), ("1.5".into(), of(&b, "1.5"))]),
        ),
        (
            targets[2].clone(),
            BTreeMap::from([("pinned".into(), of(&a, "1.0"))]),
        ),
        (
            targets[3].clone(),
            BTreeMap::from([
                ("1.0".into(), layout_digest.clone()),
                ("1.1".into(), layout_digest),
            ]),
        ),
    ]);
    Mirror {
        env,
        src,
        dst,
        file,
        expected,
    }
}

/// The images of `expected`, as `target` names them in result lines.
fn images(m: &Mirror) -> BTreeSet<String> {
    let t = m.dst.address();
    (m.expected.iter())
        .flat_map(|(repo, tags)| tags.keys().map(move |tag| format!("{repo}:{tag}")))
        .map(|image| format!("docker://{t}/{image}"))
        .collect()
}

#[test]
fn sync_mirrors_many_repositories_through_every_filter() {
    let m = mirror();
    let run = sync(&m.env, &[&m.file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (lines, summary) = results(&run);
    let mut seen = BTreeSet::new();
    let mut sent: BTreeMap<String, u64> = BTreeMap::new();
    for line in &lines {
        assert_eq!(line["action"], "copied", "{line}");
        assert!(line["error"].is_null(), "{line}");
        let target = line["target"].as_str().unwrap().to_string();
        let repo = target.rsplit_once(':').unwrap().0.to_string();
        *sent.entry(repo).or_default() += line["bytes_sent"].as_u64().unwrap();
        seen.insert(target);
    }
    // Each repository's blobs were sent; two tags of one image (the
    // layout's) send them once between them, so a line may send nothing.
    assert!(sent.values().all(|&n| n > 0), "{sent:?}");
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert_eq!(seen, images(&m), "{}", run.stdout);
    assert_eq!(lines.len(), 7, "{}", run.stdout);
    assert_eq!(summary["images"], 7, "{summary}");
    assert_eq!(summary["copied"], 7, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    let total: u64 = lines
        .iter()
        .map(|l| l["bytes_sent"].as_u64().unwrap())
        .sum();
    assert_eq!(summary["bytes_sent"], total, "{summary}");
    for (repo, expected) in &m.expected {
        let wanted: BTreeSet<String> = expected.keys().cloned().collect();
        assert_eq!(tags(repo), wanted, "the tags of {repo}");
        for (tag, digest) in expected {
            assert_eq!(&skopeo_digest(&at(repo, tag)), digest, "{repo}:{tag}");
        }
    }
    // Each line's digest is the source's.
    for line in &lines {
        let target = line["target"].as_str().unwrap();
        let (repo, tag) = target.rsplit_once(':').unwrap();
        let repo = repo
            .rsplit_once(&format!("{}/", m.dst.address()))
            .unwrap()
            .1;
        assert_eq!(line["digest"], m.expected[repo][tag].as_str(), "{line}");
    }
}

#[test]
fn a_sync_that_changes_nothing_sends_one_head_per_tag_on_each_side() {
    let m = mirror();
    let first = sync(&m.env, &[&m.file]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let (src_before, dst_before) = (m.src.requests().len(), m.dst.requests().len());

    let again = sync(&m.env, &[&m.file]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let (lines, summary) = results(&again);
    assert_eq!(lines.len(), 7, "{}", again.stdout);
    for line in &lines {
        assert_eq!(line["action"], "unchanged", "{line}");
        assert_eq!(line["bytes_sent"], 0, "{line}");
    }
    assert_eq!(summary["unchanged"], 7, "{summary}");
    assert_eq!(summary["bytes_sent"], 0, "{summary}");

    let src_log = m.src.requests().split_off(src_before);
    let dst_log = m.dst.requests().split_off(dst_before);
    // The source: the two repositories' tag lists (one page each) and a
    // HEAD per selected tag (2 + 2, and the image entry's 1).
    assert_eq!(count(&src_log, "GET", "/tags/list"), 2, "{src_log:?}");
    let src_heads = heads(&src_log);
    assert_eq!(src_heads.len(), 5, "{src_log:?}");
    assert_eq!(
        src_heads.iter().collect::<BTreeSet<_>>().len(),
        5,
        "{src_heads:?}"
    );
    // The target: a HEAD per target tag, and no tag list.
    let heads = heads(&dst_log);
    let expected: BTreeSet<String> = (m.expected.iter())
        .flat_map(|(repo, tags)| {
            tags.keys()
                .map(move |t| format!("/v2/{repo}/manifests/{t}"))
        })
        .collect();
    assert_eq!(heads.len(), 7, "{dst_log:?}");
    assert_eq!(heads.into_iter().collect::<BTreeSet<_>>(), expected);
    for log in [&src_log, &dst_log] {
        for r in log.iter() {
            let (method, path) = (r["method"].as_str().unwrap(), r["path"].as_str().unwrap());
            let allowed = (method == "HEAD" && path.contains("/manifests/"))
                || (method == "GET" && (path == "/v2/" || path.contains("/tags/list")));
            assert!(allowed, "a no-op re-sync sent {method} {path}: {log:?}");
        }
        // One ping per host: the client is shared by every repository.
        assert_eq!(
            count(log, "GET", "/v2/") - count(log, "GET", "/tags/list"),
            1
        );
    }
    assert_eq!(count(&dst_log, "GET", "/tags/list"), 0, "{dst_log:?}");
    // Nothing else: 1 ping + 2 tag lists + 5 HEADs, and 1 ping + 7 HEADs.
    assert_eq!(
        (src_log.len(), dst_log.len()),
        (8, 8),
        "{src_log:?}\n{dst_log:?}"
    );
    assert_eq!(count(&src_log, "HEAD", "/blobs/"), 0);
    assert_eq!(count(&dst_log, "HEAD", "/blobs/"), 0);
}

/// The paths of the manifest `HEAD`s of `log`.
fn heads(log: &[serde_json::Value]) -> Vec<String> {
    log.iter()
        .filter(|r| r["method"] == "HEAD" && r["path"].as_str().unwrap().contains("/manifests/"))
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect()
}
