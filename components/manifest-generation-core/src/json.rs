//! JSON written byte for byte as Go's `encoding/json` `Marshal` writes it:
//! compact, and HTML-safe escaping of `<`, `>`, `&`, U+2028 and U+2029
//! (serde_json escapes the rest the way Go does: `\"`, `\\`, `\b`, `\f`,
//! `\n`, `\r`, `\t`, other control characters as `\u00xx`).

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;
use serde_json::ser::Formatter;
use std::io;

/// The trait's default methods are the compact ones; only string
/// fragments differ.
struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escaped = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escaped.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// The Go `json.Marshal` bytes of `value`.
pub(crate) fn to_go_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    // Serializing our own structs and `Value`s into memory cannot fail:
    // every map key is a string.
    value
        .serialize(&mut ser)
        .expect("serializing JSON into memory cannot fail");
    out
}

/// A JSON object whose keys come out in the given order (a Go struct's
/// field order), not sorted.
pub(crate) struct Ordered(pub Vec<(String, OrderedValue)>);

/// A value inside an [`Ordered`] object.
pub(crate) enum OrderedValue {
    Plain(Value),
    Object(Ordered),
}

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for OrderedValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OrderedValue::Plain(v) => v.serialize(s),
            OrderedValue::Object(o) => o.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        let v = serde_json::json!({"b": "a && b <c> \u{2028}\u{2029} \n\t\r\u{8}\u{c}\u{1} \"\\ é", "a": 1});
        assert_eq!(
            String::from_utf8(to_go_json(&v)).unwrap(),
            r#"{"a":1,"b":"a \u0026\u0026 b \u003cc\u003e \u2028\u2029 \n\t\r\b\f\u0001 \"\\ é"}"#
        );
    }

    #[test]
    fn keys_are_escaped_too_and_order_is_kept() {
        let o = Ordered(vec![
            ("z<".into(), OrderedValue::Plain(Value::Bool(true))),
            ("a".into(), OrderedValue::Object(Ordered(vec![]))),
        ]);
        assert_eq!(
            String::from_utf8(to_go_json(&o)).unwrap(),
            r#"{"z\u003c":true,"a":{}}"#
        );
    }
}
