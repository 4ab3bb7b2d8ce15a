//! Where a registry's credentials come from and go, as the docker CLI
//! keeps them: the Docker config (`auths`, `credHelpers`, `credsStore`)
//! and the credential helpers it names ([`super::credential_helper`]).
//!
//! Owns: what the config means: which of its keys name a server
//! ([`names_server`], for reading and for `logout` alike), which helper
//! keeps a server's credentials, the lookup order, and the edits `login`
//! and `logout` make ([`DockerConfig`]). A config it cannot read is
//! refused with the file and the key named, never rewritten.
//!
//! Must not: write the file (the caller replaces it, under a lock), let a
//! secret reach an error or a log line ([`Credential`]'s `Debug` hides
//! it; errors name the server and the config file), or know about
//! challenges and tokens (`auth` does).

use super::credential_helper::{Helper, HelperError};
use base64::Engine as _;
use serde_json::{Map, Value};
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

/// The Docker config or a credential helper failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The config file cannot be read.
    #[error("cannot read the Docker config {}: {source}", .path.display())]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config is not what docker writes; it is left as it is.
    #[error(
        "{} is not a valid Docker config: {problem}; fix or remove it (it is left as it is)",
        .path.display()
    )]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// What is wrong, naming the key.
        problem: String,
    },
    /// A credential helper failed.
    #[error(transparent)]
    Helper(#[from] HelperError),
}

/// Whether `key` (of `auths` or `credHelpers`) names `server`: both read
/// as docker's `ConvertToHostname` reads them (`HOST`, `https://HOST`,
/// `http://HOST/`, `https://HOST/v1/` are one server), Docker Hub by any
/// of its names. The one rule for reading credentials and for `logout`.
pub fn names_server(key: &str, server: &str) -> bool {
    hostname(key) == hostname(server)
}

/// The host (and port) a config key or server names.
fn hostname(key: &str) -> &str {
    let bare = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = bare.split('/').next().unwrap_or(bare);
    match host {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "index.docker.io",
        other => other,
    }
}

/// A Docker config, read and checked: `auths` an object of objects,
/// `credHelpers` an object of strings, `credsStore` a string. Every other
/// entry is kept as it is.
#[derive(Debug, Clone)]
pub struct DockerConfig {
    path: PathBuf,
    entries: Map<String, Value>,
}

impl DockerConfig {
    /// The config at `path`: none (absent) reads as empty.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let read = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::parse(path, None),
            Err(source) => Err(read(source)),
            // A FIFO or a device would be read forever.
            Ok(meta) if !meta.is_file() => Err(read(std::io::Error::other("not a regular file"))),
            Ok(_) => match std::fs::read(path) {
                Ok(bytes) => Self::parse(path, Some(&bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::parse(path, None),
                Err(source) => Err(read(source)),
            },
        }
    }

    /// The config whose file at `path` holds `bytes` (`None`: no file).
    /// An empty file is an empty config, as docker reads it.
    pub fn parse(path: &Path, bytes: Option<&[u8]>) -> Result<Self, Error> {
        let invalid = |problem: String| Error::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let entries = match bytes {
            None => Map::new(),
            Some(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Map::new(),
            Some(bytes) => match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Object(entries)) => entries,
                Ok(_) => return Err(invalid("it is not a JSON object".to_string())),
                Err(e) => return Err(invalid(format!("it is not JSON ({e})"))),
            },
        };
        if let Some(auths) = entries.get("auths") {
            let auths = auths
                .as_object()
                .ok_or_else(|| invalid("`auths` is not an object".to_string()))?;
            if let Some((key, _)) = auths.iter().find(|(_, entry)| !entry.is_object()) {
                return Err(invalid(format!("`auths` entry {key:?} is not an object")));
            }
        }
        if let Some(helpers) = entries.get("credHelpers") {
            let helpers = helpers
                .as_object()
                .ok_or_else(|| invalid("`credHelpers` is not an object".to_string()))?;
            if let Some((key, _)) = helpers.iter().find(|(_, name)| !name.is_string()) {
                return Err(invalid(format!(
                    "`credHelpers` entry {key:?} is not a string"
                )));
            }
        }
        if entries.get("credsStore").is_some_and(|s| !s.is_string()) {
            return Err(invalid("`credsStore` is not a string".to_string()));
        }
        Ok(Self {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The config as docker writes it: indented JSON and a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(&self.entries).expect("JSON values serialize");
        bytes.push(b'\n');
        bytes
    }

    fn auths(&self) -> Option<&Map<String, Value>> {
        self.entries.get("auths").and_then(Value::as_object)
    }

    /// A string-valued entry of the object `name` whose key names
    /// `server`: the key equal to `server` first, as docker looks.
    fn named<'a>(&'a self, name: &str, server: &str) -> Option<(&'a str, &'a Value)> {
        let object = self.entries.get(name)?.as_object()?;
        object
            .get_key_value(server)
            .or_else(|| object.iter().find(|(key, _)| names_server(key, server)))
            .map(|(key, value)| (key.as_str(), value))
    }

    /// The helper that keeps `server`'s credentials: its `credHelpers`
    /// entry, else the `credsStore`, else none (an empty name is none).
    pub fn helper_for(&self, server: &str) -> Option<Helper> {
        self.server_helper(server).or_else(|| self.store_helper())
    }

    /// `server`'s `credHelpers` entry's helper.
    fn server_helper(&self, server: &str) -> Option<Helper> {
        match self.named("credHelpers", server) {
            Some((key, Value::String(name))) if !name.is_empty() => Some(Helper::new(
                name,
                format!("`credHelpers` entry {key:?} of {}", self.path.display()),
            )),
            _ => None,
        }
    }

    /// The `credsStore` helper.
    fn store_helper(&self) -> Option<Helper> {
        match self.entries.get("credsStore") {
            Some(Value::String(name)) if !name.is_empty() => Some(Helper::new(
                name,
                format!("`credsStore` of {}", self.path.display()),
            )),
            _ => None,
        }
    }

    /// The keys of `auths` that name `server`, in the config's order.
    pub fn keys_for(&self, server: &str) -> Vec<String> {
        self.auths()
            .map(|auths| {
                auths
                    .keys()
                    .filter(|key| names_server(key, server))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The credential for `server` as the docker CLI finds it: its
    /// `credHelpers` helper's, else its `auths` entry's (`identitytoken`,
    /// `auth`, `username` and `password`), else the `credsStore`'s, else
    /// none. A helper's "credentials not found" is none. Runs helper
    /// programs: call it off the async threads.
    pub fn lookup(&self, server: &str) -> Result<Credential, Error> {
        let from_helper = |helper: Helper| -> Result<Credential, Error> {
            Ok(helper.get(server)?.unwrap_or(Credential::Anonymous))
        };
        if let Some(helper) = self.server_helper(server) {
            return from_helper(helper);
        }
        if let Some((_, Value::Object(entry))) = self.named("auths", server) {
            let field = |name: &str| entry.get(name).and_then(Value::as_str);
            if let Some(token) = field("identitytoken").filter(|t| !t.is_empty()) {
                return Ok(Credential::IdentityToken(token.to_string()));
            }
            if let Some(auth) = field("auth").filter(|a| !a.is_empty()) {
                return self.decode_auth(server, auth);
            }
            if let (Some(username), Some(password)) = (field("username"), field("password")) {
                return Ok(Credential::Basic {
                    username: username.to_string(),
                    password: password.to_string(),
                });
            }
        }
        match self.store_helper() {
            Some(helper) => from_helper(helper),
            None => Ok(Credential::Anonymous),
        }
    }

    /// An `auth` entry: base64 of `user:password`, padded or not.
    fn decode_auth(&self, server: &str, auth: &str) -> Result<Credential, Error> {
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
        let engine = GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let decoded = engine
            .decode(auth.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        match decoded.as_deref().and_then(|d| d.split_once(':')) {
            Some((username, password)) => Ok(Credential::Basic {
                username: username.to_string(),
                password: password.to_string(),
            }),
            None => Err(Error::Invalid {
                path: self.path.clone(),
                problem: format!("the `auth` entry for {server} is not base64 of user:password"),
            }),
        }
    }

    /// Records a login to `server`, as `docker login` does: `auths`'
    /// entry for it becomes `{"auth": base64(user:password)}`, or `{}`
    /// when a helper keeps the secret (`secret` is then `None`).
    pub fn set_login(&mut self, server: &str, secret: Option<(&str, &str)>) {
        let entry = match secret {
            Some((username, password)) => serde_json::json!({
                "auth": base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}")),
            }),
            None => serde_json::json!({}),
        };
        self.entries
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("checked an object when read")
            .insert(server.to_string(), entry);
    }

    /// Removes `keys` from `auths`; whether any was there.
    pub fn remove_keys(&mut self, keys: &[String]) -> bool {
        let Some(auths) = self.entries.get_mut("auths").and_then(Value::as_object_mut) else {
            return false;
        };
        let before = auths.len();
        auths.retain(|key, _| !keys.contains(key));
        auths.len() != before
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

    /// The config, read and checked now.
    pub fn config(&self) -> Result<DockerConfig, super::Error> {
        Ok(DockerConfig::read(&self.config)?)
    }

    /// The credential for `server` (a [`super::credential_key`]), as
    /// [`DockerConfig::lookup`] finds it. Runs helper programs: call it
    /// off the async threads.
    pub fn lookup(&self, server: &str) -> Result<Credential, super::Error> {
        Ok(self.config()?.lookup(server)?)
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

    fn config(text: &str) -> DockerConfig {
        DockerConfig::parse(Path::new("/c.json"), Some(text.as_bytes())).unwrap()
    }

    fn refusal(text: &str) -> String {
        DockerConfig::parse(Path::new("/c.json"), Some(text.as_bytes()))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn every_form_docker_writes_names_the_server_and_no_other() {
        for key in [
            "registry.example:5000",
            "https://registry.example:5000",
            "http://registry.example:5000/",
            "https://registry.example:5000/v1/",
            "https://registry.example:5000/v2/",
        ] {
            assert!(names_server(key, "registry.example:5000"), "{key}");
        }
        for key in [
            "registry.example:5001",
            "registry.example",
            "https://other.example/registry.example:5000",
            "ftp://registry.example:5000",
        ] {
            assert!(!names_server(key, "registry.example:5000"), "{key}");
        }
        for key in [
            "https://index.docker.io/v1/",
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
            "https://registry-1.docker.io/v2/",
        ] {
            assert!(names_server(key, "https://index.docker.io/v1/"), "{key}");
        }
        let found = config(
            r#"{"auths":{"https://registry.example:5000":{},"registry.example:5000/v1/":{},
                "other.example":{},"http://registry.example:5000/":{}}}"#,
        );
        assert_eq!(
            found.keys_for("registry.example:5000"),
            [
                "http://registry.example:5000/",
                "https://registry.example:5000",
                "registry.example:5000/v1/"
            ]
        );
    }

    #[test]
    fn credentials_come_from_auths_helpers_or_nowhere_and_never_print() {
        let found = config(
            r#"{"auths":{"http://127.0.0.1:5000":{"auth":"dXNlcjpzM2NyZXQ="},
                "127.0.0.1:6000":{"identitytoken":"refresh-me"},
                "127.0.0.1:7000":{"username":"u","password":"p"},
                "127.0.0.1:8000":{"auth":"dXNlcjpwdw"},
                "127.0.0.1:9000":{}}}"#,
        );
        let basic = found.lookup("127.0.0.1:5000").unwrap();
        assert_eq!(
            basic,
            Credential::Basic {
                username: "user".into(),
                password: "s3cret".into()
            }
        );
        assert!(!format!("{basic:?}").contains("s3cret"));
        let token = found.lookup("127.0.0.1:6000").unwrap();
        assert_eq!(token, Credential::IdentityToken("refresh-me".into()));
        assert!(!format!("{token:?}").contains("refresh-me"));
        assert_eq!(
            found.lookup("127.0.0.1:7000").unwrap(),
            Credential::Basic {
                username: "u".into(),
                password: "p".into()
            }
        );
        assert_eq!(
            found.lookup("127.0.0.1:8000").unwrap(),
            Credential::Basic {
                username: "user".into(),
                password: "pw".into()
            },
            "unpadded base64, as docker reads it"
        );
        for anonymous in ["127.0.0.1:9000", "127.0.0.1:1"] {
            assert_eq!(found.lookup(anonymous).unwrap(), Credential::Anonymous);
        }
        let broken = config(r#"{"auths":{"127.0.0.1:5000":{"auth":"no colon"}}}"#)
            .lookup("127.0.0.1:5000")
            .unwrap_err()
            .to_string();
        assert!(
            broken.contains("/c.json") && broken.contains("`auth`"),
            "{broken}"
        );
        assert!(!broken.contains("no colon"), "{broken}");
    }

    #[test]
    fn a_servers_helper_comes_first_then_auths_then_the_store() {
        let found = config(
            r#"{"credHelpers":{"https://helped.example":"ocipipe-absent-a","blank.example":""},
                "credsStore":"ocipipe-absent-b",
                "auths":{"kept.example":{"auth":"dTpw"},"helped.example":{"auth":"dTpw"}}}"#,
        );
        let helper = |server: &str| found.helper_for(server).map(|h| h.program().to_string());
        assert_eq!(
            helper("helped.example").as_deref(),
            Some("docker-credential-ocipipe-absent-a")
        );
        assert_eq!(
            helper("blank.example").as_deref(),
            Some("docker-credential-ocipipe-absent-b")
        );
        // A credHelpers entry is asked before auths, the store after.
        let refused = found.lookup("helped.example").unwrap_err().to_string();
        assert!(
            refused.contains("docker-credential-ocipipe-absent-a get"),
            "{refused}"
        );
        assert!(refused.contains("`credHelpers` entry"), "{refused}");
        assert!(matches!(
            found.lookup("kept.example").unwrap(),
            Credential::Basic { .. }
        ));
        let refused = found.lookup("other.example").unwrap_err().to_string();
        assert!(
            refused.contains("docker-credential-ocipipe-absent-b get"),
            "{refused}"
        );
        assert!(refused.contains("`credsStore` of /c.json"), "{refused}");
        assert_eq!(config("{}").helper_for("x"), None);
    }

    #[test]
    fn an_empty_config_is_empty_and_a_wrong_shape_is_refused_naming_the_key() {
        for empty in ["", " \n\t"] {
            assert_eq!(config(empty).lookup("x").unwrap(), Credential::Anonymous);
        }
        assert_eq!(
            DockerConfig::parse(Path::new("/c.json"), None)
                .unwrap()
                .to_bytes(),
            b"{}\n"
        );
        for (text, key) in [
            (r#"{"auths":[1,2]}"#, "`auths` is not an object"),
            (
                r#"{"auths":{"a":"dTpw"}}"#,
                "`auths` entry \"a\" is not an object",
            ),
            (r#"{"credHelpers":"x"}"#, "`credHelpers` is not an object"),
            (
                r#"{"credHelpers":{"a":1}}"#,
                "`credHelpers` entry \"a\" is not a string",
            ),
            (r#"{"credsStore":true}"#, "`credsStore` is not a string"),
            ("[1]", "it is not a JSON object"),
            ("not json", "it is not JSON"),
        ] {
            let refused = refusal(text);
            assert!(
                refused.starts_with("/c.json is not a valid Docker config: ")
                    && refused.contains(key)
                    && refused.ends_with("(it is left as it is)"),
                "{text}: {refused}"
            );
        }
    }

    #[test]
    fn a_login_keeps_every_other_entry_and_a_helper_login_keeps_no_secret() {
        let mut edited = config(
            r#"{"auths":{"other:1":{"auth":"eDp5"}},"credHelpers":{"gcr.io":"gcloud"},"psFormat":"table"}"#,
        );
        edited.set_login("127.0.0.1:5000", Some(("user", "pw")));
        edited.set_login("127.0.0.1:6000", None);
        let value: Value = serde_json::from_slice(&edited.to_bytes()).unwrap();
        assert_eq!(value["auths"]["127.0.0.1:5000"]["auth"], "dXNlcjpwdw==");
        assert_eq!(value["auths"]["127.0.0.1:6000"], serde_json::json!({}));
        assert_eq!(value["auths"]["other:1"]["auth"], "eDp5");
        assert_eq!(value["credHelpers"]["gcr.io"], "gcloud");
        assert_eq!(value["psFormat"], "table");
        assert!(edited.remove_keys(&["127.0.0.1:5000".into(), "absent".into()]));
        assert!(!edited.remove_keys(&["127.0.0.1:5000".into()]));
        let mut fresh = config("");
        assert!(!fresh.remove_keys(&["x".into()]));
        fresh.set_login("x", Some(("u", "p")));
        assert_eq!(
            fresh.lookup("x").unwrap(),
            Credential::Basic {
                username: "u".into(),
                password: "p".into()
            }
        );
    }
}
