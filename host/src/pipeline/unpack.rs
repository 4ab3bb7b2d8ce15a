//! `ocipipe image unpack`: an image of an archive, an OCI layout or the
//! engine, applied into a root directory. The tar-assembly component decides each layer's
//! changeset (whiteouts, opaque directories); `store::unpack` does every
//! file-system call and every safety check.

use super::Error;
use super::engine_source::EngineSource;
use super::planner::Planner;
use crate::runtime::TarAssembly;
use crate::store::source::{ArchiveSource, LayoutSource};
use crate::store::spool::copy_unless_rereadable;
use crate::store::unpack::{UnpackOptions, UnpackReport, unpack_image};
use std::path::Path;

/// Where `image unpack` reads the image.
pub enum UnpackFrom<'a> {
    /// An archive file (or FIFO), or a layout directory.
    Path(&'a Path),
    /// An image in the engine, saved first.
    Engine(&'a EngineSource, &'a Path),
}

/// Unpacks the image of `from` named `image` (default: the first) into
/// `dest`.
pub fn unpack(
    tar_assembly: &TarAssembly,
    from: UnpackFrom<'_>,
    image: Option<&str>,
    dest: &Path,
    opts: &UnpackOptions,
) -> Result<UnpackReport, Error> {
    let planner = Planner(tar_assembly);
    let input = match from {
        UnpackFrom::Path(path) => path,
        UnpackFrom::Engine(source, name) => {
            return Ok(unpack_image(source, name, image, dest, opts, &planner)?);
        }
    };
    if input.is_dir() {
        let source = LayoutSource::open(input)?;
        return Ok(unpack_image(&source, input, image, dest, opts, &planner)?);
    }
    let spooled = copy_unless_rereadable(input).map_err(Error::input(input.display()))?;
    let path = spooled.as_ref().map_or(input, |s| s.path());
    let source = ArchiveSource::open_as(path, input)?;
    Ok(unpack_image(&source, input, image, dest, opts, &planner)?)
}
