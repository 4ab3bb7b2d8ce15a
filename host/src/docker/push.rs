//! Engine requests answered by a JSON message stream, read here with a
//! plain HTTP client on the engine's socket: `docker push` (buf's plugin
//! client does it this way: the engine pushes the image it holds, with
//! the credentials given in `X-Registry-Auth`), and the plugin pull and
//! push of [`super::plugin`].
//!
//! bollard 0.21's `PushImageInfo` drops the `aux` field, where the engine
//! puts the pushed digest (`PushResult`), and its plugin install cannot
//! read the answer's `Docker-Plugin-Name`, so these requests are made
//! here and their streams read line by line, by one reader: an `error`
//! inside a stream is a failure wherever it comes.

use super::{ANSWER_WITHIN, Error};
use base64::Engine as _;
use futures_util::StreamExt;
use serde::Deserialize;
use std::time::Duration;

/// The credentials the engine is to push with (`X-Registry-Auth`).
#[derive(Clone, Default, serde::Serialize)]
pub struct RegistryAuth {
    /// User name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// An OAuth refresh token, instead of a password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identitytoken: Option<String>,
    /// The registry, as the Docker config keys it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serveraddress: Option<String>,
}

impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryAuth")
            .field("username", &self.username)
            .field("serveraddress", &self.serveraddress)
            .finish_non_exhaustive()
    }
}

/// What a push reported.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pushed {
    /// The tag pushed.
    pub tag: String,
    /// The manifest digest in the registry.
    pub digest: String,
    /// The manifest's size in bytes.
    pub size: Option<u64>,
}

/// One message of an engine's stream (moby's `jsonmessage.JSONMessage`).
#[derive(Deserialize)]
pub(super) struct Message {
    pub(super) status: Option<String>,
    id: Option<String>,
    #[serde(rename = "progressDetail")]
    progress: Option<ProgressDetail>,
    error: Option<String>,
    #[serde(rename = "errorDetail")]
    error_detail: Option<ErrorDetail>,
    aux: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ProgressDetail {
    current: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: Option<String>,
}

impl Message {
    /// The error the engine reports in this message, if any: its
    /// `errorDetail.message`, else its `error`.
    fn failure(&self) -> Option<String> {
        self.error_detail
            .as_ref()
            .and_then(|d| d.message.clone())
            .or(self.error.clone())
    }
}

/// Why the engine answered a stream request with a status other than 2xx:
/// `missing` for a 404 when given, else the engine's message (the JSON
/// body's `message`, or the body itself), `refused`.
async fn refusal(
    response: reqwest::Response,
    missing: Option<Error>,
    refused: impl Fn(String) -> Error,
) -> Error {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or(body);
    match missing {
        Some(missing) if status == reqwest::StatusCode::NOT_FOUND => missing,
        _ => refused(message.trim().to_string()),
    }
}

/// Bytes a stream reports done so far: per layer, the last
/// `progressDetail.current` the engine reported.
#[derive(Default)]
pub(super) struct StreamProgress {
    layers: std::collections::HashMap<String, u64>,
}

impl StreamProgress {
    /// The bytes done in all, after `message`; `None` when it changed nothing.
    pub(super) fn update(&mut self, message: &Message) -> Option<u64> {
        let (id, current) = (message.id.as_ref()?, message.progress.as_ref()?.current?);
        self.layers.insert(id.clone(), current);
        Some(self.layers.values().sum())
    }
}

/// A POST whose answer is a JSON message stream.
pub(super) struct StreamRequest<'a> {
    /// What is asked, for errors: `push`, `install`.
    pub(super) action: &'static str,
    /// What it is asked of, for errors: a reference, `plugin NAME`.
    pub(super) subject: String,
    /// The API path, without the version prefix: `/images/NAME/push`.
    pub(super) path: String,
    /// The query.
    pub(super) query: Vec<(&'static str, String)>,
    /// The credentials, sent as `X-Registry-Auth`.
    pub(super) auth: &'a RegistryAuth,
    /// A JSON body, if any.
    pub(super) body: Option<Vec<u8>>,
    /// How long the engine may take to start answering: a push answers at
    /// once, a plugin pull only once it has resolved the reference in the
    /// registry.
    pub(super) answer_within: Duration,
    /// What a 404 answer means (the engine lacks what `path` names); none:
    /// the engine's message.
    pub(super) missing: Option<Error>,
}

impl super::Engine {
    /// Sends `request` and hands every message of the answer's stream to
    /// `each`, in order; the answer's headers. A status other than 2xx, an
    /// error inside the stream, or an error `each` returns ends it.
    pub(super) async fn stream(
        &self,
        request: StreamRequest<'_>,
        mut each: impl FnMut(&Message) -> Result<(), Error>,
    ) -> Result<reqwest::header::HeaderMap, Error> {
        let StreamRequest {
            action,
            subject,
            path,
            query,
            auth,
            body,
            answer_within,
            missing,
        } = request;
        let refused = |message: String| Error::Refused {
            action,
            reference: subject.clone(),
            message,
        };
        let unreachable = |e: reqwest::Error| Error::Unreachable {
            host: self.host.clone(),
            message: e.without_url().to_string(),
        };
        let post = self.post(&path, &query, auth, body, refused)?;
        let response = tokio::time::timeout(answer_within, post.send())
            .await
            .map_err(|_| Error::Unreachable {
                host: self.host.clone(),
                message: format!("it did not answer within {} s", answer_within.as_secs()),
            })?
            .map_err(unreachable)?;
        if !response.status().is_success() {
            return Err(refusal(response, missing, refused).await);
        }
        let headers = response.headers().clone();
        let mut stream = response.bytes_stream();
        let mut pending = Vec::new();
        while let Some(piece) = stream.next().await {
            pending.extend_from_slice(&piece.map_err(unreachable)?);
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let Ok(message) = serde_json::from_slice::<Message>(&line) else {
                    continue;
                };
                if let Some(error) = message.failure() {
                    return Err(refused(error));
                }
                tracing::debug!(status = message.status.as_deref().unwrap_or(""), "{action}");
                each(&message)?;
            }
        }
        Ok(headers)
    }

    /// The POST of `path` with `query`, the credentials `auth` and a JSON
    /// `body`, if any; a URL the engine's address cannot make is
    /// `refused`.
    fn post(
        &self,
        path: &str,
        query: &[(&'static str, String)],
        auth: &RegistryAuth,
        body: Option<Vec<u8>>,
        refused: impl Fn(String) -> Error,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let (client, base) = self.raw_client()?;
        let mut url = reqwest::Url::parse(&base).map_err(|e| refused(e.to_string()))?;
        url.set_path(&format!("{}{path}", self.version_prefix()));
        for (key, value) in query {
            url.query_pairs_mut().append_pair(key, value);
        }
        let encoded = base64::engine::general_purpose::URL_SAFE
            .encode(serde_json::to_vec(auth).expect("credentials serialize"));
        let mut post = client.post(url).header("X-Registry-Auth", encoded).header(
            reqwest::header::USER_AGENT,
            concat!("ocipipe/", env!("CARGO_PKG_VERSION")),
        );
        if let Some(body) = body {
            post = post
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        Ok(post)
    }

    /// A push's `request`: the digest the engine reports (`aux.Digest`)
    /// for `tag`. A stream that ends without a digest is an error.
    /// `progress` gets the bytes sent so far, as the engine reports them.
    pub(super) async fn pushed(
        &self,
        request: StreamRequest<'_>,
        tag: &str,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Pushed, Error> {
        let subject = request.subject.clone();
        let mut pushed = None;
        let mut sent = StreamProgress::default();
        self.stream(request, |message| {
            if let Some(total) = sent.update(message) {
                progress(total);
            }
            if let Some(aux) = &message.aux
                && let Some(digest) = aux["Digest"].as_str()
            {
                pushed = Some(Pushed {
                    tag: aux["Tag"].as_str().unwrap_or(tag).to_string(),
                    digest: digest.to_string(),
                    size: aux["Size"].as_u64(),
                });
            }
            Ok(())
        })
        .await?;
        pushed.ok_or_else(|| Error::Refused {
            action: "push",
            reference: subject,
            message: "its answer ended without the digest of the pushed manifest".to_string(),
        })
    }

    /// Has the engine push `repository:tag` with `auth`; the digest the
    /// engine reports (`aux.Digest`). An error in the stream is an error,
    /// and a stream that ends without a digest is one too. `progress`
    /// gets the bytes sent so far, as the engine reports them.
    pub async fn push(
        &self,
        repository: &str,
        tag: &str,
        auth: &RegistryAuth,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Pushed, Error> {
        let reference = format!("{repository}:{tag}");
        let request = StreamRequest {
            action: "push",
            subject: reference.clone(),
            path: format!("/images/{repository}/push"),
            query: vec![("tag", tag.to_string())],
            auth,
            body: None,
            answer_within: ANSWER_WITHIN,
            missing: Some(Error::NotFound { reference }),
        };
        self.pushed(request, tag, progress).await
    }
}
