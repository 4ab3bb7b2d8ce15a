//! Moving archives in and out of the engine, streamed: `image load` and
//! `image save`.

use super::Error;
use crate::docker::{Engine, LoadReport};
use crate::model::Progress;
use crate::store::archive_reader::ArchiveIndex;
use crate::store::atomic::AtomicFile;
use bytes::Bytes;
use futures_util::StreamExt;
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
            let index = ArchiveIndex::scan(path)?;
            index.images(path)?;
            let what = format!("cannot read {}", path.display());
            let file = std::fs::File::open(path).map_err(Error::output(what))?;
            let size = file.metadata().ok().map(|m| m.len());
            (Box::new(file), size)
        }
        None => (Box::new(std::io::stdin()), None),
    };
    progress.start("load", total);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(8);
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut reader = reader;
            loop {
                let mut piece = vec![0u8; PIECE];
                match reader.read(&mut piece) {
                    Ok(0) => break,
                    Ok(n) => {
                        piece.truncate(n);
                        progress.advance(n as u64);
                        if tx.blocking_send(Ok(Bytes::from(piece))).is_err() {
                            break; // the engine stopped reading; its answer says why
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        break;
                    }
                }
            }
        });
        let report = runtime.block_on(engine.load(body)).map_err(Error::from);
        progress.finish();
        report
    })
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
