//! The operation table: every operation the host runs as a component,
//! declared once.
//!
//! An operation's name is its WIT world in `wit/`, its guest crate
//! `components/<name>` (package `ocipipe-<name>`) and its key in
//! `--component NAME=PATH`. Everything else derives from this table:
//! `host/build.rs` embeds one built-in component per entry, `--component`
//! accepts and its help lists these names, and a host wrapper
//! ([`super::Operation`]) points at its entry, so loading, the compile
//! cache and error messages name the operation the same way.
//!
//! Adding an operation: one entry here (a `const` and its place in
//! [`ALL`]), its guest crate under `components/`, and its wrapper module in
//! `runtime` (bindings, conversions, the wrapper type).
//!
//! Must not: name anything outside this file but `std`: `host/build.rs`
//! compiles it on its own (`#[path]`), outside the crate.

/// One operation of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declaration {
    /// The WIT world, the guest crate's directory under `components/` and
    /// the `--component` key, e.g. `tar-assembly`.
    pub name: &'static str,
    /// What the operation decides, in a few words (for `--help`).
    pub summary: &'static str,
}

/// Image references: parsing, normalising, target lists, unique tags.
pub const TAGGING: Declaration = Declaration {
    name: "tagging",
    summary: "image references, target names, unique tags",
};

/// Layer tars, `docker load` archives, OCI layouts, unpacking changesets.
pub const TAR_ASSEMBLY: Declaration = Declaration {
    name: "tar-assembly",
    summary: "layer tars, archives and layouts, unpacking",
};

/// Image configs, manifests and indexes, platforms.
pub const MANIFEST_GENERATION: Declaration = Declaration {
    name: "manifest-generation",
    summary: "image configs, manifests, indexes, platforms",
};

/// The privileges a managed Docker plugin asks for, from its config.
pub const PRIVILEGES: Declaration = Declaration {
    name: "privileges",
    summary: "the privileges a managed plugin asks for",
};

/// Every operation, in the order `--help` lists them.
pub const ALL: &[Declaration] = &[TAGGING, TAR_ASSEMBLY, MANIFEST_GENERATION, PRIVILEGES];

impl Declaration {
    /// The file cargo writes for the guest crate `ocipipe-<name>`:
    /// `ocipipe_<name with _ for ->.wasm`.
    pub fn wasm_file(&self) -> String {
        format!("ocipipe_{}.wasm", self.name.replace('-', "_"))
    }
}

/// The operation named `name`, if the table has it.
pub fn named(name: &str) -> Option<&'static Declaration> {
    ALL.iter().find(|d| d.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (i, operation) in ALL.iter().enumerate() {
            assert!(ALL[..i].iter().all(|o| o.name != operation.name));
            assert_eq!(named(operation.name), Some(operation));
        }
        assert_eq!(named("no-such-operation"), None);
    }

    #[test]
    fn the_wasm_file_is_cargos_name_for_the_guest_crate() {
        assert_eq!(TAR_ASSEMBLY.wasm_file(), "ocipipe_tar_assembly.wasm");
    }
}
