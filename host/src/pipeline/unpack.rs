//! `ocipipe image unpack`: an image of an archive, an OCI layout or the
//! engine, applied into a root directory. The tar-assembly component decides each layer's
//! changeset (whiteouts, opaque directories); the tagging component
//! decides which of the source's names is the image asked for;
//! `store::unpack` does every file-system call and every safety check.

use super::Error;
use super::engine_source::EngineSource;
use super::planner::{IndexPlanning, Planner};
use super::tag::find_name;
use crate::runtime::{ManifestGeneration, Tagging, TarAssembly};
use crate::store::source::{ArchiveSource, ImageSource, LayoutSource};
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

/// The components `image unpack` asks.
pub struct UnpackComponents<'a> {
    /// Decides each layer's changeset.
    pub tar_assembly: &'a TarAssembly,
    /// Decides which name is the image asked for.
    pub tagging: &'a Tagging,
    /// Reads a layout's documents.
    pub manifest_generation: &'a ManifestGeneration,
}

/// Unpacks the image of `from` named `image` (any spelling of one of its
/// names; default: the first image) into `dest`.
pub fn unpack(
    components: UnpackComponents<'_>,
    from: UnpackFrom<'_>,
    image: Option<&str>,
    dest: &Path,
    opts: &UnpackOptions,
) -> Result<UnpackReport, Error> {
    let input = match from {
        UnpackFrom::Path(path) => path,
        UnpackFrom::Engine(source, name) => {
            return unpack_from(&components, source, name, image, dest, opts);
        }
    };
    if input.is_dir() {
        let layout = LayoutSource::open(input)?;
        let reader = IndexPlanning(components.manifest_generation);
        let source = layout.read_by(&reader);
        return unpack_from(&components, &source, input, image, dest, opts);
    }
    let spooled = copy_unless_rereadable(input).map_err(Error::input(input.display()))?;
    let path = spooled.as_ref().map_or(input, |s| s.path());
    let source = ArchiveSource::open_as(path, input)?;
    unpack_from(&components, &source, input, image, dest, opts)
}

/// Unpacks from an opened source; `image` becomes the source's own
/// spelling of the name when the tagging component finds it there (else
/// the store refuses it, listing the names there are).
fn unpack_from(
    components: &UnpackComponents<'_>,
    source: &dyn ImageSource,
    name: &Path,
    image: Option<&str>,
    dest: &Path,
    opts: &UnpackOptions,
) -> Result<UnpackReport, Error> {
    let spelled = match image {
        Some(requested) => {
            let images = source.images()?;
            let names = images.iter().flat_map(|i| &i.repo_tags).map(String::as_str);
            Some(
                find_name(components.tagging, requested, names)?
                    .unwrap_or(requested)
                    .to_owned(),
            )
        }
        None => None,
    };
    let planner = Planner(components.tar_assembly);
    Ok(unpack_image(
        source,
        name,
        spelled.as_deref(),
        dest,
        opts,
        &planner,
    )?)
}
