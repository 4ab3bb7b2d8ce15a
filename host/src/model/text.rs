//! Text from outside (a component's refusal, a plugin's config, an error
//! chain quoting a hostile name) as a terminal may show it: control
//! characters escaped (`\u{1b}`), so that no escape sequence reaches the
//! screen.
//!
//! Owns: the escaping every printed message, value and JSON line gets.
//! Must not: change anything but control characters.

/// `text` with its control characters escaped, line breaks and tabs kept:
/// for messages of several lines (an error chain, a component's refusal).
pub fn printable(text: &str) -> String {
    escaped(text, |c| matches!(c, '\n' | '\t'))
}

/// `text` with every control character escaped, line breaks and tabs too:
/// for a value shown on one line among others (a privilege a plugin asks
/// for), where a line break could forge the next line.
pub fn one_line(text: &str) -> String {
    escaped(text, |_| false)
}

/// A JSON document (one `--json` line) with the control characters serde
/// leaves raw, DEL and the C1 controls (U+007F to U+009F: JSON must escape
/// only U+0000 to U+001F, which serde does), written as `\u00XX`. They can
/// only be inside strings, where the escape reads back as the same value.
pub fn json_line(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` with each control character that `keep` does not keep written as
/// Rust's `escape_default` writes it.
fn escaped(text: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && !keep(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_escape_the_controls_serde_leaves_raw_and_read_back_the_same() {
        let value = serde_json::json!({"v": "a\u{7f}b\u{9b}c\u{1b}d\né"});
        let line = json_line(&serde_json::to_string(&value).unwrap());
        assert_eq!(line, r#"{"v":"a\u007fb\u009bc\u001bd\né"}"#);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).unwrap(),
            value
        );
    }

    #[test]
    fn control_characters_are_escaped_and_line_breaks_kept_only_in_messages() {
        let hostile = "/srv\u{1b}[2K\rmount: [/safe]\n\tx\u{7f}\u{9b}é";
        assert_eq!(
            printable(hostile),
            "/srv\\u{1b}[2K\\rmount: [/safe]\n\tx\\u{7f}\\u{9b}é"
        );
        assert_eq!(
            one_line(hostile),
            "/srv\\u{1b}[2K\\rmount: [/safe]\\n\\tx\\u{7f}\\u{9b}é"
        );
    }
}
