//! `ocipipe tag`.

use super::args::TagArgs;
use super::output::Printer;
use super::{Config, Outcome, block_on};
use crate::pipeline;
use crate::runtime::Tagging;
use serde::Serialize;

/// One result line per name given to the image.
#[derive(Serialize)]
struct Record<'a> {
    source: &'a str,
    target: &'a str,
    familiar: &'a str,
}

pub(super) fn run(config: &Config, args: TagArgs) -> anyhow::Result<Outcome> {
    let components = config.components()?;
    let tagging = components.get::<Tagging>()?;
    let plan = if args.unique {
        pipeline::plan_unique_tag(tagging, &args.source, &args.targets)?
    } else {
        pipeline::plan_tags(tagging, &args.source, &args.targets)?
    };
    block_on(async {
        let engine = config.engine().await?;
        pipeline::apply_tags(&engine, &plan).await
    })??;
    let targets = plan.targets;
    let mut printer = Printer::new(config.json);
    for target in &targets {
        let record = Record {
            source: &args.source,
            target: &target.full,
            familiar: &target.familiar,
        };
        printer.result(&record, || target.full.clone())?;
    }
    Ok(Outcome::Success)
}
