//! The Docker Engine, through bollard: connect, tag, inspect, remove,
//! load, save; push (`push`), whose answer bollard cannot read whole; and
//! managed plugins (`plugin`).
//!
//! Owns the socket and the Engine API's quirks; decides nothing about
//! names (references reach it already normalised by the tagging
//! component). Never imports runtime, registry or store code.

mod plugin;
mod push;

pub use plugin::{PluginInfo, PulledPlugin};
pub use push::{Pushed, RegistryAuth};

use bollard::Docker;
use bollard::query_parameters::{
    ImportImageOptions, ListImagesOptions, RemoveImageOptions, TagImageOptions,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use serde::Serialize;

/// Seconds before an Engine API request is abandoned.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// How long an engine has to answer the first request (the version).
pub const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// `/v1.41` for a pinned version, else empty.
fn prefix_of(pinned: Option<&str>, version: &bollard::ClientVersion) -> String {
    match pinned {
        Some(_) => format!("/v{}.{}", version.major_version, version.minor_version),
        None => String::new(),
    }
}

/// Puts `prefix` (`/v1.41`) before the path of `req`, unless it has one.
fn versioned<B>(req: &mut http::Request<B>, prefix: &str) {
    let uri = req.uri().clone();
    let Some(path) = uri.path_and_query().cloned() else {
        return;
    };
    if path.path().starts_with("/v1.") {
        return;
    }
    let mut parts = uri.into_parts();
    parts.path_and_query = format!("{prefix}{path}").parse().ok();
    if let Ok(uri) = http::Uri::from_parts(parts) {
        *req.uri_mut() = uri;
    }
}

/// `1.41` as bollard's version; anything else is refused.
fn parse_api_version(pinned: &str) -> Result<bollard::ClientVersion, Error> {
    let bad = || Error::BadApiVersion {
        version: pinned.to_string(),
    };
    let (major, minor) = pinned.trim().split_once('.').ok_or_else(bad)?;
    Ok(bollard::ClientVersion {
        major_version: major.parse().map_err(|_| bad())?,
        minor_version: minor.parse().map_err(|_| bad())?,
    })
}

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
    /// `DOCKER_API_VERSION` is not a version.
    #[error("DOCKER_API_VERSION={version:?} is not an API version such as 1.41")]
    BadApiVersion {
        /// The value given.
        version: String,
    },
    /// The engine does not speak the pinned API version.
    #[error(
        "the Docker Engine at {host} does not speak API {version} (DOCKER_API_VERSION): {message}"
    )]
    ApiVersion {
        /// The engine's address.
        host: String,
        /// The version pinned.
        version: String,
        /// The engine's words, naming the versions it speaks.
        message: String,
    },
    /// The TLS files of a `tcp://` engine are missing or unreadable.
    #[error("cannot use TLS for the Docker Engine: {message}")]
    Tls {
        /// What is wrong.
        message: String,
    },
    /// The engine has no such image.
    #[error("no such image: {reference}")]
    NotFound {
        /// The reference asked for.
        reference: String,
    },
    /// The engine has no such plugin.
    #[error("no such plugin: {name}")]
    NoSuchPlugin {
        /// The name (or ID) asked for.
        name: String,
    },
    /// The engine computed other privileges for a plugin than it was sent
    /// with its pull, and installed nothing.
    #[error(
        "the Docker Engine refused to install plugin {plugin}: the privileges it computes \
         for it are not the ones ocipipe computed and granted (\"incorrect privileges\"); \
         compare `ocipipe plugin privileges {plugin}` with the engine's \
         GET /plugins/privileges?remote={plugin}"
    )]
    PrivilegesDiffer {
        /// The plugin's reference.
        plugin: String,
    },
    /// The engine is a version that crashes pulling a plugin by digest;
    /// it was not asked to.
    #[error(
        "not asking the Docker Engine at {host} to pull plugin {plugin}: version {version} of \
         dockerd crashes pulling a plugin by digest (moby#47299, fixed in 24.0.9, 25.0.3 and \
         26.0); install it by tag"
    )]
    DigestPullCrashes {
        /// The engine's address.
        host: String,
        /// Its version.
        version: String,
        /// The plugin's reference.
        plugin: String,
    },
    /// The engine refused an archive (an error inside its load stream).
    #[error("the Docker Engine refused the archive: {message}")]
    LoadRefused {
        /// The engine's message.
        message: String,
    },
    /// The engine took a load but does not show the image sent.
    #[error("the Docker Engine took the archive, but {message}")]
    NotLoaded {
        /// What is missing.
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
    /// `/v1.41` when `DOCKER_API_VERSION` pins one, else empty.
    version_prefix: String,
    /// The client certificates of a `tcp://` engine reached with TLS.
    tls: Option<std::path::PathBuf>,
}

/// How to reach an engine beyond its address.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `DOCKER_API_VERSION`: the API version to pin, e.g. `1.41`.
    pub api_version: Option<String>,
    /// With `DOCKER_TLS_VERIFY`: the directory (`DOCKER_CERT_PATH`) holding
    /// `ca.pem`, `cert.pem` and `key.pem` for a `tcp://` engine.
    pub tls: Option<std::path::PathBuf>,
}

/// `ca.pem`, `cert.pem` and `key.pem` of `dir`, each checked to exist.
fn tls_files(dir: &std::path::Path) -> Result<[std::path::PathBuf; 3], Error> {
    let files = ["ca.pem", "cert.pem", "key.pem"].map(|name| dir.join(name));
    for file in &files {
        if !file.is_file() {
            return Err(Error::Tls {
                message: format!(
                    "{} is missing (DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem)",
                    file.display()
                ),
            });
        }
    }
    Ok(files)
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
#[derive(Debug, Clone, Default, Serialize)]
pub struct Removal {
    /// Names untagged.
    pub untagged: Vec<String>,
    /// Image and layer IDs deleted.
    pub deleted: Vec<String>,
}

impl Engine {
    /// Connects to the engine at `host` (`unix://…` or `tcp://…`): with
    /// `api_version` (`DOCKER_API_VERSION`, e.g. `1.41`) pinned and checked
    /// against what the engine speaks, else negotiated once. An engine that
    /// does not answer within [`ANSWER_WITHIN`] is unreachable.
    pub async fn connect(host: &str, options: &ConnectOptions) -> Result<Self, Error> {
        let api_version = options.api_version.as_deref();
        let unreachable = |e: bollard::errors::Error| Error::Unreachable {
            host: host.to_string(),
            message: describe(&e),
        };
        let version = match api_version {
            Some(pinned) => parse_api_version(pinned)?,
            None => *bollard::API_DEFAULT_VERSION,
        };
        let docker = if let Some(path) = host.strip_prefix("unix://") {
            Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, &version).map_err(unreachable)?
        } else if let (Some(certs), true) = (&options.tls, host.starts_with("tcp://")) {
            crate::tls::install_crypto_provider();
            let [ca, cert, key] = tls_files(certs)?;
            Docker::connect_with_ssl(host, &key, &cert, &ca, REQUEST_TIMEOUT_SECS, &version)
                .map_err(unreachable)?
        } else if host.starts_with("tcp://") || host.starts_with("http://") {
            Docker::connect_with_http(host, REQUEST_TIMEOUT_SECS, &version).map_err(unreachable)?
        } else {
            return Err(Error::BadHost {
                host: host.to_string(),
            });
        };
        let agent = http::HeaderValue::from_static(concat!("ocipipe/", env!("CARGO_PKG_VERSION")));
        // bollard 0.21 joins an absolute path onto its versioned base and so
        // sends every request unversioned (the engine's newest API); a
        // pinned version is put into the path here.
        let prefix =
            api_version.map(|_| format!("/v{}.{}", version.major_version, version.minor_version));
        let docker = docker.with_request_modifier(move |mut req| {
            req.headers_mut()
                .insert(http::header::USER_AGENT, agent.clone());
            if let Some(prefix) = &prefix {
                versioned(&mut req, prefix);
            }
            req
        });
        let silent = || Error::Unreachable {
            host: host.to_string(),
            message: format!("it did not answer within {} s", ANSWER_WITHIN.as_secs()),
        };
        let docker = match api_version {
            None => tokio::time::timeout(ANSWER_WITHIN, docker.negotiate_version())
                .await
                .map_err(|_| silent())?
                .map_err(unreachable)?,
            Some(pinned) => {
                // The engine refuses a version it does not speak, naming
                // the ones it does.
                match tokio::time::timeout(ANSWER_WITHIN, docker.version()).await {
                    Err(_) => return Err(silent()),
                    Ok(Ok(_)) => docker,
                    Ok(Err(bollard::errors::Error::DockerResponseServerError {
                        message, ..
                    })) => {
                        return Err(Error::ApiVersion {
                            host: host.to_string(),
                            version: pinned.to_string(),
                            message,
                        });
                    }
                    Ok(Err(other)) => return Err(unreachable(other)),
                }
            }
        };
        tracing::debug!(host, version = ?docker.client_version(), "connected to the Docker Engine");
        Ok(Self {
            docker,
            host: host.to_string(),
            version_prefix: prefix_of(api_version, &version),
            tls: options.tls.clone().filter(|_| host.starts_with("tcp://")),
        })
    }

    /// The path prefix of a pinned API version, or none.
    fn version_prefix(&self) -> &str {
        &self.version_prefix
    }

    /// A plain HTTP client on the engine's socket, and the base URL to use
    /// with it: for the one request bollard cannot read whole (a push).
    fn raw_client(&self) -> Result<(reqwest::Client, String), Error> {
        crate::tls::install_crypto_provider();
        let failed = |message: String| Error::Unreachable {
            host: self.host.clone(),
            message,
        };
        if let Some(path) = self.host.strip_prefix("unix://") {
            let client = reqwest::Client::builder()
                .unix_socket(path)
                .build()
                .map_err(|e| failed(e.to_string()))?;
            return Ok((client, "http://docker".to_string()));
        }
        let Some(certs) = &self.tls else {
            let client = reqwest::Client::builder()
                .build()
                .map_err(|e| failed(e.to_string()))?;
            return Ok((client, self.host.replacen("tcp://", "http://", 1)));
        };
        let [ca, cert, key] = tls_files(certs)?;
        let read = |path: &std::path::Path| {
            std::fs::read(path).map_err(|e| Error::Tls {
                message: format!("cannot read {}: {e}", path.display()),
            })
        };
        let tls = |e: reqwest::Error| Error::Tls {
            message: e.to_string(),
        };
        let mut identity = read(&cert)?;
        identity.extend_from_slice(&read(&key)?);
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&read(&ca)?).map_err(tls)?])
            .identity(reqwest::Identity::from_pem(&identity).map_err(tls)?)
            .build()
            .map_err(tls)?;
        Ok((client, self.host.replacen("tcp://", "https://", 1)))
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

    /// Whether the engine has the image `reference` (imgutil's `Contains`);
    /// a failure to ask is an error, not an absence.
    pub async fn exists(&self, reference: &str) -> Result<bool, Error> {
        match self.inspect(reference).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(other) => Err(other),
        }
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
        if report.names.is_empty() && report.ids.is_empty() {
            return Err(Error::NotLoaded {
                message: "its answer names no image loaded".to_string(),
            });
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
