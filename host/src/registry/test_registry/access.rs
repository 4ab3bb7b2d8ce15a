//! The test registry's authentication: which accesses a request needs,
//! whether its `Authorization` grants them, the `401` challenge when it
//! does not, and the token endpoint (the distribution token spec: `GET
//! /token?service=…&scope=…`, Basic credentials when a user is set).

use super::routes::{Answer, Body, Call, Route, Stop, json, refusal, respond};
use super::state::Grant;
use super::{Auth, Shared};
use base64::Engine as _;
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
    if matches!(route, Route::Token | Route::Storage(_)) {
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
/// for, to anyone or to the one user; `401` to others.
pub(super) fn token(call: &Call<'_>) -> Answer {
    let shared = call.shared;
    let Auth::Bearer { user } = &shared.auth else {
        return Err(Stop::answer(refusal(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no token endpoint",
        )));
    };
    if call.method != "GET" {
        return Err(Stop::answer(refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            "tokens are asked for with GET",
        )));
    }
    if let Some((username, password)) = user
        && call.header("authorization").as_deref() != Some(basic(username, password).as_str())
    {
        return Err(Stop::answer(refusal(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "invalid credentials",
        )));
    }
    let mut grants = Vec::new();
    for scope in call.params("scope") {
        // `repository:NAME:ACTIONS`, or `repository(plugin):…`; a name
        // has no `:`.
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
    let token = {
        let mut state = shared.state();
        let token = state.id("token-");
        state.tokens.insert(token.clone(), grants);
        token
    };
    let body = serde_json::json!({"token": token, "expires_in": 300});
    Ok(respond(StatusCode::OK)
        .header("content-type", "application/json")
        .body(json(&body))
        .expect("a response"))
}
