//! Images in the Docker Engine as an image source: `docker save` streamed
//! into a temporary file (removed when the source is dropped, or on an
//! interrupt), then read and checked as any archive is. The engine's save
//! stream puts `manifest.json` last, so reading in place would mean
//! holding every layer before knowing which image it belongs to.

use super::Error;
use crate::docker::Engine;
use crate::store::source::{ArchiveSource, ImageSource, SourceImage};
use crate::store::spool::Spooled;
use futures_util::StreamExt;
use std::path::Path;

/// The images `names` of the engine, saved.
pub struct EngineSource {
    archive: ArchiveSource,
    _spooled: Spooled,
}

impl EngineSource {
    /// Saves `names` (as the engine is to be given them) into a temporary
    /// archive and indexes it.
    pub fn save(
        runtime: &tokio::runtime::Runtime,
        engine: &Engine,
        names: &[String],
    ) -> Result<Self, Error> {
        let what = "a temporary copy of the engine's images";
        let mut spooled = Spooled::new().map_err(Error::output(what))?;
        runtime.block_on(async {
            let mut stream = std::pin::pin!(engine.save(names));
            while let Some(piece) = stream.next().await {
                spooled.write(&piece?).map_err(Error::output(what))?;
            }
            Ok::<_, Error>(())
        })?;
        let shown = format!("the engine's save of {}", names.join(" "));
        let archive = ArchiveSource::open_as(spooled.path(), Path::new(&shown))?;
        Ok(Self {
            archive,
            _spooled: spooled,
        })
    }
}

impl ImageSource for EngineSource {
    fn images(&self) -> Result<Vec<SourceImage>, crate::store::source::Error> {
        self.archive.images()
    }
}
