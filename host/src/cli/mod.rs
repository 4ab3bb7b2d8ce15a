//! The `ocipipe` command line: parse arguments, resolve them into a
//! [`Config`] (the only place that reads the environment), run a command,
//! print results. Uses `anyhow` at this edge only.

mod args;
mod image;
mod output;
mod refs;
mod tag;

pub use args::Cli;

use crate::runtime::{self, CompileCache, Limits, Runtime, Source};
use anyhow::Context as _;
use args::{Command, ComponentOverride};
use std::path::PathBuf;
use std::sync::Arc;

/// Everything a command needs, resolved before any work starts.
#[derive(Debug, Clone)]
pub struct Config {
    /// Print JSON Lines instead of human lines.
    pub json: bool,
    /// Docker Engine address.
    pub docker_host: String,
    /// Compile cache directory; `None` disables caching.
    pub cache_dir: Option<PathBuf>,
    /// Per-call component limits.
    pub limits: Limits,
    /// A component file replacing the built-in tagging component.
    pub tagging: Option<PathBuf>,
}

impl Config {
    /// Resolves parsed arguments and the environment into a config.
    pub fn resolve(cli: &Cli) -> anyhow::Result<Self> {
        let defaults = Limits::default();
        let limits = Limits {
            memory_bytes: cli
                .component_memory_mib
                .map(|mib| mib.saturating_mul(1 << 20))
                .unwrap_or(defaults.memory_bytes),
            timeout: cli
                .component_timeout
                .map(|t| t.0)
                .unwrap_or(defaults.timeout),
            output_bytes: defaults.output_bytes,
        };
        let cache_dir = if cli.no_cache {
            None
        } else {
            cli.cache_dir.clone().or_else(default_cache_dir)
        };
        let mut tagging = None;
        for ComponentOverride { operation, path } in &cli.components {
            match operation.as_str() {
                "tagging" => tagging = Some(path.clone()),
                other => anyhow::bail!(
                    "--component {other}=…: no such operation (this version runs: tagging)"
                ),
            }
        }
        Ok(Self {
            json: cli.json,
            docker_host: cli.docker_host.clone(),
            cache_dir,
            limits,
            tagging,
        })
    }

    /// The runtime for this config.
    pub fn runtime(&self) -> anyhow::Result<Arc<Runtime>> {
        let cache = self.cache_dir.as_ref().map(CompileCache::new);
        Ok(Arc::new(
            Runtime::new(self.limits.clone(), cache).context("cannot start the wasm runtime")?,
        ))
    }

    /// The tagging component: the `--component tagging=…` file or the
    /// built-in one.
    pub fn tagging(&self, runtime: &Arc<Runtime>) -> Result<runtime::Tagging, runtime::Error> {
        let source = match &self.tagging {
            Some(path) => Source::File(path.clone()),
            None => Source::Builtin(runtime::builtin::TAGGING),
        };
        runtime.tagging(&source)
    }
}

/// `$XDG_CACHE_HOME/ocipipe`, else `$HOME/.cache/ocipipe`.
fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("ocipipe"))
}

/// What a command ended with: success, or some inputs were refused (the
/// refusals are already printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked.
    Success,
    /// At least one input was invalid; exit 1.
    SomeFailed,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let config = Config::resolve(&cli)?;
    match cli.command {
        Command::Ref(cmd) => refs::run(&config, cmd),
        Command::Tag(cmd) => tag::run(&config, cmd),
        Command::Image(cmd) => image::run(&config, cmd),
    }
}

/// A single-threaded tokio runtime for the commands that talk to the engine.
fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(rt.block_on(future))
}
