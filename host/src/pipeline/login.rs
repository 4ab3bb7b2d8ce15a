//! `login` and `logout`'s change to the Docker config, as the docker CLI
//! makes it: under the config's lock (concurrent logins all land), the
//! credentials go to the server's credential helper, the config keeping
//! `{}` for the server, or into `auths` when no helper keeps them;
//! `logout` erases them from the helper and removes every key that names
//! the server.
//!
//! Owns: the read-modify-write. Decides nothing about keys or helpers
//! (`registry::credentials` does) and writes nothing itself
//! (`store::locked` does).

use super::Error;
use crate::registry::credentials;
use crate::registry::{CredentialStore, DockerConfig};
use crate::store::files;
use crate::store::locked::LockedFile;

/// The mode of a config that may hold secrets: its owner's alone.
const CONFIG_MODE: u32 = 0o600;

/// Where a login's secret went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredLogin {
    /// Into the config's `auths`.
    Config,
    /// Into this credential helper (`docker-credential-NAME`).
    Helper(String),
}

/// Keeps `username` and `password` for `server` (a
/// [`crate::registry::credential_key`]) where the Docker config says.
pub fn store_login(
    credentials: &CredentialStore,
    server: &str,
    username: &str,
    password: &str,
) -> Result<StoredLogin, Error> {
    let file = lock(credentials)?;
    let mut config = DockerConfig::parse(credentials.path(), file.contents()).map_err(failed)?;
    let stored = match config.helper_for(server) {
        Some(helper) => {
            helper.store(server, username, password).map_err(failed)?;
            config.set_login(server, None);
            StoredLogin::Helper(helper.program().to_string())
        }
        None => {
            config.set_login(server, Some((username, password)));
            StoredLogin::Config
        }
    };
    replace(credentials, file, &config)?;
    Ok(stored)
}

/// Forgets `server`'s credentials: erased from the helper that keeps
/// them (under the server and each key of `auths` naming it), and those
/// keys removed. Whether there were any.
pub fn remove_login(credentials: &CredentialStore, server: &str) -> Result<bool, Error> {
    if files::kind(credentials.path(), false).is_ok_and(|k| k == files::Kind::Absent) {
        // No config: no helper is named, nothing is kept.
        return Ok(false);
    }
    let file = lock(credentials)?;
    let mut config = DockerConfig::parse(credentials.path(), file.contents()).map_err(failed)?;
    let keys = config.keys_for(server);
    let mut erased = false;
    let mut names = vec![server.to_string()];
    names.extend(keys.iter().filter(|k| k.as_str() != server).cloned());
    for name in &names {
        if let Some(helper) = config.helper_for(name) {
            erased |= helper.erase(name).map_err(failed)?;
        }
    }
    let removed = config.remove_keys(&keys);
    if removed {
        replace(credentials, file, &config)?;
    }
    Ok(erased || removed)
}

fn lock(credentials: &CredentialStore) -> Result<LockedFile, Error> {
    LockedFile::open(credentials.path()).map_err(Error::output(format!(
        "cannot update the Docker config {}",
        credentials.path().display()
    )))
}

fn replace(
    credentials: &CredentialStore,
    file: LockedFile,
    config: &DockerConfig,
) -> Result<(), Error> {
    file.replace(&config.to_bytes(), CONFIG_MODE)
        .map_err(Error::output(format!(
            "cannot write the Docker config {}",
            credentials.path().display()
        )))
}

/// A config or helper failure, as the registry reports it.
fn failed(e: impl Into<credentials::Error>) -> Error {
    Error::Registry(e.into().into())
}
