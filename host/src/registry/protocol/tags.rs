//! A repository's tag list (`GET /v2/<name>/tags/list`), a page at a time,
//! and the paging the distribution spec gives listings (`Link: <URL>;
//! rel="next"`), shared with the referrers API's.
//!
//! Owns: following pages on this registry only, each page a bounded
//! document, the whole list bounded ([`MAX_TAGS`]).
//!
//! Must not: choose tags (the tagging component filters them) or sort
//! them: they are given as the registry lists them.

use super::{Error, Repository};
use reqwest::header::{ACCEPT, LINK};
use reqwest::{Response, StatusCode, Url};

/// The most tags a repository's listing may have: 262,144 names of ~30
/// bytes hold ~16 MiB, which keeps a sync of many repositories well under
/// its memory bound, and is more than ten times the tags of the largest
/// public repositories (CI repositories tagging every commit). A registry
/// listing more (or paging without end) is refused, not followed forever.
pub const MAX_TAGS: usize = 1 << 18;

/// The largest page of tags taken: a registry that does not page lists
/// every tag in one, and [`MAX_TAGS`] names of up to 30 bytes, quoted,
/// fit.
const MAX_TAGS_PAGE: usize = 10 << 20;

/// One page, as the distribution spec writes it (`tags` may be `null`
/// for a repository without tags).
#[derive(serde::Deserialize)]
struct Page {
    tags: Option<Vec<String>>,
}

impl Repository {
    /// Every tag of the repository, as the registry lists them, following
    /// its pages ([`MAX_TAGS`] at most).
    pub async fn tags(&self) -> Result<Vec<String>, Error> {
        self.tags_at_most(MAX_TAGS).await
    }

    /// [`Self::tags`], refusing a listing of more than `most` tags or
    /// pages.
    pub(super) async fn tags_at_most(&self, most: usize) -> Result<Vec<String>, Error> {
        let what = format!("GET tags of {}", self.name);
        let protocol = |message: String| Error::Protocol {
            registry: self.registry.host.clone(),
            what: what.clone(),
            message,
        };
        let mut url = self.url("tags/list");
        let mut tags = Vec::new();
        for _page in 0..most.max(1) {
            let build = || {
                self.client()
                    .get(url.clone())
                    .header(ACCEPT, "application/json")
            };
            let response = self.send(&what, &build, &[StatusCode::OK]).await?;
            let next = self.next_page(&what, "tags", &response)?;
            let bytes = self.read_capped(&what, response, MAX_TAGS_PAGE).await?;
            let page: Page = serde_json::from_slice(&bytes)
                .map_err(|e| protocol(format!("the tag list cannot be read: {e}")))?;
            let listed = page.tags.unwrap_or_default();
            if tags.len() + listed.len() > most {
                return Err(protocol(format!(
                    "the repository lists more than {most} tags, more than ocipipe takes"
                )));
            }
            tags.extend(listed);
            match next {
                Some(next) => url = next,
                None => return Ok(tags),
            }
        }
        Err(protocol(format!(
            "the tag list goes on for more than {most} pages, more than ocipipe follows"
        )))
    }

    /// The URL of the next page of a `listing` (as errors name it) that
    /// an answer names (`Link: <URL>; rel="next"`, the distribution spec's
    /// pagination), resolved against the request's. It must stay on this
    /// registry (same scheme, host and port): credentials go with it.
    pub(super) fn next_page(
        &self,
        what: &str,
        listing: &str,
        response: &Response,
    ) -> Result<Option<Url>, Error> {
        let protocol = |message: String| Error::Protocol {
            registry: self.registry.host.clone(),
            what: what.to_string(),
            message,
        };
        let mut next = None;
        for value in response.headers().get_all(LINK) {
            let value = value
                .to_str()
                .map_err(|_| protocol("a Link header that is not text".to_string()))?;
            let links = parse_link_header::parse(value)
                .map_err(|e| protocol(format!("the Link header {value:?} cannot be read: {e}")))?;
            if let Some(link) = links.get(&Some("next".to_string())) {
                next = Some(response.url().join(&link.raw_uri).map_err(|e| {
                    protocol(format!(
                        "the next page {:?} is not a URL: {e}",
                        link.raw_uri
                    ))
                })?);
            }
        }
        match next {
            Some(url) if url.origin() != self.registry.base.origin() => Err(protocol(format!(
                "the next page of {listing} is at {url}, off this registry; it is not followed"
            ))),
            next => Ok(next),
        }
    }
}

#[cfg(test)]
mod tests;
