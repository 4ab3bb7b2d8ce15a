//! The tar-assembly component: exports `ocipipe:image/layers`,
//! `ocipipe:image/archives` and `ocipipe:image/changesets` by delegating to
//! the pure plans in `tar-assembly-core`.
//!
//! The shared WIT types are `ocipipe_sdk`'s and this world's records and
//! variants are the core's own (`with` below), so values cross the boundary
//! without conversion; only the WIT enums, which `wit-bindgen` generates
//! itself, are matched to the core's here. No logic lives here.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "tar-assembly",
        with: {
            "ocipipe:image/types@0.1.0": ocipipe_sdk::types,
            "ocipipe:image/plans@0.1.0": ocipipe_sdk::plans,
            "ocipipe:image/layers@0.1.0/layer-options": tar_assembly_core::LayerOptions,
            "ocipipe:image/archives@0.1.0/archive-layer": tar_assembly_core::ArchiveLayer,
            "ocipipe:image/archives@0.1.0/archive-image": tar_assembly_core::ArchiveImage,
            "ocipipe:image/archives@0.1.0/blob-head": tar_assembly_core::BlobHead,
            "ocipipe:image/archives@0.1.0/written-blob": tar_assembly_core::WrittenBlob,
            "ocipipe:image/archives@0.1.0/blob-placement": tar_assembly_core::BlobPlacement,
            "ocipipe:image/changesets@0.1.0/change": tar_assembly_core::Change,
        },
    });
}

use bindings::exports::ocipipe::image::archives::{self, ArchiveFormat, ImageStore};
use bindings::exports::ocipipe::image::changesets::{self, Member, MemberKind};
use bindings::exports::ocipipe::image::layers::{self, Entry, EntryKind};
use ocipipe_sdk::{Digest, Error, Segment};
use tar_assembly_core::{
    self as core, ArchiveImage, BlobPlacement, Change, LayerOptions, WrittenBlob,
};

struct TarAssembly;

impl layers::Guest for TarAssembly {
    fn plan_layer(entries: Vec<Entry>, options: LayerOptions) -> Result<Vec<Segment>, Error> {
        let entries: Vec<core::Entry> = entries.into_iter().map(entry).collect();
        core::plan_layer(&entries, &options)
    }
}

impl archives::Guest for TarAssembly {
    fn blob_entry(
        format: ArchiveFormat,
        digest: Option<Digest>,
        ordinal: u32,
        size: u64,
        written: Vec<WrittenBlob>,
    ) -> Result<BlobPlacement, Error> {
        core::blob_entry(
            archive_format(format),
            digest.as_deref(),
            ordinal,
            size,
            &written,
        )
    }

    fn plan_archive(
        format: ArchiveFormat,
        images: Vec<ArchiveImage>,
        written: Vec<WrittenBlob>,
    ) -> Result<Vec<Segment>, Error> {
        core::plan_archive(archive_format(format), &images, &written)
    }

    fn layers_to_omit(diff_ids: Vec<Digest>, bases: Vec<Vec<Digest>>) -> Vec<bool> {
        core::layers_to_omit(&diff_ids, &bases)
    }

    fn omits_layers(store: ImageStore) -> bool {
        core::omits_layers(match store {
            ImageStore::GraphDriver => core::ImageStore::GraphDriver,
            ImageStore::Containerd => core::ImageStore::Containerd,
        })
    }
}

impl changesets::Guest for TarAssembly {
    fn plan_changeset(members: Vec<Member>) -> Result<Vec<Change>, Error> {
        let members: Vec<core::Member> = members.into_iter().map(member).collect();
        core::plan_changeset(&members)
    }
}

fn archive_format(format: ArchiveFormat) -> core::ArchiveFormat {
    match format {
        ArchiveFormat::DockerAndOci => core::ArchiveFormat::DockerAndOci,
        ArchiveFormat::OciArchive => core::ArchiveFormat::OciArchive,
        ArchiveFormat::Docker => core::ArchiveFormat::Docker,
    }
}

fn entry(e: Entry) -> core::Entry {
    core::Entry {
        path: e.path,
        kind: match e.kind {
            EntryKind::Regular => core::EntryKind::Regular,
            EntryKind::Directory => core::EntryKind::Directory,
            EntryKind::Symlink => core::EntryKind::Symlink,
            EntryKind::CharDevice => core::EntryKind::CharDevice,
            EntryKind::BlockDevice => core::EntryKind::BlockDevice,
            EntryKind::Fifo => core::EntryKind::Fifo,
        },
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        size: e.size,
        link_target: e.link_target,
        link_group: e.link_group,
        device_major: e.device_major,
        device_minor: e.device_minor,
        xattrs: e.xattrs,
    }
}

fn member(m: Member) -> core::Member {
    core::Member {
        path: m.path,
        kind: match m.kind {
            MemberKind::Regular => core::MemberKind::Regular,
            MemberKind::Directory => core::MemberKind::Directory,
            MemberKind::Symlink => core::MemberKind::Symlink,
            MemberKind::HardLink => core::MemberKind::HardLink,
            MemberKind::CharDevice => core::MemberKind::CharDevice,
            MemberKind::BlockDevice => core::MemberKind::BlockDevice,
            MemberKind::Fifo => core::MemberKind::Fifo,
            MemberKind::PaxGlobal => core::MemberKind::PaxGlobal,
            MemberKind::Other => core::MemberKind::Other,
        },
    }
}

bindings::export!(TarAssembly with_types_in bindings);
