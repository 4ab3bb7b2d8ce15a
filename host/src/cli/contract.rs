//! The contract between the commands and the components: for every
//! command (every leaf subcommand of `ocipipe`), the component functions
//! it may call. The one source of truth: `docs/contract.md`'s table is
//! this table as `ocipipe component contract` prints it (a test compares
//! them); a `--component` for an operation the command calls nothing of
//! is refused with it; and when `OCIPIPE_CHECK_CONTRACT=1` (the test
//! suites set it) every call is checked against it (`runtime::contract`),
//! so every test that runs the binary proves it.
//!
//! Must not: call a component, or be edited apart from the code paths it
//! describes (a new call on a command's path is a new line here).

use super::args::{
    ArtifactCommand, Command, ComponentCommand, ImageCommand, IndexCommand, PluginCommand,
    RefCommand,
};
use super::component_kit::KitCommand;
use crate::runtime::contract::Call;

/// One command's declaration: the functions it may call, as
/// (operation, interface, function).
#[derive(Debug)]
pub struct Entry {
    /// The command as typed, e.g. `ref normalize`.
    pub command: &'static str,
    /// What it may call.
    pub calls: &'static [Call],
}

/// Every function of `wit/tagging.wit`.
mod tagging {
    use super::Call;
    pub const PARSE: Call = ("tagging", "naming", "parse");
    pub const PARSE_NORMALIZED_NAMED: Call = ("tagging", "naming", "parse-normalized-named");
    pub const NORMALIZE_WITH_DEFAULT_TAG: Call =
        ("tagging", "naming", "normalize-with-default-tag");
    pub const PUSH_TARGET: Call = ("tagging", "naming", "push-target");
    pub const PARSE_TARGETS: Call = ("tagging", "naming", "parse-targets");
    pub const PARSE_ANY_REFERENCE: Call = ("tagging", "naming", "parse-any-reference");
    pub const NAMES_NO_IMAGE: Call = ("tagging", "naming", "names-no-image");
    pub const FIND_NAME: Call = ("tagging", "naming", "find-name");
    pub const UNIQUE_TAG: Call = ("tagging", "naming", "unique-tag");
    pub const CHECK_TAG_FILTER: Call = ("tagging", "tags", "check-tag-filter");
    pub const SELECT_TAGS: Call = ("tagging", "tags", "select-tags");
}

/// Every function of `wit/tar-assembly.wit`.
mod tar {
    use super::Call;
    pub const PLAN_LAYER: Call = ("tar-assembly", "layers", "plan-layer");
    pub const BLOB_ENTRY: Call = ("tar-assembly", "archives", "blob-entry");
    pub const PLAN_ARCHIVE: Call = ("tar-assembly", "archives", "plan-archive");
    pub const LAYERS_TO_OMIT: Call = ("tar-assembly", "archives", "layers-to-omit");
    pub const OMITS_LAYERS: Call = ("tar-assembly", "archives", "omits-layers");
    pub const PLAN_CHANGESET: Call = ("tar-assembly", "changesets", "plan-changeset");
}

/// Every function of `wit/manifest-generation.wit`.
mod manifests {
    use super::Call;
    const fn configs(function: &'static str) -> Call {
        ("manifest-generation", "configs", function)
    }
    const fn manifests(function: &'static str) -> Call {
        ("manifest-generation", "manifests", function)
    }
    pub const IMAGE_CONFIG: Call = configs("image-config");
    pub const NORMALIZE_PLATFORM: Call = configs("normalize-platform");
    pub const EDIT_CONFIG: Call = configs("edit-config");
    pub const CONFIG_PLATFORM: Call = configs("config-platform");
    pub const EDIT_MANIFEST: Call = manifests("edit-manifest");
    pub const EDIT_INDEX: Call = manifests("edit-index");
    pub const PLAN_INDEX: Call = manifests("plan-index");
    pub const FILTER_INDEX: Call = manifests("filter-index");
    pub const PLAN_ARTIFACT: Call = manifests("plan-artifact");
    pub const ARTIFACT_BLOBS: Call = manifests("artifact-blobs");
    pub const ARTIFACT_REFERRER: Call = manifests("artifact-referrer");
    pub const LAYER_MEDIA_TYPE: Call = manifests("layer-media-type");
    pub const IMAGE_LAYERS: Call = manifests("image-layers");
    pub const COPIED_BLOBS: Call = manifests("copied-blobs");
    pub const BASE_LAYER_AS_STORED: Call = manifests("base-layer-as-stored");
    pub const INDEX_ENTRIES: Call = manifests("index-entries");
    pub const COMPONENT_BLOBS: Call = manifests("component-blobs");
    pub const COMPONENT_LAYER: Call = manifests("component-layer");
    pub const IMAGE_MANIFEST: Call = manifests("image-manifest");
    pub const IMAGE_INDEX: Call = manifests("image-index");
    pub const ARTIFACT_MANIFEST: Call = manifests("artifact-manifest");
    pub const DOCKER_MANIFEST: Call = manifests("docker-manifest");
    pub const FALLBACK_FORM: Call = manifests("fallback-form");
    pub const ARTIFACT_FILE_NAMES: Call = manifests("artifact-file-names");
    pub const REFERRERS_TAG: Call = manifests("referrers-tag");
    pub const REFERRERS_INDEX: Call = manifests("referrers-index");
    pub const READ_REFERRERS: Call = manifests("read-referrers");
    pub const READ_MANIFEST: Call = manifests("read-manifest");
    pub const SELECT_PLATFORM: Call = manifests("select-platform");
    pub const LAYOUT_INDEX: Call = manifests("layout-index");
    pub const LAYOUT_ENTRY: Call = manifests("layout-entry");
    pub const LAYOUT_TAGS: Call = manifests("layout-tags");
    pub const LAYOUT_MARKER: Call = manifests("layout-marker");
}

/// Every function of `wit/privileges.wit`.
mod privileges {
    use super::Call;
    pub const COMPUTE_PRIVILEGES: Call = ("privileges", "plugins", "compute-privileges");
    pub const PLUGIN_CONFIG: Call = ("privileges", "plugins", "plugin-config");
    pub const WHY_NOT_A_PLUGIN: Call = ("privileges", "plugins", "why-not-a-plugin");
    pub const JUDGE_PRIVILEGES: Call = ("privileges", "plugins", "judge-privileges");
}

use manifests as mg;
use privileges as pv;
use tagging as tg;

/// Every function of every world: the declaration of a command that calls
/// whatever it is asked to (e.g. one running a component's functions
/// directly). A test checks it against the WIT.
pub const EVERY_FUNCTION: &[Call] = &[
    tg::PARSE,
    tg::PARSE_NORMALIZED_NAMED,
    tg::NORMALIZE_WITH_DEFAULT_TAG,
    tg::PUSH_TARGET,
    tg::PARSE_TARGETS,
    tg::PARSE_ANY_REFERENCE,
    tg::NAMES_NO_IMAGE,
    tg::FIND_NAME,
    tg::UNIQUE_TAG,
    tg::CHECK_TAG_FILTER,
    tg::SELECT_TAGS,
    tar::PLAN_LAYER,
    tar::BLOB_ENTRY,
    tar::PLAN_ARCHIVE,
    tar::LAYERS_TO_OMIT,
    tar::OMITS_LAYERS,
    tar::PLAN_CHANGESET,
    mg::IMAGE_CONFIG,
    mg::NORMALIZE_PLATFORM,
    mg::EDIT_CONFIG,
    mg::CONFIG_PLATFORM,
    mg::EDIT_MANIFEST,
    mg::EDIT_INDEX,
    mg::PLAN_INDEX,
    mg::FILTER_INDEX,
    mg::PLAN_ARTIFACT,
    mg::ARTIFACT_BLOBS,
    mg::ARTIFACT_REFERRER,
    mg::LAYER_MEDIA_TYPE,
    mg::IMAGE_LAYERS,
    mg::COPIED_BLOBS,
    mg::BASE_LAYER_AS_STORED,
    mg::INDEX_ENTRIES,
    mg::COMPONENT_BLOBS,
    mg::COMPONENT_LAYER,
    mg::IMAGE_MANIFEST,
    mg::IMAGE_INDEX,
    mg::ARTIFACT_MANIFEST,
    mg::DOCKER_MANIFEST,
    mg::FALLBACK_FORM,
    mg::ARTIFACT_FILE_NAMES,
    mg::REFERRERS_TAG,
    mg::REFERRERS_INDEX,
    mg::READ_REFERRERS,
    mg::READ_MANIFEST,
    mg::SELECT_PLATFORM,
    mg::LAYOUT_INDEX,
    mg::LAYOUT_ENTRY,
    mg::LAYOUT_TAGS,
    mg::LAYOUT_MARKER,
    pv::COMPUTE_PRIVILEGES,
    pv::PLUGIN_CONFIG,
    pv::WHY_NOT_A_PLUGIN,
    pv::JUDGE_PRIVILEGES,
];

/// What fetching a `--component OPERATION=docker://REF` calls, before any
/// command runs: always the built-in components (a component being
/// fetched cannot decide how it is fetched).
pub const FETCH: Entry = Entry {
    command: "(fetching --component OPERATION=docker://REF)",
    calls: &[
        tg::NORMALIZE_WITH_DEFAULT_TAG,
        mg::COMPONENT_LAYER,
        mg::READ_MANIFEST,
    ],
};

/// What `index create` and `index append` call: each image read as a copy
/// reads it, its platform from its config, the new index.
const INDEX_CREATE: &[Call] = &[
    tg::NORMALIZE_WITH_DEFAULT_TAG,
    tg::PARSE_ANY_REFERENCE,
    tg::FIND_NAME,
    tar::BLOB_ENTRY,
    tar::PLAN_ARCHIVE,
    mg::NORMALIZE_PLATFORM,
    mg::LAYER_MEDIA_TYPE,
    mg::IMAGE_LAYERS,
    mg::COPIED_BLOBS,
    mg::INDEX_ENTRIES,
    mg::IMAGE_MANIFEST,
    mg::CONFIG_PLATFORM,
    mg::PLAN_INDEX,
    mg::READ_MANIFEST,
    mg::SELECT_PLATFORM,
    mg::LAYOUT_INDEX,
    mg::LAYOUT_ENTRY,
    mg::LAYOUT_MARKER,
];

/// Every command, in the order of `--help`.
pub const TABLE: &[Entry] = &[
    Entry {
        command: "ref parse",
        calls: &[tg::PARSE],
    },
    Entry {
        command: "ref normalize",
        calls: &[tg::PARSE_NORMALIZED_NAMED],
    },
    Entry {
        command: "tag",
        calls: &[tg::PARSE_TARGETS, tg::PARSE_ANY_REFERENCE, tg::UNIQUE_TAG],
    },
    Entry {
        command: "image inspect",
        calls: &[tg::PARSE_ANY_REFERENCE],
    },
    Entry {
        command: "image build",
        calls: &[
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            tg::PUSH_TARGET,
            tg::PARSE_TARGETS,
            tg::PARSE_ANY_REFERENCE,
            tg::NAMES_NO_IMAGE,
            tg::FIND_NAME,
            tar::PLAN_LAYER,
            tar::BLOB_ENTRY,
            tar::PLAN_ARCHIVE,
            tar::LAYERS_TO_OMIT,
            tar::OMITS_LAYERS,
            mg::IMAGE_CONFIG,
            mg::NORMALIZE_PLATFORM,
            mg::LAYER_MEDIA_TYPE,
            mg::IMAGE_LAYERS,
            mg::COPIED_BLOBS,
            mg::BASE_LAYER_AS_STORED,
            mg::INDEX_ENTRIES,
            mg::IMAGE_MANIFEST,
            mg::READ_MANIFEST,
            mg::SELECT_PLATFORM,
            mg::LAYOUT_INDEX,
            mg::LAYOUT_ENTRY,
            mg::LAYOUT_MARKER,
        ],
    },
    Entry {
        command: "image mutate",
        calls: &[
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            tg::PARSE_ANY_REFERENCE,
            tg::FIND_NAME,
            tar::BLOB_ENTRY,
            tar::PLAN_ARCHIVE,
            mg::NORMALIZE_PLATFORM,
            mg::LAYER_MEDIA_TYPE,
            mg::IMAGE_LAYERS,
            mg::COPIED_BLOBS,
            mg::INDEX_ENTRIES,
            mg::IMAGE_MANIFEST,
            mg::EDIT_CONFIG,
            mg::EDIT_MANIFEST,
            mg::EDIT_INDEX,
            mg::READ_MANIFEST,
            mg::SELECT_PLATFORM,
            mg::LAYOUT_INDEX,
            mg::LAYOUT_ENTRY,
            mg::LAYOUT_MARKER,
        ],
    },
    Entry {
        command: "image append",
        calls: &[
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            tg::PUSH_TARGET,
            tg::PARSE_TARGETS,
            tg::PARSE_ANY_REFERENCE,
            tg::NAMES_NO_IMAGE,
            tg::FIND_NAME,
            tar::PLAN_LAYER,
            tar::BLOB_ENTRY,
            tar::PLAN_ARCHIVE,
            tar::LAYERS_TO_OMIT,
            tar::OMITS_LAYERS,
            mg::IMAGE_CONFIG,
            mg::NORMALIZE_PLATFORM,
            mg::LAYER_MEDIA_TYPE,
            mg::IMAGE_LAYERS,
            mg::COPIED_BLOBS,
            mg::BASE_LAYER_AS_STORED,
            mg::INDEX_ENTRIES,
            mg::IMAGE_MANIFEST,
            mg::READ_MANIFEST,
            mg::SELECT_PLATFORM,
            mg::LAYOUT_INDEX,
            mg::LAYOUT_ENTRY,
            mg::LAYOUT_MARKER,
            mg::CONFIG_PLATFORM,
        ],
    },
    Entry {
        command: "image load",
        calls: &[
            tg::PARSE_ANY_REFERENCE,
            tar::BLOB_ENTRY,
            tar::PLAN_ARCHIVE,
            tar::LAYERS_TO_OMIT,
            tar::OMITS_LAYERS,
            mg::LAYER_MEDIA_TYPE,
            mg::IMAGE_MANIFEST,
        ],
    },
    Entry {
        command: "image save",
        calls: &[tg::PARSE_ANY_REFERENCE],
    },
    Entry {
        command: "image ls",
        calls: &[],
    },
    Entry {
        command: "image unpack",
        calls: &[
            tg::PARSE_ANY_REFERENCE,
            tg::FIND_NAME,
            tar::PLAN_CHANGESET,
            mg::IMAGE_LAYERS,
            mg::INDEX_ENTRIES,
            mg::READ_MANIFEST,
            mg::LAYOUT_MARKER,
        ],
    },
    Entry {
        command: "image rm",
        calls: &[tg::PARSE_ANY_REFERENCE],
    },
    Entry {
        command: "image push",
        calls: &[tg::NORMALIZE_WITH_DEFAULT_TAG],
    },
    Entry {
        command: "image exists",
        calls: &[tg::PARSE_ANY_REFERENCE],
    },
    Entry {
        command: "index create",
        calls: INDEX_CREATE,
    },
    Entry {
        command: "index append",
        calls: INDEX_CREATE,
    },
    Entry {
        command: "index filter",
        calls: &[
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            tg::PARSE_ANY_REFERENCE,
            tg::FIND_NAME,
            tar::BLOB_ENTRY,
            tar::PLAN_ARCHIVE,
            mg::NORMALIZE_PLATFORM,
            mg::LAYER_MEDIA_TYPE,
            mg::IMAGE_LAYERS,
            mg::COPIED_BLOBS,
            mg::INDEX_ENTRIES,
            mg::IMAGE_MANIFEST,
            mg::FILTER_INDEX,
            mg::READ_MANIFEST,
            mg::SELECT_PLATFORM,
            mg::LAYOUT_INDEX,
            mg::LAYOUT_ENTRY,
            mg::LAYOUT_MARKER,
        ],
    },
    Entry {
        command: "copy",
        calls: &[
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            tg::PARSE_ANY_REFERENCE,
            tg::FIND_NAME,
            tar::BLOB_ENTRY,
            tar::PLAN_ARCHIVE,
            mg::NORMALIZE_PLATFORM,
            mg::LAYER_MEDIA_TYPE,
            mg::IMAGE_LAYERS,
            mg::COPIED_BLOBS,
            mg::INDEX_ENTRIES,
            mg::IMAGE_MANIFEST,
            mg::REFERRERS_TAG,
            mg::REFERRERS_INDEX,
            mg::READ_REFERRERS,
            mg::READ_MANIFEST,
            mg::SELECT_PLATFORM,
            mg::LAYOUT_INDEX,
            mg::LAYOUT_ENTRY,
            mg::LAYOUT_MARKER,
        ],
    },
    Entry {
        command: "sync",
        calls: &[
            tg::PARSE_NORMALIZED_NAMED,
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            tg::PARSE_ANY_REFERENCE,
            tg::FIND_NAME,
            tg::CHECK_TAG_FILTER,
            tg::SELECT_TAGS,
            tar::BLOB_ENTRY,
            tar::PLAN_ARCHIVE,
            mg::NORMALIZE_PLATFORM,
            mg::LAYER_MEDIA_TYPE,
            mg::IMAGE_LAYERS,
            mg::COPIED_BLOBS,
            mg::IMAGE_MANIFEST,
            mg::IMAGE_INDEX,
            mg::REFERRERS_TAG,
            mg::REFERRERS_INDEX,
            mg::READ_REFERRERS,
            mg::READ_MANIFEST,
            mg::SELECT_PLATFORM,
            mg::LAYOUT_INDEX,
            mg::LAYOUT_ENTRY,
            mg::LAYOUT_TAGS,
            mg::LAYOUT_MARKER,
        ],
    },
    Entry {
        command: "login",
        calls: &[],
    },
    Entry {
        command: "logout",
        calls: &[],
    },
    Entry {
        command: "artifact push",
        calls: &[
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            tg::PUSH_TARGET,
            mg::PLAN_ARTIFACT,
            mg::ARTIFACT_BLOBS,
            mg::ARTIFACT_REFERRER,
            mg::ARTIFACT_MANIFEST,
            mg::FALLBACK_FORM,
            mg::ARTIFACT_FILE_NAMES,
            mg::REFERRERS_TAG,
            mg::REFERRERS_INDEX,
            mg::READ_MANIFEST,
        ],
    },
    Entry {
        command: "artifact pull",
        calls: &[
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            mg::ARTIFACT_FILE_NAMES,
            mg::READ_MANIFEST,
        ],
    },
    Entry {
        command: "artifact ls",
        calls: &[
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            mg::REFERRERS_TAG,
            mg::READ_REFERRERS,
            mg::READ_MANIFEST,
        ],
    },
    Entry {
        command: "compose publish",
        calls: &[
            tg::PUSH_TARGET,
            mg::PLAN_ARTIFACT,
            mg::ARTIFACT_BLOBS,
            mg::ARTIFACT_MANIFEST,
            mg::FALLBACK_FORM,
            mg::ARTIFACT_FILE_NAMES,
            mg::READ_MANIFEST,
        ],
    },
    Entry {
        command: "component push",
        calls: &[tg::PUSH_TARGET, mg::COMPONENT_BLOBS, mg::IMAGE_MANIFEST],
    },
    Entry {
        command: "component new",
        calls: &[],
    },
    Entry {
        command: "component build",
        calls: &[],
    },
    Entry {
        command: "component call",
        calls: EVERY_FUNCTION,
    },
    Entry {
        command: "component test",
        calls: EVERY_FUNCTION,
    },
    Entry {
        command: "component contract",
        calls: &[],
    },
    Entry {
        command: "plugin privileges",
        calls: &[
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            mg::READ_MANIFEST,
            pv::COMPUTE_PRIVILEGES,
            pv::WHY_NOT_A_PLUGIN,
        ],
    },
    Entry {
        command: "plugin build",
        calls: &[
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            tar::PLAN_LAYER,
            tar::BLOB_ENTRY,
            tar::PLAN_ARCHIVE,
            mg::LAYER_MEDIA_TYPE,
            mg::DOCKER_MANIFEST,
            pv::PLUGIN_CONFIG,
        ],
    },
    Entry {
        command: "plugin install",
        calls: &[
            tg::NORMALIZE_WITH_DEFAULT_TAG,
            mg::READ_MANIFEST,
            pv::COMPUTE_PRIVILEGES,
            pv::WHY_NOT_A_PLUGIN,
            pv::JUDGE_PRIVILEGES,
        ],
    },
    Entry {
        command: "plugin ls",
        calls: &[],
    },
    Entry {
        command: "plugin rm",
        calls: &[tg::PARSE_ANY_REFERENCE],
    },
    Entry {
        command: "plugin enable",
        calls: &[tg::PARSE_ANY_REFERENCE],
    },
    Entry {
        command: "plugin disable",
        calls: &[tg::PARSE_ANY_REFERENCE],
    },
    Entry {
        command: "plugin push",
        calls: &[tg::NORMALIZE_WITH_DEFAULT_TAG],
    },
];

/// The functions no command calls, each with why it is in a world.
pub const CALLED_BY_NONE: &[(Call, &str)] = &[];

/// The table's key of `command`: how it is typed, e.g. `ref normalize`.
/// A new command does not compile until it is named here (and a test
/// wants its entry in [`TABLE`]).
pub fn key(command: &Command) -> &'static str {
    match command {
        Command::Ref(RefCommand::Parse(_)) => "ref parse",
        Command::Ref(RefCommand::Normalize(_)) => "ref normalize",
        Command::Tag(_) => "tag",
        Command::Image(image) => match image {
            ImageCommand::Inspect { .. } => "image inspect",
            ImageCommand::Build(_) => "image build",
            ImageCommand::Mutate(_) => "image mutate",
            ImageCommand::Append(_) => "image append",
            ImageCommand::Load { .. } => "image load",
            ImageCommand::Save { .. } => "image save",
            ImageCommand::Ls => "image ls",
            ImageCommand::Unpack { .. } => "image unpack",
            ImageCommand::Rm { .. } => "image rm",
            ImageCommand::Push { .. } => "image push",
            ImageCommand::Exists { .. } => "image exists",
        },
        Command::Index(index) => match index {
            IndexCommand::Create(_) => "index create",
            IndexCommand::Append(_) => "index append",
            IndexCommand::Filter(_) => "index filter",
        },
        Command::Copy(_) => "copy",
        Command::Sync(_) => "sync",
        Command::Login(_) => "login",
        Command::Logout(_) => "logout",
        Command::Artifact(artifact) => match artifact {
            ArtifactCommand::Push(_) => "artifact push",
            ArtifactCommand::Pull { .. } => "artifact pull",
            ArtifactCommand::Ls { .. } => "artifact ls",
        },
        Command::Compose(_) => "compose publish",
        Command::Component(component) => match component {
            ComponentCommand::Push { .. } => "component push",
            ComponentCommand::Kit(KitCommand::New { .. }) => "component new",
            ComponentCommand::Kit(KitCommand::Build { .. }) => "component build",
            ComponentCommand::Call { .. } => "component call",
            ComponentCommand::Test { .. } => "component test",
            ComponentCommand::Contract => "component contract",
        },
        Command::Plugin(plugin) => match plugin {
            PluginCommand::Privileges(_) => "plugin privileges",
            PluginCommand::Build(_) => "plugin build",
            PluginCommand::Install(_) => "plugin install",
            PluginCommand::Ls => "plugin ls",
            PluginCommand::Rm { .. } => "plugin rm",
            PluginCommand::Enable { .. } => "plugin enable",
            PluginCommand::Disable { .. } => "plugin disable",
            PluginCommand::Push { .. } => "plugin push",
        },
    }
}

/// The entry of the command typed `command`.
pub fn entry(command: &str) -> &'static Entry {
    TABLE
        .iter()
        .find(|e| e.command == command)
        .unwrap_or_else(|| panic!("the contract table has no entry for `{command}`"))
}

impl Entry {
    /// The operations it calls a function of, in the table's order.
    pub fn operations(&self) -> Vec<&'static str> {
        crate::runtime::operations::ALL
            .iter()
            .map(|o| o.name)
            .filter(|&o| self.calls.iter().any(|c| c.0 == o))
            .collect()
    }
}

/// A `--component OPERATION=PATH` the command `entry` has no use for: the
/// one-line refusal, naming what it calls instead.
pub fn unused_override(
    entry: &Entry,
    components: &[(String, std::path::PathBuf)],
) -> Option<String> {
    let (operation, path) = components
        .iter()
        .find(|(operation, _)| !entry.calls.iter().any(|c| c.0 == operation))?;
    let calls = entry.operations();
    let calls = match calls.is_empty() {
        true => "it calls no component".to_string(),
        false => format!("it calls: {}", calls.join(", ")),
    };
    Some(format!(
        "--component {operation}={}: `{}` calls no {operation} function ({calls})",
        path.display(),
        entry.command
    ))
}

/// The table as `docs/contract.md` holds it: a markdown table of each
/// command, each operation it calls, and those functions.
pub fn markdown() -> String {
    let mut out = String::from("| command | operation | functions |\n| --- | --- | --- |\n");
    for entry in TABLE.iter().chain([&FETCH]) {
        let operations = entry.operations();
        if operations.is_empty() {
            out.push_str(&format!("| `{}` | none | |\n", entry.command));
        }
        for operation in operations {
            let functions: Vec<String> = (entry.calls.iter())
                .filter(|c| c.0 == operation)
                .map(|(_, interface, function)| format!("`{interface}.{function}`"))
                .collect();
            out.push_str(&format!(
                "| `{}` | {operation} | {} |\n",
                entry.command,
                functions.join(", ")
            ));
        }
    }
    for (call, why) in CALLED_BY_NONE {
        let (operation, interface, function) = call;
        out.push_str(&format!(
            "| (none: {why}) | {operation} | `{interface}.{function}` |\n"
        ));
    }
    out
}

/// The table as JSON Lines: one object per command, `command` and
/// `calls` (each `operation`, `interface`, `function`).
pub fn json_lines() -> Vec<serde_json::Value> {
    TABLE
        .iter()
        .chain([&FETCH])
        .map(|entry| {
            let calls: Vec<_> = (entry.calls.iter())
                .map(|(operation, interface, function)| {
                    serde_json::json!({
                        "operation": operation,
                        "interface": interface,
                        "function": function,
                    })
                })
                .collect();
            serde_json::json!({ "command": entry.command, "calls": calls })
        })
        .collect()
}

/// `ocipipe component contract`: the table, as markdown or JSON Lines.
pub(super) fn print(config: &super::Config) -> anyhow::Result<super::Outcome> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if config.json {
        for line in json_lines() {
            writeln!(out, "{line}")?;
        }
    } else {
        out.write_all(markdown().as_bytes())?;
    }
    Ok(super::Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::operations;
    use clap::CommandFactory as _;
    use std::collections::BTreeSet;

    /// The repository's file at `path` (relative to its root), read.
    fn repository_file(path: &str) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Every function `operation`'s world exports, read from its WIT file:
    /// (interface, function) for each `NAME: func(` line inside an
    /// `interface NAME {` the `world` block names with `export NAME;`.
    fn wit_functions(operation: &str) -> BTreeSet<(String, String)> {
        let wit = repository_file(&format!("wit/{operation}.wit"));
        let (mut functions, mut exported) = (Vec::new(), BTreeSet::new());
        let mut interface: Option<&str> = None;
        let mut in_world = false;
        for line in wit.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["interface", name, "{"] => interface = Some(name),
                ["world", name, "{"] => in_world = *name == operation,
                ["export", name] if in_world => {
                    exported.insert(name.trim_end_matches(';').to_string());
                }
                ["}"] if !line.starts_with(' ') => (interface, in_world) = (None, false),
                [name, func, ..] if func.starts_with("func(") && name.ends_with(':') => {
                    let interface = interface.expect("a function inside an interface");
                    functions.push((
                        interface.to_string(),
                        name.trim_end_matches(':').to_string(),
                    ));
                }
                _ => {}
            }
        }
        assert!(
            !exported.is_empty(),
            "wit/{operation}.wit: no `world {operation}` exports"
        );
        functions
            .into_iter()
            .filter(|(i, _)| exported.contains(i))
            .collect()
    }

    /// Every function of every world, as the table writes calls.
    fn every_wit_function() -> BTreeSet<(String, String, String)> {
        operations::ALL
            .iter()
            .flat_map(|o| {
                wit_functions(o.name)
                    .into_iter()
                    .map(|(i, f)| (o.name.to_string(), i, f))
            })
            .collect()
    }

    fn owned(&(o, i, f): &Call) -> (String, String, String) {
        (o.to_string(), i.to_string(), f.to_string())
    }

    #[test]
    fn the_wit_reader_finds_the_worlds_functions() {
        let tagging = wit_functions("tagging");
        assert!(tagging.contains(&("naming".into(), "normalize-with-default-tag".into())));
        assert!(tagging.contains(&("tags".into(), "select-tags".into())));
        assert!(
            wit_functions("privileges").contains(&("plugins".into(), "judge-privileges".into()))
        );
        assert!(every_wit_function().len() > 40);
    }

    #[test]
    fn every_function_lists_every_function_of_the_wit_once() {
        let listed: BTreeSet<_> = EVERY_FUNCTION.iter().map(owned).collect();
        assert_eq!(listed.len(), EVERY_FUNCTION.len());
        assert_eq!(listed, every_wit_function());
    }

    #[test]
    fn the_table_names_only_functions_of_the_wit() {
        let wit = every_wit_function();
        for entry in TABLE.iter().chain([&FETCH]) {
            for call in entry.calls {
                assert!(
                    wit.contains(&owned(call)),
                    "`{}`: {call:?} is no function of wit/",
                    entry.command
                );
            }
            let mut seen = BTreeSet::new();
            assert!(
                entry.calls.iter().all(|c| seen.insert(c)),
                "`{}` lists a call twice",
                entry.command
            );
        }
    }

    #[test]
    fn every_function_of_every_world_is_called_by_a_command_or_said_to_be_called_by_none() {
        let called: BTreeSet<_> = TABLE
            .iter()
            .chain([&FETCH])
            .flat_map(|e| e.calls.iter().map(owned))
            .collect();
        let none: BTreeSet<_> = CALLED_BY_NONE.iter().map(|(c, _)| owned(c)).collect();
        for function in every_wit_function() {
            assert!(
                called.contains(&function) != none.contains(&function),
                "{function:?}: called by a command, or listed in CALLED_BY_NONE with why (not both)"
            );
        }
    }

    /// Every leaf subcommand, as typed (`image build`).
    fn leaves(command: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = format!("{prefix}{}", sub.get_name());
            match sub.has_subcommands() {
                true => leaves(sub, &format!("{name} "), out),
                false => out.push(name),
            }
        }
    }

    #[test]
    fn every_command_has_one_entry_and_every_entry_is_a_command() {
        let mut commands = Vec::new();
        leaves(&super::super::Cli::command(), "", &mut commands);
        let entries: Vec<String> = TABLE.iter().map(|e| e.command.to_string()).collect();
        assert_eq!(
            commands, entries,
            "the table lists the commands in the order of --help"
        );
    }

    #[test]
    fn the_key_of_a_parsed_command_is_its_entry() {
        use clap::Parser as _;
        for (args, command) in [
            (&["ref", "normalize", "x"][..], "ref normalize"),
            (&["image", "ls"], "image ls"),
            (&["component", "contract"], "component contract"),
            (&["plugin", "rm", "x"], "plugin rm"),
        ] {
            let cli = super::super::Cli::try_parse_from(["ocipipe"].iter().chain(args)).unwrap();
            assert_eq!(entry(key(&cli.command)).command, command);
        }
    }

    #[test]
    fn an_override_of_an_operation_the_command_calls_nothing_of_is_named() {
        let given = |o: &str| vec![(o.to_string(), std::path::PathBuf::from("./nope.wasm"))];
        let normalize = entry("ref normalize");
        assert_eq!(unused_override(normalize, &given("tagging")), None);
        assert_eq!(
            unused_override(normalize, &given("privileges")).unwrap(),
            "--component privileges=./nope.wasm: `ref normalize` calls no privileges function \
             (it calls: tagging)"
        );
        assert_eq!(
            unused_override(entry("login"), &given("tagging")).unwrap(),
            "--component tagging=./nope.wasm: `login` calls no tagging function (it calls no \
             component)"
        );
        assert_eq!(
            entry("plugin build").operations(),
            [
                "tagging",
                "tar-assembly",
                "manifest-generation",
                "privileges"
            ]
        );
    }

    /// The line before the table in `docs/contract.md`.
    const BEGIN: &str =
        "<!-- the contract table: `ocipipe component contract` prints it; a test compares -->";

    /// The line after it.
    const END: &str = "<!-- end of the contract table -->";

    #[test]
    fn docs_contract_md_holds_the_table_as_the_command_prints_it() {
        let docs = repository_file("docs/contract.md");
        let table = markdown();
        assert!(
            docs.contains(&format!("{BEGIN}\n{table}{END}")),
            "docs/contract.md's table is out of date: put the output of `ocipipe component \
             contract` between its markers:\n{table}"
        );
    }

    #[test]
    fn docs_contract_md_says_what_the_host_does_with_every_functions_answer() {
        let docs = repository_file("docs/contract.md");
        for (_, interface, function) in every_wit_function() {
            let heading = format!("#### `{interface}.{function}`");
            assert!(
                docs.lines().any(|l| l == heading),
                "docs/contract.md lacks {heading}"
            );
        }
    }
}
