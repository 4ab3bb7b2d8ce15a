//! `ocipipe image inspect|rm`.

use super::args::ImageCommand;
use super::output::Printer;
use super::{Config, Outcome, block_on};
use crate::docker::{Engine, ImageInfo, Removal};
use serde::Serialize;

#[derive(Serialize)]
struct Inspected<'a> {
    reference: &'a str,
    #[serde(flatten)]
    info: &'a ImageInfo,
}

#[derive(Serialize)]
struct Removed<'a> {
    reference: &'a str,
    #[serde(flatten)]
    removal: &'a Removal,
}

pub(super) fn run(config: &Config, cmd: ImageCommand) -> anyhow::Result<Outcome> {
    block_on(async {
        let engine = Engine::connect(&config.docker_host).await?;
        let mut printer = Printer::new(config.json);
        match cmd {
            ImageCommand::Inspect { refs } => {
                for reference in &refs {
                    let info = engine.inspect(reference).await?;
                    printer.result(
                        &Inspected {
                            reference,
                            info: &info,
                        },
                        || human_inspect(reference, &info),
                    )?;
                }
            }
            ImageCommand::Rm { refs, force } => {
                for reference in &refs {
                    let removal = engine.remove(reference, force).await?;
                    printer.result(
                        &Removed {
                            reference,
                            removal: &removal,
                        },
                        || {
                            removal
                                .untagged
                                .iter()
                                .map(|n| format!("Untagged: {n}"))
                                .chain(removal.deleted.iter().map(|d| format!("Deleted: {d}")))
                                .collect::<Vec<_>>()
                                .join("\n")
                        },
                    )?;
                }
            }
        }
        Ok(Outcome::Success)
    })?
}

fn human_inspect(reference: &str, info: &ImageInfo) -> String {
    let mut lines = vec![
        format!("{reference}"),
        format!("  id:       {}", info.id),
        format!("  tags:     {}", info.repo_tags.join(", ")),
    ];
    if let (Some(os), Some(arch)) = (&info.os, &info.architecture) {
        lines.push(format!("  platform: {os}/{arch}"));
    }
    if let Some(created) = &info.created {
        lines.push(format!("  created:  {created}"));
    }
    if let Some(size) = info.size {
        lines.push(format!("  size:     {size} bytes"));
    }
    lines.join("\n")
}
