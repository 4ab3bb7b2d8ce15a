//! Builds the guest components the binary embeds (and the hostile fixtures
//! the tests load) by running `scripts/build-components`, then tells the
//! compiler where the `.wasm` files are.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.parent().unwrap().to_path_buf();
    for dir in [
        "wit",
        "components",
        "tests/fixtures",
        "scripts/build-components",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!("cargo:rerun-if-env-changed=OCIPIPE_WASM_TARGET_DIR");

    let target_dir = std::env::var_os("OCIPIPE_WASM_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/wasm"));
    build_guests(&root, &target_dir);

    let out = target_dir.join("wasm32-wasip2/release");
    for (crate_file, env) in [
        ("ocipipe_tagging.wasm", "OCIPIPE_TAGGING_WASM"),
        ("ocipipe_tar_assembly.wasm", "OCIPIPE_TAR_ASSEMBLY_WASM"),
        (
            "ocipipe_manifest_generation.wasm",
            "OCIPIPE_MANIFEST_GENERATION_WASM",
        ),
    ] {
        let wasm = out.join(crate_file);
        require(&wasm);
        println!("cargo:rustc-env={env}={}", wasm.display());
    }
    println!("cargo:rustc-env=OCIPIPE_GUEST_DIR={}", out.display());
}

/// Runs the guest build with a clean environment: the variables cargo sets
/// for this build script (target, flags, jobserver) must not leak into a
/// build for another target with another compiler.
fn build_guests(root: &Path, target_dir: &Path) {
    let mut cmd = Command::new("bash");
    cmd.arg(root.join("scripts/build-components"));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let keep = matches!(&*key, "CARGO_HOME" | "RUSTUP_HOME");
        if !keep
            && (key.starts_with("CARGO")
                || key.starts_with("RUST")
                || matches!(
                    &*key,
                    "TARGET" | "HOST" | "OUT_DIR" | "OPT_LEVEL" | "PROFILE" | "DEBUG" | "NUM_JOBS"
                ))
        {
            cmd.env_remove(&*key);
        }
    }
    cmd.env("OCIPIPE_WASM_TARGET_DIR", target_dir);
    // Anything on stdout would be read by cargo as build-script directives.
    cmd.stdout(std::io::stderr());
    let status = cmd.status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "building the wasm components failed ({s}); the output above says why \
             (a missing tool is named there, with the command that installs it)"
        ),
        Err(e) => panic!("cannot run scripts/build-components: {e}; run: ./dev setup"),
    }
}

fn require(path: &Path) {
    if !path.is_file() {
        panic!(
            "{} is missing after the component build; run: just build-components",
            path.display()
        );
    }
}
