//! `ocipipe index create|append|filter`: multi-platform indexes, written
//! through copy's one path.

use super::args::{IndexCommand, IndexCreateArgs, IndexFilterArgs};
use super::copy::{CopyEnv, location};
use super::output::Printer;
use super::{Config, Outcome, progress};
use crate::model::HostMachine;
use crate::pipeline::{self, Copied, Location, Operations};

pub(super) fn run(config: &Config, command: IndexCommand) -> anyhow::Result<Outcome> {
    let jobs = match &command {
        IndexCommand::Create(args) | IndexCommand::Append(args) => args.jobs,
        IndexCommand::Filter(args) => args.jobs,
    };
    anyhow::ensure!(jobs > 0, "--jobs must be at least 1");
    let components = config.components()?;
    let progress = progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let copied = match command {
        IndexCommand::Create(args) => create(config, &ops, args, false)?,
        IndexCommand::Append(args) => create(config, &ops, args, true)?,
        IndexCommand::Filter(args) => filter(config, &ops, args)?,
    };
    Printer::new(config.json).result(&copied, || {
        let digest = copied.digest.as_ref().map(|d| d.as_str()).unwrap_or("");
        format!("{} {digest}", copied.destination)
    })?;
    Ok(Outcome::Success)
}

/// An index keeps no image of the engine or of an archive: it goes to a
/// registry or a layout.
fn index_target(to: &Location, given: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        matches!(to, Location::Registry(_) | Location::Layout { .. }),
        "{given}: an index goes to docker:// or oci: (docker-daemon: and docker-archive: hold one image)"
    );
    Ok(())
}

fn create(
    config: &Config,
    ops: &Operations<'_>,
    args: IndexCreateArgs,
    append: bool,
) -> anyhow::Result<Copied> {
    let to = location(ops.tagging, &args.destination)?;
    index_target(&to, &args.destination)?;
    let sources = (args.sources.iter())
        .map(|s| location(ops.tagging, s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let annotations = (args.annotation.iter())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => anyhow::bail!("--annotation {kv:?}: write it as KEY=VALUE"),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let needs_engine = sources.iter().any(|l| matches!(l, Location::Daemon(_)));
    let env = CopyEnv::new(config, needs_engine, args.jobs)?;
    let ctx = env.context(ops, None);
    let existing = append.then_some(&to);
    Ok(pipeline::index_create(
        &ctx,
        existing,
        &sources,
        &to,
        &annotations,
    )?)
}

fn filter(config: &Config, ops: &Operations<'_>, args: IndexFilterArgs) -> anyhow::Result<Copied> {
    let from = location(ops.tagging, &args.source)?;
    let to = location(ops.tagging, &args.destination)?;
    index_target(&to, &args.destination)?;
    let platforms = (args.platform.iter())
        .map(|spec| {
            ops.manifest_generation
                .normalize_platform(Some(spec), &HostMachine::current())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let env = CopyEnv::new(config, false, args.jobs)?;
    let ctx = pipeline::CopyContext {
        platforms,
        ..env.context(ops, None)
    };
    Ok(pipeline::index_filter(&ctx, &from, &to)?)
}
