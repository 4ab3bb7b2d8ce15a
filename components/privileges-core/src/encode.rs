//! Encoding a decoded Go value the way Go's `encoding/json` `Marshal`
//! does (Go 1.19, the Go of Engine 20.10), so that a config written here
//! has the bytes the engine's `json.Encoder` gives the same value:
//!
//! - struct fields in the schema's (the Go struct's) order, by JSON name;
//!   an `omitempty` field is left out when false, 0, "", a nil pointer or
//!   an empty slice, never when a struct;
//! - a nil pointer or a nil slice is `null`, an empty slice `[]`;
//! - strings escape `"`, `\`, control characters (`\n`, `\r`, `\t`, the
//!   rest as `\u00XX`), the HTML characters `<`, `>`, `&` and the line
//!   separators U+2028 and U+2029, as `\uXXXX` in lower-case hex;
//! - a `PluginInterfaceType` is its `MarshalJSON`: the string
//!   `PREFIX.CAPABILITY/VERSION` of its parts.
//!
//! Must not: know what the fields mean (the crate's `config` and `create`
//! modules do).

use crate::decode::{Struct, Type, Value};
use std::fmt::Write as _;

/// `value`, of type `ty`, as Go's `json.Marshal` writes it.
pub fn marshal(value: &Value, ty: &Type) -> String {
    let mut out = String::new();
    encode(&mut out, value, ty);
    out
}

fn encode(out: &mut String, value: &Value, ty: &Type) {
    match (ty, value) {
        (Type::Bool, Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        (Type::String, Value::String(s)) => string(out, s),
        (Type::Uint32, Value::Uint(n)) => {
            let _ = write!(out, "{n}");
        }
        (Type::Pointer(_), Value::Pointer(None)) => out.push_str("null"),
        (Type::Pointer(elem), Value::Pointer(Some(v))) => encode(out, v, elem),
        (Type::Slice(_), Value::Slice { nil: true, .. }) => out.push_str("null"),
        (Type::Slice(elem), slice @ Value::Slice { .. }) => {
            out.push('[');
            for (i, v) in slice.as_slice().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode(out, v, elem);
            }
            out.push(']');
        }
        (Type::Struct(s), Value::Struct(values)) => object(out, s, values),
        (Type::PluginInterface, Value::PluginInterface(raw)) => {
            let (prefix, capability, version) = interface_parts(raw);
            string(out, &format!("{prefix}.{capability}/{version}"));
        }
        (ty, value) => unreachable!("{value:?} is not a value of {ty:?}"),
    }
}

fn object(out: &mut String, s: &Struct, values: &[Value]) {
    out.push('{');
    let mut first = true;
    for (field, value) in s.fields.iter().zip(values) {
        if field.omit_empty && is_empty(value) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        string(out, field.name);
        out.push(':');
        encode(out, value, &field.ty);
    }
    out.push('}');
}

/// Go's `isEmptyValue`, for the kinds a plugin config has.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Uint(n) => *n == 0,
        Value::Pointer(p) => p.is_none(),
        Value::Slice { len, .. } => *len == 0,
        Value::Struct(_) | Value::PluginInterface(_) => false,
    }
}

/// A JSON string as Go writes it with HTML escaping on.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The parts moby's `PluginInterfaceType.UnmarshalJSON` splits the raw
/// text into: the prefix up to the last `.` before the first `/` (empty,
/// and the capability then starts after the first byte, when there is no
/// such `.`), the capability up to that `/`, the version after it.
pub fn interface_parts(raw: &str) -> (&str, &str, &str) {
    let bytes = raw.as_bytes();
    let mut prefix_end = 0;
    let mut version_start = bytes.len();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'.' => prefix_end = i,
            b'/' => {
                version_start = i;
                break;
            }
            _ => {}
        }
    }
    let capability_start = (prefix_end + 1).min(version_start);
    let version = if version_start < bytes.len() {
        &raw[version_start + 1..]
    } else {
        ""
    };
    (
        &raw[..prefix_end],
        &raw[capability_start..version_start],
        version,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_go_escapes_them() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\nd\u{1}<&>\u{2028}\u{7f}é\u{8}\u{c}");
        assert_eq!(
            out,
            "\"a\\\"b\\\\c\\nd\\u0001\\u003c\\u0026\\u003e\\u2028\u{7f}é\\u0008\\u000c\""
        );
    }

    #[test]
    fn interface_types_split_as_moby_splits_them() {
        assert_eq!(
            interface_parts("docker.volumedriver/1.0"),
            ("docker", "volumedriver", "1.0")
        );
        assert_eq!(interface_parts("a.b.c/1/2"), ("a.b", "c", "1/2"));
        assert_eq!(
            interface_parts("volumedriver/1.0"),
            ("", "olumedriver", "1.0")
        );
        assert_eq!(interface_parts("docker.authz"), ("docker", "authz", ""));
        assert_eq!(interface_parts(""), ("", "", ""));
        assert_eq!(interface_parts("/1.0"), ("", "", "1.0"));
        assert_eq!(interface_parts("x./1"), ("x", "", "1"));
    }
}
