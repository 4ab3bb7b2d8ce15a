//! The operation table: every operation the host runs as a component,
//! declared once.
//!
//! An operation's name is its WIT world in `wit/`, its guest crate
//! `components/<name>` (package `ocipipe-<name>`) and its key in
//! `--component NAME=PATH`. Everything else derives from this table:
//! `host/build.rs` embeds one built-in component per entry and turns the
//! table into the macro `each_operation!`, from which `runtime` lists each
//! wrapper (where `component push` finds which world a file implements);
//! the registry of
//! loaded components (`runtime::Components`) has one slot per entry;
//! `--component` accepts and its help lists these names; the components
//! workspace takes every crate under `components/`.
//!
//! Adding an operation `NAME` (e.g. `signing`) is exactly these files:
//! 1. `wit/NAME.wit`: its interfaces and `world NAME`;
//! 2. `components/NAME-core/` (package `ocipipe-NAME-core`): its decisions, a native crate with tests,
//!    and the world's guest bindings, generated once there (`src/wit.rs`);
//! 3. `components/NAME/`: the guest crate `ocipipe-NAME`, implementing the
//!    core's `Guest` traits by calling the core and exporting them with the
//!    core's `export!`;
//! 4. one entry here (a `const` and its place in [`ALL`]);
//! 5. its wrapper `host/src/runtime/NAME_WITH_UNDERSCORES.rs`, the type
//!    [`Declaration::wrapper`] names with `bind!`, declared with its
//!    `mod`/`pub use` lines in `runtime/mod.rs`, one `answer` call per
//!    function; what an answer must be given its question in
//!    `runtime/checked/NAME_WITH_UNDERSCORES.rs` (with its `mod` line); and,
//!    only if its WIT declares records, variants or enums `model` lacks,
//!    their Rust types in `model`, of the WIT's shape, deriving wasmtime's
//!    component traits with the WIT's names (each answer type
//!    `impl Checked`).
//!
//! A missing world, crate or wrapper fails the build or a test of this
//! module, naming what is missing.
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

/// Image references: parsing, normalising, target lists, unique tags; which
/// tags a sync selects.
pub const TAGGING: Declaration = Declaration {
    name: "tagging",
    summary: "image references, target names, unique tags, tag filters",
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
        format!("ocipipe_{}.wasm", self.module())
    }

    /// The Rust module of the operation's wrapper: the name
    /// with `_` for `-`, e.g. `tar_assembly`.
    pub fn module(&self) -> String {
        self.name.replace('-', "_")
    }

    /// The wrapper type: the name in
    /// upper camel case, e.g. `TarAssembly`.
    pub fn wrapper(&self) -> String {
        self.name
            .split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or(String::new(), |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect()
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

    #[test]
    fn rust_names_follow_the_operation_name() {
        assert_eq!(TAR_ASSEMBLY.module(), "tar_assembly");
        assert_eq!(TAR_ASSEMBLY.wrapper(), "TarAssembly");
        assert_eq!(TAGGING.wrapper(), "Tagging");
    }

    /// The repository's file at `path` (relative to its root), read.
    fn repository_file(path: &str) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        std::fs::read_to_string(root.join(path))
            .unwrap_or_else(|e| panic!("the operation table needs {path}: {e}"))
    }

    #[test]
    fn every_operation_has_its_world_and_its_two_crates() {
        for operation in ALL {
            let name = operation.name;
            let wit = repository_file(&format!("wit/{name}.wit"));
            assert!(
                wit.lines().any(|l| l.trim() == format!("world {name} {{")),
                "wit/{name}.wit declares no `world {name}`"
            );
            let guest = repository_file(&format!("components/{name}/Cargo.toml"));
            assert!(
                guest.contains(&format!("name = \"ocipipe-{name}\"")),
                "components/{name} is not the crate ocipipe-{name}"
            );
            let core = repository_file(&format!("components/{name}-core/Cargo.toml"));
            assert!(
                core.contains(&format!("name = \"ocipipe-{name}-core\"")),
                "components/{name}-core is not the crate ocipipe-{name}-core"
            );
        }
    }
}
