//! Conversions for the `manifest-generation` world: image-config requests,
//! the host machine, what a manifest refers to; and the check that a
//! platform's choice is one of the manifests it was given.

use super::{Origin, descriptor_from_wit, digests_to_wit, list_from_wit, platform_to_wit};
use crate::model::{ConfigRequest, Descriptor, HostMachine, ManifestContents};
use crate::runtime::Error;
use crate::runtime::bindings::manifest_generation::exports::ocipipe::image::{configs, manifests};
use crate::runtime::bindings::types;

/// An image-config request, into WIT.
pub(in crate::runtime) fn config_request_to_wit(request: &ConfigRequest) -> configs::ConfigRequest {
    configs::ConfigRequest {
        base: request.base.clone(),
        platform: platform_to_wit(&request.platform),
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
                variant: None,
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
}
