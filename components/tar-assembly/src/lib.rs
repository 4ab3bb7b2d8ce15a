//! The tar-assembly component: exports `ocipipe:image/layers` and
//! `ocipipe:image/archives` by adapting the pure plans in
//! `tar-assembly-core` to the WIT types. No logic lives here beyond the
//! conversion.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "tar-assembly",
    });
}

use bindings::exports::ocipipe::image::archives::{
    self, ArchiveFormat, ArchiveImage, BlobHead, LayoutFile, WrittenBlob,
};
use bindings::exports::ocipipe::image::layers::{self, Entry, EntryKind, LayerOptions};
use bindings::ocipipe::image::plans::{BlobRef, FileRef, Segment};
use bindings::ocipipe::image::types::{Descriptor, Document, Error, Platform};
use tar_assembly_core as core;

struct TarAssembly;

impl layers::Guest for TarAssembly {
    fn plan_layer(entries: Vec<Entry>, options: LayerOptions) -> Result<Vec<Segment>, Error> {
        let entries: Vec<core::Entry> = entries.into_iter().map(entry_from_wit).collect();
        let options = core::LayerOptions {
            mtime: options.mtime,
            keep_owner: options.keep_owner,
        };
        segments(core::plan_layer(&entries, &options))
    }
}

impl archives::Guest for TarAssembly {
    fn blob_entry(
        format: ArchiveFormat,
        digest: Option<String>,
        ordinal: u32,
        size: u64,
    ) -> Result<BlobHead, Error> {
        core::blob_entry(format_from_wit(format), digest.as_deref(), ordinal, size)
            .map(|h| BlobHead {
                path: h.path,
                header: h.header,
                padding: h.padding,
            })
            .map_err(error_to_wit)
    }

    fn plan_archive(
        format: ArchiveFormat,
        images: Vec<ArchiveImage>,
        written: Vec<WrittenBlob>,
    ) -> Result<Vec<Segment>, Error> {
        let images: Vec<core::ArchiveImage> = images.into_iter().map(image_from_wit).collect();
        let written: Vec<core::WrittenBlob> = written
            .into_iter()
            .map(|w| core::WrittenBlob {
                digest: w.digest,
                path: w.path,
            })
            .collect();
        segments(core::plan_archive(
            format_from_wit(format),
            &images,
            &written,
        ))
    }

    fn plan_layout(images: Vec<ArchiveImage>) -> Result<Vec<LayoutFile>, Error> {
        let images: Vec<core::ArchiveImage> = images.into_iter().map(image_from_wit).collect();
        core::plan_layout(&images)
            .map(|files| {
                files
                    .into_iter()
                    .map(|f| LayoutFile {
                        path: f.path,
                        contents: f.contents.into_iter().map(segment_to_wit).collect(),
                    })
                    .collect()
            })
            .map_err(error_to_wit)
    }
}

fn entry_from_wit(e: Entry) -> core::Entry {
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

fn format_from_wit(format: ArchiveFormat) -> core::ArchiveFormat {
    match format {
        ArchiveFormat::DockerAndOci => core::ArchiveFormat::DockerAndOci,
        ArchiveFormat::Docker => core::ArchiveFormat::Docker,
    }
}

fn image_from_wit(image: ArchiveImage) -> core::ArchiveImage {
    core::ArchiveImage {
        config: document_from_wit(image.config),
        manifest: document_from_wit(image.manifest),
        layers: image
            .layers
            .into_iter()
            .map(|l| core::ArchiveLayer {
                descriptor: descriptor_from_wit(l.descriptor),
                omitted: l.omitted,
            })
            .collect(),
        repo_tags: image.repo_tags,
    }
}

fn document_from_wit(d: Document) -> core::Document {
    core::Document {
        descriptor: descriptor_from_wit(d.descriptor),
        bytes: d.bytes,
    }
}

fn descriptor_from_wit(d: Descriptor) -> core::Descriptor {
    core::Descriptor {
        media_type: d.media_type,
        digest: d.digest,
        size: d.size,
        artifact_type: d.artifact_type,
        annotations: d.annotations,
        platform: d.platform.map(platform_from_wit),
        urls: d.urls,
    }
}

fn platform_from_wit(p: Platform) -> core::Platform {
    core::Platform {
        architecture: p.architecture,
        os: p.os,
        os_version: p.os_version,
        os_features: p.os_features,
        cpu_variant: p.cpu_variant,
    }
}

fn segments(plan: Result<Vec<core::Segment>, core::Error>) -> Result<Vec<Segment>, Error> {
    plan.map(|s| s.into_iter().map(segment_to_wit).collect())
        .map_err(error_to_wit)
}

fn segment_to_wit(s: core::Segment) -> Segment {
    match s {
        core::Segment::Bytes(b) => Segment::Bytes(b),
        core::Segment::File { path, size } => Segment::File(FileRef { path, size }),
        core::Segment::Blob { digest, size } => Segment::Blob(BlobRef { digest, size }),
    }
}

fn error_to_wit(e: core::Error) -> Error {
    match e {
        core::Error::InvalidInput(m) => Error::InvalidInput(m),
        core::Error::Unsupported(m) => Error::Unsupported(m),
        core::Error::TooLarge(m) => Error::TooLarge(m),
    }
}

bindings::export!(TarAssembly with_types_in bindings);
