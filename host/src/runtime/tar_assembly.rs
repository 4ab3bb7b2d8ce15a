//! The tar-assembly operation, called through its WIT world.

use super::bindings::tar_assembly::exports::ocipipe::image::{archives, layers};
use super::bindings::tar_assembly::ocipipe::image::plans;
use super::bindings::tar_assembly::{TarAssembly as World, TarAssemblyPre};
use super::convert::{descriptor_to_wit, document_to_wit};
use super::{Answer, Bound, Error, Loaded, Runtime};
use crate::model::{
    ArchiveFormat, ArchiveImage, BlobHead, Digest, Entry, EntryKind, LayerOptions, LayoutFile,
    Segment, WrittenBlob,
};
use std::sync::Arc;

/// A loaded tar-assembly component.
pub struct TarAssembly(Bound<TarAssemblyPre<super::Sandbox>>);

impl TarAssembly {
    pub(super) fn new(runtime: Arc<Runtime>, loaded: Loaded) -> Result<Self, Error> {
        Bound::new(runtime, loaded, "tar-assembly", TarAssemblyPre::new).map(Self)
    }

    /// The tar stream of one layer from the entries of a directory.
    pub fn plan_layer(
        &self,
        entries: &[Entry],
        options: LayerOptions,
    ) -> Result<Vec<Segment>, Error> {
        let entries: Vec<layers::Entry> = entries.iter().map(entry_to_wit).collect();
        let options = layers::LayerOptions {
            mtime: options.mtime,
            keep_owner: options.keep_owner,
        };
        let plan = self.invoke("plan-layer", |w, s| {
            w.ocipipe_image_layers()
                .call_plan_layer(s, &entries, options)
        })?;
        self.segments("plan-layer", plan)
    }

    /// The head of a blob entry the host writes itself.
    pub fn blob_entry(
        &self,
        format: ArchiveFormat,
        digest: Option<&Digest>,
        ordinal: u32,
        size: u64,
    ) -> Result<BlobHead, Error> {
        let digest = digest.map(Digest::to_string);
        let head = self.invoke("blob-entry", |w, s| {
            w.ocipipe_image_archives().call_blob_entry(
                s,
                format_to_wit(format),
                digest.as_ref(),
                ordinal,
                size,
            )
        })?;
        Ok(BlobHead {
            path: head.path,
            header: head.header,
            padding: head.padding,
        })
    }

    /// Every entry of an archive except the `written` blobs, then the end.
    pub fn plan_archive(
        &self,
        format: ArchiveFormat,
        images: &[ArchiveImage],
        written: &[WrittenBlob],
    ) -> Result<Vec<Segment>, Error> {
        let images: Vec<archives::ArchiveImage> = images.iter().map(image_to_wit).collect();
        let written: Vec<archives::WrittenBlob> = written
            .iter()
            .map(|w| archives::WrittenBlob {
                digest: w.digest.to_string(),
                path: w.path.clone(),
            })
            .collect();
        let plan = self.invoke("plan-archive", |w, s| {
            w.ocipipe_image_archives().call_plan_archive(
                s,
                format_to_wit(format),
                &images,
                &written,
            )
        })?;
        self.segments("plan-archive", plan)
    }

    /// The files of an OCI image layout directory.
    pub fn plan_layout(&self, images: &[ArchiveImage]) -> Result<Vec<LayoutFile>, Error> {
        let images: Vec<archives::ArchiveImage> = images.iter().map(image_to_wit).collect();
        let files = self.invoke("plan-layout", |w, s| {
            w.ocipipe_image_archives().call_plan_layout(s, &images)
        })?;
        files
            .into_iter()
            .map(|f| {
                Ok(LayoutFile {
                    path: f.path,
                    contents: self.segments("plan-layout", f.contents)?,
                })
            })
            .collect()
    }

    fn invoke<T>(
        &self,
        function: &'static str,
        call: impl FnOnce(&World, &mut wasmtime::Store<super::Sandbox>) -> Answer<T>,
    ) -> Result<T, Error> {
        self.0.invoke(function, |pre, s| pre.instantiate(s), call)
    }
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

fn format_to_wit(format: ArchiveFormat) -> archives::ArchiveFormat {
    match format {
        ArchiveFormat::DockerAndOci => archives::ArchiveFormat::DockerAndOci,
        ArchiveFormat::Docker => archives::ArchiveFormat::Docker,
        // Not in this version of the world; the next adds it.
        ArchiveFormat::OciLayout => archives::ArchiveFormat::DockerAndOci,
    }
}

fn image_to_wit(image: &ArchiveImage) -> archives::ArchiveImage {
    archives::ArchiveImage {
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
    }
}

impl TarAssembly {
    fn segments(
        &self,
        function: &'static str,
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
                        digest: super::convert::digest_from_wit(
                            &self.0.loaded.name,
                            function,
                            b.digest,
                        )?,
                        size: b.size,
                    },
                })
            })
            .collect()
    }
}
