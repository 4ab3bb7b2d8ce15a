//! docs/components.md, run as written: each `sh` block in a shell (in the
//! directory the blocks before it ended in), each `rust` block put in
//! place of the item of the new crate's `src/lib.rs` that it redefines
//! (the one whose first line it shares). `ocipipe` is the binary under
//! test, first on `PATH`; `$REGISTRY` the test registry.

use crate::harness::registry;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The guide's fenced blocks, in order: (language, text).
fn blocks(guide: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in guide.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(language)) => open = Some((language.to_string(), String::new())),
            (Some(_), Some("")) => blocks.push(open.take().unwrap()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "the guide leaves a block open");
    blocks
}

/// `source` with the item that starts with `block`'s first line replaced
/// by `block`: from that line to the first line after it that is `}`.
fn replace_item(source: &str, block: &str) -> String {
    let first = block.lines().next().unwrap();
    let start = source
        .find(&format!("\n{first}\n"))
        .unwrap_or_else(|| panic!("the template has no item `{first}`"))
        + 1;
    let end = start
        + source[start..]
            .find("\n}\n")
            .unwrap_or_else(|| panic!("`{first}` has no end"))
        + 3;
    format!("{}{block}{}", &source[..start], &source[end..])
}

/// Runs `script` in `dir` under bash (`-euo pipefail`), `ocipipe` first on
/// `PATH`; the directory it ended in.
fn shell(dir: &Path, script: &str, env: &[(&str, &str)]) -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_ocipipe")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let ended = dir.join(".guide-pwd");
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c"])
        .arg(format!("{script}pwd > '{}'", ended.display()))
        .current_dir(dir)
        .env("PATH", path)
        .envs(env.iter().copied())
        .env("OCIPIPE_CHECK_CONTRACT", "1")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    let said = format!(
        "{script}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the guide's commands failed:\n{said}");
    let now = PathBuf::from(std::fs::read_to_string(&ended).unwrap().trim());
    // The mirror's answers, where the guide says they show.
    if script.contains("component call --component") || script.contains("component push") {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(r#""full":"mirror.example.com/library/alpine:latest""#),
            "{said}"
        );
    }
    now
}

#[test]
fn the_component_guide_runs_as_written() {
    let guide = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/components.md"),
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let (docker, cache) = (work.path().join("docker"), work.path().join("cache"));
    std::fs::create_dir(&docker).unwrap();
    std::fs::write(docker.join("config.json"), "{}").unwrap();
    let env = [
        ("REGISTRY", registry()),
        ("DOCKER_CONFIG", docker.display().to_string()),
        ("OCIPIPE_CACHE_DIR", cache.display().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut dir = work.path().to_path_buf();
    let (mut commands, mut edits) = (0, 0);
    for (language, text) in blocks(&guide) {
        match language.as_str() {
            "sh" => {
                dir = shell(&dir, &text, &env);
                commands += 1;
            }
            "rust" => {
                let lib = dir.join("src/lib.rs");
                let source = std::fs::read_to_string(&lib).unwrap();
                std::fs::write(&lib, replace_item(&source, &text)).unwrap();
                edits += 1;
            }
            _ => {}
        }
    }
    // new, test, build, call, test, push: every step ran.
    assert_eq!((commands, edits), (6, 2));
    assert_eq!(dir.file_name().unwrap(), "my-mirror");
}
