//! Component values as JSON, by their WIT type: what `ocipipe component
//! call` reads and prints, and what the conformance vectors are written in.
//!
//! The mapping, by WIT type (the same both ways unless said):
//!
//! | WIT | JSON |
//! | --- | --- |
//! | `record` | an object keyed by the field names (kebab-case); in, a missing `option` field is `none` |
//! | `variant` | `{"case": payload}`, or `"case"` for a case without one |
//! | `enum` | `"case"` |
//! | `option<T>` | `null` or the value |
//! | `result<T, E>` | `{"ok": v}` / `{"error": e}`; `{"ok": null}` for `result<_, E>` |
//! | `list<u8>` | a string when the bytes are UTF-8, else an array of numbers (in: either) |
//! | `list<T>`, `tuple<…>` | an array |
//! | `flags` | an array of the names set |
//! | `char` | a one-character string |
//! | integers, floats | numbers (in range; a float that is not finite is `null`) |
//! | `bool`, `string` | themselves |
//!
//! A function's arguments are a JSON array (positional) or an object keyed
//! by parameter names ([`arguments`]); its answer ([`answer`]) is the JSON
//! of its one result (`null` for a function without one, an array when it
//! has several). So `ocipipe component call tagging naming.parse
//! '["ubuntu:22.04"]'` prints
//! `{"ok":{"name":"ubuntu","domain":"","path":"ubuntu","tag":"22.04",…}}`
//! and exits 0; a WIT `error` answer is an answer too (`{"error":
//! {"invalid-reference": "invalid reference format"}}`). Arguments that do
//! not fit are refused before any call, naming where inside them
//! ([`ValueError`]: `argument 2 (filter).allow[0]: expected a string, got
//! 3`).
//!
//! Also here: how a name on the command line finds one of the functions
//! the runtime lists ([`super::FunctionInfo`]): [`resolve`].
//!
//! Must not: call a component, or know any operation's WIT: only types.

use super::FunctionInfo;
use serde_json::{Map, Number, Value};
use wasmtime::component::Val;
use wasmtime::component::types::{Flags, Map as MapType, Record, ResultType, Type};

/// A value that does not fit its type: where inside the arguments (e.g.
/// `argument 2 (filter).allow[0]`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ValueError {
    /// Where inside the value.
    pub path: String,
    /// What was wrong, e.g. `expected a string, got 3`.
    pub message: String,
}

/// The function `name` names among `functions`: `IFACE.FUNCTION`, or
/// `FUNCTION` alone when only one interface has it.
pub fn resolve<'a, F: std::borrow::Borrow<FunctionInfo>>(
    functions: &'a [F],
    name: &str,
) -> Result<&'a FunctionInfo, String> {
    let all = || functions.iter().map(|f| f.borrow());
    let matching: Vec<&FunctionInfo> = match name.split_once('.') {
        Some((interface, function)) => all()
            .filter(|f| f.interface == interface && f.name == function)
            .collect(),
        None => all().filter(|f| f.name == name).collect(),
    };
    match matching.as_slice() {
        [one] => Ok(one),
        [] => {
            let known: Vec<String> = all().map(|f| f.qualified()).collect();
            Err(format!(
                "no function {name}; the functions are {}",
                known.join(", ")
            ))
        }
        several => {
            let names: Vec<String> = several.iter().map(|f| f.qualified()).collect();
            Err(format!(
                "{name} is ambiguous: say which of {}",
                names.join(", ")
            ))
        }
    }
}

/// One call by name with JSON arguments, answered as JSON: what `ocipipe
/// component call OPERATION FUNCTION JSON` prints. `name` is resolved among
/// `functions` ([`resolve`]), `args` converted by its parameters
/// ([`arguments`]), and `call` makes the call (e.g. the runtime's dynamic
/// call, through the chain and under the limits). Refused before any call:
/// an unknown or ambiguous name, arguments that do not fit; then a failed
/// call's error, as it says it.
pub fn call<E: std::fmt::Display>(
    functions: &[FunctionInfo],
    name: &str,
    args: &Value,
    call: impl FnOnce(&FunctionInfo, &[Val]) -> Result<Vec<Val>, E>,
) -> Result<Value, String> {
    let function = resolve(functions, name)?;
    let params =
        arguments(args, &function.params).map_err(|e| format!("{}: {e}", function.qualified()))?;
    let results = call(function, &params).map_err(|e| e.to_string())?;
    Ok(answer(&results))
}

/// The arguments of a function of parameters `params`, from `json`: an
/// array of one value per parameter, in order, or an object keyed by
/// parameter names (a missing `option` parameter is `none`).
pub fn arguments(json: &Value, params: &[(String, Type)]) -> Result<Vec<Val>, ValueError> {
    let path = |i: usize| format!("argument {} ({})", i + 1, params[i].0);
    match json {
        Value::Array(items) => {
            if items.len() != params.len() {
                return Err(ValueError {
                    path: "arguments".into(),
                    message: format!(
                        "expected {} ({}), got {}",
                        params.len(),
                        names(params),
                        items.len()
                    ),
                });
            }
            (items.iter().enumerate())
                .map(|(i, item)| to_val(item, &params[i].1, &path(i)))
                .collect()
        }
        Value::Object(object) => {
            if let Some(unknown) = object.keys().find(|k| params.iter().all(|(n, _)| n != *k)) {
                return Err(ValueError {
                    path: "arguments".into(),
                    message: format!(
                        "no parameter {unknown}; the parameters are {}",
                        names(params)
                    ),
                });
            }
            (params.iter().enumerate())
                .map(|(i, (name, ty))| match object.get(name) {
                    Some(item) => to_val(item, ty, &path(i)),
                    None if matches!(ty, Type::Option(_)) => Ok(Val::Option(None)),
                    None => Err(ValueError {
                        path: path(i),
                        message: "missing".into(),
                    }),
                })
                .collect()
        }
        other => Err(ValueError {
            path: "arguments".into(),
            message: format!(
                "expected an array or an object of the parameters ({}), got {}",
                names(params),
                shown(other)
            ),
        }),
    }
}

fn names(params: &[(String, Type)]) -> String {
    let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    names.join(", ")
}

/// The answer of a function as JSON: its one result's, `null` without
/// one, an array of them when it has several.
pub fn answer(results: &[Val]) -> Value {
    match results {
        [] => Value::Null,
        [one] => to_json(one),
        several => Value::Array(several.iter().map(to_json).collect()),
    }
}

/// `json` as a value of type `ty`; `path` names it in errors.
pub fn to_val(json: &Value, ty: &Type, path: &str) -> Result<Val, ValueError> {
    let expected = |what: &str| mismatch(json, path, what);
    Ok(match ty {
        Type::Bool => Val::Bool(json.as_bool().ok_or_else(|| expected("true or false"))?),
        Type::S8 => Val::S8(integer(json, path)?),
        Type::U8 => Val::U8(integer(json, path)?),
        Type::S16 => Val::S16(integer(json, path)?),
        Type::U16 => Val::U16(integer(json, path)?),
        Type::S32 => Val::S32(integer(json, path)?),
        Type::U32 => Val::U32(integer(json, path)?),
        Type::S64 => Val::S64(integer(json, path)?),
        Type::U64 => Val::U64(integer(json, path)?),
        // A JSON number is an f64; f32 takes the nearest.
        Type::Float32 => Val::Float32(json.as_f64().ok_or_else(|| expected("a number"))? as f32),
        Type::Float64 => Val::Float64(json.as_f64().ok_or_else(|| expected("a number"))?),
        Type::Char => {
            let text = json.as_str().unwrap_or_default();
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Val::Char(c),
                _ => return Err(expected("a one-character string")),
            }
        }
        Type::String => Val::String(json.as_str().ok_or_else(|| expected("a string"))?.into()),
        Type::List(list) => {
            let item = list.ty();
            match (json, &item) {
                (Value::String(text), Type::U8) => Val::List(text.bytes().map(Val::U8).collect()),
                (Value::Array(items), _) => Val::List(elements(items, &item, path)?),
                _ if item == Type::U8 => return Err(expected("a string or an array of bytes")),
                _ => return Err(expected("an array")),
            }
        }
        Type::FixedLengthList(list) => {
            let items = json.as_array().ok_or_else(|| expected("an array"))?;
            if items.len() != list.len() as usize {
                return Err(expected(&format!("an array of {}", list.len())));
            }
            Val::FixedLengthList(elements(items, &list.ty(), path)?)
        }
        Type::Map(map) => map_of(json, map, path)?,
        Type::Record(record) => record_of(json, record, path)?,
        Type::Tuple(tuple) => {
            let items = json.as_array().ok_or_else(|| expected("an array"))?;
            let types: Vec<Type> = tuple.types().collect();
            if items.len() != types.len() {
                return Err(expected(&format!("an array of {}", types.len())));
            }
            let at = |i: usize| format!("{path}[{i}]");
            let values = (items.iter().zip(&types).enumerate())
                .map(|(i, (item, ty))| to_val(item, ty, &at(i)))
                .collect::<Result<_, _>>()?;
            Val::Tuple(values)
        }
        Type::Variant(variant) => {
            let cases: Vec<(String, Option<Type>)> = variant
                .cases()
                .map(|c| (c.name.to_string(), c.ty))
                .collect();
            let (case, payload) = case_of(json, &cases, path)?;
            Val::Variant(case, payload)
        }
        Type::Enum(enumeration) => {
            let text = json.as_str().unwrap_or_default();
            if enumeration.names().all(|n| n != text) {
                let known: Vec<&str> = enumeration.names().collect();
                return Err(expected(&format!("one of {}", known.join(", "))));
            }
            Val::Enum(text.to_string())
        }
        Type::Option(option) => match json {
            Value::Null => Val::Option(None),
            some => Val::Option(Some(Box::new(to_val(some, &option.ty(), path)?))),
        },
        Type::Result(result) => result_of(json, result, path)?,
        Type::Flags(flags) => flags_of(json, flags, path)?,
        Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
            return Err(ValueError {
                path: path.to_string(),
                message: format!("a {} has no JSON form", kind(ty)),
            });
        }
    })
}

/// `json` is not the `what` expected at `path`.
fn mismatch(json: &Value, path: &str, what: &str) -> ValueError {
    ValueError {
        path: path.to_string(),
        message: format!("expected {what}, got {}", shown(json)),
    }
}

/// A record: an object of its fields, a missing `option` field `none`.
fn record_of(json: &Value, record: &Record, path: &str) -> Result<Val, ValueError> {
    let object = json
        .as_object()
        .ok_or_else(|| mismatch(json, path, "an object"))?;
    let fields: Vec<_> = record.fields().collect();
    if let Some(unknown) = object.keys().find(|k| fields.iter().all(|f| f.name != *k)) {
        let known: Vec<&str> = fields.iter().map(|f| f.name).collect();
        return Err(ValueError {
            path: path.to_string(),
            message: format!("no field {unknown}; the fields are {}", known.join(", ")),
        });
    }
    let mut out = Vec::with_capacity(fields.len());
    for field in fields {
        let at = format!("{path}.{}", field.name);
        let value = match object.get(field.name) {
            Some(value) => to_val(value, &field.ty, &at)?,
            None if matches!(field.ty, Type::Option(_)) => Val::Option(None),
            None => {
                return Err(ValueError {
                    path: at,
                    message: "missing".into(),
                });
            }
        };
        out.push((field.name.to_string(), value));
    }
    Ok(Val::Record(out))
}

/// A map: an array of `[key, value]` pairs (keys need not be strings).
fn map_of(json: &Value, map: &MapType, path: &str) -> Result<Val, ValueError> {
    let pairs = json
        .as_array()
        .ok_or_else(|| mismatch(json, path, "an array of [key, value]"))?;
    let mut out = Vec::with_capacity(pairs.len());
    for (i, pair) in pairs.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Some([k, v]) = pair.as_array().map(Vec::as_slice) else {
            return Err(mismatch(pair, &at, "[key, value]"));
        };
        out.push((
            to_val(k, &map.key(), &format!("{at}[0]"))?,
            to_val(v, &map.value(), &format!("{at}[1]"))?,
        ));
    }
    Ok(Val::Map(out))
}

/// A result: `{"ok": v}` or `{"error": e}`; `{"ok": null}` or `"ok"` for a
/// case without a payload.
fn result_of(json: &Value, result: &ResultType, path: &str) -> Result<Val, ValueError> {
    let cases = [
        ("ok".to_string(), result.ok()),
        ("error".to_string(), result.err()),
    ];
    let payloadless = match json {
        Value::Object(o) if o.len() == 1 => o
            .iter()
            .find(|(case, value)| {
                value.is_null() && cases.iter().any(|(n, t)| n == *case && t.is_none())
            })
            .map(|(case, _)| case.clone()),
        _ => None,
    };
    let (case, payload) = match payloadless {
        Some(case) => (case, None),
        None => case_of(json, &cases, path)?,
    };
    Ok(Val::Result(if case == "ok" {
        Ok(payload)
    } else {
        Err(payload)
    }))
}

/// Flags: an array of the names set.
fn flags_of(json: &Value, flags: &Flags, path: &str) -> Result<Val, ValueError> {
    let items = json
        .as_array()
        .ok_or_else(|| mismatch(json, path, "an array of flag names"))?;
    let known: Vec<&str> = flags.names().collect();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(name) if known.contains(&name) => out.push(name.to_string()),
            _ => {
                let what = format!("one of {}", known.join(", "));
                return Err(mismatch(item, &format!("{path}[{i}]"), &what));
            }
        }
    }
    Ok(Val::Flags(out))
}

/// The items of an array of `item`s.
fn elements(items: &[Value], item: &Type, path: &str) -> Result<Vec<Val>, ValueError> {
    (items.iter().enumerate())
        .map(|(i, value)| to_val(value, item, &format!("{path}[{i}]")))
        .collect()
}

/// The case and payload of a variant (or result) of `cases` written as
/// `json`: `"case"` or `{"case": payload}`.
fn case_of(
    json: &Value,
    cases: &[(String, Option<Type>)],
    path: &str,
) -> Result<(String, Option<Box<Val>>), ValueError> {
    let known = || {
        let names: Vec<&str> = cases.iter().map(|(n, _)| n.as_str()).collect();
        names.join(", ")
    };
    let fail = |message: String| ValueError {
        path: path.to_string(),
        message,
    };
    let (name, payload) = match json {
        Value::String(name) => (name, None),
        Value::Object(o) if o.len() == 1 => {
            let (name, payload) = o.iter().next().expect("one key");
            (name, Some(payload))
        }
        other => {
            return Err(fail(format!(
                "expected \"case\" or {{\"case\": payload}} of {}, got {}",
                known(),
                shown(other)
            )));
        }
    };
    let Some((_, ty)) = cases.iter().find(|(n, _)| n == name) else {
        return Err(fail(format!("no case {name}; the cases are {}", known())));
    };
    let at = format!("{path}.{name}");
    match (ty, payload) {
        (None, None) => Ok((name.clone(), None)),
        (None, Some(payload)) => Err(ValueError {
            path: at,
            message: format!("the case has no payload, got {}", shown(payload)),
        }),
        (Some(_), None) => Err(fail(format!(
            "the case {name} has a payload: write {{\"{name}\": …}}"
        ))),
        (Some(ty), Some(payload)) => Ok((name.clone(), Some(Box::new(to_val(payload, ty, &at)?)))),
    }
}

/// An integer of type `T` from `json`, refused out of `T`'s range.
fn integer<T: TryFrom<i64> + TryFrom<u64>>(json: &Value, path: &str) -> Result<T, ValueError> {
    let fail = |what: &str| ValueError {
        path: path.to_string(),
        message: format!("expected {what}, got {}", shown(json)),
    };
    let Value::Number(number) = json else {
        return Err(fail("an integer"));
    };
    let fits = match (number.as_u64(), number.as_i64()) {
        (Some(u), _) => T::try_from(u).ok(),
        (None, Some(i)) => T::try_from(i).ok(),
        (None, None) => return Err(fail("an integer")),
    };
    fits.ok_or_else(|| {
        fail(&format!(
            "an integer in range of {}",
            std::any::type_name::<T>()
        ))
    })
}

/// `value` as JSON, by the mapping of this module.
pub fn to_json(value: &Val) -> Value {
    match value {
        Val::Bool(b) => Value::Bool(*b),
        Val::S8(n) => (*n).into(),
        Val::U8(n) => (*n).into(),
        Val::S16(n) => (*n).into(),
        Val::U16(n) => (*n).into(),
        Val::S32(n) => (*n).into(),
        Val::U32(n) => (*n).into(),
        Val::S64(n) => (*n).into(),
        Val::U64(n) => (*n).into(),
        Val::Float32(f) => Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number),
        Val::Float64(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Val::Char(c) => Value::String(c.to_string()),
        Val::String(s) => Value::String(s.clone()),
        Val::List(items) => list(items),
        Val::FixedLengthList(items) | Val::Tuple(items) => {
            Value::Array(items.iter().map(to_json).collect())
        }
        Val::Map(pairs) => Value::Array(
            pairs
                .iter()
                .map(|(k, v)| Value::Array(vec![to_json(k), to_json(v)]))
                .collect(),
        ),
        Val::Record(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| (name.clone(), to_json(value)))
                .collect::<Map<_, _>>(),
        ),
        Val::Variant(case, None) | Val::Enum(case) => Value::String(case.clone()),
        Val::Variant(case, Some(payload)) => single(case, to_json(payload)),
        Val::Option(None) => Value::Null,
        Val::Option(Some(value)) => to_json(value),
        Val::Result(Ok(payload)) => single("ok", payload.as_deref().map_or(Value::Null, to_json)),
        Val::Result(Err(payload)) => {
            single("error", payload.as_deref().map_or(Value::Null, to_json))
        }
        Val::Flags(names) => Value::Array(names.iter().cloned().map(Value::String).collect()),
        Val::Resource(_) => Value::String("<resource>".into()),
        Val::Future(_) => Value::String("<future>".into()),
        Val::Stream(_) => Value::String("<stream>".into()),
        Val::ErrorContext(_) => Value::String("<error-context>".into()),
    }
}

/// A list: a `list<u8>` of UTF-8 as a string, anything else as an array.
fn list(items: &[Val]) -> Value {
    let bytes: Option<Vec<u8>> = items
        .iter()
        .map(|v| match v {
            Val::U8(b) => Some(*b),
            _ => None,
        })
        .collect();
    match bytes.filter(|b| !b.is_empty()).map(String::from_utf8) {
        Some(Ok(text)) => Value::String(text),
        _ => Value::Array(items.iter().map(to_json).collect()),
    }
}

fn single(key: &str, value: Value) -> Value {
    Value::Object(Map::from_iter([(key.to_string(), value)]))
}

/// `json`, short, for an error message.
fn shown(json: &Value) -> String {
    let text = json.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// What a type with no JSON form is, for its error.
fn kind(ty: &Type) -> &'static str {
    match ty {
        Type::Own(_) | Type::Borrow(_) => "resource",
        Type::Future(_) => "future",
        Type::Stream(_) => "stream",
        _ => "error-context",
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "json_dynamic.rs"]
pub(crate) mod dynamic;
