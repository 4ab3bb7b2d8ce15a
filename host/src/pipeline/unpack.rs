//! `ocipipe image unpack`: an image of an archive or an OCI layout, applied
//! into a root directory. The tar-assembly component decides each layer's
//! changeset (whiteouts, opaque directories); `store::unpack` does every
//! file-system call and every safety check.

use super::Error;
use super::planner::Planner;
use crate::runtime::TarAssembly;
use crate::store::source::{ArchiveSource, LayoutSource};
use crate::store::spool::{Spooled, is_rereadable};
use crate::store::unpack::{UnpackOptions, UnpackReport, unpack_image};
use std::path::Path;

/// Unpacks the image of `input` (an archive file or FIFO, or a layout
/// directory) named `image` (default: the first) into `dest`.
pub fn unpack(
    tar_assembly: &TarAssembly,
    input: &Path,
    image: Option<&str>,
    dest: &Path,
    opts: &UnpackOptions,
) -> Result<UnpackReport, Error> {
    let planner = Planner(tar_assembly);
    if input.is_dir() {
        let source = LayoutSource::open(input)?;
        return Ok(unpack_image(&source, input, image, dest, opts, &planner)?);
    }
    let spooled;
    let path = if is_rereadable(input) {
        input
    } else {
        let what = input.display().to_string();
        let mut reader = std::fs::File::open(input).map_err(Error::input(&what))?;
        spooled = Spooled::copy(&mut reader).map_err(Error::input(&what))?;
        spooled.path()
    };
    let source = ArchiveSource::open_as(path, input)?;
    Ok(unpack_image(&source, input, image, dest, opts, &planner)?)
}
