//! What the test registry holds: blobs (kept once, linked into each
//! repository that has them), manifests and tags by repository, the
//! referrers of each subject, open upload sessions, issued tokens, the
//! behaviours in force and the request log.

use super::{Behaviour, Logged};
use crate::model::Digest;
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A manifest as stored.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    /// The `Content-Type` it was put with.
    pub media_type: String,
    /// Its exact bytes.
    pub bytes: Bytes,
}

/// An upload session.
#[derive(Debug)]
pub(super) struct Upload {
    /// The repository it was started in.
    pub name: String,
    /// What it got so far.
    pub bytes: Vec<u8>,
    /// Whether a `PATCH` went to it.
    pub patched: bool,
}

/// An access a token grants: `(repository name, action)`.
pub(super) type Grant = (String, String);

/// The whole state, behind one lock.
#[derive(Debug, Default)]
pub(super) struct State {
    /// Blob bytes by digest.
    blobs: HashMap<String, Bytes>,
    /// `(repository, digest)` of each blob a repository has.
    links: BTreeSet<(String, String)>,
    /// Manifests by `(repository, digest)`.
    manifests: HashMap<(String, String), Stored>,
    /// Digests by `(repository, tag)`.
    tag_map: BTreeMap<(String, String), String>,
    /// Referrer descriptors (JSON) by `(repository, subject digest)`, in
    /// the order they were put.
    pub referrers: BTreeMap<(String, String), Vec<serde_json::Value>>,
    /// Open sessions by id.
    pub uploads: HashMap<String, Upload>,
    /// Granted accesses by token.
    pub tokens: HashMap<String, Vec<Grant>>,
    /// For ids of sessions and tokens.
    next_id: u64,
    /// What is switched on.
    pub behaviour: Behaviour,
    /// Every request.
    pub log: Vec<Logged>,
    /// Requests being answered now (their heads not yet given).
    pub in_flight: usize,
    /// The most that ever were at once.
    pub most_in_flight: usize,
}

impl State {
    /// A new id, `PREFIX<n>`.
    pub fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    /// Stores `bytes` and links them into `name`; their digest.
    pub fn add_blob(&mut self, name: &str, bytes: Vec<u8>) -> Digest {
        let digest = Digest::sha256(&bytes);
        self.blobs
            .insert(digest.as_str().to_string(), Bytes::from(bytes));
        self.link(name, digest.as_str());
        digest
    }

    /// Links the stored blob `digest` into `name`.
    pub fn link(&mut self, name: &str, digest: &str) {
        self.links.insert((name.to_string(), digest.to_string()));
    }

    /// The blob `digest`, if `name` has it.
    pub fn blob(&self, name: &str, digest: &str) -> Option<Bytes> {
        if !self.links.contains(&(name.to_string(), digest.to_string())) {
            return None;
        }
        self.blobs.get(digest).cloned()
    }

    /// The blob `digest`, whichever repository has it.
    pub fn any_blob(&self, digest: &str) -> Option<Bytes> {
        self.blobs.get(digest).cloned()
    }

    /// Stores a manifest in `name`, tagged `tag` if given; its digest.
    pub fn add_manifest(
        &mut self,
        name: &str,
        tag: Option<&str>,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Digest {
        let digest = Digest::sha256(&bytes);
        let stored = Stored {
            media_type: media_type.to_string(),
            bytes: Bytes::from(bytes),
        };
        self.manifests
            .insert((name.to_string(), digest.as_str().to_string()), stored);
        if let Some(tag) = tag {
            self.tag_map.insert(
                (name.to_string(), tag.to_string()),
                digest.as_str().to_string(),
            );
        }
        digest
    }

    /// The digest `reference` (a tag or a digest) names in `name`.
    pub fn resolve(&self, name: &str, reference: &str) -> Option<String> {
        let digest = if Digest::parse(reference).is_ok() {
            reference.to_string()
        } else {
            self.tag_map
                .get(&(name.to_string(), reference.to_string()))?
                .clone()
        };
        self.manifests
            .contains_key(&(name.to_string(), digest.clone()))
            .then_some(digest)
    }

    /// The manifest `reference` names in `name`.
    pub fn manifest(&self, name: &str, reference: &str) -> Option<&Stored> {
        let digest = self.resolve(name, reference)?;
        self.manifests.get(&(name.to_string(), digest))
    }

    /// Deletes the manifest `digest` of `name` and the tags naming it;
    /// whether there was one.
    pub fn delete_manifest(&mut self, name: &str, digest: &str) -> bool {
        let removed = self
            .manifests
            .remove(&(name.to_string(), digest.to_string()))
            .is_some();
        self.tag_map
            .retain(|(repo, _), d| !(repo == name && d == digest));
        removed
    }

    /// The tags of `name`, sorted.
    /// Whether repository `name` holds anything (a blob or a manifest).
    pub fn has_repository(&self, name: &str) -> bool {
        self.links.iter().any(|(repo, _)| repo == name)
            || self.manifests.keys().any(|(repo, _)| repo == name)
    }

    pub fn tags(&self, name: &str) -> Vec<String> {
        self.tag_map
            .keys()
            .filter(|(repo, _)| repo == name)
            .map(|(_, tag)| tag.clone())
            .collect()
    }
}
