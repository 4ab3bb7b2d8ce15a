//! The `ocipipe` command line: parse arguments, resolve them into a
//! [`Config`] (the only place that reads the environment), run a command,
//! print results. Uses `anyhow` at this edge only.

mod append;
mod args;
mod artifact;
mod component;
mod component_call;
mod component_kit;
mod contract;
mod copy;
mod image;
mod index;
mod mutate;
mod output;
mod plugin;
mod plugin_build;
mod progress;
mod refs;
mod sync;
mod tag;

pub use args::Cli;

use crate::runtime::{
    Allocation, CompileCache, Components, Declaration, Limits, Runtime, Source, operations,
};
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
    /// `DOCKER_API_VERSION`, and TLS from `DOCKER_TLS_VERIFY` and
    /// `DOCKER_CERT_PATH` (default `~/.docker`), as the docker CLI reads them.
    pub docker_connect: crate::docker::ConnectOptions,
    /// Compile cache directory; `None` disables caching.
    pub cache_dir: Option<PathBuf>,
    /// Per-call component limits.
    pub limits: Limits,
    /// Component files replacing built-in ones, by operation; a
    /// `docker://` one is fetched into a file before any command runs.
    pub components: Vec<(String, PathBuf)>,
    /// Where fetched components live when there is no compile cache.
    fetched: Option<std::sync::Arc<tempfile::TempDir>>,
    /// `SOURCE_DATE_EPOCH`, when set: the time written into images (0
    /// when unset) and artifacts (none when unset).
    pub source_date_epoch: Option<i64>,
    /// `OCIPIPE_CHECK_CONTRACT=1`: every component call is checked
    /// against the command's entry in the contract table (`contract`).
    pub check_contract: bool,
    /// The Docker config: `$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`.
    pub docker_config: PathBuf,
    /// Registries spoken to in plain HTTP besides loopback.
    pub insecure_registries: Vec<String>,
    /// What TLS to registries trusts: docker's and the containers tools'
    /// certs.d, and `SSL_CERT_FILE` / `SSL_CERT_DIR` as extra roots.
    pub registry_tls: crate::registry::TlsSettings,
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
        let mut components = Vec::new();
        for ComponentOverride { operation, path } in &cli.components {
            if operations::named(operation).is_none() {
                anyhow::bail!(
                    "--component {operation}=…: no such operation (this version runs: {})",
                    args::operation_names()
                );
            }
            components.push((operation.clone(), path.clone()));
        }
        let source_date_epoch = match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(v) if !v.is_empty() => Some(v.trim().parse().with_context(|| {
                format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds since 1970")
            })?),
            _ => None,
        };
        Ok(Self {
            json: cli.json,
            docker_host: cli.docker_host.clone(),
            docker_connect: docker_connect(),
            cache_dir,
            limits,
            components,
            fetched: None,
            source_date_epoch,
            check_contract: std::env::var_os("OCIPIPE_CHECK_CONTRACT").is_some_and(|v| v == "1"),
            docker_config: docker_config(),
            insecure_registries: cli.insecure_registries.clone(),
            registry_tls: registry_tls(),
        })
    }

    /// Connects to the engine this config names.
    pub async fn engine(&self) -> Result<crate::docker::Engine, crate::docker::Error> {
        crate::docker::Engine::connect(&self.docker_host, &self.docker_connect).await
    }

    /// A single-threaded async runtime and the engine, connected on it:
    /// for commands that only talk to the engine.
    pub(crate) fn connect(
        &self,
    ) -> anyhow::Result<(tokio::runtime::Runtime, crate::docker::Engine)> {
        let runtime = async_runtime()?;
        let engine = runtime.block_on(self.engine())?;
        Ok((runtime, engine))
    }

    /// The runtime for this config, its instances from a pool.
    pub fn runtime(&self) -> anyhow::Result<Arc<Runtime>> {
        self.runtime_with(Allocation::Pool)
    }

    fn runtime_with(&self, allocation: Allocation) -> anyhow::Result<Arc<Runtime>> {
        let cache = self.cache_dir.as_ref().map(CompileCache::new);
        Ok(Arc::new(
            Runtime::with_allocation(self.limits.clone(), cache, allocation)
                .context("cannot start the wasm runtime")?,
        ))
    }

    /// Where `operation`'s components come from: every `--component`
    /// file given for it, in order, the first outermost (each that
    /// delegates runs over the next, the last over the built-in); none:
    /// the built-in one.
    fn chain(&self, operation: &Declaration) -> Vec<Source> {
        self.components
            .iter()
            .filter(|(op, _)| op == operation.name)
            .map(|(_, path)| Source::File(path.clone()))
            .collect()
    }

    /// The registry of this command's components, each from where
    /// `--component` says, in a fresh runtime.
    pub fn components(&self) -> anyhow::Result<Components> {
        self.components_with(Allocation::Pool)
    }

    /// [`Self::components`] for a command that makes `calls` calls and
    /// exits: up to [`FEW_CALLS`], without an instance pool, which would
    /// cost more to make than it saves them.
    pub fn components_for_calls(&self, calls: usize) -> anyhow::Result<Components> {
        self.components_with(match calls <= FEW_CALLS {
            true => Allocation::OnDemand,
            false => Allocation::Pool,
        })
    }

    fn components_with(&self, allocation: Allocation) -> anyhow::Result<Components> {
        Ok(Components::chained(
            self.runtime_with(allocation)?,
            |operation| self.chain(operation),
        ))
    }
}

/// Most calls a process makes for which an instance pool is not worth
/// making: the pool costs about as much as 6 calls save with it
/// ([`Allocation`]).
const FEW_CALLS: usize = 4;

/// How to reach the engine besides its address, from the environment the
/// docker CLI reads: `DOCKER_API_VERSION`; `DOCKER_TLS_VERIFY` (any
/// non-empty value) with `DOCKER_CERT_PATH`, else `~/.docker`.
fn docker_connect() -> crate::docker::ConnectOptions {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let tls = set("DOCKER_TLS_VERIFY").map(|_| {
        set("DOCKER_CERT_PATH")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
            .unwrap_or_else(|| PathBuf::from(".docker"))
    });
    crate::docker::ConnectOptions {
        api_version: set("DOCKER_API_VERSION"),
        tls,
    }
}

/// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`, as the
/// docker CLI reads it.
fn docker_config() -> PathBuf {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
        .unwrap_or_else(|| PathBuf::from(".docker"));
    dir.join("config.json")
}

/// The certs.d directories (docker's, then the containers tools'), and
/// the extra roots OpenSSL's variables name: `SSL_CERT_FILE` (a PEM file)
/// and `SSL_CERT_DIR` (directories, `:`-separated; a missing one is
/// skipped). Unlike OpenSSL, they add to the system's roots instead of
/// replacing them.
fn registry_tls() -> crate::registry::TlsSettings {
    let mut extra_roots = Vec::new();
    if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
        extra_roots.push(crate::registry::ExtraRoots {
            origin: "SSL_CERT_FILE".into(),
            path: file.into(),
            directory: false,
        });
    }
    if let Some(dirs) = std::env::var_os("SSL_CERT_DIR") {
        for dir in std::env::split_paths(&dirs).filter(|d| !d.as_os_str().is_empty()) {
            extra_roots.push(crate::registry::ExtraRoots {
                origin: "SSL_CERT_DIR".into(),
                path: dir,
                directory: true,
            });
        }
    }
    crate::registry::TlsSettings {
        extra_roots,
        ..Default::default()
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

/// A usage error found once the arguments are resolved: exit 2, as clap's.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

/// Runs the parsed command line: refuses a `--component` the command has
/// no use for, and, when the contract is checked, fails a command that
/// called a component function its contract does not list.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let mut config = Config::resolve(&cli)?;
    let entry = contract::entry(contract::key(&cli.command));
    if let Some(refusal) = contract::unused_override(entry, &config.components) {
        return Err(UsageError(refusal).into());
    }
    if config.check_contract {
        crate::runtime::contract::declare(contract::FETCH.command, contract::FETCH.calls);
    }
    component::fetch_remote(&mut config, cli.allow_unpinned)?;
    if config.check_contract {
        crate::runtime::contract::declare(entry.command, entry.calls);
    }
    let outcome = dispatch(&config, cli.command);
    match crate::runtime::contract::violation() {
        Some(bug) if config.check_contract => Err(anyhow::anyhow!(bug)),
        _ => outcome,
    }
}

/// Runs the command.
fn dispatch(config: &Config, command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Ref(cmd) => refs::run(config, cmd),
        Command::Tag(cmd) => tag::run(config, cmd),
        Command::Image(cmd) => image::run(config, cmd),
        Command::Index(cmd) => index::run(config, cmd),
        Command::Copy(args) => copy::run(config, args),
        Command::Sync(args) => sync::run(config, args),
        Command::Login(args) => copy::login(config, args),
        Command::Logout(args) => copy::logout(config, args),
        Command::Artifact(cmd) => artifact::run(config, cmd),
        Command::Compose(cmd) => artifact::compose(config, cmd),
        Command::Component(args::ComponentCommand::Kit(cmd)) => component_kit::run(config, cmd),
        Command::Component(args::ComponentCommand::Call {
            operation,
            function,
            args,
        }) => component_call::call(config, &operation, &function, &args),
        Command::Component(args::ComponentCommand::Test {
            file,
            expect_differ,
        }) => component_call::test(config, &file, &expect_differ),
        Command::Component(cmd) => component::run(config, cmd),
        Command::Plugin(cmd) => plugin::run(config, cmd),
    }
}

/// A single-threaded tokio runtime for the commands that talk to the engine.
fn async_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs `future` on a fresh single-threaded runtime.
fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    Ok(async_runtime()?.block_on(future))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Operation as _;
    use clap::Parser as _;

    fn resolve(args: &[&str]) -> anyhow::Result<Config> {
        let cli =
            Cli::try_parse_from(["ocipipe"].iter().chain(args).chain(&["ref", "parse", "x"]))?;
        Config::resolve(&cli)
    }

    #[test]
    fn component_overrides_name_an_operation_of_the_table() {
        for operation in operations::ALL {
            let config = resolve(&["--component", &format!("{}=my.wasm", operation.name)]).unwrap();
            assert_eq!(
                config.components,
                [(operation.name.to_string(), PathBuf::from("my.wasm"))]
            );
        }
        let refused = resolve(&["--component", "privilege=my.wasm"])
            .unwrap_err()
            .to_string();
        assert!(refused.contains("no such operation"), "{refused}");
        assert!(refused.contains(&args::operation_names()), "{refused}");
    }

    #[test]
    fn overrides_of_an_operation_chain_in_order_and_others_stay_built_in() {
        let config = resolve(&[
            "--component",
            "tagging=first.wasm",
            "--component",
            "tagging=second.wasm",
        ])
        .unwrap();
        assert_eq!(
            config.chain(crate::runtime::Tagging::DECLARATION),
            [
                Source::File(PathBuf::from("first.wasm")),
                Source::File(PathBuf::from("second.wasm"))
            ]
        );
        assert_eq!(config.chain(crate::runtime::TarAssembly::DECLARATION), []);
    }
}
