//! `ocipipe image …`: inspect, rm, ls, build, load, save, unpack.

use super::args::{BuildArgs, ImageCommand};
use super::output::Printer;
use super::{Config, Outcome, async_runtime};
use crate::docker::{Engine, ImageInfo, Removal};
use crate::model::{ConfigRequest, HostMachine, LayerOptions};
use crate::pipeline::{self, BuildOutput, BuildSpec, LayerInput, Operations};
use crate::runtime::{ManifestGeneration, Tagging, TarAssembly};
use crate::store::unpack::stopgap_planner::StopgapPlanner;
use crate::store::unpack::{UnpackOptions, unpack_archive};
use anyhow::Context as _;
use serde::Serialize;
use std::path::{Path, PathBuf};

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
    let connect = || -> anyhow::Result<_> {
        let runtime = async_runtime()?;
        let engine = runtime.block_on(Engine::connect(&config.docker_host))?;
        Ok((runtime, engine))
    };
    let mut printer = Printer::new(config.json);
    match cmd {
        ImageCommand::Build(args) => return build(config, *args),
        ImageCommand::Unpack {
            archive,
            dir,
            image,
        } => return unpack(config, &archive, &dir, image.as_deref()),
        ImageCommand::Inspect { refs } => {
            let (runtime, engine) = connect()?;
            for reference in &refs {
                let info = runtime.block_on(engine.inspect(reference))?;
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
            let (runtime, engine) = connect()?;
            for reference in &refs {
                let removal = runtime.block_on(engine.remove(reference, force))?;
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
        ImageCommand::Ls => {
            let (runtime, engine) = connect()?;
            for image in runtime.block_on(engine.list())? {
                printer.result(&image, || {
                    let names = if image.repo_tags.is_empty() {
                        "<none>".to_string()
                    } else {
                        image.repo_tags.join(", ")
                    };
                    format!("{}  {:>12}  {names}", &image.id, image.size)
                })?;
            }
        }
        ImageCommand::Load { input, base } => {
            let (runtime, engine) = connect()?;
            let path = (input != "-").then(|| PathBuf::from(&input));
            let progress = super::progress::for_run(config.json);
            let loaded = match (&path, base.is_empty()) {
                (_, true) => pipeline::IncrementalLoad {
                    report: pipeline::load(&runtime, &engine, path.as_deref(), progress.as_ref())?,
                    bytes_skipped: 0,
                },
                (None, false) => {
                    anyhow::bail!("--base needs an archive file: stdin is streamed as it is")
                }
                (Some(file), false) => {
                    let wasm = config.runtime()?;
                    let (tagging, tar_assembly, manifest_generation) = (
                        config.component::<Tagging>(&wasm)?,
                        config.component::<TarAssembly>(&wasm)?,
                        config.component::<ManifestGeneration>(&wasm)?,
                    );
                    let ops = Operations {
                        tagging: &tagging,
                        tar_assembly: &tar_assembly,
                        manifest_generation: &manifest_generation,
                        progress: progress.as_ref(),
                    };
                    pipeline::load_incremental(&ops, &runtime, &engine, file, &base)?
                }
            };
            #[derive(Serialize)]
            struct Loaded<'a> {
                input: &'a str,
                #[serde(flatten)]
                loaded: &'a pipeline::IncrementalLoad,
            }
            printer.result(
                &Loaded {
                    input: &input,
                    loaded: &loaded,
                },
                || {
                    let report = &loaded.report;
                    report
                        .names
                        .iter()
                        .map(|n| format!("Loaded image: {n}"))
                        .chain(report.ids.iter().map(|i| format!("Loaded image ID: {i}")))
                        .chain((loaded.bytes_skipped > 0).then(|| {
                            format!("Skipped {} bytes the engine had", loaded.bytes_skipped)
                        }))
                        .collect::<Vec<_>>()
                        .join("\n")
                },
            )?;
        }
        ImageCommand::Save { refs, output } => {
            let (runtime, engine) = connect()?;
            let progress = super::progress::for_run(config.json);
            let bytes = pipeline::save(&runtime, &engine, &refs, &output, progress.as_ref())?;
            #[derive(Serialize)]
            struct Saved<'a> {
                output: &'a Path,
                references: &'a [String],
                size: u64,
            }
            printer.result(
                &Saved {
                    output: &output,
                    references: &refs,
                    size: bytes,
                },
                || format!("Saved {} ({bytes} bytes)", output.display()),
            )?;
        }
    }
    Ok(Outcome::Success)
}

fn build(config: &Config, args: BuildArgs) -> anyhow::Result<Outcome> {
    let wasm = config.runtime()?;
    let tagging = config.component::<Tagging>(&wasm)?;
    let tar_assembly = config.component::<TarAssembly>(&wasm)?;
    let manifest_generation = config.component::<ManifestGeneration>(&wasm)?;
    let progress = super::progress::for_run(config.json);
    let ops = Operations {
        tagging: &tagging,
        tar_assembly: &tar_assembly,
        manifest_generation: &manifest_generation,
        progress: progress.as_ref(),
    };
    let spec = BuildSpec {
        layers: args
            .layers
            .iter()
            .map(|p| layer_input(p))
            .collect::<anyhow::Result<_>>()?,
        config: config_request(config, &args, &manifest_generation)?,
        targets: args.tag.clone(),
        layer_options: LayerOptions {
            mtime: config.source_date_epoch,
            keep_owner: args.keep_owner,
        },
    };
    let async_rt;
    let engine;
    let (output, destination) = if let Some(path) = &args.output {
        if path == "-" {
            (
                BuildOutput::Stream(Box::new(std::io::stdout().lock())),
                "-".to_string(),
            )
        } else {
            (BuildOutput::File(PathBuf::from(path)), path.clone())
        }
    } else if let Some(dir) = &args.oci_layout {
        (
            BuildOutput::OciLayout(dir.clone()),
            dir.display().to_string(),
        )
    } else {
        async_rt = async_runtime()?;
        engine = async_rt.block_on(Engine::connect(&config.docker_host))?;
        (
            BuildOutput::Load {
                runtime: &async_rt,
                engine: &engine,
                base: args.base.clone(),
            },
            config.docker_host.clone(),
        )
    };
    let to_stdout = destination == "-";
    let built = pipeline::build(&ops, &spec, output)?;
    #[derive(Serialize)]
    struct Record<'a> {
        output: &'a str,
        #[serde(flatten)]
        built: &'a pipeline::Built,
    }
    let record = Record {
        output: &destination,
        built: &built,
    };
    if to_stdout {
        // stdout holds the archive: the report goes to stderr.
        eprintln!("{}", serde_json::to_string(&record)?);
    } else {
        Printer::new(config.json).result(&record, || {
            let mut lines = vec![format!("Built {} into {destination}", built.image_id)];
            lines.extend(built.repo_tags.iter().map(|t| format!("Tagged {t}")));
            if built.bytes_skipped > 0 {
                lines.push(format!(
                    "Skipped {} bytes the engine had",
                    built.bytes_skipped
                ));
            }
            lines.join("\n")
        })?;
    }
    Ok(Outcome::Success)
}

fn unpack(
    config: &Config,
    archive: &Path,
    dir: &Path,
    image: Option<&str>,
) -> anyhow::Result<Outcome> {
    // TODO(changesets): the tar-assembly component plans this once its WIT
    // lands; until then a stopgap planner in the host decides whiteouts.
    let planner = StopgapPlanner;
    let report = unpack_archive(archive, image, dir, &UnpackOptions::default(), &planner)
        .with_context(|| format!("cannot unpack {} into {}", archive.display(), dir.display()))?;
    #[derive(Serialize)]
    struct Record<'a> {
        archive: &'a Path,
        dir: &'a Path,
        layers: usize,
        entries: u64,
        whiteouts: u64,
        bytes: u64,
    }
    let record = Record {
        archive,
        dir,
        layers: report.layers,
        entries: report.entries,
        whiteouts: report.whiteouts,
        bytes: report.bytes,
    };
    Printer::new(config.json).result(&record, || {
        format!(
            "Unpacked {} layers ({} entries) into {}",
            report.layers,
            report.entries,
            dir.display()
        )
    })?;
    Ok(Outcome::Success)
}

/// A `--layer`: a directory, a gzip tar (by magic), or a tar.
fn layer_input(path: &Path) -> anyhow::Result<LayerInput> {
    let meta = std::fs::metadata(path).with_context(|| format!("--layer {}", path.display()))?;
    if meta.is_dir() {
        return Ok(LayerInput::Dir(path.to_path_buf()));
    }
    let mut magic = [0u8; 2];
    let n = std::io::Read::read(&mut std::fs::File::open(path)?, &mut magic)?;
    Ok(if n == 2 && magic == [0x1f, 0x8b] {
        LayerInput::TarGz(path.to_path_buf())
    } else {
        LayerInput::Tar(path.to_path_buf())
    })
}

/// The image config as the flags ask for it. Values go to the
/// manifest-generation component as given (it decides the command forms
/// and checks `KEY=value`); the platform is the one it normalises.
fn config_request(
    config: &Config,
    args: &BuildArgs,
    manifest_generation: &ManifestGeneration,
) -> anyhow::Result<ConfigRequest> {
    let platform = manifest_generation
        .normalize_platform(args.platform.as_deref(), &HostMachine::current())?;
    Ok(ConfigRequest {
        base: None,
        platform,
        diff_ids: Vec::new(),
        history: Vec::new(),
        created: Some(config.source_date_epoch),
        env: args.env.clone(),
        entrypoint: args.entrypoint.clone(),
        cmd: args.cmd.clone(),
        working_dir: args.workdir.clone(),
        user: args.user.clone(),
        // `--label KEY` without `=` is an empty value, as with `docker build`.
        labels: args
            .label
            .iter()
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                (k.to_string(), v.to_string())
            })
            .collect(),
        exposed_ports: args.expose.clone(),
    })
}

fn human_inspect(reference: &str, info: &ImageInfo) -> String {
    let mut lines = vec![
        reference.to_string(),
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
