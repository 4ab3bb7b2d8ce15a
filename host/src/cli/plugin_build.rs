//! `ocipipe plugin build`: a managed plugin from a plugin context, pushed
//! or written into an OCI-layout tar, with no engine.

use super::args::PluginBuildArgs;
use super::copy::CopyEnv;
use super::output::Printer;
use super::{Config, Outcome, progress};
use crate::model::LayerOptions;
use crate::pipeline::{self, BuiltPlugin, Operations, PluginBuild, PluginOutput};
use crate::runtime::Privileges;
use anyhow::Context as _;

pub(super) fn build(config: &Config, args: PluginBuildArgs) -> anyhow::Result<Outcome> {
    let components = config.components()?;
    let privileges = components.get::<Privileges>()?;
    let progress = progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let name = pipeline::plugin_name(ops.tagging, &args.tag)
        .with_context(|| format!("cannot use {:?} as the plugin's name", args.tag))?;
    let output = match args.output.clone() {
        Some(path) => PluginOutput::File(path),
        None => PluginOutput::Push,
    };
    let env = CopyEnv::new(config, false, 1)?;
    let build = PluginBuild {
        context: &args.context,
        name: &name,
        output,
        layer_options: LayerOptions {
            mtime: config.source_date_epoch.unwrap_or(0),
            keep_owner: args.keep_owner,
        },
    };
    let built = pipeline::build_plugin(&env.context(&ops, None), privileges, &build).with_context(
        || {
            // The first line names where the plugin was going, as every
            // `-o` does.
            let into = match &args.output {
                Some(path) => format!(" into {}", path.display()),
                None => String::new(),
            };
            format!(
                "cannot build plugin {} from {}{into}",
                name.full,
                args.context.display()
            )
        },
    )?;
    let mut printer = match &args.output {
        Some(path) => Printer::beside_output(config.json, path),
        None => Printer::new(config.json),
    };
    printer.result(&built, || human(&built))?;
    Ok(Outcome::Success)
}

/// `NAME DIGEST` as `image push` prints it, and where it went when that
/// is a file.
fn human(built: &BuiltPlugin) -> String {
    if built.output == built.name {
        format!("{} {}", built.name, built.digest)
    } else {
        format!("{} {} -> {}", built.name, built.digest, built.output)
    }
}
