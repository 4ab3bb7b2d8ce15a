//! The Docker Engine, through bollard: connect, tag, inspect, remove.
//!
//! Owns the socket and the Engine API's quirks; decides nothing about
//! names (references reach it already normalised by the tagging
//! component). Never imports runtime, registry or store code.

use bollard::Docker;
use bollard::query_parameters::{
    ImportImageOptions, ListImagesOptions, RemoveImageOptions, TagImageOptions,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
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
    /// The engine refused an archive (an error inside its load stream).
    #[error("the Docker Engine refused the archive: {message}")]
    LoadRefused {
        /// The engine's message.
        message: String,
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
    /// Diff IDs of the layers, in order.
    pub layers: Vec<String>,
}

/// What loading an archive did, from the engine's message stream.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadReport {
    /// Names loaded (`Loaded image: …`).
    pub names: Vec<String>,
    /// Untagged images loaded (`Loaded image ID: …`).
    pub ids: Vec<String>,
}

/// One image of `image ls`.
#[derive(Debug, Clone, Serialize)]
pub struct ImageSummary {
    /// Image ID.
    pub id: String,
    /// Its names.
    pub repo_tags: Vec<String>,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// Size in bytes.
    pub size: i64,
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
            layers: image.root_fs.and_then(|r| r.layers).unwrap_or_default(),
        })
    }

    /// Loads an archive streamed from `body` (never buffered whole) and
    /// reads the engine's message stream; an error inside it is an error.
    pub async fn load<S>(&self, body: S) -> Result<LoadReport, Error>
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    {
        let mut messages = self
            .docker
            .import_image_stream(ImportImageOptions::default(), body, None)
            .boxed();
        let mut report = LoadReport::default();
        while let Some(message) = messages.next().await {
            match message {
                Ok(info) => {
                    for line in info.stream.as_deref().unwrap_or("").lines() {
                        if let Some(id) = line.strip_prefix("Loaded image ID: ") {
                            report.ids.push(id.trim().to_string());
                        } else if let Some(name) = line.strip_prefix("Loaded image: ") {
                            report.names.push(name.trim().to_string());
                        }
                    }
                }
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    return Err(Error::LoadRefused { message: error });
                }
                Err(bollard::errors::Error::DockerResponseServerError { message, .. }) => {
                    return Err(Error::LoadRefused { message });
                }
                Err(other) => {
                    return Err(Error::Unreachable {
                        host: self.host.clone(),
                        message: describe(&other),
                    });
                }
            }
        }
        Ok(report)
    }

    /// The `docker save` archive of `references`, streamed.
    pub fn save(&self, references: &[String]) -> impl Stream<Item = Result<Bytes, Error>> + '_ {
        let names: Vec<&str> = references.iter().map(String::as_str).collect();
        let reference = references.join(" ");
        self.docker
            .export_images(&names)
            .map_err(move |e| self.refused("save", &reference, e))
    }

    /// The images in the engine.
    pub async fn list(&self) -> Result<Vec<ImageSummary>, Error> {
        let images = self
            .docker
            .list_images(Some(ListImagesOptions::default()))
            .await
            .map_err(|e| self.refused("list", "images", e))?;
        Ok(images
            .into_iter()
            .map(|i| ImageSummary {
                id: i.id,
                repo_tags: i.repo_tags,
                created: i.created,
                size: i.size,
            })
            .collect())
    }

    /// Whether the engine keeps images in containerd's store (Engine 24+
    /// with the snapshotter), where zero-length placeholder layers do not
    /// work; `false` for the classic graph-driver store.
    pub async fn uses_containerd_store(&self) -> Result<bool, Error> {
        let info = self
            .docker
            .info()
            .await
            .map_err(|e| self.refused("describe", "itself", e))?;
        Ok(info.driver_status.unwrap_or_default().iter().any(|pair| {
            pair.first().map(String::as_str) == Some("driver-type")
                && pair.get(1).map(String::as_str) == Some("io.containerd.snapshotter.v1")
        }))
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
