//! The image a build starts from (`image build --from`), and the one
//! image a copy writes into an archive or the engine, read lazily: its
//! manifest and config, nothing more. Its layers stay where they are — a
//! layout's or an archive's files, the engine's save, a registry's blobs —
//! and are read only by an output that needs their bytes: a push to the
//! registry that holds them reads none, a push elsewhere streams each one
//! through, a local output reads each once.

use super::source::Source;
use super::{CopyContext, Location, Registries, Tree, contents};
use crate::model::{Descriptor, Document, ImageContents, ImageLayer, ManifestContents};
use crate::pipeline::Error;
use crate::pipeline::build::BaseImage;
use crate::store::source::SourceLayer;
use std::io::Read;

/// The most an image config may hold.
const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// The image `from` names, ready to build on (the one platform
/// `ctx.platforms` names of an index): its config read and checked, its layers where they are.
/// A registry's layers are downloaded on `ctx.runtime`, which must outlive
/// the build.
pub fn base_image(ctx: &CopyContext<'_>, from: &Location) -> Result<BaseImage, Error> {
    let mut registries = Registries::new(ctx.access);
    let source = Source::open(ctx, &mut registries, from)?;
    let tree = ctx.runtime.block_on(source.tree(ctx.ops, &ctx.platforms))?;
    let (config, layers) = image(ctx, &source, &tree, from)?;
    Ok(BaseImage {
        config,
        layers,
        origin: match from {
            Location::Registry(reference) => Some(reference.clone()),
            _ => None,
        },
        _kept: Some(Box::new(source)),
    })
}

/// The one image `tree` holds, read from `source` (what `from` names):
/// its config read and checked, and its layers where they are, each with
/// its diff_id and how it is stored. A registry's layers are downloaded
/// on `ctx.runtime` when read.
pub(super) fn image(
    ctx: &CopyContext<'_>,
    source: &Source,
    tree: &Tree,
    from: &Location,
) -> Result<(Document, Vec<SourceLayer>), Error> {
    let mut root = tree.root.clone();
    let (config, layers) = match contents(ctx.ops, &mut root)? {
        ManifestContents::Image(ImageContents { config, layers, .. }) if tree.config.is_some() => {
            (config, layers)
        }
        _ => {
            return Err(Error::NotFound {
                source_name: from.to_string(),
                message: "it names an index; give --platform to build on one of its images".into(),
            });
        }
    };
    let config = read_config(ctx, source, &config, from)?;
    // How each layer is compressed and its diff_id, as the component reads
    // the manifest's layers against the config.
    let read = match ctx
        .ops
        .manifest_generation
        .image_layers(&layers, &config.bytes)
    {
        Ok(read) => read,
        Err(crate::runtime::Error::Refused { message, .. }) => {
            return Err(malformed(from, message));
        }
        Err(e) => return Err(e.into()),
    };
    // Openers of a registry's blobs start their downloads on the runtime.
    let _runtime = ctx.runtime.enter();
    let layers = (read.iter())
        .map(|layer| base_layer(source, layer))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok((config, layers))
}

/// A layer of the manifest, as the build takes it.
fn base_layer(source: &Source, layer: &ImageLayer) -> Result<SourceLayer, Error> {
    let descriptor = &layer.descriptor;
    Ok(SourceLayer {
        blob: source.layer(descriptor)?,
        digest: Some(descriptor.digest.clone()),
        size: descriptor.size,
        diff_id: layer.diff_id.clone(),
        compression: layer.compression.stored(),
    })
}

/// The config `descriptor` names, read whole and checked against it.
pub(super) fn read_config(
    ctx: &CopyContext<'_>,
    source: &Source,
    descriptor: &Descriptor,
    from: &Location,
) -> Result<Document, Error> {
    if descriptor.size > MAX_CONFIG_BYTES {
        return Err(malformed(
            from,
            format!(
                "config {} claims {} bytes, more than the {MAX_CONFIG_BYTES} allowed",
                descriptor.digest, descriptor.size
            ),
        ));
    }
    let open = source.opener(descriptor, ctx.runtime.handle())?;
    let what = format!("{from}: config {}", descriptor.digest);
    let mut bytes = Vec::new();
    open()
        .and_then(|reader| reader.take(descriptor.size + 1).read_to_end(&mut bytes))
        .map_err(Error::input(&what))?;
    Document::described(descriptor, bytes).map_err(|e| malformed(from, format!("config {e}")))
}

fn malformed(from: &Location, message: String) -> Error {
    Error::Source(crate::store::source::Error::Malformed {
        source_name: from.to_string(),
        message,
    })
}
