//! One build, several outputs (`--push --load -o FILE --oci-layout DIR`):
//! the layers are made once, as tars in an OCI layout (the `--oci-layout`
//! one when given, else a private one), and every other output is written
//! from those tars: no directory is walked, planned or read twice, and
//! every output holds the same image (the same config, so the same ID).
//! A base image's layers still in a registry are read once too: into that
//! layout when a local output needs their bytes, and not at all by a push
//! to a registry that holds them (see `build_push`).

use super::Error;
use super::build::{BuildOutput, BuildSpec, Built, Operations, build_from, layer_sources};
use super::build_push::{PushedName, push_from};
use super::copy::CopyContext;
use super::planner::IndexPlanning;
use crate::store::compress::LayerCompression;
use crate::store::plan::LayerSource;
use crate::store::source::LayoutSource;

/// A push among the outputs: where registries are reached, and how
/// layers are compressed.
pub struct PushOutput<'a> {
    /// Registries and the runtime.
    pub ctx: &'a CopyContext<'a>,
    /// How new layers are compressed.
    pub compression: LayerCompression,
}

/// What each output got.
#[derive(Debug)]
pub struct BuiltOutputs {
    /// One per local output, in the order given.
    pub built: Vec<Built>,
    /// One per name pushed.
    pub pushed: Vec<PushedName>,
}

/// Builds the image `spec` describes into every one of `outputs` and, with
/// `push`, to every name of its targets; the layers are made once. Each
/// output appears whole or not at all; one that fails stops those after
/// it (an OCI layout first, the engine next, the push last).
pub fn build_outputs(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    outputs: Vec<BuildOutput<'_>>,
    push: Option<PushOutput<'_>>,
) -> Result<BuiltOutputs, Error> {
    let mut spooled = Vec::new();
    let sources = layer_sources(ops, spec, &mut spooled)?;
    let mut built = Vec::new();
    let mut outputs: Vec<(usize, BuildOutput<'_>)> = outputs.into_iter().enumerate().collect();
    let staged;
    let sources: &[LayerSource] = if outputs.len() + usize::from(push.is_some()) > 1
        || (reads_twice(&outputs) && sources.iter().any(is_opened))
    {
        // A layout output holds the tars the others are made from.
        outputs.sort_by_key(|(_, o)| match o {
            BuildOutput::OciLayout(_) => 0,
            BuildOutput::File(_) | BuildOutput::Stream(..) => 1,
            BuildOutput::Load { .. } => 2,
        });
        let (layout, private) = match outputs.first() {
            Some((_, BuildOutput::OciLayout(dir))) => (dir.clone(), None),
            _ => {
                let dir = crate::store::files::Scratch::new("ocipipe-build-")
                    .map_err(Error::output("a temporary layout for the build"))?;
                (dir.path().join("layout"), Some(dir))
            }
        };
        let given = match private {
            None => Some(outputs.remove(0).0),
            Some(_) => None,
        };
        let stage = build_from(ops, spec, &sources, BuildOutput::OciLayout(layout.clone()))?;
        staged = (tars_of(ops, &layout, &stage)?, private);
        built.extend(given.map(|i| (i, stage)));
        &staged.0
    } else {
        &sources
    };
    for (i, output) in outputs {
        built.push((i, build_from(ops, spec, sources, output)?));
    }
    let pushed = match push {
        Some(push) => push_from(ops, push.ctx, spec, sources, push.compression)?,
        None => Vec::new(),
    };
    built.sort_by_key(|(i, _)| *i);
    Ok(BuiltOutputs {
        built: built.into_iter().map(|(_, b)| b).collect(),
        pushed,
    })
}

/// Whether `outputs` may read a layer twice: an archive or the engine
/// takes a layer's size before its bytes, which a compressed layer tells
/// only once read. A layout takes each layer once.
fn reads_twice(outputs: &[(usize, BuildOutput<'_>)]) -> bool {
    outputs
        .iter()
        .any(|(_, o)| !matches!(o, BuildOutput::OciLayout(_)))
}

/// A layer opened when read (a base image's blob in a registry): read
/// once, into the layout the other outputs read, when an output would
/// read it twice.
fn is_opened(layer: &LayerSource) -> bool {
    matches!(layer, LayerSource::Opened(_))
}

/// The layer tars of the image `built` put into the layout `dir`.
fn tars_of(
    ops: &Operations<'_>,
    dir: &std::path::Path,
    built: &Built,
) -> Result<Vec<LayerSource>, Error> {
    let image = LayoutSource::open(dir)?
        .images(&IndexPlanning(ops.manifest_generation))?
        .into_iter()
        .find(|image| {
            image
                .manifest
                .as_ref()
                .is_some_and(|m| m.descriptor.digest == built.manifest_digest)
        })
        .expect("the layout just written holds the image");
    Ok(image.layers.into_iter().map(|l| l.blob).collect())
}
