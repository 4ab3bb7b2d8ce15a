//! The test registry's tag list: `GET /v2/<name>/tags/list`, paged as
//! distribution pages it (`n` tags after `last`, in lexical order, with a
//! `Link` to the next page while more remain).

use super::routes::{Answer, Call, json, refuse, respond};
use hyper::StatusCode;

impl Call<'_> {
    /// The tags of `name`: `n` at most (or the page size a behaviour
    /// sets) after `last`; `null` for a repository without tags, and
    /// `NAME_UNKNOWN` for one that holds nothing.
    pub(super) fn tags(&self, name: &str) -> Answer {
        let state = self.state();
        if !state.has_repository(name) {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                "NAME_UNKNOWN",
                "repository name not known to registry",
            ));
        }
        let all = state.tags(name);
        let after: Vec<String> = match self.param("last") {
            Some(last) => all.into_iter().filter(|t| t.as_str() > last).collect(),
            None => all,
        };
        let size = match self.param("n") {
            Some(n) => n.parse::<usize>().map_err(|_| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    "PAGINATION_NUMBER_INVALID",
                    "invalid number of results requested",
                )
            })?,
            None => state.behaviour.tags_page.unwrap_or(usize::MAX),
        };
        let more = after.len() > size;
        let page: Vec<String> = after.into_iter().take(size).collect();
        let mut answer = respond(StatusCode::OK).header("content-type", "application/json");
        if more && let Some(last) = page.last() {
            let mut url =
                reqwest::Url::parse(&format!("http://x/v2/{name}/tags/list")).expect("a URL");
            url.query_pairs_mut()
                .append_pair("last", last)
                .append_pair("n", &size.to_string());
            let host = match state.behaviour.link_elsewhere {
                true => format!("http://localhost:{}", self.shared.addr.port()),
                false => String::new(),
            };
            let next = format!("{host}{}?{}", url.path(), url.query().unwrap_or(""));
            answer = answer.header("link", format!(r#"<{next}>; rel="next""#));
        }
        let tags = (!page.is_empty()).then_some(page);
        Ok(answer
            .body(json(&serde_json::json!({"name": name, "tags": tags})))
            .expect("a response"))
    }
}
