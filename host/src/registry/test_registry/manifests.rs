//! The test registry's manifests and referrers: `GET`/`HEAD` honouring
//! `Accept`, `PUT` checked as distribution checks it (the body's
//! `mediaType` agrees with `Content-Type`, a digest reference with the
//! bytes, every blob and child manifest named is in the repository), the
//! referrers of each subject and `OCI-Subject`, and the referrers API
//! (filtered by `artifactType`, paged with `Link`).

use super::routes::{Answer, Call, json, refuse, respond, whole};
use super::state::State;
use crate::model::Digest;
use bytes::Bytes;
use hyper::StatusCode;
use serde_json::Value;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";

/// Whether an `Accept` value takes `media_type`.
fn accepts(accept: &str, media_type: &str) -> bool {
    accept.split(',').any(|entry| {
        let entry = entry.split(';').next().unwrap_or("").trim();
        entry == media_type || entry == "*/*"
    })
}

/// The first blob or child manifest `manifest` names that `name` lacks.
fn missing(state: &State, name: &str, media_type: &str, manifest: &Value) -> Option<String> {
    let digests = |field: &str| -> Vec<&Value> {
        manifest
            .get(field)
            .and_then(Value::as_array)
            .map(|entries| entries.iter().collect())
            .unwrap_or_default()
    };
    let digest_of = |entry: &Value| {
        entry
            .get("digest")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match media_type {
        OCI_MANIFEST | DOCKER_MANIFEST => {
            let config = manifest.get("config").into_iter();
            // A foreign layer (one with `urls`) is not in the registry.
            let layers = digests("layers").into_iter().filter(|l| {
                l.get("urls")
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty)
            });
            config
                .chain(layers)
                .filter_map(digest_of)
                .find(|d| state.blob(name, d).is_none())
        }
        OCI_INDEX | DOCKER_LIST => digests("manifests")
            .into_iter()
            .filter_map(digest_of)
            .find(|d| state.resolve(name, d).is_none()),
        _ => None,
    }
}

/// The descriptor the referrers API lists for a manifest: its type is
/// its `artifactType`, else its config's media type.
fn referrer(media_type: &str, digest: &Digest, size: usize, manifest: &Value) -> Value {
    let mut descriptor = serde_json::json!({
        "mediaType": media_type,
        "digest": digest.as_str(),
        "size": size,
    });
    let artifact_type = manifest
        .get("artifactType")
        .or_else(|| manifest.get("config").and_then(|c| c.get("mediaType")));
    if let Some(artifact_type) = artifact_type {
        descriptor["artifactType"] = artifact_type.clone();
    }
    if let Some(annotations) = manifest.get("annotations") {
        descriptor["annotations"] = annotations.clone();
    }
    descriptor
}

impl Call<'_> {
    /// `GET` or `HEAD` of a manifest by tag or digest.
    pub(super) fn get_manifest(&self, name: &str, reference: &str) -> Answer {
        let state = self.state();
        let unknown = |message: &str| refuse(StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN", message);
        let Some(digest) = state.resolve(name, reference) else {
            return Err(unknown("manifest unknown"));
        };
        let stored = state.manifest(name, &digest).expect("resolved");
        if let Some(accept) = self.header("accept")
            && !accepts(&accept, &stored.media_type)
        {
            return Err(unknown("the manifest's media type is not in Accept"));
        }
        let behaviour = &state.behaviour;
        let mut bytes = stored.bytes.to_vec();
        if behaviour.alter_manifests {
            bytes.push(b'\n');
        }
        let claimed = if behaviour.lie_about_digests {
            Digest::sha256(b"other bytes").as_str().to_string()
        } else {
            digest
        };
        let mut answer = respond(StatusCode::OK)
            .header("content-type", &stored.media_type)
            .header("content-length", bytes.len());
        if !(self.method == "HEAD" && behaviour.head_without_digest) {
            answer = answer.header("docker-content-digest", claimed);
        }
        let body = if self.method == "HEAD" {
            super::routes::empty()
        } else {
            whole(Bytes::from(bytes))
        };
        Ok(answer.body(body).expect("a response"))
    }

    /// `PUT` of a manifest under a tag or its digest.
    pub(super) fn put_manifest(&self, name: &str, reference: &str, bytes: Vec<u8>) -> Answer {
        let invalid = |message: &str| refuse(StatusCode::BAD_REQUEST, "MANIFEST_INVALID", message);
        let media_type = self
            .header("content-type")
            .map(|v| v.split(';').next().unwrap_or("").trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid("no Content-Type"))?;
        let manifest: Value =
            serde_json::from_slice(&bytes).map_err(|_| invalid("the manifest is not JSON"))?;
        if !manifest.is_object() {
            return Err(invalid("the manifest is not a JSON object"));
        }
        if let Some(declared) = manifest.get("mediaType").and_then(Value::as_str)
            && declared != media_type
        {
            return Err(invalid("mediaType does not match Content-Type"));
        }
        let subject = manifest
            .get("subject")
            .and_then(|s| s.get("digest"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut state = self.state();
        let empty_config = manifest
            .get("config")
            .and_then(|c| c.get("mediaType"))
            .is_some_and(|m| m == EMPTY_CONFIG);
        if state.behaviour.refuse_oci_1_1
            && (manifest.get("artifactType").is_some() || empty_config)
        {
            return Err(invalid(
                "manifest invalid: artifactType and the empty config are not supported",
            ));
        }
        let digest = Digest::sha256(&bytes);
        let by_digest = Digest::parse(reference).is_ok();
        if by_digest && reference != digest.as_str() {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "DIGEST_INVALID",
                "the manifest does not match its digest",
            ));
        }
        if let Some(unknown) = missing(&state, name, &media_type, &manifest) {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "MANIFEST_BLOB_UNKNOWN",
                &format!("blob unknown to registry: {unknown}"),
            ));
        }
        let size = bytes.len();
        let tag = (!by_digest).then_some(reference);
        state.add_manifest(name, tag, &media_type, bytes);
        let claimed = if state.behaviour.lie_about_digests {
            Digest::sha256(b"other bytes")
        } else {
            digest.clone()
        };
        let mut answer = respond(StatusCode::CREATED)
            .header("location", format!("/v2/{name}/manifests/{digest}"))
            .header("docker-content-digest", claimed.as_str())
            .header("content-length", 0);
        if let Some(subject) = subject
            && !state.behaviour.no_referrers_api
        {
            let descriptor = referrer(&media_type, &digest, size, &manifest);
            let listed = state
                .referrers
                .entry((name.to_string(), subject.clone()))
                .or_default();
            listed.retain(|d| d["digest"] != digest.as_str());
            listed.push(descriptor);
            answer = answer.header("oci-subject", subject);
        }
        Ok(answer.body(super::routes::empty()).expect("a response"))
    }

    /// `DELETE` of a manifest by digest.
    pub(super) fn delete_manifest(&self, name: &str, reference: &str) -> Answer {
        if Digest::parse(reference).is_err() {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "UNSUPPORTED",
                "manifests are deleted by digest",
            ));
        }
        if !self.state().delete_manifest(name, reference) {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                "MANIFEST_UNKNOWN",
                "manifest unknown",
            ));
        }
        Ok(respond(StatusCode::ACCEPTED)
            .body(super::routes::empty())
            .expect("a response"))
    }

    /// The referrers API: an image index of the manifests whose subject
    /// is `digest`, filtered by `artifactType` when asked, a page at a
    /// time (`?page=N`) when paging is on. Without the API: a plain 404,
    /// as distribution 2.8 answers.
    pub(super) fn referrers(&self, name: &str, digest: &str) -> Answer {
        let state = self.state();
        if state.behaviour.no_referrers_api {
            return Ok(respond(StatusCode::NOT_FOUND)
                .header("content-type", "text/plain; charset=utf-8")
                .body(whole(Bytes::from_static(b"404 page not found\n")))
                .expect("a response"));
        }
        if Digest::parse(digest).is_err() {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "DIGEST_INVALID",
                "invalid digest",
            ));
        }
        let filter = self.param("artifactType");
        let all: Vec<Value> = state
            .referrers
            .get(&(name.to_string(), digest.to_string()))
            .into_iter()
            .flatten()
            .filter(|d| filter.is_none_or(|f| d["artifactType"] == f))
            .cloned()
            .collect();
        let page: usize = self.param("page").and_then(|p| p.parse().ok()).unwrap_or(0);
        let (listed, next) = match state.behaviour.referrers_page {
            Some(size) => {
                let start = (page * size).min(all.len());
                let end = (start + size).min(all.len());
                (all[start..end].to_vec(), end < all.len())
            }
            None => (all, false),
        };
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": listed,
        });
        let mut answer = respond(StatusCode::OK).header("content-type", OCI_INDEX);
        if filter.is_some() {
            answer = answer.header("oci-filters-applied", "artifactType");
        }
        if next {
            let mut url = reqwest::Url::parse(&format!("http://x/v2/{name}/referrers/{digest}"))
                .expect("a URL");
            url.query_pairs_mut()
                .append_pair("page", &(page + 1).to_string());
            if let Some(filter) = filter {
                url.query_pairs_mut().append_pair("artifactType", filter);
            }
            let host = match state.behaviour.link_elsewhere {
                true => format!("http://localhost:{}", self.shared.addr.port()),
                false => String::new(),
            };
            let next = format!("{host}{}?{}", url.path(), url.query().unwrap_or(""));
            answer = answer.header("link", format!(r#"<{next}>; rel="next""#));
        }
        Ok(answer.body(json(&index)).expect("a response"))
    }
}
