//! Conversions for the `manifest-generation` world: image-config requests,
//! the host machine, what a manifest refers to, a page of referrers,
//! artifact plans, requests and forms; and the
//! checks that a platform's choice is one of the manifests it was given,
//! that an artifact's file names stay in the directory they are written
//! to, and that a referrers tag is a tag.

use super::{
    Origin, descriptor_from_wit, descriptor_to_wit, digests_to_wit, document_from_wit,
    list_from_wit,
};
use crate::model::{
    ArtifactForm, ArtifactPlan, ArtifactRequest, ArtifactTool, ConfigRequest, Descriptor, Digest,
    Document, HostMachine, ManifestContents, ReferrersPage,
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

/// What an artifact push is made of, into WIT.
pub(in crate::runtime) fn artifact_plan_to_wit(plan: &ArtifactPlan) -> manifests::ArtifactPlan {
    manifests::ArtifactPlan {
        tool: match &plan.tool {
            ArtifactTool::Oras => manifests::ArtifactTool::Oras,
            ArtifactTool::Compose(version) => manifests::ArtifactTool::Compose(version.clone()),
        },
        artifact_type: plan.artifact_type.clone(),
        files: plan
            .files
            .iter()
            .map(|f| manifests::ArtifactFile {
                name: f.name.clone(),
                media_type: f.media_type.clone(),
                digest: f.digest.to_string(),
                size: f.size,
            })
            .collect(),
        annotations: plan.annotations.clone(),
        created: plan.created,
        subject: plan.subject.as_ref().map(descriptor_to_wit),
    }
}

/// The artifact request a component planned, checked: one layer per file
/// of `plan`, each with that file's digest and size (the host sends the
/// files it read, whatever a component answers).
pub(in crate::runtime) fn artifact_request_from_wit(
    at: Origin<'_>,
    plan: &ArtifactPlan,
    request: manifests::ArtifactRequest,
) -> Result<ArtifactRequest, Error> {
    let layers = list_from_wit(at, request.layers, descriptor_from_wit)?;
    if layers.len() != plan.files.len() {
        return Err(at.contract(format!(
            "answered {} layers for {} files",
            layers.len(),
            plan.files.len()
        )));
    }
    if let Some((file, layer)) = plan
        .files
        .iter()
        .zip(&layers)
        .find(|(f, l)| f.digest != l.digest || f.size != l.size)
    {
        return Err(at.contract(format!(
            "answered the layer {} ({} bytes) for the file {} ({}, {} bytes)",
            layer.digest, layer.size, file.name, file.digest, file.size
        )));
    }
    Ok(ArtifactRequest {
        artifact_type: request.artifact_type,
        layers,
        annotations: request.annotations,
        created: request.created,
        subject: request
            .subject
            .map(|s| descriptor_from_wit(at, s))
            .transpose()?,
    })
}

/// Blobs a component answered with their bytes, checked: each one's
/// digest is the sha256 of its bytes and its size their length, as the
/// host sends them under that digest.
pub(in crate::runtime) fn blobs_from_wit(
    at: Origin<'_>,
    blobs: Vec<types::Document>,
) -> Result<Vec<Document>, Error> {
    let blobs = list_from_wit(at, blobs, document_from_wit)?;
    if let Some(blob) = blobs.iter().find(|b| {
        b.descriptor.digest != Digest::sha256(&b.bytes) || b.descriptor.size != b.bytes.len() as u64
    }) {
        return Err(at.contract(format!(
            "answered a blob described as {} ({} bytes) whose {} bytes do not hash to it",
            blob.descriptor.digest,
            blob.descriptor.size,
            blob.bytes.len()
        )));
    }
    Ok(blobs)
}

/// The referrer descriptor of the pushed manifest `pushed` a component
/// answered, checked: it names that manifest (digest, size, media type).
pub(in crate::runtime) fn referrer_from_wit(
    at: Origin<'_>,
    pushed: &Descriptor,
    referrer: types::Descriptor,
) -> Result<Descriptor, Error> {
    let referrer = descriptor_from_wit(at, referrer)?;
    if (&referrer.digest, referrer.size, &referrer.media_type)
        != (&pushed.digest, pushed.size, &pushed.media_type)
    {
        return Err(at.contract(format!(
            "answered a referrer {} ({}, {} bytes) for the pushed manifest {} ({}, {} bytes)",
            referrer.digest,
            referrer.media_type,
            referrer.size,
            pushed.digest,
            pushed.media_type,
            pushed.size
        )));
    }
    Ok(referrer)
}

/// An artifact request, into WIT.
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

    fn contract_broken(e: &Error, says: &str) -> bool {
        matches!(e, Error::Contract { message, .. } if message.contains(says))
    }

    #[test]
    fn a_plan_answered_for_other_files_breaks_the_contract() {
        let layer = entry(1, "amd64");
        let plan = ArtifactPlan {
            tool: ArtifactTool::Oras,
            artifact_type: Some("application/vnd.example".into()),
            files: vec![crate::model::ArtifactFile {
                name: "a".into(),
                media_type: None,
                digest: layer.digest.clone(),
                size: layer.size,
            }],
            annotations: Vec::new(),
            created: None,
            subject: None,
        };
        let answer = |layers: Vec<Descriptor>| manifests::ArtifactRequest {
            artifact_type: "application/vnd.example".into(),
            layers: layers.iter().map(descriptor_to_wit).collect(),
            annotations: Vec::new(),
            created: None,
            subject: None,
        };
        let request = artifact_request_from_wit(AT, &plan, answer(vec![layer.clone()])).unwrap();
        assert_eq!(request.layers, [layer]);
        let e = artifact_request_from_wit(AT, &plan, answer(Vec::new())).unwrap_err();
        assert!(contract_broken(&e, "answered 0 layers for 1 files"), "{e}");
        let other = entry(2, "amd64");
        let e = artifact_request_from_wit(AT, &plan, answer(vec![other])).unwrap_err();
        assert!(contract_broken(&e, "for the file a"), "{e}");
    }

    #[test]
    fn a_blob_whose_bytes_do_not_hash_to_its_digest_breaks_the_contract() {
        let blob = |described: &[u8], bytes: &[u8]| types::Document {
            descriptor: descriptor_to_wit(&Descriptor::new(
                "application/vnd.oci.empty.v1+json",
                Digest::sha256(described),
                described.len() as u64,
            )),
            bytes: bytes.to_vec(),
        };
        let blobs = blobs_from_wit(AT, vec![blob(b"{}", b"{}")]).unwrap();
        assert_eq!(blobs[0].bytes, b"{}");
        let e = blobs_from_wit(AT, vec![blob(b"{}", b"[]")]).unwrap_err();
        assert!(contract_broken(&e, "do not hash to it"), "{e}");
    }

    #[test]
    fn a_referrer_of_another_manifest_breaks_the_contract() {
        let pushed = entry(1, "amd64");
        let mut referrer = pushed.clone();
        referrer.artifact_type = Some("application/vnd.example".into());
        let converted = referrer_from_wit(AT, &pushed, descriptor_to_wit(&referrer)).unwrap();
        assert_eq!(converted, referrer);
        let other = entry(2, "amd64");
        let e = referrer_from_wit(AT, &pushed, descriptor_to_wit(&other)).unwrap_err();
        assert!(contract_broken(&e, "for the pushed manifest"), "{e}");
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
