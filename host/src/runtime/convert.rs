//! Conversions between generated WIT types shared by every world and the
//! host's `model` types.

use super::Error;
use super::bindings::types;
use crate::model::{Descriptor, Digest, Document, Platform};

/// Maps the shared WIT `error` to [`Error::Refused`].
pub(super) fn refused(component: &str, function: &'static str, e: types::Error) -> Error {
    let (kind, message) = match e {
        types::Error::InvalidReference(m) => ("invalid-reference", m),
        types::Error::InvalidInput(m) => ("invalid-input", m),
        types::Error::Unsupported(m) => ("unsupported", m),
        types::Error::TooLarge(m) => ("too-large", m),
    };
    Error::Refused {
        component: component.to_string(),
        function,
        kind,
        message,
    }
}

/// A digest a component answered, checked: a malformed one is a broken
/// contract, not something to pass on.
pub(super) fn digest_from_wit(
    component: &str,
    function: &'static str,
    digest: String,
) -> Result<Digest, Error> {
    Digest::parse(&digest).map_err(|e| Error::Contract {
        component: component.to_string(),
        function,
        message: e.to_string(),
    })
}

pub(super) fn descriptor_to_wit(d: &Descriptor) -> types::Descriptor {
    types::Descriptor {
        media_type: d.media_type.clone(),
        digest: d.digest.to_string(),
        size: d.size,
        artifact_type: d.artifact_type.clone(),
        annotations: d.annotations.clone(),
        platform: d.platform.as_ref().map(platform_to_wit),
        urls: d.urls.clone(),
    }
}

pub(super) fn descriptor_from_wit(
    component: &str,
    function: &'static str,
    d: types::Descriptor,
) -> Result<Descriptor, Error> {
    Ok(Descriptor {
        media_type: d.media_type,
        digest: digest_from_wit(component, function, d.digest)?,
        size: d.size,
        artifact_type: d.artifact_type,
        annotations: d.annotations,
        platform: d.platform.map(platform_from_wit),
        urls: d.urls,
    })
}

pub(super) fn platform_to_wit(p: &Platform) -> types::Platform {
    types::Platform {
        architecture: p.architecture.clone(),
        os: p.os.clone(),
        os_version: p.os_version.clone(),
        os_features: p.os_features.clone(),
        cpu_variant: p.variant.clone(),
    }
}

fn platform_from_wit(p: types::Platform) -> Platform {
    Platform {
        architecture: p.architecture,
        os: p.os,
        os_version: p.os_version,
        os_features: p.os_features,
        variant: p.cpu_variant,
    }
}

pub(super) fn document_to_wit(d: &Document) -> types::Document {
    types::Document {
        descriptor: descriptor_to_wit(&d.descriptor),
        bytes: d.bytes.clone(),
    }
}

pub(super) fn document_from_wit(
    component: &str,
    function: &'static str,
    d: types::Document,
) -> Result<Document, Error> {
    Ok(Document {
        descriptor: descriptor_from_wit(component, function, d.descriptor)?,
        bytes: d.bytes,
    })
}
