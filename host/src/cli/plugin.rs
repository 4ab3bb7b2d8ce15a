//! `ocipipe plugin privileges`: managed Docker plugins (`plugin build` is
//! `plugin_build`).

use super::args::{PluginCommand, PluginPrivilegesArgs};
use super::copy::CopyEnv;
use super::image::Components;
use super::output::Printer;
use super::{Config, Outcome, progress};
use crate::model::Privilege;
use crate::pipeline::{self, ConfigInput};
use crate::runtime::Privileges;
use anyhow::Context as _;
use std::path::Path;

pub(super) fn run(config: &Config, cmd: PluginCommand) -> anyhow::Result<Outcome> {
    match cmd {
        PluginCommand::Privileges(args) => privileges(config, args),
        PluginCommand::Build(args) => super::plugin_build::build(config, args),
    }
}

fn privileges(config: &Config, args: PluginPrivilegesArgs) -> anyhow::Result<Outcome> {
    let wasm = config.runtime()?;
    let privileges = config.component::<Privileges>(&wasm)?;
    let (asked, subject) = match (&args.config, &args.reference) {
        (Some(path), _) => {
            let (input, name) = if path == Path::new("-") {
                (ConfigInput::Stdin, "standard input".to_string())
            } else {
                (ConfigInput::File(path), path.display().to_string())
            };
            let asked = pipeline::config_privileges(&privileges, &input).with_context(|| {
                format!("cannot compute the privileges of the plugin config in {name}")
            })?;
            (asked, format!("the plugin config in {name}"))
        }
        (None, Some(reference)) => {
            let components = Components::load_in(config, &wasm)?;
            let plugin = components
                .tagging
                .normalize_with_default_tag(reference)
                .with_context(|| format!("{reference:?} is not a plugin reference"))?;
            let progress = progress::for_run(config.json);
            let ops = components.ops(progress.as_ref());
            let env = CopyEnv::new(config, false, 1)?;
            let asked = pipeline::remote_privileges(&env.context(&ops, None), &privileges, &plugin)
                .with_context(|| {
                    format!("cannot compute the privileges of plugin {}", plugin.full)
                })?;
            (asked, format!("plugin {}", plugin.full))
        }
        (None, None) => anyhow::bail!("name a plugin, or give --config FILE"),
    };
    let mut printer = Printer::new(config.json);
    if asked.is_empty() && !printer.is_json() {
        eprintln!("{subject} asks for no privileges");
    }
    for privilege in &asked {
        printer.result(privilege, || human(privilege))?;
    }
    Ok(Outcome::Success)
}

/// One privilege as `docker plugin install` shows it: `NAME: [VALUE ...]`.
fn human(privilege: &Privilege) -> String {
    format!("{}: [{}]", privilege.name, privilege.value.join(" "))
}
