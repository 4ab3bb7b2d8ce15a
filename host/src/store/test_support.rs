//! Builders of tars and image archives for the tests of `store`, the
//! changeset planner those tests unpack with, and what they look at.
//!
//! Must not: be compiled outside tests.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::model::Digest;

/// The mtime every test entry has.
pub(super) const MTIME: u64 = 1_600_000_000;

/// A tar in memory, headers written raw so hostile names get through.
pub(super) struct TarBuilder(tar::Builder<Vec<u8>>);

impl TarBuilder {
    pub(super) fn new() -> Self {
        TarBuilder(tar::Builder::new(Vec::new()))
    }

    /// Appends an entry with `name` and `link` copied byte for byte.
    pub(super) fn raw_with(
        mut self,
        name: &[u8],
        kind: tar::EntryType,
        link: &[u8],
        data: &[u8],
        edit: impl FnOnce(&mut tar::Header),
    ) -> Self {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        header.set_mtime(MTIME);
        header.set_uid(0);
        header.set_gid(0);
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.as_old_mut().linkname[..link.len()].copy_from_slice(link);
        edit(&mut header);
        header.set_cksum();
        self.0.append(&header, data).unwrap();
        self
    }

    pub(super) fn raw(self, name: &[u8], kind: tar::EntryType, link: &[u8], data: &[u8]) -> Self {
        self.raw_with(name, kind, link, data, |_| {})
    }

    pub(super) fn file(self, name: &str, data: &[u8]) -> Self {
        self.raw(name.as_bytes(), tar::EntryType::Regular, b"", data)
    }

    pub(super) fn file_mode(self, name: &str, data: &[u8], mode: u32) -> Self {
        self.raw_with(name.as_bytes(), tar::EntryType::Regular, b"", data, |h| {
            h.set_mode(mode)
        })
    }

    pub(super) fn dir(self, name: &str) -> Self {
        self.raw(name.as_bytes(), tar::EntryType::Directory, b"", b"")
    }

    pub(super) fn symlink(self, name: &str, target: &str) -> Self {
        self.raw(
            name.as_bytes(),
            tar::EntryType::Symlink,
            target.as_bytes(),
            b"",
        )
    }

    pub(super) fn hardlink(self, name: &str, target: &str) -> Self {
        self.raw(
            name.as_bytes(),
            tar::EntryType::Link,
            target.as_bytes(),
            b"",
        )
    }

    /// Finishes the tar (with its two zero blocks).
    pub(super) fn finish(self) -> Vec<u8> {
        self.0.into_inner().unwrap()
    }
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(super) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The diff_id of a layer as stored (gzip or plain).
pub(super) fn diff_id(stored: &[u8]) -> Digest {
    if stored.starts_with(&[0x1f, 0x8b]) {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(stored)
            .read_to_end(&mut plain)
            .unwrap();
        Digest::sha256(&plain)
    } else {
        Digest::sha256(stored)
    }
}

/// An image config listing these diff_ids.
pub(super) fn config(diff_ids: &[Digest]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    }))
    .unwrap()
}

/// An image to put in an archive: tags and layers as stored.
pub(super) struct Image<'a> {
    pub(super) tags: &'a [&'a str],
    pub(super) layers: Vec<Vec<u8>>,
}

/// The files of a legacy `docker save` archive (Docker Engine 20.10):
/// `<hex>.json` configs, `<id>/layer.tar` layers. Names ending in `/`
/// are directories.
pub(super) fn legacy_files(images: &[Image<'_>]) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut manifest = Vec::new();
    for image in images {
        let diff_ids: Vec<Digest> = image.layers.iter().map(|l| diff_id(l)).collect();
        let config = config(&diff_ids);
        let config_name = format!("{}.json", sha256_hex(&config));
        let mut layers = Vec::new();
        for (i, layer) in image.layers.iter().enumerate() {
            let id = sha256_hex(format!("{config_name}{i}").as_bytes());
            files.push((format!("{id}/"), Vec::new()));
            files.push((format!("{id}/VERSION"), b"1.0".to_vec()));
            files.push((format!("{id}/json"), b"{}".to_vec()));
            files.push((format!("{id}/layer.tar"), layer.clone()));
            layers.push(format!("{id}/layer.tar"));
        }
        files.push((config_name.clone(), config));
        manifest.push(
            serde_json::json!({ "Config": config_name, "RepoTags": image.tags, "Layers": layers }),
        );
    }
    files.push((
        "manifest.json".to_owned(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    files
}

/// The files of an ocipipe dual-format archive: blobs under
/// `blobs/sha256/`, `index.json` and `oci-layout`, and a
/// `manifest.json` pointing into the blobs.
pub(super) fn dual_files(images: &[Image<'_>]) -> Vec<(String, Vec<u8>)> {
    let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut manifest = Vec::new();
    let mut index = Vec::new();
    for image in images {
        let diff_ids: Vec<Digest> = image.layers.iter().map(|l| diff_id(l)).collect();
        let config = config(&diff_ids);
        let config_hex = sha256_hex(&config);
        let mut layers = Vec::new();
        for layer in &image.layers {
            let hex = sha256_hex(layer);
            layers.push(format!("blobs/sha256/{hex}"));
            if !blobs.iter().any(|(name, _)| name.ends_with(&hex)) {
                blobs.push((format!("blobs/sha256/{hex}"), layer.clone()));
            }
        }
        let oci_manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{config_hex}"), "size": config.len() },
            "layers": image.layers.iter().map(|l| serde_json::json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": format!("sha256:{}", sha256_hex(l)),
                "size": l.len(),
            })).collect::<Vec<_>>(),
        }))
        .unwrap();
        let manifest_hex = sha256_hex(&oci_manifest);
        index.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{manifest_hex}"),
            "size": oci_manifest.len(),
        }));
        blobs.push((format!("blobs/sha256/{config_hex}"), config));
        blobs.push((format!("blobs/sha256/{manifest_hex}"), oci_manifest));
        manifest.push(serde_json::json!({
            "Config": format!("blobs/sha256/{config_hex}"),
            "RepoTags": image.tags,
            "Layers": layers,
        }));
    }
    let mut files = vec![
        ("blobs/".to_owned(), Vec::new()),
        ("blobs/sha256/".to_owned(), Vec::new()),
        (
            "oci-layout".to_owned(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
    ];
    files.extend(blobs);
    let index = serde_json::json!({ "schemaVersion": 2, "manifests": index });
    files.push(("index.json".to_owned(), serde_json::to_vec(&index).unwrap()));
    files.push((
        "manifest.json".to_owned(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    files
}

/// A tar of these files (a trailing `/` makes a directory).
pub(super) fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut tar = TarBuilder::new();
    for (name, data) in files {
        tar = if name.ends_with('/') {
            tar.dir(name)
        } else {
            tar.file(name, data)
        };
    }
    tar.finish()
}

/// Writes `bytes` to `dir/name`.
pub(super) fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The names of the layer tars in a legacy file list (`<id>/layer.tar`), in order.
pub(super) fn layer_names(files: &[(String, Vec<u8>)]) -> Vec<String> {
    files
        .iter()
        .filter(|(n, _)| n.ends_with("/layer.tar"))
        .map(|(n, _)| n.clone())
        .collect()
}

/// Replaces the contents of the file `name` in a file list.
pub(super) fn replace(files: &mut [(String, Vec<u8>)], name: &str, data: Vec<u8>) {
    let slot = files
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no file {name}"));
    slot.1 = data;
}

/// The changeset planner the store's tests unpack with: the tar-assembly
/// component's own core, run natively.
pub(super) fn planner() -> impl super::unpack::ChangesetPlanner {
    NativeCore
}

/// `tar_assembly_core::plan_changeset` behind the store's trait.
struct NativeCore;

impl super::unpack::ChangesetPlanner for NativeCore {
    fn plan_changeset(
        &self,
        members: &[crate::model::Member],
    ) -> Result<Vec<crate::model::Change>, super::unpack::PlannerError> {
        use crate::model::{Change, MemberKind};
        use tar_assembly_core::changeset as core;
        let members: Vec<core::Member> = members
            .iter()
            .map(|m| core::Member {
                path: m.path.clone(),
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
            })
            .collect();
        let changes = core::plan_changeset(&members).map_err(|e| e.to_string())?;
        Ok(changes
            .into_iter()
            .map(|c| match c {
                core::Change::Remove(p) => Change::Remove(p),
                core::Change::ClearDirectory(p) => Change::ClearDirectory(p),
                core::Change::Apply(i) => Change::Apply(i),
            })
            .collect())
    }
}

/// The names in `dir`, sorted.
pub(super) fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The archive planner the store's conformance tests write with: the
/// tar-assembly component's own core, run natively, so what a sink writes
/// can be read back by the sources.
pub(crate) struct NativeArchivePlanner {
    /// Refuse to plan documents: a failure after the layers are in.
    pub(crate) refuse_documents: bool,
}

mod native {
    use crate::model::{
        ArchiveFormat, ArchiveImage, BlobHead, BlobPlacement, BlobRef, Descriptor, Digest,
        Document, FileRef, Segment, WrittenBlob,
    };
    use tar_assembly_core as core;

    pub(super) fn format(format: ArchiveFormat) -> core::ArchiveFormat {
        match format {
            ArchiveFormat::DockerAndOci => core::ArchiveFormat::DockerAndOci,
            ArchiveFormat::OciArchive => core::ArchiveFormat::OciArchive,
            ArchiveFormat::Docker => core::ArchiveFormat::Docker,
        }
    }

    fn descriptor(d: &Descriptor) -> core::Descriptor {
        core::Descriptor::new(d.media_type.clone(), d.digest.to_string(), d.size)
    }

    fn document(d: &Document) -> core::Document {
        core::Document {
            descriptor: descriptor(&d.descriptor),
            bytes: d.bytes.clone(),
        }
    }

    pub(super) fn images(images: &[ArchiveImage]) -> Vec<core::ArchiveImage> {
        images
            .iter()
            .map(|i| core::ArchiveImage {
                config: document(&i.config),
                manifest: document(&i.manifest),
                layers: i
                    .layers
                    .iter()
                    .map(|l| core::ArchiveLayer {
                        descriptor: descriptor(&l.descriptor),
                        omitted: l.omitted,
                    })
                    .collect(),
                repo_tags: i.repo_tags.clone(),
            })
            .collect()
    }

    pub(super) fn written(written: &[WrittenBlob]) -> Vec<core::WrittenBlob> {
        written
            .iter()
            .map(|w| core::WrittenBlob {
                digest: w.digest.to_string(),
                path: w.path.clone(),
            })
            .collect()
    }

    pub(super) fn placement(p: core::BlobPlacement) -> BlobPlacement {
        match p {
            core::BlobPlacement::Write(h) => BlobPlacement::Write(BlobHead {
                path: h.path,
                header: h.header,
                padding: h.padding,
            }),
            core::BlobPlacement::Stored(path) => BlobPlacement::Stored(path),
        }
    }

    pub(super) fn segments(plan: Vec<core::Segment>) -> Vec<Segment> {
        plan.into_iter()
            .map(|s| match s {
                core::Segment::Bytes(b) => Segment::Bytes(b),
                core::Segment::File(f) => Segment::File(FileRef {
                    path: f.path,
                    size: f.size,
                }),
                core::Segment::Blob(b) => Segment::Blob(BlobRef {
                    digest: Digest::parse(&b.digest).expect("the core names digests"),
                    size: b.size,
                }),
            })
            .collect()
    }
}

impl super::sink::ArchivePlanner for NativeArchivePlanner {
    fn blob_entry(
        &self,
        format: crate::model::ArchiveFormat,
        digest: Option<&crate::model::Digest>,
        ordinal: u32,
        size: u64,
        written: &[crate::model::WrittenBlob],
    ) -> Result<crate::model::BlobPlacement, super::sink::PlannerError> {
        let digest = digest.map(|d| d.to_string());
        let placed = tar_assembly_core::blob_entry(
            native::format(format),
            digest.as_deref(),
            ordinal,
            size,
            &native::written(written),
        )
        .map_err(|e| e.to_string())?;
        Ok(native::placement(placed))
    }

    fn plan_archive(
        &self,
        format: crate::model::ArchiveFormat,
        images: &[crate::model::ArchiveImage],
        written: &[crate::model::WrittenBlob],
    ) -> Result<Vec<crate::model::Segment>, super::sink::PlannerError> {
        if self.refuse_documents {
            return Err("refused, as the test asked".into());
        }
        let plan = tar_assembly_core::plan_archive(
            native::format(format),
            &native::images(images),
            &native::written(written),
        )
        .map_err(|e| e.to_string())?;
        Ok(native::segments(plan))
    }

    fn layers_to_omit(
        &self,
        diff_ids: &[crate::model::Digest],
        bases: &[Vec<crate::model::Digest>],
    ) -> Result<Vec<bool>, super::sink::PlannerError> {
        let strings = |d: &[crate::model::Digest]| d.iter().map(|d| d.to_string()).collect();
        let bases: Vec<Vec<String>> = bases.iter().map(|b| strings(b)).collect();
        Ok(tar_assembly_core::layers_to_omit(
            &strings(diff_ids),
            &bases,
        ))
    }
}

/// The layout reader the store's tests read layouts with: the
/// manifest-generation component's own core, run natively.
pub(crate) struct NativeLayoutReader;

mod native_layout {
    use crate::model::{
        Descriptor, Digest, ImageContents, ImageLayer, IndexContents, IndexEntry, IndexEntryKind,
        LayerCompression, ManifestContents, Platform,
    };
    use manifest_generation_core as core;

    pub(super) fn descriptor_in(d: &Descriptor) -> core::Descriptor {
        core::Descriptor {
            media_type: d.media_type.clone(),
            digest: d.digest.to_string(),
            size: d.size,
            artifact_type: d.artifact_type.clone(),
            annotations: d.annotations.clone(),
            platform: d.platform.as_ref().map(|p| core::Platform {
                architecture: p.architecture.clone(),
                os: p.os.clone(),
                os_version: p.os_version.clone(),
                os_features: p.os_features.clone(),
                cpu_variant: p.cpu_variant.clone(),
            }),
            urls: d.urls.clone(),
        }
    }

    pub(super) fn descriptor_out(d: core::Descriptor) -> Descriptor {
        Descriptor {
            media_type: d.media_type,
            digest: Digest::parse(&d.digest).expect("the core checks digests"),
            size: d.size,
            artifact_type: d.artifact_type,
            annotations: d.annotations,
            platform: d.platform.map(|p| Platform {
                architecture: p.architecture,
                os: p.os,
                os_version: p.os_version,
                os_features: p.os_features,
                cpu_variant: p.cpu_variant,
            }),
            urls: d.urls,
        }
    }

    pub(super) fn entry(e: core::IndexEntry) -> IndexEntry {
        IndexEntry {
            manifest: descriptor_out(e.manifest),
            kind: match e.kind {
                core::EntryKind::Image => IndexEntryKind::Image,
                core::EntryKind::Index => IndexEntryKind::Index,
                core::EntryKind::Other => IndexEntryKind::Other,
            },
            name: e.name,
        }
    }

    pub(super) fn contents(c: core::ManifestContents) -> ManifestContents {
        match c {
            core::ManifestContents::Image(i) => ManifestContents::Image(ImageContents {
                media_type: i.media_type,
                config: descriptor_out(i.config),
                layers: i.layers.into_iter().map(descriptor_out).collect(),
                subject: i.subject.map(descriptor_out),
                artifact_type: i.artifact_type,
            }),
            core::ManifestContents::Index(i) => ManifestContents::Index(IndexContents {
                media_type: i.media_type,
                manifests: i.manifests.into_iter().map(descriptor_out).collect(),
                subject: i.subject.map(descriptor_out),
            }),
        }
    }

    pub(super) fn layer(l: core::ImageLayer) -> ImageLayer {
        ImageLayer {
            descriptor: descriptor_out(l.descriptor),
            compression: match l.compression {
                core::Compression::None => LayerCompression::None,
                core::Compression::Gzip => LayerCompression::Gzip,
                core::Compression::Zstd => LayerCompression::Zstd,
            },
            diff_id: Digest::parse(&l.diff_id).expect("the core checks diff_ids"),
        }
    }
}

/// The manifest-generation component's core, run natively, deciding a
/// layout's `index.json` as the component does.
impl super::layout_writer::IndexPlanner for NativeLayoutReader {
    fn layout_index(
        &self,
        existing: Option<&[u8]>,
        root: &crate::model::Descriptor,
        tag: Option<&str>,
        image_name: Option<&str>,
    ) -> Result<Vec<u8>, super::sink::PlannerError> {
        let root = native_layout::descriptor_in(root);
        let index = manifest_generation_core::layout_index(existing, &root, tag, image_name)
            .map_err(|e| e.to_string())?;
        Ok(index.bytes)
    }
}

impl super::source::LayoutReader for NativeLayoutReader {
    fn index_entries(
        &self,
        media_type: Option<&str>,
        index: &[u8],
        name: Option<&str>,
    ) -> Result<Vec<crate::model::IndexEntry>, super::sink::PlannerError> {
        let entries = manifest_generation_core::index_entries(media_type, index, name)
            .map_err(|e| e.to_string())?;
        Ok(entries.into_iter().map(native_layout::entry).collect())
    }

    fn read_manifest(
        &self,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<crate::model::ManifestContents, super::sink::PlannerError> {
        let contents = manifest_generation_core::read_manifest(media_type, bytes)
            .map_err(|e| e.to_string())?;
        Ok(native_layout::contents(contents))
    }

    fn image_layers(
        &self,
        layers: &[crate::model::Descriptor],
        config: &[u8],
    ) -> Result<Vec<crate::model::ImageLayer>, super::sink::PlannerError> {
        let layers: Vec<_> = layers.iter().map(native_layout::descriptor_in).collect();
        let read =
            manifest_generation_core::image_layers(&layers, config).map_err(|e| e.to_string())?;
        Ok(read.into_iter().map(native_layout::layer).collect())
    }
}
