//! The YAML tree read into a [`SyncFile`]: each key known where it
//! stands, each value of the type it needs, defaults applied.
//!
//! Owns: the sync file's schema and its refusals, each at the line and
//! key path of what is wrong. Must not: parse YAML (`super::yaml` does).

use super::yaml::{Key, Node, Value};
use super::{At, Budget, Compression, Entry, FileError, Kind, Platforms, SyncFile, TagFilter};
use std::collections::HashMap;

const TOP: &[&str] = &["version", "defaults", "registries", "sync"];
const SETTINGS: &[&str] = &[
    "parallel",
    "platforms",
    "referrers",
    "referrer-types",
    "compression",
    "tags",
];
const ENTRY: &[&str] = &[
    "source",
    "target",
    "type",
    "parallel",
    "platforms",
    "referrers",
    "referrer-types",
    "compression",
    "tags",
];
const TAGS: &[&str] = &["allow", "deny", "semver", "latest"];
const BUDGET: &[&str] = &["requests-per-second", "concurrency"];
const DEFAULT_PARALLEL: usize = 4;

type Result<T> = std::result::Result<T, FileError>;

/// The file named `shown` from its document (`None`: the file is empty).
pub(super) fn sync_file(shown: &str, root: Option<Node>) -> Result<SyncFile> {
    let r = Reader { shown };
    let Some(root) = root.filter(|root| root.value != Value::Null) else {
        let message = "the file is empty; a sync file needs `version: 1` and `sync:` entries";
        return Err(r.error(None, None, message));
    };
    let top = r.fields(&root, "", root.line, TOP)?;
    let version = top.require(&r, "version", "a sync file starts with `version: 1`")?;
    match version.node.value {
        Value::Int(1) => {}
        Value::Int(n) => {
            return Err(r.at(
                &version,
                format!("version {n} is not known; this ocipipe reads version 1"),
            ));
        }
        _ => return Err(r.wrong(&version, "the number 1")),
    }
    let defaults = match top.get("defaults") {
        Some(d) => r.settings(&r.fields(d.node, &d.key, d.line, SETTINGS)?)?,
        None => Settings::default(),
    };
    let registries = match top.get("registries") {
        Some(field) => r.registries(&field)?,
        None => Vec::new(),
    };
    let sync = top.require(&r, "sync", "list the images to copy under `sync:`")?;
    let Value::Seq(items) = &sync.node.value else {
        return Err(r.wrong(&sync, "a list of entries (`- source: …`)"));
    };
    if items.is_empty() {
        return Err(r.at(
            &sync,
            "no entries; list at least one `- source: … target: …`",
        ));
    }
    let mut entries = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        entries.push(r.entry(item, &format!("sync[{i}]"), &defaults)?);
    }
    r.distinct_targets(&entries)?;
    Ok(SyncFile {
        shown: shown.to_string(),
        entries,
        registries,
    })
}

/// A value under a key, with the key's path and line.
struct Field<'n> {
    key: String,
    line: usize,
    node: &'n Node,
}

/// A mapping's known keys, the `x-` ones left out.
struct Fields<'n> {
    path: String,
    line: usize,
    entries: Vec<(&'n Key, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn get(&self, name: &str) -> Option<Field<'n>> {
        let (key, node) = self.entries.iter().find(|(k, _)| k.text == name)?;
        Some(Field {
            key: child(&self.path, name),
            line: key.line,
            node,
        })
    }

    fn require(&self, r: &Reader, name: &str, hint: &str) -> Result<Field<'n>> {
        self.get(name).ok_or_else(|| {
            r.error(
                Some(self.line),
                Some(child(&self.path, name)),
                format!("missing; {hint}"),
            )
        })
    }
}

/// `path.key`, the key quoted when it holds more than letters, digits,
/// `-` and `_` (a registry host: `registries."localhost:5000"`).
fn child(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let key = if plain {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

/// What a value is, for "expected …, found …".
fn found(value: &Value) -> String {
    match value {
        Value::Null => "nothing (an empty value)".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Int(n) => format!("the number {n}"),
        Value::Float(x) => format!("the number {x}"),
        Value::Str(s) => format!("a string ({s:?})"),
        Value::Seq(_) => "a list".to_string(),
        Value::Map(_) => "a mapping".to_string(),
    }
}

/// Settings an entry may give or inherit; `None`: not written.
#[derive(Default)]
struct Settings {
    parallel: Option<usize>,
    platforms: Option<Platforms>,
    referrers: Option<bool>,
    referrer_types: Option<Vec<String>>,
    compression: Option<Compression>,
    tags: Option<TagFilter>,
}

struct Reader<'a> {
    shown: &'a str,
}

impl Reader<'_> {
    fn error(
        &self,
        line: Option<usize>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> FileError {
        FileError {
            shown: self.shown.to_string(),
            line,
            key,
            message: message.into(),
        }
    }

    fn at(&self, field: &Field, message: impl Into<String>) -> FileError {
        self.error(Some(field.line), Some(field.key.clone()), message)
    }

    fn wrong(&self, field: &Field, expected: &str) -> FileError {
        self.at(
            field,
            format!("expected {expected}, found {}", found(&field.node.value)),
        )
    }

    /// The keys of the mapping `node` (at `path`), each one of `allowed`
    /// or an ignored `x-` key.
    fn fields<'n>(
        &self,
        node: &'n Node,
        path: &str,
        line: usize,
        allowed: &[&str],
    ) -> Result<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            let key = (!path.is_empty()).then(|| path.to_string());
            let message = format!(
                "expected a mapping (`key: value` lines), found {}",
                found(&node.value)
            );
            return Err(self.error(Some(line), key, message));
        };
        let mut known = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            if key.text.starts_with("x-") {
                continue;
            }
            if !allowed.contains(&key.text.as_str()) {
                let message = format!(
                    "unknown key; allowed here: {} (and `x-` keys, which are ignored)",
                    allowed.join(", ")
                );
                return Err(self.error(Some(key.line), Some(child(path, &key.text)), message));
            }
            known.push((key, value));
        }
        Ok(Fields {
            path: path.to_string(),
            line,
            entries: known,
        })
    }

    /// Non-empty text.
    fn string(&self, field: &Field) -> Result<At<String>> {
        let Value::Str(text) = &field.node.value else {
            return Err(self.wrong(field, "a string"));
        };
        if text.trim().is_empty() {
            return Err(self.at(field, "empty; write a value or remove the key"));
        }
        Ok(At {
            value: text.clone(),
            line: field.line,
            key: field.key.clone(),
        })
    }

    /// A list of non-empty texts, each at its own line.
    fn strings(&self, field: &Field) -> Result<Vec<At<String>>> {
        let Value::Seq(items) = &field.node.value else {
            return Err(self.wrong(field, "a list of strings (`[a, b]`)"));
        };
        let item = |(i, node): (usize, &Node)| {
            self.string(&Field {
                key: format!("{}[{i}]", field.key),
                line: node.line,
                node,
            })
        };
        items.iter().enumerate().map(item).collect()
    }

    /// A whole number, at least 1 and at most `max`.
    fn count(&self, field: &Field, max: u64) -> Result<u64> {
        let Value::Int(n) = field.node.value else {
            return Err(self.wrong(field, "a whole number"));
        };
        if n < 1 {
            return Err(self.at(field, format!("must be at least 1, found {n}")));
        }
        u64::try_from(n)
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| self.at(field, format!("must be at most {max}, found {n}")))
    }

    fn boolean(&self, field: &Field) -> Result<bool> {
        match field.node.value {
            Value::Bool(b) => Ok(b),
            _ => Err(self.wrong(field, "true or false")),
        }
    }

    /// One of `allowed`, as its index.
    fn choice(&self, field: &Field, allowed: &[&str]) -> Result<usize> {
        let text = self.string(field)?;
        allowed
            .iter()
            .position(|a| *a == text.value)
            .ok_or_else(|| {
                self.at(
                    field,
                    format!(
                        "unknown value {:?}; allowed: {}",
                        text.value,
                        allowed.join(", ")
                    ),
                )
            })
    }
}

impl Reader<'_> {
    /// The settings written in `fields` (`defaults` or an entry).
    fn settings(&self, fields: &Fields) -> Result<Settings> {
        let mut s = Settings::default();
        if let Some(f) = fields.get("parallel") {
            s.parallel = Some(self.count(&f, u32::MAX.into())? as usize);
        }
        if let Some(f) = fields.get("platforms") {
            s.platforms = Some(self.platforms(&f)?);
        }
        if let Some(f) = fields.get("referrers") {
            s.referrers = Some(self.boolean(&f)?);
        }
        if let Some(f) = fields.get("referrer-types") {
            s.referrer_types = Some(self.strings(&f)?.into_iter().map(|t| t.value).collect());
        }
        if let Some(f) = fields.get("compression") {
            let all = [Compression::Keep, Compression::Gzip, Compression::Zstd];
            s.compression = Some(all[self.choice(&f, &["keep", "gzip", "zstd"])?]);
        }
        if let Some(f) = fields.get("tags") {
            s.tags = Some(self.tags(&f)?);
        }
        Ok(s)
    }

    fn platforms(&self, field: &Field) -> Result<Platforms> {
        let expected = "`all` or a list such as [linux/amd64, linux/arm64]";
        match &field.node.value {
            Value::Str(text) if text == "all" => Ok(Platforms::All),
            Value::Seq(items) if items.is_empty() => Err(self.at(
                field,
                format!("an empty list copies nothing; write {expected}"),
            )),
            Value::Seq(_) => Ok(Platforms::List(self.strings(field)?)),
            _ => Err(self.wrong(field, expected)),
        }
    }

    fn tags(&self, field: &Field) -> Result<TagFilter> {
        let fields = self.fields(field.node, &field.key, field.line, TAGS)?;
        let mut filter = TagFilter::default();
        if let Some(f) = fields.get("allow") {
            filter.allow = self.strings(&f)?;
        }
        if let Some(f) = fields.get("deny") {
            filter.deny = self.strings(&f)?;
        }
        if let Some(f) = fields.get("semver") {
            filter.semver = Some(self.string(&f)?);
        }
        if let Some(f) = fields.get("latest") {
            filter.latest = Some(self.count(&f, u32::MAX.into())? as u32);
        }
        Ok(filter)
    }

    /// `registries:`, each host's budget in file order.
    fn registries(&self, field: &Field) -> Result<Vec<(String, Budget)>> {
        let Value::Map(hosts) = &field.node.value else {
            return Err(self.wrong(
                field,
                "a mapping of registry hosts (`localhost:5000: {concurrency: 4}`)",
            ));
        };
        let mut budgets = Vec::with_capacity(hosts.len());
        for (host, node) in hosts.iter().filter(|(k, _)| !k.text.starts_with("x-")) {
            let path = child(&field.key, &host.text);
            if host.text.trim().is_empty() {
                return Err(self.error(Some(host.line), Some(path), "an empty registry host"));
            }
            let fields = self.fields(node, &path, host.line, BUDGET)?;
            let mut budget = Budget {
                requests_per_second: None,
                concurrency: None,
            };
            if let Some(f) = fields.get("requests-per-second") {
                budget.requests_per_second = Some(self.rate(&f)?);
            }
            if let Some(f) = fields.get("concurrency") {
                budget.concurrency = Some(self.count(&f, u32::MAX.into())? as usize);
            }
            budgets.push((host.text.clone(), budget));
        }
        Ok(budgets)
    }

    /// A finite number of requests per second, above 0.
    fn rate(&self, field: &Field) -> Result<f64> {
        let rate = match field.node.value {
            Value::Int(n) => n as f64,
            Value::Float(x) => x,
            _ => return Err(self.wrong(field, "a number")),
        };
        if !(rate.is_finite() && rate > 0.0) {
            return Err(self.at(field, format!("must be a number above 0, found {rate}")));
        }
        Ok(rate)
    }

    /// The entry `node` at `path`, defaults applied.
    fn entry(&self, node: &Node, path: &str, defaults: &Settings) -> Result<Entry> {
        let fields = self.fields(node, path, node.line, ENTRY)?;
        let source = self.string(&fields.require(
            self,
            "source",
            "each entry names a source and a target",
        )?)?;
        let target = self.string(&fields.require(
            self,
            "target",
            "each entry names a source and a target",
        )?)?;
        let kind = match fields.get("type") {
            Some(f) => {
                [Kind::Repository, Kind::Image][self.choice(&f, &["repository", "image"])?]
            }
            None => Kind::Repository,
        };
        let own = self.settings(&fields)?;
        if let (Kind::Image, Some(f)) = (kind, fields.get("tags")) {
            let message = "an image entry copies the one image it names; `tags` filters a `type: repository` entry";
            return Err(self.at(&f, message));
        }
        let tags = match kind {
            Kind::Repository => own
                .tags
                .or_else(|| defaults.tags.clone())
                .unwrap_or_default(),
            Kind::Image => TagFilter::default(),
        };
        Ok(Entry {
            at: node.line,
            source,
            target,
            kind,
            parallel: own
                .parallel
                .or(defaults.parallel)
                .unwrap_or(DEFAULT_PARALLEL),
            platforms: own
                .platforms
                .or_else(|| defaults.platforms.clone())
                .unwrap_or(Platforms::All),
            referrers: own.referrers.or(defaults.referrers).unwrap_or(false),
            referrer_types: own
                .referrer_types
                .or_else(|| defaults.referrer_types.clone())
                .unwrap_or_default(),
            compression: own
                .compression
                .or(defaults.compression)
                .unwrap_or(Compression::Keep),
            tags,
        })
    }

    /// No two entries write the same target text.
    fn distinct_targets(&self, entries: &[Entry]) -> Result<()> {
        let mut first: HashMap<&str, &At<String>> = HashMap::new();
        for entry in entries {
            let target = &entry.target;
            if let Some(earlier) = first.insert(target.value.trim(), target) {
                let message = format!(
                    "{:?} is also the target of {} (line {}); give each target one entry",
                    target.value.trim(),
                    earlier.key.trim_end_matches(".target"),
                    earlier.line
                );
                return Err(self.error(Some(target.line), Some(target.key.clone()), message));
            }
        }
        Ok(())
    }
}
