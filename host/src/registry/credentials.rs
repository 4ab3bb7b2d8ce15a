//! Where a registry's credentials come from and go, as the docker CLI
//! keeps them: the Docker config (`auths`, `credHelpers`, `credsStore`)
//! and credential helpers.
//!
//! Owns: reading credentials, and `login`/`logout`'s changes to the
//! config. Must not: let a secret reach an error or a log line
//! ([`Credential`]'s `Debug` hides it; errors name the server and the
//! config file), or know about challenges and tokens (`auth` does).

use super::Error;
use base64::Engine as _;
use std::path::{Path, PathBuf};

/// A credential for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// None configured.
    Anonymous,
    /// A user name and password (or access token used as one).
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// An OAuth refresh token (`identitytoken`), traded for access tokens.
    IdentityToken(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Anonymous => f.write_str("Anonymous"),
            Credential::Basic { username, .. } => write!(f, "Basic({username:?}, <hidden>)"),
            Credential::IdentityToken(_) => f.write_str("IdentityToken(<hidden>)"),
        }
    }
}

/// Where credentials come from: a Docker config file.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    config: PathBuf,
}

impl CredentialStore {
    /// The credentials in the Docker config at `config`
    /// (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`).
    pub fn new(config: PathBuf) -> Self {
        Self { config }
    }

    /// The config file.
    pub fn path(&self) -> &Path {
        &self.config
    }

    /// The credential for `server` (a [`super::credential_key`]): a
    /// credential helper's, else `auths`', else the `credsStore`'s, else
    /// none. Runs helper programs: call it off the async threads.
    pub fn lookup(&self, server: &str) -> Result<Credential, Error> {
        let bytes = match std::fs::read(&self.config) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Credential::Anonymous),
            Err(source) => {
                return Err(Error::Io {
                    what: format!("cannot read {}", self.config.display()),
                    source,
                });
            }
        };
        use docker_credential::{CredentialRetrievalError as E, DockerCredential};
        match docker_credential::get_credential_from_reader(bytes.as_slice(), server) {
            Ok(DockerCredential::UsernamePassword(username, password)) => {
                Ok(Credential::Basic { username, password })
            }
            Ok(DockerCredential::IdentityToken(token)) => Ok(Credential::IdentityToken(token)),
            Err(E::NoCredentialConfigured) => Ok(Credential::Anonymous),
            Err(e) => Err(Error::Credentials {
                server: server.to_string(),
                message: match e {
                    E::ConfigReadError | E::ConfigNotFound => {
                        format!("{} is not a valid Docker config", self.config.display())
                    }
                    E::CredentialDecodingError => format!(
                        "its `auth` entry in {} is not base64 of user:password",
                        self.config.display()
                    ),
                    // A helper's own words may echo its input: name it only.
                    E::HelperFailure { helper, .. } => format!("{helper} get failed"),
                    E::HelperCommunicationError => {
                        "its credential helper (docker-credential-…) cannot be run".to_string()
                    }
                    E::MalformedHelperResponse => {
                        "its credential helper answered something that is not JSON".to_string()
                    }
                    other => other.to_string(),
                },
            }),
        }
    }

    /// Records `username` and `password` for `server` in the config's
    /// `auths`, as `docker login` does without a credential store: the
    /// file replaced atomically, mode 0600, every other entry kept.
    pub fn store_login(&self, server: &str, username: &str, password: &str) -> Result<(), Error> {
        let mut config = self.read_for_update()?;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        let auths = config
            .as_object_mut()
            .expect("checked an object")
            .entry("auths")
            .or_insert_with(|| serde_json::json!({}));
        if !auths.is_object() {
            *auths = serde_json::json!({});
        }
        auths
            .as_object_mut()
            .expect("an object")
            .insert(server.to_string(), serde_json::json!({ "auth": encoded }));
        self.write(&config)
    }

    /// Removes `server`'s entry from `auths`; whether there was one.
    pub fn remove_login(&self, server: &str) -> Result<bool, Error> {
        let mut config = self.read_for_update()?;
        let removed = config
            .get_mut("auths")
            .and_then(|a| a.as_object_mut())
            .and_then(|a| a.remove(server))
            .is_some();
        if removed {
            self.write(&config)?;
        }
        Ok(removed)
    }

    /// The config as JSON (an empty object when there is none).
    fn read_for_update(&self) -> Result<serde_json::Value, Error> {
        let bytes = match std::fs::read(&self.config) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(serde_json::json!({})),
            Err(source) => {
                return Err(Error::Io {
                    what: format!("cannot read {}", self.config.display()),
                    source,
                });
            }
        };
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(value) if value.is_object() => Ok(value),
            _ => Err(Error::Credentials {
                server: self.config.display().to_string(),
                message: format!(
                    "{} is not a JSON object; fix or remove it first (it is left as it is)",
                    self.config.display()
                ),
            }),
        }
    }

    /// Replaces the config atomically, readable by its owner only.
    fn write(&self, config: &serde_json::Value) -> Result<(), Error> {
        use std::io::Write as _;
        use std::os::unix::fs::PermissionsExt as _;
        let io = |source| Error::Io {
            what: format!("cannot write {}", self.config.display()),
            source,
        };
        let dir = match self.config.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let mut file = tempfile::Builder::new()
            .prefix(".config.json.")
            .tempfile_in(&dir)
            .map_err(io)?;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
        let mut bytes = serde_json::to_vec_pretty(config).expect("JSON values serialize");
        bytes.push(b'\n');
        file.write_all(&bytes).map_err(io)?;
        file.persist(&self.config).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// How a credential is described in errors: where it came from, and
    /// how to log in.
    pub fn describe(&self, server: &str, credential: &Credential) -> String {
        let login = match server {
            "https://index.docker.io/v1/" => "ocipipe login".to_string(),
            other => format!("ocipipe login {other}"),
        };
        match credential {
            Credential::Anonymous => format!(
                "no credentials for {server} in {}; log in with: {login}",
                self.config.display()
            ),
            _ => format!(
                "used the credentials for {server} in {}; log in again with: {login}",
                self.config.display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_and_logout_keep_every_other_entry_and_the_file_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("docker").join("config.json");
        let store = CredentialStore::new(config.clone());
        store.store_login("127.0.0.1:5000", "user", "pw").unwrap();
        assert_eq!(
            std::fs::metadata(&config).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::write(
            &config,
            r#"{"auths":{"other:1":{"auth":"eDp5"}},"credHelpers":{"gcr.io":"gcloud"},"psFormat":"table"}"#,
        )
        .unwrap();
        store.store_login("127.0.0.1:5000", "user", "pw").unwrap();
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
        assert_eq!(value["auths"]["127.0.0.1:5000"]["auth"], "dXNlcjpwdw==");
        assert_eq!(value["auths"]["other:1"]["auth"], "eDp5");
        assert_eq!(value["credHelpers"]["gcr.io"], "gcloud");
        assert_eq!(value["psFormat"], "table");
        assert_eq!(
            store.lookup("127.0.0.1:5000").unwrap(),
            Credential::Basic {
                username: "user".into(),
                password: "pw".into()
            }
        );
        assert!(store.remove_login("127.0.0.1:5000").unwrap());
        assert!(!store.remove_login("127.0.0.1:5000").unwrap());
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
        assert!(value["auths"].get("127.0.0.1:5000").is_none());
        assert_eq!(value["auths"]["other:1"]["auth"], "eDp5");
        std::fs::write(&config, "[1]").unwrap();
        assert!(store.store_login("x", "u", "p").is_err());
        assert_eq!(
            std::fs::read(&config).unwrap(),
            b"[1]",
            "a config it cannot read is left alone"
        );
    }

    #[test]
    fn credentials_come_from_auths_helpers_or_nowhere_and_never_print() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.json");
        let store = CredentialStore::new(config.clone());
        assert_eq!(
            store.lookup("127.0.0.1:5000").unwrap(),
            Credential::Anonymous
        );
        std::fs::write(
            &config,
            r#"{"auths":{"http://127.0.0.1:5000":{"auth":"dXNlcjpzM2NyZXQ="},
                "127.0.0.1:6000":{"identitytoken":"refresh-me"}}}"#,
        )
        .unwrap();
        let basic = store.lookup("127.0.0.1:5000").unwrap();
        assert_eq!(
            basic,
            Credential::Basic {
                username: "user".into(),
                password: "s3cret".into()
            }
        );
        assert!(!format!("{basic:?}").contains("s3cret"));
        let token = store.lookup("127.0.0.1:6000").unwrap();
        assert_eq!(token, Credential::IdentityToken("refresh-me".into()));
        assert!(!format!("{token:?}").contains("refresh-me"));
        assert_eq!(
            store.lookup("127.0.0.1:7000").unwrap(),
            Credential::Anonymous
        );
        std::fs::write(
            &config,
            r#"{"credHelpers":{"127.0.0.1:5000":"ocipipe-test-absent"}}"#,
        )
        .unwrap();
        let refused = store.lookup("127.0.0.1:5000").unwrap_err().to_string();
        assert!(
            refused.contains("127.0.0.1:5000") && refused.contains("helper"),
            "{refused}"
        );
        std::fs::write(&config, "not json").unwrap();
        let refused = store.lookup("127.0.0.1:5000").unwrap_err().to_string();
        assert!(refused.contains("not a valid Docker config"), "{refused}");
    }
}
