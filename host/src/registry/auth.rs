//! Authentication as the docker CLI does it: the credential `credentials`
//! finds for a registry, the registry's `WWW-Authenticate` challenge, Basic
//! or bearer tokens for the scopes an operation needs, cached until they
//! expire.
//!
//! Owns: challenges and tokens. Credentials and tokens leave this module
//! only in an `Authorization` header, and errors never carry a secret.

use super::Error;
use super::credentials::{Credential, CredentialStore};
use super::transport::Transport;
use base64::Engine as _;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An access a token is asked for, e.g. `repository:team/app:pull,push`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    /// `repository`, or `repository(plugin)` for managed plugins.
    pub resource: String,
    /// The repository name.
    pub name: String,
    /// `pull`, `push`.
    pub actions: Vec<String>,
}

impl Scope {
    /// `repository:NAME:ACTIONS`.
    pub fn repository(name: &str, actions: &[&str]) -> Self {
        Self {
            resource: "repository".to_string(),
            name: name.to_string(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
        }
    }

    /// `repository(plugin):NAME:ACTIONS`: a managed plugin's repository,
    /// as moby's plugin manager asks for it.
    pub fn plugin(name: &str, actions: &[&str]) -> Self {
        Self {
            resource: "repository(plugin)".to_string(),
            ..Self::repository(name, actions)
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.resource,
            self.name,
            self.actions.join(",")
        )
    }
}

/// How a registry asks to be authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// It does not.
    None,
    /// `Basic`: the credential on every request.
    Basic,
    /// `Bearer`: a token from `realm` for the scopes.
    Bearer {
        /// The token server.
        realm: String,
        /// The service the token is for.
        service: Option<String>,
    },
}

impl Challenge {
    /// The challenge of a `WWW-Authenticate` value; Bearer is preferred
    /// when several are offered, unknown schemes are ignored.
    pub fn parse(value: &str) -> Option<Challenge> {
        let challenges = http_auth::parse_challenges(value).ok()?;
        let param = |c: &http_auth::ChallengeRef<'_>, name: &str| {
            c.params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_unescaped())
        };
        if let Some(c) = challenges
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        {
            return Some(Challenge::Bearer {
                realm: param(c, "realm")?,
                service: param(c, "service"),
            });
        }
        challenges
            .iter()
            .any(|c| c.scheme.eq_ignore_ascii_case("basic"))
            .then_some(Challenge::Basic)
    }
}

/// A cached token.
struct Token {
    value: String,
    expires: Instant,
}

/// Authorization for one registry: its credential, its challenge (learnt
/// once), and tokens by scope set.
pub struct Authorizer {
    registry: String,
    server: String,
    store: CredentialStore,
    credential: tokio::sync::OnceCell<Credential>,
    challenge: Mutex<Option<Challenge>>,
    tokens: Mutex<HashMap<String, Token>>,
    fetching: tokio::sync::Mutex<()>,
}

impl Authorizer {
    /// Authorization for `registry` (host:port) whose credentials are
    /// keyed `server` in `store`, or are `given` (a login to check).
    pub fn new(
        registry: &str,
        server: &str,
        store: CredentialStore,
        given: Option<Credential>,
    ) -> Self {
        Self {
            registry: registry.to_string(),
            server: server.to_string(),
            store,
            credential: tokio::sync::OnceCell::new_with(given),
            challenge: Mutex::new(None),
            tokens: Mutex::new(HashMap::new()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The credential, looked up once (helpers run off the async threads).
    pub async fn credential(&self) -> Result<&Credential, Error> {
        self.credential
            .get_or_try_init(|| async {
                let store = self.store.clone();
                let server = self.server.clone();
                tokio::task::spawn_blocking(move || store.lookup(&server))
                    .await
                    .map_err(|e| Error::Credentials {
                        server: self.server.clone(),
                        message: e.to_string(),
                    })?
            })
            .await
    }

    /// How the credential in use is described in a 401 or 403 error.
    pub async fn describe(&self) -> String {
        match self.credential.get() {
            Some(c) => self.store.describe(&self.server, c),
            None => self.store.describe(&self.server, &Credential::Anonymous),
        }
    }

    /// Learns the challenge from an answer's `WWW-Authenticate` (none: no
    /// auth), forgetting the tokens for `scopes`.
    pub fn challenged(&self, headers: &reqwest::header::HeaderMap, scopes: &[Scope]) {
        let challenge = headers
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(Challenge::parse)
            .unwrap_or(Challenge::None);
        *self.challenge.lock().expect("not poisoned") = Some(challenge);
        self.tokens
            .lock()
            .expect("not poisoned")
            .remove(&scope_key(scopes));
    }

    /// The `Authorization` header for a request needing `scopes`, if any.
    pub async fn header(
        &self,
        transport: &Transport,
        scopes: &[Scope],
    ) -> Result<Option<String>, Error> {
        let challenge = self.challenge.lock().expect("not poisoned").clone();
        match challenge {
            None | Some(Challenge::None) => Ok(None),
            Some(Challenge::Basic) => match self.credential().await? {
                Credential::Basic { username, password } => Ok(Some(basic(username, password))),
                _ => Ok(None),
            },
            Some(Challenge::Bearer { realm, service }) => {
                let key = scope_key(scopes);
                let cached = || {
                    self.tokens
                        .lock()
                        .expect("not poisoned")
                        .get(&key)
                        .filter(|token| token.expires > Instant::now())
                        .map(|token| format!("Bearer {}", token.value))
                };
                if let Some(header) = cached() {
                    return Ok(Some(header));
                }
                // Requests that start together wait for one token.
                let _fetching = self.fetching.lock().await;
                if let Some(header) = cached() {
                    return Ok(Some(header));
                }
                let token = self
                    .fetch_token(transport, &realm, service.as_deref(), scopes)
                    .await?;
                let value = format!("Bearer {}", token.value);
                self.tokens.lock().expect("not poisoned").insert(key, token);
                Ok(Some(value))
            }
        }
    }

    /// A token from the token server: a GET with Basic credentials (or
    /// none), or the OAuth2 refresh-token POST for an identity token.
    async fn fetch_token(
        &self,
        transport: &Transport,
        realm: &str,
        service: Option<&str>,
        scopes: &[Scope],
    ) -> Result<Token, Error> {
        let credential = self.credential().await?.clone();
        let what = format!("a token for {}", scope_key(scopes));
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(service) = service {
            query.push(("service", service.to_string()));
        }
        let started = Instant::now();
        let response = transport
            .retrying(&what, || {
                let request = match &credential {
                    Credential::IdentityToken(refresh) => {
                        let mut form = query.clone();
                        form.push(("grant_type", "refresh_token".to_string()));
                        form.push(("refresh_token", refresh.clone()));
                        form.push(("client_id", "ocipipe".to_string()));
                        let joined: Vec<String> = scopes.iter().map(Scope::to_string).collect();
                        form.push(("scope", joined.join(" ")));
                        transport.client().post(realm).form(&form)
                    }
                    other => {
                        let mut query = query.clone();
                        query.extend(scopes.iter().map(|s| ("scope", s.to_string())));
                        let request = transport.client().get(realm).query(&query);
                        match other {
                            Credential::Basic { username, password } => request
                                .header(reqwest::header::AUTHORIZATION, basic(username, password)),
                            _ => request,
                        }
                    }
                };
                let what = &what;
                let credential = &credential;
                async move {
                    let response = request
                        .send()
                        .await
                        .map_err(|e| Error::connection(&self.registry, what, e))?;
                    if !response.status().is_success() {
                        return Err(Error::from_response(
                            &self.registry,
                            None,
                            what,
                            response,
                            Some(self.store.describe(&self.server, credential)),
                        )
                        .await);
                    }
                    response
                        .bytes()
                        .await
                        .map_err(|e| Error::connection(&self.registry, what, e))
                }
            })
            .await?;
        parse_token(&response, started).ok_or_else(|| Error::Protocol {
            registry: self.registry.clone(),
            what,
            message: "the token server's answer has no token".to_string(),
        })
    }
}

/// The token of a token server's JSON (`token` or `access_token`), valid
/// for `expires_in` seconds (60 when unsaid, as the spec says) from when
/// it was asked for, less a margin.
fn parse_token(body: &[u8], asked: Instant) -> Option<Token> {
    #[derive(serde::Deserialize)]
    struct Answer {
        token: Option<String>,
        access_token: Option<String>,
        expires_in: Option<u64>,
    }
    let answer: Answer = serde_json::from_slice(body).ok()?;
    let value = answer
        .token
        .filter(|t| !t.is_empty())
        .or(answer.access_token.filter(|t| !t.is_empty()))?;
    let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(60).max(1));
    Some(Token {
        value,
        expires: asked + lifetime.mul_f64(0.9),
    })
}

/// One key for a set of scopes, whatever their order.
fn scope_key(scopes: &[Scope]) -> String {
    let mut scopes: Vec<String> = scopes.iter().map(Scope::to_string).collect();
    scopes.sort();
    scopes.dedup();
    scopes.join(" ")
}

fn basic(username: &str, password: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_give_realm_and_service_and_win_over_basic() {
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="http://127.0.0.1:9000/token",service="registry.test",scope="repository:a/b:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:9000/token".into(),
                service: Some("registry.test".into())
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="x", Bearer realm="https://auth.example/token""#),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: None
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="ocipipe""#),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::parse(r#"Negotiate abc"#), None);
        assert_eq!(Challenge::parse(r#"Bearer service="no realm""#), None);
    }

    #[test]
    fn scopes_print_as_the_token_spec_writes_them_and_key_in_any_order() {
        let push = Scope::repository("team/app", &["pull", "push"]);
        let mount = Scope::repository("team/base", &["pull"]);
        assert_eq!(push.to_string(), "repository:team/app:pull,push");
        let plugin = Scope::plugin("team/base", &["pull"]);
        assert_eq!(plugin.to_string(), "repository(plugin):team/base:pull");
        assert_eq!(
            scope_key(&[push.clone(), mount.clone()]),
            scope_key(&[mount, push])
        );
    }

    #[test]
    fn tokens_expire_before_the_server_says_and_default_to_a_minute() {
        let now = Instant::now();
        let t = parse_token(br#"{"token":"abc","expires_in":300}"#, now).unwrap();
        assert_eq!(t.value, "abc");
        assert_eq!(t.expires, now + Duration::from_secs(270));
        let t = parse_token(br#"{"access_token":"xyz"}"#, now).unwrap();
        assert_eq!(
            (t.value.as_str(), t.expires),
            ("xyz", now + Duration::from_secs(54))
        );
        assert!(parse_token(br#"{"token":""}"#, now).is_none());
        assert!(parse_token(b"<html>", now).is_none());
    }
}
