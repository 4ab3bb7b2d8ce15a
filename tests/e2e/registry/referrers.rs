//! `ocipipe copy --referrers`: an image's referrers (and theirs) copied
//! registry to registry. The real registry (2.8) has no referrers API, so
//! the target's tag schema index is what lists them; `artifact ls`,
//! skopeo and the oras SDK are the checks.

use super::{Env, refused, skopeo_raw};
use crate::artifact::oras;
use crate::harness::{registry, unique_repo};
use std::collections::BTreeSet;

const SBOM: &str = "application/vnd.example.sbom";
const SIGNATURE: &str = "application/vnd.example.signature";

/// [`Env::attach`] to an image of a registry without the referrers API;
/// the pushed digest.
fn attach(env: &Env, reference: &str, file: &str, artifact_type: &str, subject: &str) -> String {
    let pushed = env.attach(reference, file, artifact_type, subject);
    assert_eq!(pushed["referrers"], "tag-schema", "{pushed}");
    pushed["digest"].as_str().unwrap().to_string()
}

/// The (digest, artifactType) pairs `artifact ls REF` lists.
fn listed(env: &Env, reference: &str) -> BTreeSet<(String, String)> {
    env.json_ok(&["artifact", "ls", reference])
        .iter()
        .map(|r| {
            (
                r["digest"].as_str().unwrap().to_string(),
                r["artifact_type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The image, the digests of an SBOM and a signature of it, of a
/// signature of the SBOM, all at `repo` of the test registry.
struct Source {
    image: String,
    digest: String,
    sbom: String,
    signature: String,
    sbom_signature: String,
}

fn source(env: &Env, repo: &str) -> Source {
    let image = format!("{}/{repo}:1.0", registry());
    let copied = env.copy_ok(&[], &env.image("img", &[]), &format!("docker://{image}"));
    assert!(copied["referrers_copied"].is_null(), "{copied}");
    let sbom = attach(
        env,
        &format!("{}/{repo}:sbom", registry()),
        "sbom",
        SBOM,
        &image,
    );
    let signature = attach(
        env,
        &format!("{}/{repo}:sig", registry()),
        "sig",
        SIGNATURE,
        &image,
    );
    let sbom_signature = attach(
        env,
        &format!("{}/{repo}:sbom-sig", registry()),
        "sbom-sig",
        SIGNATURE,
        &format!("{}/{repo}:sbom", registry()),
    );
    Source {
        image,
        digest: copied["digest"].as_str().unwrap().to_string(),
        sbom,
        signature,
        sbom_signature,
    }
}

/// The entries of the tag schema index of `digest` in `repo`.
fn tag_schema(repo: &str, digest: &str) -> Vec<String> {
    let tag = digest.replace(':', "-");
    let index: serde_json::Value =
        serde_json::from_str(&skopeo_raw(&format!("{}/{repo}:{tag}", registry()))).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn copy_with_referrers_brings_them_and_theirs_once() {
    let env = Env::new();
    let from = unique_repo("referrers-src");
    let src = source(&env, &from);
    let pairs = |digests: &[(&String, &str)]| -> BTreeSet<(String, String)> {
        (digests.iter())
            .map(|(d, t)| (d.to_string(), t.to_string()))
            .collect()
    };
    let of_image = pairs(&[(&src.sbom, SBOM), (&src.signature, SIGNATURE)]);
    let of_sbom = pairs(&[(&src.sbom_signature, SIGNATURE)]);
    assert_eq!(listed(&env, &src.image), of_image);

    let to = unique_repo("referrers-dst");
    let target = format!("{}/{to}:1.0", registry());
    let source_ref = format!("docker://{}", src.image);
    let copied = env.copy_ok(&["--referrers"], &source_ref, &format!("docker://{target}"));
    assert_eq!(copied["digest"], src.digest.as_str());
    assert_eq!(copied["referrers_copied"], 3, "{copied}");
    assert_eq!(listed(&env, &target), of_image);
    let sbom_at_target = format!("{}/{to}@{}", registry(), src.sbom);
    assert_eq!(listed(&env, &sbom_at_target), of_sbom);

    // Again: nothing copied, nothing listed twice.
    let again = env.copy_ok(&["--referrers"], &source_ref, &format!("docker://{target}"));
    assert_eq!(again["referrers_copied"], 0, "{again}");
    assert_eq!(again["bytes_sent"], 0, "{again}");
    let mut entries = tag_schema(&to, &src.digest);
    assert_eq!(entries.len(), 2, "{entries:?}");
    entries.sort();
    entries.dedup();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(tag_schema(&to, &src.sbom), [src.sbom_signature.as_str()]);

    // skopeo reads the copied SBOM's manifest, which names the image as
    // its subject; the oras SDK pulls its file.
    let sbom: serde_json::Value = serde_json::from_str(&skopeo_raw(&sbom_at_target)).unwrap();
    assert_eq!(sbom["subject"]["digest"], src.digest.as_str());
    assert_eq!(sbom["artifactType"], SBOM);
    let pulled = env.path("pulled");
    let paths = oras(
        env.dir.path(),
        &["pull", &sbom_at_target, pulled.to_str().unwrap()],
    );
    assert_eq!(paths.len(), 1, "{paths:?}");
    let file = std::fs::read_to_string(pulled.join("sbom")).unwrap();
    assert_eq!(file, format!("sbom of {}\n", src.image));
}

#[test]
fn copy_with_a_referrer_type_brings_those_and_what_refers_to_them() {
    let env = Env::new();
    let from = unique_repo("referrers-src");
    let src = source(&env, &from);
    // Another repository, under another tag.
    let to = unique_repo("referrers-mirror");
    let target = format!("{}/{to}:mirrored", registry());
    let copied = env.copy_ok(
        &["--referrer-type", SBOM],
        &format!("docker://{}", src.image),
        &format!("docker://{target}"),
    );
    assert_eq!(copied["referrers_copied"], 2, "{copied}");
    let only_sbom: BTreeSet<_> = [(src.sbom.clone(), SBOM.to_string())].into();
    assert_eq!(listed(&env, &target), only_sbom);
    let sbom_at_target = format!("{}/{to}@{}", registry(), src.sbom);
    let of_sbom: BTreeSet<_> = [(src.sbom_signature.clone(), SIGNATURE.to_string())].into();
    assert_eq!(listed(&env, &sbom_at_target), of_sbom);

    // Then all of them: the signature joins the SBOM in the index, which
    // keeps what it listed.
    let copied = env.copy_ok(
        &["--referrer-type", SBOM, "--referrer-type", SIGNATURE],
        &format!("docker://{}", src.image),
        &format!("docker://{target}"),
    );
    assert_eq!(copied["referrers_copied"], 1, "{copied}");
    let both: BTreeSet<_> = [
        (src.sbom.clone(), SBOM.to_string()),
        (src.signature.clone(), SIGNATURE.to_string()),
    ]
    .into();
    assert_eq!(listed(&env, &target), both);
    let entries = tag_schema(&to, &src.digest);
    assert_eq!(entries, [src.sbom.clone(), src.signature.clone()]);
}

#[test]
fn copy_with_referrers_outside_registries_is_refused_before_any_work() {
    let env = Env::new();
    let layout = env.image("img", &[]);
    let to = unique_repo("referrers-refused");
    let target = format!("docker://{}/{to}:1.0", registry());
    let run = env.copy(&["--referrers"], &layout, &target);
    refused(
        &run,
        "both the source and the destination must be docker://",
    );
    let run = env.copy(
        &["--referrer-type", SBOM],
        &target,
        &format!("oci:{}", env.path("out").display()),
    );
    refused(
        &run,
        "both the source and the destination must be docker://",
    );
    assert!(!env.path("out").exists());
    assert!(!super::manifest_exists(&to, "1.0"));
}
