//! OCI artifacts against the real registry: `artifact push|pull|ls` and
//! `compose publish`, with the oras Python SDK as the independent client
//! and a fault proxy for registries that refuse OCI 1.1 manifests.

use crate::harness::{FaultProxy, Ocipipe, guest, registry, sha256_hex, unique_repo};
use crate::registry::{Env, refused, skopeo_raw};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The oras SDK in the venv `scripts/setup` makes, running
/// `tests/fixtures/oras-client.py` in `dir`; its stdout lines.
pub fn oras(dir: &Path, args: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join("target/tools/venv/bin/python");
    let script = root.join("tests/fixtures/oras-client.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup)", python.display()));
    assert!(
        out.status.success(),
        "oras {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// `ocipipe` without `SOURCE_DATE_EPOCH`, with this test's Docker config.
fn ocipipe(env: &Env) -> Ocipipe {
    env.ocipipe().env("SOURCE_DATE_EPOCH", "")
}

/// Runs `args`, asserting success; its one JSON line.
fn ok(env: &Env, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let run = ocipipe(env).run(&full);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    let mut lines = run.json_lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    lines.remove(0)
}

/// Files `name` → `content` in a new directory `dir` of the test.
fn files(env: &Env, dir: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = env.path(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, content) in files {
        std::fs::write(dir.join(name), content).unwrap();
    }
    dir
}

fn manifest(name: &str) -> serde_json::Value {
    serde_json::from_str(&skopeo_raw(name)).unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn an_artifact_pushed_is_pulled_by_oras_and_by_ocipipe_with_the_same_files() {
    let env = Env::new();
    let dir = files(
        &env,
        "in",
        &[("a.txt", "hello\n"), ("b.json", "{\"x\":1}\n")],
    );
    let name = format!("{}/{}:1", registry(), unique_repo("artifact"));
    let a = dir.join("a.txt");
    let b = format!("{}:application/json", dir.join("b.json").display());
    let pushed = ok(
        &env,
        &[
            "artifact",
            "push",
            &name,
            a.to_str().unwrap(),
            &b,
            "--artifact-type",
            "application/vnd.example.thing",
            "--annotation",
            "com.example.k=v",
        ],
    );
    assert_eq!(pushed["oci_version"], "1.1");
    assert_eq!(pushed["fallback_reason"], serde_json::Value::Null);
    let raw = skopeo_raw(&name);
    assert_eq!(
        pushed["digest"],
        format!("sha256:{}", sha256_hex(raw.as_bytes()))
    );
    let m: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(m["artifactType"], "application/vnd.example.thing");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    assert_eq!(
        m["layers"][0]["annotations"]["org.opencontainers.image.title"],
        "a.txt"
    );
    assert_eq!(m["layers"][1]["mediaType"], "application/json");
    assert_eq!(m["annotations"]["com.example.k"], "v");
    assert!(
        m["annotations"]
            .get("org.opencontainers.image.created")
            .is_none(),
        "no SOURCE_DATE_EPOCH, no created: {m}"
    );

    let by_oras = env.path("by-oras");
    let paths = oras(env.dir.path(), &["pull", &name, by_oras.to_str().unwrap()]);
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert_eq!(read(&by_oras.join("a.txt")), "hello\n");
    assert_eq!(read(&by_oras.join("b.json")), "{\"x\":1}\n");

    let out = env.path("out");
    let pulled = ok(
        &env,
        &["artifact", "pull", &name, "-o", out.to_str().unwrap()],
    );
    assert_eq!(pulled["digest"], pushed["digest"]);
    assert_eq!(read(&out.join("a.txt")), "hello\n");
    assert_eq!(read(&out.join("b.json")), "{\"x\":1}\n");
    // Into a directory that is not empty: refused, nothing touched.
    let run = ocipipe(&env).run(&["artifact", "pull", &name, "-o", out.to_str().unwrap()]);
    refused(&run, "not empty");
}

#[test]
fn what_oras_pushes_artifact_pull_fetches_and_unsafe_names_are_refused() {
    let env = Env::new();
    let dir = files(
        &env,
        "in",
        &[("notes.md", "# notes\n"), ("data.bin", "0123")],
    );
    let name = format!("{}/{}:1", registry(), unique_repo("artifact-oras"));
    let digest = oras(&dir, &["push", &name, "notes.md:text/markdown", "data.bin"]);
    let out = env.path("out");
    let pulled = ok(
        &env,
        &["artifact", "pull", &name, "-o", out.to_str().unwrap()],
    );
    assert_eq!(pulled["digest"], digest[0].as_str());
    assert_eq!(read(&out.join("notes.md")), "# notes\n");
    assert_eq!(read(&out.join("data.bin")), "0123");

    // A title that climbs out of the directory: nothing is written.
    let evil = files(&env, "evil", &[("x", "pwned")]);
    let evil_repo = unique_repo("artifact-evil");
    let name = format!("{}/{evil_repo}:1", registry());
    ok(
        &env,
        &[
            "artifact",
            "push",
            &name,
            evil.join("x").to_str().unwrap(),
            "--artifact-type",
            "application/vnd.example.evil",
        ],
    );
    // Rewrite the title to `../x` with the registry's own API.
    let mut m = manifest(&name);
    m["layers"][0]["annotations"]["org.opencontainers.image.title"] = json!("../x");
    let body = serde_json::to_vec(&m).unwrap();
    let put = std::process::Command::new("curl")
        .args([
            "-sf",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/vnd.oci.image.manifest.v1+json",
            "--data-binary",
            "@-",
            &format!("http://{}/v2/{evil_repo}/manifests/evil", registry()),
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&body)?;
            child.wait()
        })
        .unwrap();
    assert!(put.success());
    let evil_name = format!("{}/{evil_repo}:evil", registry());
    let out = env.path("evil-out");
    let run = ocipipe(&env).run(&["artifact", "pull", &evil_name, "-o", out.to_str().unwrap()]);
    refused(&run, "../x");
    assert!(!out.exists(), "a refused pull leaves no directory");
    assert!(!env.path("x").exists());
}

#[test]
fn compose_publish_is_deterministic_and_readable_by_oras() {
    let env = Env::new();
    let dir = files(
        &env,
        "project",
        &[
            ("compose.yaml", "services:\n  web:\n    image: nginx\n"),
            (
                "compose.override.yaml",
                "services:\n  web:\n    ports: [\"80\"]\n",
            ),
        ],
    );
    let repo = unique_repo("compose");
    let publish = |tag: &str| {
        let name = format!("{}/{repo}:{tag}", registry());
        let run = env.ocipipe().env("SOURCE_DATE_EPOCH", "1700000000").run(&[
            "--json",
            "compose",
            "publish",
            &name,
            dir.join("compose.yaml").to_str().unwrap(),
            dir.join("compose.override.yaml").to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        (name, run.json_lines().remove(0))
    };
    let (first, one) = publish("1");
    let (_, two) = publish("2");
    assert_eq!(
        one["digest"], two["digest"],
        "same files, same epoch, same digest"
    );
    assert_eq!(one["oci_version"], "1.1");
    let m = manifest(&first);
    assert_eq!(m["artifactType"], "application/vnd.docker.compose.project");
    assert_eq!(
        m["annotations"]["org.opencontainers.image.created"],
        "2023-11-14T22:13:20Z"
    );
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2, "one layer per file, no empty layer: {m}");
    for (layer, file) in layers.iter().zip(["compose.yaml", "compose.override.yaml"]) {
        assert_eq!(
            layer["mediaType"],
            "application/vnd.docker.compose.file+yaml"
        );
        assert_eq!(layer["annotations"]["com.docker.compose.file"], file);
        assert!(layer["annotations"]["com.docker.compose.version"].is_string());
    }

    // oras names files without a title by digest; the bytes are the same.
    let by_oras = env.path("by-oras");
    oras(env.dir.path(), &["pull", &first, by_oras.to_str().unwrap()]);
    for layer in layers {
        let digest = layer["digest"].as_str().unwrap();
        let file = layer["annotations"]["com.docker.compose.file"]
            .as_str()
            .unwrap();
        assert_eq!(read(&by_oras.join(digest)), read(&dir.join(file)));
    }
    let out = env.path("out");
    ok(
        &env,
        &["artifact", "pull", &first, "-o", out.to_str().unwrap()],
    );
    assert_eq!(
        read(&out.join("compose.override.yaml")),
        read(&dir.join("compose.override.yaml"))
    );
}

#[test]
fn a_registry_refusing_oci_1_1_gets_1_0_under_auto_only() {
    let env = Env::new();
    let dir = files(&env, "project", &[("compose.yaml", "services: {}\n")]);
    let file = dir.join("compose.yaml");
    let refuse = |status: u16, code: &str, times: u32| {
        json!([{"method": "PUT", "path": "/manifests/", "first": times,
                "action": "status", "status": status,
                "body": {"errors": [{"code": code, "message": "refused by the test"}]}}])
    };
    let publish = |proxy: &FaultProxy, version: &str| {
        let name = format!("{}/{}:1", proxy.address(), unique_repo("compose-fallback"));
        let run = ocipipe(&env).run(&[
            "--json",
            "compose",
            "publish",
            &name,
            file.to_str().unwrap(),
            "--oci-version",
            version,
        ]);
        (name, run)
    };
    let manifest_puts = |proxy: &FaultProxy| {
        proxy
            .requests()
            .iter()
            .filter(|r| r["method"] == "PUT" && r["path"].as_str().unwrap().contains("/manifests/"))
            .count()
    };

    // auto: 1.1 refused as MANIFEST_INVALID, 1.0 lands, and it says so.
    let proxy = FaultProxy::start(&registry(), refuse(400, "MANIFEST_INVALID", 1));
    let (name, run) = publish(&proxy, "auto");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json_lines().remove(0);
    assert_eq!(report["oci_version"], "1.0");
    assert!(
        report["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("MANIFEST_INVALID"),
        "{report}"
    );
    assert_eq!(manifest_puts(&proxy), 2);
    let m = manifest(&name.replace(&proxy.address(), &registry()));
    assert!(m.get("artifactType").is_none(), "the 1.0 form: {m}");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.docker.compose.config.empty.v1+json"
    );
    assert!(m["config"].get("data").is_none());

    // 1.1 asked for: the refusal is the answer.
    let proxy = FaultProxy::start(&registry(), refuse(400, "MANIFEST_INVALID", 1));
    let (_, run) = publish(&proxy, "1.1");
    refused(&run, "MANIFEST_INVALID");
    assert_eq!(manifest_puts(&proxy), 1);

    // Auth and missing repositories, and a digest problem, never fall back.
    for (status, code, puts) in [
        (401, "UNAUTHORIZED", 2),
        (403, "DENIED", 1),
        (404, "NAME_UNKNOWN", 1),
        (400, "DIGEST_INVALID", 1),
    ] {
        let proxy = FaultProxy::start(&registry(), refuse(status, code, 10));
        let (_, run) = publish(&proxy, "auto");
        refused(&run, code);
        assert_eq!(manifest_puts(&proxy), puts, "{status} {code}");
    }
}

/// Pushes the artifact `app` to `repo:app` and, unless `sbom` is false, the
/// artifact `sbom` referring to it to `repo:sbom` (of the plain test
/// registry): `repo:app`, and the push reports.
fn an_app_and_its_sbom(
    env: &Env,
    repo: &str,
    sbom: bool,
) -> (String, serde_json::Value, Option<serde_json::Value>) {
    let dir = files(
        env,
        "in",
        &[("sbom.json", "{\"sbom\":true}\n"), ("app", "app")],
    );
    let subject = format!("{}/{repo}:app", registry());
    let app = ok(
        env,
        &[
            "artifact",
            "push",
            &subject,
            dir.join("app").to_str().unwrap(),
            "--artifact-type",
            "application/vnd.example.app",
        ],
    );
    let sbom = sbom.then(|| {
        ok(
            env,
            &[
                "artifact",
                "push",
                &format!("{}/{repo}:sbom", registry()),
                &format!("{}:application/json", dir.join("sbom.json").display()),
                "--artifact-type",
                "application/vnd.example.sbom",
                "--subject",
                &subject,
            ],
        )
    });
    (subject, app, sbom)
}

#[test]
fn referrers_come_from_the_api_or_else_the_tag_schema() {
    let env = Env::new();
    let repo = unique_repo("referrers");
    let (subject, app, sbom) = an_app_and_its_sbom(&env, &repo, true);
    let sbom = sbom.unwrap();
    let dir = env.path("in");
    // Registry 2.8 has no referrers API: the tag schema it is.
    assert_eq!(sbom["referrers"], "tag-schema");
    let m = manifest(&format!("{}/{repo}:sbom", registry()));
    assert_eq!(m["subject"]["digest"], app["digest"]);

    let run = ocipipe(&env).run(&["--json", "artifact", "ls", &subject]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = run.json_lines();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["digest"], sbom["digest"]);
    assert_eq!(listed[0]["artifact_type"], "application/vnd.example.sbom");
    let tag = app["digest"].as_str().unwrap().replace(':', "-");
    let index = manifest(&format!("{}/{repo}:{tag}", registry()));
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );

    // A registry with the referrers API (a proxy answering it in front of
    // the real one) is asked first, and its answer is the list.
    let api = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": sbom["digest"], "size": 1,
                       "artifactType": "application/vnd.example.from-the-api"}]});
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "GET", "path": "/referrers/", "action": "status", "status": 200,
                "body": api}]),
    );
    let through = format!("{}/{repo}:app", proxy.address());
    let run = ocipipe(&env).run(&["--json", "artifact", "ls", &through]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = run.json_lines();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        listed[0]["artifact_type"],
        "application/vnd.example.from-the-api"
    );

    // A subject in another repository is refused before anything is sent.
    let run = ocipipe(&env).run(&[
        "artifact",
        "push",
        &format!("{}/{}:x", registry(), unique_repo("elsewhere")),
        dir.join("app").to_str().unwrap(),
        "--artifact-type",
        "application/vnd.example.app",
        "--subject",
        &subject,
    ]);
    refused(&run, "same repository");
}

#[test]
fn a_component_pushed_and_pinned_by_digest_runs_and_a_changed_one_is_refused() {
    let env = Env::new();
    let repo = unique_repo("component");
    let name = format!("{}/{repo}:1", registry());
    let tagging = guest("ocipipe_tagging.wasm");
    let pushed = ok(
        &env,
        &["component", "push", &name, tagging.to_str().unwrap()],
    );
    let m = manifest(&name);
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(m["layers"].as_array().unwrap().len(), 1);
    assert_eq!(m["layers"][0]["mediaType"], "application/wasm");
    let wasm = std::fs::read(&tagging).unwrap();
    assert_eq!(
        m["layers"][0]["digest"],
        format!("sha256:{}", sha256_hex(&wasm))
    );
    let config: serde_json::Value = serde_json::from_slice(&crate::registry::blob(
        &repo,
        m["config"]["digest"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(config["component"]["target"], "ocipipe:image/tagging@0.3.0");
    assert!(
        config["component"]["exports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().starts_with("ocipipe:image/naming")),
        "{config}"
    );

    let cache = env.path("cache");
    let run_with = |component: &str, extra: &[&str]| {
        let mut args = vec!["--component", component];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["ref", "normalize", "ubuntu"]);
        env.ocipipe()
            .env("OCIPIPE_CACHE_DIR", cache.to_str().unwrap())
            .run(&args)
    };
    // `--component tagging=` the push `pushed`, by its digest.
    let pin = |pushed: &serde_json::Value| {
        let digest = pushed["digest"].as_str().unwrap();
        format!("tagging=docker://{}/{repo}@{digest}", registry())
    };
    let runs_ubuntu = |component: &str| {
        let run = run_with(component, &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout.contains("docker.io/library/ubuntu"),
            "{}",
            run.stdout
        );
    };
    let pinned = pin(&pushed);
    runs_ubuntu(&pinned);
    let cached = cache
        .join("components")
        .join(format!("{}.wasm", sha256_hex(&wasm)));
    assert_eq!(std::fs::read(&cached).unwrap(), wasm, "kept by its digest");

    // A tag alone is refused unless the user takes the risk.
    let unpinned = format!("tagging=docker://{name}");
    refused(&run_with(&unpinned, &[]), "by digest");
    assert_eq!(run_with(&unpinned, &["--allow-unpinned"]).code, 0);

    // One byte changed under the old digest: refused, never run.
    let mut changed = wasm.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    std::fs::write(&cached, &changed).unwrap();
    refused(&run_with(&pinned, &[]), "changed after it was fetched");

    // A component of another world is refused before it runs.
    let other = format!("{}/{repo}:tar", registry());
    let tar = ok(
        &env,
        &[
            "component",
            "push",
            &other,
            guest("ocipipe_tar_assembly.wasm").to_str().unwrap(),
        ],
    );
    refused(
        &run_with(&pin(&tar), &[]),
        "is not a valid tagging component",
    );

    // One built against 0.1.0 is recorded as that version, and runs.
    let old = format!("{}/{repo}:old", registry());
    let pushed = ok(
        &env,
        &[
            "component",
            "push",
            &old,
            guest("old_tagging.wasm").to_str().unwrap(),
        ],
    );
    let config: serde_json::Value = serde_json::from_slice(&crate::registry::blob(
        &repo,
        manifest(&old)["config"]["digest"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(config["component"]["target"], "ocipipe:image/tagging@0.1.0");
    runs_ubuntu(&pin(&pushed));
}

/// The requests a push sent that write something (`POST`, `PUT`,
/// `PATCH`, `DELETE`), as the proxy logged them.
fn writes(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .requests()
        .iter()
        .filter(|r| {
            ["POST", "PUT", "PATCH", "DELETE"].contains(&r["method"].as_str().unwrap_or(""))
        })
        .map(|r| format!("{} {}", r["method"], r["path"]))
        .collect()
}

#[test]
fn what_artifact_pull_would_refuse_is_refused_at_push_with_nothing_sent() {
    let env = Env::new();
    let a = files(
        &env,
        "a",
        &[("notes.md", "# a\n"), ("compose.yaml", "services: {}\n")],
    );
    let b = files(
        &env,
        "b",
        &[("notes.md", "# b\n"), ("compose.yaml", "name: b\n")],
    );
    // A name a terminal would act on: pull refuses it, so push must.
    let odd = files(&env, "odd", &[("bad\u{1b}[2Jname", "x")]);
    let proxy = FaultProxy::start(&registry(), json!([]));
    let name = format!("{}/{}:1", proxy.address(), unique_repo("unpullable"));
    let path = |p: PathBuf| p.to_str().unwrap().to_string();
    let artifact_push = |files: &[String]| {
        let mut args = vec!["artifact", "push", &name];
        args.extend(files.iter().map(String::as_str));
        args.extend(["--artifact-type", "application/vnd.example.notes"]);
        ocipipe(&env).run(&args)
    };

    let run = artifact_push(&[path(a.join("notes.md")), path(b.join("notes.md"))]);
    refused(&run, "`artifact pull` would refuse it");
    assert!(
        run.stderr
            .contains("\"notes.md\" is also the name of layers[0]"),
        "{}",
        run.stderr
    );

    let run = artifact_push(&[path(odd.join("bad\u{1b}[2Jname"))]);
    refused(&run, "`artifact pull` would refuse it");
    assert!(
        run.stderr.contains("control character U+001B"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\u{1b}'),
        "raw escape in the error: {:?}",
        run.stderr
    );

    let run = ocipipe(&env).run(&[
        "compose",
        "publish",
        &name,
        &path(a.join("compose.yaml")),
        &path(b.join("compose.yaml")),
    ]);
    refused(&run, "`artifact pull` would refuse it");
    assert!(
        run.stderr.contains("\"compose.yaml\" is also the name"),
        "{}",
        run.stderr
    );

    assert_eq!(writes(&proxy), Vec::<String>::new(), "nothing is sent");
    // The same files under names of their own are pushed and pulled back.
    let run = artifact_push(&[path(a.join("notes.md")), path(a.join("compose.yaml"))]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn compose_publish_refuses_what_is_not_yaml_text_with_nothing_sent() {
    let env = Env::new();
    let mut random = vec![0u8; 4096];
    getrandom::fill(&mut random).unwrap();
    random[0] = 0xff;
    let dir = env.path("in");
    std::fs::create_dir_all(&dir).unwrap();
    let proxy = FaultProxy::start(&registry(), json!([]));
    let name = format!("{}/{}:1", proxy.address(), unique_repo("compose-binary"));
    for (file, bytes, words) in [
        ("random.yaml", random.as_slice(), "byte 0 is not UTF-8"),
        (
            "nul.yaml",
            b"services:\0{}\n".as_slice(),
            "control character U+0000 at byte 9",
        ),
        (
            "escape.yaml",
            b"x: \x1b[2J\n".as_slice(),
            "control character U+001B at byte 3",
        ),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, bytes).unwrap();
        let run = ocipipe(&env).run(&["compose", "publish", &name, path.to_str().unwrap()]);
        refused(&run, "it is not a compose file");
        assert!(run.stderr.contains(words), "{file}: {}", run.stderr);
        assert!(run.first_error_line().contains(file), "{}", run.stderr);
    }
    assert_eq!(writes(&proxy), Vec::<String>::new(), "nothing is sent");
}

#[test]
fn artifact_push_of_dev_stdin_reads_the_pipe_once_and_gives_the_file_s_digest() {
    let env = Env::new();
    let bytes = "a line from a pipe\n".repeat(50_000);
    // A file named as the pipe is (`stdin`): the same title, the same bytes.
    let dir = files(&env, "in", &[("stdin", bytes.as_str())]);
    let repo = unique_repo("artifact-stdin");
    let push = |tag: &str, file: &str, stdin: &[u8]| {
        let name = format!("{}/{repo}:{tag}", registry());
        let run = ocipipe(&env).run_with_stdin_bytes(
            &[
                "--json",
                "artifact",
                "push",
                &name,
                file,
                "--artifact-type",
                "application/vnd.example.piped",
            ],
            stdin,
        );
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        run.json_lines().remove(0)
    };
    // The pipe first: the registry has no blob yet, so it is uploaded.
    let from_pipe = push("pipe", "/dev/stdin", bytes.as_bytes());
    let from_file = push("file", dir.join("stdin").to_str().unwrap(), b"");
    assert_eq!(from_pipe["digest"], from_file["digest"]);
    let m = manifest(&format!("{}/{repo}:pipe", registry()));
    assert_eq!(m["layers"][0]["size"], bytes.len());
    assert_eq!(
        m["layers"][0]["digest"],
        format!("sha256:{}", sha256_hex(bytes.as_bytes()))
    );
}

/// An OCI index of `entries` (referrers), as the referrers API answers.
fn referrers_page(entries: &[serde_json::Value]) -> serde_json::Value {
    json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
           "manifests": entries})
}

/// A referrer's descriptor: a made-up manifest digest of `byte`.
fn a_referrer(byte: char, artifact_type: &str) -> serde_json::Value {
    json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": format!("sha256:{}", byte.to_string().repeat(64)), "size": 100,
           "artifactType": artifact_type})
}

#[test]
fn artifact_ls_follows_every_page_and_lists_the_rest_around_a_malformed_entry() {
    let env = Env::new();
    let repo = unique_repo("referrer-pages");
    let (_, app, _) = an_app_and_its_sbom(&env, &repo, false);
    let digest = app["digest"].as_str().unwrap().to_string();
    let next = format!("/v2/{repo}/referrers/{digest}?n=2&last=b");
    let malformed = json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": "sha256:not-hex", "size": 1});
    // Page 1 (no query) names page 2 in `Link`; page 2 holds a malformed
    // entry between two good ones.
    let pages = |page_two_link: Option<String>| {
        let mut second = json!({"path": "last=b", "method": "GET", "action": "status", "status": 200,
            "body": referrers_page(&[a_referrer('c', "application/vnd.example.c"), malformed.clone(),
                                     a_referrer('d', "application/vnd.example.d")])});
        if let Some(link) = page_two_link {
            second["headers"] = json!({"Link": link});
        }
        json!([second,
            {"path": "/referrers/sha256:[0-9a-f]+$", "method": "GET", "action": "status", "status": 200,
             "headers": {"Link": format!("<{next}>; rel=\"next\"")},
             "body": referrers_page(&[a_referrer('a', "application/vnd.example.a"),
                                      a_referrer('b', "application/vnd.example.b")])}])
    };
    let proxy = FaultProxy::start(&registry(), pages(None));
    let through = format!("{}/{repo}:app", proxy.address());
    let run = ocipipe(&env).run(&["--json", "artifact", "ls", &through]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let types: Vec<String> = run
        .json_lines()
        .iter()
        .map(|l| l["artifact_type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        ["a", "b", "c", "d"].map(|t| format!("application/vnd.example.{t}"))
    );
    assert!(
        run.stderr.contains("warning: ") && run.stderr.contains("page 2: manifests[1].digest"),
        "{}",
        run.stderr
    );
    let human = ocipipe(&env).run(&["artifact", "ls", &through]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert_eq!(human.stdout.lines().count(), 4, "{}", human.stdout);

    // A next page on another host is not followed: credentials would go
    // with it.
    let elsewhere = format!("<http://127.0.0.2:9{next}>; rel=\"next\"");
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"path": "/referrers/", "method": "GET", "action": "status", "status": 200,
                "headers": {"Link": elsewhere},
                "body": referrers_page(&[a_referrer('a', "application/vnd.example.a")])}]),
    );
    let run = ocipipe(&env).run(&["artifact", "ls", &format!("{}/{repo}:app", proxy.address())]);
    refused(&run, "off this registry");
    assert_eq!(run.stdout, "");

    // A page that names itself again is a loop, refused, not followed forever.
    let proxy = FaultProxy::start(&registry(), pages(Some(format!("<{next}>; rel=\"next\""))));
    let run = ocipipe(&env).run(&["artifact", "ls", &format!("{}/{repo}:app", proxy.address())]);
    refused(&run, "one it gave before");
    let asked = proxy
        .paths()
        .iter()
        .filter(|p| p.contains("/referrers/"))
        .count();
    assert_eq!(asked, 2, "{:?}", proxy.paths());
}

#[test]
fn a_malformed_entry_of_the_tag_schema_index_hides_no_other_referrer() {
    let env = Env::new();
    let repo = unique_repo("referrer-malformed");
    let (_, app, sbom) = an_app_and_its_sbom(&env, &repo, true);
    let sbom = sbom.unwrap();
    // Someone who can push adds an entry no reader can take to the index
    // (the real registry checks an index's entries: a proxy serves it).
    let tag = app["digest"].as_str().unwrap().replace(':', "-");
    let mut index = manifest(&format!("{}/{repo}:{tag}", registry()));
    index["manifests"].as_array_mut().unwrap().insert(
        0,
        json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
               "digest": "sha256:short", "size": -1}),
    );
    let proxy = FaultProxy::start(
        &registry(),
        json!([{"method": "GET", "path": format!("/manifests/{tag}$"), "action": "status",
                "status": 200, "body": index}]),
    );
    let subject = format!("{}/{repo}:app", proxy.address());
    let run = ocipipe(&env).run(&["--json", "artifact", "ls", &subject]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = run.json_lines();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["digest"], sbom["digest"]);
    assert!(run.stderr.contains("manifests[0].digest"), "{}", run.stderr);
}

#[test]
fn component_push_prints_the_digest_alone_and_names_what_is_not_a_component() {
    let env = Env::new();
    let name = format!("{}/{}:1", registry(), unique_repo("component-digest"));
    let tagging = guest("ocipipe_tagging.wasm");
    let run = ocipipe(&env).run(&["component", "push", &name, tagging.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // What `D=$(ocipipe component push …)` holds.
    let digest = run.stdout.trim_end_matches('\n');
    assert_eq!(run.stdout, format!("{digest}\n"));
    assert_eq!(
        format!("sha256:{}", sha256_hex(skopeo_raw(&name).as_bytes())),
        digest
    );
    assert!(
        run.stderr.contains(&format!("Pushed {name} (tagging)")),
        "{}",
        run.stderr
    );
    let json = ok(
        &env,
        &["component", "push", &name, tagging.to_str().unwrap()],
    );
    assert_eq!(json["digest"], digest);
    assert_eq!(json["world"], "tagging");
    // A digest names what is already there: a push goes to a tag.
    let by_digest = format!("{}@{digest}", name.trim_end_matches(":1"));
    let run = ocipipe(&env).run(&["component", "push", &by_digest, tagging.to_str().unwrap()]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("a push goes to a tag, not a digest"),
        "{}",
        run.stderr
    );

    let dir = env.path("not-components");
    std::fs::create_dir_all(&dir).unwrap();
    for (file, bytes, words) in [
        (
            "core.wasm",
            b"\0asm\x01\0\0\0".as_slice(),
            "it is a core WebAssembly module, not a component",
        ),
        (
            "text.wasm",
            b"(component)\n".as_slice(),
            "it is not a WebAssembly component",
        ),
        (
            "empty.wasm",
            b"".as_slice(),
            "it is not a WebAssembly component",
        ),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, bytes).unwrap();
        let run = ocipipe(&env).run(&["component", "push", &name, path.to_str().unwrap()]);
        refused(&run, words);
        assert!(run.first_error_line().contains(file), "{}", run.stderr);
    }
}
