//! The component author's kit: a new component crate from the template of
//! an operation ([`template`], `ocipipe component new`) and building a crate
//! into a component with the toolchain the machine has ([`toolchain`],
//! `ocipipe component build`).
//!
//! It decides nothing about OCI: the templates delegate every function to
//! the built-in, and the toolchain is the one `scripts/build-components`
//! uses (`scripts/lib/toolchain.sh`; a test keeps the two in agreement).
//! Files are written through [`crate::store`].

pub mod template;
pub mod toolchain;

use std::path::PathBuf;

/// Why the kit could not make or build a crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operation has no template.
    #[error("no operation {0:?} (the operations: {list})", list = template::operation_names().join(", "))]
    UnknownOperation(String),
    /// The directory's name is not a crate name.
    #[error("{name:?} (the last component of {dir}) is not a valid crate name: {why}")]
    CrateName {
        /// The directory given.
        dir: PathBuf,
        /// Its last component.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The directory could not be written.
    #[error("cannot write {dir}: {source}")]
    Write {
        /// The directory given.
        dir: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A piece of the wasm toolchain is missing.
    #[error("{0}")]
    Toolchain(String),
    /// The build ran and failed, or left no component.
    #[error("{0}")]
    Build(String),
}
