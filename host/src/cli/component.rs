//! Components as OCI artifacts: `ocipipe component push REF FILE.wasm`,
//! and `--component OPERATION=docker://REF@sha256:…` fetching one before
//! a command runs.
//!
//! A fetched component is pinned by the digest of its manifest (unless
//! `--allow-unpinned`), its layer verified against its digest, and kept
//! by that digest (in the compile cache's `components/`). It then runs
//! exactly as a local file does: the same sandbox and limits, and the
//! runtime refuses it before any call unless it implements the
//! operation's world.

use super::args::ComponentCommand;
use super::copy::CopyEnv;
use super::output::Printer;
use super::{Config, Outcome, progress};
use crate::model::ComponentWorld;
use crate::pipeline::{self, Operations};
use crate::runtime::Components;
use anyhow::Context as _;
use std::path::Path;
use std::sync::Arc;

/// How a `--component` value names a registry.
const REGISTRY_TRANSPORT: &str = "docker://";

pub(super) fn run(config: &Config, cmd: ComponentCommand) -> anyhow::Result<Outcome> {
    let (reference, file) = match cmd {
        ComponentCommand::Push { reference, file } => (reference, file),
        ComponentCommand::Contract => return super::contract::print(config),
        _ => unreachable!("cli::run runs the other component commands"),
    };
    let components = config.components()?;
    let progress = progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let target = ops
        .tagging
        .push_target(&reference)
        .with_context(|| format!("{reference:?} is not a reference"))?;
    // A FIFO or stdin is read once, into a temporary copy: its world, its
    // config and its upload all read the same bytes.
    let spooled = crate::store::spool::copy_unless_rereadable(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let read = spooled.as_ref().map_or(file.as_path(), |s| s.path());
    let bytes = std::fs::read(read).with_context(|| format!("cannot read {}", file.display()))?;
    if let Some(what) = crate::runtime::not_a_component(&bytes) {
        anyhow::bail!("{}: {what}", file.display());
    }
    let wasm = components.runtime();
    let implemented = wasm.world_of(&file.display().to_string(), &bytes)?;
    let world = implemented.operation;
    let (imports, exports) = wasm
        .interfaces(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e:#}", file.display()))?;
    // The facts the wasm config document states; the component writes it.
    // The target is the version the file implements, not the host's.
    let facts = ComponentWorld {
        target: implemented.world_name(),
        imports,
        exports,
    };
    let env = CopyEnv::new(config, false, 4)?;
    let pushed = pipeline::push_component(&env.context(&ops, None), &target, read, &facts)?;
    // The digest alone on stdout, so that `D=$(ocipipe component push …)`
    // holds it; what was pushed where goes to stderr (or into `--json`).
    if !config.json {
        eprintln!("Pushed {} ({})", pushed.name, world.name);
    }
    let record = PushedComponent {
        pushed: &pushed,
        world: world.name,
    };
    Printer::new(config.json).result(&record, || pushed.digest.to_string())?;
    Ok(Outcome::Success)
}

/// What `component push --json` prints: the push, and the world of the
/// component.
#[derive(serde::Serialize)]
struct PushedComponent<'a> {
    #[serde(flatten)]
    pushed: &'a pipeline::PushedArtifact,
    /// The operation whose world it implements.
    world: &'static str,
}

/// Fetches every `--component OPERATION=docker://REF` into a local file,
/// refusing a reference without a digest unless `allow_unpinned`.
pub(super) fn fetch_remote(config: &mut Config, allow_unpinned: bool) -> anyhow::Result<()> {
    let remote: Vec<usize> = (0..config.components.len())
        .filter(|&i| remote_ref(&config.components[i].1).is_some())
        .collect();
    if remote.is_empty() {
        return Ok(());
    }
    // The built-in components read the references and manifests: a
    // component being fetched cannot decide how it is fetched.
    let components = Components::builtin(config.runtime()?);
    let progress = progress::for_run(config.json);
    let ops = Operations::new(&components, progress.as_ref())?;
    let dir = match &config.cache_dir {
        Some(cache) => cache.join("components"),
        None => {
            let temp = Arc::new(tempfile::tempdir().context("cannot make a temporary directory")?);
            let path = temp.path().to_path_buf();
            config.fetched = Some(temp);
            path
        }
    };
    let env = CopyEnv::new(config, false, 1)?;
    let ctx = env.context(&ops, None);
    for i in remote {
        let (operation, value) = &config.components[i];
        let given = remote_ref(value).expect("filtered").to_string();
        let reference = ops
            .tagging
            .normalize_with_default_tag(&given)
            .with_context(|| {
                format!("--component {operation}=docker://{given}: not a reference")
            })?;
        anyhow::ensure!(
            reference.digest.is_some() || allow_unpinned,
            "--component {operation}=docker://{given}: name the component by digest \
             (REF@sha256:…), or give --allow-unpinned to run whatever the tag names"
        );
        let path = pipeline::fetch_component(&ctx, &reference, &dir)
            .map_err(|e| anyhow::anyhow!("--component {operation}=docker://{given}: {e}"))?;
        config.components[i].1 = path;
    }
    Ok(())
}

/// The reference of a `--component` value naming a registry.
fn remote_ref(value: &Path) -> Option<&str> {
    value.to_str()?.strip_prefix(REGISTRY_TRANSPORT)
}

#[cfg(test)]
mod tests {
    use crate::runtime::{Limits, Runtime, operations};
    use std::path::Path;

    #[test]
    fn every_operation_of_the_table_is_recognised_by_its_world_and_version() {
        let wasm = Runtime::new(Limits::default(), None).unwrap();
        let guests = Path::new(env!("OCIPIPE_GUEST_DIR"));
        for operation in operations::ALL {
            let file = guests.join(operation.wasm_file());
            let bytes = std::fs::read(&file).unwrap();
            let implemented = wasm.world_of("built-in", &bytes).unwrap();
            assert_eq!(implemented.operation, operation);
            assert_eq!(implemented.version, crate::runtime::WIT_VERSION);
        }
        let old = std::fs::read(guests.join("old_tagging.wasm")).unwrap();
        let implemented = wasm.world_of("old", &old).unwrap();
        assert_eq!(implemented.world_name(), "ocipipe:image/tagging@0.1.0");
        let refused = wasm
            .world_of("not.wasm", b"\0asm\x01\0\0\0")
            .unwrap_err()
            .to_string();
        assert!(
            refused.starts_with("component not.wasm is not a valid ocipipe:image component"),
            "{refused}"
        );
    }
}
