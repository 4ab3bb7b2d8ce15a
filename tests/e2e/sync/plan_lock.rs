//! `--plan` (nothing written), `--lock` and `--from-lock` (the locked
//! digests copied after the source's tag moved, no tag resolved).

use super::{at, count, file, proxy, push, results, set, sync, tags, wrote_nothing};
use crate::harness::{FaultProxy, unique_repo};
use crate::registry::{Env, skopeo_digest};

/// A source repository with tags `same` (already at the target), `stale`
/// (the target's names another image) and `fresh` (not at the target),
/// and the sync file that mirrors it through one proxy.
struct Staged {
    env: Env,
    proxy: FaultProxy,
    file: String,
    src: String,
    dst: String,
    same: String,
    stale_src: String,
    stale_dst: String,
    fresh: String,
}

fn staged() -> Staged {
    let env = Env::new();
    let proxy = proxy();
    let (src, dst) = (unique_repo("sync-plan-src"), unique_repo("sync-plan-dst"));
    let same = push(&env, "same", &[at(&src, "same"), at(&dst, "same")]);
    let stale_src = push(&env, "stale at the source", &[at(&src, "stale")]);
    let stale_dst = push(&env, "stale at the target", &[at(&dst, "stale")]);
    let fresh = push(&env, "fresh", &[at(&src, "fresh")]);
    let host = proxy.address();
    let file = file(
        &env,
        "sync.yaml",
        &format!("version: 1\nsync:\n  - source: {host}/{src}\n    target: {host}/{dst}\n"),
    );
    Staged {
        env,
        proxy,
        file,
        src,
        dst,
        same,
        stale_src,
        stale_dst,
        fresh,
    }
}

#[test]
fn sync_plan_says_new_changed_unchanged_and_writes_nothing() {
    let s = staged();
    let run = sync(&s.env, &["--plan", &s.file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 3, "one line per image: {}", run.stdout);
    let host = s.proxy.address();
    for (tag, digest, reason) in [
        ("same", &s.same, "unchanged"),
        ("stale", &s.stale_src, "changed"),
        ("fresh", &s.fresh, "new"),
    ] {
        let line = lines
            .iter()
            .find(|l| l["tag"] == tag)
            .unwrap_or_else(|| panic!("no line for {tag}: {}", run.stdout));
        assert_eq!(line["reason"], reason, "{line}");
        assert_eq!(line["digest"], digest.as_str(), "{line}");
        assert_eq!(
            line["source"],
            format!("docker://{host}/{}", s.src),
            "{line}"
        );
        assert_eq!(
            line["target"],
            format!("docker://{host}/{}:{tag}", s.dst),
            "{line}"
        );
    }
    wrote_nothing(&s.proxy.requests());
    assert_eq!(tags(&s.dst), set(&["same", "stale"]));
    assert_eq!(skopeo_digest(&at(&s.dst, "stale")), s.stale_dst);
}

#[test]
fn sync_from_lock_copies_the_locked_digests_after_a_tag_moved() {
    let s = staged();
    let lock = s.env.path("sync.lock");
    let lock_str = lock.to_str().unwrap();
    let run = sync(&s.env, &["--plan", "--lock", lock_str, &s.file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "", "with --lock the plan goes to the file only");
    let locked = std::fs::read_to_string(&lock).unwrap();
    assert_eq!(locked.lines().count(), 3, "{locked}");
    wrote_nothing(&s.proxy.requests());
    assert_eq!(tags(&s.dst), set(&["same", "stale"]));

    // The source's `fresh` moves to another image.
    let moved = push(&s.env, "fresh, moved", &[at(&s.src, "fresh")]);
    assert_ne!(moved, s.fresh);
    let before = s.proxy.requests().len();
    let run = sync(&s.env, &["--from-lock", lock_str]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (lines, summary) = results(&run);
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert_eq!(summary["copied"], 2, "{summary}");
    assert_eq!(summary["unchanged"], 1, "{summary}");
    assert_eq!(
        skopeo_digest(&at(&s.dst, "fresh")),
        s.fresh,
        "the locked digest"
    );
    assert_eq!(skopeo_digest(&at(&s.dst, "stale")), s.stale_src);
    assert_eq!(skopeo_digest(&at(&s.dst, "same")), s.same);
    let log = s.proxy.requests().split_off(before);
    assert_eq!(
        count(&log, "GET", "/tags/list"),
        0,
        "no tag resolved: {log:?}"
    );
    assert_eq!(
        count(&log, "HEAD", &format!("{}/manifests/fresh", s.src)),
        0,
        "the source's tag is not asked: {log:?}"
    );

    // A locked digest the source no longer has (never had) fails its image.
    let gone = format!("sha256:{}", "0".repeat(64));
    let line = locked.lines().find(|l| l.contains(&s.fresh)).unwrap();
    let line = line.replace(&s.fresh, &gone).replace(":fresh\"", ":gone\"");
    let bad = file(&s.env, "gone.lock", &format!("{line}\n"));
    let run = sync(&s.env, &["--from-lock", &bad]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (lines, summary) = results(&run);
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert_eq!(lines[0]["action"], "failed", "{}", lines[0]);
    let error = lines[0]["error"].as_str().unwrap();
    eprintln!("a gone digest: {error}");
    assert!(
        error.starts_with(&format!("{bad}:1: ")),
        "names the lock's line: {error}"
    );
    assert!(error.contains(&s.src), "names the source: {error}");
    assert_eq!(lines[0]["digest"], gone.as_str());
    assert_eq!(summary["failed"], 1, "{summary}");
    assert!(!tags(&s.dst).contains("gone"));
}
