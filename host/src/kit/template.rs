//! `ocipipe component new OPERATION DIR`: a crate that implements the
//! operation's world of the WIT this ocipipe speaks, every function
//! delegating to the next implementation (the built-in), pinned to this
//! ocipipe's version of `ocipipe-sdk` and the operation's core crate.
//!
//! The template files live in `host/templates/` (outside `components/`,
//! whose workspace takes every directory as a member); the WIT is the
//! repository's `wit/`, the one copy, embedded as it is.

use super::Error;
use crate::store::files::StagedDir;
use std::path::{Path, PathBuf};

/// This ocipipe's version: the version of the crates a new crate pins.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One operation's template.
pub struct Template {
    /// The operation (= the world's name).
    pub operation: &'static str,
    /// Its core crate's package name, which a new crate depends on.
    pub core: &'static str,
    /// Its `src/lib.rs`.
    lib_rs: &'static str,
    /// A `component call` of one of its functions, for the README.
    example: &'static str,
}

/// The templates, one per operation of the runtime's table.
pub const TEMPLATES: [Template; 4] = [
    Template {
        operation: "tagging",
        core: "ocipipe-tagging-core",
        lib_rs: include_str!("../../templates/tagging/src/lib.rs"),
        example: r#"normalize-with-default-tag '["alpine"]'"#,
    },
    Template {
        operation: "tar-assembly",
        core: "ocipipe-tar-assembly-core",
        lib_rs: include_str!("../../templates/tar-assembly/src/lib.rs"),
        example: r#"omits-layers '["graph-driver"]'"#,
    },
    Template {
        operation: "manifest-generation",
        core: "ocipipe-manifest-generation-core",
        lib_rs: include_str!("../../templates/manifest-generation/src/lib.rs"),
        example: r#"layer-media-type '["gzip", "oci"]'"#,
    },
    Template {
        operation: "privileges",
        core: "ocipipe-privileges-core",
        lib_rs: include_str!("../../templates/privileges/src/lib.rs"),
        example: r#"compute-privileges '["{\"Network\": {\"Type\": \"host\"}}"]'"#,
    },
];

const CARGO_TOML: &str = include_str!("../../templates/Cargo.toml");
const README: &str = include_str!("../../templates/README.md");

/// The WIT of this version, as the repository has it: written into every
/// new crate, for reading (the bindings come from the core crate).
const WIT: [(&str, &str); 6] = [
    ("README.md", include_str!("../../../wit/README.md")),
    ("types.wit", include_str!("../../../wit/types.wit")),
    ("tagging.wit", include_str!("../../../wit/tagging.wit")),
    (
        "tar-assembly.wit",
        include_str!("../../../wit/tar-assembly.wit"),
    ),
    (
        "manifest-generation.wit",
        include_str!("../../../wit/manifest-generation.wit"),
    ),
    (
        "privileges.wit",
        include_str!("../../../wit/privileges.wit"),
    ),
];

/// The operations that have a template.
pub fn operation_names() -> Vec<&'static str> {
    TEMPLATES.iter().map(|t| t.operation).collect()
}

/// The template of `operation`.
pub fn template(operation: &str) -> Result<&'static Template, Error> {
    TEMPLATES
        .iter()
        .find(|t| t.operation == operation)
        .ok_or_else(|| Error::UnknownOperation(operation.to_string()))
}

/// The version of `ocipipe:image` the templates implement: the `package`
/// line of the WIT.
pub fn wit_version() -> &'static str {
    WIT[1]
        .1
        .lines()
        .find_map(|l| l.trim().strip_prefix("package ocipipe:image@"))
        .and_then(|v| v.strip_suffix(';'))
        .expect("wit/types.wit names its version")
}

/// What `component new` made.
#[derive(Debug, serde::Serialize)]
pub struct NewCrate {
    /// The operation whose world it implements.
    pub operation: &'static str,
    /// Its directory.
    pub path: PathBuf,
    /// Its crate name.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The checkout its crates are taken from (`[patch.crates-io]`), when
    /// this ocipipe was built from one.
    #[serde(skip)]
    pub patched_from: Option<PathBuf>,
}

/// Writes a new crate implementing `operation` into `dir` (absent or an
/// empty directory), whole or not at all. `checkout` is the repository
/// this ocipipe was built from, when it still has the crates: the new
/// crate takes them from there rather than from crates.io.
pub fn create(operation: &str, dir: &Path, checkout: Option<&Path>) -> Result<NewCrate, Error> {
    let template = template(operation)?;
    let crate_name = crate_name(dir)?;
    let write_err = |source| Error::Write {
        dir: dir.to_path_buf(),
        source,
    };
    let staged = StagedDir::new(dir).map_err(write_err)?;
    for (path, contents) in files(template, &crate_name, checkout) {
        let path = staged.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a file in the crate"))
            .and_then(|()| std::fs::write(&path, contents))
            .map_err(write_err)?;
    }
    staged.commit().map_err(write_err)?;
    Ok(NewCrate {
        operation: template.operation,
        path: dir.to_path_buf(),
        crate_name,
        patched_from: checkout.map(Path::to_path_buf),
    })
}

/// The files of a new crate named `crate_name`, by relative path.
pub fn files(
    template: &Template,
    crate_name: &str,
    checkout: Option<&Path>,
) -> Vec<(String, String)> {
    let lib = crate_name.replace('-', "_");
    let fill = |text: &str| {
        text.replace("{{crate}}", crate_name)
            .replace("{{lib}}", &lib)
            .replace("{{operation}}", template.operation)
            .replace("{{core}}", template.core)
            .replace("{{version}}", VERSION)
            .replace("{{wit}}", wit_version())
            .replace("{{example}}", template.example)
    };
    let mut cargo_toml = fill(CARGO_TOML);
    if let Some(checkout) = checkout {
        cargo_toml.push_str(&patch(template, checkout));
    }
    let mut files = vec![
        ("Cargo.toml".to_string(), cargo_toml),
        ("README.md".to_string(), fill(README)),
        ("src/lib.rs".to_string(), fill(template.lib_rs)),
        (".gitignore".to_string(), "/target\n".to_string()),
    ];
    for (name, text) in WIT {
        files.push((format!("wit/{name}"), text.to_string()));
    }
    files
}

/// The `[patch.crates-io]` that takes the crates from `checkout`.
fn patch(template: &Template, checkout: &Path) -> String {
    let components = checkout.join("components");
    let core_dir = components.join(format!("{}-core", template.operation));
    // TOML basic strings: a path's `\` and `"` escaped.
    let quoted = |p: &Path| format!("{:?}", p.display().to_string());
    format!(
        "\n# This ocipipe was built from the checkout {}: its crates, not\n\
         # crates.io's. Delete this section to use the published ones.\n\
         [patch.crates-io]\n\
         ocipipe-sdk = {{ path = {} }}\n\
         {} = {{ path = {} }}\n",
        checkout.display(),
        quoted(&components.join("sdk")),
        template.core,
        quoted(&core_dir),
    )
}

/// The checkout of this repository the binary was built from, when it is
/// still there with the crates of this version.
pub fn checkout() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let sdk = std::fs::read_to_string(root.join("components/sdk/Cargo.toml")).ok()?;
    let ours = format!("version = \"{VERSION}\"");
    sdk.lines()
        .any(|l| l.trim() == ours)
        .then(|| root.to_path_buf())
}

/// The crate name a directory gives: its last component, as cargo takes
/// it (ASCII letters, digits, `-` and `_`, not starting with a digit, not a
/// Rust keyword or a name cargo reserves).
pub fn crate_name(dir: &Path) -> Result<String, Error> {
    let name = std::path::absolute(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let refuse = |why| Error::CrateName {
        dir: dir.to_path_buf(),
        name: name.clone(),
        why,
    };
    if name.is_empty() {
        return Err(refuse("it is empty"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(refuse(
            "only ASCII letters, digits, `-` and `_` may be used",
        ));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(refuse("it must not start with a digit"));
    }
    if name.len() > 64 {
        return Err(refuse("it is longer than 64 characters"));
    }
    let snake = name.replace('-', "_");
    if RESERVED.contains(&snake.as_str()) {
        return Err(refuse("it is a Rust keyword or a name cargo reserves"));
    }
    // The crates it depends on, by package and by library name.
    let taken = TEMPLATES.iter().any(|t| {
        snake == t.core.replace('-', "_")
            || snake == format!("{}_core", t.operation.replace('-', "_"))
    });
    if taken || snake == "ocipipe_sdk" {
        return Err(refuse("it is the name of a crate it depends on"));
    }
    Ok(name)
}

/// Names cargo refuses for a package: Rust's keywords and the standard
/// crates' names.
const RESERVED: &[&str] = &[
    "abstract",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
    "alloc",
    "core",
    "std",
    "proc_macro",
    "test",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The crates a new crate pins are released at this ocipipe's version.
    #[test]
    fn the_crates_have_this_version() {
        let manifests = [
            include_str!("../../../components/sdk/Cargo.toml"),
            include_str!("../../../components/tagging-core/Cargo.toml"),
            include_str!("../../../components/tar-assembly-core/Cargo.toml"),
            include_str!("../../../components/manifest-generation-core/Cargo.toml"),
            include_str!("../../../components/privileges-core/Cargo.toml"),
        ];
        for manifest in manifests {
            let version = manifest.lines().find_map(|l| l.strip_prefix("version = "));
            assert_eq!(
                version,
                Some(format!("\"{VERSION}\"").as_str()),
                "{manifest}"
            );
            // The cores pin the SDK of the same version.
            if let Some(sdk) = manifest.lines().find(|l| l.starts_with("ocipipe-sdk = ")) {
                assert!(sdk.contains(&format!("version = \"={VERSION}\"")), "{sdk}");
            }
        }
        let cores: Vec<_> = TEMPLATES.iter().map(|t| t.core).collect();
        for (manifest, core) in manifests[1..].iter().zip(cores) {
            assert!(manifest.contains(&format!("name = \"{core}\"")), "{core}");
        }
    }

    #[test]
    fn the_wit_version_is_the_package_line() {
        assert_eq!(wit_version(), "0.3.0");
        for (name, text) in &WIT[1..] {
            assert!(text.starts_with("package ocipipe:image@0.3.0;"), "{name}");
        }
    }

    #[test]
    fn a_crate_name_is_the_last_component() {
        assert_eq!(
            crate_name(Path::new("/tmp/x/my-tagging")).unwrap(),
            "my-tagging"
        );
        assert_eq!(crate_name(Path::new("a_b2")).unwrap(), "a_b2");
        for bad in [
            "2fast",
            "my.tagging",
            "über",
            "test",
            "self",
            "std",
            "ocipipe-sdk",
            "tagging_core",
        ] {
            assert!(crate_name(Path::new(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_files_are_filled_in() {
        let t = template("privileges").unwrap();
        let files = files(t, "my-priv", Some(Path::new("/src/ocipipe")));
        for (path, text) in &files {
            assert!(!text.contains("{{"), "{path} keeps a placeholder");
        }
        let cargo = &files[0].1;
        assert!(cargo.contains("name = \"my-priv\""));
        assert!(cargo.contains(&format!("ocipipe-privileges-core = \"={VERSION}\"")));
        assert!(cargo.contains(
            "ocipipe-privileges-core = { path = \"/src/ocipipe/components/privileges-core\" }"
        ));
        assert!(
            files[1]
                .1
                .contains("target/wasm32-wasip2/release/my_priv.wasm")
        );
    }
}
