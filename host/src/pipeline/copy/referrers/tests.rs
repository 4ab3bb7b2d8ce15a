//! `copy_referrers` against the in-process registry, with its referrers
//! API and without it (the tag schema).

use super::{ReferrersCopied, copy_referrers};
use crate::model::{Digest, Quiet, Reference};
use crate::pipeline::Error;
use crate::pipeline::build::Operations;
use crate::pipeline::copy::{CopyContext, RegistryAccess};
use crate::registry::test_registry::{Auth, TestRegistry, test_policy};
use crate::registry::{CredentialStore, TlsSettings, Transports};
use serde_json::{Value, json};

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const EMPTY: &str = "application/vnd.oci.empty.v1+json";

/// The registry, with an image at `src` and the digest of its manifest.
struct Fixture {
    registry: TestRegistry,
    image: Digest,
}

impl Fixture {
    fn new(api: bool) -> Self {
        let registry = TestRegistry::start(Auth::None);
        registry.behave(|b| b.no_referrers_api = !api);
        let (config, layer) = (br#"{"architecture":"amd64","os":"linux"}"#, b"a layer");
        let manifest = json!({"schemaVersion": 2, "mediaType": MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": registry.add_blob("src", config), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": registry.add_blob("src", layer), "size": layer.len()}]});
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let image = registry.add_manifest("src", Some("1"), MANIFEST, &bytes);
        registry.add_manifest("dst", Some("1"), MANIFEST, &bytes);
        registry.add_blob("dst", config);
        registry.add_blob("dst", layer);
        Self { registry, image }
    }

    /// Puts into `src` an artifact of `artifact_type` whose file is
    /// `content`, referring to `subject`; its digest. With the API on,
    /// the registry indexes it; without, it is added to the tag schema
    /// index as `artifact push` adds it.
    fn attach(&self, artifact_type: &str, content: &[u8], subject: &Digest) -> Digest {
        let empty = self.registry.add_blob("src", b"{}");
        let file = self.registry.add_blob("src", content);
        let manifest = json!({"schemaVersion": 2, "mediaType": MANIFEST,
            "artifactType": artifact_type,
            "config": {"mediaType": EMPTY, "digest": empty, "size": 2},
            "layers": [{"mediaType": "text/plain", "digest": file, "size": content.len()}],
            "subject": {"mediaType": MANIFEST, "digest": subject, "size": 1}});
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let client = self.registry.client(None);
        let repository = self.registry.pushing(&client, "src", &[]);
        let runtime = runtime();
        let digest = Digest::sha256(&bytes);
        let (_, indexed) = runtime
            .block_on(repository.put_referrer(digest.as_str(), MANIFEST, &bytes))
            .unwrap();
        if !indexed {
            let entry = json!({"mediaType": MANIFEST, "digest": digest, "size": bytes.len(),
                               "artifactType": artifact_type});
            self.add_to_index("src", subject, entry);
        }
        digest
    }

    /// Adds `entry` to the tag schema index of `subject` in `repo`.
    fn add_to_index(&self, repo: &str, subject: &Digest, entry: Value) {
        let tag = subject.as_str().replace(':', "-");
        let mut index = match self.registry.manifest(repo, &tag) {
            Some((_, bytes)) => serde_json::from_slice(&bytes).unwrap(),
            None => json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": []}),
        };
        index["manifests"].as_array_mut().unwrap().push(entry);
        let bytes = serde_json::to_vec(&index).unwrap();
        self.registry.add_manifest(repo, Some(&tag), INDEX, &bytes);
    }

    fn reference(&self, path: &str) -> Reference {
        let domain = self.registry.host();
        Reference {
            name: format!("{domain}/{path}"),
            domain: domain.clone(),
            path: path.to_string(),
            tag: Some("1".into()),
            digest: None,
            full: format!("{domain}/{path}:1"),
            familiar: format!("{domain}/{path}:1"),
        }
    }

    /// `copy_referrers` of the image from `src` to `dst`.
    fn copy(&self, types: &[&str]) -> Result<ReferrersCopied, Error> {
        let components = crate::pipeline::lazy_base_tests::components();
        let ops = Operations::new(components, &Quiet).unwrap();
        let runtime = runtime();
        let access = RegistryAccess::new(
            CredentialStore::new("/nonexistent/ocipipe-test/config.json".into()),
            Vec::new(),
            Transports::new(
                test_policy(),
                TlsSettings {
                    certs_dirs: Vec::new(),
                    extra_roots: Vec::new(),
                },
            )
            .unwrap(),
            2,
        );
        let ctx = CopyContext {
            ops: &ops,
            runtime: &runtime,
            engine: None,
            access: &access,
            platforms: Vec::new(),
            compression: None,
        };
        let types: Vec<String> = types.iter().map(|t| t.to_string()).collect();
        copy_referrers(
            &ctx,
            &self.reference("src"),
            &self.reference("dst"),
            &self.image,
            &types,
        )
    }

    /// The digests the tag schema index of `subject` in `repo` lists.
    fn indexed(&self, repo: &str, subject: &Digest) -> Vec<String> {
        let tag = subject.as_str().replace(':', "-");
        let Some((_, bytes)) = self.registry.manifest(repo, &tag) else {
            return Vec::new();
        };
        let index: Value = serde_json::from_slice(&bytes).unwrap();
        (index["manifests"].as_array().unwrap().iter())
            .map(|m| m["digest"].as_str().unwrap().to_string())
            .collect()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn with_the_api_the_target_indexes_them_and_no_tag_is_written() {
    let f = Fixture::new(true);
    let sbom = f.attach("application/vnd.example.sbom", b"sbom", &f.image);
    let signature = f.attach("application/vnd.example.sig", b"sig", &sbom);
    let copied = f.copy(&[]).unwrap();
    assert_eq!(copied.copied, 2);
    // Mounted from `src`, the same registry: nothing sent, yet there.
    assert_eq!(copied.bytes_sent, 0);
    assert!(f.registry.blob("dst", &Digest::sha256(b"sbom")).is_some());
    assert!(f.registry.manifest("dst", sbom.as_str()).is_some());
    assert!(f.registry.manifest("dst", signature.as_str()).is_some());
    assert_eq!(f.registry.tags("dst"), ["1"], "no tag schema tag");
    // The registry lists them: nothing is copied again.
    f.registry.clear_log();
    assert_eq!(f.copy(&[]).unwrap(), ReferrersCopied::default());
    let puts = (f.registry.lines().iter())
        .filter(|l| l.starts_with("PUT") || l.starts_with("POST"))
        .count();
    assert_eq!(puts, 0, "{:?}", f.registry.lines());
}

#[test]
fn without_the_api_the_index_is_merged_once_and_filtered_by_type() {
    let f = Fixture::new(false);
    let sbom = f.attach("application/vnd.example.sbom", b"sbom", &f.image);
    let signature = f.attach("application/vnd.example.sig", b"sig", &f.image);
    let of_sbom = f.attach("application/vnd.example.sig", b"sig of sbom", &sbom);
    // The target already lists a referrer of its own: it is kept.
    let theirs = f.registry.add_manifest("dst", None, MANIFEST, b"{}");
    f.add_to_index(
        "dst",
        &f.image,
        json!({"mediaType": MANIFEST, "digest": theirs, "size": 1}),
    );
    let copied = f.copy(&["application/vnd.example.sbom"]).unwrap();
    assert_eq!(copied.copied, 2, "the SBOM and its signature");
    assert_eq!(
        f.indexed("dst", &f.image),
        [theirs.to_string(), sbom.to_string()]
    );
    assert_eq!(f.indexed("dst", &sbom), [of_sbom.to_string()]);
    assert!(f.registry.manifest("dst", signature.as_str()).is_none());

    let copied = f.copy(&[]).unwrap();
    assert_eq!(copied.copied, 1, "the image's signature alone");
    assert_eq!(
        f.indexed("dst", &f.image),
        [theirs.to_string(), sbom.to_string(), signature.to_string()]
    );
    assert_eq!(f.copy(&[]).unwrap().copied, 0);
    assert_eq!(f.indexed("dst", &f.image).len(), 3);
}

#[test]
fn a_referrer_that_cannot_be_copied_fails_naming_it() {
    let f = Fixture::new(false);
    // Listed at the source, but its manifest is not there.
    let gone = Digest::sha256(b"gone");
    f.add_to_index(
        "src",
        &f.image,
        json!({"mediaType": MANIFEST, "digest": gone, "size": 4,
               "artifactType": "application/vnd.example.sbom"}),
    );
    let error = f.copy(&[]).unwrap_err();
    assert!(matches!(&error, Error::Referrer { digest, .. } if digest == &gone));
    let message = error.to_string();
    assert!(message.contains(gone.as_str()), "{message}");
    assert!(
        message.contains("application/vnd.example.sbom"),
        "{message}"
    );
    assert!(f.indexed("dst", &f.image).is_empty(), "nothing indexed");
}

#[test]
fn referrers_of_referrers_stop_at_the_depth_bound() {
    let f = Fixture::new(false);
    let mut subject = f.image.clone();
    let mut chain = Vec::new();
    for level in 0..super::MAX_DEPTH + 1 {
        subject = f.attach(
            "application/vnd.example.sig",
            format!("level {level}").as_bytes(),
            &subject,
        );
        chain.push(subject.clone());
    }
    let copied = f.copy(&[]).unwrap();
    assert_eq!(copied.copied, super::MAX_DEPTH as u64);
    for (level, digest) in chain.iter().enumerate() {
        let there = f.registry.manifest("dst", digest.as_str()).is_some();
        assert_eq!(there, level < super::MAX_DEPTH, "level {level}");
    }
}
