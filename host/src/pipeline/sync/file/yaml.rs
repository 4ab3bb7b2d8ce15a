//! YAML text to a tree of values that remember their line, built from
//! `saphyr-parser`'s events.
//!
//! Owns: YAML 1.2's core schema for plain scalars (null, booleans,
//! integers, floats, else text), anchors and aliases (an alias is a copy
//! of what its anchor names, bounded so that a few lines cannot expand to
//! gigabytes), merge keys (`<<: *a`, `<<: [*a, *b]`: the mapping's own
//! keys win, then earlier merged mappings over later ones), and the
//! refusal of what a sync file never needs: a second document, a key that
//! is not text, a key written twice, a tag outside the core schema,
//! nesting deeper than [`MAX_DEPTH`].
//! Must not: know what a sync file means; `super::build` reads the tree.

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};
use std::collections::{HashMap, HashSet};

/// How many values aliases may add in all: far more than any sync file
/// needs, far less than an alias bomb's billions.
const MAX_ALIASED_VALUES: usize = 100_000;

/// How deep lists and mappings may nest: a sync file needs five levels;
/// the tree's copies and drops recurse.
const MAX_DEPTH: usize = 64;

/// A value and the line (1-based) where it is written.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Node {
    pub line: usize,
    pub value: Value,
}

/// A YAML value, scalars resolved by the core schema.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in the order written, merged keys where their `<<` stood.
    Map(Vec<(Key, Node)>),
}

/// A mapping's key: always text in a sync file.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Key {
    pub text: String,
    pub line: usize,
    /// A plain `<<`: a merge key, not a key named `<<`.
    merge: bool,
}

/// Why the text is not a YAML document the reader takes.
#[derive(Debug, PartialEq)]
pub(super) struct YamlError {
    pub line: usize,
    pub message: String,
}

fn fail<T>(line: usize, message: impl Into<String>) -> Result<T, YamlError> {
    Err(YamlError {
        line,
        message: message.into(),
    })
}

/// The document in `text`, or `None` when it holds none (only comments
/// or blanks).
pub(super) fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    let mut builder = Builder::default();
    let mut documents = 0;
    for next in Parser::new_from_str(text) {
        let (event, span) = next.map_err(syntax)?;
        let line = span.start.line();
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return fail(line, "a second YAML document; a sync file is one document");
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                builder.scalar(&text, style, anchor, tag.as_deref(), line)?
            }
            Event::SequenceStart(anchor, tag) => {
                builder.open(Open::Seq, anchor, tag.as_deref(), line)?
            }
            Event::MappingStart(anchor, tag) => {
                builder.open(Open::Map, anchor, tag.as_deref(), line)?
            }
            Event::SequenceEnd | Event::MappingEnd => builder.close()?,
            Event::Alias(id) => builder.alias(id, line)?,
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
    Ok(builder.root)
}

/// A syntax error, on its line, in the parser's words.
fn syntax(e: ScanError) -> YamlError {
    YamlError {
        line: e.marker().line(),
        message: format!("not valid YAML: {}", e.info()),
    }
}

enum Open {
    Seq,
    Map,
}

/// A sequence or mapping whose end has not been read yet.
enum Frame {
    Seq {
        line: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        line: usize,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        key: Option<Key>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    /// Each anchor's value and how many values it holds.
    anchors: HashMap<usize, (Node, usize)>,
    aliased: usize,
    root: Option<Node>,
}

impl Builder {
    /// Whether the next value read is a mapping's key.
    fn wants_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        line: usize,
    ) -> Result<(), YamlError> {
        let value = resolve(text, style, tag, line)?;
        if self.wants_key() {
            let merge = style == ScalarStyle::Plain && tag.is_none() && text == "<<";
            let key = Key {
                text: text.to_string(),
                line,
                merge,
            };
            if anchor > 0 {
                self.anchors.insert(anchor, (Node { line, value }, 1));
            }
            if let Some(Frame::Map { key: slot, .. }) = self.stack.last_mut() {
                *slot = Some(key);
            }
            return Ok(());
        }
        self.finish(Node { line, value }, anchor)
    }

    fn open(
        &mut self,
        kind: Open,
        anchor: usize,
        tag: Option<&Tag>,
        line: usize,
    ) -> Result<(), YamlError> {
        if self.wants_key() {
            return fail(line, "a key must be text, not a list or a mapping");
        }
        if let Some(tag) = tag.filter(|t| !t.is_yaml_core_schema()) {
            return fail(line, format!("the tag {tag} is not supported; remove it"));
        }
        if self.stack.len() == MAX_DEPTH {
            return fail(
                line,
                format!("lists and mappings nest more than {MAX_DEPTH} deep"),
            );
        }
        self.stack.push(match kind {
            Open::Seq => Frame::Seq {
                line,
                anchor,
                items: Vec::new(),
            },
            Open::Map => Frame::Map {
                line,
                anchor,
                entries: Vec::new(),
                key: None,
            },
        });
        Ok(())
    }

    fn close(&mut self) -> Result<(), YamlError> {
        let (node, anchor) = match self.stack.pop() {
            Some(Frame::Seq {
                line,
                anchor,
                items,
            }) => (
                Node {
                    line,
                    value: Value::Seq(items),
                },
                anchor,
            ),
            Some(Frame::Map {
                line,
                anchor,
                entries,
                ..
            }) => (
                Node {
                    line,
                    value: Value::Map(merged(entries)?),
                },
                anchor,
            ),
            None => return Ok(()),
        };
        self.finish(node, anchor)
    }

    fn alias(&mut self, id: usize, line: usize) -> Result<(), YamlError> {
        if self.wants_key() {
            return fail(line, "an alias as a key is not supported; write the key");
        }
        let Some((node, size)) = self.anchors.get(&id) else {
            return fail(line, "an alias to an anchor not defined before it");
        };
        self.aliased += size;
        if self.aliased > MAX_ALIASED_VALUES {
            return fail(
                line,
                format!("aliases expand to more than {MAX_ALIASED_VALUES} values"),
            );
        }
        let node = node.clone();
        self.finish(node, 0)
    }

    /// Places a whole value in what holds it.
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), count(&node)));
        }
        match self.stack.last_mut() {
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => {
                let key = key.take().expect("a value follows its key");
                entries.push((key, node));
            }
            None => self.root = Some(node),
        }
        Ok(())
    }
}

/// How many values `node` holds, itself included.
fn count(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count).sum(),
        Value::Map(entries) => entries.iter().map(|(_, v)| count(v)).sum(),
        _ => 0,
    }
}

/// A mapping's entries with its merge keys applied: its own keys first
/// in precedence, then each merged mapping in the order listed.
fn merged(entries: Vec<(Key, Node)>) -> Result<Vec<(Key, Node)>, YamlError> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (key, _) in &entries {
        if let Some(first) = seen.insert(&key.text, key.line) {
            let message = if key.merge {
                "`<<` is written twice; merge several mappings with `<<: [*a, *b]`".to_string()
            } else {
                format!(
                    "the key `{}` is written twice (first at line {first})",
                    key.text
                )
            };
            return fail(key.line, message);
        }
    }
    let mut taken: HashSet<String> = entries
        .iter()
        .filter(|(k, _)| !k.merge)
        .map(|(k, _)| k.text.clone())
        .collect();
    let mut out = Vec::with_capacity(entries.len());
    for (key, node) in entries {
        if !key.merge {
            out.push((key, node));
            continue;
        }
        for source in merge_sources(node)? {
            out.extend(
                source
                    .into_iter()
                    .filter(|(k, _)| taken.insert(k.text.clone())),
            );
        }
    }
    Ok(out)
}

/// The mappings a `<<` merges, in order.
fn merge_sources(node: Node) -> Result<Vec<Vec<(Key, Node)>>, YamlError> {
    let wrong = |line| YamlError {
        line,
        message:
            "`<<` merges mappings: give it a mapping or a list of them (`<<: *a`, `<<: [*a, *b]`)"
                .to_string(),
    };
    match node.value {
        Value::Map(entries) => Ok(vec![entries]),
        Value::Seq(items) => items
            .into_iter()
            .map(|item| match item.value {
                Value::Map(entries) => Ok(entries),
                _ => Err(wrong(item.line)),
            })
            .collect(),
        _ => Err(wrong(node.line)),
    }
}

/// A scalar's value: text when quoted, a block or tagged `!!str`, else
/// by the core schema.
fn resolve(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    line: usize,
) -> Result<Value, YamlError> {
    let as_text = Value::Str(text.to_string());
    match tag {
        Some(tag) if !tag.is_yaml_core_schema() => {
            return fail(line, format!("the tag {tag} is not supported; remove it"));
        }
        Some(tag) if tag.suffix == "str" => return Ok(as_text),
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return Ok(as_text);
    }
    Ok(match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        _ => integer(text).or_else(|| float(text)).unwrap_or(as_text),
    })
}

/// A core-schema integer: decimal, `0o` octal or `0x` hexadecimal.
fn integer(text: &str) -> Option<Value> {
    let parsed = if let Some(octal) = text.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()
    } else if let Some(hex) = text.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else {
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        let decimal = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        decimal.then(|| text.parse().ok()).flatten()
    };
    parsed.map(Value::Int)
}

/// A core-schema float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn float(text: &str) -> Option<Value> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
        None => (body, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mantissa_ok =
        digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| !e.is_empty() && digits(e));
    (mantissa_ok && exponent_ok)
        .then(|| text.parse().ok().map(Value::Float))
        .flatten()
}
