//! Whether a file is YAML text, for `compose publish`: UTF-8 holding only
//! the characters YAML 1.2 allows in a stream (`c-printable`: tab, line
//! breaks and printable characters; a byte order mark is one), checked as
//! it streams by, whatever the file's size.
//!
//! Owns: the refusal of what cannot be a compose file (random bytes, an
//! image, a file in another encoding) before it is published.
//! Must not: parse YAML. docker compose reads the files itself when it
//! uses the project, and says then what is wrong in one; this only keeps
//! bytes that no YAML parser takes out of a registry.

use super::Error;
use std::io::Read;
use std::path::Path;

/// How much is read at a time.
const CHUNK: usize = 64 << 10;

/// Checks that the file at `path` (named `shown` in errors) is YAML text.
pub(super) fn check(path: &Path, shown: &str) -> Result<(), Error> {
    let mut file =
        crate::store::files::open_input(path, "a compose file").map_err(Error::input(shown))?;
    let mut buf = vec![0u8; CHUNK];
    // Bytes of a character cut by the end of the last read, at the start.
    let mut carried = 0;
    // The file offset of `buf[0]`.
    let mut offset = 0u64;
    loop {
        let n = file
            .read(&mut buf[carried..])
            .map_err(Error::input(shown))?;
        if n == 0 {
            return match carried {
                0 => Ok(()),
                _ => Err(not_yaml(
                    shown,
                    format!("it ends inside a UTF-8 character at byte {offset}"),
                )),
            };
        }
        let filled = carried + n;
        let text = match std::str::from_utf8(&buf[..filled]) {
            Ok(text) => text,
            // Only a character cut by the end of the read: take the rest
            // with the next one.
            Err(e) if e.error_len().is_none() => {
                std::str::from_utf8(&buf[..e.valid_up_to()]).expect("valid up to there")
            }
            Err(e) => {
                return Err(not_yaml(
                    shown,
                    format!(
                        "byte {} is not UTF-8 (YAML files are UTF-8 text)",
                        offset + e.valid_up_to() as u64
                    ),
                ));
            }
        };
        if let Some((at, c)) = text.char_indices().find(|(_, c)| !printable(*c)) {
            return Err(not_yaml(
                shown,
                format!(
                    "it holds the control character U+{:04X} at byte {} (YAML allows tabs, \
                     line breaks and printable characters)",
                    c as u32,
                    offset + at as u64
                ),
            ));
        }
        let used = text.len();
        buf.copy_within(used..filled, 0);
        carried = filled - used;
        offset += used as u64;
    }
}

/// YAML 1.2's `c-printable`: tab, LF, CR, printable ASCII, NEL, and every
/// other character from U+00A0 on but the non-characters U+FFFE and
/// U+FFFF (surrogates are never in a Rust string).
fn printable(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn not_yaml(shown: &str, why: String) -> Error {
    Error::Input {
        what: shown.to_string(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it is not a compose file: {why}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(bytes: &[u8]) -> Result<(), String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("compose.yaml");
        std::fs::write(&path, bytes).unwrap();
        check(&path, "compose.yaml").map_err(|e| e.to_string())
    }

    #[test]
    fn yaml_text_passes_whatever_its_size_and_where_its_characters_are_cut() {
        assert_eq!(checked(b""), Ok(()));
        assert_eq!(
            checked("\u{feff}services:\r\n\tweb: {}\n".as_bytes()),
            Ok(())
        );
        // Multi-byte characters across every read boundary.
        let long = "é€𝄞 services: [x]\n".repeat(3 * CHUNK / 7);
        assert_eq!(checked(long.as_bytes()), Ok(()));
    }

    #[test]
    fn bytes_that_are_not_yaml_text_are_refused_naming_the_first_one() {
        let e = checked(b"services:\n  web: \xff\n").unwrap_err();
        assert!(e.contains("byte 17 is not UTF-8"), "{e}");
        let e = checked(b"services:\x00\n").unwrap_err();
        assert!(e.contains("U+0000 at byte 9"), "{e}");
        let e = checked("a: \u{1b}[2J\n".as_bytes()).unwrap_err();
        assert!(e.contains("U+001B at byte 3"), "{e}");
        let e = checked("a: \u{9b}\n".as_bytes()).unwrap_err();
        assert!(e.contains("U+009B"), "{e}");
        let e = checked("a: é".as_bytes().split_last().unwrap().1).unwrap_err();
        assert!(e.contains("ends inside a UTF-8 character at byte 3"), "{e}");
        assert!(
            e.starts_with("cannot read compose.yaml: it is not a compose file"),
            "{e}"
        );
    }
}
