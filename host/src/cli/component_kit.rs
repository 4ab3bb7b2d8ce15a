//! The author's kit on the command line: `ocipipe component new OPERATION
//! DIR` (a crate from the operation's template, see [`crate::kit::template`])
//! and `ocipipe component build [DIR]` (a component from a crate, see
//! [`crate::kit::toolchain`]).

use super::output::Printer;
use super::{Config, Outcome};
use crate::kit::{template, toolchain};
use clap::Subcommand;
use std::path::PathBuf;

/// `ocipipe component new|build`.
#[derive(Debug, Subcommand)]
pub enum KitCommand {
    /// Make a new component crate in DIR (absent or empty) implementing
    /// OPERATION's world, every function delegating to the built-in; it
    /// builds and passes its tests as it is.
    New {
        /// The operation: tagging, tar-assembly, manifest-generation or
        /// privileges.
        operation: String,
        /// The directory; its last component is the crate's name.
        dir: PathBuf,
    },
    /// Build the crate in DIR (default: the current directory) into a
    /// wasm32-wasip2 component, with rustup's wasm32-wasip2 target or
    /// else Debian's rustc-web (`-Z build-std`); prints the path of the
    /// .wasm and its digest.
    Build {
        /// The crate's directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

pub(super) fn run(config: &Config, cmd: KitCommand) -> anyhow::Result<Outcome> {
    let mut printer = Printer::new(config.json);
    match cmd {
        KitCommand::New { operation, dir } => {
            let made = template::create(&operation, &dir, template::checkout().as_deref())?;
            if !config.json {
                eprintln!(
                    "Made the {} component crate {} in {}",
                    made.operation,
                    made.crate_name,
                    made.path.display()
                );
                if let Some(checkout) = &made.patched_from {
                    eprintln!(
                        "Its ocipipe-sdk and {} come from {} ([patch.crates-io] in Cargo.toml: \
                         this ocipipe was built there).",
                        template::template(made.operation)?.core,
                        checkout.display()
                    );
                }
                eprintln!("Next: see {}", made.path.join("README.md").display());
            }
            printer.result(&made, || made.path.display().to_string())?;
        }
        KitCommand::Build { dir } => {
            // The environment is read here, once, before any work.
            let search = toolchain::Search {
                component_ld: std::env::var_os("OCIPIPE_WASM_COMPONENT_LD")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from),
                path: std::env::var_os("PATH"),
                home: std::env::var_os("HOME").map(PathBuf::from),
                checkout: template::checkout(),
            };
            let found = toolchain::find(&dir, &search)?;
            let built = toolchain::build(&dir, &found)?;
            printer.result(&built, || {
                format!("{}\n{}", built.path.display(), built.digest)
            })?;
        }
    }
    Ok(Outcome::Success)
}
