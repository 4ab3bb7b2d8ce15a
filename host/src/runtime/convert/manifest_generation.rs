//! Conversions for the `manifest-generation` world: image-config requests,
//! the host machine, what a manifest refers to, a page of referrers,
//! artifact forms; and the
//! checks that a platform's choice is one of the manifests it was given,
//! that an artifact's file names stay in the directory they are written
//! to, and that a referrers tag is a tag.

use super::{Origin, descriptor_from_wit, digests_to_wit, list_from_wit};
use crate::model::{
    ArtifactForm, ArtifactRequest, ConfigRequest, Descriptor, HostMachine, ManifestContents,
    ReferrersPage,
};
use crate::runtime::Error;
use crate::runtime::bindings::manifest_generation::exports::ocipipe::image::{configs, manifests};
use crate::runtime::bindings::types;

/// An image-config request, into WIT.
pub(in crate::runtime) fn config_request_to_wit(request: &ConfigRequest) -> configs::ConfigRequest {
    configs::ConfigRequest {
        base: request.base.clone(),
        platform: request.platform.clone(),
        diff_ids: digests_to_wit(&request.diff_ids),
        history: request
            .history
            .iter()
            .map(|h| configs::History {
                created: h.created,
                created_by: h.created_by.clone(),
                comment: h.comment.clone(),
                empty_layer: h.empty_layer,
            })
            .collect(),
        created: request.created,
        env: request.env.clone(),
        entrypoint: request.entrypoint.clone(),
        cmd: request.cmd.clone(),
        working_dir: request.working_dir.clone(),
        user: request.user.clone(),
        labels: request.labels.clone(),
        exposed_ports: request.exposed_ports.clone(),
    }
}

/// The host machine, into WIT.
pub(in crate::runtime) fn host_machine_to_wit(host: &HostMachine) -> configs::HostMachine {
    configs::HostMachine {
        os: host.os.clone(),
        arch: host.arch.clone(),
        little_endian: host.little_endian,
    }
}

/// What a manifest refers to, as a component answered it.
pub(in crate::runtime) fn manifest_contents_from_wit(
    at: Origin<'_>,
    contents: manifests::ManifestContents,
) -> Result<ManifestContents, Error> {
    let subject = |s: Option<types::Descriptor>| s.map(|d| descriptor_from_wit(at, d)).transpose();
    Ok(match contents {
        manifests::ManifestContents::Image(image) => ManifestContents::Image {
            media_type: image.media_type,
            config: descriptor_from_wit(at, image.config)?,
            layers: list_from_wit(at, image.layers, descriptor_from_wit)?,
            subject: subject(image.subject)?,
            artifact_type: image.artifact_type,
        },
        manifests::ManifestContents::Index(index) => ManifestContents::Index {
            media_type: index.media_type,
            manifests: list_from_wit(at, index.manifests, descriptor_from_wit)?,
            subject: subject(index.subject)?,
        },
    })
}

/// A page of referrers, as a component read it.
pub(in crate::runtime) fn referrers_page_from_wit(
    at: Origin<'_>,
    page: manifests::ReferrersPage,
) -> Result<ReferrersPage, Error> {
    Ok(ReferrersPage {
        referrers: list_from_wit(at, page.referrers, descriptor_from_wit)?,
        refused: page.refused,
    })
}

/// The manifest a component chose for a platform: it must be one of
/// `given`, unchanged.
pub(in crate::runtime) fn chosen_from_wit(
    at: Origin<'_>,
    given: &[Descriptor],
    chosen: types::Descriptor,
) -> Result<Descriptor, Error> {
    let chosen = descriptor_from_wit(at, chosen)?;
    if given.contains(&chosen) {
        Ok(chosen)
    } else {
        Err(at.contract(format!(
            "it chose {} ({}), which is not one of the {} manifests it was given",
            chosen.digest,
            chosen.media_type,
            given.len()
        )))
    }
}

/// An artifact form a component answered.
pub(in crate::runtime) fn artifact_request_to_wit(
    request: &ArtifactRequest,
) -> manifests::ArtifactRequest {
    manifests::ArtifactRequest {
        artifact_type: request.artifact_type.clone(),
        layers: request
            .layers
            .iter()
            .map(super::descriptor_to_wit)
            .collect(),
        annotations: request.annotations.clone(),
        created: request.created,
        subject: request.subject.as_ref().map(super::descriptor_to_wit),
    }
}

pub(in crate::runtime) fn artifact_form_to_wit(form: ArtifactForm) -> manifests::ArtifactForm {
    match form {
        ArtifactForm::OciV1_1 => manifests::ArtifactForm::OciV11,
        ArtifactForm::OciV1_0 => manifests::ArtifactForm::OciV10,
    }
}

pub(in crate::runtime) fn artifact_form_from_wit(form: manifests::ArtifactForm) -> ArtifactForm {
    match form {
        manifests::ArtifactForm::OciV11 => ArtifactForm::OciV1_1,
        manifests::ArtifactForm::OciV10 => ArtifactForm::OciV1_0,
    }
}

/// The file names of an artifact's blobs a component answered, checked:
/// one per blob, each one plain file name (not empty, `.` or `..`, no `/`,
/// `\` or NUL), so that no answer can make the host write outside the
/// directory it pulls into.
pub(in crate::runtime) fn file_names_from_wit(
    at: Origin<'_>,
    blobs: usize,
    names: Vec<String>,
) -> Result<Vec<String>, Error> {
    if names.len() != blobs {
        return Err(at.contract(format!(
            "answered {} file names for {blobs} blobs",
            names.len()
        )));
    }
    let plain = |name: &str| !matches!(name, "" | "." | "..") && !name.contains(['/', '\\', '\0']);
    if let Some(name) = names.iter().find(|n| !plain(n)) {
        return Err(at.contract(format!("answered {name:?}, which is not a plain file name")));
    }
    Ok(names)
}

/// A referrers tag a component answered, checked against the tag grammar
/// of the distribution spec (`[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`): it goes
/// into a registry URL as it is.
pub(in crate::runtime) fn tag_from_wit(at: Origin<'_>, tag: String) -> Result<String, Error> {
    let first_ok = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let rest_ok = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
    match tag.as_bytes() {
        [first, rest @ ..] if first_ok(*first) && rest.len() < 128 && rest.iter().all(rest_ok) => {
            Ok(tag)
        }
        _ => Err(at.contract(format!("answered {tag:?}, which is not a valid tag"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Digest, Platform};

    const AT: Origin<'static> = Origin {
        component: "manifest-generation (built-in)",
        function: "select-platform",
    };

    fn entry(byte: u8, architecture: &str) -> Descriptor {
        Descriptor {
            platform: Some(Platform {
                architecture: architecture.into(),
                os: "linux".into(),
                os_version: None,
                os_features: Vec::new(),
                cpu_variant: None,
            }),
            ..Descriptor::new(
                "application/vnd.oci.image.manifest.v1+json",
                Digest::from_sha256([byte; 32]),
                u64::from(byte),
            )
        }
    }

    #[test]
    fn a_choice_among_the_given_manifests_converts() {
        let given = [entry(1, "amd64"), entry(2, "arm64")];
        let chosen = super::super::descriptor_to_wit(&given[1]);
        assert_eq!(chosen_from_wit(AT, &given, chosen).unwrap(), given[1]);
    }

    #[test]
    fn a_choice_not_given_or_altered_breaks_the_contract() {
        let given = [entry(1, "amd64"), entry(2, "arm64")];
        let altered = entry(2, "s390x");
        for chosen in [entry(3, "amd64"), altered] {
            let e =
                chosen_from_wit(AT, &given, super::super::descriptor_to_wit(&chosen)).unwrap_err();
            assert!(
                matches!(&e, Error::Contract { message, .. } if message.contains("not one of the 2 manifests")),
                "{e}"
            );
        }
    }

    #[test]
    fn file_names_convert_one_per_blob() {
        let names = vec!["compose.yaml".to_string(), "..env".to_string()];
        assert_eq!(file_names_from_wit(AT, 2, names.clone()).unwrap(), names);
        let e = file_names_from_wit(AT, 3, names).unwrap_err();
        assert!(
            matches!(&e, Error::Contract { message, .. } if message.contains("2 file names for 3 blobs")),
            "{e}"
        );
    }

    #[test]
    fn a_file_name_that_leaves_the_directory_breaks_the_contract() {
        for name in ["", ".", "..", "../x", "a/b", "/etc/passwd", "a\\b", "a\0b"] {
            let e = file_names_from_wit(AT, 1, vec![name.to_string()]).unwrap_err();
            assert!(
                matches!(&e, Error::Contract { message, .. } if message.contains("not a plain file name")),
                "{name:?}: {e}"
            );
        }
    }

    #[test]
    fn only_a_valid_tag_converts() {
        let longest = format!("s{}", "-".repeat(127));
        for tag in ["sha256-abc", "_x", "a.b_c-d", longest.as_str()] {
            assert_eq!(tag_from_wit(AT, tag.to_string()).unwrap(), tag);
        }
        let too_long = format!("s{}", "a".repeat(128));
        for tag in ["", "-a", ".a", "sha256:abc", "a/b", "é", too_long.as_str()] {
            let e = tag_from_wit(AT, tag.to_string()).unwrap_err();
            assert!(
                matches!(&e, Error::Contract { message, .. } if message.contains("not a valid tag")),
                "{tag:?}: {e}"
            );
        }
    }
}
