//! `copy` into a `docker load` archive and into the engine, places that
//! store layer tars: each layer streamed from the source, a registry's
//! blob downloaded once, and every tar checked against the diff_id its
//! config names, whatever the layer's compression.

use super::{Env, n, refused};
use crate::harness::{FaultProxy, Run, docker, docker_ok, gzip, registry, unique_repo};
use crate::hostile::names;
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};

/// `ocipipe copy --json FROM TO` with its temporary files in the test's
/// `tmp` directory, which must be empty again afterwards.
fn copy(env: &Env, from: &str, to: &str) -> Run {
    let tmp = env.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let run =
        (env.ocipipe().env("TMPDIR", tmp.to_str().unwrap())).run(&["copy", "--json", from, to]);
    assert_eq!(names(&tmp), Vec::<String>::new(), "temporary files left");
    run
}

/// [`copy`], asserting success; its report.
fn copy_ok(env: &Env, from: &str, to: &str) -> serde_json::Value {
    let run = copy(env, from, to);
    assert_eq!(run.code, 0, "copy {from} {to}: {}", run.stderr);
    run.json_lines().remove(0)
}

/// The blob paths the proxy was sent a GET for, each as often as it was.
fn blob_gets(proxy: &FaultProxy) -> Vec<String> {
    let mut gets: Vec<String> = (proxy.requests().iter())
        .filter(|r| r["method"] == "GET")
        .filter_map(|r| r["path"].as_str().map(str::to_owned))
        .filter(|p| p.contains("/blobs/sha256:"))
        .collect();
    gets.sort();
    gets
}

#[test]
fn a_copy_into_an_archive_or_the_engine_downloads_each_blob_once() {
    let env = Env::new();
    let big = env.random_layer("big", 2 << 20);
    let image = env.image("layout", &["--layer", big.to_str().unwrap()]);
    let repo = unique_repo("into-images");
    // Layers stored as tars, and gzip-compressed (whose tar's size an
    // archive needs before its bytes, so only reading it tells).
    env.copy_ok(
        &[],
        &image,
        &format!("docker://{}/{repo}:plain", registry()),
    );
    let gz = &["--compression", "gzip"];
    env.copy_ok(gz, &image, &format!("docker://{}/{repo}:gz", registry()));
    for tag in ["plain", "gz"] {
        let name = format!("{}:{tag}", unique_repo("into-images"));
        let archive = env.path(&format!("{tag}.tar"));
        let proxy = FaultProxy::start(&registry(), json!([]));
        let from = format!("docker://{}/{repo}:{tag}", proxy.address());
        let into = format!("docker-archive:{}:{name}", archive.display());
        let report = copy_ok(&env, &from, &into);
        // The config and two layers, each fetched once.
        let gets = blob_gets(&proxy);
        let mut once = gets.clone();
        once.dedup();
        assert_eq!(gets, once, "a blob fetched twice ({tag})");
        assert_eq!(gets.len(), 3, "{gets:?}");
        docker_ok(&["load", "-i", archive.to_str().unwrap()]);
        let id = docker_ok(&["image", "inspect", "--format", "{{.Id}}", &name]);
        assert_eq!(id.trim(), report["image_id"].as_str().unwrap());
        docker_ok(&["image", "rm", &name]);

        let proxy = FaultProxy::start(&registry(), json!([]));
        let from = format!("docker://{}/{repo}:{tag}", proxy.address());
        let loaded = copy_ok(&env, &from, &format!("docker-daemon:{name}"));
        let gets = blob_gets(&proxy);
        let mut once = gets.clone();
        once.dedup();
        assert_eq!(gets, once, "a blob fetched twice into the engine ({tag})");
        assert_eq!(loaded["image_id"], report["image_id"]);
        assert!(n(&loaded, "bytes_sent") > 2 << 20, "{loaded}");
        let out = docker_ok(&["run", "--rm", "--network", "none", &name]);
        assert_eq!(out, "hi\n");
        docker_ok(&["image", "rm", &name]);
    }
}

/// The largest blob of the layout at `layout`: its one big layer.
fn largest_blob(layout: &Path) -> PathBuf {
    (std::fs::read_dir(layout.join("blobs/sha256")).unwrap())
        .map(|e| e.unwrap().path())
        .max_by_key(|p| p.metadata().unwrap().len())
        .unwrap()
}

/// `tar` with one byte in its middle flipped: still a tar, another one.
fn flipped(mut tar: Vec<u8>) -> Vec<u8> {
    let middle = tar.len() / 2;
    tar[middle] ^= 0xff;
    tar
}

#[test]
fn a_layer_that_is_not_what_its_config_says_is_refused_and_writes_nothing() {
    let env = Env::new();
    let big = env.random_layer("big", 1 << 20);
    let plain = env.image("plain", &["--layer", big.to_str().unwrap()]);
    // The same image with gzip layers, in a layout of its own.
    let gz_layout = env.path("gz");
    let gz = format!("oci:{}:1.0", gz_layout.display());
    env.copy_ok(&["--compression", "gzip"], &plain, &gz);

    // A tar changed in place; a gzip layer that is another tar, well
    // compressed (no read of it fails before its diff_id is checked).
    let layer = largest_blob(&env.path("plain"));
    std::fs::write(&layer, flipped(std::fs::read(&layer).unwrap())).unwrap();
    let layer = largest_blob(&gz_layout);
    let mut tar = Vec::new();
    let compressed = std::fs::read(&layer).unwrap();
    flate2::read::MultiGzDecoder::new(&compressed[..])
        .read_to_end(&mut tar)
        .unwrap();
    std::fs::write(&layer, gzip(&flipped(tar))).unwrap();

    for from in [&plain, &gz] {
        let archive = env.path("out.tar");
        let run = copy(&env, from, &format!("docker-archive:{}", archive.display()));
        refused(&run, "diff_id its image's config names");
        assert!(!archive.exists(), "an archive was left by {from}");

        let name = format!("{}:1", unique_repo("not-its-diff-id"));
        let run = copy(&env, from, &format!("docker-daemon:{name}"));
        refused(&run, "diff_id its image's config names");
        let inspect = docker(&["image", "inspect", &name]);
        assert!(!inspect.status.success(), "{name} was loaded from {from}");
    }
}
