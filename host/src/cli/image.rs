//! `ocipipe image …`: inspect, rm, ls, build, load, save, unpack.

use super::args::{BuildArgs, ImageCommand};
use super::output::Printer;
use super::{Config, Outcome, async_runtime};
use crate::docker::{ImageInfo, Removal};
use crate::model::{ConfigRequest, HostMachine, LayerOptions};
use crate::pipeline::{self, BuildOutput, BuildSpec, LayerInput, Operations};
use crate::runtime::{ManifestGeneration, Tagging, TarAssembly};
use crate::store::atomic::{Target, is_standard_output};
use crate::store::unpack::UnpackOptions;
use anyhow::Context as _;
use serde::Serialize;
use std::path::Path;

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

/// How an image in the engine is named where a file could be (skopeo's
/// transport name).
const ENGINE_TRANSPORT: &str = "docker-daemon:";

/// A closed pipe means a cut-short archive: an error, with the I/O error
/// left out of the chain so that `main` does not take it for a reader
/// that merely stopped reading lines.
fn cut_short(e: pipeline::Error, output: &str) -> anyhow::Error {
    if e.is_closed_pipe() {
        anyhow::anyhow!(
            "the reader of {output} closed it before the archive was complete; the archive is cut short"
        )
    } else {
        e.into()
    }
}

pub(super) fn run(config: &Config, cmd: ImageCommand) -> anyhow::Result<Outcome> {
    match cmd {
        ImageCommand::Build(args) => build(config, *args),
        ImageCommand::Mutate(args) => super::mutate::run(config, *args),
        ImageCommand::Append(args) => super::append::run(config, *args),
        ImageCommand::Unpack {
            archive,
            dir,
            image,
        } => unpack(config, &archive, &dir, image.as_deref()),
        ImageCommand::Inspect { refs } => inspect(config, &refs),
        ImageCommand::Push { refs } => push(config, &refs),
        ImageCommand::Exists { refs } => exists(config, &refs),
        ImageCommand::Rm {
            refs,
            force,
            ignore_missing,
        } => rm(config, &refs, force, ignore_missing),
        ImageCommand::Ls => ls(config),
        ImageCommand::Load { input, base } => load(config, &input, &base),
        ImageCommand::Save { refs, output } => save(config, &refs, &output),
    }
}

/// `image inspect`: what the engine knows of each image.
fn inspect(config: &Config, refs: &[String]) -> anyhow::Result<Outcome> {
    let mut printer = Printer::new(config.json);
    let names = engine_names(config, refs)?;
    let (runtime, engine) = config.connect()?;
    for (reference, name) in refs.iter().zip(&names) {
        let info = runtime.block_on(engine.inspect(name))?;
        printer.result(
            &Inspected {
                reference,
                info: &info,
            },
            || human_inspect(reference, &info),
        )?;
    }
    Ok(Outcome::Success)
}

/// `image push`: the engine pushes each image, named with the default
/// tag the tagging component gives.
fn push(config: &Config, refs: &[String]) -> anyhow::Result<Outcome> {
    let mut printer = Printer::new(config.json);
    let components = config.components()?;
    let tagging = components.get::<Tagging>()?;
    let references = refs
        .iter()
        .map(|r| {
            tagging
                .normalize_with_default_tag(r)
                .with_context(|| format!("{r:?} is not an image name"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (runtime, engine) = config.connect()?;
    let credentials = crate::registry::CredentialStore::new(config.docker_config.clone());
    let progress = super::progress::for_run(config.json);
    for reference in &references {
        let pushed = pipeline::push_through_engine(
            &runtime,
            &engine,
            &credentials,
            reference,
            pipeline::EnginePush::Image,
            progress.as_ref(),
        )?;
        print_pushed(&mut printer, reference, &pushed)?;
    }
    Ok(Outcome::Success)
}

/// `image exists`: whether the engine has each image; some failed when
/// one is absent.
fn exists(config: &Config, refs: &[String]) -> anyhow::Result<Outcome> {
    let mut printer = Printer::new(config.json);
    let names = engine_names(config, refs)?;
    let (runtime, engine) = config.connect()?;
    let mut outcome = Outcome::Success;
    for (reference, name) in refs.iter().zip(&names) {
        let exists = runtime.block_on(engine.exists(name))?;
        if !exists {
            outcome = Outcome::SomeFailed;
        }
        let record = serde_json::json!({ "reference": reference, "exists": exists });
        printer.result(&record, || {
            format!("{reference}: {}", if exists { "present" } else { "absent" })
        })?;
    }
    Ok(outcome)
}

/// `image rm`: untags and deletes each image in the engine.
fn rm(
    config: &Config,
    refs: &[String],
    force: bool,
    ignore_missing: bool,
) -> anyhow::Result<Outcome> {
    let mut printer = Printer::new(config.json);
    let names = engine_names(config, refs)?;
    let (runtime, engine) = config.connect()?;
    for (reference, name) in refs.iter().zip(&names) {
        let removal = match runtime.block_on(engine.remove(name, force)) {
            Err(crate::docker::Error::NotFound { .. }) if ignore_missing => Removal::default(),
            other => other?,
        };
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
    Ok(Outcome::Success)
}

/// `image ls`: the engine's images.
fn ls(config: &Config) -> anyhow::Result<Outcome> {
    let mut printer = Printer::new(config.json);
    let (runtime, engine) = config.connect()?;
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
    Ok(Outcome::Success)
}

/// `image load`: an archive (a file, or `-` for stdin) into the engine,
/// sending as placeholders the layers of `base` images it has.
fn load(config: &Config, input: &str, base: &[String]) -> anyhow::Result<Outcome> {
    let mut printer = Printer::new(config.json);
    let components = config.components()?;
    let progress = super::progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let (runtime, engine) = config.connect()?;
    let from = if input == "-" {
        pipeline::LoadInput::Stdin
    } else {
        pipeline::LoadInput::File(Path::new(input))
    };
    let loaded = pipeline::load(&ops, &runtime, &engine, from, base)?;
    #[derive(Serialize)]
    struct Loaded<'a> {
        input: &'a str,
        #[serde(flatten)]
        loaded: &'a pipeline::IncrementalLoad,
    }
    printer.result(
        &Loaded {
            input,
            loaded: &loaded,
        },
        || {
            let report = &loaded.report;
            report
                .names
                .iter()
                .map(|n| format!("Loaded image: {n}"))
                .chain(report.ids.iter().map(|i| format!("Loaded image ID: {i}")))
                .chain(
                    (loaded.bytes_skipped > 0)
                        .then(|| format!("Skipped {} bytes the engine had", loaded.bytes_skipped)),
                )
                .collect::<Vec<_>>()
                .join("\n")
        },
    )?;
    Ok(Outcome::Success)
}

/// `image save`: images from the engine into one archive file.
fn save(config: &Config, refs: &[String], output: &Path) -> anyhow::Result<Outcome> {
    let names = engine_names(config, refs)?;
    let (runtime, engine) = config.connect()?;
    let progress = super::progress::for_run(config.json);
    let shown = output.display().to_string();
    let bytes = pipeline::save(&runtime, &engine, &names, output, progress.as_ref())
        .map_err(|e| cut_short(e, &shown))?;
    #[derive(Serialize)]
    struct Saved<'a> {
        output: &'a Path,
        references: &'a [String],
        size: u64,
    }
    Printer::beside_output(config.json, output).result(
        &Saved {
            output,
            references: refs,
            size: bytes,
        },
        || format!("Saved {} ({bytes} bytes)", output.display()),
    )?;
    Ok(Outcome::Success)
}

/// One line for what the engine pushed as `reference`: its name, the
/// manifest digest and size.
pub(super) fn print_pushed(
    printer: &mut Printer,
    reference: &crate::model::Reference,
    pushed: &crate::docker::Pushed,
) -> std::io::Result<()> {
    let record = serde_json::json!({
        "name": reference.full,
        "digest": pushed.digest,
        "size": pushed.size,
    });
    printer.result(&record, || format!("{} {}", reference.full, pushed.digest))
}

/// What the engine is given for each name or ID, every one checked by the
/// tagging component before the engine is asked anything.
fn engine_names(config: &Config, refs: &[String]) -> anyhow::Result<Vec<String>> {
    let components = config.components()?;
    let tagging = components.get::<Tagging>()?;
    Ok(refs
        .iter()
        .map(|r| pipeline::engine_reference(tagging, r))
        .collect::<Result<_, _>>()?)
}

/// `image build`: one image from layers over a base, made once for every
/// output asked for (`-o`, `--oci-layout`, `--load`, `--push`).
fn build(config: &Config, args: BuildArgs) -> anyhow::Result<Outcome> {
    let components = config.components()?;
    let progress = super::progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let mut base_images = args.base.clone();
    // What the base's layers are read through (a registry's are downloaded
    // as the build reads them): kept until the build is done.
    let base_env;
    // `scratch` names no image: the tagging component says which base does.
    let from = match args.from.as_deref() {
        Some(from) if !ops.tagging.names_no_image(from)? => Some(from),
        _ => None,
    };
    let base = match from {
        None => None,
        Some(from) => {
            let location = super::copy::location(ops.tagging, from)?;
            if let pipeline::Location::Daemon(crate::model::AnyReference::Named(name)) = &location {
                // What the engine holds of the base need not be sent again.
                base_images.push(name.familiar.clone());
            }
            let platform = ops
                .manifest_generation
                .normalize_platform(args.platform.as_deref(), &HostMachine::current())?;
            let needs_engine = matches!(location, pipeline::Location::Daemon(_));
            base_env = super::copy::CopyEnv::new(config, needs_engine, 4)?;
            let base = pipeline::base_image(&base_env.context(&ops, Some(platform)), &location)
                .with_context(|| format!("cannot use {from} as the base image"))?;
            Some(std::sync::Arc::new(base))
        }
    };
    let spec = BuildSpec {
        layers: args.layers.iter().map(|p| layer_input(p)).collect(),
        config: config_request(config, &args, ops.manifest_generation)?,
        targets: args.tag.clone(),
        layer_options: LayerOptions {
            mtime: config.source_date_epoch.unwrap_or(0),
            keep_owner: args.keep_owner,
        },
        base,
        base_as_stored: false,
    };
    let async_rt;
    let engine;
    // Every output asked for; the layers are made once for all of them.
    let mut outputs = file_outputs(&args)?;
    if args.load {
        async_rt = async_runtime()?;
        engine = async_rt.block_on(config.engine())?;
        let output = BuildOutput::Load {
            runtime: &async_rt,
            engine: &engine,
            base: base_images,
        };
        outputs.push((output, config.docker_host.clone()));
    }
    let push_env = match args.push {
        true => Some(super::copy::CopyEnv::new(config, false, 4)?),
        false => None,
    };
    let push_ctx = push_env.as_ref().map(|env| env.context(&ops, None));
    let push = push_ctx.as_ref().map(|ctx| pipeline::PushOutput {
        ctx,
        compression: args.compression.layers(),
    });
    // Which output an error names: the only one, or all of them.
    let shown = match (outputs.as_slice(), args.push) {
        ([(_, only)], false) if only == "-" => "standard output".to_string(),
        ([(_, only)], false) => only.clone(),
        _ => "the outputs".to_string(),
    };
    // Asked before the build, which may replace the file at that path.
    let to_stdout = writes_to_stdout(args.output.as_deref());
    let (outputs, destinations): (Vec<_>, Vec<String>) = outputs.into_iter().unzip();
    let made =
        pipeline::build_outputs(&ops, &spec, outputs, push).map_err(|e| cut_short(e, &shown))?;
    print_built(config, to_stdout, &destinations, &made)?;
    Ok(Outcome::Success)
}

/// The archive and layout outputs of a build (`-o`, `--oci-layout`), each
/// with how a report names it.
fn file_outputs(args: &BuildArgs) -> anyhow::Result<Vec<(BuildOutput<'static>, String)>> {
    let mut outputs = Vec::new();
    if let Some(path) = &args.output {
        if path == "-" {
            let out = Box::new(std::io::stdout());
            outputs.push((
                BuildOutput::Stream(out, "standard output".into()),
                "-".into(),
            ));
        } else {
            let target =
                Target::resolve(Path::new(path)).with_context(|| format!("cannot write {path}"))?;
            let output = match target {
                Target::Replace(file) => BuildOutput::File(file),
                Target::Into(file) => BuildOutput::Stream(Box::new(file), path.clone()),
            };
            outputs.push((output, path.clone()));
        }
    }
    if let Some(dir) = &args.oci_layout {
        let shown = dir.display().to_string();
        outputs.push((BuildOutput::OciLayout(dir.clone()), shown));
    }
    Ok(outputs)
}

/// Whether the archive of `-o` goes to stdout: `-o -`, or a path to stdout
/// itself (`-o /dev/stdout`).
fn writes_to_stdout(output: Option<&str>) -> bool {
    output.is_some_and(|path| path == "-" || is_standard_output(Path::new(path)))
}

/// One report per output a build wrote (`destinations`, in the order of
/// `made.built`), then one per name it pushed; on stderr when the archive
/// went `to_stdout`.
fn print_built(
    config: &Config,
    to_stdout: bool,
    destinations: &[String],
    made: &pipeline::BuiltOutputs,
) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Record<'a> {
        output: &'a str,
        #[serde(flatten)]
        built: &'a pipeline::Built,
    }
    let mut printer = Printer::new(config.json);
    for (destination, built) in destinations.iter().zip(&made.built) {
        let record = Record {
            output: destination,
            built,
        };
        if to_stdout {
            // stdout holds the archive: reports go to stderr.
            eprintln!("{}", serde_json::to_string(&record)?);
            continue;
        }
        printer.result(&record, || {
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
    for name in &made.pushed {
        if to_stdout {
            eprintln!("{}", serde_json::to_string(name)?);
        } else {
            printer.result(name, || format!("Pushed {} {}", name.name, name.digest))?;
        }
    }
    Ok(())
}

fn unpack(
    config: &Config,
    input: &Path,
    dir: &Path,
    image: Option<&str>,
) -> anyhow::Result<Outcome> {
    let components = config.components()?;
    let engine_image = input
        .to_str()
        .and_then(|s| s.strip_prefix(ENGINE_TRANSPORT));
    let saved = match engine_image {
        Some(name) => {
            let name = pipeline::engine_reference(components.get::<Tagging>()?, name)?;
            let runtime = async_runtime()?;
            let engine = runtime.block_on(config.engine())?;
            Some(pipeline::EngineSource::save(&runtime, &engine, &[name])?)
        }
        None => None,
    };
    let from = match &saved {
        Some(source) => pipeline::UnpackFrom::Engine(source, input),
        None => pipeline::UnpackFrom::Path(input),
    };
    let unpack_with = pipeline::UnpackComponents {
        tar_assembly: components.get::<TarAssembly>()?,
        tagging: components.get::<Tagging>()?,
        manifest_generation: components.get::<ManifestGeneration>()?,
    };
    let report = pipeline::unpack(unpack_with, from, image, dir, &UnpackOptions::default())
        .with_context(|| format!("cannot unpack {} into {}", input.display(), dir.display()))?;
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
        archive: input,
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

/// A `--layer`: a directory, or a file (a tar or a gzip tar, told apart
/// by the pipeline once it knows the file can be read twice).
pub(super) fn layer_input(path: &Path) -> LayerInput {
    if path.is_dir() {
        LayerInput::Dir(path.to_path_buf())
    } else {
        LayerInput::File(path.to_path_buf())
    }
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
        created: Some(config.source_date_epoch.unwrap_or(0)),
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
