//! `ocipipe copy SRC DST`, `ocipipe login`, `ocipipe logout`: images
//! between skopeo's transports, and the credentials registries take.

use super::args::{CopyArgs, LoginArgs, LogoutArgs};
use super::output::Printer;
use super::{Config, Outcome, async_runtime, progress};
use crate::model::{AnyReference, HostMachine};
use crate::pipeline::{self, CopyContext, Location, Operations, RegistryAccess};
use crate::registry::{self, Credential, Registry};
use crate::runtime::Tagging;
use anyhow::Context as _;
use std::io::Read as _;
use std::path::PathBuf;

/// The transports, as skopeo names them.
const TRANSPORTS: &str = "docker://, docker-daemon:, docker-archive:, oci:";

/// Reads `docker://REF`, `docker-daemon:NAME`, `docker-archive:PATH[:NAME]`
/// or `oci:PATH[:TAG]`; references are normalised by the tagging component.
pub(super) fn location(tagging: &Tagging, arg: &str) -> anyhow::Result<Location> {
    let named = |reference: &str| {
        tagging
            .normalize_with_default_tag(reference)
            .with_context(|| format!("{arg}: {reference:?} is not an image reference"))
    };
    if let Some(reference) = arg.strip_prefix("docker://") {
        return Ok(Location::Registry(named(reference)?));
    }
    if let Some(reference) = arg.strip_prefix("docker-daemon:") {
        // An image ID names an image to save; a name gets `latest`, as the
        // engine would save every tag of a bare name.
        let any = tagging
            .parse_any_reference(reference)
            .with_context(|| format!("{arg}: {reference:?} is not an image name or ID"))?;
        return Ok(Location::Daemon(match any {
            AnyReference::Id(id) => AnyReference::Id(id),
            AnyReference::Named(_) => AnyReference::Named(named(reference)?),
        }));
    }
    // skopeo splits PATH from NAME at the first colon.
    if let Some(rest) = arg.strip_prefix("docker-archive:") {
        let (path, name) = split_path(rest);
        anyhow::ensure!(
            !path.is_empty(),
            "{arg}: no archive path (docker-archive:PATH[:NAME])"
        );
        return Ok(Location::Archive {
            path: PathBuf::from(path),
            name: name.map(named).transpose()?,
        });
    }
    if let Some(rest) = arg.strip_prefix("oci:") {
        let (path, tag) = split_path(rest);
        anyhow::ensure!(!path.is_empty(), "{arg}: no layout path (oci:PATH[:TAG])");
        return Ok(Location::Layout {
            path: PathBuf::from(path),
            tag: tag.map(str::to_string),
        });
    }
    anyhow::bail!(
        "{arg:?} names no transport: write it as one of {TRANSPORTS} (e.g. docker://{arg})"
    )
}

/// The platform `--platform` names (`os/arch[/variant]`), as the
/// manifest-generation component normalises it.
pub(super) fn platform(
    ops: &Operations<'_>,
    spec: Option<&str>,
) -> anyhow::Result<Option<crate::model::Platform>> {
    Ok(spec
        .map(|spec| {
            ops.manifest_generation
                .normalize_platform(Some(spec), &HostMachine::current())
        })
        .transpose()?)
}

pub(super) fn split_path(rest: &str) -> (&str, Option<&str>) {
    match rest.split_once(':') {
        Some((path, name)) if !name.is_empty() => (path, Some(name)),
        Some((path, _)) => (path, None),
        None => (rest, None),
    }
}

/// What a copy runs on: an async runtime, the engine when a location is
/// in it, and how registries are reached.
pub(super) struct CopyEnv {
    runtime: tokio::runtime::Runtime,
    engine: Option<crate::docker::Engine>,
    access: RegistryAccess,
}

impl CopyEnv {
    /// The runtime (two workers: several blobs at once), the engine when
    /// `needs_engine`, registries with `jobs` blobs at once.
    pub(super) fn new(config: &Config, needs_engine: bool, jobs: usize) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let engine = if needs_engine {
            Some(runtime.block_on(config.engine())?)
        } else {
            None
        };
        Ok(Self {
            runtime,
            engine,
            access: access(config, jobs)?,
        })
    }

    /// [`Self::new`], each registry host of `budgets` (as the user names
    /// it) held to its budget.
    pub(super) fn with_budgets(
        config: &Config,
        needs_engine: bool,
        jobs: usize,
        budgets: Vec<(String, registry::Budget)>,
    ) -> anyhow::Result<Self> {
        let mut env = Self::new(config, needs_engine, jobs)?;
        env.access.transports = env.access.transports.clone().with_budgets(budgets);
        Ok(env)
    }

    /// The context of a copy with `ops`, of one `platform` of an index.
    pub(super) fn context<'a>(
        &'a self,
        ops: &'a pipeline::Operations<'a>,
        platform: Option<crate::model::Platform>,
    ) -> CopyContext<'a> {
        CopyContext {
            ops,
            runtime: &self.runtime,
            engine: self.engine.as_ref(),
            access: &self.access,
            platforms: platform.into_iter().collect(),
            compression: None,
        }
    }
}

/// How registries are reached, from the config.
fn access(config: &Config, jobs: usize) -> anyhow::Result<RegistryAccess> {
    Ok(RegistryAccess::new(
        registry::CredentialStore::new(config.docker_config.clone()),
        config.insecure_registries.clone(),
        registry::Transports::new(
            registry::RetryPolicy::default(),
            config.registry_tls.clone(),
        )?,
        jobs,
    ))
}

pub(super) fn run(config: &Config, args: CopyArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(args.jobs > 0, "--jobs must be at least 1");
    let components = config.components()?;
    let progress = progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let from = location(ops.tagging, &args.source)?;
    let to = location(ops.tagging, &args.destination)?;
    let platform = platform(&ops, args.platform.as_deref())?;
    let needs_engine = [&from, &to]
        .iter()
        .any(|l| matches!(l, Location::Daemon(_)));
    let compression = args.compression.map(super::args::CompressionArg::layers);
    if compression.is_some() {
        check_compression(&from, &to)?;
    }
    let referrers = args.referrers || !args.referrer_types.is_empty();
    if referrers {
        check_referrers(&from, &to)?;
    }
    let env = CopyEnv::new(config, needs_engine, args.jobs)?;
    let ctx = CopyContext {
        compression,
        ..env.context(&ops, platform)
    };
    let mut copied = pipeline::copy(&ctx, &from, &to)?;
    if let (true, Location::Registry(source), Location::Registry(target), Some(digest)) =
        (referrers, &from, &to, copied.digest.clone())
    {
        let more = pipeline::copy_referrers(&ctx, source, target, &digest, &args.referrer_types)?;
        copied.referrers_copied = Some(more.copied);
        copied.bytes_sent += more.bytes_sent;
    }
    let mut printer = match &to {
        Location::Archive { path, .. } => Printer::beside_output(config.json, path),
        _ => Printer::new(config.json),
    };
    printer.result(&copied, || match &copied.digest {
        Some(digest) => format!("{} {digest}", copied.destination),
        None => format!(
            "{} {}",
            copied.destination,
            copied.image_id.as_ref().map(|d| d.as_str()).unwrap_or("")
        ),
    })?;
    Ok(Outcome::Success)
}

/// `--compression` is for layers stored uncompressed (in an archive, the
/// engine or a layout) going where blobs are kept as they are sent.
fn check_compression(from: &Location, to: &Location) -> anyhow::Result<()> {
    anyhow::ensure!(
        !matches!(from, Location::Registry(_)),
        "--compression: a registry's image is copied as it is; compress from \
         docker-archive:, docker-daemon: or oci:"
    );
    anyhow::ensure!(
        matches!(to, Location::Registry(_) | Location::Layout { .. }),
        "--compression: docker-archive: and docker-daemon: keep layers uncompressed; \
         compress for docker:// or oci:"
    );
    Ok(())
}

/// Referrers are listed and indexed by registries: both sides must be
/// one.
fn check_referrers(from: &Location, to: &Location) -> anyhow::Result<()> {
    anyhow::ensure!(
        matches!((from, to), (Location::Registry(_), Location::Registry(_))),
        "--referrers (and --referrer-type) copy referrers between registries: \
         both the source and the destination must be docker://"
    );
    Ok(())
}

/// The registry a login names: a host, or Docker Hub by default.
fn server(given: Option<&str>) -> (String, String) {
    let domain = given
        .map(|s| {
            // `docker login https://host/` is accepted: keep the host.
            let s = s
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            s.split('/').next().unwrap_or(s).to_string()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "docker.io".to_string());
    let key = registry::credential_key(&domain).to_string();
    (domain, key)
}

/// The longest password (or token) `--password-stdin` takes: registry
/// tokens are a few KiB (an ECR token about 3 KiB); more is a mistake
/// such as `yes | ocipipe login …`, refused before it fills memory.
const MAX_PASSWORD_BYTES: u64 = 16 << 10;

/// The password on standard input, its line ending taken off.
fn read_password() -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_PASSWORD_BYTES + 1)
        .read_to_end(&mut bytes)
        .context("cannot read the password from standard input")?;
    anyhow::ensure!(
        bytes.len() as u64 <= MAX_PASSWORD_BYTES,
        "the password on standard input is longer than {} KiB; give the password or token alone",
        MAX_PASSWORD_BYTES >> 10
    );
    let password = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("the password on standard input is not UTF-8"))?;
    let password = password.trim_end_matches(['\n', '\r']).to_string();
    anyhow::ensure!(
        !password.is_empty(),
        "the password on standard input is empty"
    );
    Ok(password)
}

pub(super) fn login(config: &Config, args: LoginArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        args.password_stdin,
        "give the password on standard input with --password-stdin (a password in the arguments would be seen by every user of this machine)"
    );
    let password = read_password()?;
    let (domain, key) = server(args.server.as_deref());
    let access = access(config, 1)?;
    // A config that cannot take the login is refused before the registry
    // is asked.
    access.credentials.config()?;
    let host = registry::api_host(&domain);
    let registry = Registry::new(
        host,
        registry::plain_http(host, &access.insecure),
        &key,
        access.credentials.clone(),
        Some(Credential::Basic {
            username: args.username.clone(),
            password: password.clone(),
        }),
        &access.transports,
    )?;
    async_runtime()?
        .block_on(registry.check_login())
        .map_err(|e| {
            // Only a 401 or 403 is a refusal of the credentials; a registry
            // that failed or never answered did not judge them.
            let context = match e.status() {
                Some(401 | 403) => {
                    format!("{domain} did not take the credentials of {}", args.username)
                }
                _ => format!("cannot log in to {domain}"),
            };
            anyhow::Error::new(e).context(context)
        })?;
    let stored = pipeline::store_login(&access.credentials, &key, &args.username, &password)?;
    let mut printer = Printer::new(config.json);
    let record = serde_json::json!({
        "server": key,
        "username": args.username,
        "config": access.credentials.path(),
        "helper": match &stored {
            pipeline::StoredLogin::Helper(program) => Some(program),
            pipeline::StoredLogin::Config => None,
        },
    });
    printer.result(&record, || format!("Login Succeeded ({key})"))?;
    Ok(Outcome::Success)
}

pub(super) fn logout(config: &Config, args: LogoutArgs) -> anyhow::Result<Outcome> {
    let (_, key) = server(args.server.as_deref());
    let store = registry::CredentialStore::new(config.docker_config.clone());
    let removed = pipeline::remove_login(&store, &key)?;
    let mut printer = Printer::new(config.json);
    let record = serde_json::json!({ "server": key, "removed": removed });
    printer.result(&record, || {
        if removed {
            format!("Removing login credentials for {key}")
        } else {
            format!("Not logged in to {key}")
        }
    })?;
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_from_names_at_the_first_colon_as_skopeo_does() {
        assert_eq!(split_path("img.tar"), ("img.tar", None));
        assert_eq!(split_path("img.tar:app:v1"), ("img.tar", Some("app:v1")));
        assert_eq!(split_path("dir:"), ("dir", None));
    }

    #[test]
    fn a_login_names_a_host_or_docker_hub() {
        assert_eq!(server(None).1, "https://index.docker.io/v1/");
        assert_eq!(server(Some("127.0.0.1:5000")).1, "127.0.0.1:5000");
        assert_eq!(server(Some("https://127.0.0.1:5000/")).1, "127.0.0.1:5000");
        assert_eq!(server(Some("docker.io")).1, "https://index.docker.io/v1/");
    }
}
