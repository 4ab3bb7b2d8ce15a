//! Moving archives in and out of the engine, streamed: `image load` and
//! `image save`.

use super::Error;
use super::build::{LAYER_MEDIA_TYPE, Operations};
use super::engine_stream::{layers_the_engine_has, stream_into_engine};
use crate::docker::{Engine, LoadReport};
use crate::model::Progress;
use crate::model::{ArchiveFormat, ArchiveImage, ArchiveLayer, Descriptor, Digest, Document};
use crate::store::archive::ArchiveIndex;
use crate::store::atomic::AtomicFile;
use crate::store::plan::{Blob, LayerSource, write_plan};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

/// Size of the pieces a file is streamed in.
const PIECE: usize = 1 << 20;

/// Loads the archive `path` (`None`: stdin) into the engine. A file is
/// scanned and checked first (names, `manifest.json`), so a bad archive is
/// refused before the engine sees a byte; stdin is checked by the engine.
pub fn load(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    path: Option<&Path>,
    progress: &dyn Progress,
) -> Result<LoadReport, Error> {
    let (reader, total): (Box<dyn Read + Send>, Option<u64>) = match path {
        Some(path) => {
            ArchiveIndex::scan(path)?.images()?;
            let what = format!("cannot read {}", path.display());
            let file = std::fs::File::open(path).map_err(Error::output(what))?;
            let size = file.metadata().ok().map(|m| m.len());
            (Box::new(file), size)
        }
        None => (Box::new(std::io::stdin()), None),
    };
    progress.start("load", total);
    let (_, report) = stream_into_engine(runtime, engine, move |out| {
        let mut reader = reader;
        loop {
            let mut piece = vec![0u8; PIECE];
            let n = match reader.read(&mut piece) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::output("cannot read the archive")(e)),
            };
            piece.truncate(n);
            progress.advance(n as u64);
            out.send_owned(piece)
                .map_err(Error::output("cannot stream to the engine"))?;
        }
    })?;
    progress.finish();
    Ok(report)
}

/// What an incremental load did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IncrementalLoad {
    /// What the engine reported.
    #[serde(flatten)]
    pub report: LoadReport,
    /// Layer bytes not sent because the engine had them.
    pub bytes_skipped: u64,
}

/// Loads the archive `path`, sending layers the `base` images have as
/// zero-length placeholders (imgutil's incremental load) when the engine
/// keeps a graph-driver store. Falls back to sending the archive as it is
/// when nothing can be skipped, a layer is compressed, or the engine
/// refuses the placeholders.
pub fn load_incremental(
    ops: &Operations<'_>,
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    path: &Path,
    base: &[String],
) -> Result<IncrementalLoad, Error> {
    let whole = || -> Result<IncrementalLoad, Error> {
        let report = load(runtime, engine, Some(path), ops.progress)?;
        Ok(IncrementalLoad {
            report,
            bytes_skipped: 0,
        })
    };
    let known = layers_the_engine_has(runtime, engine, base)?;
    if known.is_empty() {
        return whole();
    }
    let index = ArchiveIndex::scan(path)?;
    let mut images = Vec::new();
    let mut blobs = HashMap::new();
    let mut skipped = 0;
    for image in index.images()? {
        let diff_ids = index.diff_ids(&image)?;
        let mut config = Vec::new();
        index
            .open(&image.config_path)?
            .read_to_end(&mut config)
            .map_err(Error::output(format!("cannot read {}", path.display())))?;
        let config = Document {
            descriptor: Descriptor::new(
                "application/vnd.oci.image.config.v1+json",
                Digest::sha256(&config),
                config.len() as u64,
            ),
            bytes: config,
        };
        let mut layers = Vec::new();
        for (layer_path, diff_id) in image.layers.iter().zip(diff_ids) {
            let entry = index
                .get(layer_path)
                .expect("images() checked every layer exists");
            let mut magic = [0u8; 2];
            let n = index.open(layer_path)?.read(&mut magic).unwrap_or(0);
            if entry.size == 0 || (n == 2 && magic == [0x1f, 0x8b]) {
                tracing::info!(layer = %layer_path, "a compressed or placeholder layer: sending the archive as it is");
                return whole();
            }
            let omitted = known.iter().any(|k| diff_id == k.as_str());
            if omitted {
                skipped += entry.size;
            }
            blobs.insert(
                diff_id.clone(),
                (
                    Blob::Layer(LayerSource::Slice {
                        path: path.to_path_buf(),
                        offset: entry.offset,
                        size: entry.size,
                    }),
                    entry.size,
                ),
            );
            layers.push(ArchiveLayer {
                descriptor: Descriptor::new(LAYER_MEDIA_TYPE, diff_id, entry.size),
                omitted,
            });
        }
        let descriptors: Vec<Descriptor> = layers.iter().map(|l| l.descriptor.clone()).collect();
        let manifest =
            ops.manifest_generation
                .image_manifest(&config.descriptor, &descriptors, &[])?;
        blobs.insert(
            config.descriptor.digest.clone(),
            (Blob::Bytes(config.bytes.clone()), config.descriptor.size),
        );
        images.push(ArchiveImage {
            config,
            manifest,
            layers,
            repo_tags: image.repo_tags,
        });
    }
    if skipped == 0 {
        return whole();
    }
    let plan = ops
        .tar_assembly
        .plan_archive(ArchiveFormat::Docker, &images, &[])?;
    let total = plan.iter().map(|s| s.len()).sum();
    ops.progress.start("load", Some(total));
    let streamed = stream_into_engine(runtime, engine, |out| {
        let mut counted = super::build::Counted::new(out, ops.progress);
        write_plan(&plan, &blobs, &mut counted).map_err(Error::from)
    });
    ops.progress.finish();
    match streamed {
        Ok(((), report)) => Ok(IncrementalLoad {
            report,
            bytes_skipped: skipped,
        }),
        Err(Error::Docker(crate::docker::Error::LoadRefused { message })) => {
            tracing::warn!(%message, "the engine refused the placeholder layers; loading every layer");
            whole()
        }
        Err(e) => Err(e),
    }
}

/// Saves `references` from the engine into the archive `path`, atomically.
pub fn save(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    references: &[String],
    path: &Path,
    progress: &dyn Progress,
) -> Result<u64, Error> {
    let what = format!("cannot write {}", path.display());
    let mut file = AtomicFile::create(path).map_err(Error::output(&what))?;
    let mut total = 0u64;
    progress.start("save", None);
    runtime.block_on(async {
        let mut stream = std::pin::pin!(engine.save(references));
        while let Some(piece) = stream.next().await {
            let piece = piece?;
            total += piece.len() as u64;
            progress.advance(piece.len() as u64);
            file.file()
                .write_all(&piece)
                .map_err(Error::output(&what))?;
        }
        Ok::<_, Error>(())
    })?;
    progress.finish();
    file.commit(path).map_err(Error::output(&what))?;
    Ok(total)
}
