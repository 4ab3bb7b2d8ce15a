//! What an answer of the `manifest-generation` world must be given its
//! question: a platform's choice is one of the manifests given, an
//! artifact's layers are the files planned, a referrer names the pushed
//! manifest, an artifact's file names stay in the directory they are
//! written to, a referrers tag is a tag, the blobs a copy transfers are
//! ones the manifest lists, and a layout's `oci-layout` is the one given
//! or one a layout reader takes.

use super::{MAX_TAG, Origin};
use crate::model::{
    ArtifactPlan, ArtifactRequest, ComponentArtifact, Descriptor, Digest, Document, ImageLayer,
};
use crate::runtime::Error;

/// The manifest a component chose for a platform: one of `given`,
/// unchanged.
pub(in crate::runtime) fn chosen(
    at: Origin<'_>,
    given: &[Descriptor],
    chosen: Descriptor,
) -> Result<Descriptor, Error> {
    one_of(at, given, chosen, "manifests")
}

/// `chosen`, one of `given` (`what` they are), unchanged.
fn one_of(
    at: Origin<'_>,
    given: &[Descriptor],
    chosen: Descriptor,
    what: &str,
) -> Result<Descriptor, Error> {
    if given.contains(&chosen) {
        Ok(chosen)
    } else {
        Err(at.contract(format!(
            "it chose {} ({}), which is not one of the {} {what} it was given",
            chosen.digest,
            chosen.media_type,
            given.len()
        )))
    }
}

/// The artifact request a component planned: one layer per file of
/// `plan`, each with that file's digest and size (the host sends the
/// files it read, whatever a component answers).
pub(in crate::runtime) fn artifact_request(
    at: Origin<'_>,
    plan: &ArtifactPlan,
    request: ArtifactRequest,
) -> Result<ArtifactRequest, Error> {
    let layers = &request.layers;
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
        .zip(layers)
        .find(|(f, l)| f.digest != l.digest || f.size != l.size)
    {
        return Err(at.contract(format!(
            "answered the layer {} ({} bytes) for the file {} ({}, {} bytes)",
            layer.digest, layer.size, file.name, file.digest, file.size
        )));
    }
    Ok(request)
}

/// The referrer descriptor of the pushed manifest `pushed` a component
/// answered: it names that manifest (digest, size, media type).
pub(in crate::runtime) fn referrer(
    at: Origin<'_>,
    pushed: &Descriptor,
    referrer: Descriptor,
) -> Result<Descriptor, Error> {
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

/// The file names of an artifact's blobs a component answered: one per
/// blob, each one plain file name (not empty, `.` or `..`, no `/`, `\` or
/// NUL), so that no answer can make the host write outside the directory
/// it pulls into.
pub(in crate::runtime) fn file_names(
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

/// A layout's tags a component answered: each once, none empty or
/// holding a control character (they name the layout's images in plans
/// and errors).
pub(in crate::runtime) fn layout_tags(
    at: Origin<'_>,
    tags: Vec<String>,
) -> Result<Vec<String>, Error> {
    let mut seen = std::collections::HashSet::new();
    for tag in &tags {
        if tag.is_empty() || tag.chars().any(char::is_control) {
            return Err(at.contract(format!("answered the tag {tag:?}")));
        }
        if !seen.insert(tag) {
            return Err(at.contract(format!("answered the tag {tag:?} twice")));
        }
    }
    Ok(tags)
}

/// A referrers tag a component answered, checked against the tag grammar
/// of the distribution spec (`[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`): it goes
/// into a registry URL as it is.
pub(in crate::runtime) fn tag(at: Origin<'_>, tag: String) -> Result<String, Error> {
    let first_ok = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let rest_ok = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
    match tag.as_bytes() {
        [first, rest @ ..]
            if first_ok(*first) && rest.len() < MAX_TAG && rest.iter().all(rest_ok) =>
        {
            Ok(tag)
        }
        _ => Err(at.contract(format!("answered {tag:?}, which is not a valid tag"))),
    }
}

/// The layers of an image as a component read them: one per layer of
/// `given`, each that layer unchanged, in order.
pub(in crate::runtime) fn image_layers(
    at: Origin<'_>,
    given: &[Descriptor],
    layers: Vec<ImageLayer>,
) -> Result<Vec<ImageLayer>, Error> {
    if layers.len() != given.len() {
        return Err(at.contract(format!(
            "it answered {} layers for the {} it was given",
            layers.len(),
            given.len()
        )));
    }
    for (i, (layer, given)) in layers.iter().zip(given).enumerate() {
        if &layer.descriptor != given {
            return Err(at.contract(format!(
                "layer {i} came back as {} ({}), not as it was given",
                layer.descriptor.digest, layer.descriptor.media_type
            )));
        }
    }
    Ok(layers)
}

/// The blobs of a component artifact: the layer is the component of
/// `wasm` and `size` the host read (the config document's bytes are
/// checked against its descriptor as every document is).
pub(in crate::runtime) fn component_artifact(
    at: Origin<'_>,
    (wasm, size): (&Digest, u64),
    artifact: ComponentArtifact,
) -> Result<(Document, Descriptor), Error> {
    let ComponentArtifact { config, layer } = artifact;
    if &layer.digest != wasm || layer.size != size {
        return Err(at.contract(format!(
            "the layer is {} of {} bytes, not the component {wasm} of {size}",
            layer.digest, layer.size
        )));
    }
    Ok((config, layer))
}

/// The blobs a copy transfers: the config first, then layers among those
/// given, unchanged, in their order, each once (a blob the host is told to
/// send must be one the manifest lists, or the copy would send what no
/// manifest names).
pub(in crate::runtime) fn copied_blobs(
    at: Origin<'_>,
    config: &Descriptor,
    layers: &[Descriptor],
    blobs: Vec<Descriptor>,
) -> Result<Vec<Descriptor>, Error> {
    if blobs.first() != Some(config) {
        return Err(at.contract(format!(
            "left the config {} out of the blobs to copy, or not first",
            config.digest
        )));
    }
    let mut rest = layers.iter();
    for blob in &blobs[1..] {
        if !rest.any(|layer| layer == blob) {
            return Err(at.contract(format!(
                "answered {} ({}), which is not one of the layers given, in their order",
                blob.digest, blob.media_type
            )));
        }
    }
    Ok(blobs)
}

/// The layer a component chose as a component's: one of `given`,
/// unchanged.
pub(in crate::runtime) fn component_layer(
    at: Origin<'_>,
    given: &[Descriptor],
    layer: Descriptor,
) -> Result<Descriptor, Error> {
    one_of(at, given, layer, "layers")
}

/// The most bytes a new layout's `oci-layout` may hold: what the host
/// reads of one (`store::source::layout`).
const MAX_MARKER: usize = 4096;

/// A layout's `oci-layout` as a component answered it: the `existing`
/// bytes unchanged (the host keeps the file it read, whatever the answer),
/// or for a new layout, bytes that a reader of a layout would read, from 1
/// to [`MAX_MARKER`].
pub(in crate::runtime) fn layout_marker(
    at: Origin<'_>,
    existing: Option<&[u8]>,
    marker: Vec<u8>,
) -> Result<Vec<u8>, Error> {
    match existing {
        Some(existing) if marker != existing => Err(at.contract(format!(
            "answered {} bytes for the {} of the oci-layout it was given, not those bytes",
            marker.len(),
            existing.len()
        ))),
        None if marker.is_empty() || marker.len() > MAX_MARKER => Err(at.contract(format!(
            "answered an oci-layout of {} bytes (from 1 to {MAX_MARKER})",
            marker.len()
        ))),
        _ => Ok(marker),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LayerCompression, Platform};

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

    fn contract_broken(e: &Error, says: &str) -> bool {
        matches!(e, Error::Contract { message, .. } if message.contains(says))
    }

    #[test]
    fn a_choice_among_the_given_manifests_is_taken() {
        let given = [entry(1, "amd64"), entry(2, "arm64")];
        assert_eq!(chosen(AT, &given, given[1].clone()).unwrap(), given[1]);
    }

    #[test]
    fn a_choice_not_given_or_altered_breaks_the_contract() {
        let given = [entry(1, "amd64"), entry(2, "arm64")];
        let altered = entry(2, "s390x");
        for choice in [entry(3, "amd64"), altered] {
            let e = chosen(AT, &given, choice).unwrap_err();
            assert!(contract_broken(&e, "not one of the 2 manifests"), "{e}");
        }
    }

    #[test]
    fn file_names_come_one_per_blob() {
        let names = vec!["compose.yaml".to_string(), "..env".to_string()];
        assert_eq!(file_names(AT, 2, names.clone()).unwrap(), names);
        let e = file_names(AT, 3, names).unwrap_err();
        assert!(contract_broken(&e, "2 file names for 3 blobs"), "{e}");
    }

    #[test]
    fn a_file_name_that_leaves_the_directory_breaks_the_contract() {
        for name in ["", ".", "..", "../x", "a/b", "/etc/passwd", "a\\b", "a\0b"] {
            let e = file_names(AT, 1, vec![name.to_string()]).unwrap_err();
            assert!(
                contract_broken(&e, "not a plain file name"),
                "{name:?}: {e}"
            );
        }
    }

    #[test]
    fn a_plan_answered_for_other_files_breaks_the_contract() {
        let layer = entry(1, "amd64");
        let plan = ArtifactPlan {
            tool: crate::model::ArtifactTool::Oras,
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
        let answer = |layers: Vec<Descriptor>| ArtifactRequest {
            artifact_type: "application/vnd.example".into(),
            layers,
            annotations: Vec::new(),
            created: None,
            subject: None,
        };
        let request = artifact_request(AT, &plan, answer(vec![layer.clone()])).unwrap();
        assert_eq!(request.layers, [layer]);
        let e = artifact_request(AT, &plan, answer(Vec::new())).unwrap_err();
        assert!(contract_broken(&e, "answered 0 layers for 1 files"), "{e}");
        let other = entry(2, "amd64");
        let e = artifact_request(AT, &plan, answer(vec![other])).unwrap_err();
        assert!(contract_broken(&e, "for the file a"), "{e}");
    }

    #[test]
    fn a_referrer_of_another_manifest_breaks_the_contract() {
        let pushed = entry(1, "amd64");
        let mut answered = pushed.clone();
        answered.artifact_type = Some("application/vnd.example".into());
        assert_eq!(referrer(AT, &pushed, answered.clone()).unwrap(), answered);
        let e = referrer(AT, &pushed, entry(2, "amd64")).unwrap_err();
        assert!(contract_broken(&e, "for the pushed manifest"), "{e}");
    }

    #[test]
    fn only_a_valid_tag_is_taken() {
        let longest = format!("s{}", "-".repeat(127));
        for t in ["sha256-abc", "_x", "a.b_c-d", longest.as_str()] {
            assert_eq!(tag(AT, t.to_string()).unwrap(), t);
        }
        let too_long = format!("s{}", "a".repeat(128));
        for t in ["", "-a", ".a", "sha256:abc", "a/b", "é", too_long.as_str()] {
            let e = tag(AT, t.to_string()).unwrap_err();
            assert!(contract_broken(&e, "not a valid tag"), "{t:?}: {e}");
        }
    }

    #[test]
    fn layers_must_be_the_ones_given_in_order() {
        let given = [
            Descriptor::new("a/b", Digest::sha256(b"1"), 1),
            Descriptor::new("a/b", Digest::sha256(b"2"), 1),
        ];
        let layer = |descriptor: &Descriptor| ImageLayer {
            descriptor: descriptor.clone(),
            compression: LayerCompression::None,
            diff_id: Digest::sha256(b"tar"),
        };
        let read = image_layers(AT, &given, given.iter().map(layer).collect()).unwrap();
        assert_eq!(read[1].descriptor, given[1]);
        let swapped = vec![layer(&given[1]), layer(&given[0])];
        let err = image_layers(AT, &given, swapped).unwrap_err();
        assert!(err.to_string().contains("layer 0 came back"), "{err}");
        let short = image_layers(AT, &given, vec![layer(&given[0])]).unwrap_err();
        assert!(matches!(short, Error::Contract { .. }));
    }

    #[test]
    fn a_component_artifact_must_describe_what_the_host_read() {
        let wasm = Digest::sha256(b"wasm");
        let answer = |size| ComponentArtifact {
            config: Document {
                descriptor: Descriptor::new("a/c", Digest::sha256(b"{}"), 2),
                bytes: b"{}".to_vec(),
            },
            layer: Descriptor::new("a/w", wasm.clone(), size),
        };
        assert!(component_artifact(AT, (&wasm, 4), answer(4)).is_ok());
        assert!(component_artifact(AT, (&wasm, 4), answer(5)).is_err());
        let other = Digest::sha256(b"other");
        assert!(component_artifact(AT, (&other, 4), answer(4)).is_err());
    }

    #[test]
    fn copied_blobs_are_the_config_then_layers_given_in_order() {
        let config = Descriptor::new("a/c", Digest::sha256(b"c"), 1);
        let layers: Vec<Descriptor> = [b"1", b"2", b"3"]
            .iter()
            .map(|b| Descriptor::new("a/l", Digest::sha256(*b), 1))
            .collect();
        let ok = vec![config.clone(), layers[0].clone(), layers[2].clone()];
        assert_eq!(copied_blobs(AT, &config, &layers, ok.clone()).unwrap(), ok);
        let refused = |blobs: Vec<Descriptor>| {
            matches!(
                copied_blobs(AT, &config, &layers, blobs),
                Err(Error::Contract { .. })
            )
        };
        assert!(refused(vec![layers[0].clone()]), "no config");
        assert!(
            refused(vec![layers[0].clone(), config.clone()]),
            "config not first"
        );
        assert!(refused(vec![
            config.clone(),
            layers[2].clone(),
            layers[0].clone()
        ]));
        assert!(refused(vec![
            config.clone(),
            layers[1].clone(),
            layers[1].clone()
        ]));
        let stranger = Descriptor::new("a/l", Digest::sha256(b"4"), 1);
        assert!(refused(vec![config.clone(), stranger]));
    }

    #[test]
    fn a_component_layer_must_be_one_of_those_given() {
        let given = [Descriptor::new("a/w", Digest::sha256(b"1"), 1)];
        assert!(component_layer(AT, &given, given[0].clone()).is_ok());
        let other = Descriptor::new("a/w", Digest::sha256(b"2"), 1);
        assert!(matches!(
            component_layer(AT, &given, other),
            Err(Error::Contract { .. })
        ));
    }

    #[test]
    fn layout_tags_are_each_once_and_printable() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(layout_tags(AT, tags(&["a", "b"])).unwrap(), ["a", "b"]);
        for bad in [&["a", "a"][..], &[""], &["a\nb"]] {
            assert!(layout_tags(AT, tags(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_layout_marker_is_the_one_given_or_a_small_new_one() {
        let given = br#"{"imageLayoutVersion":"1.0.0"}"#;
        assert_eq!(
            layout_marker(AT, Some(given), given.to_vec()).unwrap(),
            given
        );
        assert_eq!(layout_marker(AT, None, given.to_vec()).unwrap(), given);
        let other = br#"{"imageLayoutVersion":"1.0.0" }"#.to_vec();
        let e = layout_marker(AT, Some(given), other).unwrap_err();
        assert!(contract_broken(&e, "not those bytes"), "{e}");
        for marker in [Vec::new(), vec![b' '; MAX_MARKER + 1]] {
            let e = layout_marker(AT, None, marker).unwrap_err();
            assert!(contract_broken(&e, "from 1 to 4096"), "{e}");
        }
    }
}
