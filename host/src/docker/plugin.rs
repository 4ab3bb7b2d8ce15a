//! Managed plugins in the engine: list, inspect, pull (install), enable,
//! disable, remove and push, through the Engine API's `/plugins` routes.
//!
//! The pull and the push answer with a JSON message stream, read by the
//! one stream reader of [`super::push`]; the rest goes through bollard.
//! The privileges a pull is sent are the ones the caller decided; this
//! module sends them as they are.
//!
//! Must not: compute, judge or reorder privileges, or name a plugin the
//! engine did not name (the default alias of a pull is the engine's).

use super::push::{RegistryAuth, StreamProgress, StreamRequest};
use super::{Error, Pushed};
use crate::model::Privilege;
use bollard::query_parameters::{
    DisablePluginOptions, EnablePluginOptions, ListPluginsOptions, RemovePluginOptions,
};
use serde::Serialize;
use std::time::Duration;

/// How long the engine may take to start answering a plugin pull: it
/// answers only once it has resolved the reference in the registry (a
/// HEAD, perhaps over HTTPS then HTTP, perhaps with a token), so the
/// five seconds of [`super::ANSWER_WITHIN`] are too few; this is the
/// limit of every other Engine API request.
const PULL_ANSWER_WITHIN: Duration = Duration::from_secs(super::REQUEST_TIMEOUT_SECS);

/// The engine's words when the privileges a pull was sent are not the
/// ones it computes itself (moby's `validatePrivileges`).
const INCORRECT_PRIVILEGES: &str = "incorrect privileges";

/// The first releases of each series whose plugin pull by digest does
/// not crash the engine (moby#47299: before it, `withFetchProgress`
/// asserts that the reference has a tag, and dockerd panics and exits);
/// a series not listed, below the last, is affected throughout (23.0's
/// backport is in no release known here).
const DIGEST_PULL_FIXED: [(u64, u64, u64); 3] = [(24, 0, 9), (25, 0, 3), (26, 0, 0)];

/// Whether an engine of version `version` (`Version` of `GET /version`,
/// e.g. `20.10.24+dfsg1`) pulls a plugin by digest without crashing. A
/// version that does not read as `MAJOR.MINOR.PATCH` (a development
/// build) is taken to be fixed.
fn pulls_plugins_by_digest(version: &str) -> bool {
    let mut numbers = version
        .split(['.', '-', '+', '~'])
        .map(|n| n.parse::<u64>());
    let (Some(Ok(major)), Some(Ok(minor)), Some(Ok(patch))) =
        (numbers.next(), numbers.next(), numbers.next())
    else {
        return true;
    };
    let (last, ..) = DIGEST_PULL_FIXED[DIGEST_PULL_FIXED.len() - 1];
    if major >= last {
        return true;
    }
    DIGEST_PULL_FIXED
        .iter()
        .any(|&(a, b, c)| (major, minor) == (a, b) && patch >= c)
}

/// What the engine reports of one plugin.
#[derive(Debug, Clone, Serialize)]
pub struct PluginInfo {
    /// The plugin's ID (64 hex digits, as the engine gives it).
    pub id: String,
    /// Its name in the engine, e.g. `vieux/sshfs:latest`.
    pub name: String,
    /// Whether it runs.
    pub enabled: bool,
    /// Its config's description.
    pub description: String,
    /// The registry reference it was pulled from, if any.
    pub reference: Option<String>,
    /// The interfaces it implements, e.g. `docker.volumedriver/1.0`.
    pub types: Vec<String>,
    /// Its config's entrypoint.
    pub entrypoint: Vec<String>,
}

impl From<bollard::models::Plugin> for PluginInfo {
    fn from(p: bollard::models::Plugin) -> Self {
        Self {
            id: p.id.unwrap_or_default(),
            name: p.name,
            enabled: p.enabled,
            description: p.config.description,
            reference: p.plugin_reference.filter(|r| !r.is_empty()),
            types: p.config.interface.types,
            entrypoint: p.config.entrypoint,
        }
    }
}

/// What a plugin pull did.
#[derive(Debug, Clone, Serialize)]
pub struct PulledPlugin {
    /// The name the engine gave the plugin (its `Docker-Plugin-Name`).
    pub name: String,
    /// The manifest digest pulled, as the engine reported it.
    pub digest: Option<String>,
}

/// One privilege as the Engine API takes it (moby's `PluginPrivilege`).
#[derive(Serialize)]
struct EnginePrivilege<'a> {
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "Description")]
    description: &'a str,
    #[serde(rename = "Value")]
    value: &'a [String],
}

impl super::Engine {
    /// The engine's plugins.
    pub async fn plugins(&self) -> Result<Vec<PluginInfo>, Error> {
        let plugins = self
            .docker
            .list_plugins(Some(ListPluginsOptions::default()))
            .await
            .map_err(|e| self.refused("list", "plugins", e))?;
        Ok(plugins.into_iter().map(PluginInfo::from).collect())
    }

    /// The plugin `name` (a name, or a prefix of its ID).
    pub async fn plugin(&self, name: &str) -> Result<PluginInfo, Error> {
        let plugin = self
            .docker
            .inspect_plugin(name)
            .await
            .map_err(|e| self.plugin_refused("inspect", name, e))?;
        Ok(plugin.into())
    }

    /// Refuses ([`Error::DigestPullCrashes`]) when this engine is a
    /// version that crashes pulling a plugin by digest, as `plugin`
    /// (a reference with a digest) would be pulled.
    pub async fn check_plugin_digest_pull(&self, plugin: &str) -> Result<(), Error> {
        let version = self
            .docker
            .version()
            .await
            .map_err(|e| self.refused("describe", "itself", e))?
            .version
            .unwrap_or_default();
        if pulls_plugins_by_digest(&version) {
            return Ok(());
        }
        Err(Error::DigestPullCrashes {
            host: self.host.clone(),
            version,
            plugin: plugin.to_string(),
        })
    }

    /// Has the engine pull the plugin `remote` (a normalised reference),
    /// named `alias` or, without one, as the engine names it by default
    /// (docker's: the familiar name with its tag), granting it exactly
    /// `privileges`, with `auth` for the registry. The engine computes the
    /// privileges itself and refuses ([`Error::PrivilegesDiffer`]) when
    /// they are not the ones sent. It is left disabled. `progress` gets
    /// the bytes pulled and extracted so far, as the engine reports them.
    pub async fn pull_plugin(
        &self,
        remote: &str,
        alias: Option<&str>,
        privileges: &[Privilege],
        auth: &RegistryAuth,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<PulledPlugin, Error> {
        let sent: Vec<EnginePrivilege<'_>> = privileges
            .iter()
            .map(|p| EnginePrivilege {
                name: &p.name,
                description: &p.description,
                value: &p.value,
            })
            .collect();
        let mut query = vec![("remote", remote.to_string())];
        if let Some(alias) = alias {
            query.push(("name", alias.to_string()));
        }
        let subject = format!("plugin {remote}");
        let request = StreamRequest {
            action: "install",
            subject: subject.clone(),
            path: "/plugins/pull".to_string(),
            query,
            auth,
            body: Some(serde_json::to_vec(&sent).expect("privileges serialize")),
            answer_within: PULL_ANSWER_WITHIN,
            missing: None,
        };
        let mut digest = None;
        let mut done = StreamProgress::default();
        let headers = self
            .stream(request, |message| {
                if let Some(total) = done.update(message) {
                    progress(total);
                }
                if let Some(pulled) = message
                    .status
                    .as_deref()
                    .and_then(|s| s.strip_prefix("Digest: "))
                {
                    digest = Some(pulled.trim().to_string());
                }
                Ok(())
            })
            .await
            .map_err(|e| match e {
                Error::Refused { message, .. } if message == INCORRECT_PRIVILEGES => {
                    Error::PrivilegesDiffer {
                        plugin: remote.to_string(),
                    }
                }
                other => other,
            })?;
        let name = headers
            .get("Docker-Plugin-Name")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| alias.map(str::to_string))
            .ok_or_else(|| Error::Refused {
                action: "install",
                reference: subject,
                message: "its answer does not say what it named the plugin (Docker-Plugin-Name)"
                    .to_string(),
            })?;
        Ok(PulledPlugin { name, digest })
    }

    /// Starts the plugin `name`; `timeout` is how long the engine's client
    /// of the plugin waits for an answer.
    pub async fn enable_plugin(&self, name: &str, timeout: Duration) -> Result<(), Error> {
        let options = EnablePluginOptions {
            timeout: i32::try_from(timeout.as_secs()).unwrap_or(i32::MAX),
        };
        self.docker
            .enable_plugin(name, Some(options))
            .await
            .map_err(|e| self.plugin_refused("enable", name, e))
    }

    /// Stops the plugin `name`; `force` even while something uses it.
    pub async fn disable_plugin(&self, name: &str, force: bool) -> Result<(), Error> {
        let options = DisablePluginOptions { force: Some(force) };
        self.docker
            .disable_plugin(name, Some(options))
            .await
            .map_err(|e| self.plugin_refused("disable", name, e))
    }

    /// Removes the plugin `name`; `force` even when it is enabled.
    pub async fn remove_plugin(&self, name: &str, force: bool) -> Result<(), Error> {
        match self
            .docker
            .remove_plugin(name, Some(RemovePluginOptions { force }))
            .await
        {
            Ok(_) => Ok(()),
            // Engine 20.10 answers a removal 200 with an empty body, which
            // bollard 0.21 fails to read as the plugin it expects; a
            // refusal comes as an error status instead.
            Err(bollard::errors::Error::JsonSerdeError { err }) if err.is_eof() => Ok(()),
            Err(e) => Err(self.plugin_refused("remove", name, e)),
        }
    }

    /// Has the engine push the plugin `name` (a familiar name with a tag)
    /// to the registry its name names, with `auth`; the digest the engine
    /// reports, as for an image push.
    pub async fn push_plugin(
        &self,
        name: &str,
        tag: &str,
        auth: &RegistryAuth,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Pushed, Error> {
        let request = StreamRequest {
            action: "push",
            subject: format!("plugin {name}"),
            path: format!("/plugins/{name}/push"),
            query: Vec::new(),
            auth,
            body: None,
            answer_within: super::ANSWER_WITHIN,
            missing: Some(Error::NoSuchPlugin {
                name: name.to_string(),
            }),
        };
        self.pushed(request, tag, progress).await
    }

    /// A bollard error about the plugin `name`: a 404 is no such plugin.
    fn plugin_refused(&self, action: &'static str, name: &str, e: bollard::errors::Error) -> Error {
        match e {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            } => Error::NoSuchPlugin {
                name: name.to_string(),
            },
            other => self.refused(action, &format!("plugin {name}"), other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pulls_plugins_by_digest;

    #[test]
    fn engines_before_the_fix_of_each_series_crash_on_a_digest_pull() {
        for crashes in [
            "20.10.24+dfsg1",
            "20.10.7",
            "23.0.6",
            "24.0.8",
            "25.0.2",
            "1.13.1",
        ] {
            assert!(!pulls_plugins_by_digest(crashes), "{crashes}");
        }
        for fixed in [
            "24.0.9",
            "24.0.10-ce",
            "25.0.3",
            "26.0.0",
            "26.1.4",
            "28.2.2",
            "dev",
            "",
        ] {
            assert!(pulls_plugins_by_digest(fixed), "{fixed}");
        }
    }
}
