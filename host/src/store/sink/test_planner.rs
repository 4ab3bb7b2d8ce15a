//! A small planner for the sinks' unit tests: real tar heads, each blob
//! once, `blobs/sha256/<hex>` names. Not the component's archive; just
//! enough to check what the sinks do with a planner's answers.

use super::{ArchivePlanner, PlannerError};
use crate::hashing::HashingWriter;
use crate::model::destination::{Expected, Layer};
use crate::model::{
    ArchiveFormat, ArchiveImage, BlobHead, BlobPlacement, BlobRef, Digest, Segment, WrittenBlob,
};
use crate::store::plan::LayerSource;
use std::sync::atomic::{AtomicBool, Ordering};

/// The test planner; `lying` makes placeholder and real heads differ.
#[derive(Default)]
pub(crate) struct TestPlanner {
    pub(crate) lying: AtomicBool,
}

fn head(path: &str, size: u64) -> Vec<u8> {
    let mut header = tar::Header::new_ustar();
    header.set_path(path).unwrap();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    header.as_bytes().to_vec()
}

fn padding(size: u64) -> u32 {
    ((512 - size % 512) % 512) as u32
}

fn blob_path(digest: Option<&Digest>) -> String {
    match digest {
        Some(d) => format!("blobs/sha256/{}", d.encoded()),
        None => format!("blobs/sha256/{}", "0".repeat(64)),
    }
}

fn entry(plan: &mut Vec<Segment>, path: &str, bytes: &[u8]) {
    plan.push(Segment::Bytes(head(path, bytes.len() as u64)));
    plan.push(Segment::Bytes(bytes.to_vec()));
    plan.push(Segment::Bytes(vec![
        0;
        padding(bytes.len() as u64) as usize
    ]));
}

impl ArchivePlanner for TestPlanner {
    fn blob_entry(
        &self,
        format: ArchiveFormat,
        digest: Option<&Digest>,
        ordinal: u32,
        size: u64,
        written: &[WrittenBlob],
    ) -> Result<BlobPlacement, PlannerError> {
        if let Some(d) = digest
            && let Some(w) = written.iter().find(|w| &w.digest == d)
        {
            return Ok(BlobPlacement::Stored(w.path.clone()));
        }
        let path = match format {
            ArchiveFormat::Docker => format!("{ordinal}/layer.tar"),
            ArchiveFormat::DockerAndOci | ArchiveFormat::OciArchive => blob_path(digest),
        };
        let mut header = head(&path, size);
        if digest.is_none() && self.lying.load(Ordering::Relaxed) {
            header.extend_from_slice(&[0; 512]);
        }
        Ok(BlobPlacement::Write(BlobHead {
            path,
            header,
            padding: padding(size),
        }))
    }

    fn plan_archive(
        &self,
        _format: ArchiveFormat,
        images: &[ArchiveImage],
        written: &[WrittenBlob],
    ) -> Result<Vec<Segment>, PlannerError> {
        let mut plan = Vec::new();
        for image in images {
            for (i, layer) in image.layers.iter().enumerate() {
                let d = &layer.descriptor;
                if layer.omitted {
                    entry(&mut plan, &format!("{i}/layer.tar"), b"");
                } else if !written.iter().any(|w| w.digest == d.digest) {
                    plan.push(Segment::Bytes(head(&blob_path(Some(&d.digest)), d.size)));
                    plan.push(Segment::Blob(BlobRef {
                        digest: d.digest.clone(),
                        size: d.size,
                    }));
                    plan.push(Segment::Bytes(vec![0; padding(d.size) as usize]));
                }
            }
            entry(&mut plan, "config.json", &image.config.bytes);
        }
        entry(&mut plan, "manifest.json", b"[]");
        plan.push(Segment::Bytes(vec![0; 1024]));
        Ok(plan)
    }

    fn layers_to_omit(
        &self,
        diff_ids: &[Digest],
        bases: &[Vec<Digest>],
    ) -> Result<Vec<bool>, PlannerError> {
        Ok((diff_ids.iter().enumerate())
            .map(|(i, d)| bases.iter().any(|b| b.get(i) == Some(d)))
            .collect())
    }
}

/// `source` as a layer made as it is written, its size known beforehand
/// where its file tells it.
pub(crate) fn made(source: &LayerSource) -> Layer<'_> {
    made_as(source, Expected::default())
}

/// `source` as a made layer of which `expected` is known beforehand (the
/// size is learnt from the file when not given).
pub(crate) fn made_as(source: &LayerSource, mut expected: Expected) -> Layer<'_> {
    if expected.size.is_none() {
        expected.size = source.known_size().unwrap();
    }
    let size = expected.size;
    Layer::Made {
        expected,
        make: Box::new(move |out: &mut dyn std::io::Write| {
            let mut hashing = HashingWriter::new(out);
            source
                .stream(&mut hashing, size)
                .map_err(std::io::Error::other)?;
            let (digest, size, _) = hashing.finish()?;
            Ok((digest, size))
        }),
    }
}
