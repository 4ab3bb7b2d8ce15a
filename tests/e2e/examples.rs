//! The shard examples of `examples/` run as each spells its command: all
//! the shards of a GitHub Actions matrix, of a Kubernetes Indexed Job and
//! of an Argo `withSequence`, at once, locally, against the test registry.
//! Each example is read as YAML (python3's PyYAML turns it into JSON), the
//! scheduler's index put in as the scheduler does it (`${{ matrix.shard }}`,
//! `$(JOB_COMPLETION_INDEX)`, `{{item}}`), and the sync file the examples
//! use (`examples/sync.yaml`) pointed at the test registry and put where
//! the example reads it. Together the shards must copy every image the
//! file selects exactly once, and never split a repository between them.

use crate::harness::{registry, unique_repo};
use crate::registry::skopeo_digest;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");

/// The tags every source repository of the sync file gets.
const SOURCE_TAGS: [&str; 6] = ["1.0", "2.0", "2.1-rc1", "3.19", "3.20", "latest"];

/// What examples/sync.yaml selects of [`SOURCE_TAGS`], by the last name of
/// each repository entry's target, as its comments say.
const SELECTED: [(&str, &[&str]); 5] = [
    ("alpine", &["3.19", "3.20"]),                        // allow ^3\.
    ("busybox", &["1.0", "latest"]),                      // allow ^1\. or ^latest$
    ("golang", &["2.0", "3.19", "3.20"]),                 // versions >= 1.0, 3 highest
    ("postgres", &["3.19", "3.20"]),                      // versions >= 1.0, 2 highest
    ("redis", &["1.0", "2.0", "3.19", "3.20", "latest"]), // not -rc
];

/// How long the shards may take together.
const LIMIT: Duration = Duration::from_secs(180);

/// A YAML file as JSON, read by PyYAML (as the schedulers read YAML).
fn yaml(path: &Path) -> Value {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(path)
        .output()
        .expect("python3 (with PyYAML: Debian's python3-yaml)");
    assert!(
        out.status.success(),
        "reading {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn example(name: &str) -> Value {
    yaml(&Path::new(EXAMPLES).join(name))
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("not a string: {other}"),
    }
}

/// examples/sync.yaml pointed at the test registry, its sources pushed
/// there, and what the shards must copy.
struct Mirror {
    dir: tempfile::TempDir,
    /// The sync file, as the examples' would be after the rewrite.
    text: String,
    /// Every target image (`HOST/PATH:TAG`) and the digest it must get.
    expected: BTreeMap<String, String>,
}

impl Mirror {
    /// The example's own text with `docker.io` (the sources, and the
    /// budget's key) made the test registry as `localhost:PORT`, and
    /// `mirror.example` (the targets) the test registry as written by
    /// scripts/services, each under a repository no other test uses.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let prefix = unique_repo("examples");
        let target = registry();
        let port = target.rsplit_once(':').unwrap().1;
        let source = format!("localhost:{port}");
        let original = std::fs::read_to_string(Path::new(EXAMPLES).join("sync.yaml")).unwrap();
        let text = original
            .replace("docker.io/", &format!("{source}/{prefix}/src/"))
            .replace("docker.io:", &format!("'{source}':"))
            .replace("mirror.example/", &format!("{target}/{prefix}/"));
        assert!(!text.contains("docker.io") && !text.contains("mirror.example"));
        let path = dir.path().join("sync.yaml");
        std::fs::write(&path, &text).unwrap();
        let entries = yaml(&path)["sync"].as_array().unwrap().clone();
        let expected = seed(&entries, &source);
        Self {
            dir,
            text,
            expected,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A directory holding `ocipipe` (this build) alone, first on `PATH`.
    fn bin(&self) -> PathBuf {
        let bin = self.path("bin");
        if !bin.exists() {
            std::fs::create_dir(&bin).unwrap();
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ocipipe"), bin.join("ocipipe")).unwrap();
        }
        bin
    }

    /// The environment of a fresh machine: `PATH` (ocipipe first), a
    /// compile cache shared by the shards, nothing of this test's.
    fn fresh(&self, cmd: &mut Command) {
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", self.bin().display());
        cmd.env_clear()
            .env("PATH", path)
            .env("OCIPIPE_CACHE_DIR", self.path("cache"))
            .env("OCIPIPE_CHECK_CONTRACT", "1");
    }

    /// The whole file planned once, unsharded (which also fills the
    /// compile cache the shards share): exactly the expected images, all
    /// new.
    fn plan_matches(&self) {
        let config = self.path("plan-docker");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(config.join("config.json"), r#"{"auths":{}}"#).unwrap();
        let mut cmd = crate::harness::ocipipe_command();
        self.fresh(&mut cmd);
        cmd.env("DOCKER_CONFIG", config);
        let out = cmd
            .args(["sync", "--plan"])
            .arg(self.path("sync.yaml"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let planned: BTreeMap<String, String> = lines(&out.stdout)
            .iter()
            .map(|l| {
                assert_eq!(l["reason"], "new", "{l}");
                (target(l), text(&l["digest"]))
            })
            .collect();
        assert_eq!(planned, self.expected, "the plan of examples/sync.yaml");
    }

    /// The shards' runs (one list of steps each, run in order; the shards
    /// at once) succeeded and together copied every expected image exactly
    /// once, each repository by one shard, every shard some.
    fn check(&self, shards: Vec<Vec<Command>>) {
        let count = shards.len();
        let outputs = run_all(shards);
        let mut copied: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut owners: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for (shard, output) in outputs.iter().enumerate() {
            for line in lines(&output.stdout) {
                if line.get("summary").is_some() {
                    assert_eq!(line["summary"]["failed"], 0, "shard {shard}: {line}");
                    continue;
                }
                assert_eq!(line["action"], "copied", "shard {shard}: {line}");
                let image = target(&line);
                assert_eq!(
                    Some(&text(&line["digest"])),
                    self.expected.get(&image),
                    "shard {shard} copied {image}"
                );
                let repository = image.rsplit_once(':').unwrap().0.to_string();
                owners.entry(repository).or_default().insert(shard);
                copied.entry(image).or_default().push(shard);
            }
        }
        let once: BTreeMap<String, Vec<usize>> = self
            .expected
            .keys()
            .map(|image| {
                (
                    image.clone(),
                    copied.get(image).cloned().unwrap_or_default(),
                )
            })
            .filter(|(_, by)| by.len() == 1)
            .collect();
        assert_eq!(once.len(), self.expected.len(), "copied by: {copied:?}");
        assert_eq!(copied.len(), self.expected.len(), "copied by: {copied:?}");
        for (repository, by) in &owners {
            assert_eq!(by.len(), 1, "{repository} split between shards {by:?}");
        }
        let busy: BTreeSet<usize> = owners.values().flatten().copied().collect();
        assert_eq!(busy.len(), count, "some shard had nothing: {owners:?}");
        // The registry's own word, through skopeo.
        for (image, digest) in &self.expected {
            assert_eq!(&skopeo_digest(image), digest, "{image} at the target");
        }
    }
}

/// Pushes the sources `entries` name (every tag of [`SOURCE_TAGS`] to a
/// repository entry's source, its tag to an image entry's) with
/// tests/fixtures/push-images.py; the target images the file selects, with
/// their digests.
fn seed(entries: &[Value], source: &str) -> BTreeMap<String, String> {
    let selected: BTreeMap<&str, &[&str]> = SELECTED.into_iter().collect();
    let mut repos: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut wanted = Vec::new();
    for entry in entries {
        let from = text(&entry["source"]);
        let from = from
            .strip_prefix(&format!("{source}/"))
            .unwrap()
            .to_string();
        let to = text(&entry["target"]);
        if entry["type"] == "image" {
            let (repo, tag) = from.rsplit_once(':').unwrap();
            repos
                .entry(repo.to_string())
                .or_default()
                .push(tag.to_string());
            wanted.push((to, from));
            continue;
        }
        let name = to.rsplit('/').next().unwrap();
        let tags = selected
            .get(name)
            .unwrap_or_else(|| panic!("{name}: not in SELECTED"));
        repos.insert(from.clone(), SOURCE_TAGS.map(String::from).to_vec());
        wanted.extend(
            tags.iter()
                .map(|t| (format!("{to}:{t}"), format!("{from}:{t}"))),
        );
    }
    let pushed: BTreeMap<String, String> = serde_json::from_str(&push(&repos)).unwrap();
    wanted
        .into_iter()
        .map(|(to, from)| (to, pushed[&from].clone()))
        .collect()
}

/// tests/fixtures/push-images.py run for `repos`; what it printed.
fn push(repos: &BTreeMap<String, Vec<String>>) -> String {
    let mut child = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/push-images.py"
        ))
        .arg(registry())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), repos).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The JSON lines of an output.
fn lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// A result line's target image, without the transport.
fn target(line: &Value) -> String {
    let target = text(&line["target"]);
    target
        .strip_prefix("docker://")
        .unwrap_or(&target)
        .to_string()
}

/// Runs each shard's steps in order (stopping at a failed one), the shards
/// at once; each shard's last output, asserted successful. A shard still
/// running after [`LIMIT`] is killed and fails the test.
fn run_all(shards: Vec<Vec<Command>>) -> Vec<Output> {
    let started = Instant::now();
    let threads: Vec<_> = shards
        .into_iter()
        .enumerate()
        .map(|(shard, steps)| {
            std::thread::spawn(move || {
                let mut last = None;
                for mut step in steps {
                    let out = within(&mut step, started);
                    assert!(
                        out.status.success(),
                        "shard {shard}: {step:?}: {}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                    last = Some(out);
                }
                last.expect("a shard runs something")
            })
        })
        .collect();
    threads
        .into_iter()
        .map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        .collect()
}

/// `cmd`'s output, or a panic once [`LIMIT`] after `started` has passed.
fn within(cmd: &mut Command, started: Instant) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?}: still running after {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: std::fs::read(out).unwrap(),
        stderr: std::fs::read(err).unwrap(),
    }
}

/// `text` with each `open … close` expression replaced by `value` of its
/// trimmed inside; an expression `value` does not know fails the test.
fn expand(text: &str, open: &str, close: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(open) {
        out.push_str(&rest[..at]);
        let after = &rest[at + open.len()..];
        let end = after
            .find(close)
            .unwrap_or_else(|| panic!("unclosed {open} in {text}"));
        let name = after[..end].trim();
        out.push_str(&value(name).unwrap_or_else(|| panic!("unknown {open}{name}{close}")));
        rest = &after[end + close.len()..];
    }
    out.push_str(rest);
    out
}

/// Kubernetes' `$(VAR)` in a container's command, args and env: the value
/// of a variable of the container's environment; `$$` is a `$`; an unknown
/// variable stays as written.
fn kubernetes_expand(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(after) = after.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(inner) = after.strip_prefix('(')
            && let Some(end) = inner.find(')')
            && let Some(value) = env.get(&inner[..end])
        {
            out.push_str(value);
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A pod's container (`container`, with `volumes` of its pod) as a command
/// on this machine: each mount a directory under `root` (a ConfigMap
/// holding the sync file under the name the command gives it, a Secret
/// holding an empty Docker config.json), `extra` added to its environment
/// (what the scheduler adds), `$(VAR)` expanded, the mount paths made
/// those directories.
fn pod(
    mirror: &Mirror,
    container: &Value,
    volumes: &Value,
    extra: &[(&str, String)],
    root: &Path,
) -> Command {
    let mut env: BTreeMap<String, String> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    for var in container["env"].as_array().into_iter().flatten() {
        let value = kubernetes_expand(&text(&var["value"]), &env);
        env.insert(text(&var["name"]), value);
    }
    let argv: Vec<String> = ["command", "args"]
        .iter()
        .flat_map(|k| container[k].as_array().cloned().unwrap_or_default())
        .map(|a| kubernetes_expand(&text(&a), &env))
        .collect();
    let mut mounts = Vec::new();
    for mount in container["volumeMounts"].as_array().unwrap() {
        let name = text(&mount["name"]);
        let at = text(&mount["mountPath"]);
        let here = root.join(&name);
        std::fs::create_dir_all(&here).unwrap();
        let volume = volumes
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name.as_str())
            .unwrap_or_else(|| panic!("no volume {name}"));
        if volume.get("configMap").is_some() {
            let file = argv
                .iter()
                .find_map(|a| a.strip_prefix(&format!("{at}/")))
                .unwrap_or_else(|| panic!("the command reads nothing of {at}"));
            std::fs::write(here.join(file), &mirror.text).unwrap();
        } else {
            assert!(volume.get("secret").is_some(), "{volume}");
            std::fs::write(here.join("config.json"), r#"{"auths":{}}"#).unwrap();
        }
        mounts.push((at, here.display().to_string()));
    }
    let local = |value: &str| {
        mounts.iter().fold(value.to_string(), |v, (at, here)| {
            match v.strip_prefix(at.as_str()) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{here}{rest}"),
                _ => v,
            }
        })
    };
    let mut cmd = Command::new(&argv[0]);
    mirror.fresh(&mut cmd);
    cmd.args(argv[1..].iter().map(|a| local(a)));
    for (name, value) in &env {
        cmd.env(name, local(value));
    }
    cmd
}

#[test]
fn examples_github_actions_matrix_shards_copy_every_image_once() {
    let mirror = Mirror::new();
    mirror.plan_matches();
    let workflow = example("github-actions/sync.yml");
    let job = &workflow["jobs"]["sync"];
    let matrix: Vec<String> = job["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    let shards = matrix
        .iter()
        .map(|shard| {
            // A fresh runner: the checkout holds the sync file, HOME is
            // empty, the secret is an empty Docker config.
            let root = mirror.path(&format!("runner-{shard}"));
            let (checkout, home) = (root.join("checkout"), root.join("home"));
            std::fs::create_dir_all(&checkout).unwrap();
            std::fs::create_dir_all(&home).unwrap();
            std::fs::write(checkout.join("sync.yaml"), &mirror.text).unwrap();
            let value = |name: &str| match name {
                "matrix.shard" => Some(shard.clone()),
                "secrets.DOCKER_CONFIG_JSON" => Some(r#"{"auths":{}}"#.to_string()),
                _ => None,
            };
            let steps = job["steps"].as_array().unwrap();
            steps
                .iter()
                .filter(|step| step.get("run").is_some())
                .map(|step| {
                    // As a container job runs a step: `sh -e` of its script.
                    let script = expand(&text(&step["run"]), "${{", "}}", &value);
                    let mut cmd = Command::new("sh");
                    mirror.fresh(&mut cmd);
                    cmd.args(["-e", "-c", &script])
                        .current_dir(&checkout)
                        .env("HOME", &home);
                    for (name, v) in step["env"].as_object().into_iter().flatten() {
                        cmd.env(name, expand(&text(v), "${{", "}}", &value));
                    }
                    cmd
                })
                .collect()
        })
        .collect();
    mirror.check(shards);
}

#[test]
fn examples_kubernetes_indexed_job_shards_copy_every_image_once() {
    let mirror = Mirror::new();
    mirror.plan_matches();
    let job = example("kubernetes/sync-job.yaml");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let completions = spec["completions"].as_u64().unwrap();
    assert_eq!(spec["parallelism"], completions, "every pod at once");
    let pod_spec = &spec["template"]["spec"];
    let shards = (0..completions)
        .map(|index| {
            // The Job controller gives each pod its index in the environment.
            let extra = [("JOB_COMPLETION_INDEX", index.to_string())];
            let root = mirror.path(&format!("pod-{index}"));
            let container = &pod_spec["containers"][0];
            vec![pod(&mirror, container, &pod_spec["volumes"], &extra, &root)]
        })
        .collect();
    mirror.check(shards);
}

#[test]
fn examples_argo_with_sequence_shards_copy_every_image_once() {
    let mirror = Mirror::new();
    mirror.plan_matches();
    let workflow = example("argo/sync-workflow.yaml");
    let spec = &workflow["spec"];
    let templates = spec["templates"].as_array().unwrap();
    let template = |name: &Value| templates.iter().find(|t| t["name"] == *name).unwrap();
    let entry = template(&spec["entrypoint"]);
    let step = entry["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|group| group.as_array().unwrap())
        .find(|s| s.get("withSequence").is_some())
        .expect("a step with withSequence");
    let sequence = &step["withSequence"];
    let start: u64 = sequence
        .get("start")
        .map_or(0, |s| text(s).parse().unwrap());
    let count: u64 = text(&sequence["count"]).parse().unwrap();
    let shard_template = template(&step["template"]);
    let shards = (start..start + count)
        .map(|item| {
            let item = item.to_string();
            let item_value = |name: &str| (name == "item").then(|| item.clone());
            let inputs: BTreeMap<String, String> = step["arguments"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        text(&p["name"]),
                        expand(&text(&p["value"]), "{{", "}}", &item_value),
                    )
                })
                .collect();
            let input = |name: &str| {
                let name = name.strip_prefix("inputs.parameters.")?;
                inputs.get(name).cloned()
            };
            // Argo fills the template's inputs into its container's text.
            let container = expand(&shard_template["container"].to_string(), "{{", "}}", &input);
            let container: Value = serde_json::from_str(&container).unwrap();
            let root = mirror.path(&format!("step-{item}"));
            vec![pod(&mirror, &container, &spec["volumes"], &[], &root)]
        })
        .collect();
    mirror.check(shards);
}
