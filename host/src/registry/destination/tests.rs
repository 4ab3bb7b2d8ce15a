//! The repository destination against the in-process registry: what each
//! step of the one sequence sends, and what a failure leaves.

use super::*;
use crate::model::destination::{BlobBytes, Moved, put_known};
use crate::registry::test_registry::{Auth, Logged, TestRegistry, kinds, to_repository};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

const APP: &str = "team/app";
const BASE: &str = "team/base";

/// `n` bytes that differ from those of another `seed`.
fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn blob(data: &[u8]) -> Descriptor {
    Descriptor::new(
        "application/octet-stream",
        Digest::sha256(data),
        data.len() as u64,
    )
}

/// An opener of `data`, and how many times it was opened.
fn opener(data: Vec<u8>) -> (impl Fn() -> io::Result<BlobBytes>, Arc<AtomicUsize>) {
    let opened = Arc::new(AtomicUsize::new(0));
    let count = opened.clone();
    let open = move || {
        count.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(io::Cursor::new(data.clone())) as BlobBytes)
    };
    (open, opened)
}

/// A runtime, and `APP` of `registry` as a destination mounting from
/// `BASE`.
fn destination(registry: &TestRegistry) -> (tokio::runtime::Runtime, RepositoryDestination) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = registry.client(None);
    let app = registry.pushing(&client, APP, &[BASE]);
    let destination = RepositoryDestination::new(app, runtime.handle().clone(), Some(BASE.into()));
    (runtime, destination)
}

/// The requests to `APP`'s API.
fn to_app(registry: &TestRegistry) -> Vec<Logged> {
    to_repository(&registry.log(), APP)
}

#[test]
fn a_blob_the_repository_has_is_found_by_head_and_never_read() {
    let registry = TestRegistry::start(Auth::None);
    let data = bytes(3000, 1);
    registry.add_blob(APP, &data);
    let (_runtime, app) = destination(&registry);
    let (open, opened) = opener(data.clone());
    let moved = put_known(&app, &blob(&data), &open).unwrap();
    assert_eq!(moved, Moved::Skipped(3000));
    assert_eq!(opened.load(Ordering::SeqCst), 0);
    assert_eq!(kinds(&to_app(&registry)), ["HEAD blob"]);
}

#[test]
fn a_blob_of_the_mount_source_is_mounted_by_a_201_and_never_read() {
    let registry = TestRegistry::start(Auth::None);
    let data = bytes(5000, 2);
    let digest = registry.add_blob(BASE, &data);
    let (_runtime, app) = destination(&registry);
    let (open, opened) = opener(data.clone());
    let moved = put_known(&app, &blob(&data), &open).unwrap();
    assert_eq!(moved, Moved::Mounted);
    assert_eq!(opened.load(Ordering::SeqCst), 0);
    let log = to_app(&registry);
    assert_eq!(kinds(&log), ["HEAD blob", "POST upload"]);
    assert_eq!(log[1].param("mount"), Some(digest.as_str()));
    assert_eq!(log[1].param("from"), Some(BASE));
    assert_eq!(log[1].status, Some(201));
    assert_eq!(registry.blob(APP, &digest), Some(data));
}

#[test]
fn a_mount_declined_by_a_202_sends_the_blob_into_the_session_it_handed_over() {
    let registry = TestRegistry::start(Auth::None);
    let data = bytes(5000, 3);
    registry.add_blob(BASE, &data);
    registry.behave(|b| b.decline_mounts = true);
    let (_runtime, app) = destination(&registry);
    let (open, opened) = opener(data.clone());
    let moved = put_known(&app, &blob(&data), &open).unwrap();
    assert_eq!(moved, Moved::Sent(5000));
    assert_eq!(opened.load(Ordering::SeqCst), 1);
    let log = to_app(&registry);
    assert_eq!(
        kinds(&log),
        ["HEAD blob", "POST upload", "PUT upload"],
        "one session: the one the declined mount handed over"
    );
    assert_eq!(log[1].status, Some(202));
    assert_eq!(log[2].body_len, 5000);
    assert_eq!(registry.blob(APP, &Digest::sha256(&data)), Some(data));
    assert_eq!(registry.open_uploads(), 0);
}

#[test]
fn a_declined_mounts_session_is_cancelled_when_the_push_stops_before_its_blob() {
    let registry = TestRegistry::start(Auth::None);
    let data = bytes(5000, 3);
    registry.add_blob(BASE, &data);
    registry.behave(|b| b.decline_mounts = true);
    let (_runtime, app) = destination(&registry);
    assert_eq!(app.find_blob(&blob(&data)).unwrap(), Found::Absent);
    assert_eq!(registry.open_uploads(), 1, "the session handed over");
    drop(app);
    assert_eq!(kinds(&to_app(&registry)).last().unwrap(), "DELETE upload");
    assert_eq!(registry.open_uploads(), 0);
}

#[test]
fn bytes_that_are_not_the_blob_are_refused_once_and_never_committed() {
    let registry = TestRegistry::start(Auth::None);
    let (_runtime, app) = destination(&registry);
    let described = blob(&bytes(4000, 4));
    for (what, data) in [
        ("other bytes", bytes(4000, 5)),
        ("fewer bytes", bytes(3999, 4)),
        ("more bytes", bytes(4001, 4)),
    ] {
        let (open, opened) = opener(data);
        let refused = app.put_blob(&described, &open).unwrap_err();
        assert!(
            matches!(refused, Error::Mismatch { .. }),
            "{what}: {refused}"
        );
        assert_eq!(opened.load(Ordering::SeqCst), 1, "{what}: not tried again");
        assert_eq!(registry.blob(APP, &described.digest), None, "{what}");
        assert_eq!(registry.open_uploads(), 0, "{what}: its session cancelled");
    }
    // Chunks too: the end of the bytes is checked before the closing PUT.
    registry.behave(|b| b.refuse_monolithic = true);
    let (open, _) = opener(bytes(4000, 5));
    let refused = app.put_blob(&described, &open).unwrap_err();
    assert!(matches!(refused, Error::Mismatch { .. }), "{refused}");
    assert_eq!(registry.blob(APP, &described.digest), None);
    assert_eq!(registry.open_uploads(), 0, "both sessions cancelled");
}

#[test]
fn a_blob_made_while_it_is_sent_is_committed_by_the_digest_of_what_was_made() {
    let registry = TestRegistry::start(Auth::None);
    let (_runtime, app) = destination(&registry);
    let data = bytes(3 << 20, 6);
    let made = app
        .put_made(&|out: &mut dyn Write| out.write_all(&data))
        .unwrap();
    assert_eq!(made, (Digest::sha256(&data), data.len() as u64));
    assert_eq!(registry.blob(APP, &made.0), Some(data));
    let log = to_app(&registry);
    assert_eq!(kinds(&log), ["POST upload", "PATCH upload", "PUT upload"]);
    assert_eq!(log[2].param("digest"), Some(made.0.as_str()));
}

#[test]
fn a_blob_whose_maker_fails_is_never_committed() {
    let registry = TestRegistry::start(Auth::None);
    let (_runtime, app) = destination(&registry);
    let failed = app
        .put_made(&|out: &mut dyn Write| {
            out.write_all(b"half a layer")?;
            Err(io::Error::other("the layer's directory vanished"))
        })
        .unwrap_err();
    assert!(failed.to_string().contains("vanished"), "{failed}");
    assert!(
        kinds(&to_app(&registry))
            .iter()
            .all(|k| !k.starts_with("PUT")),
        "nothing committed"
    );
    assert_eq!(registry.open_uploads(), 0, "its session cancelled");
}

/// A manifest naming `config` and `layers`.
fn manifest(config: &Descriptor, layers: &[Descriptor]) -> Document {
    let json = |d: &Descriptor| serde_json::json!({"mediaType": d.media_type, "digest": d.digest.as_str(), "size": d.size});
    let bytes = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": json(config),
        "layers": layers.iter().map(json).collect::<Vec<_>>(),
    }))
    .unwrap();
    Document {
        descriptor: Descriptor::new(
            "application/vnd.oci.image.manifest.v1+json",
            Digest::sha256(&bytes),
            bytes.len() as u64,
        ),
        bytes,
    }
}

#[test]
fn the_tag_is_put_last_by_the_commit_and_never_without_it() {
    let registry = TestRegistry::start(Auth::None);
    let config_bytes = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
    let config = Descriptor::new(
        "application/vnd.oci.image.config.v1+json",
        Digest::sha256(&config_bytes),
        config_bytes.len() as u64,
    );
    let image = manifest(&config, &[]);
    for commit in [false, true] {
        let (_runtime, app) = destination(&registry);
        put_known(&app, &config, &opener(config_bytes.clone()).0).unwrap();
        app.put_manifest(&image).unwrap();
        assert!(registry.tags(APP).is_empty(), "no tag before the commit");
        if commit {
            registry.clear_log();
            app.commit(&image.descriptor, Some("v1")).unwrap();
            let log = to_app(&registry);
            assert_eq!(kinds(&log), ["PUT manifest"]);
            assert!(log[0].path.ends_with("/manifests/v1"), "{}", log[0].path);
        }
    }
    assert_eq!(registry.tags(APP), ["v1"]);
    let (_, bytes) = registry.manifest(APP, "v1").unwrap();
    assert_eq!(bytes, image.bytes);
}

#[test]
fn a_commit_of_a_root_never_put_is_refused_and_tags_nothing() {
    let registry = TestRegistry::start(Auth::None);
    let (_runtime, app) = destination(&registry);
    let stray = manifest(&blob(b"{}"), &[]);
    let refused = app.commit(&stray.descriptor, Some("v1")).unwrap_err();
    assert!(refused.to_string().contains("not put first"), "{refused}");
    assert!(registry.tags(APP).is_empty());
}

#[test]
fn children_go_by_digest_before_their_index_and_the_root_once_under_its_tag() {
    let registry = TestRegistry::start(Auth::None);
    let (_runtime, app) = destination(&registry);
    let config_bytes = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
    let config = Descriptor::new(
        "application/vnd.oci.image.config.v1+json",
        Digest::sha256(&config_bytes),
        config_bytes.len() as u64,
    );
    put_known(&app, &config, &opener(config_bytes).0).unwrap();
    let image = manifest(&config, &[]);
    let index_bytes = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": image.descriptor.media_type,
                       "digest": image.descriptor.digest.as_str(),
                       "size": image.descriptor.size}],
    }))
    .unwrap();
    let index = Document {
        descriptor: Descriptor::new(
            "application/vnd.oci.image.index.v1+json",
            Digest::sha256(&index_bytes),
            index_bytes.len() as u64,
        ),
        bytes: index_bytes,
    };
    registry.clear_log();
    app.put_manifest(&image).unwrap();
    app.put_manifest(&index).unwrap();
    app.commit(&index.descriptor, Some("v2")).unwrap();
    let puts: Vec<String> = to_app(&registry)
        .iter()
        .map(|l| l.path.rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(
        puts,
        [image.descriptor.digest.to_string(), "v2".to_string()]
    );
    assert_eq!(registry.manifest(APP, "v2").unwrap().1, index.bytes);
}

#[test]
fn a_referrer_is_committed_under_its_tag_in_one_put_saying_whether_its_subject_was_indexed() {
    let registry = TestRegistry::start(Auth::None);
    let (_runtime, app) = destination(&registry);
    let empty = b"{}".to_vec();
    let config = Descriptor::new(
        "application/vnd.oci.empty.v1+json",
        Digest::sha256(&empty),
        2,
    );
    put_known(&app, &config, &opener(empty).0).unwrap();
    let subject = manifest(&config, &[]);
    app.put_manifest(&subject).unwrap();
    app.commit(&subject.descriptor, Some("v1")).unwrap();
    let (_runtime, app) = destination(&registry);
    let json = |d: &Descriptor| serde_json::json!({"mediaType": d.media_type, "digest": d.digest.as_str(), "size": d.size});
    let bytes = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.example.sbom",
        "config": json(&config),
        "layers": [],
        "subject": json(&subject.descriptor),
    }))
    .unwrap();
    let referrer = Document {
        descriptor: Descriptor::new(
            "application/vnd.oci.image.manifest.v1+json",
            Digest::sha256(&bytes),
            bytes.len() as u64,
        ),
        bytes,
    };
    registry.clear_log();
    assert!(app.commit_referrer(&referrer, "sbom").unwrap(), "indexed");
    assert_eq!(kinds(&to_app(&registry)), ["PUT manifest"]);
    assert_eq!(registry.manifest(APP, "sbom").unwrap().1, referrer.bytes);
    registry.behave(|b| b.no_referrers_api = true);
    let (_runtime, app) = destination(&registry);
    assert!(
        !app.commit_referrer(&referrer, "sbom-again").unwrap(),
        "not indexed"
    );
}

#[test]
fn pushes_of_one_run_into_one_repository_send_a_blob_they_share_once() {
    let registry = TestRegistry::start(Auth::None);
    let data = bytes(200_000, 9);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = registry.client(None);
    let pushes: Vec<RepositoryDestination> = (0..4)
        .map(|_| {
            let app = registry.pushing(&client, APP, &[]);
            RepositoryDestination::new(app, runtime.handle().clone(), None)
        })
        .collect();
    let moved: Vec<Moved> = std::thread::scope(|scope| {
        let threads: Vec<_> = (pushes.iter())
            .map(|push| {
                let data = data.clone();
                scope.spawn(move || put_known(push, &blob(&data), &opener(data.clone()).0))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap().unwrap())
            .collect()
    });
    let sent = moved.iter().filter(|m| **m == Moved::Sent(200_000)).count();
    let found = moved
        .iter()
        .filter(|m| **m == Moved::Skipped(200_000))
        .count();
    assert_eq!((sent, found), (1, 3), "{moved:?}");
    let kinds = kinds(&to_app(&registry));
    let n = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
    assert_eq!((n("HEAD blob"), n("POST upload")), (1, 1), "{kinds:?}");
    assert_eq!(registry.blob(APP, &Digest::sha256(&data)), Some(data));
}
