//! `ocipipe image append SRC DST --layer PATH...`: new layers on top of an
//! image, made as `image build --from SRC` makes them. To a registry the
//! build pushes: the image's own layers are found or mounted, never read.
//! Elsewhere the image is built into a private layout and copied from it,
//! by copy's one writer, so DST means what it means to `copy`.

use super::args::AppendArgs;
use super::copy::{CopyEnv, location, platform};
use super::image::layer_input;
use super::output::Printer;
use super::{Config, Outcome, progress};
use crate::model::{ConfigRequest, Digest, HostMachine, LayerOptions};
use crate::pipeline::{self, BuildOutput, BuildSpec, Location, Operations};
use anyhow::Context as _;
use std::sync::Arc;

/// What `image append` reports.
#[derive(Debug, serde::Serialize)]
struct Appended {
    /// The manifest digest at the destination (none in the engine).
    digest: Option<Digest>,
    /// The new image ID.
    image_id: Digest,
    destination: String,
    /// Blob bytes sent.
    bytes_sent: u64,
}

pub(super) fn run(config: &Config, args: AppendArgs) -> anyhow::Result<Outcome> {
    let components = config.components()?;
    let progress = progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let from = location(ops.tagging, &args.source)?;
    let to = location(ops.tagging, &args.destination)?;
    let asked = platform(&ops, args.platform.as_deref())?;
    let needs_engine = [&from, &to]
        .iter()
        .any(|l| matches!(l, Location::Daemon(_)));
    let env = CopyEnv::new(config, needs_engine, 4)?;
    let base = pipeline::base_image(&env.context(&ops, asked), &from)
        .with_context(|| format!("cannot append to {}", args.source))?;
    // The new config is the base's with the new layers: for its platform.
    let stated = ops
        .manifest_generation
        .config_platform(&base.config.bytes)?;
    let platform = ops
        .manifest_generation
        .normalize_platform(Some(&stated.to_string()), &HostMachine::current())?;
    let epoch = args.created.or(config.source_date_epoch);
    let spec = BuildSpec {
        layers: args.layers.iter().map(|p| layer_input(p)).collect(),
        config: ConfigRequest {
            base: None,
            platform,
            diff_ids: Vec::new(),
            history: Vec::new(),
            created: epoch,
            env: Vec::new(),
            entrypoint: None,
            cmd: None,
            working_dir: None,
            user: None,
            labels: Vec::new(),
            exposed_ports: Vec::new(),
        },
        targets: match &to {
            Location::Registry(reference) => Some(reference.full.clone()),
            _ => None,
        },
        layer_options: LayerOptions {
            mtime: epoch.unwrap_or(0),
            keep_owner: args.keep_owner,
        },
        base: Some(Arc::new(base)),
        base_as_stored: true,
    };
    let destination = to.to_string();
    let appended = match &to {
        Location::Registry(reference) => {
            anyhow::ensure!(
                reference.digest.is_none(),
                "{destination}: the new image's digest is not known before it is made; name a tag"
            );
            let ctx = env.context(&ops, None);
            let push = pipeline::PushOutput {
                ctx: &ctx,
                compression: args.compression.layers(),
            };
            let made = pipeline::build_outputs(&ops, &spec, Vec::new(), Some(push))?;
            let pushed = made.pushed.first().context("the push names the image")?;
            Appended {
                digest: Some(pushed.digest.clone()),
                image_id: pushed.image_id.clone(),
                destination,
                bytes_sent: pushed.bytes_sent,
            }
        }
        _ => {
            let scratch = crate::store::files::Scratch::new("ocipipe-append-")
                .context("cannot make a temporary layout")?;
            let layout = scratch.path().join("layout");
            let output = BuildOutput::OciLayout(layout.clone());
            pipeline::build_outputs(&ops, &spec, vec![output], None)?;
            let built = Location::Layout {
                path: layout,
                tag: None,
            };
            let copied = pipeline::copy(&env.context(&ops, None), &built, &to)?;
            Appended {
                digest: copied.digest,
                image_id: copied.image_id.context("one image was copied")?,
                destination,
                bytes_sent: copied.bytes_sent,
            }
        }
    };
    let mut printer = match &to {
        Location::Archive { path, .. } => Printer::beside_output(config.json, path),
        _ => Printer::new(config.json),
    };
    printer.result(&appended, || {
        let id = appended.digest.as_ref().unwrap_or(&appended.image_id);
        format!("{} {id}", appended.destination)
    })?;
    Ok(Outcome::Success)
}
