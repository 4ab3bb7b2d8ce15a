//! `ocipipe artifact push|pull|ls` and `ocipipe compose publish`: OCI
//! artifacts in registries. The manifest-generation component decides
//! what the files of each are (oras's and compose's media types and
//! annotations); this module only reads the command line.

use super::args::{ArtifactCommand, ArtifactPushArgs, ComposeCommand, OciVersionArg};
use super::copy::CopyEnv;
use super::output::Printer;
use super::{Config, Outcome, progress};
use crate::model::{ArtifactTool, Reference};
use crate::pipeline::{self, ArtifactInput, ArtifactPush, OciVersion, Operations};
use anyhow::Context as _;
use std::path::{Path, PathBuf};

pub(super) fn run(config: &Config, cmd: ArtifactCommand) -> anyhow::Result<Outcome> {
    let components = config.components()?;
    let progress = progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let env = CopyEnv::new(config, false, 4)?;
    let ctx = env.context(&ops, None);
    let named = |reference: &str| -> anyhow::Result<Reference> {
        ops.tagging
            .normalize_with_default_tag(reference)
            .with_context(|| format!("{reference:?} is not an artifact reference"))
    };
    let mut printer = Printer::new(config.json);
    match cmd {
        ArtifactCommand::Push(args) => {
            let target = ops
                .tagging
                .push_target(&args.reference)
                .with_context(|| format!("{:?} is not an artifact reference", args.reference))?;
            let subject = args.subject.as_deref().map(named).transpose()?;
            let spec = push_spec(config, &args, subject)?;
            let pushed = pipeline::push_artifact(&ctx, &target, &spec)?;
            print_pushed(&mut printer, &pushed)?;
        }
        ArtifactCommand::Pull { reference, output } => {
            let source = named(&reference)?;
            let pulled = pipeline::pull_artifact(&ctx, &source, &output)?;
            printer.result(&pulled, || {
                let names: Vec<&str> = pulled.files.iter().map(|f| f.name.as_str()).collect();
                format!(
                    "Pulled {} into {}: {}",
                    pulled.digest,
                    output.display(),
                    names.join(", ")
                )
            })?;
        }
        ArtifactCommand::Ls { reference } => {
            let subject = named(&reference)?;
            let referrers = pipeline::list_referrers(&ctx, &subject)?;
            // A malformed entry is left out and said, and the listing
            // still succeeds: what is listed is every referrer that can
            // be used, as docker and oras list what they can read.
            for why in &referrers.left_out {
                eprintln!(
                    "warning: {}: a referrer is left out, it is malformed: {}",
                    subject.full,
                    crate::model::one_line(why)
                );
            }
            for referrer in &referrers.listed {
                printer.result(referrer, || {
                    format!(
                        "{} {}",
                        referrer.digest,
                        referrer.artifact_type.as_deref().unwrap_or("-")
                    )
                })?;
            }
        }
    }
    Ok(Outcome::Success)
}

pub(super) fn compose(config: &Config, cmd: ComposeCommand) -> anyhow::Result<Outcome> {
    let ComposeCommand::Publish {
        reference,
        files,
        oci_version,
    } = cmd;
    let components = config.components()?;
    let progress = progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let env = CopyEnv::new(config, false, 4)?;
    let target = ops
        .tagging
        .push_target(&reference)
        .with_context(|| format!("{reference:?} is not a reference"))?;
    let files = files
        .iter()
        .map(|path| {
            Ok(ArtifactInput {
                path: path.clone(),
                name: base_name(path)?,
                media_type: None,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let spec = ArtifactPush {
        // The publishing tool's version is ocipipe's.
        tool: ArtifactTool::Compose(env!("CARGO_PKG_VERSION").to_string()),
        artifact_type: None,
        files,
        annotations: Vec::new(),
        created: config.source_date_epoch,
        subject: None,
        oci_version: oci_version.into(),
    };
    let pushed = pipeline::push_artifact(&env.context(&ops, None), &target, &spec)?;
    print_pushed(&mut Printer::new(config.json), &pushed)?;
    Ok(Outcome::Success)
}

/// The artifact `artifact push` describes.
fn push_spec(
    config: &Config,
    args: &ArtifactPushArgs,
    subject: Option<Reference>,
) -> anyhow::Result<ArtifactPush> {
    let files = args
        .files
        .iter()
        .map(|arg| {
            // FILE:MEDIATYPE, where a media type has a `/`; a colon
            // elsewhere is part of the path.
            let (path, media_type) = match arg.rsplit_once(':') {
                Some((path, media_type)) if media_type.contains('/') && !path.is_empty() => {
                    (path, Some(media_type.to_string()))
                }
                _ => (arg.as_str(), None),
            };
            let path = PathBuf::from(path);
            Ok(ArtifactInput {
                name: base_name(&path)?,
                path,
                media_type,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let annotations = args
        .annotations
        .iter()
        .map(|a| match a.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
            _ => anyhow::bail!("--annotation {a:?}: write it as KEY=VALUE"),
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(ArtifactPush {
        tool: ArtifactTool::Oras,
        artifact_type: Some(args.artifact_type.clone()),
        files,
        annotations,
        created: config.source_date_epoch,
        subject,
        oci_version: args.oci_version.into(),
    })
}

/// The last component of `path`, as text.
fn base_name(path: &Path) -> anyhow::Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .with_context(|| format!("{}: no file name", path.display()))
}

fn print_pushed(printer: &mut Printer, pushed: &pipeline::PushedArtifact) -> anyhow::Result<()> {
    printer.result(pushed, || {
        let mut line = format!(
            "Pushed {} {} (OCI {})",
            pushed.name, pushed.digest, pushed.oci_version
        );
        if let Some(reason) = &pushed.fallback_reason {
            line.push_str(&format!("; {reason}"));
        }
        line
    })?;
    Ok(())
}

impl From<OciVersionArg> for OciVersion {
    fn from(arg: OciVersionArg) -> Self {
        match arg {
            OciVersionArg::Auto => OciVersion::Auto,
            OciVersionArg::V1_1 => OciVersion::V1_1,
            OciVersionArg::V1_0 => OciVersion::V1_0,
        }
    }
}
