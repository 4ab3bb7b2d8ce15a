//! The protocol against the in-process registry ([`TestRegistry`]):
//! every request goes over a real socket, and each test asserts what the
//! registry was (and was not) sent, through the public functions the
//! pipeline calls. Manifests, and the decisions about the OCI 1.0 form
//! and the referrers tag schema, are the manifest-generation component's
//! own code, run natively.

use super::*;
use crate::registry::Credential;
use crate::registry::test_registry::{Auth, Logged, TestRegistry, kinds, to_repository};
use manifest_generation_core as mg;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

const APP: &str = "team/app";
const BASE: &str = "team/base";

/// `n` bytes that differ from those of another `seed`.
fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// An opener of `data` for [`Repository::put_blob`], and how many times
/// it was opened.
fn opener(data: Vec<u8>) -> (Box<OpenBlob>, Arc<AtomicUsize>) {
    let opened = Arc::new(AtomicUsize::new(0));
    let count = opened.clone();
    let open = move || {
        count.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(std::io::Cursor::new(data.clone())) as BlobReader)
    };
    (Box::new(open), opened)
}

/// Puts `data` into `repository` as a blob, mounted from `from` if
/// possible; how it got there.
async fn put(repository: &Repository, data: &[u8], from: Option<&str>) -> Result<Uploaded, Error> {
    let (open, _) = opener(data.to_vec());
    let digest = Digest::sha256(data);
    repository
        .put_blob(&digest, data.len() as u64, from, &*open)
        .await
}

/// The session id of an upload request's path.
fn session(l: &Logged) -> &str {
    l.path.rsplit('/').next().unwrap_or("")
}

/// A descriptor of the component's kind.
fn descriptor(media_type: &str, data: &[u8]) -> mg::Descriptor {
    mg::Descriptor::new(media_type, Digest::sha256(data).as_str(), data.len() as u64)
}

/// Pushes a small image (a config, a layer, its manifest tagged `tag`)
/// into `repository`; the manifest's descriptor.
async fn push_image(repository: &Repository, tag: &str) -> mg::Descriptor {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let layer = bytes(1000, 7);
    put(repository, config, None).await.unwrap();
    put(repository, &layer, None).await.unwrap();
    let manifest = mg::image_manifest(
        &descriptor("application/vnd.oci.image.config.v1+json", config),
        &[descriptor("application/vnd.oci.image.layer.v1.tar", &layer)],
        &[],
        None,
    )
    .unwrap();
    let digest = repository
        .put_manifest(tag, &manifest.descriptor.media_type, &manifest.bytes)
        .await
        .unwrap();
    assert_eq!(digest.as_str(), manifest.descriptor.digest);
    manifest.descriptor
}

/// Puts an artifact referring to `subject`, in `form`, by its digest
/// (checked against the registry's); it, and whether the registry
/// indexed its subject.
async fn put_artifact(
    repository: &Repository,
    subject: &mg::Descriptor,
    form: mg::ArtifactForm,
) -> (mg::Document, bool) {
    let referrer = artifact(repository, subject, form).await;
    let (digest, indexed) = repository
        .put_referrer(
            &referrer.descriptor.digest,
            &referrer.descriptor.media_type,
            &referrer.bytes,
        )
        .await
        .unwrap();
    assert_eq!(digest.as_str(), referrer.descriptor.digest);
    (referrer, indexed)
}

/// An artifact referring to `subject`, in `form`, its blobs pushed.
async fn artifact(
    repository: &Repository,
    subject: &mg::Descriptor,
    form: mg::ArtifactForm,
) -> mg::Document {
    let file = b"signed: yes\n";
    put(repository, file, None).await.unwrap();
    put(repository, b"{}", None).await.unwrap();
    let request = mg::ArtifactRequest {
        artifact_type: "application/vnd.example.sbom".to_string(),
        layers: vec![descriptor("text/plain", file)],
        subject: Some(subject.clone()),
        ..mg::ArtifactRequest::default()
    };
    mg::artifact_manifest(&request, form).unwrap()
}

fn status(e: &Error) -> (u16, Option<&str>) {
    match e {
        Error::Status(s) => (s.status, s.code.as_deref()),
        other => panic!("not an error status: {other}"),
    }
}

#[tokio::test]
async fn head_finds_a_blob_only_in_the_repository_that_has_it() {
    let registry = TestRegistry::start(Auth::None);
    let data = bytes(1234, 1);
    let digest = registry.add_blob(BASE, &data);
    let client = registry.client(None);
    let base = client.repository(BASE, vec![Scope::repository(BASE, &["pull"])]);
    let app = client.repository(APP, vec![Scope::repository(APP, &["pull"])]);
    assert_eq!(base.blob_size(&digest).await.unwrap(), Some(1234));
    assert_eq!(app.blob_size(&digest).await.unwrap(), None);
    let log = registry.log();
    let heads: Vec<_> = log.iter().filter(|l| l.method == "HEAD").collect();
    assert_eq!(heads.len(), 2, "{:?}", registry.lines());
    assert!(heads.iter().all(|l| l.body_len == 0));
    assert_eq!(heads[1].status, Some(404));
}

#[tokio::test]
async fn a_mount_answered_201_sends_no_bytes() {
    let registry = TestRegistry::start(Auth::None);
    let data = bytes(5000, 2);
    let digest = registry.add_blob(BASE, &data);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[BASE]);
    let (open, opened) = opener(data.clone());
    let how = app
        .put_blob(&digest, data.len() as u64, Some(BASE), &*open)
        .await
        .unwrap();
    assert_eq!(how, Uploaded::Mounted);
    assert_eq!(opened.load(Ordering::SeqCst), 0, "the blob was never read");
    let log = to_repository(&registry.log(), APP);
    assert_eq!(kinds(&log), ["POST upload"]);
    assert_eq!(log[0].param("mount"), Some(digest.as_str()));
    assert_eq!(log[0].param("from"), Some(BASE));
    assert_eq!(log[0].status, Some(201));
    assert_eq!(registry.blob(APP, &digest), Some(data));
}

#[tokio::test]
async fn a_declined_mount_uploads_into_the_session_it_handed_over() {
    for declined_by_policy in [false, true] {
        let registry = TestRegistry::start(Auth::None);
        let data = bytes(5000, 3);
        if declined_by_policy {
            // The source has it, but the registry does not mount.
            registry.add_blob(BASE, &data);
            registry.behave(|b| b.decline_mounts = true);
        }
        let client = registry.client(None);
        let app = registry.pushing(&client, APP, &[BASE]);
        let how = put(&app, &data, Some(BASE)).await.unwrap();
        assert_eq!(how, Uploaded::Sent);
        let log = to_repository(&registry.log(), APP);
        assert_eq!(
            kinds(&log),
            ["POST upload", "PUT upload"],
            "one session: the mount's"
        );
        assert_eq!(log[0].status, Some(202));
        assert_eq!(log[1].param("digest"), Some(Digest::sha256(&data).as_str()));
        assert_eq!(log[1].body_len, 5000);
        assert_eq!(registry.blob(APP, &Digest::sha256(&data)), Some(data));
        assert_eq!(registry.open_uploads(), 0);
    }
}

#[tokio::test]
async fn a_blob_goes_in_one_monolithic_put_with_its_digest() {
    let registry = TestRegistry::start(Auth::None);
    let data = bytes(300_000, 4);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    assert_eq!(put(&app, &data, None).await.unwrap(), Uploaded::Sent);
    let log = to_repository(&registry.log(), APP);
    assert_eq!(kinds(&log), ["POST upload", "PUT upload"]);
    assert_eq!(log[0].param("mount"), None);
    let put = &log[1];
    assert_eq!(put.param("digest"), Some(Digest::sha256(&data).as_str()));
    assert_eq!(put.body_len, 300_000);
    assert_eq!(
        put.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(put.status, Some(201));
    assert_eq!(registry.blob(APP, &Digest::sha256(&data)), Some(data));
}

#[tokio::test]
async fn a_registry_refusing_a_monolithic_upload_gets_contiguous_chunks() {
    let registry = TestRegistry::start(Auth::None);
    registry.behave(|b| b.refuse_monolithic = true);
    let size = CHUNK as usize + 100;
    let data = bytes(size, 5);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    assert_eq!(put(&app, &data, None).await.unwrap(), Uploaded::Sent);
    let log = to_repository(&registry.log(), APP);
    assert_eq!(
        kinds(&log),
        [
            "POST upload",
            "PUT upload",
            "DELETE upload",
            "POST upload",
            "PATCH upload",
            "PATCH upload",
            "PUT upload",
        ]
    );
    assert_eq!(log[1].status, Some(415));
    assert_eq!(
        session(&log[2]),
        session(&log[1]),
        "the refused one cancelled"
    );
    assert_ne!(session(&log[1]), session(&log[4]), "a new session");
    let ranges: Vec<_> = log[4..6]
        .iter()
        .map(|l| (l.content_range.clone().unwrap(), l.body_len))
        .collect();
    let last = size as u64 - 1;
    assert_eq!(
        ranges,
        [
            (format!("0-{}", CHUNK - 1), CHUNK),
            (format!("{CHUNK}-{last}"), 100)
        ]
    );
    assert_eq!(log[6].body_len, 0);
    assert_eq!(log[6].param("digest"), Some(Digest::sha256(&data).as_str()));
    assert_eq!(registry.blob(APP, &Digest::sha256(&data)), Some(data));
}

#[tokio::test]
async fn bytes_that_hash_otherwise_are_refused_by_the_registry_and_not_chunked() {
    let registry = TestRegistry::start(Auth::None);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let claimed = Digest::sha256(&bytes(100, 6));
    let (open, opened) = opener(bytes(100, 9));
    let e = app.put_blob(&claimed, 100, None, &*open).await.unwrap_err();
    assert!(matches!(e, Error::Mismatch { .. }), "{e}");
    assert!(e.to_string().contains("DIGEST_INVALID"), "{e}");
    assert_eq!(opened.load(Ordering::SeqCst), 1, "not tried again");
    // The digest is the registry's to check: it refuses the closing PUT,
    // and no chunked upload follows.
    let log = to_repository(&registry.log(), APP);
    assert_eq!(kinds(&log), ["POST upload", "PUT upload", "DELETE upload"]);
    assert_eq!(log[1].status, Some(400));
    assert_eq!(registry.blob(APP, &claimed), None);
    assert_eq!(registry.open_uploads(), 0);
}

#[tokio::test]
async fn bytes_of_another_size_end_the_body_before_it_is_whole() {
    let registry = TestRegistry::start(Auth::None);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let claimed = Digest::sha256(&bytes(100, 6));
    for data in [bytes(99, 6), bytes(101, 6)] {
        let (open, opened) = opener(data);
        let e = app.put_blob(&claimed, 100, None, &*open).await.unwrap_err();
        assert!(matches!(e, Error::Mismatch { .. }), "{e}");
        assert_eq!(opened.load(Ordering::SeqCst), 1, "not tried again");
    }
    // Each PUT, cut before its body ended, may not even reach the log.
    let log = to_repository(&registry.log(), APP);
    assert!(
        log.iter().all(|l| l.method == "POST"
            || l.method == "DELETE"
            || (l.method == "PUT" && l.status.is_none())),
        "every body ended in an error: {:?}",
        kinds(&log)
    );
    assert_eq!(registry.blob(APP, &claimed), None);
    assert_eq!(registry.open_uploads(), 0, "every session cancelled");
}

#[tokio::test]
async fn an_upload_cut_mid_body_starts_over_in_a_new_session() {
    let registry = TestRegistry::start(Auth::None);
    registry.behave(|b| b.cut_uploads = 1);
    let data = bytes(512 << 10, 10);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let (open, opened) = opener(data.clone());
    let digest = Digest::sha256(&data);
    let how = app
        .put_blob(&digest, data.len() as u64, None, &*open)
        .await
        .unwrap();
    assert_eq!(how, Uploaded::Sent);
    assert_eq!(
        opened.load(Ordering::SeqCst),
        2,
        "read again from the start"
    );
    let log = to_repository(&registry.log(), APP);
    assert_eq!(
        kinds(&log),
        [
            "POST upload",
            "PUT upload",
            "DELETE upload",
            "POST upload",
            "PUT upload"
        ]
    );
    assert_eq!(log[1].status, None, "cut");
    assert!(log[1].body_len < data.len() as u64, "{}", log[1].body_len);
    assert_eq!(session(&log[2]), session(&log[1]), "the cut one cancelled");
    assert_ne!(session(&log[1]), session(&log[4]));
    assert_eq!(log[4].status, Some(201));
    assert_eq!(registry.blob(APP, &digest), Some(data));
    assert_eq!(registry.open_uploads(), 0);
}

/// Streams `data` into a body from a thread, as a layer is compressed
/// into one; the maker reports it whole, or failed after half.
async fn stream(app: &Repository, data: Vec<u8>, fail: bool) -> Result<(Digest, u64), Error> {
    let (mut writer, body) = crate::registry::blob_channel();
    let (made, reported) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        if fail {
            let _ = writer.write_all(&data[..data.len() / 2]);
            drop(writer);
            let _ = made.send(Made::Failed);
            return;
        }
        let ended = writer.ended();
        match writer.write_all(&data).and_then(|()| writer.finish()) {
            Ok(()) => {
                let _ = made.send(Made::Whole {
                    digest: Digest::sha256(&data),
                    size: data.len() as u64,
                });
            }
            // The upload stopped taking bytes: its failure, reported by
            // it; `made` goes unsent.
            Err(_) if ended.load(Ordering::Relaxed) => drop(made),
            Err(_) => {
                let _ = made.send(Made::Failed);
            }
        }
    });
    app.put_streamed(body, reported).await
}

#[tokio::test]
async fn a_blob_made_while_sent_goes_in_one_patch_and_is_committed_by_its_digest() {
    let registry = TestRegistry::start(Auth::None);
    let data = bytes(3 << 20, 11);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let (digest, size) = stream(&app, data.clone(), false).await.unwrap();
    assert_eq!((&digest, size), (&Digest::sha256(&data), 3 << 20));
    let log = to_repository(&registry.log(), APP);
    assert_eq!(kinds(&log), ["POST upload", "PATCH upload", "PUT upload"]);
    assert_eq!(log[1].content_range, None, "a stream, not a chunk");
    assert_eq!(log[1].body_len, 3 << 20);
    assert_eq!(
        (log[2].param("digest"), log[2].body_len),
        (Some(digest.as_str()), 0)
    );
    assert_eq!(registry.blob(APP, &digest), Some(data));
}

#[tokio::test]
async fn a_blob_made_while_sent_and_cut_mid_body_is_made_again_into_a_new_session() {
    let registry = TestRegistry::start(Auth::None);
    registry.behave(|b| b.cut_uploads = 1);
    let data = bytes(3 << 20, 23);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let tries = AtomicUsize::new(0);
    let (digest, _) = app
        .transport()
        .retrying("test upload", || {
            tries.fetch_add(1, Ordering::SeqCst);
            stream(&app, data.clone(), false)
        })
        .await
        .unwrap();
    assert_eq!(
        tries.load(Ordering::SeqCst),
        2,
        "the cut is worth another try"
    );
    let log = to_repository(&registry.log(), APP);
    assert_eq!(
        kinds(&log),
        [
            "POST upload",
            "PATCH upload",
            "DELETE upload",
            "POST upload",
            "PATCH upload",
            "PUT upload"
        ]
    );
    assert_eq!(log[1].status, None, "cut");
    assert_eq!(session(&log[2]), session(&log[1]), "the cut one cancelled");
    assert_ne!(session(&log[1]), session(&log[4]));
    assert_eq!(registry.blob(APP, &digest), Some(data));
    assert_eq!(registry.open_uploads(), 0);
}

#[tokio::test]
async fn a_blob_whose_maker_failed_is_never_committed() {
    let registry = TestRegistry::start(Auth::None);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let e = stream(&app, bytes(3 << 20, 12), true).await.unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    let log = to_repository(&registry.log(), APP);
    assert!(log.iter().all(|l| l.method != "PUT"), "{:?}", kinds(&log));
    assert!(registry.tags(APP).is_empty());
}

/// The one user of the registries with accounts.
fn the_user() -> Credential {
    Credential::Basic {
        username: "user".into(),
        password: "secret".into(),
    }
}

/// A registry with bearer tokens for `user`/`secret`, and a client
/// logged in as them.
fn token_registry() -> (TestRegistry, Arc<Registry>) {
    let registry = TestRegistry::start(Auth::Bearer {
        user: Some(("user".into(), "secret".into())),
        refresh_token: None,
    });
    let client = registry.client(Some(the_user()));
    (registry, client)
}

fn token_requests(log: &[Logged]) -> Vec<Logged> {
    log.iter().filter(|l| l.path == "/token").cloned().collect()
}

#[tokio::test]
async fn one_token_covers_the_repository_and_the_pull_of_its_mount_source() {
    let (registry, client) = token_registry();
    let first = bytes(4000, 13);
    let second = bytes(4000, 14);
    registry.add_blob(BASE, &first);
    registry.add_blob(BASE, &second);
    let app = registry.pushing(&client, APP, &[BASE]);
    assert_eq!(
        put(&app, &first, Some(BASE)).await.unwrap(),
        Uploaded::Mounted
    );
    assert_eq!(
        put(&app, &second, Some(BASE)).await.unwrap(),
        Uploaded::Mounted
    );
    let log = registry.log();
    let tokens = token_requests(&log);
    assert_eq!(tokens.len(), 1, "cached: {:?}", registry.lines());
    let token = &tokens[0];
    assert_eq!(
        token.params("scope"),
        ["repository:team/app:pull,push", "repository:team/base:pull"]
    );
    assert_eq!(token.param("service"), Some("ocipipe-test-registry"));
    assert!(
        token
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic ")),
        "the credentials go to the token server"
    );
    let mounts = to_repository(&log, APP);
    assert_eq!(mounts.len(), 2);
    for mount in &mounts {
        assert_eq!(mount.status, Some(201));
        assert!(
            mount
                .authorization
                .as_deref()
                .unwrap()
                .starts_with("Bearer ")
        );
    }
}

#[tokio::test]
async fn a_token_without_the_sources_pull_scope_cannot_mount() {
    let (registry, client) = token_registry();
    let data = bytes(4000, 15);
    registry.add_blob(BASE, &data);
    // Scopes that leave out the mount source.
    let app = registry.pushing(&client, APP, &[]);
    let e = put(&app, &data, Some(BASE)).await.unwrap_err();
    assert_eq!(status(&e).0, 401);
    let log = registry.log();
    let posts = to_repository(&log, APP);
    assert_eq!(
        posts.len(),
        2,
        "one more try after the fresh challenge, no more: {:?}",
        registry.lines()
    );
    assert_eq!(registry.blob(APP, &Digest::sha256(&data)), None);
}

#[tokio::test]
async fn a_revoked_token_is_replaced_after_one_401() {
    let (registry, client) = token_registry();
    let digest = registry.add_blob(APP, &bytes(10, 16));
    let app = client.repository(APP, vec![Scope::repository(APP, &["pull"])]);
    assert_eq!(app.blob_size(&digest).await.unwrap(), Some(10));
    registry.revoke_tokens();
    assert_eq!(app.blob_size(&digest).await.unwrap(), Some(10));
    let log = registry.log();
    assert_eq!(token_requests(&log).len(), 2);
    let statuses: Vec<_> = to_repository(&log, APP).iter().map(|l| l.status).collect();
    assert_eq!(statuses, [Some(200), Some(401), Some(200)]);
}

#[tokio::test]
async fn a_token_expired_mid_upload_starts_the_upload_over_with_a_new_one() {
    let (registry, client) = token_registry();
    registry.behave(|b| b.unauthorized_uploads = 1);
    let data = bytes(100_000, 17);
    let app = registry.pushing(&client, APP, &[]);
    assert_eq!(put(&app, &data, None).await.unwrap(), Uploaded::Sent);
    let log = registry.log();
    assert_eq!(token_requests(&log).len(), 2, "{:?}", registry.lines());
    let uploads = to_repository(&log, APP);
    let statuses: Vec<_> = uploads
        .iter()
        .map(|l| (l.method.as_str(), l.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("POST", Some(202)),
            ("PUT", Some(401)),
            ("DELETE", Some(204)),
            ("POST", Some(202)),
            ("PUT", Some(201)),
        ]
    );
    assert_eq!(registry.blob(APP, &Digest::sha256(&data)), Some(data));
}

#[tokio::test]
async fn an_identity_token_is_traded_for_access_tokens_with_the_oauth2_form() {
    let registry = TestRegistry::start(Auth::Bearer {
        user: None,
        refresh_token: Some("refresh-1".into()),
    });
    let client = registry.client(Some(Credential::IdentityToken("refresh-1".into())));
    let app = registry.pushing(&client, APP, &[]);
    let data = bytes(100, 22);
    assert_eq!(put(&app, &data, None).await.unwrap(), Uploaded::Sent);
    let tokens = token_requests(&registry.log());
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].method, "POST");
    assert_eq!(
        tokens[0].authorization, None,
        "the refresh token is the credential"
    );
    let form: Vec<(&str, &str)> = tokens[0]
        .form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        form,
        [
            ("service", "ocipipe-test-registry"),
            ("grant_type", "refresh_token"),
            ("refresh_token", "refresh-1"),
            ("client_id", "ocipipe"),
            ("scope", "repository:team/app:pull,push"),
        ]
    );
    let stale = registry.client(Some(Credential::IdentityToken("refresh-0".into())));
    let app = registry.pushing(&stale, APP, &[]);
    let e = app.blob_size(&Digest::sha256(&data)).await.unwrap_err();
    assert_eq!(status(&e).0, 401, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_start_together_share_one_ping_and_one_token() {
    let (registry, client) = token_registry();
    let app = registry.pushing(&client, APP, &[]);
    let blobs: Vec<Vec<u8>> = (0..8).map(|i| bytes(20_000, 30 + i)).collect();
    let puts = blobs.iter().map(|data| put(&app, data, None));
    for how in futures_util::future::join_all(puts).await {
        assert_eq!(how.unwrap(), Uploaded::Sent);
    }
    let log = registry.log();
    let pings = log.iter().filter(|l| l.path == "/v2/").count();
    assert_eq!(
        (pings, token_requests(&log).len()),
        (1, 1),
        "{:?}",
        registry.lines()
    );
    for data in &blobs {
        assert_eq!(
            registry.blob(APP, &Digest::sha256(data)).as_ref(),
            Some(data)
        );
    }
}

#[tokio::test]
async fn an_upload_session_on_another_host_is_sent_no_credentials() {
    let basic = Auth::Basic {
        username: "user".into(),
        password: "secret".into(),
    };
    let bearer = Auth::Bearer {
        user: Some(("user".into(), "secret".into())),
        refresh_token: None,
    };
    for auth in [basic, bearer] {
        let registry = TestRegistry::start(auth);
        registry.behave(|b| {
            b.upload_elsewhere = true;
            b.refuse_monolithic = true;
        });
        let client = registry.client(Some(the_user()));
        let app = registry.pushing(&client, APP, &[]);
        let data = bytes(1000, 24);
        assert_eq!(put(&app, &data, None).await.unwrap(), Uploaded::Sent);
        let log = to_repository(&registry.log(), APP);
        assert_eq!(
            kinds(&log),
            [
                "POST upload",
                "PUT upload",
                "DELETE upload",
                "POST upload",
                "PATCH upload",
                "PUT upload"
            ]
        );
        for l in &log {
            let to_session = l.method != "POST";
            assert_eq!(
                l.authorization.is_none(),
                to_session,
                "{} {}: {:?}",
                l.method,
                l.path,
                l.authorization
            );
        }
        assert_eq!(registry.blob(APP, &Digest::sha256(&data)), Some(data));
    }
}

#[tokio::test]
async fn a_login_is_checked_with_a_token_for_no_scope_and_a_wrong_password_is_refused() {
    let (registry, client) = token_registry();
    client.check_login().await.unwrap();
    let tokens = token_requests(&registry.log());
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].params("scope").is_empty());
    let wrong = registry.client(Some(Credential::Basic {
        username: "user".into(),
        password: "wrong".into(),
    }));
    let e = wrong.check_login().await.unwrap_err();
    assert_eq!(status(&e).0, 401, "{e}");
}

#[tokio::test]
async fn basic_credentials_go_with_every_request_of_a_basic_registry() {
    let registry = TestRegistry::start(Auth::Basic {
        username: "user".into(),
        password: "secret".into(),
    });
    let client = registry.client(Some(the_user()));
    let app = registry.pushing(&client, APP, &[]);
    let pushed = push_image(&app, "v1").await;
    let fetched = app.manifest("v1").await.unwrap();
    assert_eq!(fetched.digest.as_str(), pushed.digest);
    let log = to_repository(&registry.log(), APP);
    assert!(log.len() >= 6);
    let sent = log[0].authorization.clone().unwrap();
    assert!(sent.starts_with("Basic "), "{sent}");
    assert!(
        log.iter().all(|l| l.authorization.as_ref() == Some(&sent)),
        "{:?}",
        kinds(&log)
    );
    let anonymous = registry.client(None);
    let app = anonymous.repository(APP, vec![Scope::repository(APP, &["pull"])]);
    let e = app.manifest("v1").await.unwrap_err();
    assert_eq!(status(&e).0, 401);
}

#[tokio::test]
async fn a_manifest_is_asked_for_in_every_pull_media_type_and_read_back_exactly() {
    let registry = TestRegistry::start(Auth::None);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let pushed = push_image(&app, "v1").await;
    let (media_type, stored) = registry.manifest(APP, "v1").unwrap();
    assert_eq!(media_type, pushed.media_type);
    for reference in ["v1", pushed.digest.as_str()] {
        registry.clear_log();
        let fetched = app.manifest(reference).await.unwrap();
        assert_eq!(fetched.media_type, pushed.media_type);
        assert_eq!(fetched.digest.as_str(), pushed.digest);
        assert_eq!(fetched.bytes, stored);
        let log = to_repository(&registry.log(), APP);
        let accept = log[0].accept.clone().unwrap();
        for wanted in crate::registry::MANIFEST_MEDIA_TYPES {
            assert!(accept.contains(wanted), "{accept}");
        }
    }
    let put = to_repository(&registry.log(), APP);
    assert!(put.iter().all(|l| l.method == "GET"));
}

#[tokio::test]
async fn a_manifest_that_does_not_hash_to_its_digest_is_refused_and_not_fetched_again() {
    let registry = TestRegistry::start(Auth::None);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let pushed = push_image(&app, "v1").await;
    registry.behave(|b| b.alter_manifests = true);
    // By digest: the digest named; by tag: the registry's
    // Docker-Content-Digest.
    for reference in [pushed.digest.as_str(), "v1"] {
        registry.clear_log();
        let e = app.manifest(reference).await.unwrap_err();
        assert!(matches!(e, Error::Mismatch { .. }), "{e}");
        assert!(e.to_string().contains(&pushed.digest), "{e}");
        assert_eq!(to_repository(&registry.log(), APP).len(), 1);
    }
}

#[tokio::test]
async fn a_registry_claiming_another_digest_for_a_manifest_is_refused() {
    let registry = TestRegistry::start(Auth::None);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    push_image(&app, "v1").await;
    registry.behave(|b| b.lie_about_digests = true);
    let e = app.manifest("v1").await.unwrap_err();
    assert!(matches!(e, Error::Mismatch { .. }), "GET: {e}");
    let (media_type, bytes) = registry.manifest(APP, "v1").unwrap();
    let e = app
        .put_manifest("v2", &media_type, &bytes)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Mismatch { .. }), "PUT: {e}");
}

#[tokio::test]
async fn a_manifest_naming_a_blob_the_repository_lacks_is_refused_with_the_registrys_code() {
    let registry = TestRegistry::start(Auth::None);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let manifest = mg::image_manifest(
        &descriptor("application/vnd.oci.image.config.v1+json", config),
        &[],
        &[],
        None,
    )
    .unwrap();
    let e = app
        .put_manifest("v1", &manifest.descriptor.media_type, &manifest.bytes)
        .await
        .unwrap_err();
    assert_eq!(status(&e), (400, Some("MANIFEST_BLOB_UNKNOWN")));
    assert!(registry.tags(APP).is_empty());
}

#[tokio::test]
async fn a_referrer_put_says_its_subject_was_indexed_and_the_api_lists_it() {
    let registry = TestRegistry::start(Auth::None);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let subject = push_image(&app, "v1").await;
    let (referrer, indexed) = put_artifact(&app, &subject, mg::ArtifactForm::OciV11).await;
    assert!(indexed, "OCI-Subject answered");
    let subject_digest = Digest::parse(&subject.digest).unwrap();
    let page = app.referrers(&subject_digest).await.unwrap().unwrap();
    assert!(page.next.is_none());
    let listed = mg::read_referrers(&page.bytes).unwrap();
    assert!(listed.refused.is_empty(), "{:?}", listed.refused);
    let listed: Vec<_> = listed
        .referrers
        .iter()
        .map(|d| (d.digest.as_str(), d.artifact_type.as_deref()))
        .collect();
    assert_eq!(
        listed,
        [(
            referrer.descriptor.digest.as_str(),
            Some("application/vnd.example.sbom")
        )]
    );
}

#[tokio::test]
async fn referrers_pages_are_followed_by_their_link() {
    let registry = TestRegistry::start(Auth::None);
    registry.behave(|b| b.referrers_page = Some(1));
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let subject = push_image(&app, "v1").await;
    let forms = [mg::ArtifactForm::OciV11, mg::ArtifactForm::OciV10];
    let mut pushed = Vec::new();
    for form in forms {
        pushed.push(put_artifact(&app, &subject, form).await.0.descriptor.digest);
    }
    let subject_digest = Digest::parse(&subject.digest).unwrap();
    let first = app.referrers(&subject_digest).await.unwrap().unwrap();
    let next = first.next.clone().expect("a next page");
    assert_eq!(next.host_str(), Some("127.0.0.1"));
    let second = app.referrers_next(&subject_digest, &next).await.unwrap();
    assert!(second.next.is_none());
    let digests: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|page| mg::read_referrers(&page.bytes).unwrap().referrers)
        .map(|d| d.digest)
        .collect();
    assert_eq!(digests, pushed);
}

#[tokio::test]
async fn a_next_page_of_referrers_on_another_host_is_not_followed() {
    let registry = TestRegistry::start(Auth::None);
    registry.behave(|b| {
        b.referrers_page = Some(1);
        b.link_elsewhere = true;
    });
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let subject = push_image(&app, "v1").await;
    for form in [mg::ArtifactForm::OciV11, mg::ArtifactForm::OciV10] {
        put_artifact(&app, &subject, form).await;
    }
    let subject_digest = Digest::parse(&subject.digest).unwrap();
    let e = app.referrers(&subject_digest).await.unwrap_err();
    assert!(
        matches!(&e, Error::Protocol { message, .. } if message.contains("off this registry")),
        "{e}"
    );
    let log = registry.log();
    assert!(
        log.iter().all(|l| l.param("page").is_none()),
        "not followed"
    );
}

#[tokio::test]
async fn without_the_referrers_api_the_tag_schema_index_is_kept_under_its_tag() {
    let registry = TestRegistry::start(Auth::None);
    registry.behave(|b| b.no_referrers_api = true);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let subject = push_image(&app, "v1").await;
    let subject_digest = Digest::parse(&subject.digest).unwrap();
    let tag = mg::referrers_tag(&subject.digest);
    let mut pushed = Vec::new();
    for form in [mg::ArtifactForm::OciV11, mg::ArtifactForm::OciV10] {
        let (referrer, indexed) = put_artifact(&app, &subject, form).await;
        assert!(!indexed, "no OCI-Subject");
        assert!(app.referrers(&subject_digest).await.unwrap().is_none());
        // The pipeline's sequence: read the index at the tag (a 404 is
        // none), add the referrer, put it back.
        let existing = match app.manifest(&tag).await {
            Ok(fetched) => Some(fetched.bytes),
            Err(e) => {
                assert_eq!(status(&e).0, 404, "{e}");
                None
            }
        };
        assert_eq!(existing.is_some(), !pushed.is_empty());
        let index = mg::referrers_index(existing.as_deref(), &referrer.descriptor).unwrap();
        app.put_manifest(&tag, &index.descriptor.media_type, &index.bytes)
            .await
            .unwrap();
        pushed.push(referrer.descriptor.digest);
    }
    let index = app.manifest(&tag).await.unwrap();
    let listed: Vec<String> = mg::read_referrers(&index.bytes)
        .unwrap()
        .referrers
        .into_iter()
        .map(|d| d.digest)
        .collect();
    assert_eq!(listed, pushed);
    assert!(registry.tags(APP).contains(&tag));
}

#[tokio::test]
async fn a_registry_of_oci_1_0_gets_the_1_0_form_after_refusing_1_1_once() {
    let registry = TestRegistry::start(Auth::None);
    registry.behave(|b| b.refuse_oci_1_1 = true);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let subject = push_image(&app, "v1").await;
    let put = |document: mg::Document| {
        let app = app.clone();
        async move {
            app.put_referrer("sbom", &document.descriptor.media_type, &document.bytes)
                .await
        }
    };
    registry.clear_log();
    let newer = artifact(&app, &subject, mg::ArtifactForm::OciV11).await;
    let e = put(newer).await.unwrap_err();
    let (code, name) = status(&e);
    assert_eq!((code, name), (400, Some("MANIFEST_INVALID")));
    let puts = |log: &[Logged]| {
        log.iter()
            .filter(|l| l.method == "PUT" && l.path.contains("/manifests/"))
            .count()
    };
    assert_eq!(puts(&registry.log()), 1, "a refusal is not retried");
    // The component's decision about that answer.
    let form = mg::fallback_form(code, name).expect("a 1.0 form");
    assert_eq!(form, mg::ArtifactForm::OciV10);
    let older = artifact(&app, &subject, form).await;
    let (digest, _) = put(older.clone()).await.unwrap();
    assert_eq!(digest.as_str(), older.descriptor.digest);
    assert_eq!(registry.manifest(APP, "sbom").unwrap().1, older.bytes);
    assert_eq!(puts(&registry.log()), 2);
}

#[tokio::test]
async fn a_blob_download_cut_mid_body_is_fetched_again_whole() {
    let registry = TestRegistry::start(Auth::None);
    let data = bytes(200_000, 18);
    let digest = registry.add_blob(APP, &data);
    registry.behave(|b| b.cut_downloads = 1);
    let client = registry.client(None);
    let app = client.repository(APP, vec![Scope::repository(APP, &["pull"])]);
    let mut sinks = 0;
    let got = app
        .fetch_blob(
            &digest,
            data.len() as u64,
            "cannot write the test sink",
            || {
                sinks += 1;
                Ok(Vec::new())
            },
        )
        .await
        .unwrap();
    assert_eq!(got, data);
    assert_eq!(sinks, 2, "the cut try's sink is dropped");
    assert_eq!(to_repository(&registry.log(), APP).len(), 2);
}

#[tokio::test]
async fn a_corrupt_blob_is_refused_and_not_fetched_again() {
    let registry = TestRegistry::start(Auth::None);
    let data = bytes(1000, 19);
    let digest = registry.add_blob(APP, &data);
    registry.behave(|b| b.corrupt_blobs = true);
    let client = registry.client(None);
    let app = client.repository(APP, vec![Scope::repository(APP, &["pull"])]);
    let e = app
        .fetch_blob(&digest, 1000, "cannot write the test sink", || {
            Ok(Vec::new())
        })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Mismatch { .. }), "{e}");
    assert_eq!(to_repository(&registry.log(), APP).len(), 1);
}

#[tokio::test]
async fn a_redirected_blob_is_fetched_without_the_registrys_token() {
    let (registry, client) = token_registry();
    let data = bytes(5000, 20);
    let digest = registry.add_blob(APP, &data);
    registry.behave(|b| b.redirect_blobs = true);
    let app = client.repository(APP, vec![Scope::repository(APP, &["pull"])]);
    let got = app
        .fetch_blob(&digest, 5000, "cannot write the test sink", || {
            Ok(Vec::new())
        })
        .await
        .unwrap();
    assert_eq!(got, data);
    let log = registry.log();
    let asked = to_repository(&log, APP);
    assert_eq!(asked.last().unwrap().status, Some(307));
    let storage: Vec<_> = log
        .iter()
        .filter(|l| l.path.starts_with("/storage/"))
        .collect();
    assert_eq!(storage.len(), 1);
    assert_eq!(storage[0].authorization, None);
}

#[tokio::test]
async fn an_unavailable_registry_is_asked_again_until_it_answers() {
    let registry = TestRegistry::start(Auth::None);
    let digest = registry.add_blob(APP, &bytes(10, 21));
    let client = registry.client(None);
    let app = client.repository(APP, vec![Scope::repository(APP, &["pull"])]);
    // The ping first (its own retries), then the HEAD.
    registry.behave(|b| b.unavailable = 3);
    assert_eq!(app.blob_size(&digest).await.unwrap(), Some(10));
    let statuses: Vec<_> = registry.log().iter().map(|l| l.status).collect();
    assert_eq!(
        statuses,
        [Some(503), Some(503), Some(503), Some(200), Some(200)]
    );
}

#[tokio::test]
async fn a_manifest_keeps_the_media_type_the_registry_gave_and_schema_1_is_not_asked_for() {
    let registry = TestRegistry::start(Auth::None);
    let list = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}"#;
    let list_type = "application/vnd.docker.distribution.manifest.list.v2+json";
    let digest = registry.add_manifest(APP, Some("multi"), list_type, list);
    let schema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    registry.add_manifest(APP, Some("old"), schema1, br#"{"schemaVersion":1}"#);
    let client = registry.client(None);
    let app = client.repository(APP, vec![Scope::repository(APP, &["pull"])]);
    let fetched = app.manifest("multi").await.unwrap();
    assert_eq!(
        (
            fetched.media_type.as_str(),
            &fetched.digest,
            &fetched.bytes[..]
        ),
        (list_type, &digest, &list[..])
    );
    let e = app.manifest("old").await.unwrap_err();
    assert_eq!(status(&e), (404, Some("MANIFEST_UNKNOWN")));
}

#[tokio::test]
async fn a_manifest_larger_than_the_cap_is_refused_unread() {
    let registry = TestRegistry::start(Auth::None);
    let mut huge = br#"{"schemaVersion":2,"annotations":{"x":""#.to_vec();
    huge.resize(MAX_MANIFEST + 1 - 3, b'a');
    huge.extend_from_slice(br#""}}"#);
    let media_type = "application/vnd.oci.image.manifest.v1+json";
    registry.add_manifest(APP, Some("huge"), media_type, &huge);
    let client = registry.client(None);
    let app = client.repository(APP, vec![Scope::repository(APP, &["pull"])]);
    let e = app.manifest("huge").await.unwrap_err();
    assert!(
        matches!(&e, Error::Protocol { message, .. } if message.contains("larger than 4194304 bytes")),
        "{e}"
    );
    assert_eq!(to_repository(&registry.log(), APP).len(), 1, "not retried");
}

#[tokio::test]
async fn a_manifest_head_gives_its_digest_type_and_size_and_none_when_absent() {
    let registry = TestRegistry::start(Auth::None);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let pushed = push_image(&app, "v1").await;
    registry.clear_log();
    let head = app.manifest_head("v1").await.unwrap().expect("found");
    assert_eq!(
        (head.digest.as_str(), head.media_type.as_str(), head.size),
        (
            pushed.digest.as_str(),
            pushed.media_type.as_str(),
            pushed.size
        )
    );
    let by_digest = app.manifest_head(&pushed.digest).await.unwrap();
    assert_eq!(by_digest, Some(head));
    // A tag not there, and a repository not there: none, not an error.
    assert_eq!(app.manifest_head("v2").await.unwrap(), None);
    let other = client.repository(BASE, vec![Scope::repository(BASE, &["pull"])]);
    assert_eq!(other.manifest_head("v1").await.unwrap(), None);
    let log = registry.log();
    assert_eq!(
        kinds(&log),
        [
            "HEAD manifest",
            "HEAD manifest",
            "HEAD manifest",
            "HEAD manifest"
        ],
        "only HEADs, no GET"
    );
    assert!(
        log.iter()
            .all(|l| l.accept.as_deref() == Some(&MANIFEST_MEDIA_TYPES.join(", "))),
        "a pull's Accept: {log:?}"
    );
    assert_eq!(log[2].status, Some(404));
}

#[tokio::test]
async fn a_manifest_head_without_a_digest_falls_back_to_one_get() {
    let registry = TestRegistry::start(Auth::None);
    registry.behave(|b| b.head_without_digest = true);
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[]);
    let pushed = push_image(&app, "v1").await;
    registry.clear_log();
    let head = app.manifest_head("v1").await.unwrap().expect("found");
    assert_eq!(
        (head.digest.as_str(), head.media_type.as_str(), head.size),
        (
            pushed.digest.as_str(),
            pushed.media_type.as_str(),
            pushed.size
        )
    );
    assert_eq!(kinds(&registry.log()), ["HEAD manifest", "GET manifest"]);
    // Absent: the HEAD's 404 says so; nothing is fetched.
    registry.clear_log();
    assert_eq!(app.manifest_head("v2").await.unwrap(), None);
    assert_eq!(kinds(&registry.log()), ["HEAD manifest"]);
}

#[tokio::test]
async fn a_manifest_head_is_retried_and_authorized_like_every_request() {
    let (registry, client) = token_registry();
    let app = registry.pushing(&client, APP, &[]);
    let pushed = push_image(&app, "v1").await;
    registry.revoke_tokens();
    registry.behave(|b| b.unavailable = 2);
    let head = app.manifest_head("v1").await.unwrap().expect("found");
    assert_eq!(head.digest.as_str(), pushed.digest);
    let heads: Vec<_> = registry
        .log()
        .into_iter()
        .filter(|l| l.method == "HEAD")
        .map(|l| l.status)
        .collect();
    // Two 503s, then the revoked token's 401, then the new token's 200.
    assert_eq!(heads, [Some(503), Some(503), Some(401), Some(200)]);
}
