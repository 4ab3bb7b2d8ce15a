//! `ocipipe component build [DIR]`: builds a crate into a `wasm32-wasip2`
//! component with the toolchain the machine has, as
//! `scripts/build-components` builds the built-ins:
//!
//! - rustup's toolchain with the `wasm32-wasip2` target installed (it
//!   brings its own linkers); else
//! - Debian's `rustc-web` with `-Z build-std` (`RUSTC_BOOTSTRAP=1`), the
//!   `wasm-component-ld` linker and `wasm-ld`, named by path, and
//!   wasi-libc.
//!
//! The paths, packages and versions are `scripts/lib/toolchain.sh`'s (a
//! test checks that they agree). A missing piece is named, with the
//! command that installs it.

use super::Error;
use crate::model::Digest;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The target a component is built for.
pub const TARGET: &str = "wasm32-wasip2";
/// Debian's compiler (package `rustc-web`): one with `-Z build-std`.
pub const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
/// Debian's cargo (package `cargo-web`).
pub const DEBIAN_CARGO: &str = "/usr/bin/cargo";
/// The standard library's sources (package `rust-web-src`).
pub const DEBIAN_STD_SRC: &str = "/usr/lib/rustlib/src/rust/library";
/// wasi-libc (package `wasi-libc`).
pub const WASI_LIBC_DIR: &str = "/usr/lib/wasm32-wasi";
/// Its C library, in [`WASI_LIBC_DIR`].
const WASI_LIBC: &str = "/usr/lib/wasm32-wasi/libc.a";
/// The `wasm-ld` that `wasm-component-ld` runs (package `lld-22`).
pub const WASM_LD: &str = "/usr/lib/llvm-22/bin/wasm-ld";
/// Debian's packages of the `build-std` route.
pub const DEBIAN_PACKAGES: [&str; 5] = [
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "lld-22",
    "wasi-libc",
];
/// The `wasm-component-ld` the project's setup installs.
pub const WASM_COMPONENT_LD_VERSION: &str = "0.5.21";

/// Where to look for the pieces, as the command line resolved it.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// `$OCIPIPE_WASM_COMPONENT_LD`: the linker to use.
    pub component_ld: Option<PathBuf>,
    /// `$PATH`.
    pub path: Option<OsString>,
    /// `$HOME` (for `~/.cargo/bin`).
    pub home: Option<PathBuf>,
    /// The checkout this binary was built from (its `target/tools`).
    pub checkout: Option<PathBuf>,
}

/// A toolchain that builds components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Toolchain {
    /// rustup's, with the target installed.
    Rustup {
        /// Its cargo.
        cargo: PathBuf,
        /// Its rustc.
        rustc: PathBuf,
    },
    /// Debian's `rustc-web` with `build-std`.
    Debian {
        /// The `wasm-component-ld` found.
        component_ld: PathBuf,
    },
}

/// The toolchain to build the crate in `dir` with, or what is missing.
pub fn find(dir: &Path, search: &Search) -> Result<Toolchain, Error> {
    if let Some(rustup) = rustup_with_target(dir) {
        return Ok(rustup);
    }
    let pieces = [
        (DEBIAN_RUSTC, "Debian's rustc", "rustc-web"),
        (DEBIAN_CARGO, "Debian's cargo", "cargo-web"),
        (
            DEBIAN_STD_SRC,
            "the standard library's sources",
            "rust-web-src",
        ),
        (WASM_LD, "wasm-ld", "lld-22"),
        (WASI_LIBC, "wasi-libc", "wasi-libc"),
    ];
    let missing: Vec<_> = pieces
        .into_iter()
        .filter(|(path, ..)| !Path::new(path).exists())
        .collect();
    match component_ld(search) {
        Some(component_ld) if missing.is_empty() => Ok(Toolchain::Debian { component_ld }),
        linker => Err(Error::Toolchain(refusal(&missing, linker.is_none()))),
    }
}

/// What is missing, by (path, what, Debian package), and whether the
/// linker is, with the commands that install them.
fn refusal(missing: &[(&str, &str, &str)], no_linker: bool) -> String {
    let mut named: Vec<_> = missing
        .iter()
        .map(|(path, what, _)| format!("{what} ({path})"))
        .collect();
    let mut how = Vec::new();
    if !missing.is_empty() {
        let packages: Vec<_> = missing.iter().map(|(.., package)| *package).collect();
        how.push(format!("apt-get install -y {}", packages.join(" ")));
    }
    if no_linker {
        named.push(
            "the wasm-component-ld linker (set OCIPIPE_WASM_COMPONENT_LD, or put it on PATH)"
                .into(),
        );
        how.push(format!(
            "cargo install --locked wasm-component-ld@{WASM_COMPONENT_LD_VERSION}"
        ));
    }
    format!(
        "cannot build a {TARGET} component: rustup has no {TARGET} target \
         (`rustup target add {TARGET}` installs it where rustup can download), and \
         Debian's route lacks {}. Install with: {}",
        named.join(", "),
        how.join(" && ")
    )
}

/// rustup's cargo and rustc for `dir`, when its toolchain has the target.
fn rustup_with_target(dir: &Path) -> Option<Toolchain> {
    let installed = run_for_output(
        Command::new("rustup")
            .args(["target", "list", "--installed"])
            .current_dir(dir),
    )?;
    if !installed.lines().any(|l| l.trim() == TARGET) {
        return None;
    }
    let which = |tool| {
        run_for_output(
            Command::new("rustup")
                .args(["which", tool])
                .current_dir(dir),
        )
    };
    Some(Toolchain::Rustup {
        cargo: PathBuf::from(which("cargo")?.trim()),
        rustc: PathBuf::from(which("rustc")?.trim()),
    })
}

/// A command's stdout, when it ran and succeeded.
fn run_for_output(command: &mut Command) -> Option<String> {
    let out = command.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The `wasm-component-ld` to link with: `$OCIPIPE_WASM_COMPONENT_LD`, else
/// the first on `PATH`, in `~/.cargo/bin`, in rustup's toolchain, or in the
/// checkout's `target/tools` (where `scripts/setup` builds it).
pub fn component_ld(search: &Search) -> Option<PathBuf> {
    if let Some(given) = &search.component_ld {
        return Some(given.clone());
    }
    const NAME: &str = "wasm-component-ld";
    let mut candidates: Vec<PathBuf> = search
        .path
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(NAME))
        .collect();
    candidates.extend(search.home.iter().map(|h| h.join(".cargo/bin").join(NAME)));
    if let Some(sysroot) = run_for_output(Command::new("rustc").args(["--print", "sysroot"])) {
        let lib = Path::new(sysroot.trim()).join("lib/rustlib");
        if let Ok(hosts) = std::fs::read_dir(&lib) {
            candidates.extend(hosts.flatten().map(|h| h.path().join("bin").join(NAME)));
        }
    }
    candidates.extend(search.checkout.iter().map(|c| {
        c.join(format!(
            "target/tools/wasm-component-ld-{WASM_COMPONENT_LD_VERSION}/bin/{NAME}"
        ))
    }));
    candidates.into_iter().find(|c| c.is_file())
}

/// What `component build` built.
#[derive(Debug, serde::Serialize)]
pub struct Built {
    /// The component.
    pub path: PathBuf,
    /// Its sha256 digest.
    pub digest: Digest,
}

/// Builds the crate in `dir` (release, [`TARGET`]) with `toolchain`,
/// cargo's output on stderr, and returns the component it made.
pub fn build(dir: &Path, toolchain: &Toolchain) -> Result<Built, Error> {
    let manifest = dir.join("Cargo.toml");
    let refused = |why: &str| Err(Error::Build(format!("{} {why}", dir.display())));
    if !dir.exists() {
        return refused("does not exist");
    }
    if !dir.is_dir() {
        return refused("is not a directory: give the crate's directory");
    }
    if !manifest.is_file() {
        return refused("has no Cargo.toml: not a crate");
    }
    let mut cargo = match toolchain {
        Toolchain::Rustup { cargo, rustc } => {
            let mut command = Command::new(cargo);
            command.env("RUSTC", rustc);
            command
        }
        Toolchain::Debian { component_ld } => {
            let mut command = Command::new(DEBIAN_CARGO);
            command
                .env("RUSTC", DEBIAN_RUSTC)
                .env("RUSTC_BOOTSTRAP", "1")
                .args(["-Z", "build-std=std,panic_abort", "--config"])
                .arg(format!(
                    "target.{TARGET}.linker={:?}",
                    component_ld.display().to_string()
                ))
                .arg("--config")
                .arg(format!(
                    "target.{TARGET}.rustflags=[\"-L\", \"{WASI_LIBC_DIR}\", \"-C\", \
                     \"link-arg=--wasm-ld-path={WASM_LD}\"]"
                ));
            command
        }
    };
    // A group of its own, which an interrupt of ocipipe stops whole
    // (`store::cleanup`): the build does not run on, and write a
    // component, after ocipipe has said it was interrupted.
    cargo
        .args(["build", "--release", "--target", TARGET, "--manifest-path"])
        .arg(&manifest)
        .stdin(Stdio::null())
        .stdout(std::io::stderr());
    let (mut child, registered) = crate::store::cleanup::spawn_child(&mut cargo)
        .map_err(|e| Error::Build(format!("cannot run cargo: {e}")))?;
    let status = child
        .wait()
        .map_err(|e| Error::Build(format!("cannot wait for cargo: {e}")))?;
    drop(registered);
    if !status.success() {
        return Err(Error::Build(format!(
            "cargo build of {} failed ({status}); its output is above",
            dir.display()
        )));
    }
    let path = artifact(&cargo_of(toolchain), &manifest)?;
    let (digest, _) = crate::store::files::hash_file(&path)
        .map_err(|e| Error::Build(format!("cannot read {}: {e}", path.display())))?;
    Ok(Built { path, digest })
}

fn cargo_of(toolchain: &Toolchain) -> PathBuf {
    match toolchain {
        Toolchain::Rustup { cargo, .. } => cargo.clone(),
        Toolchain::Debian { .. } => PathBuf::from(DEBIAN_CARGO),
    }
}

/// The `.wasm` a release build of the crate of `manifest` made: its target
/// directory as cargo resolves it, its library's name.
fn artifact(cargo: &Path, manifest: &Path) -> Result<PathBuf, Error> {
    let fail = |why: String| Error::Build(format!("cannot find the built component: {why}"));
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
            "--manifest-path",
        ])
        .arg(manifest)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| fail(format!("cannot run cargo metadata: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!("cargo metadata failed ({})", out.status)));
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| fail(format!("cargo metadata: {e}")))?;
    let target_dir = metadata["target_directory"]
        .as_str()
        .ok_or_else(|| fail("cargo metadata names no target directory".into()))?;
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let manifest = canonical(manifest);
    let lib = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| {
            p["manifest_path"]
                .as_str()
                .and_then(|m| canonical(Path::new(m)))
                == manifest
        })
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .find(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "cdylib"))
        })
        .and_then(|t| t["name"].as_str())
        .ok_or_else(|| {
            fail("the crate has no `cdylib` library (`crate-type = [\"cdylib\"]`)".into())
        })?;
    let path = Path::new(target_dir)
        .join(TARGET)
        .join("release")
        .join(format!("{}.wasm", lib.replace('-', "_")));
    if path.is_file() {
        Ok(path)
    } else {
        Err(fail(format!("{} is not there", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `scripts/lib/toolchain.sh` and this module name the same pieces.
    #[test]
    fn agrees_with_the_build_script() {
        let script = include_str!("../../../scripts/lib/toolchain.sh");
        let value = |name: &str| {
            script
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("toolchain.sh sets no {name}"))
                .to_string()
        };
        assert_eq!(value("debian_rustc"), DEBIAN_RUSTC);
        assert_eq!(value("debian_cargo"), DEBIAN_CARGO);
        assert_eq!(value("debian_std_src"), DEBIAN_STD_SRC);
        assert_eq!(value("wasi_libc_dir"), WASI_LIBC_DIR);
        assert_eq!(WASI_LIBC, format!("{WASI_LIBC_DIR}/libc.a"));
        assert_eq!(value("wasm_ld"), WASM_LD);
        assert_eq!(
            value("WASM_COMPONENT_LD_VERSION"),
            WASM_COMPONENT_LD_VERSION
        );
        assert_eq!(
            value("debian_packages"),
            format!("({})", DEBIAN_PACKAGES.join(" "))
        );
        // The script's own copy of the linker, where component_ld looks.
        assert!(script.contains(
            "\"$tools/wasm-component-ld-$WASM_COMPONENT_LD_VERSION/bin/wasm-component-ld\""
        ));
    }

    #[test]
    fn a_refusal_names_each_piece_and_its_install_command() {
        let message = refusal(
            &[
                (WASM_LD, "wasm-ld", "lld-22"),
                ("/usr/bin/cargo", "Debian's cargo", "cargo-web"),
            ],
            true,
        );
        assert!(message.contains("lacks wasm-ld (/usr/lib/llvm-22/bin/wasm-ld), Debian's cargo (/usr/bin/cargo), the wasm-component-ld linker"), "{message}");
        assert!(message.ends_with("Install with: apt-get install -y lld-22 cargo-web && cargo install --locked wasm-component-ld@0.5.21"), "{message}");
        let linker_only = refusal(&[], true);
        assert!(
            linker_only.ends_with("Install with: cargo install --locked wasm-component-ld@0.5.21"),
            "{linker_only}"
        );
    }

    #[test]
    fn the_given_linker_comes_first() {
        let search = Search {
            component_ld: Some("/opt/ld".into()),
            ..Search::default()
        };
        assert_eq!(component_ld(&search), Some(PathBuf::from("/opt/ld")));
    }
}
