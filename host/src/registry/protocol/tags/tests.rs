//! The tag list against the in-process registry: pages followed by their
//! `Link`, on this registry only, and the listing bounded.

use super::super::Registry;
use crate::registry::Scope;
use crate::registry::test_registry::{Auth, TestRegistry, to_repository};
use crate::registry::{Error, Repository};
use std::sync::Arc;

const APP: &str = "team/app";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// A registry whose `team/app` has `tags` (one small index under each).
fn tagged(tags: &[&str]) -> (TestRegistry, Arc<Registry>, Repository) {
    let registry = TestRegistry::start(Auth::None);
    let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    for tag in tags {
        registry.add_manifest(APP, Some(tag), INDEX, index);
    }
    let client = registry.client(None);
    let app = client.repository(APP, vec![Scope::repository(APP, &["pull"])]);
    (registry, client, app)
}

/// The requests of the tag list, as `(last, n)` query parameters.
fn pages(registry: &TestRegistry) -> Vec<(Option<String>, Option<String>)> {
    to_repository(&registry.log(), APP)
        .iter()
        .filter(|l| l.path.ends_with("/tags/list"))
        .map(|l| {
            (
                l.param("last").map(Into::into),
                l.param("n").map(Into::into),
            )
        })
        .collect()
}

const FIVE: [&str; 5] = ["1.0", "1.1", "2.0", "latest", "v3"];

#[tokio::test]
async fn every_page_of_tags_is_followed_by_its_link() {
    let (registry, _client, app) = tagged(&FIVE);
    registry.behave(|b| b.tags_page = Some(2));
    assert_eq!(app.tags().await.unwrap(), FIVE);
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        pages(&registry),
        [
            (None, None),
            (some("1.1"), some("2")),
            (some("latest"), some("2"))
        ]
    );
}

#[tokio::test]
async fn tags_in_one_page_take_one_request_and_none_are_an_empty_list() {
    let (registry, client, app) = tagged(&FIVE);
    assert_eq!(app.tags().await.unwrap(), FIVE);
    assert_eq!(pages(&registry).len(), 1);
    // A repository with a blob and no tag: `"tags": null`.
    registry.add_blob("team/empty", b"a blob");
    let empty = client.repository(
        "team/empty",
        vec![Scope::repository("team/empty", &["pull"])],
    );
    assert_eq!(empty.tags().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn the_tags_of_a_repository_that_is_not_there_are_an_error_naming_it() {
    let (_registry, client, _app) = tagged(&[]);
    let gone = client.repository("team/gone", vec![Scope::repository("team/gone", &["pull"])]);
    let e = gone.tags().await.unwrap_err();
    assert_eq!(e.status(), Some(404));
    let message = e.to_string();
    assert!(
        message.contains("/team/gone: GET tags of team/gone answered HTTP 404")
            && message.contains("NAME_UNKNOWN"),
        "{message}"
    );
}

#[tokio::test]
async fn a_next_page_of_tags_on_another_host_is_not_followed() {
    let (registry, _client, app) = tagged(&FIVE);
    registry.behave(|b| {
        b.tags_page = Some(2);
        b.link_elsewhere = true;
    });
    let e = app.tags().await.unwrap_err();
    assert!(
        matches!(&e, Error::Protocol { message, .. }
            if message.contains("the next page of tags is at http://localhost:")
                && message.contains("off this registry")),
        "{e}"
    );
    assert!(e.to_string().contains("GET tags of team/app"), "{e}");
    assert_eq!(pages(&registry).len(), 1, "not followed");
}

#[tokio::test]
async fn a_listing_longer_than_the_bound_is_refused_as_soon_as_it_is() {
    let (registry, _client, app) = tagged(&FIVE);
    registry.behave(|b| b.tags_page = Some(2));
    let e = app.tags_at_most(3).await.unwrap_err();
    assert!(
        matches!(&e, Error::Protocol { message, .. }
            if message == "the repository lists more than 3 tags, more than ocipipe takes"),
        "{e}"
    );
    assert_eq!(pages(&registry).len(), 2, "the third page is not asked for");
    // In one page, the same.
    registry.behave(|b| b.tags_page = None);
    let e = app.tags_at_most(4).await.unwrap_err();
    assert!(e.to_string().contains("more than 4 tags"), "{e}");
    // Exactly the bound is taken.
    assert_eq!(app.tags_at_most(5).await.unwrap(), FIVE);
}
