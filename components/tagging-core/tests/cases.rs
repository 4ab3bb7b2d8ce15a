//! Checks every case of `tests/data/reference-cases.json` (ported from the
//! Go tests of distribution/reference v0.6.0, plus our own) against the
//! library, comparing only the keys each case states.

use std::collections::BTreeMap;

use tagging_core::{Reference, grammar};

const CASES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/data/reference-cases.json"
));

/// A JSON value of the case table: flat objects of strings, booleans and
/// nulls inside one array.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Str(String),
}

type Case = BTreeMap<String, Value>;

/// A minimal reader for the table's subset of JSON.
struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while self.chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
    }

    fn eat(&mut self, want: char) {
        self.skip_ws();
        let got = self.chars.next();
        assert_eq!(got, Some(want), "JSON: expected {want:?}");
    }

    /// Consumes `want` if it comes next (after whitespace).
    fn eat_if(&mut self, want: char) -> bool {
        self.skip_ws();
        self.chars.next_if_eq(&want).is_some()
    }

    fn array(&mut self) -> Vec<Case> {
        self.eat('[');
        let mut cases = Vec::new();
        if self.eat_if(']') {
            return cases;
        }
        loop {
            cases.push(self.object());
            if !self.eat_if(',') {
                self.eat(']');
                return cases;
            }
        }
    }

    fn object(&mut self) -> Case {
        self.eat('{');
        let mut case = Case::new();
        if self.eat_if('}') {
            return case;
        }
        loop {
            self.skip_ws();
            let key = self.string();
            self.eat(':');
            let value = self.value();
            assert!(
                case.insert(key.clone(), value).is_none(),
                "duplicate key {key}"
            );
            if !self.eat_if(',') {
                self.eat('}');
                return case;
            }
        }
    }

    fn value(&mut self) -> Value {
        self.skip_ws();
        match self.chars.peek() {
            Some('"') => Value::Str(self.string()),
            Some('t') => self.word("true", Value::Bool(true)),
            Some('f') => self.word("false", Value::Bool(false)),
            Some('n') => self.word("null", Value::Null),
            other => panic!("JSON: unsupported value starting with {other:?}"),
        }
    }

    fn word(&mut self, word: &str, value: Value) -> Value {
        for want in word.chars() {
            assert_eq!(self.chars.next(), Some(want), "JSON: bad literal");
        }
        value
    }

    fn hex4(&mut self) -> u32 {
        (0..4).fold(0, |acc, _| {
            let digit = self.chars.next().and_then(|c| c.to_digit(16));
            acc * 16 + digit.expect("JSON: bad \\u escape")
        })
    }

    fn string(&mut self) -> String {
        assert_eq!(self.chars.next(), Some('"'), "JSON: expected a string");
        let mut out = String::new();
        loop {
            match self.chars.next().expect("JSON: unterminated string") {
                '"' => return out,
                '\\' => match self.chars.next().expect("JSON: bad escape") {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' => {
                        let mut code = self.hex4();
                        if (0xD800..0xDC00).contains(&code) {
                            assert_eq!(self.chars.next(), Some('\\'));
                            assert_eq!(self.chars.next(), Some('u'));
                            let low = self.hex4();
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                        }
                        out.push(char::from_u32(code).expect("JSON: bad code point"));
                    }
                    c => out.push(c), // '"', '\\', '/'
                },
                c => out.push(c),
            }
        }
    }
}

fn load_cases() -> Vec<Case> {
    let mut reader = Reader {
        chars: CASES.chars().peekable(),
    };
    let cases = reader.array();
    reader.skip_ws();
    assert!(reader.chars.next().is_none(), "JSON: trailing data");
    cases
}

fn str_of(value: &Value) -> Option<&str> {
    match value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

fn optional(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |s| Value::Str(s.to_owned()))
}

/// What the library gives for a case: `Err(message)` or the values of every
/// key it can report.
fn run(mode: &str, input: &str) -> Result<BTreeMap<&'static str, Value>, String> {
    let reference = |r: Result<Reference, tagging_core::RefError>| {
        r.map(|r| {
            BTreeMap::from([
                ("string", Value::Str(r.to_string())),
                ("name", Value::Str(r.name())),
                ("domain", Value::Str(r.domain.clone())),
                ("path", Value::Str(r.path.clone())),
                ("tag", optional(r.tag.as_deref())),
                ("digest", optional(r.digest.as_deref())),
                ("familiar", Value::Str(r.familiar_string())),
                ("familiar_name", Value::Str(r.familiar_name())),
            ])
        })
        .map_err(|e| e.to_string())
    };
    let matched = |ok: bool| {
        if ok {
            Ok(BTreeMap::new())
        } else {
            Err(String::new())
        }
    };
    match mode {
        "parse" => reference(tagging_core::parse(input)),
        "normalize" => reference(tagging_core::parse_normalized_named(input)),
        "named" => reference(tagging_core::parse_named(input)),
        "docker" => reference(tagging_core::parse_docker_ref(input)),
        "any" => reference(tagging_core::parse_any_reference(input)),
        "with_name" => reference(tagging_core::with_name(input)),
        "regexp_domain" => matched(grammar::is_domain(input)),
        "regexp_identifier" => matched(grammar::is_identifier(input)),
        "regexp_name" => grammar::match_name(input)
            .map(|(domain, path)| {
                BTreeMap::from([
                    ("domain", Value::Str(domain.to_owned())),
                    ("path", Value::Str(path.to_owned())),
                ])
            })
            .ok_or_default(),
        "regexp_reference" => grammar::match_reference(input)
            .map(|m| {
                BTreeMap::from([
                    ("name", Value::Str(m.name.to_owned())),
                    ("tag", optional(m.tag)),
                    ("digest", optional(m.digest)),
                ])
            })
            .ok_or_default(),
        other => panic!("unknown mode {other:?}"),
    }
}

trait OkOrDefault<T> {
    fn ok_or_default(self) -> Result<T, String>;
}

impl<T> OkOrDefault<T> for Option<T> {
    fn ok_or_default(self) -> Result<T, String> {
        self.ok_or_else(String::new)
    }
}

const META_KEYS: [&str; 5] = ["source", "mode", "input", "ok", "error"];

#[test]
fn reference_cases() {
    let cases = load_cases();
    assert!(cases.len() > 300, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let get = |key: &str| case.get(key).and_then(str_of);
        let (Some(source), Some(mode), Some(input)) = (get("source"), get("mode"), get("input"))
        else {
            panic!("case without source, mode or input: {case:?}");
        };
        let Some(Value::Bool(want_ok)) = case.get("ok") else {
            panic!("case without ok: {case:?}");
        };
        let label = format!("[{source}] {mode}({input:?})");
        let value_keys: Vec<&String> = case
            .keys()
            .filter(|k| !META_KEYS.contains(&k.as_str()))
            .collect();
        if !want_ok && !value_keys.is_empty() {
            failures.push(format!("{label}: failure case with keys {value_keys:?}"));
        }
        match (run(mode, input), want_ok) {
            (Ok(_), false) => failures.push(format!("{label}: succeeded, expected an error")),
            (Err(message), true) => failures.push(format!("{label}: failed with {message:?}")),
            (Err(message), false) => {
                if let Some(want) = case.get("error")
                    && str_of(want) != Some(message.as_str())
                {
                    failures.push(format!("{label}: error {message:?}, expected {want:?}"));
                }
            }
            (Ok(got), true) => {
                for key in value_keys {
                    let want = &case[key];
                    match got.get(key.as_str()) {
                        Some(value) if value == want => {}
                        Some(value) => {
                            failures.push(format!("{label}: {key} = {value:?}, expected {want:?}"))
                        }
                        None => failures.push(format!("{label}: mode has no key {key:?}")),
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
