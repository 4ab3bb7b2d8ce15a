//! `ocipipe copy`, `login` and `logout` against real registries (started by
//! `scripts/services`): docker, skopeo and umoci are the independent checks;
//! a fault proxy makes the failures a registry cannot be made to produce.
//! Each test has its own directory, Docker config and repositories.

mod auth;
mod faults;
mod helpers;
mod index;
mod interop;
mod into_images;
mod limits;
mod mutate;
mod referrers;
mod tls;

use crate::harness::{Ocipipe, Run, build, busybox_root, registry, sha256_hex, tool};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A test's own directory and Docker config.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("docker-config")).unwrap();
        Self { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config_dir(&self) -> PathBuf {
        self.path("docker-config")
    }

    /// `ocipipe` with this test's Docker config.
    pub fn ocipipe(&self) -> Ocipipe {
        Ocipipe::new().env("DOCKER_CONFIG", self.config_dir().to_str().unwrap())
    }

    /// `ocipipe --json ARGS`, asserting success; its JSON lines.
    pub fn json_ok(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let run = self.ocipipe().run(&full);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run.json_lines()
    }

    /// `artifact push REFERENCE FILE --artifact-type TYPE --subject
    /// SUBJECT`, FILE holding "FILE of SUBJECT"; the push's report.
    pub fn attach(
        &self,
        reference: &str,
        file: &str,
        artifact_type: &str,
        subject: &str,
    ) -> serde_json::Value {
        let path = self.path(file);
        std::fs::write(&path, format!("{file} of {subject}\n")).unwrap();
        let mut pushed = self.json_ok(&[
            "artifact",
            "push",
            reference,
            path.to_str().unwrap(),
            "--artifact-type",
            artifact_type,
            "--subject",
            subject,
        ]);
        pushed.remove(0)
    }

    /// `ocipipe copy --json SRC DST` (and `extra` flags first).
    pub fn copy(&self, extra: &[&str], from: &str, to: &str) -> Run {
        let mut args = vec!["copy", "--json"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[from, to]);
        self.ocipipe().run(&args)
    }

    /// [`Env::copy`], asserting success; its report.
    pub fn copy_ok(&self, extra: &[&str], from: &str, to: &str) -> serde_json::Value {
        let run = self.copy(extra, from, to);
        assert_eq!(run.code, 0, "copy {from} {to}: {}", run.stderr);
        let mut lines = run.json_lines();
        assert_eq!(lines.len(), 1, "{}", run.stdout);
        lines.remove(0)
    }

    /// An OCI layout `name` holding a runnable busybox image tagged `1.0`
    /// that prints `hi`, plus `extra` build flags; `oci:LAYOUT:1.0`.
    pub fn image(&self, name: &str, extra: &[&str]) -> String {
        let root = busybox_root(&self.path(&format!("{name}-src")));
        let layout = self.path(name);
        let mut args = vec![
            "--layer",
            root.to_str().unwrap(),
            "--cmd",
            r#"["/bin/busybox","echo","hi"]"#,
            "-t",
            "app:1.0",
            "--oci-layout",
            layout.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        build(&args);
        format!("oci:{}:1.0", layout.display())
    }

    /// An OCI layout `name` holding one busybox image per architecture of
    /// `arches` (linux) and an index naming them, tagged `1.0`.
    pub fn multi_platform(&self, name: &str, arches: &[&str]) -> MultiPlatform {
        let multi = self.path(name);
        std::fs::create_dir_all(multi.join("blobs/sha256")).unwrap();
        let mut manifests = Vec::new();
        for arch in arches {
            let single = format!("{name}-{arch}");
            self.image(&single, &["--platform", &format!("linux/{arch}")]);
            let layout = self.path(&single);
            for blob in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
                let blob = blob.unwrap();
                let to = multi.join("blobs/sha256").join(blob.file_name());
                std::fs::copy(blob.path(), to).unwrap();
            }
            let entry = &layout_index(&layout)["manifests"][0];
            manifests.push(serde_json::json!({
                "mediaType": entry["mediaType"],
                "digest": entry["digest"],
                "size": entry["size"],
                "platform": {"architecture": arch, "os": "linux"},
            }));
        }
        let digests = manifests
            .iter()
            .map(|m| m["digest"].as_str().unwrap().to_string())
            .collect();
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        }))
        .unwrap();
        let index_hex = sha256_hex(&index);
        std::fs::write(multi.join("blobs/sha256").join(&index_hex), &index).unwrap();
        std::fs::write(
            multi.join("oci-layout"),
            r#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        let top = serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": format!("sha256:{index_hex}"),
                "size": index.len(),
                "annotations": {"org.opencontainers.image.ref.name": "1.0"},
            }],
        });
        std::fs::write(multi.join("index.json"), top.to_string()).unwrap();
        MultiPlatform {
            source: format!("oci:{}:1.0", multi.display()),
            index,
            index_hex,
            digests,
        }
    }

    /// A layer directory `name` of `size` random (incompressible) bytes.
    pub fn random_layer(&self, name: &str, size: usize) -> PathBuf {
        let layer = self.path(name);
        std::fs::create_dir_all(layer.join("data")).unwrap();
        let mut bytes = vec![0u8; size];
        getrandom::fill(&mut bytes).unwrap();
        std::fs::write(layer.join("data/random"), bytes).unwrap();
        layer
    }
}

/// A layout of one index over images of several platforms
/// ([`Env::multi_platform`]).
pub struct MultiPlatform {
    /// `oci:PATH:1.0`.
    pub source: String,
    /// The index's bytes.
    pub index: Vec<u8>,
    /// Their sha256, in hex.
    pub index_hex: String,
    /// Each platform's image digest, in the order asked.
    pub digests: Vec<String>,
}

/// `skopeo inspect --tls-verify=false docker://REF`'s `Digest`.
pub fn skopeo_digest(reference: &str) -> String {
    skopeo_digest_as(reference, None)
}

/// [`skopeo_digest`] with `--creds USER:PASSWORD` when given.
pub fn skopeo_digest_as(reference: &str, creds: Option<&str>) -> String {
    let target = format!("docker://{reference}");
    let mut args = vec!["inspect", "--tls-verify=false"];
    if let Some(creds) = creds {
        args.extend(["--creds", creds]);
    }
    args.push(&target);
    let v: serde_json::Value = serde_json::from_str(&tool("skopeo", &args)).unwrap();
    v["Digest"].as_str().unwrap().to_string()
}

/// `skopeo inspect --raw --tls-verify=false docker://REF`: the manifest bytes.
pub fn skopeo_raw(reference: &str) -> String {
    tool(
        "skopeo",
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{reference}"),
        ],
    )
}

/// The index.json of the layout at `path`.
pub fn layout_index(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path.join("index.json")).unwrap()).unwrap()
}

/// A report's number field.
pub fn n(report: &serde_json::Value, key: &str) -> u64 {
    report[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {report}"))
}

/// A report's `digest`.
pub fn digest(report: &serde_json::Value) -> String {
    report["digest"]
        .as_str()
        .unwrap_or_else(|| panic!("digest in {report}"))
        .to_string()
}

/// The first line of stderr that is not a `--json` progress event or a
/// log line: the error.
pub fn error_line(run: &Run) -> &str {
    run.stderr
        .lines()
        .find(|l| !l.starts_with('{') && !l.contains(" WARN ") && !l.contains(" INFO "))
        .unwrap_or("")
}

/// `run` failed with exit code 1, an `error:` line ([`error_line`])
/// naming `words`, and no panic.
pub fn refused(run: &Run, words: &str) {
    assert_eq!(run.code, 1, "must be refused: {}", run.stderr);
    let error = error_line(run);
    assert!(error.starts_with("error: "), "{}", run.stderr);
    assert!(
        error.contains(words),
        "expected {words:?} in: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// Whether `repo:tag` names a manifest on the plain test registry.
pub fn manifest_exists(repo: &str, tag: &str) -> bool {
    std::process::Command::new("curl")
        .args([
            "-sf",
            "-o",
            "/dev/null",
            &format!("http://{}/v2/{repo}/manifests/{tag}", registry()),
        ])
        .status()
        .unwrap()
        .success()
}

/// The blob `digest` of `repo` on the plain test registry.
pub fn blob(repo: &str, digest: &str) -> Vec<u8> {
    let url = format!("http://{}/v2/{repo}/blobs/{digest}", registry());
    let out = std::process::Command::new("curl")
        .args(["-sfL", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "GET {url}");
    out.stdout
}

/// The manifest of `name` (in `repo` of the plain test registry), once
/// every layer is checked: its blob hashes to its digest and, decompressed
/// as its media type says, to its config's diff_id.
pub fn layers_check_out(repo: &str, name: &str) -> serde_json::Value {
    let manifest: serde_json::Value = serde_json::from_str(&skopeo_raw(name)).unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&blob(repo, manifest["config"]["digest"].as_str().unwrap()))
            .unwrap();
    let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), diff_ids.len());
    for (layer, diff_id) in layers.iter().zip(diff_ids) {
        let stored = blob(repo, layer["digest"].as_str().unwrap());
        assert_eq!(
            format!("sha256:{}", sha256_hex(&stored)),
            layer["digest"].as_str().unwrap()
        );
        let tar = match layer["mediaType"].as_str().unwrap() {
            "application/vnd.oci.image.layer.v1.tar+gzip" => {
                let mut tar = Vec::new();
                flate2::read::GzDecoder::new(stored.as_slice())
                    .read_to_end(&mut tar)
                    .unwrap();
                tar
            }
            "application/vnd.oci.image.layer.v1.tar+zstd" => {
                zstd::stream::decode_all(stored.as_slice()).unwrap()
            }
            "application/vnd.oci.image.layer.v1.tar" => stored,
            other => panic!("layer media type {other}"),
        };
        assert_eq!(
            format!("sha256:{}", sha256_hex(&tar)),
            diff_id.as_str().unwrap()
        );
    }
    manifest
}
