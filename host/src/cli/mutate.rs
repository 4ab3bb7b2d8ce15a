//! `ocipipe image mutate SRC DST`: an image's config and annotations
//! changed without a rebuild, written through copy's one path.

use super::args::MutateArgs;
use super::copy::{CopyEnv, location, platform};
use super::output::Printer;
use super::{Config, Outcome, progress};
use crate::model::ConfigEdits;
use crate::pipeline::{self, Location, Mutation, Operations};

pub(super) fn run(config: &Config, args: MutateArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(args.jobs > 0, "--jobs must be at least 1");
    let components = config.components()?;
    let progress = progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let from = location(ops.tagging, &args.source)?;
    let to = location(ops.tagging, &args.destination)?;
    let platform = platform(&ops, args.platform.as_deref())?;
    let mutation = mutation(&args, config.source_date_epoch)?;
    let needs_engine = [&from, &to]
        .iter()
        .any(|l| matches!(l, Location::Daemon(_)));
    let env = CopyEnv::new(config, needs_engine, args.jobs)?;
    let ctx = env.context(&ops, platform);
    let edited = pipeline::mutate(&ctx, &from, &to, &mutation)?;
    let mut printer = match &to {
        Location::Archive { path, .. } => Printer::beside_output(config.json, path),
        _ => Printer::new(config.json),
    };
    let copied = &edited.copied;
    printer.result(&edited, || {
        let id = copied.digest.as_ref().or(copied.image_id.as_ref());
        format!(
            "{} {}",
            copied.destination,
            id.map(|d| d.as_str()).unwrap_or("")
        )
    })?;
    Ok(Outcome::Success)
}

/// The edits the flags ask for. The history entry names the edit (not
/// the locations), so the same edit of the same image gives the same
/// digest wherever it is written.
fn mutation(args: &MutateArgs, source_date_epoch: Option<i64>) -> anyhow::Result<Mutation> {
    let mut said = vec!["ocipipe image mutate".to_string()];
    let mut flag = |name: &str, values: &[String]| {
        for v in values {
            said.push(format!("--{name}={v}"));
        }
    };
    flag("env", &args.env);
    flag("env-rm", &args.env_rm);
    flag("label", &args.label);
    flag("label-rm", &args.label_rm);
    flag("entrypoint", args.entrypoint.as_slice());
    flag("cmd", args.cmd.as_slice());
    flag("user", args.user.as_slice());
    flag("workdir", args.workdir.as_slice());
    flag("expose", &args.expose);
    Ok(Mutation {
        config: ConfigEdits {
            env: args.env.clone(),
            env_remove: args.env_rm.clone(),
            labels: pairs("--label", &args.label, true)?,
            label_remove: args.label_rm.clone(),
            entrypoint: args.entrypoint.clone(),
            cmd: args.cmd.clone(),
            user: args.user.clone(),
            working_dir: args.workdir.clone(),
            exposed_ports: args.expose.clone(),
            created: args.created.or(source_date_epoch),
            created_by: Some(said.join(" ")),
        },
        annotations: pairs("--annotation", &args.annotation, false)?,
        index_annotations: pairs("--index-annotation", &args.index_annotation, false)?,
    })
}

/// `KEY=value` arguments as pairs; `KEY` alone is an empty value where
/// `bare` (as `docker build --label KEY`), refused elsewhere.
fn pairs(flag: &str, given: &[String], bare: bool) -> anyhow::Result<Vec<(String, String)>> {
    given
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None if bare => Ok((kv.to_string(), String::new())),
            None => anyhow::bail!("{flag} {kv:?}: write it as KEY=VALUE"),
        })
        .collect()
}
