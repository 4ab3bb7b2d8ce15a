//! The test registry's authentication: which accesses a request needs,
//! whether its `Authorization` grants them, the `401` challenge when it
//! does not, and the token endpoint (the distribution token spec: `GET
//! /token?service=…&scope=…`, Basic credentials when a user is set; or
//! the OAuth2 `POST` of a refresh token).

use super::routes::{Answer, Body, Call, Route, Stop, json, refusal, refuse, respond};
use super::state::Grant;
use super::{Auth, Shared};
use base64::Engine as _;
use hyper::body::Incoming;
use hyper::{Response, StatusCode};

/// The `service` of the challenge and of the tokens.
pub(super) const SERVICE: &str = "ocipipe-test-registry";

/// `Basic <base64(user:password)>`.
pub(super) fn basic(username: &str, password: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

/// The accesses `call` needs on `route`: pull to read a repository, pull
/// and push to write one, and pull on the source of a mount.
pub(super) fn needed(call: &Call<'_>, route: &Route) -> Vec<Grant> {
    let name = match route {
        Route::Ping | Route::Token | Route::Storage(_) => return Vec::new(),
        Route::Blob { name, .. }
        | Route::Uploads { name }
        | Route::Upload { name, .. }
        | Route::Manifest { name, .. }
        | Route::Referrers { name, .. }
        | Route::Tags { name } => name,
    };
    let grant = |name: &str, action: &str| (name.to_string(), action.to_string());
    if matches!(call.method.as_str(), "GET" | "HEAD") {
        return vec![grant(name, "pull")];
    }
    let mut needed = vec![grant(name, "pull"), grant(name, "push")];
    if let (Route::Uploads { .. }, Some(from)) = (route, call.param("from")) {
        needed.push(grant(from, "pull"));
    }
    needed
}

/// Whether `call` may go on to `route`; the `401` answer when not.
pub(super) fn check(call: &Call<'_>, route: &Route) -> Result<(), Stop> {
    if matches!(route, Route::Token | Route::Storage(_))
        || matches!(route, Route::Upload { .. }) && call.at_upload_host()
    {
        return Ok(());
    }
    let needed = needed(call, route);
    let presented = call.header("authorization");
    let shared = call.shared;
    match &shared.auth {
        Auth::None => Ok(()),
        Auth::Basic { username, password } => {
            if presented.as_deref() == Some(basic(username, password).as_str()) {
                Ok(())
            } else {
                Err(Stop::answer(challenge(shared, &needed, None)))
            }
        }
        Auth::Bearer { .. } => {
            let token = presented.as_deref().and_then(|h| h.strip_prefix("Bearer "));
            let grants = token.and_then(|t| shared.state().tokens.get(t).cloned());
            match grants {
                Some(grants) if needed.iter().all(|n| grants.contains(n)) => Ok(()),
                Some(_) => Err(Stop::answer(challenge(
                    shared,
                    &needed,
                    Some("insufficient_scope"),
                ))),
                None if token.is_some() => Err(Stop::answer(challenge(
                    shared,
                    &needed,
                    Some("invalid_token"),
                ))),
                None => Err(Stop::answer(challenge(shared, &needed, None))),
            }
        }
    }
}

/// A `401` asking for `needed`, as distribution words it: `Bearer
/// realm=…,service=…,scope="repository:NAME:pull,push"` (one scope per
/// repository), with `error` when a token was refused.
pub(super) fn challenge(shared: &Shared, needed: &[Grant], error: Option<&str>) -> Response<Body> {
    let value = match &shared.auth {
        Auth::None => None,
        Auth::Basic { .. } => Some(r#"Basic realm="ocipipe-test""#.to_string()),
        Auth::Bearer { .. } => {
            let mut value = format!(
                r#"Bearer realm="http://{}/token",service="{SERVICE}""#,
                shared.addr
            );
            let mut names: Vec<&str> = needed.iter().map(|(n, _)| n.as_str()).collect();
            names.dedup();
            let scopes: Vec<String> = names
                .iter()
                .map(|name| {
                    let actions: Vec<&str> = needed
                        .iter()
                        .filter(|(n, _)| n == name)
                        .map(|(_, a)| a.as_str())
                        .collect();
                    format!("repository:{name}:{}", actions.join(","))
                })
                .collect();
            if !scopes.is_empty() {
                value.push_str(&format!(r#",scope="{}""#, scopes.join(" ")));
            }
            if let Some(error) = error {
                value.push_str(&format!(r#",error="{error}""#));
            }
            Some(value)
        }
    };
    let mut answer = refusal(
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "authentication required",
    );
    if let Some(value) = value {
        answer.headers_mut().insert(
            hyper::header::WWW_AUTHENTICATE,
            value.parse().expect("a header value"),
        );
    }
    answer
}

/// The token endpoint: a token granting every `repository` scope asked
/// for, to anyone or to the one user (`GET` with Basic credentials), or
/// for the refresh token (the OAuth2 `POST` of a Docker identity token);
/// `401` to others.
pub(super) async fn token(call: &Call<'_>, body: Incoming) -> Answer {
    let shared = call.shared;
    let Auth::Bearer {
        user,
        refresh_token,
    } = &shared.auth
    else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no token endpoint",
        ));
    };
    let refused = || {
        refuse(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "invalid credentials",
        )
    };
    let scopes: Vec<String> = match call.method.as_str() {
        "GET" => {
            if let Some((username, password)) = user
                && call.header("authorization").as_deref()
                    != Some(basic(username, password).as_str())
            {
                return Err(refused());
            }
            call.params("scope")
                .into_iter()
                .map(str::to_string)
                .collect()
        }
        "POST" => {
            let form = call.read_form(body).await?;
            let field = |name: &str| {
                form.iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            };
            if field("grant_type") != Some("refresh_token")
                || refresh_token.is_none()
                || field("refresh_token") != refresh_token.as_deref()
            {
                return Err(refused());
            }
            let scope = field("scope").unwrap_or("");
            scope.split_whitespace().map(str::to_string).collect()
        }
        _ => {
            return Err(refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "UNSUPPORTED",
                "tokens are asked for with GET or POST",
            ));
        }
    };
    let token = {
        let mut state = shared.state();
        let token = state.id("token-");
        state.tokens.insert(token.clone(), grants(&scopes));
        token
    };
    let body = match call.method.as_str() {
        "POST" => serde_json::json!({"access_token": token, "expires_in": 300}),
        _ => serde_json::json!({"token": token, "expires_in": 300}),
    };
    Ok(respond(StatusCode::OK)
        .header("content-type", "application/json")
        .body(json(&body))
        .expect("a response"))
}

/// What `scopes` (`repository:NAME:ACTIONS`, or `repository(plugin):…`)
/// grant; other resources grant nothing.
fn grants(scopes: &[String]) -> Vec<Grant> {
    let mut grants = Vec::new();
    for scope in scopes {
        // A name has no `:`.
        let mut parts = scope.splitn(3, ':');
        let (Some(resource), Some(name), Some(actions)) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !resource.starts_with("repository") {
            continue;
        }
        grants.extend(
            actions
                .split(',')
                .map(|action| (name.to_string(), action.to_string())),
        );
    }
    grants
}
