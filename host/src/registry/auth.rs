//! Authentication as the docker CLI does it: the credential `credentials`
//! finds for a registry, the registry's `WWW-Authenticate` challenge, Basic
//! or bearer tokens for the scopes an operation needs, cached until they
//! expire.
//!
//! Owns: challenges and tokens. Credentials and tokens leave this module
//! only in an `Authorization` header, and errors never carry a secret.

use super::Error;
use super::credentials::{Credential, CredentialStore};
use super::transport::{self, Transport};
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

/// The most of a token server's answer that is read: a token (a JWT) is
/// a few KiB; a larger answer is a broken or hostile server, and its token
/// would go back to the registry as a header.
const MAX_TOKEN_ANSWER: usize = 4 << 20;

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
        let what = match scope_key(scopes) {
            key if key.is_empty() => "a token".to_string(),
            key => format!("a token for {key}"),
        };
        let (realm, server) = self.token_server(realm, &what)?;
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
                        transport.client().post(realm.clone()).form(&form)
                    }
                    other => {
                        let mut query = query.clone();
                        query.extend(scopes.iter().map(|s| ("scope", s.to_string())));
                        let request = transport.client().get(realm.clone()).query(&query);
                        match other {
                            Credential::Basic { username, password } => request
                                .header(reqwest::header::AUTHORIZATION, basic(username, password)),
                            _ => request,
                        }
                    }
                };
                let (what, server, credential) = (&what, &server, &credential);
                async move {
                    let response = transport.send(server, what, request).await?;
                    let status = response.status();
                    if !status.is_success() {
                        // Only a 401 is about the credentials (none were
                        // sent, or they were refused): logging in (again)
                        // can help, and is suggested. Anything else (a 403,
                        // a 5xx) is the token server's own refusal, and its
                        // realm may be any host the registry named: a login
                        // would only send a password there.
                        let login = (status == reqwest::StatusCode::UNAUTHORIZED)
                            .then(|| self.store.describe(&self.server, credential));
                        return Err(Error::from_response(server, None, what, response, login).await);
                    }
                    transport::read_document(response, MAX_TOKEN_ANSWER, server, what).await
                }
            })
            .await?;
        parse_token(&response, started).ok_or_else(|| Error::Protocol {
            registry: server,
            what,
            message:
                "its answer has no token (a `token` or `access_token` that can be sent as a header)"
                    .to_string(),
        })
    }

    /// The URL of the token realm a challenge of this registry names, and
    /// how errors name its server: "the token server HOST that REGISTRY
    /// sent us to". Only an http:// or https:// realm is asked; any other
    /// (`file://`) is refused, saying why.
    fn token_server(&self, realm: &str, what: &str) -> Result<(reqwest::Url, String), Error> {
        let refused = |why: &str| Error::Protocol {
            registry: self.registry.clone(),
            what: what.to_string(),
            message: format!("its token realm {realm:?} is refused: {why}"),
        };
        let url = reqwest::Url::parse(realm).map_err(|_| refused("it is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refused(
                "a realm must be an http:// or https:// URL; tokens are asked for over HTTP only",
            ));
        }
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => return Err(refused("it names no host")),
        };
        Ok((
            url,
            format!("the token server {host} that {} sent us to", self.registry),
        ))
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
    // It goes back to the registry as `Authorization: Bearer TOKEN`.
    let usable = |t: &String| {
        !t.is_empty() && reqwest::header::HeaderValue::from_str(&format!("Bearer {t}")).is_ok()
    };
    let value = answer
        .token
        .filter(usable)
        .or(answer.access_token.filter(usable))?;
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
        // It could not go back as a header.
        assert!(parse_token(br#"{"token":"a\r\nX-Injected: 1"}"#, now).is_none());
    }

    #[test]
    fn a_realm_is_named_by_its_host_and_only_http_is_asked() {
        let auth = Authorizer::new(
            "127.0.0.1:5000",
            "127.0.0.1:5000",
            CredentialStore::new(std::path::PathBuf::from("/nonexistent/config.json")),
            None,
        );
        let (url, server) = auth
            .token_server("http://169.254.169.254:80/token?x=1", "a token")
            .unwrap();
        assert_eq!(url.as_str(), "http://169.254.169.254/token?x=1");
        assert_eq!(
            server,
            "the token server 169.254.169.254 that 127.0.0.1:5000 sent us to"
        );
        let (_, server) = auth
            .token_server("https://[::1]:9000/t", "a token")
            .unwrap();
        assert_eq!(
            server,
            "the token server [::1]:9000 that 127.0.0.1:5000 sent us to"
        );
        for (realm, why) in [
            ("file:///etc/passwd", "an http:// or https:// URL"),
            ("ftp://auth.example/token", "an http:// or https:// URL"),
            ("/token", "not a URL"),
        ] {
            let refused = auth.token_server(realm, "a token").unwrap_err().to_string();
            assert!(
                refused.starts_with("a token: 127.0.0.1:5000 answered")
                    && refused.contains(&format!("{realm:?} is refused"))
                    && refused.contains(why),
                "{refused}"
            );
        }
    }
}
