//! The image config (`application/vnd.oci.image.config.v1+json`) with
//! buildkit's moby-exporter semantics (`exporter/containerimage/writer.go`:
//! `defaultImageConfig`, `normalizeLayersAndHistory`, `patchImageConfig`)
//! and the Dockerfile frontend's rules for the fields it sets
//! (`frontend/dockerfile/dockerfile2llb`: `emptyImage`, `addEnv`,
//! `dispatchEntrypoint`, `parsePorts`).
//!
//! Bytes: like buildkit, which writes the final config from a Go
//! `map[string]json.RawMessage`, the top-level keys are sorted. `rootfs` and
//! each `history` entry are written in the OCI Go structs' field order
//! (`type`, `diff_ids`; `created`, `created_by`, `author`, `comment`,
//! `empty_layer`), `config` in the Docker/OCI `ImageConfig` struct order
//! (`User`, `ExposedPorts`, `Env`, `Entrypoint`, `Cmd`, `Volumes`,
//! `WorkingDir`, `Labels`, `StopSignal`, `ArgsEscaped`, `Healthcheck`,
//! `OnBuild`, `Shell`) with empty ones left out, followed by any other keys
//! of the base's `config`, sorted. Every other value of the base is kept,
//! with its object keys sorted (serde_json's map is a `BTreeMap`).
//!
//! The reading of a config, the fields a build sets and the writing are
//! shared with [`crate::edit_config`] (`image mutate`), which edits an
//! existing config with the same rules; `src` in the helpers names the
//! document in messages (`base`, `config`).

use crate::command::command;
use crate::platform;
use crate::time::Time;
use crate::{Annotation, ConfigRequest, Document, Error, MEDIA_TYPE_OCI_CONFIG, Platform};
use ocipipe_sdk::digest;
use ocipipe_sdk::json::{Ordered, OrderedValue, annotation_map, omit_empty, to_go_json};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The default `PATH` of a non-Windows image (buildkit
/// `system.DefaultPathEnvUnix`).
pub const DEFAULT_PATH_ENV_UNIX: &str =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// `created_by` of a history entry added for a layer the history did not
/// account for (buildkit: the layer's description, or "created by buildkit").
pub const HISTORY_ADDED_CREATED_BY: &str = "created by ocipipe";
/// `comment` of such an entry (buildkit: "buildkit.exporter.image.v0").
pub const HISTORY_ADDED_COMMENT: &str = "added by ocipipe";

/// `config` keys in the Go struct order (`DockerOCIImageConfig`: the OCI
/// `ImageConfig` fields, then Docker's `Healthcheck`, `OnBuild`, `Shell`).
const CONFIG_KEYS: [&str; 13] = [
    "User",
    "ExposedPorts",
    "Env",
    "Entrypoint",
    "Cmd",
    "Volumes",
    "WorkingDir",
    "Labels",
    "StopSignal",
    "ArgsEscaped",
    "Healthcheck",
    "OnBuild",
    "Shell",
];
/// `Healthcheck` keys in the Go struct order (`HealthcheckConfig`).
const HEALTHCHECK_KEYS: [&str; 6] = [
    "Test",
    "Interval",
    "Timeout",
    "StartPeriod",
    "StartInterval",
    "Retries",
];
/// Top-level keys written from the request, never taken from the base.
const PLATFORM_KEYS: [&str; 5] = ["architecture", "os", "os.version", "os.features", "variant"];

/// One history entry (OCI `History`; other keys of a base entry are dropped
/// as buildkit's typed parse drops them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) created: Option<Time>,
    pub(crate) created_by: Option<String>,
    pub(crate) author: Option<String>,
    pub(crate) comment: Option<String>,
    pub(crate) empty_layer: bool,
}

#[derive(Serialize)]
pub(crate) struct EntryJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    empty_layer: bool,
}

impl Entry {
    fn json(&self) -> EntryJson<'_> {
        EntryJson {
            created: self.created.map(|t| t.to_string()),
            created_by: self.created_by.as_deref(),
            author: self.author.as_deref(),
            comment: self.comment.as_deref(),
            empty_layer: self.empty_layer,
        }
    }
}

#[derive(Serialize)]
pub(crate) struct RootFsJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    diff_ids: &'a [String],
}

/// A top-level value of a config document as it is written.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum Top<'a> {
    Plain(Value),
    Ordered(Ordered),
    History(Vec<EntryJson<'a>>),
    RootFs(RootFsJson<'a>),
}

/// What a JSON value is, for messages (`a number`).
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `Some(s)` unless empty (Go's `omitempty`), owned.
pub(crate) fn non_empty(s: &Option<String>) -> Option<String> {
    omit_empty(s).map(str::to_owned)
}

/// The image config document for `request`; its digest is the image ID.
///
/// - base: `request.base` (a JSON object), or the default config buildkit
///   makes for the platform (`config.Env` = `PATH=`[`DEFAULT_PATH_ENV_UNIX`]
///   except on Windows, `config.WorkingDir` = `/`).
/// - `architecture`, `os`, `os.version`, `os.features`, `variant`: from
///   `request.platform`, which must be normalised (as
///   [`crate::normalize_platform`] returns it); a base for another
///   architecture or os is refused.
/// - `rootfs`: `{"type":"layers","diff_ids":request.diff_ids}`.
/// - `history`: the base's, then the request's, matched to the layers and
///   dated as buildkit's `normalizeLayersAndHistory` and `patchImageConfig`
///   do (see [`normalize_history`]).
/// - `created`: `request.created` (seconds, written as RFC 3339 UTC);
///   without it the base's, else the last
///   history time (buildkit's rule for a config without one), else absent.
/// - `config`: see [`apply_config`].
pub fn image_config(request: &ConfigRequest) -> Result<Document, Error> {
    let platform = &request.platform;
    check_platform(platform)?;
    let epoch = request
        .created
        .map(|s| Time::from_unix_seconds("created", s))
        .transpose()?;
    for (i, d) in request.diff_ids.iter().enumerate() {
        digest::check(d).map_err(|e| Error::invalid(format!("diff-ids[{i}]: {e}")))?;
    }

    let mut top = match &request.base {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                return Err(Error::invalid(format!(
                    "base: the config is {} where a JSON object is needed",
                    kind(&other)
                )));
            }
            Err(e) => {
                return Err(Error::invalid(format!(
                    "base: the config is not valid JSON: {e}"
                )));
            }
        },
        None => default_config(platform),
    };
    for (key, want) in [
        ("architecture", &platform.architecture),
        ("os", &platform.os),
    ] {
        match top.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() || s == want => {}
            Some(Value::String(s)) => {
                return Err(Error::invalid(format!(
                    "base: the config's {key} is {s:?} but the platform's is {want:?}"
                )));
            }
            Some(other) => {
                return Err(Error::invalid(format!(
                    "base: {key} is {} where a string is needed",
                    kind(other)
                )));
            }
        }
    }
    let base_history = take_history("base", &mut top)?;
    let base_created = take_created("base", &mut top)?;
    let mut config = take_config("base", &mut top)?;
    top.remove("rootfs");
    for key in PLATFORM_KEYS {
        top.remove(key);
    }
    apply_config(
        "base",
        &mut config,
        &ConfigFields {
            os: &platform.os,
            env: &request.env,
            entrypoint: request.entrypoint.as_deref(),
            cmd: request.cmd.as_deref(),
            working_dir: request.working_dir.as_deref(),
            user: request.user.as_deref(),
            labels: &request.labels,
            exposed_ports: &request.exposed_ports,
        },
    )?;

    let mut history = base_history.clone();
    for (i, h) in request.history.iter().enumerate() {
        history.push(Entry {
            created: h
                .created
                .map(|s| Time::from_unix_seconds(&format!("history[{i}].created"), s))
                .transpose()?,
            created_by: non_empty(&h.created_by),
            author: None,
            comment: non_empty(&h.comment),
            empty_layer: h.empty_layer,
        });
    }
    normalize_history(&mut history, request.diff_ids.len(), epoch, &base_history);

    let created = match (epoch, base_created) {
        (Some(e), _) => Some(e.to_string()),
        (None, Some(base)) => Some(base),
        (None, None) => history
            .iter()
            .rev()
            .find_map(|h| h.created)
            .map(|t| t.to_string()),
    };

    let mut put = |k: &str, v: Value| {
        top.insert(k.to_owned(), v);
    };
    put("architecture", platform.architecture.clone().into());
    put("os", platform.os.clone().into());
    if let Some(v) = non_empty(&platform.os_version) {
        put("os.version", v.into());
    }
    if !platform.os_features.is_empty() {
        put("os.features", platform.os_features.clone().into());
    }
    if let Some(v) = non_empty(&platform.cpu_variant) {
        put("variant", v.into());
    }
    if let Some(c) = created {
        put("created", c.into());
    }
    let rootfs = Top::RootFs(RootFsJson {
        kind: "layers",
        diff_ids: &request.diff_ids,
    });
    Ok(write_config(top, config, Some(rootfs), &history))
}

/// The config document: `top`'s keys (any but `config`, `rootfs` and
/// `history`) with their values' object keys sorted, `config` in the Go
/// struct order (left out when empty), `rootfs` as given, `history` (left
/// out when empty); the top-level keys sorted, as buildkit writes its
/// `map[string]json.RawMessage`.
pub(crate) fn write_config(
    top: Map<String, Value>,
    config: Map<String, Value>,
    rootfs: Option<Top<'_>>,
    history: &[Entry],
) -> Document {
    let mut out: BTreeMap<String, Top> = top
        .into_iter()
        .map(|(k, v)| (k, Top::Plain(sorted(v))))
        .collect();
    let config = ordered_config(config);
    if !config.0.is_empty() {
        out.insert("config".into(), Top::Ordered(config));
    }
    if let Some(rootfs) = rootfs {
        out.insert("rootfs".into(), rootfs);
    }
    if !history.is_empty() {
        out.insert(
            "history".into(),
            Top::History(history.iter().map(Entry::json).collect()),
        );
    }
    Document::new(MEDIA_TYPE_OCI_CONFIG, to_go_json(&out))
}

/// A platform as `normalize-platform` returns it: given, known, and left
/// as it is by normalisation (so one platform has one spelling in every
/// config).
fn check_platform(p: &Platform) -> Result<(), Error> {
    p.check("platform")?;
    let normal = platform::normalize(p).map_err(|e| Error::invalid(format!("platform: {e}")))?;
    let variant = p.cpu_variant.clone().filter(|v| !v.is_empty());
    if (
        &normal.os,
        &normal.architecture,
        &normal.cpu_variant,
        &normal.os_features,
    ) != (&p.os, &p.architecture, &variant, &p.os_features)
    {
        return Err(Error::invalid(format!(
            "platform: {} is not normalised; give {} (as normalize-platform returns it)",
            platform::format(p),
            platform::format(&normal)
        )));
    }
    Ok(())
}

/// buildkit's `defaultImageConfig` / `emptyImage` less what is written from
/// the request anyway (platform, rootfs).
fn default_config(p: &Platform) -> Map<String, Value> {
    let mut config = Map::new();
    if p.os != "windows" {
        config.insert(
            "Env".into(),
            Value::Array(vec![format!("PATH={DEFAULT_PATH_ENV_UNIX}").into()]),
        );
    }
    config.insert("WorkingDir".into(), "/".into());
    let mut top = Map::new();
    top.insert("config".into(), Value::Object(config));
    top
}

/// A string of the document `src` names (`base`, `config`); empty is none
/// (Go's `omitempty`).
fn opt_string(src: &str, what: &str, v: Option<&Value>) -> Result<Option<String>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::invalid(format!(
            "{src}: {what} is {} where a string is needed",
            kind(other)
        ))),
    }
}

/// Takes `history` out of the config document `src` names, as OCI
/// `History` entries.
pub(crate) fn take_history(src: &str, top: &mut Map<String, Value>) -> Result<Vec<Entry>, Error> {
    let items = match top.remove("history") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(Error::invalid(format!(
                "{src}: history is {} where an array is needed",
                kind(&other)
            )));
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let empty = Map::new();
        let obj = match item {
            Value::Object(o) => o,
            // Go decodes null into a zero History.
            Value::Null => &empty,
            other => {
                return Err(Error::invalid(format!(
                    "{src}: history[{i}] is {} where an object is needed",
                    kind(other)
                )));
            }
        };
        let created = opt_string(src, &format!("history[{i}].created"), obj.get("created"))?
            .map(|s| Time::parse(&format!("{src}: history[{i}].created"), &s))
            .transpose()?;
        let empty_layer = match obj.get("empty_layer") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "{src}: history[{i}].empty_layer is {} where a boolean is needed",
                    kind(other)
                )));
            }
        };
        out.push(Entry {
            created,
            created_by: opt_string(
                src,
                &format!("history[{i}].created_by"),
                obj.get("created_by"),
            )?,
            author: opt_string(src, &format!("history[{i}].author"), obj.get("author"))?,
            comment: opt_string(src, &format!("history[{i}].comment"), obj.get("comment"))?,
            empty_layer,
        });
    }
    Ok(out)
}

/// Takes `created` out of the config document `src` names, checked and as
/// written.
pub(crate) fn take_created(
    src: &str,
    top: &mut Map<String, Value>,
) -> Result<Option<String>, Error> {
    let created = opt_string(src, "created", top.remove("created").as_ref())?;
    if let Some(s) = &created {
        Time::parse(&format!("{src}: created"), s)?;
    }
    Ok(created)
}

/// Matches history to layers and dates it, as buildkit does:
///
/// 1. more non-empty entries than layers: from the first entry past the
///    last layer on, entries are marked `empty_layer` (the surplus at the
///    end);
/// 2. fewer: one entry per missing layer is appended, `created_by`
///    [`HISTORY_ADDED_CREATED_BY`], `comment` [`HISTORY_ADDED_COMMENT`],
///    `created` = `epoch`;
/// 3. a layer's entry without a time gets `epoch` (buildkit: the layer's
///    own creation time, which a pure function does not have);
/// 4. entries still without a time get the first time that follows a gap
///    (buildkit: "the first new layer time"), or the previous entry's;
/// 5. with an epoch (SOURCE_DATE_EPOCH), every entry after the unchanged
///    prefix of the base's history that has no time or a later one gets
///    the epoch; the base's own entries keep their times.
fn normalize_history(history: &mut Vec<Entry>, layers: usize, epoch: Option<Time>, base: &[Entry]) {
    let non_empty = history.iter().filter(|h| !h.empty_layer).count();
    if non_empty > layers {
        let mut counted = 0;
        for h in history.iter_mut() {
            if counted >= layers {
                h.empty_layer = true;
            }
            if !h.empty_layer {
                counted += 1;
            }
        }
    }
    for _ in non_empty..layers {
        history.push(Entry {
            created: epoch,
            created_by: Some(HISTORY_ADDED_CREATED_BY.into()),
            author: None,
            comment: Some(HISTORY_ADDED_COMMENT.into()),
            empty_layer: false,
        });
    }
    for h in history.iter_mut() {
        if !h.empty_layer && h.created.is_none() {
            h.created = epoch;
        }
    }

    let mut fill = None;
    let mut gap = false;
    for h in history.iter() {
        match h.created {
            Some(t) => {
                fill = Some(t);
                if gap {
                    break;
                }
            }
            None => gap = true,
        }
    }
    gap = false;
    for h in history.iter_mut() {
        match h.created {
            Some(t) if gap => fill = Some(t),
            Some(_) => {}
            None => {
                gap = true;
                h.created = fill;
            }
        }
    }

    if let Some(epoch) = epoch {
        let mut diverged = false;
        for (i, h) in history.iter_mut().enumerate() {
            if !diverged && base.get(i) == Some(h) {
                continue;
            }
            diverged = true;
            if h.created.is_none_or(|t| t.after(&epoch)) {
                h.created = Some(epoch);
            }
        }
    }
}

/// A list of strings at `config.<what>` of the document `src` names.
pub(crate) fn string_list(src: &str, what: &str, v: Option<&Value>) -> Result<Vec<String>, Error> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => Err(Error::invalid(format!(
                    "{src}: config.{what} holds {} where strings are needed",
                    kind(other)
                ))),
            })
            .collect(),
        Some(other) => Err(Error::invalid(format!(
            "{src}: config.{what} is {} where a list of strings is needed",
            kind(other)
        ))),
    }
}

fn object(src: &str, what: &str, v: Option<Value>) -> Result<Map<String, Value>, Error> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(other) => Err(Error::invalid(format!(
            "{src}: config.{what} is {} where an object is needed",
            kind(&other)
        ))),
    }
}

/// Whether two env keys are the same variable in an image for `os`
/// (case-insensitive on Windows, as buildkit's `addEnv` compares them).
pub(crate) fn env_key_eq(os: &str, a: &str, b: &str) -> bool {
    if os == "windows" {
        a.to_lowercase() == b.to_lowercase()
    } else {
        a == b
    }
}

/// The `config` fields a build sets or an edit changes, in the
/// Dockerfile's syntax: what [`apply_config`] applies for [`image_config`]
/// and [`crate::edit_config`].
pub(crate) struct ConfigFields<'a> {
    /// The image's os: on `windows` env keys match case-insensitively and
    /// the shell form runs through `cmd /S /C`.
    pub(crate) os: &'a str,
    /// `KEY=value`.
    pub(crate) env: &'a [String],
    /// See [`command`].
    pub(crate) entrypoint: Option<&'a str>,
    /// See [`command`].
    pub(crate) cmd: Option<&'a str>,
    pub(crate) working_dir: Option<&'a str>,
    pub(crate) user: Option<&'a str>,
    pub(crate) labels: &'a [Annotation],
    /// See [`parse_port`].
    pub(crate) exposed_ports: &'a [String],
}

/// Takes the `config` object out of the config document `src` names (none
/// is an empty one).
pub(crate) fn take_config(
    src: &str,
    top: &mut Map<String, Value>,
) -> Result<Map<String, Value>, Error> {
    match top.remove("config") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(other) => Err(Error::invalid(format!(
            "{src}: config is {} where an object is needed",
            kind(&other)
        ))),
    }
}

/// The types of the `config` fields Go decodes into its struct, in the
/// config document `src` names.
pub(crate) fn check_config(src: &str, config: &Map<String, Value>) -> Result<(), Error> {
    for key in ["User", "WorkingDir", "StopSignal"] {
        opt_string(src, &format!("config.{key}"), config.get(key))?;
    }
    for key in ["Env", "Entrypoint", "Cmd", "OnBuild", "Shell"] {
        string_list(src, key, config.get(key))?;
    }
    for key in ["Volumes", "Healthcheck", "ExposedPorts"] {
        object(src, key, config.get(key).cloned())?;
    }
    if let Some(v) = config
        .get("ArgsEscaped")
        .filter(|v| !v.is_null() && !v.is_boolean())
    {
        return Err(Error::invalid(format!(
            "{src}: config.ArgsEscaped is {} where a boolean is needed",
            kind(v)
        )));
    }
    let labels = object(src, "Labels", config.get("Labels").cloned())?;
    if let Some((k, v)) = labels.iter().find(|(_, v)| !v.is_string()) {
        return Err(Error::invalid(format!(
            "{src}: config.Labels[{k:?}] is {} where a string is needed",
            kind(v)
        )));
    }
    Ok(())
}

/// The key of `env[i]` of a request or an edit, which must be `KEY=value`
/// with a key.
pub(crate) fn env_entry_key(i: usize, entry: &str) -> Result<&str, Error> {
    match entry.split_once('=') {
        Some((key, _)) if !key.is_empty() => Ok(key),
        _ => Err(Error::invalid(format!(
            "env[{i}]: {entry:?} is not KEY=value"
        ))),
    }
}

/// The key of an entry of a config's `Env` (all of it without a `=`).
pub(crate) fn env_key(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(k, _)| k)
}

/// Applies `fields` to the `config` object of the document `src` names:
///
/// - `Env`: each `KEY=value` replaces the first entry with that key
///   (case-insensitively for a Windows image), else is appended — buildkit's
///   `addEnv`; order kept.
/// - `Entrypoint`: replaced when given, in the Dockerfile form (see
///   [`command`]); given without a `cmd`, it also clears the `Cmd` (the
///   Dockerfile rule for `ENTRYPOINT` when the stage sets no `CMD`, which
///   crane's `mutate` follows too). `[]` clears it.
/// - `Cmd`: the same way; `WorkingDir`, `User`: replaced when given (empty
///   clears).
/// - `Labels`: merged, the given ones winning.
/// - `ExposedPorts`: merged, `{"<port>/<proto>":{}}`; see [`parse_port`].
///
/// Other keys (`Volumes`, `StopSignal`, `Healthcheck`, …) are kept.
pub(crate) fn apply_config(
    src: &str,
    config: &mut Map<String, Value>,
    fields: &ConfigFields<'_>,
) -> Result<(), Error> {
    check_config(src, config)?;
    let os = fields.os;

    let mut env = string_list(src, "Env", config.get("Env"))?;
    for (i, entry) in fields.env.iter().enumerate() {
        let key = env_entry_key(i, entry)?;
        match env.iter().position(|e| env_key_eq(os, env_key(e), key)) {
            Some(pos) => env[pos] = entry.clone(),
            None => env.push(entry.clone()),
        }
    }
    config.insert("Env".into(), env.into());

    if let Some(entrypoint) = fields.entrypoint {
        config.insert(
            "Entrypoint".into(),
            command("entrypoint", entrypoint, os)?.into(),
        );
        if fields.cmd.is_none() {
            config.remove("Cmd");
        }
    }
    if let Some(cmd) = fields.cmd {
        config.insert("Cmd".into(), command("cmd", cmd, os)?.into());
    }
    if let Some(dir) = fields.working_dir {
        config.insert("WorkingDir".into(), dir.into());
    }
    if let Some(user) = fields.user {
        config.insert("User".into(), user.into());
    }

    let mut labels = object(src, "Labels", config.remove("Labels"))?;
    for (k, v) in annotation_map("labels", fields.labels)? {
        labels.insert(k.to_owned(), v.into());
    }
    config.insert("Labels".into(), Value::Object(labels));

    let mut ports = object(src, "ExposedPorts", config.remove("ExposedPorts"))?;
    for (i, spec) in fields.exposed_ports.iter().enumerate() {
        for port in
            parse_port(spec).map_err(|e| Error::invalid(format!("exposed-ports[{i}]: {e}")))?
        {
            ports.insert(port, Value::Object(Map::new()));
        }
    }
    config.insert("ExposedPorts".into(), Value::Object(ports));
    Ok(())
}

/// `port[/proto]` or `start-end[/proto]` → `port/proto` for each port (the
/// Dockerfile's `EXPOSE` rules, buildkit `parsePort`): ports 0–65535,
/// protocol `tcp` (the default), `udp` or `sctp` in any case, written in
/// lower case. Host IPs and host ports (`ip:host:container`), which
/// buildkit only warns about, are refused: an image config cannot publish.
fn parse_port(spec: &str) -> Result<Vec<String>, String> {
    let (range, proto) = spec.split_once('/').unwrap_or((spec, ""));
    let proto = match proto.to_ascii_lowercase().as_str() {
        "" | "tcp" => "tcp",
        "udp" => "udp",
        "sctp" => "sctp",
        _ => {
            return Err(format!(
                "{spec:?}: invalid protocol {proto:?} (tcp, udp or sctp)"
            ));
        }
    };
    if range.contains(':') {
        return Err(format!(
            "{spec:?}: an exposed port has no host address or host port"
        ));
    }
    let number = |s: &str| -> Result<u32, String> {
        if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{spec:?}: invalid port {s:?}"));
        }
        let n: u32 = s
            .parse()
            .map_err(|_| format!("{spec:?}: invalid port {s:?}"))?;
        if n > 65535 {
            return Err(format!("{spec:?}: port {s} is out of range (0–65535)"));
        }
        Ok(n)
    };
    let (start, end) = match range.split_once('-') {
        Some((a, b)) => (number(a)?, number(b)?),
        None => {
            let n = number(range)?;
            (n, n)
        }
    };
    if end < start {
        return Err(format!("{spec:?}: invalid port range {range:?}"));
    }
    Ok((start..=end).map(|p| format!("{p}/{proto}")).collect())
}

/// `v` with every object's keys in sorted order, whichever map serde_json
/// was built with (its `preserve_order` feature keeps insertion order, and
/// another crate of the workspace could turn it on).
pub(crate) fn sorted(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let entries: BTreeMap<String, Value> = map.into_iter().collect();
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Go's `omitempty` zero values.
fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(true) => false,
    }
}

/// Known keys in `order` (empty ones left out, as `omitempty` does), then
/// the others sorted.
fn ordered(mut map: Map<String, Value>, order: &[&str], nested: bool) -> Ordered {
    let mut out = Vec::with_capacity(map.len());
    for key in order {
        let Some(v) = map.remove(*key) else { continue };
        match v {
            // A pointer to a struct: only a null is left out.
            Value::Object(o) if nested && *key == "Healthcheck" => out.push((
                key.to_string(),
                OrderedValue::Object(ordered(o, &HEALTHCHECK_KEYS, false)),
            )),
            v if is_empty_value(&v) => {}
            v => out.push((key.to_string(), OrderedValue::Plain(sorted(v)))),
        }
    }
    let rest: BTreeMap<String, Value> = map.into_iter().collect();
    out.extend(
        rest.into_iter()
            .map(|(k, v)| (k, OrderedValue::Plain(sorted(v)))),
    );
    Ordered(out)
}

fn ordered_config(config: Map<String, Value>) -> Ordered {
    ordered(config, &CONFIG_KEYS, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Time {
        Time::parse("t", s).unwrap()
    }

    #[test]
    fn ports() {
        let ok = |s: &str| parse_port(s).unwrap();
        assert_eq!(ok("8080"), ["8080/tcp"]);
        assert_eq!(ok("53/UDP"), ["53/udp"]);
        assert_eq!(ok("9/sctp"), ["9/sctp"]);
        assert_eq!(ok("080/tcp"), ["80/tcp"]);
        assert_eq!(ok("7000-7002/udp"), ["7000/udp", "7001/udp", "7002/udp"]);
        assert_eq!(ok("7000-7000"), ["7000/tcp"]);
        assert_eq!(ok("65535"), ["65535/tcp"]);
        for bad in [
            "",
            "/tcp",
            "http",
            "80/http",
            "80/tcp/udp",
            "65536",
            "99999999999",
            "-1",
            "+80",
            "80-",
            "-80",
            "81-80",
            "127.0.0.1:80:80",
            "8080:80",
            " 80",
        ] {
            let err = parse_port(bad).unwrap_err();
            assert!(err.starts_with(&format!("{bad:?}: ")), "{err}");
        }
    }

    fn entry(created: Option<&str>, by: &str, empty: bool) -> Entry {
        Entry {
            created: created.map(t),
            created_by: Some(by.into()),
            empty_layer: empty,
            ..Entry::default()
        }
    }

    #[test]
    fn surplus_history_is_marked_empty_from_the_end() {
        let mut h = vec![
            entry(None, "a", false),
            entry(None, "env", true),
            entry(None, "b", false),
            entry(None, "c", false),
        ];
        normalize_history(&mut h, 1, None, &[]);
        let marks: Vec<bool> = h.iter().map(|e| e.empty_layer).collect();
        assert_eq!(marks, [false, true, true, true]);
        assert_eq!(h.len(), 4);
    }

    #[test]
    fn missing_history_is_added() {
        let e = t("2024-01-01T00:00:00Z");
        let mut h = vec![entry(None, "env", true)];
        normalize_history(&mut h, 2, Some(e), &[]);
        assert_eq!(h.len(), 3);
        for added in &h[1..] {
            assert_eq!(added.created, Some(e));
            assert_eq!(added.created_by.as_deref(), Some(HISTORY_ADDED_CREATED_BY));
            assert_eq!(added.comment.as_deref(), Some(HISTORY_ADDED_COMMENT));
            assert!(!added.empty_layer);
        }
        // The ENV entry had no time: it gets the first time after the gap.
        assert_eq!(h[0].created, Some(e));
    }

    #[test]
    fn gaps_are_filled_like_buildkit() {
        let t1 = t("2020-01-01T00:00:00Z");
        let t2 = t("2021-01-01T00:00:00Z");
        // [t1, -, t2, -] → [t1, t2, t2, t2]
        let mut h = vec![
            entry(Some("2020-01-01T00:00:00Z"), "a", true),
            entry(None, "b", true),
            entry(Some("2021-01-01T00:00:00Z"), "c", true),
            entry(None, "d", true),
        ];
        normalize_history(&mut h, 0, None, &[]);
        let got: Vec<_> = h.iter().map(|e| e.created).collect();
        assert_eq!(got, [Some(t1), Some(t2), Some(t2), Some(t2)]);
        // [-, t1] → [t1, t1]; no time at all stays without one.
        let mut h = vec![
            entry(None, "a", true),
            entry(Some("2020-01-01T00:00:00Z"), "b", true),
        ];
        normalize_history(&mut h, 0, None, &[]);
        assert!(h.iter().all(|e| e.created == Some(t1)));
        let mut h = vec![entry(None, "a", false)];
        normalize_history(&mut h, 1, None, &[]);
        assert_eq!(h[0].created, None);
    }

    #[test]
    fn epoch_clamps_new_history_but_keeps_the_base_prefix() {
        let epoch = t("2022-01-01T00:00:00Z");
        let base = vec![
            entry(Some("2023-06-01T00:00:00Z"), "base layer", false),
            entry(Some("2023-06-02T00:00:00Z"), "base cmd", true),
        ];
        let mut h = base.clone();
        h.push(entry(Some("2024-01-01T00:00:00Z"), "RUN later", false));
        h.push(entry(Some("2021-01-01T00:00:00Z"), "RUN earlier", false));
        h.push(entry(None, "ENV", true));
        normalize_history(&mut h, 3, Some(epoch), &base);
        let got: Vec<String> = h.iter().map(|e| e.created.unwrap().to_string()).collect();
        assert_eq!(
            got,
            [
                "2023-06-01T00:00:00Z",
                "2023-06-02T00:00:00Z",
                "2022-01-01T00:00:00Z",
                "2021-01-01T00:00:00Z",
                // No time: the previous entry's (buildkit's fill), not later
                // than the epoch, so kept.
                "2021-01-01T00:00:00Z",
            ]
        );
    }

    #[test]
    fn a_changed_base_entry_ends_the_kept_prefix() {
        let epoch = t("2022-01-01T00:00:00Z");
        // Two base layers, but only one layer now: the second base entry is
        // marked empty, so it and everything after are clamped.
        let base = vec![
            entry(Some("2023-06-01T00:00:00Z"), "one", false),
            entry(Some("2023-06-02T00:00:00Z"), "two", false),
            entry(Some("2023-06-03T00:00:00Z"), "three", true),
        ];
        let mut h = base.clone();
        normalize_history(&mut h, 1, Some(epoch), &base);
        let got: Vec<String> = h.iter().map(|e| e.created.unwrap().to_string()).collect();
        assert_eq!(
            got,
            [
                "2023-06-01T00:00:00Z",
                "2022-01-01T00:00:00Z",
                "2022-01-01T00:00:00Z"
            ]
        );
        assert!(h[1].empty_layer);
    }

    #[test]
    fn config_key_order_and_omitempty() {
        let config: Map<String, Value> = serde_json::from_str(
            r#"{"Zeta":1,"Cmd":["sh"],"Env":[],"User":"","Healthcheck":{"Retries":3,"Test":["CMD","true"],"Interval":0,"X":1},"Hostname":"","ArgsEscaped":false,"Labels":{}}"#,
        )
        .unwrap();
        let bytes = to_go_json(&ordered_config(config));
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"Cmd":["sh"],"Healthcheck":{"Test":["CMD","true"],"Retries":3,"X":1},"Hostname":"","Zeta":1}"#
        );
    }
}
