//! The tagging operation, called through its WIT world.

use super::bindings::tagging::{Tagging as World, TaggingPre};
use super::bindings::types;
use super::{Bound, Error, Loaded, Runtime};
use crate::model::Reference;
use std::sync::Arc;

/// A loaded tagging component (built-in or third-party).
pub struct Tagging(Bound<TaggingPre<super::Sandbox>>);

impl Tagging {
    pub(super) fn new(runtime: Arc<Runtime>, loaded: Loaded) -> Result<Self, Error> {
        Bound::new(runtime, loaded, "tagging", TaggingPre::new).map(Self)
    }

    /// What the compile cache did when this component was loaded; `None`
    /// when caching is off.
    pub fn cache_outcome(&self) -> Option<super::CacheOutcome> {
        self.0.loaded.cache
    }

    /// Go `Parse`: validated, not normalised.
    pub fn parse(&self, input: &str) -> Result<Reference, Error> {
        self.one("parse", |w, s| {
            w.ocipipe_image_naming().call_parse(s, input)
        })
    }

    /// Go `ParseNormalizedNamed`.
    pub fn parse_normalized_named(&self, input: &str) -> Result<Reference, Error> {
        self.one("parse-normalized-named", |w, s| {
            w.ocipipe_image_naming()
                .call_parse_normalized_named(s, input)
        })
    }

    /// `ParseNormalizedNamed` + `TagNameOnly`: the name to give an engine.
    pub fn normalize_with_default_tag(&self, input: &str) -> Result<Reference, Error> {
        self.one("normalize-with-default-tag", |w, s| {
            w.ocipipe_image_naming()
                .call_normalize_with_default_tag(s, input)
        })
    }

    /// A comma-separated list of target names, each normalised with the
    /// default tag.
    pub fn parse_targets(&self, names: &str) -> Result<Vec<Reference>, Error> {
        let refs = self.invoke("parse-targets", |w, s| {
            w.ocipipe_image_naming().call_parse_targets(s, names)
        })?;
        refs.into_iter()
            .map(|r| self.reference("parse-targets", r))
            .collect()
    }

    /// A unique build tag for `name` from host-drawn `entropy`.
    pub fn unique_tag(&self, name: &str, entropy: &[u8]) -> Result<Reference, Error> {
        self.one("unique-tag", |w, s| {
            w.ocipipe_image_naming().call_unique_tag(s, name, entropy)
        })
    }

    fn one(
        &self,
        function: &'static str,
        call: impl FnOnce(
            &World,
            &mut wasmtime::Store<super::Sandbox>,
        ) -> super::Answer<types::Reference>,
    ) -> Result<Reference, Error> {
        let r = self.invoke(function, call)?;
        self.reference(function, r)
    }

    fn invoke<T>(
        &self,
        function: &'static str,
        call: impl FnOnce(&World, &mut wasmtime::Store<super::Sandbox>) -> super::Answer<T>,
    ) -> Result<T, Error> {
        self.0.invoke(function, |pre, s| pre.instantiate(s), call)
    }
}

impl Tagging {
    fn reference(&self, function: &'static str, r: types::Reference) -> Result<Reference, Error> {
        let name = &self.0.loaded.name;
        Ok(Reference {
            name: r.name,
            domain: r.domain,
            path: r.path,
            tag: r.tag,
            digest: r
                .digest
                .map(|d| super::convert::digest_from_wit(name, function, d))
                .transpose()?,
            full: r.full,
            familiar: r.familiar,
        })
    }
}
