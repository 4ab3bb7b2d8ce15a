//! The Docker Engine, through bollard: connect, tag, inspect, remove.
//!
//! Owns the socket and the Engine API's quirks; decides nothing about
//! names (references reach it already normalised by the tagging
//! component). Never imports runtime, registry or store code.

use bollard::Docker;
use bollard::query_parameters::{RemoveImageOptions, TagImageOptions};
use serde::Serialize;

/// Seconds before an Engine API request is abandoned.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// Failures talking to the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Nothing answers at the engine's address.
    #[error(
        "cannot reach the Docker Engine at {host}: {message} (is dockerd running? set DOCKER_HOST to its socket)"
    )]
    Unreachable {
        /// The address tried, e.g. `unix:///var/run/docker.sock`.
        host: String,
        /// What failed.
        message: String,
    },
    /// The address is not one ocipipe can use.
    #[error("unsupported DOCKER_HOST {host:?}: use unix:///path/to/docker.sock or tcp://host:port")]
    BadHost {
        /// The address given.
        host: String,
    },
    /// The engine has no such image.
    #[error("no such image: {reference}")]
    NotFound {
        /// The reference asked for.
        reference: String,
    },
    /// The engine refused the request.
    #[error("the Docker Engine refused to {action} {reference}: {message}")]
    Refused {
        /// What was asked, e.g. `tag`.
        action: &'static str,
        /// The image.
        reference: String,
        /// The engine's message.
        message: String,
    },
}

/// A connection to one Docker Engine, with the API version negotiated.
#[derive(Clone)]
pub struct Engine {
    docker: Docker,
    host: String,
}

/// What `image inspect` reports of an image.
#[derive(Debug, Clone, Serialize)]
pub struct ImageInfo {
    /// Image ID, `sha256:<64 hex>`.
    pub id: String,
    /// Every name the image is tagged with.
    pub repo_tags: Vec<String>,
    /// Registry digests the image is known by.
    pub repo_digests: Vec<String>,
    /// Creation time as the engine reports it (RFC 3339).
    pub created: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// CPU architecture.
    pub architecture: Option<String>,
    /// Size in bytes.
    pub size: Option<i64>,
    /// Config environment.
    pub env: Vec<String>,
    /// Config command.
    pub cmd: Option<Vec<String>>,
    /// Config entrypoint.
    pub entrypoint: Option<Vec<String>>,
    /// Config labels.
    pub labels: std::collections::BTreeMap<String, String>,
}

/// What removing one reference did.
#[derive(Debug, Clone, Serialize)]
pub struct Removal {
    /// Names untagged.
    pub untagged: Vec<String>,
    /// Image and layer IDs deleted.
    pub deleted: Vec<String>,
}

impl Engine {
    /// Connects to the engine at `host` (`unix://…` or `tcp://…`) and
    /// negotiates the API version once.
    pub async fn connect(host: &str) -> Result<Self, Error> {
        let unreachable = |e: bollard::errors::Error| Error::Unreachable {
            host: host.to_string(),
            message: describe(&e),
        };
        let docker = if let Some(path) = host.strip_prefix("unix://") {
            Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
                .map_err(unreachable)?
        } else if host.starts_with("tcp://") || host.starts_with("http://") {
            Docker::connect_with_http(host, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
                .map_err(unreachable)?
        } else {
            return Err(Error::BadHost {
                host: host.to_string(),
            });
        };
        let agent = http::HeaderValue::from_static(concat!("ocipipe/", env!("CARGO_PKG_VERSION")));
        let docker = docker
            .with_request_modifier(move |mut req| {
                req.headers_mut()
                    .insert(http::header::USER_AGENT, agent.clone());
                req
            })
            .negotiate_version()
            .await
            .map_err(unreachable)?;
        tracing::debug!(host, version = ?docker.client_version(), "connected to the Docker Engine");
        Ok(Self {
            docker,
            host: host.to_string(),
        })
    }

    /// The address this engine was reached at.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Gives the image `source` (a name or an ID) the name `repo:tag`.
    pub async fn tag(&self, source: &str, repo: &str, tag: &str) -> Result<(), Error> {
        let options = TagImageOptions {
            repo: Some(repo.to_string()),
            tag: Some(tag.to_string()),
        };
        self.docker
            .tag_image(source, Some(options))
            .await
            .map_err(|e| self.refused("tag", source, e))
    }

    /// Reports what the engine knows of the image `reference`.
    pub async fn inspect(&self, reference: &str) -> Result<ImageInfo, Error> {
        let image = self
            .docker
            .inspect_image(reference)
            .await
            .map_err(|e| self.refused("inspect", reference, e))?;
        let config = image.config.unwrap_or_default();
        Ok(ImageInfo {
            id: image.id.unwrap_or_default(),
            repo_tags: image.repo_tags.unwrap_or_default(),
            repo_digests: image.repo_digests.unwrap_or_default(),
            created: image.created.map(|c| c.to_string()),
            os: image.os,
            architecture: image.architecture,
            size: image.size,
            env: config.env.unwrap_or_default(),
            cmd: config.cmd,
            entrypoint: config.entrypoint,
            labels: config.labels.unwrap_or_default().into_iter().collect(),
        })
    }

    /// Removes the name `reference` (and the image when it was the last
    /// name); `force` removes an image that containers use or that has
    /// several names.
    pub async fn remove(&self, reference: &str, force: bool) -> Result<Removal, Error> {
        let options = RemoveImageOptions {
            force,
            ..Default::default()
        };
        let items = self
            .docker
            .remove_image(reference, Some(options), None)
            .await
            .map_err(|e| self.refused("remove", reference, e))?;
        Ok(Removal {
            untagged: items.iter().filter_map(|i| i.untagged.clone()).collect(),
            deleted: items.iter().filter_map(|i| i.deleted.clone()).collect(),
        })
    }

    fn refused(&self, action: &'static str, reference: &str, e: bollard::errors::Error) -> Error {
        match e {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            } => Error::NotFound {
                reference: reference.to_string(),
            },
            bollard::errors::Error::DockerResponseServerError { message, .. } => Error::Refused {
                action,
                reference: reference.to_string(),
                message,
            },
            other => Error::Unreachable {
                host: self.host.clone(),
                message: describe(&other),
            },
        }
    }
}

/// One line for a bollard error, with its cause (hyper hides the useful
/// part, e.g. "Connection refused", in the source chain).
fn describe(e: &bollard::errors::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
