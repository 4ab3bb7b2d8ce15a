//! `login` and `logout` where no registry is needed: which keys of the
//! Docker config name a server, erasing through a credential helper
//! (tests/fixtures/docker-credential-ocipipe-test), a symlinked, empty or
//! broken config, concurrent runs, and a password flood on stdin.

use crate::harness::{Ocipipe, Run, TestHelper, assert_refused, strings};
use crate::hostile::updates::{self, UpdateCommand};
use std::path::{Path, PathBuf};

/// A Docker config directory of its own.
struct Config {
    dir: tempfile::TempDir,
}

impl Config {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("config.json")
    }

    fn write(&self, value: serde_json::Value) {
        std::fs::write(self.path(), value.to_string()).unwrap();
    }

    fn read(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.path()).unwrap()).unwrap()
    }

    fn ocipipe(&self) -> Ocipipe {
        Ocipipe::new().env("DOCKER_CONFIG", self.dir.path().to_str().unwrap())
    }

    fn logout(&self, server: Option<&str>) -> Run {
        let mut args = vec!["logout"];
        args.extend(server);
        self.ocipipe().run(&args)
    }
}

/// The keys of `auths`, sorted.
fn keys(config: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = config["auths"]
        .as_object()
        .map(|a| a.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

#[test]
fn logout_removes_every_key_docker_matches_for_the_server() {
    let config = Config::new();
    let entry = serde_json::json!({"auth": "dXNlcjpwdw=="});
    config.write(serde_json::json!({"auths": {
        "registry.example:5000": entry,
        "https://registry.example:5000": entry,
        "http://registry.example:5000/": entry,
        "https://registry.example:5000/v1/": entry,
        "registry.example:5001": entry,
        "other.example": entry,
        "https://index.docker.io/v1/": entry,
        "docker.io": entry,
    }, "psFormat": "table"}));
    let run = config.logout(Some("registry.example:5000"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Removing"), "{}", run.stdout);
    assert_eq!(
        keys(&config.read()),
        [
            "docker.io",
            "https://index.docker.io/v1/",
            "other.example",
            "registry.example:5001"
        ]
    );
    assert_eq!(config.read()["psFormat"], "table");

    // Docker Hub: its index URL and the names it goes by.
    let run = config.logout(None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        keys(&config.read()),
        ["other.example", "registry.example:5001"]
    );

    let again = config.logout(Some("registry.example:5000"));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("Not logged in"), "{}", again.stdout);
}

#[test]
fn logout_erases_the_server_from_its_helper_under_each_key_it_was_stored() {
    for settings in [
        serde_json::json!({"credsStore": "ocipipe-test"}),
        serde_json::json!({"credHelpers": {"registry.example:5000": "ocipipe-test"}}),
    ] {
        let config = Config::new();
        let mut written = settings.clone();
        written["auths"] = serde_json::json!({
            "registry.example:5000": {},
            "https://registry.example:5000": {},
            "other.example": {},
        });
        config.write(written);
        let helper = TestHelper::new("keep");
        helper.hold("registry.example:5000", "user", "s3cret");
        helper.hold("https://registry.example:5000", "user", "s3cret");
        helper.hold("other.example", "user", "s3cret");
        let run = helper
            .on(config.ocipipe())
            .run(&["logout", "registry.example:5000"]);
        assert_eq!(run.code, 0, "{settings}: {}", run.stderr);
        assert!(run.stdout.contains("Removing"), "{}", run.stdout);
        let held: Vec<String> = helper.held().as_object().unwrap().keys().cloned().collect();
        // Both keys naming the server are erased, other.example is not
        // asked about.
        let expected = vec!["other.example".to_string()];
        assert_eq!(held, expected, "{settings}");
        assert_eq!(keys(&config.read()), ["other.example"], "{settings}");
        assert!(
            !run.stderr.contains("s3cret") && !run.stdout.contains("s3cret"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn logout_follows_a_symlinked_config_and_keeps_the_link() {
    let config = Config::new();
    let real_dir = tempfile::tempdir().unwrap();
    let real = real_dir.path().join("real.json");
    std::fs::write(
        &real,
        serde_json::json!({"auths": {"a.example": {"auth": "eDp5"}, "b.example": {"auth": "eDp5"}}})
            .to_string(),
    )
    .unwrap();
    std::os::unix::fs::symlink(&real, config.path()).unwrap();
    let run = config.logout(Some("a.example"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::symlink_metadata(config.path())
            .unwrap()
            .is_symlink(),
        "the link was replaced"
    );
    assert_eq!(keys(&config.read()), ["b.example"]);
    left_only(real_dir.path(), &["real.json"]);
}

#[test]
fn an_empty_config_is_a_config_without_credentials() {
    for empty in ["", "\n  \n"] {
        let config = Config::new();
        std::fs::write(config.path(), empty).unwrap();
        let run = config.logout(Some("registry.example:5000"));
        assert_eq!(run.code, 0, "{empty:?}: {}", run.stderr);
        assert!(run.stdout.contains("Not logged in"), "{}", run.stdout);
        assert_eq!(std::fs::read_to_string(config.path()).unwrap(), empty);
    }
}

#[test]
fn a_config_whose_auths_or_helpers_are_not_objects_is_refused_and_left_alone() {
    for (key, text) in [
        ("auths", r#"{"auths":[1,2]}"#),
        (
            "auths",
            r#"{"auths":{"registry.example:5000":"dXNlcjpwdw=="}}"#,
        ),
        ("credHelpers", r#"{"credHelpers":["ocipipe-test"]}"#),
        ("credsStore", r#"{"credsStore":{"name":"x"}}"#),
    ] {
        let config = Config::new();
        std::fs::write(config.path(), text).unwrap();
        let logout = config.logout(Some("registry.example:5000"));
        // A login is refused before the registry is asked (nothing
        // listens on port 9).
        let login = config.ocipipe().run_with_stdin(
            &["login", "127.0.0.1:9", "-u", "user", "--password-stdin"],
            "pw\n",
        );
        for run in [&logout, &login] {
            assert_refused(run, &config.path().display().to_string());
            assert!(
                run.first_error_line().contains(&format!("`{key}`")),
                "{text}: {}",
                run.stderr
            );
            assert!(!run.stderr.contains("cannot reach"), "{}", run.stderr);
        }
        assert_eq!(std::fs::read_to_string(config.path()).unwrap(), text);
    }
}

#[test]
fn concurrent_logouts_of_different_servers_all_land() {
    for round in 0..5 {
        let config = Config::new();
        let servers: Vec<String> = (0..8).map(|i| format!("r{i}.example:5000")).collect();
        let mut auths = serde_json::Map::new();
        for server in &servers {
            auths.insert(server.clone(), serde_json::json!({"auth": "eDp5"}));
        }
        auths.insert("kept.example".into(), serde_json::json!({"auth": "eDp5"}));
        config.write(serde_json::json!({ "auths": auths }));
        let dir = config.dir.path().to_path_buf();
        let runs: Vec<_> = servers
            .iter()
            .map(|server| {
                let (dir, server) = (dir.clone(), server.clone());
                std::thread::spawn(move || {
                    Ocipipe::new()
                        .env("DOCKER_CONFIG", dir.to_str().unwrap())
                        .run(&["logout", &server])
                })
            })
            .collect();
        for run in runs {
            let run = run.join().unwrap();
            assert_eq!(run.code, 0, "{}", run.stderr);
        }
        assert_eq!(keys(&config.read()), ["kept.example"], "round {round}");
        left_only(&dir, &["config.json"]);
    }
}

/// `dir` holds `names` and nothing else (no temporary file, no lock file).
fn left_only(dir: &Path, names: &[&str]) {
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, names);
}

#[test]
fn a_password_flood_on_stdin_is_refused_at_once_with_little_memory() {
    let config = Config::new();
    // What `yes | ocipipe login …` gives, cut at 256 MiB.
    let flood = b"y\n".repeat(128 << 20);
    let (run, peak_kib) = config.ocipipe().run_measured(
        &["login", "127.0.0.1:9", "-u", "user", "--password-stdin"],
        &flood,
    );
    assert_refused(&run, "standard input");
    assert!(run.first_error_line().contains("16 KiB"), "{}", run.stderr);
    assert!(!run.stderr.contains("cannot reach"), "{}", run.stderr);
    assert!(peak_kib < 64 << 10, "peak memory {peak_kib} KiB");
    assert!(!config.path().exists());
}

/// `logout SERVER` with `config`'s Docker config, for the hostile suite.
fn logout_command<'a>(config: &'a Config, helper: Option<&TestHelper>) -> UpdateCommand<'a> {
    let mut env = vec![(
        "DOCKER_CONFIG".to_string(),
        config.dir.path().display().to_string(),
    )];
    env.extend(helper.map(TestHelper::env).unwrap_or_default());
    UpdateCommand {
        name: "logout",
        args: strings(&["logout", "registry.example:5000"]),
        env,
        stdin: b"",
        file: config.path(),
    }
}

#[test]
fn logout_interrupted_at_any_moment_leaves_the_config_whole() {
    let config = Config::new();
    let mut auths = serde_json::Map::new();
    for i in 0..200 {
        auths.insert(format!("r{i}.example"), serde_json::json!({"auth": "eDp5"}));
    }
    auths.insert(
        "registry.example:5000".into(),
        serde_json::json!({"auth": "eDp5"}),
    );
    config.write(serde_json::json!({ "auths": auths }));
    for signal in ["INT", "TERM"] {
        updates::interrupted_leaves_the_file_whole(&logout_command(&config, None), signal);
    }
}

#[test]
fn logout_interrupted_while_its_helper_erases_changes_nothing() {
    let config = Config::new();
    let text = r#"{"credsStore":"ocipipe-test","auths":{"registry.example:5000":{}}}"#;
    std::fs::write(config.path(), text).unwrap();
    let helper = TestHelper::new("hang");
    let asked = || !helper.calls().is_empty();
    updates::interrupted_midway_changes_nothing(
        &logout_command(&config, Some(&helper)),
        "INT",
        &asked,
    );
    assert_eq!(std::fs::read_to_string(config.path()).unwrap(), text);
    helper.stop_all();
}
