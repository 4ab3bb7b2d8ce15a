//! `ocipipe component new`'s refusals: each names what is wrong, and
//! leaves the directory as it was. (Making and building crates is in the
//! e2e test `kit`, which takes minutes.)

use crate::harness::ocipipe;

#[test]
fn an_unknown_operation_is_refused_naming_the_operations() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("mine");
    let run = ocipipe(&["component", "new", "taging", target.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.error(),
        "error: no operation \"taging\" (the operations: tagging, tar-assembly, \
         manifest-generation, privileges)"
    );
    assert!(!target.exists());
}

#[test]
fn a_non_empty_directory_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("mine");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("notes.txt"), "mine").unwrap();
    let run = ocipipe(&["component", "new", "tagging", target.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.error()
            .contains("the directory exists and is not empty"),
        "{}",
        run.stderr
    );
    let left: Vec<_> = std::fs::read_dir(&target)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, ["notes.txt"]);
    assert_eq!(
        std::fs::read_to_string(target.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn a_directory_that_is_no_crate_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, why) in [
        ("2fast", "it must not start with a digit"),
        (
            "my.tagging",
            "only ASCII letters, digits, `-` and `_` may be used",
        ),
        ("test", "it is a Rust keyword or a name cargo reserves"),
    ] {
        let target = dir.path().join(name);
        let run = ocipipe(&["component", "new", "tagging", target.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(
            run.error(),
            format!(
                "error: {name:?} (the last component of {}) is not a valid crate name: {why}",
                target.display()
            )
        );
        assert!(!target.exists());
    }
}

#[test]
fn an_empty_directory_gets_the_crate() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("my_tagging");
    std::fs::create_dir(&target).unwrap();
    let run = ocipipe(&["component", "new", "tagging", target.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), target.to_str().unwrap());
    let cargo = std::fs::read_to_string(target.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("name = \"my_tagging\""), "{cargo}");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        cargo.contains(&format!("ocipipe-tagging-core = \"={version}\"")),
        "{cargo}"
    );
    for file in [
        "README.md",
        "src/lib.rs",
        "wit/tagging.wit",
        "wit/types.wit",
    ] {
        assert!(target.join(file).is_file(), "{file}");
    }
    // No staging directory left beside it.
    let beside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(beside, ["my_tagging"]);
}

/// `component new DIR` as a directory output.
fn new_command(args: &dyn Fn(&str) -> Vec<String>) -> crate::hostile::OutputCommand<'_> {
    crate::hostile::OutputCommand {
        name: "component new",
        args,
        env: Vec::new(),
        is_dir: true,
        temp_prefix: ".ocipipe-",
    }
}

#[test]
fn component_new_on_a_full_disk_is_blamed_and_leaves_nothing() {
    let args = |target: &str| {
        ["component", "new", "tagging", target]
            .map(String::from)
            .to_vec()
    };
    crate::hostile::outputs::full_disk(&new_command(&args));
}

/// `component build` of something that is not a crate's directory says
/// which it is, before any cargo runs, and prints no component.
#[test]
fn component_build_of_an_odd_directory_says_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a crate").unwrap();
    let missing = dir.path().join("missing");
    for (target, expected) in [
        (missing.as_path(), "does not exist"),
        (file.as_path(), "is not a directory"),
        (dir.path(), "has no Cargo.toml: not a crate"),
    ] {
        let run = ocipipe(&["--json", "component", "build", target.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        let line = run.first_error_line();
        assert!(line.contains(target.to_str().unwrap()), "{line}");
        assert!(line.contains(expected), "{line}");
    }
}
