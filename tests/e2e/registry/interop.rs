//! What ocipipe pushes, docker and skopeo read, and the other way round;
//! digests survive every hop.

use super::{Env, digest, layers_check_out, layout_index, n, refused, skopeo_digest, skopeo_raw};
use crate::harness::{
    FaultProxy, build, busybox_root, docker_ok, registry, sha256_hex, tool, unique_repo,
};

#[test]
fn docker_pulls_and_runs_what_ocipipe_pushes_and_skopeo_agrees_on_the_digest() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let target = format!("{}/{}:1", registry(), unique_repo("interop"));
    let report = env.copy_ok(&[], &image, &format!("docker://{target}"));
    let pushed = digest(&report);
    assert!(pushed.starts_with("sha256:"), "{report}");
    assert!(n(&report, "bytes_sent") > 0, "{report}");
    assert_eq!(skopeo_digest(&target), pushed);
    docker_ok(&["pull", &target]);
    let out = docker_ok(&["run", "--rm", "--network", "none", &target]);
    assert_eq!(out, "hi\n");
    docker_ok(&["image", "rm", &target]);
}

#[test]
fn what_skopeo_pushes_ocipipe_copies_to_every_transport() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let source = format!("{}/{}:1", registry(), unique_repo("by-skopeo"));
    tool(
        "skopeo",
        &[
            "copy",
            "--dest-tls-verify=false",
            "--dest-compress",
            &image,
            &format!("docker://{source}"),
        ],
    );
    let expected = skopeo_digest(&source);
    let from = format!("docker://{source}");

    // To another repository of the same registry: everything mounted.
    let other = format!("{}/{}:1", registry(), unique_repo("mounted"));
    let report = env.copy_ok(&[], &from, &format!("docker://{other}"));
    assert_eq!(digest(&report), expected);
    assert!(n(&report, "blobs_mounted") > 0, "{report}");
    assert_eq!(n(&report, "bytes_sent"), 0, "{report}");
    assert_eq!(skopeo_digest(&other), expected);

    // To a layout.
    let layout = env.path("copied");
    let report = env.copy_ok(&[], &from, &format!("oci:{}:copied", layout.display()));
    assert_eq!(digest(&report), expected);
    assert_eq!(layout_index(&layout)["manifests"][0]["digest"], expected);
    let inspected: serde_json::Value = serde_json::from_str(&tool(
        "skopeo",
        &["inspect", &format!("oci:{}:copied", layout.display())],
    ))
    .unwrap();
    assert_eq!(inspected["Digest"], expected);

    // To an archive docker loads.
    let name = format!("{}:archived", unique_repo("archive"));
    let archive = env.path("image.tar");
    let report = env.copy_ok(
        &[],
        &from,
        &format!("docker-archive:{}:{name}", archive.display()),
    );
    let image_id = report["image_id"].as_str().unwrap().to_string();
    docker_ok(&["load", "-i", archive.to_str().unwrap()]);
    assert_eq!(
        docker_ok(&["image", "inspect", "--format", "{{.Id}}", &name]).trim(),
        image_id
    );
    docker_ok(&["image", "rm", &name]);

    // Into the engine, and it runs.
    let name = format!("{}:daemon", unique_repo("daemon"));
    let report = env.copy_ok(&[], &from, &format!("docker-daemon:{name}"));
    assert!(report["digest"].is_null(), "{report}");
    assert_eq!(report["image_id"], image_id.as_str());
    let out = docker_ok(&["run", "--rm", "--network", "none", &name]);
    assert_eq!(out, "hi\n");
    docker_ok(&["image", "rm", &name]);
}

#[test]
fn a_second_copy_to_the_same_repository_sends_nothing() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let target = format!("docker://{}/{}:1", registry(), unique_repo("again"));
    let first = env.copy_ok(&[], &image, &target);
    let second = env.copy_ok(&[], &image, &target);
    assert_eq!(digest(&first), digest(&second));
    assert_eq!(n(&second, "bytes_sent"), 0, "{second}");
    assert!(n(&second, "bytes_skipped") > 0, "{second}");
    assert_eq!(n(&second, "blobs_mounted"), 0, "{second}");
}

#[test]
fn a_round_trip_through_a_layout_keeps_the_manifest_byte_for_byte() {
    let env = Env::new();
    let image = env.image("layout", &[]);
    let first = format!("{}/{}", registry(), unique_repo("trip-a"));
    let pushed = digest(&env.copy_ok(&[], &image, &format!("docker://{first}:1")));
    let layout = env.path("trip");
    let out = format!("oci:{}:t", layout.display());
    assert_eq!(
        digest(&env.copy_ok(&[], &format!("docker://{first}:1"), &out)),
        pushed
    );
    let second = format!("{}/{}", registry(), unique_repo("trip-b"));
    assert_eq!(
        digest(&env.copy_ok(&[], &out, &format!("docker://{second}:1"))),
        pushed
    );
    let raw = skopeo_raw(&format!("{second}:1"));
    assert_eq!(raw, skopeo_raw(&format!("{first}:1")));
    assert_eq!(format!("sha256:{}", sha256_hex(raw.as_bytes())), pushed);

    // By digest, as source and as a destination that names it rightly.
    let by_digest = env.path("by-digest");
    let report = env.copy_ok(
        &[],
        &format!("docker://{first}@{pushed}"),
        &format!("oci:{}:d", by_digest.display()),
    );
    assert_eq!(digest(&report), pushed);
    let third = format!("{}/{}", registry(), unique_repo("trip-c"));
    env.copy_ok(&[], &image, &format!("docker://{third}@{pushed}"));
    let raw = skopeo_raw(&format!("{third}@{pushed}"));
    assert_eq!(format!("sha256:{}", sha256_hex(raw.as_bytes())), pushed);

    // A destination named by another digest is refused.
    let wrong = format!("sha256:{}", "0".repeat(63) + "1");
    let fourth = format!("{}/{}", registry(), unique_repo("trip-d"));
    let run = env.copy(&[], &image, &format!("docker://{fourth}@{wrong}"));
    super::refused(&run, &wrong);
    let inspect = std::process::Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{fourth}@{pushed}"))
        .output()
        .unwrap();
    assert!(
        !inspect.status.success(),
        "the refused copy pushed a manifest"
    );
}

#[test]
fn a_multi_platform_index_copies_whole_or_one_platform() {
    let env = Env::new();
    let multi = env.multi_platform("multi", &["amd64", "arm64"]);
    let (index, index_hex) = (&multi.index, &multi.index_hex);
    let (amd_digest, arm_digest) = (&multi.digests[0], &multi.digests[1]);
    let source = multi.source.clone();

    let whole = format!("{}/{}:multi", registry(), unique_repo("index"));
    let report = env.copy_ok(&[], &source, &format!("docker://{whole}"));
    assert_eq!(digest(&report), format!("sha256:{index_hex}"));
    let raw = skopeo_raw(&whole);
    assert_eq!(raw.as_bytes(), index.as_slice());
    assert!(
        raw.contains(amd_digest.as_str()) && raw.contains(arm_digest.as_str()),
        "{raw}"
    );

    let one = format!("{}/{}:arm", registry(), unique_repo("index-arm"));
    let report = env.copy_ok(
        &["--platform", "linux/arm64"],
        &source,
        &format!("docker://{one}"),
    );
    assert_eq!(&digest(&report), arm_digest);
    assert_eq!(&skopeo_digest(&one), arm_digest);
    // And from the registry's index too.
    let again = format!("{}/{}:arm", registry(), unique_repo("index-arm2"));
    let report = env.copy_ok(
        &["--platform", "linux/arm64"],
        &format!("docker://{whole}"),
        &format!("docker://{again}"),
    );
    assert_eq!(&digest(&report), arm_digest);
}

#[test]
fn archives_and_the_engine_push_to_a_registry_with_the_manifest_ocipipe_writes() {
    let env = Env::new();
    let root = busybox_root(&env.path("src"));
    let name = unique_repo("from-local");
    let archive = env.path("image.tar");
    build(&[
        "--layer",
        root.to_str().unwrap(),
        "--cmd",
        r#"["/bin/busybox","echo","from an archive"]"#,
        "-t",
        &format!("{name}:1"),
        "-o",
        archive.to_str().unwrap(),
    ]);
    let from_archive = format!("{}/{name}-archive:1", registry());
    let pushed = env.copy_ok(
        &[],
        &format!("docker-archive:{}", archive.display()),
        &format!("docker://{from_archive}"),
    );
    assert_eq!(skopeo_digest(&from_archive), digest(&pushed));

    docker_ok(&["load", "-i", archive.to_str().unwrap()]);
    let from_engine = format!("{}/{name}-engine:1", registry());
    let saved = env.copy_ok(
        &[],
        &format!("docker-daemon:{name}:1"),
        &format!("docker://{from_engine}"),
    );
    assert_eq!(skopeo_digest(&from_engine), digest(&saved));
    // The engine keeps the layers and config as they were: same image, same manifest.
    assert_eq!(digest(&saved), digest(&pushed));
    assert_eq!(saved["image_id"], pushed["image_id"]);

    // By image ID, as the engine names it: the same image.
    let id = saved["image_id"].as_str().unwrap();
    let by_id = env.path("by-id");
    let copied = env.copy_ok(
        &[],
        &format!("docker-daemon:{id}"),
        &format!("oci:{}", by_id.display()),
    );
    assert_eq!(copied["image_id"], saved["image_id"]);
    assert_eq!(digest(&copied), digest(&saved));
    // An ID names no image to load into.
    let refused_id = env.copy(
        &[],
        &format!("oci:{}", by_id.display()),
        &format!("docker-daemon:{id}"),
    );
    super::refused(&refused_id, "image ID");

    docker_ok(&["rmi", &format!("{name}:1")]);
    docker_ok(&["pull", &from_engine]);
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &from_engine]),
        "from an archive\n"
    );
}

#[test]
fn copy_compresses_the_layers_of_archives_and_layouts_when_asked() {
    let env = Env::new();
    let layout = env.image("layout", &[]);
    let archive = env.path("image.tar");
    env.copy_ok(
        &[],
        &layout,
        &format!("docker-archive:{}", archive.display()),
    );
    let repo = unique_repo("copy-compress");
    for (source, tag, compression, media_type) in [
        (
            format!("docker-archive:{}", archive.display()),
            "gz",
            "gzip",
            "tar+gzip",
        ),
        (layout.clone(), "zst", "zstd", "tar+zstd"),
    ] {
        let name = format!("{}/{repo}:{tag}", registry());
        let report = env.copy_ok(
            &["--compression", compression],
            &source,
            &format!("docker://{name}"),
        );
        assert_eq!(skopeo_digest(&name), digest(&report));
        let manifest = layers_check_out(&repo, &name);
        for layer in manifest["layers"].as_array().unwrap() {
            assert_eq!(
                layer["mediaType"],
                format!("application/vnd.oci.image.layer.v1.{media_type}")
            );
        }
        // The same image: the config, and so the ID, is untouched.
        assert_eq!(
            report["image_id"],
            env.copy_ok(&[], &layout, &format!("oci:{}", env.path(tag).display()))["image_id"]
        );
    }
    // Into a layout, too; and gzip layers run once pulled.
    let compressed = env.path("compressed");
    env.copy_ok(
        &["--compression", "gzip"],
        &layout,
        &format!("oci:{}:1", compressed.display()),
    );
    let name = format!("{}/{repo}:from-layout", registry());
    env.copy_ok(
        &[],
        &format!("oci:{}:1", compressed.display()),
        &format!("docker://{name}"),
    );
    docker_ok(&["pull", &name]);
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &name]),
        "hi\n"
    );

    // A registry's image is copied as it is; an archive keeps tars.
    let run = env.copy(
        &["--compression", "gzip"],
        &format!("docker://{name}"),
        &layout,
    );
    refused(&run, "copied as it is");
    let run = env.copy(
        &["--compression", "gzip"],
        &layout,
        &format!("docker-archive:{}", env.path("other.tar").display()),
    );
    refused(&run, "keep layers uncompressed");
}

#[test]
fn an_index_listing_one_child_many_times_fetches_and_copies_each_digest_once() {
    let env = Env::new();
    let repo = unique_repo("index-dupes");
    let file = env.path("child.txt");
    std::fs::write(&file, "a child\n").unwrap();
    let pushed = env.ocipipe().run(&[
        "--json",
        "artifact",
        "push",
        &format!("{}/{repo}:child", registry()),
        file.to_str().unwrap(),
        "--artifact-type",
        "application/vnd.example.child",
    ]);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    let child_digest = pushed.json_lines()[0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let child = serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": child_digest,
        "size": skopeo_raw(&format!("{}/{repo}:child", registry())).len(),
    });
    let index_of = |entries: Vec<serde_json::Value>| {
        serde_json::json!({"schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries})
    };
    // An inner index listing the child; the top one lists the inner one
    // and then the child 2,000 times: the child must still arrive first.
    let (_, inner) = crate::plugin::put_manifest(
        &repo,
        "inner",
        "application/vnd.oci.image.index.v1+json",
        &index_of(vec![child.clone()]),
    );
    let mut entries = vec![inner.clone()];
    entries.extend(std::iter::repeat_n(child.clone(), 2000));
    let top = index_of(entries);
    crate::plugin::put_manifest(
        &repo,
        "top",
        "application/vnd.oci.image.index.v1+json",
        &top,
    );

    let proxy = FaultProxy::start(&registry(), serde_json::json!([]));
    let to = format!("{}/{}:copied", registry(), unique_repo("index-dupes-to"));
    let report = env.copy_ok(
        &[],
        &format!("docker://{}/{repo}:top", proxy.address()),
        &format!("docker://{to}"),
    );
    assert_eq!(
        digest(&report),
        format!("sha256:{}", sha256_hex(&serde_json::to_vec(&top).unwrap()))
    );
    let gets = |digest: &str| {
        proxy
            .requests()
            .iter()
            .filter(|r| {
                r["method"] == "GET"
                    && r["path"]
                        .as_str()
                        .unwrap()
                        .ends_with(&format!("/manifests/{digest}"))
            })
            .count()
    };
    assert_eq!(gets(&child_digest), 1, "the child, fetched once");
    assert_eq!(
        gets(inner["digest"].as_str().unwrap()),
        1,
        "the inner index, fetched once"
    );
    assert_eq!(
        skopeo_raw(&to).as_bytes(),
        serde_json::to_vec(&top).unwrap().as_slice()
    );
}
