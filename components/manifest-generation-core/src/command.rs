//! `Entrypoint` and `Cmd` as a Dockerfile writes them: the exec form, a JSON
//! array of strings, or the shell form, a command line the platform's shell
//! runs (BuildKit's `dispatchEntrypoint`/`dispatchCmd` with the default
//! shell: `/bin/sh -c`, on Windows `cmd /S /C`).
//!
//! Unlike a Dockerfile, which quietly takes a broken JSON array for a shell
//! command line, a value starting with `[` must be an array: a typo there
//! would otherwise run as `/bin/sh -c '["/app",'`.

use crate::Error;

/// The argument list `value` stands for in an image config for `os`;
/// `what` names it in the error (`entrypoint`, `cmd`).
pub(crate) fn command(what: &str, value: &str, os: &str) -> Result<Vec<String>, Error> {
    if value.trim_start().starts_with('[') {
        return serde_json::from_str::<Vec<String>>(value).map_err(|e| {
            Error::invalid(format!(
                "{what}: {value:?} starts with `[` but is not a JSON array of strings (the exec form): {e}"
            ))
        });
    }
    let shell: &[&str] = if os == "windows" {
        &["cmd", "/S", "/C"]
    } else {
        &["/bin/sh", "-c"]
    };
    Ok(shell
        .iter()
        .map(|s| s.to_string())
        .chain([value.to_owned()])
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(value: &str, os: &str) -> Vec<String> {
        command("cmd", value, os).unwrap()
    }

    #[test]
    fn a_json_array_is_the_exec_form() {
        assert_eq!(ok(r#"["/app", "-v"]"#, "linux"), ["/app", "-v"]);
        assert_eq!(ok(r#"  ["/app"]  "#, "windows"), ["/app"]);
        assert_eq!(ok("[]", "linux"), Vec::<String>::new());
        assert_eq!(ok(r#"["a\"b", "<&>"]"#, "linux"), ["a\"b", "<&>"]);
    }

    #[test]
    fn anything_else_is_the_shell_form() {
        assert_eq!(
            ok("echo hi && exit 1", "linux"),
            ["/bin/sh", "-c", "echo hi && exit 1"]
        );
        assert_eq!(ok("dir C:\\", "windows"), ["cmd", "/S", "/C", "dir C:\\"]);
        // Not starting with `[` (after blanks): a command line, even if it
        // holds JSON later on.
        assert_eq!(ok(r#"x ["a"]"#, "linux"), ["/bin/sh", "-c", r#"x ["a"]"#]);
        assert_eq!(ok("", "linux"), ["/bin/sh", "-c", ""]);
    }

    #[test]
    fn a_broken_array_is_refused_naming_the_value() {
        for bad in [r#"["/app","#, "[1, 2]", r#"["a"] x"#, r#"[{"a":1}]"#, " [ "] {
            let m = command("entrypoint", bad, "linux").unwrap_err().to_string();
            assert!(m.starts_with(&format!("entrypoint: {bad:?} ")), "{m}");
        }
    }
}
