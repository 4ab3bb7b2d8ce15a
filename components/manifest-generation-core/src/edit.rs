//! `image mutate`'s decision: an existing image config with edits applied
//! ([`edit_config`]), the fields it sets read with `image build`'s rules
//! (see [`crate::image_config`]: env keys, the exec and shell forms of
//! entrypoint and cmd, exposed ports) and the step recorded as a history
//! entry.
//!
//! It owns the new config's bytes and every refusal an edit can meet, so
//! the host refuses before it writes anything. It must not touch what it
//! was not asked to change: the layers (`rootfs` is kept as written), the
//! platform keys (an existing config's platform is not normalised), the
//! history's entries and how they match the layers (the added entry is an
//! empty layer's), and any key it does not know. It does not decide the
//! manifest: the host puts the new config's descriptor in the source's
//! manifest.

use crate::config::{
    ConfigFields, Entry, Top, apply_config, check_config, env_entry_key, env_key, env_key_eq, kind,
    non_empty, sorted, string_list, take_config, take_created, take_history, write_config,
};
use crate::read::parse_object;
use crate::time::Time;
use crate::{Annotation, Document, Error};
use ocipipe_sdk::json::{Ordered, OrderedValue, annotation_map};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The name of the edited config in messages.
const SRC: &str = "config";

/// What `image mutate` changes in an image config (WIT `config-edits`).
///
/// An empty string in `entrypoint`, `cmd`, `user` or `working_dir` clears
/// the field (as `regctl image mod --config-cmd ""` and
/// `docker run --entrypoint ""` do); `None` keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigEdits {
    /// `KEY=value`, each replacing the config's first variable with that
    /// key in place (keys compared case-insensitively for a Windows image)
    /// or else appended, in order.
    pub env: Vec<String>,
    /// Keys of variables removed, every entry with that key; each must be
    /// in the config.
    pub env_remove: Vec<String>,
    /// Labels added or replacing the config's; each key given once.
    pub labels: Vec<Annotation>,
    /// Keys of labels removed; each must be in the config.
    pub label_remove: Vec<String>,
    /// A JSON array of strings (the exec form) or a command line run by the
    /// image's shell (the shell form), as
    /// [`ConfigRequest::entrypoint`](crate::ConfigRequest::entrypoint);
    /// `""` or `[]` clears it. Given without `cmd`, the config's `Cmd` is
    /// cleared too (the Dockerfile rule for `ENTRYPOINT`, which
    /// `crane mutate --entrypoint` follows).
    pub entrypoint: Option<String>,
    /// As `entrypoint`; `""` or `[]` clears it.
    pub cmd: Option<String>,
    /// Replaces the user; `""` clears it.
    pub user: Option<String>,
    /// Replaces the working directory; `""` clears it.
    pub working_dir: Option<String>,
    /// `port[/proto]` or `start-end[/proto]`, added to the config's.
    pub exposed_ports: Vec<String>,
    /// Seconds since the Unix epoch: the new top-level `created` and the
    /// added history entry's; `None` keeps the config's `created`.
    pub created: Option<i64>,
    /// The added history entry's `created_by`, e.g. the command line
    /// (`ocipipe image mutate --env A=1`); none or empty leaves it out.
    pub created_by: Option<String>,
}

/// `config` (an image config's bytes, OCI or Docker: they are the same
/// JSON) with `edits` applied, written the way [`crate::image_config`]
/// writes a config.
///
/// - Fields: see [`ConfigEdits`]; removals first, then the env, entrypoint,
///   cmd, user, working directory, labels and exposed ports as
///   `image build` sets them over a base.
/// - `history`: the config's entries, then one with `empty_layer: true`,
///   `created` = `edits.created`, else the config's `created` (none
///   without either), `created_by` = `edits.created_by`. The entries are
///   not matched to the layers again: the non-empty ones stay as many as
///   they were.
/// - `created`: `edits.created` (written as RFC 3339 UTC), else the
///   config's as written.
/// - Everything else is kept: `rootfs` (`diff_ids` exactly), the platform
///   keys, unknown keys at any level.
///
/// The output is canonical, not the input's bytes plus a change: the
/// top-level keys and every object's keys are sorted, `config` and
/// `rootfs` are in the Go structs' order with `config`'s empty fields left
/// out, history entries keep only the OCI `History` keys with their times
/// in Go's form, and the JSON is compact. So the same edits of the same
/// config give the same bytes, and an edit of [`crate::image_config`]'s
/// output changes only what it edits.
///
/// The returned media type is [`crate::MEDIA_TYPE_OCI_CONFIG`]; for a
/// Docker schema2 manifest the host pushes the bytes as the source's
/// config media type
/// (`application/vnd.docker.container.image.v1+json`), which is the same
/// document.
///
/// Refused, naming what did not match, before any change: a config that is
/// not a JSON object of at most [`crate::MAX_DOCUMENT_SIZE`] bytes (too
/// large: [`Error::TooLarge`]), without `rootfs`, or with a field of the
/// wrong type (`config`, `history`, `created`, `os`, `rootfs`, the
/// `config` fields Go decodes); an env entry without `KEY=`; an empty,
/// repeated or removed-and-set label key; a removal of a key the config
/// does not have (the message lists the keys it has); a key both set and
/// removed; a bad entrypoint, cmd, port or time.
pub fn edit_config(config: &[u8], edits: &ConfigEdits) -> Result<Document, Error> {
    let mut top = parse_object(config, SRC)?;
    let os = match top.get("os") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(Error::invalid(format!(
                "{SRC}: os is {} where a string is needed",
                kind(other)
            )));
        }
    };
    let rootfs = take_rootfs(&mut top)?;
    let mut history = take_history(SRC, &mut top)?;
    let created = take_created(SRC, &mut top)?;
    let mut fields = take_config(SRC, &mut top)?;
    check_config(SRC, &fields)?;
    let now = edits
        .created
        .map(|s| Time::from_unix_seconds("created", s))
        .transpose()?;

    remove_env(&mut fields, &os, edits)?;
    remove_labels(&mut fields, edits)?;
    apply_config(
        SRC,
        &mut fields,
        &ConfigFields {
            os: &os,
            env: &edits.env,
            entrypoint: command_edit(&edits.entrypoint),
            cmd: command_edit(&edits.cmd),
            working_dir: edits.working_dir.as_deref(),
            user: edits.user.as_deref(),
            labels: &edits.labels,
            exposed_ports: &edits.exposed_ports,
        },
    )?;

    let entry_created = match now {
        Some(t) => Some(t),
        // take_created has checked that it parses.
        None => created
            .as_deref()
            .map(|s| Time::parse(&format!("{SRC}: created"), s))
            .transpose()?,
    };
    history.push(Entry {
        created: entry_created,
        created_by: non_empty(&edits.created_by),
        author: None,
        comment: None,
        empty_layer: true,
    });
    if let Some(c) = now.map(|t| t.to_string()).or(created) {
        top.insert("created".into(), c.into());
    }
    Ok(write_config(top, fields, Some(rootfs), &history))
}

/// An entrypoint or cmd edit as [`ConfigFields`] takes it: an empty value
/// clears, the same edit as `[]` (the shell form of nothing,
/// `/bin/sh -c ""`, is never what is meant).
fn command_edit(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(|s| if s.is_empty() { "[]" } else { s })
}

/// Takes `rootfs` out of the config, kept as written, in the OCI Go
/// struct's order (`type`, `diff_ids`), any other key after them sorted.
fn take_rootfs(top: &mut Map<String, Value>) -> Result<Top<'static>, Error> {
    let mut rootfs = match top.remove("rootfs") {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => {
            return Err(Error::invalid(format!(
                "{SRC}: no rootfs: not an image config (an image config lists its layers' diff_ids there)"
            )));
        }
        Some(other) => {
            return Err(Error::invalid(format!(
                "{SRC}: rootfs is {} where an object is needed",
                kind(&other)
            )));
        }
    };
    if let Some(v) = rootfs
        .get("type")
        .filter(|v| !v.is_null() && !v.is_string())
    {
        return Err(Error::invalid(format!(
            "{SRC}: rootfs.type is {} where a string is needed",
            kind(v)
        )));
    }
    match rootfs.get("diff_ids") {
        None | Some(Value::Null) => {}
        Some(Value::Array(ids)) => {
            if let Some((i, v)) = ids.iter().enumerate().find(|(_, v)| !v.is_string()) {
                return Err(Error::invalid(format!(
                    "{SRC}: rootfs.diff_ids[{i}] is {} where a string is needed",
                    kind(v)
                )));
            }
        }
        Some(other) => {
            return Err(Error::invalid(format!(
                "{SRC}: rootfs.diff_ids is {} where an array is needed",
                kind(other)
            )));
        }
    }
    let mut out = Vec::with_capacity(rootfs.len());
    for key in ["type", "diff_ids"] {
        if let Some(v) = rootfs.remove(key) {
            out.push((key.to_owned(), OrderedValue::Plain(v)));
        }
    }
    // Whatever else a writer put there: kept, sorted as every other object.
    let rest: BTreeMap<String, Value> = rootfs.into_iter().collect();
    out.extend(
        rest.into_iter()
            .map(|(k, v)| (k, OrderedValue::Plain(sorted(v)))),
    );
    Ok(Top::Ordered(Ordered(out)))
}

/// `it has "A", "B"`, or `it has none`.
fn what_it_has<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    let listed: Vec<String> = keys.map(|k| format!("{k:?}")).collect();
    if listed.is_empty() {
        "it has none".to_owned()
    } else {
        format!("it has {}", listed.join(", "))
    }
}

/// Removes `edits.env_remove` from `config.Env`, every entry of each key,
/// after checking them all against the config as it was.
fn remove_env(config: &mut Map<String, Value>, os: &str, edits: &ConfigEdits) -> Result<(), Error> {
    let set: Vec<&str> = edits
        .env
        .iter()
        .enumerate()
        .map(|(i, e)| env_entry_key(i, e))
        .collect::<Result<_, _>>()?;
    if edits.env_remove.is_empty() {
        return Ok(());
    }
    let env = string_list(SRC, "Env", config.get("Env"))?;
    for (i, key) in edits.env_remove.iter().enumerate() {
        if key.is_empty() {
            return Err(Error::invalid(format!("env-remove[{i}]: empty key")));
        }
        if key.contains('=') {
            return Err(Error::invalid(format!(
                "env-remove[{i}]: {key:?} is not a key (a key has no `=`)"
            )));
        }
        if let Some(j) = set.iter().position(|k| env_key_eq(os, k, key)) {
            return Err(Error::invalid(format!(
                "env-remove[{i}]: {key:?} is also set by env[{j}] ({:?}); give one or the other",
                edits.env[j]
            )));
        }
        if !env.iter().any(|e| env_key_eq(os, env_key(e), key)) {
            let mut keys: Vec<&str> = Vec::new();
            for k in env.iter().map(|e| env_key(e)) {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            return Err(Error::invalid(format!(
                "env-remove[{i}]: the config has no variable {key:?} ({})",
                what_it_has(keys.into_iter())
            )));
        }
    }
    let kept: Vec<String> = env
        .into_iter()
        .filter(|e| {
            !edits
                .env_remove
                .iter()
                .any(|k| env_key_eq(os, env_key(e), k))
        })
        .collect();
    config.insert("Env".into(), kept.into());
    Ok(())
}

/// Removes `edits.label_remove` from `config.Labels`, after checking them
/// all against the config as it was.
fn remove_labels(config: &mut Map<String, Value>, edits: &ConfigEdits) -> Result<(), Error> {
    let set = annotation_map("labels", &edits.labels)?;
    if edits.label_remove.is_empty() {
        return Ok(());
    }
    // check_config made sure it is an object (or nothing).
    let mut labels = match config.remove("Labels") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for (i, key) in edits.label_remove.iter().enumerate() {
        if key.is_empty() {
            return Err(Error::invalid(format!("label-remove[{i}]: empty key")));
        }
        if let Some(v) = set.get(key.as_str()) {
            return Err(Error::invalid(format!(
                "label-remove[{i}]: {key:?} is also set by labels (to {v:?}); give one or the other"
            )));
        }
        if !labels.contains_key(key) {
            let mut keys: Vec<&str> = labels.keys().map(String::as_str).collect();
            keys.sort_unstable();
            return Err(Error::invalid(format!(
                "label-remove[{i}]: the config has no label {key:?} ({})",
                what_it_has(keys.into_iter())
            )));
        }
    }
    for key in &edits.label_remove {
        labels.remove(key);
    }
    config.insert("Labels".into(), Value::Object(labels));
    Ok(())
}
