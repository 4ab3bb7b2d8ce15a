//! The test registry's HTTP side: accepting connections, logging each
//! request, routing it (`/v2/<name>/blobs|manifests|referrers|tags/…`,
//! `/token`, `/storage/<digest>`), and the handlers of blobs and upload
//! sessions; manifests and referrers are in [`super::manifests`].

use super::state::State;
use super::{Logged, Shared, access};
use crate::model::Digest;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{HeaderMap, Request, Response, StatusCode};
use std::sync::{Arc, MutexGuard};

/// An answer's body: whole, or a stream that may fail (a cut download).
pub(super) type Body = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

/// Why a handler stops before its success.
pub(super) enum Stop {
    /// Close the connection with no answer.
    Cut,
    /// Answer this (an error status).
    Answer(Box<Response<Body>>),
}

impl Stop {
    /// A stop answering `response`.
    pub(super) fn answer(response: Response<Body>) -> Stop {
        Stop::Answer(Box::new(response))
    }
}

/// What a handler gives: its answer, or a stop.
pub(super) type Answer = Result<Response<Body>, Stop>;

/// The hyper service's error: the connection is closed unanswered.
#[derive(Debug)]
pub(super) struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the test registry cut the connection")
    }
}

impl std::error::Error for Cut {}

/// Serves every connection `listener` accepts, each on a task of its own.
pub(super) async fn accept(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| serve(shared.clone(), request));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// One request: logged, routed, its status logged.
async fn serve(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Response<Body>, Cut> {
    let (parts, body) = request.into_parts();
    let query = parts.uri.query().map(query_pairs).unwrap_or_default();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let logged = Logged {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query,
        authorization: header("authorization"),
        content_type: header("content-type"),
        content_range: header("content-range"),
        accept: header("accept"),
        form: Vec::new(),
        body_len: 0,
        status: None,
    };
    let index = {
        let mut state = shared.state();
        state.log.push(logged.clone());
        state.log.len() - 1
    };
    let call = Call {
        shared: &shared,
        route: Route::of(&logged.path),
        method: logged.method,
        query: logged.query,
        headers: parts.headers,
        index,
    };
    {
        let mut state = shared.state();
        state.in_flight += 1;
        state.most_in_flight = state.most_in_flight.max(state.in_flight);
    }
    let answer = match call.route(body).await {
        Ok(answer) => Ok(answer),
        Err(Stop::Answer(answer)) => Ok(*answer),
        Err(Stop::Cut) => Err(Cut),
    };
    shared.state().in_flight -= 1;
    if let Some(entry) = shared.state().log.get_mut(index) {
        entry.status = answer.as_ref().ok().map(|a| a.status().as_u16());
    }
    answer
}

/// Where a request goes.
pub(super) enum Route {
    /// `/v2/`.
    Ping,
    /// `/token`.
    Token,
    /// `/storage/<digest>`: where blob `GET`s are redirected.
    Storage(String),
    /// `/v2/<name>/blobs/<digest>`.
    Blob { name: String, digest: String },
    /// `/v2/<name>/blobs/uploads/`.
    Uploads { name: String },
    /// `/v2/<name>/blobs/uploads/<id>`.
    Upload { name: String, id: String },
    /// `/v2/<name>/manifests/<reference>`.
    Manifest { name: String, reference: String },
    /// `/v2/<name>/referrers/<digest>`.
    Referrers { name: String, digest: String },
    /// `/v2/<name>/tags/list`.
    Tags { name: String },
}

impl Route {
    /// The route of `path`; none for a path the API does not have.
    fn of(path: &str) -> Option<Route> {
        match path {
            "/v2" | "/v2/" => return Some(Route::Ping),
            "/token" => return Some(Route::Token),
            _ => {}
        }
        if let Some(digest) = path.strip_prefix("/storage/") {
            return Some(Route::Storage(digest.to_string()));
        }
        let rest = path.strip_prefix("/v2/")?;
        let owned = |(name, last): (&str, &str)| (name.to_string(), last.to_string());
        if let Some(name) = rest.strip_suffix("/tags/list") {
            return Some(Route::Tags {
                name: name.to_string(),
            });
        }
        if let Some(name) = rest
            .strip_suffix("/blobs/uploads/")
            .or_else(|| rest.strip_suffix("/blobs/uploads"))
        {
            return Some(Route::Uploads {
                name: name.to_string(),
            });
        }
        if let Some((name, id)) = rest.rsplit_once("/blobs/uploads/").map(owned) {
            return Some(Route::Upload { name, id });
        }
        if let Some((name, reference)) = rest.rsplit_once("/manifests/").map(owned) {
            return Some(Route::Manifest { name, reference });
        }
        if let Some((name, digest)) = rest.rsplit_once("/blobs/").map(owned) {
            return Some(Route::Blob { name, digest });
        }
        if let Some((name, digest)) = rest.rsplit_once("/referrers/").map(owned) {
            return Some(Route::Referrers { name, digest });
        }
        None
    }

    /// The repository named, if any.
    fn name(&self) -> Option<&str> {
        match self {
            Route::Ping | Route::Token | Route::Storage(_) => None,
            Route::Blob { name, .. }
            | Route::Uploads { name }
            | Route::Upload { name, .. }
            | Route::Manifest { name, .. }
            | Route::Referrers { name, .. }
            | Route::Tags { name } => Some(name),
        }
    }
}

/// Whether `name` is a repository name the distribution spec allows:
/// path components of lowercase letters and digits joined by `.`, `_`,
/// `__` or dashes.
fn valid_name(name: &str) -> bool {
    name.split('/').all(|component| {
        let bytes = component.as_bytes();
        !bytes.is_empty()
            && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
            && bytes
                .iter()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
            && !component.contains("..")
            && !component.contains("___")
    })
}

/// One request being answered.
pub(super) struct Call<'a> {
    pub shared: &'a Shared,
    /// Where it goes; none for a path the API does not have.
    route: Option<Route>,
    pub method: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    /// Its entry in the log.
    index: usize,
}

impl Call<'_> {
    /// The state, locked (never across an `.await`).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state()
    }

    /// Query parameter `name`, the first if several.
    pub fn param(&self, name: &str) -> Option<&str> {
        super::params(&self.query, name).next()
    }

    /// Every value of query parameter `name`.
    pub fn params(&self, name: &str) -> Vec<&str> {
        super::params(&self.query, name).collect()
    }

    /// Header `name`, if it is text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Routes the request: unknown paths and names are refused, transient
    /// failures served when due, then access is checked.
    async fn route(&self, body: Incoming) -> Answer {
        let Some(route) = &self.route else {
            return Err(refuse(StatusCode::NOT_FOUND, "NOT_FOUND", "no such path"));
        };
        if let Some(name) = route.name()
            && !valid_name(name)
        {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "NAME_INVALID",
                "invalid repository name",
            ));
        }
        if !matches!(route, Route::Token) && take(&mut self.state().behaviour.unavailable) {
            self.read_body(body).await?;
            let mut answer = refusal(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "try again");
            answer
                .headers_mut()
                .insert("retry-after", "0".parse().expect("a header value"));
            return Ok(answer);
        }
        if !matches!(route, Route::Token) {
            self.throttle().await?;
        }
        access::check(self, route)?;
        let method = self.method.as_str();
        match (route, method) {
            (Route::Ping, "GET") => Ok(respond(StatusCode::OK)
                .body(json(&serde_json::json!({})))
                .expect("a response")),
            (Route::Token, _) => access::token(self, body).await,
            (Route::Storage(digest), "GET") => {
                let bytes = self.state().any_blob(digest);
                match bytes {
                    Some(bytes) => Ok(self.serve_blob(digest, bytes)),
                    None => Err(refuse(
                        StatusCode::NOT_FOUND,
                        "BLOB_UNKNOWN",
                        "no such blob",
                    )),
                }
            }
            (Route::Blob { name, digest }, "GET" | "HEAD") => self.blob(name, digest),
            (Route::Uploads { name }, "POST") => self.start_upload(name, body).await,
            (Route::Upload { name, id }, "PATCH") => self.patch(name, id, body).await,
            (Route::Upload { name, id }, "PUT") => self.finish_upload(name, id, body).await,
            (Route::Upload { name, id }, "GET" | "DELETE") => self.session(name, id),
            (Route::Manifest { name, reference }, "GET" | "HEAD") => {
                self.get_manifest(name, reference)
            }
            (Route::Manifest { name, reference }, "PUT") => {
                let bytes = self.read_body(body).await?;
                self.put_manifest(name, reference, bytes)
            }
            (Route::Manifest { name, reference }, "DELETE") => {
                self.delete_manifest(name, reference)
            }
            (Route::Referrers { name, digest }, "GET") => self.referrers(name, digest),
            (Route::Tags { name }, "GET") => self.tags(name),
            _ => Err(refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "UNSUPPORTED",
                "the operation is unsupported",
            )),
        }
    }

    /// Takes the time [`super::Behaviour::delay`] says, then answers a
    /// `429` with `RateLimit-Reset` when one is due.
    async fn throttle(&self) -> Result<(), Stop> {
        let delay = self.state().behaviour.delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let reset = {
            let mut state = self.state();
            let behaviour = &mut state.behaviour;
            take(&mut behaviour.rate_limited).then(|| behaviour.rate_limit_reset.clone())
        };
        let Some(reset) = reset else {
            return Ok(());
        };
        let mut answer = refusal(
            StatusCode::TOO_MANY_REQUESTS,
            "TOOMANYREQUESTS",
            "you have reached your pull rate limit",
        );
        answer
            .headers_mut()
            .insert("ratelimit-reset", reset.parse().expect("a header value"));
        Err(Stop::answer(answer))
    }

    /// Notes in the log how many bytes of the body were read.
    fn note_read(&self, n: usize) {
        if let Some(entry) = self.state().log.get_mut(self.index) {
            entry.body_len = n as u64;
        }
    }

    /// The pairs of a form body (`application/x-www-form-urlencoded`),
    /// noted in the log.
    pub async fn read_form(&self, body: Incoming) -> Result<Vec<(String, String)>, Stop> {
        let bytes = self.read_body(body).await?;
        let form = query_pairs(&String::from_utf8_lossy(&bytes));
        if let Some(entry) = self.state().log.get_mut(self.index) {
            entry.form = form.clone();
        }
        Ok(form)
    }

    /// The whole body.
    pub async fn read_body(&self, body: Incoming) -> Result<Vec<u8>, Stop> {
        self.read(body, None).await
    }

    /// The body, or, when `cut_after` is some, a cut once that many
    /// bytes arrived (or the body ended first).
    async fn read(&self, mut body: Incoming, cut_after: Option<u64>) -> Result<Vec<u8>, Stop> {
        let mut got = Vec::new();
        while let Some(frame) = body.frame().await {
            // A client that broke off gets no answer.
            let frame = frame.map_err(|_| Stop::Cut)?;
            if let Ok(data) = frame.into_data() {
                got.extend_from_slice(&data);
            }
            if cut_after.is_some_and(|n| got.len() as u64 >= n) {
                break;
            }
        }
        self.note_read(got.len());
        if cut_after.is_some() {
            return Err(Stop::Cut);
        }
        Ok(got)
    }

    /// An upload's body (a `PATCH`, or a `PUT` or `POST` with bytes): cut
    /// halfway when a cut is due; once read, a `401` when one is due.
    async fn read_upload(&self, body: Incoming) -> Result<Vec<u8>, Stop> {
        let length = self
            .header("content-length")
            .and_then(|v| v.parse::<u64>().ok());
        let carries = length != Some(0);
        let (cut, unauthorized) = {
            let mut state = self.state();
            let behaviour = &mut state.behaviour;
            let cut = carries && take(&mut behaviour.cut_uploads);
            (
                cut,
                carries && !cut && take(&mut behaviour.unauthorized_uploads),
            )
        };
        let cut_after = cut.then(|| length.map_or(1, |n| n.div_ceil(2)).max(1));
        let bytes = self.read(body, cut_after).await?;
        if unauthorized {
            self.state().tokens.clear();
            let needed = self
                .route
                .as_ref()
                .map(|route| access::needed(self, route))
                .unwrap_or_default();
            return Err(Stop::answer(access::challenge(
                self.shared,
                &needed,
                Some("invalid_token"),
            )));
        }
        Ok(bytes)
    }

    /// `HEAD` or `GET` of a blob of `name`.
    fn blob(&self, name: &str, digest: &str) -> Answer {
        let bytes = self.state().blob(name, digest);
        let Some(bytes) = bytes else {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                "BLOB_UNKNOWN",
                "blob unknown to registry",
            ));
        };
        if self.method == "HEAD" {
            return Ok(respond(StatusCode::OK)
                .header("content-length", bytes.len())
                .header("content-type", "application/octet-stream")
                .header("docker-content-digest", digest)
                .body(empty())
                .expect("a response"));
        }
        if self.state().behaviour.redirect_blobs {
            return Ok(respond(StatusCode::TEMPORARY_REDIRECT)
                .header("location", format!("/storage/{digest}"))
                .body(empty())
                .expect("a response"));
        }
        Ok(self.serve_blob(digest, bytes))
    }

    /// A blob's bytes, corrupted or cut when that is due.
    fn serve_blob(&self, digest: &str, bytes: Bytes) -> Response<Body> {
        let (corrupt, cut) = {
            let mut state = self.state();
            let behaviour = &mut state.behaviour;
            (behaviour.corrupt_blobs, take(&mut behaviour.cut_downloads))
        };
        let mut bytes = bytes.to_vec();
        if corrupt && let Some(last) = bytes.last_mut() {
            *last ^= 0xff;
        }
        let length = bytes.len();
        let body = if cut {
            let half = Bytes::from(bytes[..length / 2].to_vec());
            let frames: Vec<Result<Frame<Bytes>, std::io::Error>> =
                vec![Ok(Frame::data(half)), Err(std::io::Error::other("cut"))];
            StreamBody::new(futures_util::stream::iter(frames)).boxed()
        } else {
            whole(Bytes::from(bytes))
        };
        respond(StatusCode::OK)
            .header("content-length", length)
            .header("content-type", "application/octet-stream")
            .header("docker-content-digest", digest)
            .body(body)
            .expect("a response")
    }

    /// `POST` to start an upload: a mount when asked and possible, a
    /// monolithic upload with `?digest=`, else a new session.
    async fn start_upload(&self, name: &str, body: Incoming) -> Answer {
        if let (Some(mount), Some(from)) = (self.param("mount"), self.param("from")) {
            let mut state = self.state();
            if !state.behaviour.decline_mounts && state.blob(from, mount).is_some() {
                state.link(name, mount);
                return Ok(respond(StatusCode::CREATED)
                    .header("location", format!("/v2/{name}/blobs/{mount}"))
                    .header("docker-content-digest", mount)
                    .body(empty())
                    .expect("a response"));
            }
        }
        if let Some(digest) = self.param("digest") {
            let bytes = self.read_upload(body).await?;
            return self.commit(name, digest, bytes);
        }
        self.read_body(body).await?;
        let id = {
            let mut state = self.state();
            let id = state.id("upload-");
            state.uploads.insert(
                id.clone(),
                super::state::Upload {
                    name: name.to_string(),
                    bytes: Vec::new(),
                    patched: false,
                },
            );
            id
        };
        Ok(self.session_answer(StatusCode::ACCEPTED, name, &id, 0))
    }

    /// The length of session `id` of `name` so far.
    fn session_length(&self, name: &str, id: &str) -> Result<usize, Stop> {
        match self.state().uploads.get(id) {
            Some(upload) if upload.name == name => Ok(upload.bytes.len()),
            _ => Err(unknown_upload()),
        }
    }

    /// Checks that the request goes to the session's latest `Location`:
    /// its `_state` names the bytes held (distribution signs its state
    /// and refuses a stale one the same way).
    fn check_state(&self, held: usize) -> Result<(), Stop> {
        if self.param("_state") == Some(held.to_string().as_str()) {
            return Ok(());
        }
        Err(refuse(
            StatusCode::BAD_REQUEST,
            "BLOB_UPLOAD_INVALID",
            "blob upload invalid: the upload state is missing or stale",
        ))
    }

    /// `GET` (status) or `DELETE` (cancel) of session `id`.
    fn session(&self, name: &str, id: &str) -> Answer {
        let length = self.session_length(name, id)?;
        if self.method == "DELETE" {
            self.state().uploads.remove(id);
        }
        Ok(self.session_answer(StatusCode::NO_CONTENT, name, id, length))
    }

    /// `PATCH` of a chunk: one with `Content-Range` must start where the
    /// session's bytes end (else `416`) and be as long as it says.
    async fn patch(&self, name: &str, id: &str, body: Incoming) -> Answer {
        let held = self.session_length(name, id)?;
        self.check_state(held)?;
        let range = self.header("content-range").map(|r| parse_range(&r));
        if let Some(range) = &range {
            match range {
                Some((start, _)) if *start == held as u64 => {}
                _ => {
                    let mut answer = refusal(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        "BLOB_UPLOAD_INVALID",
                        "the chunk does not follow on",
                    );
                    answer
                        .headers_mut()
                        .insert("range", range_value(held).parse().expect("a header value"));
                    return Err(Stop::answer(answer));
                }
            }
        }
        let bytes = self.read_upload(body).await?;
        if let Some(Some((start, end))) = range
            && end + 1 - start != bytes.len() as u64
        {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "BLOB_UPLOAD_INVALID",
                "the chunk's length is not its range's",
            ));
        }
        let length = {
            let mut state = self.state();
            let Some(upload) = state.uploads.get_mut(id) else {
                return Err(unknown_upload());
            };
            upload.bytes.extend_from_slice(&bytes);
            upload.patched = true;
            upload.bytes.len()
        };
        Ok(self.session_answer(StatusCode::ACCEPTED, name, id, length))
    }

    /// `PUT <session>?digest=`, with the last bytes or none: the blob is
    /// committed if it hashes to the digest.
    async fn finish_upload(&self, name: &str, id: &str, body: Incoming) -> Answer {
        let held = self.session_length(name, id)?;
        self.check_state(held)?;
        let Some(digest) = self.param("digest").map(str::to_string) else {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "DIGEST_INVALID",
                "no digest given",
            ));
        };
        let bytes = self.read_upload(body).await?;
        let upload = {
            let mut state = self.state();
            let refuse_monolithic = state.behaviour.refuse_monolithic;
            let Some(upload) = state.uploads.get_mut(id) else {
                return Err(unknown_upload());
            };
            if refuse_monolithic && !upload.patched && !bytes.is_empty() {
                return Err(refuse(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UNSUPPORTED",
                    "monolithic uploads are not supported; send chunks",
                ));
            }
            upload.bytes.extend_from_slice(&bytes);
            state.uploads.remove(id).expect("just found")
        };
        self.commit(name, &digest, upload.bytes)
    }

    /// The answer about session `id`: its `Location` (with the state the
    /// next request must bring back; on `localhost` when uploads go
    /// elsewhere), `Range` and id.
    fn session_answer(
        &self,
        status: StatusCode,
        name: &str,
        id: &str,
        length: usize,
    ) -> Response<Body> {
        let host = match self.state().behaviour.upload_elsewhere {
            true => format!("http://localhost:{}", self.shared.addr.port()),
            false => String::new(),
        };
        respond(status)
            .header(
                "location",
                format!("{host}/v2/{name}/blobs/uploads/{id}?_state={length}"),
            )
            .header("range", range_value(length))
            .header("docker-upload-uuid", id)
            .header("content-length", 0)
            .body(empty())
            .expect("a response")
    }

    /// Whether the request came to the upload host of
    /// [`super::Behaviour::upload_elsewhere`].
    pub fn at_upload_host(&self) -> bool {
        self.state().behaviour.upload_elsewhere
            && self
                .header("host")
                .is_some_and(|host| host.starts_with("localhost:"))
    }

    /// Stores `bytes` as blob `digest` of `name`, if they hash to it.
    fn commit(&self, name: &str, digest: &str, bytes: Vec<u8>) -> Answer {
        let matches = Digest::parse(digest)
            .is_ok_and(|d| d.algorithm() != "sha256" || Digest::sha256(&bytes) == d);
        if !matches {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "DIGEST_INVALID",
                "provided digest did not match uploaded content",
            ));
        }
        self.state().add_blob(name, bytes);
        Ok(respond(StatusCode::CREATED)
            .header("location", format!("/v2/{name}/blobs/{digest}"))
            .header("docker-content-digest", digest)
            .header("content-length", 0)
            .body(empty())
            .expect("a response"))
    }
}

/// The decoded pairs of a query string or form body.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    let mut url = reqwest::Url::parse("http://x/").expect("a URL");
    url.set_query(Some(query));
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `true` (and one less) when a counter of due behaviours is above zero.
fn take(counter: &mut u32) -> bool {
    let due = *counter > 0;
    *counter = counter.saturating_sub(1);
    due
}

/// The refusal of a request to a session there is not.
fn unknown_upload() -> Stop {
    refuse(
        StatusCode::NOT_FOUND,
        "BLOB_UPLOAD_UNKNOWN",
        "blob upload unknown to registry",
    )
}

/// `START-END` of a `Content-Range` (with or without `bytes `).
fn parse_range(value: &str) -> Option<(u64, u64)> {
    let value = value.trim().trim_start_matches("bytes ").trim();
    let (start, end) = value.split_once('-')?;
    let (start, end) = (start.parse().ok()?, end.parse().ok()?);
    (end >= start).then_some((start, end))
}

/// `Range: 0-<last>` of `length` held bytes, as distribution writes it
/// (`0-0` for none).
fn range_value(length: usize) -> String {
    format!("0-{}", length.saturating_sub(1))
}

/// An answer with `status`, every other part to be added.
pub(super) fn respond(status: StatusCode) -> hyper::http::response::Builder {
    Response::builder().status(status)
}

/// No body.
pub(super) fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// These bytes.
pub(super) fn whole(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// `value` as JSON.
pub(super) fn json(value: &serde_json::Value) -> Body {
    whole(Bytes::from(serde_json::to_vec(value).expect("JSON")))
}

/// An error answer with the distribution API's body: `{"errors": [{code,
/// message}]}`.
pub(super) fn refusal(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({"errors": [{"code": code, "message": message, "detail": null}]});
    respond(status)
        .header("content-type", "application/json")
        .body(json(&body))
        .expect("a response")
}

/// [`refusal`], as a handler's stop.
pub(super) fn refuse(status: StatusCode, code: &str, message: &str) -> Stop {
    Stop::answer(refusal(status, code, message))
}
