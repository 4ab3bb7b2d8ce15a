//! The one place that checks what a component answers before the host
//! uses it. Every call goes through [`super::bound::Bound`], which runs
//! [`Checked::check`] on every answer: digests are well-formed (checked
//! as they are lifted, see `model::Digest`), sizes fit OCI's `int64`,
//! strings stay within [`MAX_TEXT`] bytes (media types within
//! [`MAX_MEDIA_TYPE`], tags within [`MAX_TAG`]), and a document's bytes
//! are what its descriptor says. What an answer must be given the question
//! (a platform's choice among the manifests given, one flag per layer) is
//! checked by the functions of each world's submodule, which the wrappers
//! call.
//!
//! An answer that breaks its world's contract is an [`Error::Contract`]
//! naming the component and the function, never passed on.
//!
//! Must not: call components, or decide anything a component decides; a
//! check here only refuses what the WIT contract rules out.

pub(super) mod manifest_generation;
pub(super) mod tagging;
pub(super) mod tar_assembly;

use super::Error;
use super::bindings::types;
use crate::model::{
    AnyReference, ArtifactForm, ArtifactRequest, BlobHead, BlobPlacement, Change,
    ComponentArtifact, Descriptor, Digest, DigestError, Document, FilterError, ImageLayer,
    IndexEntry, LayerCompression, ManifestContents, Platform, Privilege, Reference, ReferrersPage,
    Segment,
};

/// The longest string an answer may hold, in bytes: far above any name,
/// path, annotation or message an operation makes, far below what would
/// make the host's memory the component's to spend.
pub(super) const MAX_TEXT: usize = 64 * 1024;

/// The longest media type, in bytes: RFC 6838's type and subtype, 127
/// each, and the `/`.
pub(super) const MAX_MEDIA_TYPE: usize = 255;

/// The longest tag, in characters, as the reference grammar has it.
pub(super) const MAX_TAG: usize = 128;

/// The largest size a descriptor may give: OCI's `size` is an `int64`.
const MAX_SIZE: u64 = i64::MAX as u64;

/// Which component answered, from which function: what an error about an
/// answer names.
#[derive(Debug, Clone, Copy)]
pub(super) struct Origin<'a> {
    component: &'a str,
    function: &'a str,
}

impl<'a> Origin<'a> {
    /// The answer of `function` of `component`.
    pub(super) fn new(component: &'a str, function: &'a str) -> Self {
        Self {
            component,
            function,
        }
    }

    /// The answer broke the contract of the world.
    pub(super) fn contract(self, message: impl Into<String>) -> Error {
        Error::Contract {
            component: self.component.to_string(),
            function: self.function.to_string(),
            message: message.into(),
        }
    }

    /// The component refused its input with the shared WIT `error`.
    pub(super) fn refused(self, e: types::Error) -> Error {
        let (kind, message) = match e {
            types::Error::InvalidReference(m) => ("invalid-reference", m),
            types::Error::InvalidInput(m) => ("invalid-input", m),
            types::Error::Unsupported(m) => ("unsupported", m),
            types::Error::TooLarge(m) => ("too-large", m),
        };
        Error::Refused {
            component: self.component.to_string(),
            function: self.function.to_string(),
            kind,
            message: crate::model::printable(&message),
        }
    }

    /// A call that failed as its answer was lifted because a digest in it
    /// is malformed (see `model::Digest`).
    pub(super) fn malformed_digest(self, e: &DigestError) -> Error {
        self.contract(e.to_string())
    }

    /// `text`, which the answer calls `what`, within [`MAX_TEXT`] bytes.
    fn text(self, what: &str, text: &str) -> Result<(), Error> {
        if text.len() > MAX_TEXT {
            return Err(self.contract(format!(
                "answered a {what} of {} bytes (at most {MAX_TEXT})",
                text.len()
            )));
        }
        Ok(())
    }

    /// Every string of `texts` within [`MAX_TEXT`] bytes.
    fn texts<'t>(
        self,
        what: &str,
        texts: impl IntoIterator<Item = &'t String>,
    ) -> Result<(), Error> {
        texts.into_iter().try_for_each(|t| self.text(what, t))
    }

    /// Every key and value of `pairs` within [`MAX_TEXT`] bytes.
    fn pairs(self, what: &str, pairs: &[(String, String)]) -> Result<(), Error> {
        self.texts(what, pairs.iter().flat_map(|(k, v)| [k, v]))
    }
}

/// An answer with nothing to be checked against its question.
pub(super) fn as_is<T>(_: Origin<'_>, answer: T) -> Result<T, Error> {
    Ok(answer)
}

/// What every answer of a type must be, whatever the question.
pub(super) trait Checked {
    /// Refuses what the WIT contract rules out for every value of the type.
    fn check(&self, at: Origin<'_>) -> Result<(), Error>;
}

impl<T: Checked> Checked for Vec<T> {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        self.iter().try_for_each(|item| item.check(at))
    }
}

impl<T: Checked> Checked for Option<T> {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        self.as_ref().map_or(Ok(()), |item| item.check(at))
    }
}

impl<A: Checked, B: Checked> Checked for (A, B) {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        self.0.check(at)?;
        self.1.check(at)
    }
}

impl<T: Checked, E: Checked> Checked for Result<T, E> {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        match self {
            Ok(value) => value.check(at),
            Err(refused) => refused.check(at),
        }
    }
}

impl Checked for String {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        at.text("string", self)
    }
}

/// Flags and choices: nothing beyond their types.
macro_rules! unchecked {
    ($($t:ty),*) => {
        $(impl Checked for $t {
            fn check(&self, _: Origin<'_>) -> Result<(), Error> {
                Ok(())
            }
        })*
    };
}
unchecked!(
    (),
    bool,
    u8,
    u32,
    Digest,
    ArtifactForm,
    Change,
    LayerCompression
);

impl Checked for FilterError {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        at.text("message", &self.message)
    }
}

impl Checked for ImageLayer {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        self.descriptor.check(at)
    }
}

impl Checked for IndexEntry {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        self.manifest.check(at)?;
        self.name.check(at)
    }
}

impl Checked for ComponentArtifact {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        self.config.check(at)?;
        self.layer.check(at)
    }
}

impl Checked for Platform {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        at.texts("platform field", [&self.architecture, &self.os])?;
        at.texts("platform field", &self.os_version)?;
        at.texts("platform field", &self.os_features)?;
        at.texts("platform field", &self.cpu_variant)
    }
}

impl Checked for Reference {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        at.texts(
            "reference",
            [
                &self.name,
                &self.domain,
                &self.path,
                &self.full,
                &self.familiar,
            ],
        )?;
        match &self.tag {
            Some(tag) if tag.is_empty() || tag.chars().count() > MAX_TAG => Err(at.contract(
                format!("answered a tag of {} characters", tag.chars().count()),
            )),
            _ => Ok(()),
        }
    }
}

impl Checked for AnyReference {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        match self {
            AnyReference::Id(_) => Ok(()),
            AnyReference::Named(reference) => reference.check(at),
        }
    }
}

impl Checked for Descriptor {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        media_type(at, &self.media_type)?;
        if self.size > MAX_SIZE {
            return Err(at.contract(format!(
                "answered a descriptor of {} bytes for {}, more than OCI's int64 allows",
                self.size, self.digest
            )));
        }
        at.texts("artifact type", &self.artifact_type)?;
        at.pairs("annotation", &self.annotations)?;
        at.texts("url", &self.urls)?;
        self.platform.check(at)
    }
}

/// A media type: within [`MAX_MEDIA_TYPE`] bytes, without control
/// characters (the host writes it into headers and onto terminals). Its
/// grammar is the component's to judge: a manifest read back may carry any.
fn media_type(at: Origin<'_>, media_type: &str) -> Result<(), Error> {
    if media_type.len() > MAX_MEDIA_TYPE || media_type.chars().any(char::is_control) {
        return Err(at.contract(format!(
            "answered the media type {:?}, which is not one",
            crate::model::one_line(&media_type.chars().take(80).collect::<String>())
        )));
    }
    Ok(())
}

impl Checked for Document {
    /// Also: `bytes` are what the descriptor describes, as the host stores
    /// and sends them under its digest.
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        self.descriptor.check(at)?;
        let d = &self.descriptor;
        if d.size != self.bytes.len() as u64 || d.digest != Digest::sha256(&self.bytes) {
            return Err(at.contract(format!(
                "answered a document described as {} ({} bytes) whose {} bytes do not hash to it",
                d.digest,
                d.size,
                self.bytes.len()
            )));
        }
        Ok(())
    }
}

impl Checked for ManifestContents {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        match self {
            ManifestContents::Image(image) => {
                media_type(at, &image.media_type)?;
                image.config.check(at)?;
                image.layers.check(at)?;
                image.subject.check(at)?;
                at.texts("artifact type", &image.artifact_type)
            }
            ManifestContents::Index(index) => {
                media_type(at, &index.media_type)?;
                index.manifests.check(at)?;
                index.subject.check(at)
            }
        }
    }
}

impl Checked for ReferrersPage {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        self.referrers.check(at)?;
        at.texts("message", &self.refused)
    }
}

impl Checked for ArtifactRequest {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        at.text("artifact type", &self.artifact_type)?;
        self.layers.check(at)?;
        at.pairs("annotation", &self.annotations)?;
        self.subject.check(at)
    }
}

impl Checked for Privilege {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        at.texts("privilege", [&self.name, &self.description])?;
        at.texts("privilege", &self.value)
    }
}

impl Checked for Segment {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        match self {
            Segment::Bytes(_) | Segment::Blob(_) => Ok(()),
            Segment::File(file) => at.text("path", &file.path),
        }
    }
}

impl Checked for BlobPlacement {
    fn check(&self, at: Origin<'_>) -> Result<(), Error> {
        match self {
            BlobPlacement::Write(BlobHead { path, .. }) | BlobPlacement::Stored(path) => {
                at.text("path", path)
            }
        }
    }
}

#[cfg(test)]
mod tests;
