//! Moving archives in and out of the engine, streamed: `image load` (of a
//! file or stdin, optionally leaving out the layers base images have) and
//! `image save`.
//!
//! Every archive is checked before the engine sees a byte (names,
//! `manifest.json`, configs against their digests, `diff_ids`), from a file
//! or from stdin alike: stdin is spooled into a temporary file first,
//! because `docker save` writes `manifest.json` last and the checks need it
//! before the layers it names are sent.

use super::Error;
use super::build::{Operations, with_manifest};
use super::build_image::{Failure, tar_layers};
use super::engine_stream::EngineLoad;
use crate::docker::{Engine, LoadReport};
use crate::model::destination::write_images;
use crate::model::{Digest, Progress};
use crate::store::files::Output;
use crate::store::source::{ArchiveSource, Compression, ImageSource};
use crate::store::spool::Spooled;
use futures_util::StreamExt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where `image load` reads the archive.
pub enum LoadInput<'a> {
    /// An archive file.
    File(&'a Path),
    /// Standard input.
    Stdin,
}

/// What a load did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IncrementalLoad {
    /// What the engine reported.
    #[serde(flatten)]
    pub report: LoadReport,
    /// Layer bytes not sent because the engine had them.
    pub bytes_skipped: u64,
}

/// Loads the archive `input` into the engine after checking it. With
/// `base` images on a graph-driver engine, the archive goes in through
/// [`EngineLoad`] by the one sequence, layers whose chain a base holds as
/// zero-length placeholders (imgutil's incremental load; refused
/// placeholders are sent again in full there); when no base is given or a
/// layer is compressed, the archive is sent as it is.
pub fn load(
    ops: &Operations<'_>,
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    input: LoadInput<'_>,
    base: &[String],
) -> Result<IncrementalLoad, Error> {
    let spooled;
    let (path, shown): (&Path, PathBuf) = match input {
        LoadInput::File(path) => (path, path.to_path_buf()),
        LoadInput::Stdin => {
            spooled = Spooled::copy(&mut std::io::stdin().lock())
                .map_err(Error::input("standard input"))?;
            (spooled.path(), PathBuf::from("standard input"))
        }
    };
    let source = ArchiveSource::open_as(path, &shown)?;
    let images = source.images()?;
    // The engine must show every image sent, by its ID (the config digest).
    let expected: Vec<Digest> = images
        .iter()
        .map(|i| i.config.descriptor.digest.clone())
        .collect();
    let into = EngineLoad::new(ops, runtime, engine, base)?;
    let whole = || -> Result<IncrementalLoad, Error> {
        Ok(IncrementalLoad {
            report: into.load_file(path, &expected)?,
            bytes_skipped: 0,
        })
    };
    if !into.incremental() {
        return whole();
    }
    if let Some(layer) = (images.iter().flat_map(|i| &i.layers))
        .find(|l| l.size == 0 || l.compression != Compression::None)
    {
        tracing::info!(layer = %layer.diff_id, "a compressed or placeholder layer: sending the archive as it is");
        return whole();
    }
    let mut omitting = false;
    for image in &images {
        let diff_ids: Vec<Digest> = image.layers.iter().map(|l| l.diff_id.clone()).collect();
        omitting |= into.omits_any(&diff_ids)?;
    }
    if !omitting {
        return whole();
    }
    let total = images
        .iter()
        .flat_map(|i| &i.layers)
        .map(|l| l.size)
        .sum::<u64>();
    let tars: Vec<Vec<_>> = (images.iter())
        .map(|image| {
            (image.layers.iter())
                .map(|l| (l.blob.clone(), l.diff_id.clone()))
                .collect()
        })
        .collect();
    ops.progress.start("load", Some(total));
    let loaded = into.load(|into| {
        let failure = Failure::default();
        let layers = tar_layers(ops.progress, &tars, &failure)?;
        let written = write_images(into, &layers, None, |i, put| {
            let image = &images[i];
            with_manifest(ops, image.config.clone(), put, image.repo_tags.clone())
        });
        drop(layers);
        written.map_err(|e| failure.or(e))?;
        Ok(((), expected.clone()))
    });
    ops.progress.finish();
    let loaded = loaded?;
    Ok(IncrementalLoad {
        report: loaded.report,
        bytes_skipped: loaded.bytes_skipped,
    })
}

/// Saves `references` (as the engine is to be given them) from the engine
/// into `target`: a regular file atomically, anything else directly.
pub fn save(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    references: &[String],
    target: &Path,
    progress: &dyn Progress,
) -> Result<u64, Error> {
    let what = format!("cannot write {}", target.display());
    let mut out = Output::create(target).map_err(Error::output(&what))?;
    let mut total = 0u64;
    progress.start("save", None);
    runtime.block_on(async {
        let mut stream = std::pin::pin!(engine.save(references));
        while let Some(piece) = stream.next().await {
            let piece = piece?;
            total += piece.len() as u64;
            progress.advance(piece.len() as u64);
            out.write_all(&piece).map_err(Error::output(&what))?;
        }
        Ok::<_, Error>(())
    })?;
    progress.finish();
    out.commit().map_err(Error::output(&what))?;
    Ok(total)
}
