//! `docker push` through the engine, as buf's plugin client does it: the
//! engine pushes the image it holds, with the credentials given in
//! `X-Registry-Auth`, and reports in a JSON message stream.
//!
//! bollard 0.21's `PushImageInfo` drops the `aux` field, where the engine
//! puts the pushed digest (`PushResult`), so this request is made here
//! with a plain HTTP client on the engine's socket and the stream read
//! line by line.

use super::{ANSWER_WITHIN, Error};
use base64::Engine as _;
use futures_util::StreamExt;
use serde::Deserialize;

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

/// One message of the engine's push stream.
#[derive(Deserialize)]
struct Message {
    status: Option<String>,
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

/// Bytes of the stream a push sent so far: per layer, the last
/// `progressDetail.current` the engine reported.
#[derive(Default)]
pub struct PushProgress {
    layers: std::collections::HashMap<String, u64>,
}

impl PushProgress {
    /// The bytes sent in all, after `message`; `None` when it changed nothing.
    fn update(&mut self, message: &Message) -> Option<u64> {
        let (id, current) = (message.id.as_ref()?, message.progress.as_ref()?.current?);
        self.layers.insert(id.clone(), current);
        Some(self.layers.values().sum())
    }
}

impl super::Engine {
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
        let refused = |message: String| Error::Refused {
            action: "push",
            reference: reference.clone(),
            message,
        };
        let unreachable = |e: reqwest::Error| Error::Unreachable {
            host: self.host.clone(),
            message: e.without_url().to_string(),
        };
        let (client, base) = self.raw_client()?;
        let mut url = reqwest::Url::parse(&base).map_err(|e| refused(e.to_string()))?;
        url.set_path(&format!(
            "{}/images/{repository}/push",
            self.version_prefix()
        ));
        url.query_pairs_mut().append_pair("tag", tag);
        let encoded = base64::engine::general_purpose::URL_SAFE
            .encode(serde_json::to_vec(auth).expect("credentials serialize"));
        let response = tokio::time::timeout(
            ANSWER_WITHIN,
            client
                .post(url)
                .header("X-Registry-Auth", encoded)
                .header(
                    reqwest::header::USER_AGENT,
                    concat!("ocipipe/", env!("CARGO_PKG_VERSION")),
                )
                .send(),
        )
        .await
        .map_err(|_| Error::Unreachable {
            host: self.host.clone(),
            message: format!("it did not answer within {} s", ANSWER_WITHIN.as_secs()),
        })?
        .map_err(unreachable)?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            let message = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or(body);
            return Err(if status == reqwest::StatusCode::NOT_FOUND {
                Error::NotFound { reference }
            } else {
                refused(message.trim().to_string())
            });
        }
        let mut stream = response.bytes_stream();
        let mut pending = Vec::new();
        let mut pushed = None;
        let mut sent = PushProgress::default();
        while let Some(piece) = stream.next().await {
            pending.extend_from_slice(&piece.map_err(unreachable)?);
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let Ok(message) = serde_json::from_slice::<Message>(&line) else {
                    continue;
                };
                if let Some(error) = message
                    .error_detail
                    .as_ref()
                    .and_then(|d| d.message.clone())
                    .or(message.error.clone())
                {
                    return Err(refused(error));
                }
                if let Some(total) = sent.update(&message) {
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
                tracing::debug!(status = message.status.as_deref().unwrap_or(""), "push");
            }
        }
        pushed.ok_or_else(|| {
            refused("its answer ended without the digest of the pushed manifest".to_string())
        })
    }
}
