//! `ocipipe plugin …`: managed Docker plugins. `privileges` reads a plugin
//! in a registry (or a config); `install` puts one into the engine with
//! only the privileges granted; `ls`, `rm`, `enable`, `disable` and `push`
//! act on the engine's plugins. (`build` is `plugin_build`.)

use super::args::{PluginCommand, PluginInstallArgs, PluginPrivilegesArgs};
use super::copy::CopyEnv;
use super::image::print_pushed;
use super::output::Printer;
use super::{Config, Outcome, progress};
use crate::docker::PluginInfo;
use crate::model::{Grants, Reference, one_line};
use crate::pipeline::{self, AskedPrivilege, ConfigInput, InstalledPlugin, Operations};
use crate::runtime::{Privileges, Tagging};
use anyhow::Context as _;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// How long the engine's client of a plugin waits for it, for the enable
/// that follows an install: `plugin enable`'s default, as docker's.
const ENABLE_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) fn run(config: &Config, cmd: PluginCommand) -> anyhow::Result<Outcome> {
    match cmd {
        PluginCommand::Privileges(args) => privileges(config, args),
        PluginCommand::Build(args) => super::plugin_build::build(config, args),
        PluginCommand::Install(args) => install(config, args),
        PluginCommand::Ls => list(config),
        PluginCommand::Rm { names, force } => remove(config, &names, force),
        PluginCommand::Enable { name, timeout } => {
            switch(config, &name, Switch::Enable(Duration::from_secs(timeout)))
        }
        PluginCommand::Disable { name, force } => switch(config, &name, Switch::Disable { force }),
        PluginCommand::Push { name } => push(config, &name),
    }
}

fn privileges(config: &Config, args: PluginPrivilegesArgs) -> anyhow::Result<Outcome> {
    let components = config.components()?;
    let privileges = components.get::<Privileges>()?;
    let (asked, subject) = match (&args.config, &args.reference) {
        (Some(path), _) => {
            let (input, name) = if path == Path::new("-") {
                (ConfigInput::Stdin, "standard input".to_string())
            } else {
                (ConfigInput::File(path), path.display().to_string())
            };
            let asked = pipeline::config_privileges(privileges, &input).with_context(|| {
                format!("cannot compute the privileges of the plugin config in {name}")
            })?;
            (asked, format!("the plugin config in {name}"))
        }
        (None, Some(reference)) => {
            let progress = progress::for_run(config.json);
            let ops = Operations::new(&components, progress.as_ref())?;
            let plugin = plugin_reference(ops.tagging, reference)?;
            let env = CopyEnv::new(config, false, 1)?;
            let asked = pipeline::remote_privileges(&env.context(&ops, None), privileges, &plugin)
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
        printer.result(privilege, || privilege.to_string())?;
    }
    Ok(Outcome::Success)
}

/// The plugin a registry reference names, normalised with the default tag.
fn plugin_reference(tagging: &Tagging, reference: &str) -> anyhow::Result<Reference> {
    tagging
        .normalize_with_default_tag(reference)
        .with_context(|| format!("{reference:?} is not a plugin reference"))
}

/// What `plugin install --json` prints: one object, also when privileges
/// were not granted (then `installed` is false, those privileges have
/// `granted` false, and what only an install tells is null).
#[derive(Serialize)]
struct Install<'a> {
    /// The plugin in its registry, normalised.
    reference: &'a str,
    /// Whether it was installed.
    installed: bool,
    /// Its name in the engine.
    name: Option<&'a str>,
    /// Its ID in the engine.
    id: Option<&'a str>,
    /// Whether it is enabled.
    enabled: bool,
    /// The manifest digest the engine pulled.
    digest: Option<&'a str>,
    /// Every privilege it asks for, in moby's order, each judged.
    privileges: &'a [AskedPrivilege],
}

impl<'a> Install<'a> {
    /// The record of `plugin` (named `alias`), `installed` or not.
    fn new(
        plugin: &'a Reference,
        alias: Option<&'a Reference>,
        installed: Option<&'a InstalledPlugin>,
        privileges: &'a [AskedPrivilege],
    ) -> Self {
        Self {
            reference: &plugin.full,
            installed: installed.is_some(),
            name: installed
                .map(|i| i.name.as_str())
                .or(alias.map(|a| a.familiar.as_str())),
            id: installed.map(|i| i.id.as_str()),
            enabled: installed.is_some_and(|i| i.enabled),
            digest: installed.and_then(|i| i.digest.as_deref()),
            privileges,
        }
    }
}

fn install(config: &Config, args: PluginInstallArgs) -> anyhow::Result<Outcome> {
    let components = config.components()?;
    let privileges = components.get::<Privileges>()?;
    let progress = progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let plugin = plugin_reference(ops.tagging, &args.reference)?;
    let alias = args
        .alias
        .as_deref()
        .map(|alias| pipeline::plugin_name(ops.tagging, alias))
        .transpose()
        .context("cannot use --alias")?;
    let grants = match args.grant_all {
        true => Grants::All,
        false => Grants::Names(args.grants.into_iter().collect()),
    };
    let env = CopyEnv::new(config, true, 1)?;
    let ctx = env.context(&ops, None);
    let asked = pipeline::remote_privileges(&ctx, privileges, &plugin)
        .with_context(|| format!("cannot compute the privileges of plugin {}", plugin.full))?;
    let asked = pipeline::judge(privileges, asked, &grants)?;
    let mut printer = Printer::new(config.json);
    if !asked.is_empty() {
        // On stdout, as `docker plugin install` lists them before its
        // prompt; with --json, the record holds them.
        printer.note(|| {
            let mut lines = vec![format!(
                "Plugin {:?} is requesting the following privileges:",
                plugin.full
            )];
            lines.extend(asked.iter().map(|asked| {
                let mark = if asked.granted { "" } else { " (not granted)" };
                format!(" - {}{mark}", asked.privilege)
            }));
            lines.join("\n")
        })?;
    }
    let request = pipeline::PluginInstall {
        reference: &plugin,
        alias: alias.as_ref(),
        enable: (!args.disable).then_some(ENABLE_TIMEOUT),
    };
    let installed = pipeline::install_plugin(&ctx, &request, &asked);
    match installed {
        Ok(installed) => {
            printer.result(
                &Install::new(&plugin, alias.as_ref(), Some(&installed), &asked),
                || {
                    let state = if installed.enabled { "" } else { " (disabled)" };
                    format!(
                        "Installed plugin {} as {}{state}",
                        plugin.full, installed.name
                    )
                },
            )?;
            Ok(Outcome::Success)
        }
        Err(e @ pipeline::Error::NotGranted { .. }) => {
            if printer.is_json() {
                printer.result(
                    &Install::new(&plugin, alias.as_ref(), None, &asked),
                    String::new,
                )?;
            }
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

fn list(config: &Config) -> anyhow::Result<Outcome> {
    let (runtime, engine) = config.connect()?;
    let mut printer = Printer::new(config.json);
    for plugin in runtime.block_on(engine.plugins())? {
        printer.result(&plugin, || human_plugin(&plugin))?;
    }
    Ok(Outcome::Success)
}

/// A plugin as a line: short ID, name, state, description.
fn human_plugin(plugin: &PluginInfo) -> String {
    let id = plugin.id.get(..12).unwrap_or(&plugin.id);
    let state = if plugin.enabled {
        "enabled"
    } else {
        "disabled"
    };
    format!(
        "{}  {}  {state}  {}",
        one_line(id),
        one_line(&plugin.name),
        one_line(&plugin.description)
    )
}

/// The engine's name for the plugin `name`, checked by the tagging
/// component before the engine is asked anything.
fn engine_name(tagging: &Tagging, name: &str) -> anyhow::Result<String> {
    pipeline::plugin_engine_name(tagging, name)
        .with_context(|| format!("{name:?} is not a plugin name or ID"))
}

fn remove(config: &Config, names: &[String], force: bool) -> anyhow::Result<Outcome> {
    let components = config.components()?;
    let tagging = components.get::<Tagging>()?;
    let engine_names = names
        .iter()
        .map(|name| engine_name(tagging, name))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (runtime, engine) = config.connect()?;
    let mut printer = Printer::new(config.json);
    for (name, engine_name) in names.iter().zip(&engine_names) {
        runtime.block_on(engine.remove_plugin(engine_name, force))?;
        let record = serde_json::json!({ "name": name, "removed": true });
        printer.result(&record, || format!("Removed plugin {name}"))?;
    }
    Ok(Outcome::Success)
}

/// What `plugin enable` and `plugin disable` do.
enum Switch {
    /// Start it, with this timeout for the engine's client of it.
    Enable(Duration),
    /// Stop it; `force` even while it is used.
    Disable { force: bool },
}

fn switch(config: &Config, name: &str, switch: Switch) -> anyhow::Result<Outcome> {
    let components = config.components()?;
    let tagging = components.get::<Tagging>()?;
    let engine_name = engine_name(tagging, name)?;
    let (runtime, engine) = config.connect()?;
    let enabled = match switch {
        Switch::Enable(timeout) => {
            runtime.block_on(engine.enable_plugin(&engine_name, timeout))?;
            true
        }
        Switch::Disable { force } => {
            runtime.block_on(engine.disable_plugin(&engine_name, force))?;
            false
        }
    };
    let record = serde_json::json!({ "name": name, "enabled": enabled });
    Printer::new(config.json).result(&record, || {
        let done = if enabled { "Enabled" } else { "Disabled" };
        format!("{done} plugin {name}")
    })?;
    Ok(Outcome::Success)
}

fn push(config: &Config, name: &str) -> anyhow::Result<Outcome> {
    let components = config.components()?;
    let tagging = components.get::<Tagging>()?;
    let reference = pipeline::plugin_name(tagging, name)
        .with_context(|| format!("{name:?} is not a plugin name to push"))?;
    let (runtime, engine) = config.connect()?;
    let credentials = crate::registry::CredentialStore::new(config.docker_config.clone());
    let progress = progress::for_run(config.json);
    let pushed = pipeline::push_through_engine(
        &runtime,
        &engine,
        &credentials,
        &reference,
        pipeline::EnginePush::Plugin,
        progress.as_ref(),
    )?;
    print_pushed(&mut Printer::new(config.json), &reference, &pushed)?;
    Ok(Outcome::Success)
}
