//! Conversions for the `tar-assembly` world: layer entries, plans,
//! archives and layouts, blob placement, changesets; and the checks that
//! its answers keep the contract.

use super::{Origin, descriptor_to_wit, digests_to_wit, document_to_wit};
use crate::model::{
    ArchiveFormat, ArchiveImage, BlobHead, BlobPlacement, Change, Digest, Entry, EntryKind,
    LayerOptions, LayoutFile, Member, MemberKind, Segment, WrittenBlob,
};
use crate::runtime::Error;
use crate::runtime::bindings::tar_assembly::exports::ocipipe::image::{
    archives, changesets, layers,
};
use crate::runtime::bindings::tar_assembly::ocipipe::image::plans;
use crate::runtime::bindings::types;

/// Directory entries, into WIT.
pub(in crate::runtime) fn entries_to_wit(entries: &[Entry]) -> Vec<layers::Entry> {
    entries.iter().map(entry_to_wit).collect()
}

fn entry_to_wit(e: &Entry) -> layers::Entry {
    layers::Entry {
        path: e.path.clone(),
        kind: match e.kind {
            EntryKind::Regular => layers::EntryKind::Regular,
            EntryKind::Directory => layers::EntryKind::Directory,
            EntryKind::Symlink => layers::EntryKind::Symlink,
            EntryKind::CharDevice => layers::EntryKind::CharDevice,
            EntryKind::BlockDevice => layers::EntryKind::BlockDevice,
            EntryKind::Fifo => layers::EntryKind::Fifo,
        },
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        size: e.size,
        link_target: e.link_target.clone(),
        link_group: e.link_group,
        device_major: e.device_major,
        device_minor: e.device_minor,
        xattrs: e.xattrs.clone(),
    }
}

/// Header normalisation options, into WIT.
pub(in crate::runtime) fn layer_options_to_wit(options: LayerOptions) -> layers::LayerOptions {
    layers::LayerOptions {
        mtime: options.mtime,
        keep_owner: options.keep_owner,
    }
}

/// An archive format, into WIT.
pub(in crate::runtime) fn format_to_wit(format: ArchiveFormat) -> archives::ArchiveFormat {
    match format {
        ArchiveFormat::DockerAndOci => archives::ArchiveFormat::DockerAndOci,
        ArchiveFormat::OciArchive => archives::ArchiveFormat::OciArchive,
        ArchiveFormat::Docker => archives::ArchiveFormat::Docker,
        ArchiveFormat::OciLayout => archives::ArchiveFormat::OciLayout,
    }
}

/// The images of an archive or layout, into WIT.
pub(in crate::runtime) fn images_to_wit(images: &[ArchiveImage]) -> Vec<archives::ArchiveImage> {
    images
        .iter()
        .map(|image| archives::ArchiveImage {
            config: document_to_wit(&image.config),
            manifest: document_to_wit(&image.manifest),
            layers: image
                .layers
                .iter()
                .map(|l| archives::ArchiveLayer {
                    descriptor: descriptor_to_wit(&l.descriptor),
                    omitted: l.omitted,
                })
                .collect(),
            repo_tags: image.repo_tags.clone(),
        })
        .collect()
}

/// The blobs written so far, into WIT.
pub(in crate::runtime) fn written_to_wit(written: &[WrittenBlob]) -> Vec<archives::WrittenBlob> {
    written
        .iter()
        .map(|w| archives::WrittenBlob {
            digest: w.digest.to_string(),
            path: w.path.clone(),
        })
        .collect()
}

/// Digest chains (the diff IDs of images, bottom layer first), into WIT.
pub(in crate::runtime) fn chains_to_wit(chains: &[Vec<Digest>]) -> Vec<Vec<types::Digest>> {
    chains.iter().map(|c| digests_to_wit(c)).collect()
}

/// A plan a component answered.
pub(in crate::runtime) fn segments_from_wit(
    at: Origin<'_>,
    plan: Vec<plans::Segment>,
) -> Result<Vec<Segment>, Error> {
    plan.into_iter()
        .map(|s| {
            Ok(match s {
                plans::Segment::Bytes(b) => Segment::Bytes(b),
                plans::Segment::File(f) => Segment::File {
                    path: f.path,
                    size: f.size,
                },
                plans::Segment::Blob(b) => Segment::Blob {
                    digest: at.digest(b.digest)?,
                    size: b.size,
                },
            })
        })
        .collect()
}

/// The files of a layout a component answered.
pub(in crate::runtime) fn layout_files_from_wit(
    at: Origin<'_>,
    files: Vec<archives::LayoutFile>,
) -> Result<Vec<LayoutFile>, Error> {
    files
        .into_iter()
        .map(|f| {
            Ok(LayoutFile {
                path: f.path,
                contents: segments_from_wit(at, f.contents)?,
            })
        })
        .collect()
}

/// What `blob-entry` was asked: the answer is checked against it.
pub(in crate::runtime) struct BlobRequest<'a> {
    /// The format.
    pub format: ArchiveFormat,
    /// The blob's digest, when known.
    pub digest: Option<&'a Digest>,
    /// The blobs already written.
    pub written: &'a [WrittenBlob],
}

/// Where a component placed a blob, checked: `stored` must name a blob
/// of the same digest at the path it was `written` to (else the host would
/// drop bytes that are nowhere else), and a file of a layout has no tar
/// header or padding.
pub(in crate::runtime) fn placement_from_wit(
    at: Origin<'_>,
    request: &BlobRequest<'_>,
    placement: archives::BlobPlacement,
) -> Result<BlobPlacement, Error> {
    match placement {
        archives::BlobPlacement::Stored(path) => {
            let Some(digest) = request.digest else {
                return Err(at.contract(format!(
                    "answered `stored` at {path:?} for a blob whose digest it was not given"
                )));
            };
            if !request
                .written
                .iter()
                .any(|w| &w.digest == digest && w.path == path)
            {
                return Err(at.contract(format!(
                    "answered `stored` at {path:?}, but no blob {digest} was written there"
                )));
            }
            Ok(BlobPlacement::Stored(path))
        }
        archives::BlobPlacement::Write(head) => {
            if request.format == ArchiveFormat::OciLayout
                && (!head.header.is_empty() || head.padding != 0)
            {
                return Err(at.contract(format!(
                    "gave the layout file {:?} a tar header or padding",
                    head.path
                )));
            }
            Ok(BlobPlacement::Write(BlobHead {
                path: head.path,
                header: head.header,
                padding: head.padding,
            }))
        }
    }
}

/// The layers an incremental load may omit, checked: one flag per layer.
pub(in crate::runtime) fn omissions_from_wit(
    at: Origin<'_>,
    layers: usize,
    flags: Vec<bool>,
) -> Result<Vec<bool>, Error> {
    if flags.len() != layers {
        return Err(at.contract(format!(
            "answered {} flags for {layers} layers",
            flags.len()
        )));
    }
    Ok(flags)
}

/// The members of a layer tar, into WIT.
pub(in crate::runtime) fn members_to_wit(members: &[Member]) -> Vec<changesets::Member> {
    members
        .iter()
        .map(|m| changesets::Member {
            path: m.path.clone(),
            kind: match m.kind {
                MemberKind::Regular => changesets::MemberKind::Regular,
                MemberKind::Directory => changesets::MemberKind::Directory,
                MemberKind::Symlink => changesets::MemberKind::Symlink,
                MemberKind::HardLink => changesets::MemberKind::HardLink,
                MemberKind::CharDevice => changesets::MemberKind::CharDevice,
                MemberKind::BlockDevice => changesets::MemberKind::BlockDevice,
                MemberKind::Fifo => changesets::MemberKind::Fifo,
                MemberKind::PaxGlobal => changesets::MemberKind::PaxGlobal,
                MemberKind::Other => changesets::MemberKind::Other,
            },
        })
        .collect()
}

/// A layer's changeset, checked against the contract of `plan-changeset`:
/// every removal before the first `apply`, and `apply` indices below
/// `members` and strictly increasing (tar order, each member at most once).
pub(in crate::runtime) fn changes_from_wit(
    at: Origin<'_>,
    members: usize,
    changes: Vec<changesets::Change>,
) -> Result<Vec<Change>, Error> {
    let mut last_applied: Option<u32> = None;
    changes
        .into_iter()
        .enumerate()
        .map(|(i, change)| match change {
            changesets::Change::Remove(path) | changesets::Change::ClearDirectory(path)
                if last_applied.is_some() =>
            {
                Err(at.contract(format!(
                    "change {i} removes {:?} after a member was applied",
                    String::from_utf8_lossy(&path)
                )))
            }
            changesets::Change::Remove(path) => Ok(Change::Remove(path)),
            changesets::Change::ClearDirectory(path) => Ok(Change::ClearDirectory(path)),
            changesets::Change::Apply(index) => {
                if usize::try_from(index).map_or(true, |n| n >= members) {
                    return Err(
                        at.contract(format!("change {i} applies member {index} of {members}"))
                    );
                }
                if last_applied.is_some_and(|last| index <= last) {
                    return Err(at.contract(format!(
                        "change {i} applies member {index} out of tar order"
                    )));
                }
                last_applied = Some(index);
                Ok(Change::Apply(index))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Origin<'static> = Origin {
        component: "tar-assembly (built-in)",
        function: "plan-changeset",
    };

    fn contract_message(e: Error) -> String {
        match e {
            Error::Contract {
                component,
                function,
                message,
            } => {
                assert_eq!(component, "tar-assembly (built-in)");
                assert_eq!(function, "plan-changeset");
                message
            }
            other => panic!("expected a broken contract, got {other:?}"),
        }
    }

    #[test]
    fn a_changeset_that_keeps_the_contract_converts() {
        let changes = vec![
            changesets::Change::Remove(b"etc/old".to_vec()),
            changesets::Change::ClearDirectory(b"var".to_vec()),
            changesets::Change::Apply(0),
            changesets::Change::Apply(2),
        ];
        assert_eq!(
            changes_from_wit(AT, 3, changes).unwrap(),
            vec![
                Change::Remove(b"etc/old".to_vec()),
                Change::ClearDirectory(b"var".to_vec()),
                Change::Apply(0),
                Change::Apply(2),
            ]
        );
    }

    #[test]
    fn a_changeset_applying_a_member_out_of_range_breaks_the_contract() {
        let e = changes_from_wit(AT, 2, vec![changesets::Change::Apply(2)]).unwrap_err();
        assert!(contract_message(e).contains("member 2 of 2"));
    }

    #[test]
    fn a_changeset_applying_out_of_order_or_twice_breaks_the_contract() {
        for second in [0, 1] {
            let changes = vec![
                changesets::Change::Apply(1),
                changesets::Change::Apply(second),
            ];
            let e = changes_from_wit(AT, 3, changes).unwrap_err();
            assert!(contract_message(e).contains("out of tar order"));
        }
    }

    #[test]
    fn a_changeset_removing_after_an_apply_breaks_the_contract() {
        for late in [
            changesets::Change::Remove(b"a".to_vec()),
            changesets::Change::ClearDirectory(b"b".to_vec()),
        ] {
            let e = changes_from_wit(AT, 1, vec![changesets::Change::Apply(0), late]).unwrap_err();
            assert!(contract_message(e).contains("after a member was applied"));
        }
    }

    #[test]
    fn omissions_of_the_wrong_length_break_the_contract() {
        assert_eq!(
            omissions_from_wit(AT, 2, vec![true, false]).unwrap(),
            [true, false]
        );
        let e = omissions_from_wit(AT, 2, vec![true]).unwrap_err();
        assert!(contract_message(e).contains("1 flags for 2 layers"));
    }

    fn digest(byte: u8) -> Digest {
        Digest::from_sha256([byte; 32])
    }

    #[test]
    fn stored_must_name_a_written_blob_of_that_digest() {
        let (one, two) = (digest(1), digest(2));
        let written = [WrittenBlob {
            digest: one.clone(),
            path: "blobs/sha256/0101".into(),
        }];
        let stored = || archives::BlobPlacement::Stored("blobs/sha256/0101".into());
        for (given, keeps) in [(Some(&one), true), (Some(&two), false), (None, false)] {
            let request = BlobRequest {
                format: ArchiveFormat::DockerAndOci,
                digest: given,
                written: &written,
            };
            match placement_from_wit(AT, &request, stored()) {
                Ok(placement) if keeps => {
                    assert_eq!(placement, BlobPlacement::Stored("blobs/sha256/0101".into()))
                }
                Err(Error::Contract { .. }) if !keeps => {}
                other => panic!("{given:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_layout_file_has_no_header_or_padding() {
        let request = BlobRequest {
            format: ArchiveFormat::OciLayout,
            digest: Some(&digest(1)),
            written: &[],
        };
        let head = |header: Vec<u8>, padding| {
            archives::BlobPlacement::Write(archives::BlobHead {
                path: "blobs/sha256/0101".into(),
                header,
                padding,
            })
        };
        assert!(placement_from_wit(AT, &request, head(Vec::new(), 0)).is_ok());
        assert!(placement_from_wit(AT, &request, head(vec![0; 512], 0)).is_err());
        assert!(placement_from_wit(AT, &request, head(Vec::new(), 3)).is_err());
    }
}
