//! One build, several outputs (`--push --load -o FILE --oci-layout DIR`):
//! the layers are made once, as tars in an OCI layout (the `--oci-layout`
//! one when given, else a private one), and every other output is written
//! from those tars, all at once: no directory is walked, planned or read
//! twice, and every output holds the same image (the same config, so the
//! same ID). A push tags last, once the others are whole.
//! A base image's layers still in a registry are read once too: into that
//! layout when a local output needs their bytes, and not at all by a push
//! to a registry that holds them (see `build_push`).

use super::Error;
use super::build::{BuildOutput, BuildSpec, Built, Operations, build_from, layer_sources};
use super::build_push::{PushedName, push_from};
use super::copy::CopyContext;
use super::planner::IndexPlanning;
use crate::model::destination::sharing_workers;
use crate::model::{Progress, Together};
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
/// `push`, to every name of its targets; the layers are made once (into
/// the layout of an `--oci-layout` output when there is one), then every
/// other output is written from them at once. Each output appears whole
/// or not at all; the push tags its names last, only once every other
/// output is whole, so a registry never names an image a failed build
/// made.
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
        let given = outputs
            .iter()
            .position(|(_, o)| matches!(o, BuildOutput::OciLayout(_)))
            .map(|at| outputs.remove(at));
        let (layout, private) = match &given {
            Some((_, BuildOutput::OciLayout(dir))) => (dir.clone(), None),
            _ => {
                let dir = crate::store::files::Scratch::new("ocipipe-build-")
                    .map_err(Error::output("a temporary layout for the build"))?;
                (dir.path().join("layout"), Some(dir))
            }
        };
        let stage = build_from(ops, spec, &sources, BuildOutput::OciLayout(layout.clone()))?;
        staged = (tars_of(ops, &layout, &stage)?, private);
        built.extend(given.map(|(i, _)| (i, stage)));
        &staged.0
    } else {
        &sources
    };
    let (rest, pushed) = write_together(ops, spec, sources, outputs, push)?;
    built.extend(rest);
    built.sort_by_key(|(i, _)| *i);
    Ok(BuiltOutputs {
        built: built.into_iter().map(|(_, b)| b).collect(),
        pushed,
    })
}

/// What an output made, and its place among the outputs given.
type Numbered = (usize, Built);

/// Writes `outputs` and the push from the layers `sources`, each on its
/// own thread when there are several, shown as one task, sharing the
/// layer workers (so memory stays that of one output's). The first local
/// output to fail (in the order given) is the error; the others are left
/// whole. The push waits for them before its tag.
fn write_together(
    ops: &Operations<'_>,
    spec: &BuildSpec,
    sources: &[LayerSource],
    outputs: Vec<(usize, BuildOutput<'_>)>,
    push: Option<PushOutput<'_>>,
) -> Result<(Vec<Numbered>, Vec<PushedName>), Error> {
    let count = outputs.len() + usize::from(push.is_some());
    let together = (count > 1).then(|| Together::new(ops.progress, count));
    let ops = &Operations {
        progress: together
            .as_ref()
            .map_or(ops.progress, |t| t as &dyn Progress),
        ..*ops
    };
    let written = sharing_workers(count, || {
        std::thread::scope(|scope| {
            let writers: Vec<_> = (outputs.into_iter())
                .map(|(i, output)| scope.spawn(move || (i, build_from(ops, spec, sources, output))))
                .collect();
            let locals = move || -> Result<Vec<Numbered>, Error> {
                (writers.into_iter())
                    .map(|w| {
                        let (i, built) = w.join().expect("an output's writer does not panic");
                        built.map(|b| (i, b))
                    })
                    .collect::<Vec<_>>()
                    .into_iter()
                    .collect()
            };
            let Some(push) = push else {
                return Ok((locals()?, Vec::new()));
            };
            let mut built = None;
            let pushed = push_from(ops, push.ctx, spec, sources, push.compression, || {
                built = Some(locals()?);
                Ok(())
            })?;
            Ok((built.expect("the push tags after the outputs"), pushed))
        })
    });
    if let Some(together) = together {
        together.done();
    }
    written
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
