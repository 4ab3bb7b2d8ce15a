//! Decoding JSON into Go types the way Go's `encoding/json` `Unmarshal`
//! does (Go 1.19, the Go of Engine 20.10), for the handful of Go types a
//! plugin config is made of ([`Type`]). What it reproduces, each rule
//! checked against the engine (see the crate's tests):
//!
//! - keys match a struct field exactly, else case-insensitively, where
//!   `ſ` (U+017F) counts as `s` and the Kelvin sign (U+212A) as `k`;
//!   unknown keys are ignored;
//! - a key given twice decodes twice into the same value: a struct merges
//!   the second object into the first, a scalar takes the last value;
//! - `null` leaves a bool, string, number or struct as it was, and makes a
//!   pointer or a slice nil;
//! - an array decodes into a slice *in place*: elements already there are
//!   decoded into (so `null` in an array of strings keeps the old string,
//!   and an object merges into the old struct), the slice is cut to the
//!   array's length but keeps its backing array, whose elements come back
//!   when a later array is longer again; an empty array makes a new empty
//!   slice;
//! - a value of the wrong JSON type for its field is an error (Go records
//!   the first one and goes on; here it is the first one reported).
//!
//! Must not: know what the fields mean; the schema and the privileges are
//! the crate's `config` module.

use crate::go_json::{Reader, SyntaxError, Token};

/// A Go type of the schema.
#[derive(Debug)]
pub enum Type {
    /// `bool`
    Bool,
    /// `string`
    String,
    /// `uint32`
    Uint32,
    /// `*T`
    Pointer(&'static Type),
    /// `[]T`
    Slice(&'static Type),
    /// A struct.
    Struct(&'static Struct),
    /// `types.PluginInterfaceType`, whose `UnmarshalJSON` takes a JSON
    /// string and nothing else (not even `null`).
    PluginInterface,
}

/// A Go struct: its name and its fields.
#[derive(Debug)]
pub struct Struct {
    /// The Go name, e.g. `PluginConfigLinux`.
    pub name: &'static str,
    /// The fields, by JSON name.
    pub fields: &'static [Field],
}

/// One field of a struct.
#[derive(Debug)]
pub struct Field {
    /// The JSON name (the tag's, else the Go name).
    pub name: &'static str,
    /// Its type.
    pub ty: Type,
    /// Tagged `omitempty`: left out of an encoding when empty (Go's
    /// `isEmptyValue`: never for a struct).
    pub omit_empty: bool,
}

/// A decoded Go value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A `bool`.
    Bool(bool),
    /// A `string`.
    String(String),
    /// A `uint32`.
    Uint(u32),
    /// A pointer: nil, or what it points at.
    Pointer(Option<Box<Value>>),
    /// A slice: its backing array (as long as anything ever decoded into
    /// it) and its length.
    Slice {
        /// The backing array; elements past `len` are kept.
        backing: Vec<Value>,
        /// The slice's length.
        len: usize,
        /// A nil slice (never decoded from an array, or last set by
        /// `null`), encoded as `null`; an empty array gives `[]`.
        nil: bool,
    },
    /// A struct: one value per field, in the schema's order.
    Struct(Vec<Value>),
    /// A `PluginInterfaceType`: the text between the JSON string's quotes,
    /// raw (escapes not decoded), which is what its `UnmarshalJSON` splits.
    PluginInterface(String),
}

impl Value {
    /// Go's zero value of `ty`.
    pub fn zero(ty: &Type) -> Value {
        match ty {
            Type::Bool => Value::Bool(false),
            Type::String => Value::String(String::new()),
            Type::Uint32 => Value::Uint(0),
            Type::Pointer(_) => Value::Pointer(None),
            Type::Slice(_) => Value::Slice {
                backing: Vec::new(),
                len: 0,
                nil: true,
            },
            Type::Struct(s) => Value::Struct(s.fields.iter().map(|f| Value::zero(&f.ty)).collect()),
            Type::PluginInterface => Value::PluginInterface(String::new()),
        }
    }

    /// The field `name` of a struct value of type `of`.
    pub fn field(&self, of: &Struct, name: &str) -> &Value {
        let Value::Struct(values) = self else {
            panic!("{} is a struct", of.name)
        };
        let index = of
            .fields
            .iter()
            .position(|f| f.name == name)
            .unwrap_or_else(|| panic!("{} has no field {name}", of.name));
        &values[index]
    }

    /// A bool's value.
    pub fn as_bool(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            other => panic!("{other:?} is not a bool"),
        }
    }

    /// A string's value.
    pub fn as_str(&self) -> &str {
        match self {
            Value::String(s) => s,
            other => panic!("{other:?} is not a string"),
        }
    }

    /// What a pointer points at, if anything.
    pub fn as_pointer(&self) -> Option<&Value> {
        match self {
            Value::Pointer(p) => p.as_deref(),
            other => panic!("{other:?} is not a pointer"),
        }
    }

    /// A slice's elements (its first `len`).
    pub fn as_slice(&self) -> &[Value] {
        match self {
            Value::Slice { backing, len, .. } => &backing[..*len],
            other => panic!("{other:?} is not a slice"),
        }
    }
}

/// A value of the wrong JSON type for its Go type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError {
    /// Where, e.g. `Linux.Capabilities[1]`; empty for the document itself.
    pub path: String,
    /// What it is, e.g. `a number`.
    pub found: String,
    /// What it should be, e.g. `a string`.
    pub expected: &'static str,
}

/// Why a document did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// It is not JSON.
    Syntax(SyntaxError),
    /// It is JSON, but a value has the wrong type.
    Type(TypeError),
}

/// Decodes the JSON document `src` into a value of type `ty`, starting
/// from its zero value, as `json.Unmarshal(src, &v)` does.
pub fn unmarshal(src: &str, ty: &'static Type) -> Result<Value, DecodeError> {
    let mut decoder = Decoder {
        first_type_error: None,
        path: Vec::new(),
    };
    let mut value = Value::zero(ty);
    let mut reader = Reader::new(src);
    // A syntax error anywhere wins over a type error before it: Go checks
    // the whole document's syntax first.
    decoder
        .value(&mut reader, ty, &mut value)
        .and_then(|()| reader.finish())
        .map_err(DecodeError::Syntax)?;
    match decoder.first_type_error {
        Some(e) => Err(DecodeError::Type(e)),
        None => Ok(value),
    }
}

/// One step of a path into the document.
enum Step {
    Field(&'static str),
    Index(usize),
}

struct Decoder {
    first_type_error: Option<TypeError>,
    path: Vec<Step>,
}

impl Decoder {
    fn path(&self) -> String {
        let mut out = String::new();
        for step in &self.path {
            match step {
                Step::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// Records a type error (the first one is kept) and reads past the value.
    fn mismatch(
        &mut self,
        r: &mut Reader<'_>,
        found: String,
        expected: &'static str,
    ) -> Result<(), SyntaxError> {
        if self.first_type_error.is_none() {
            self.first_type_error = Some(TypeError {
                path: self.path(),
                found,
                expected,
            });
        }
        r.skip()
    }

    /// Decodes the value at the reader's position into `into`, of type `ty`.
    fn value(
        &mut self,
        r: &mut Reader<'_>,
        ty: &Type,
        into: &mut Value,
    ) -> Result<(), SyntaxError> {
        let token = r.peek()?;
        match (ty, token) {
            // null: nil for pointers and slices, nothing for the rest, an
            // error for `UnmarshalJSON`, which gets the `null`.
            (Type::Pointer(_), Token::Null) => {
                r.literal()?;
                *into = Value::Pointer(None);
                Ok(())
            }
            (Type::Slice(_), Token::Null) => {
                r.literal()?;
                *into = Value::zero(ty);
                Ok(())
            }
            (Type::PluginInterface, Token::String) => {
                *into = Value::PluginInterface(r.raw_string()?.to_string());
                Ok(())
            }
            (Type::PluginInterface, _) => {
                self.mismatch(r, token.describe().to_string(), expected(ty))
            }
            (_, Token::Null) => {
                r.literal()?;
                Ok(())
            }
            // Anything else through a pointer: allocated when nil, then
            // decoded into.
            (Type::Pointer(elem), _) => {
                let Value::Pointer(pointee) = into else {
                    unreachable!("a pointer's value")
                };
                let pointee = pointee.get_or_insert_with(|| Box::new(Value::zero(elem)));
                self.value(r, elem, pointee)
            }
            (Type::Bool, Token::True | Token::False) => {
                *into = Value::Bool(r.literal()? == Token::True);
                Ok(())
            }
            (Type::String, Token::String) => {
                *into = Value::String(r.string()?);
                Ok(())
            }
            (Type::Uint32, Token::Number) => {
                let literal = r.number()?;
                // strconv.ParseUint(literal, 10, 64), then the uint32 range.
                match literal
                    .parse::<u64>()
                    .ok()
                    .and_then(|n| u32::try_from(n).ok())
                {
                    Some(n) => {
                        *into = Value::Uint(n);
                        Ok(())
                    }
                    None => {
                        if self.first_type_error.is_none() {
                            self.first_type_error = Some(TypeError {
                                path: self.path(),
                                found: format!("the number {literal}"),
                                expected: expected(ty),
                            });
                        }
                        Ok(())
                    }
                }
            }
            (Type::Struct(s), Token::Object) => self.object(r, s, into),
            (Type::Slice(elem), Token::Array) => self.array(r, elem, into),
            _ => self.mismatch(r, token.describe().to_string(), expected(ty)),
        }
    }

    fn object(
        &mut self,
        r: &mut Reader<'_>,
        s: &Struct,
        into: &mut Value,
    ) -> Result<(), SyntaxError> {
        let Value::Struct(values) = into else {
            unreachable!("a struct's value")
        };
        r.object(|r, key| {
            let Some(index) = field_index(s, &key) else {
                return r.skip();
            };
            let field = &s.fields[index];
            self.path.push(Step::Field(field.name));
            let result = self.value(r, &field.ty, &mut values[index]);
            self.path.pop();
            result
        })
    }

    fn array(
        &mut self,
        r: &mut Reader<'_>,
        elem: &Type,
        into: &mut Value,
    ) -> Result<(), SyntaxError> {
        let Value::Slice { backing, len, nil } = into else {
            unreachable!("a slice's value")
        };
        *nil = false;
        let mut i = 0;
        r.array(|r| {
            if i == backing.len() {
                backing.push(Value::zero(elem));
            }
            if i >= *len {
                *len = i + 1;
            }
            self.path.push(Step::Index(i));
            let result = self.value(r, elem, &mut backing[i]);
            self.path.pop();
            i += 1;
            result
        })?;
        if i < *len {
            *len = i;
        }
        if i == 0 {
            backing.clear();
        }
        Ok(())
    }
}

/// The field `key` names: the one of exactly that name, else the first
/// whose name folds to it.
fn field_index(s: &Struct, key: &str) -> Option<usize> {
    s.fields
        .iter()
        .position(|f| f.name == key)
        .or_else(|| s.fields.iter().position(|f| folds_to(f.name, key)))
}

/// Whether `key` is the ASCII field name `name` but for case, as Go's
/// `bytes.EqualFold` sees it: each letter in either case, `s` also as `ſ`
/// (U+017F) and `k` also as the Kelvin sign (U+212A); anything else as is.
pub fn folds_to(name: &str, key: &str) -> bool {
    let mut key = key.chars();
    for n in name.bytes() {
        let Some(k) = key.next() else {
            return false;
        };
        let same = match k {
            '\u{17f}' => n.eq_ignore_ascii_case(&b's'),
            '\u{212a}' => n.eq_ignore_ascii_case(&b'k'),
            k if k.is_ascii() => (k as u8).eq_ignore_ascii_case(&n),
            _ => false,
        };
        if !same {
            return false;
        }
    }
    key.next().is_none()
}

/// What a value of type `ty` is, for a type error.
fn expected(ty: &Type) -> &'static str {
    match ty {
        Type::Bool => "a boolean",
        Type::String => "a string",
        Type::Uint32 => "an unsigned 32-bit integer",
        Type::Pointer(elem) => expected(elem),
        Type::Slice(_) => "an array",
        Type::Struct(_) => "an object",
        Type::PluginInterface => {
            "a string naming a plugin interface (e.g. \"docker.volumedriver/1.0\")"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_as_go_folds_them() {
        assert!(folds_to("IpcHost", "IpcHost"));
        assert!(folds_to("IpcHost", "ipchost"));
        assert!(folds_to("IpcHost", "IPCHOST"));
        assert!(folds_to("IpcHost", "IpcHo\u{17f}t"));
        assert!(folds_to("Network", "networ\u{212a}"));
        assert!(folds_to("diff_ids", "DIFF_IDS"));
        assert!(!folds_to("diff_ids", "diff\u{7f}ids"));
        assert!(!folds_to("IpcHost", "IpcHos"));
        assert!(!folds_to("IpcHost", "IpcHostt"));
        assert!(!folds_to("Type", "Typé"));
        assert!(!folds_to("Linux", "L\u{131}nux"), "dotless i is not i");
    }
}
