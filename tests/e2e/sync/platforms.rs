//! Some platforms of an index: one copies that platform's image, several a
//! new index of theirs; a re-sync finds either unchanged.

use super::{at, file, results, sync};
use crate::harness::{registry, unique_repo};
use crate::registry::{Env, skopeo_digest, skopeo_raw};

#[test]
fn sync_copies_some_platforms_of_an_index_and_finds_them_unchanged_after() {
    let env = Env::new();
    let multi = env.multi_platform("multi", &["amd64", "arm64", "ppc64le"]);
    let (amd, arm) = (&multi.digests[0], &multi.digests[1]);
    let src = unique_repo("sync-plat-src");
    env.copy_ok(&[], &multi.source, &format!("docker://{}", at(&src, "1.0")));
    let (two, one) = (unique_repo("sync-plat-two"), unique_repo("sync-plat-one"));
    let reg = registry();
    let text = format!(
        "version: 1\nsync:\n  - source: {reg}/{src}\n    target: {reg}/{two}\n    \
         platforms: [linux/amd64, linux/arm64]\n  - source: {reg}/{src}\n    \
         target: {reg}/{one}\n    platforms: [linux/arm64]\n"
    );
    let sync_file = file(&env, "sync.yaml", &text);

    let run = sync(&env, &[&sync_file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (lines, summary) = results(&run);
    assert_eq!(summary["copied"], 2, "{}", run.stdout);
    for line in &lines {
        assert_eq!(
            line["digest"],
            format!("sha256:{}", multi.index_hex),
            "{line}"
        );
    }
    // One platform: that platform's image, byte for byte.
    assert_eq!(&skopeo_digest(&at(&one, "1.0")), arm);
    // Two: an index listing exactly those two, with their platforms.
    let raw: serde_json::Value = serde_json::from_str(&skopeo_raw(&at(&two, "1.0"))).unwrap();
    let listed: Vec<(&str, &str)> = raw["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["digest"].as_str().unwrap(),
                m["platform"]["architecture"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [(amd.as_str(), "amd64"), (arm.as_str(), "arm64")],
        "{raw}"
    );

    let again = sync(&env, &[&sync_file]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let (lines, summary) = results(&again);
    assert_eq!(summary["unchanged"], 2, "{}", again.stdout);
    for line in &lines {
        assert_eq!(line["action"], "unchanged", "{line}");
        assert_eq!(line["bytes_sent"], 0, "{line}");
    }
}
