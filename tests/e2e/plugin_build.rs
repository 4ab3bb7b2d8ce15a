//! `plugin build` against the real engine and registry: plugins built by
//! ocipipe ask for the privileges the engine computes, carry the config
//! `docker plugin create` writes (but for the diff ID), install with
//! `docker plugin install`, and the same context gives the same digest,
//! pushed or written into an OCI-layout tar that skopeo reads.

use crate::harness::{
    FaultProxy, Ocipipe, docker, gzip, plugin_build, raw_tar, registry, sha256_hex, tool,
    unique_repo,
};
use crate::plugin::{
    Created, PLUGIN_MANAGER, base_config, cases, config_with, context, create_and_push,
    engine_answer, engine_privileges, ocipipe_privileges, push_blob, put_manifest,
};
use crate::registry::{blob, manifest_exists, skopeo_raw};
use serde_json::{Value, json};
use std::io::Read;
use std::path::Path;

const PLUGIN_CONFIG: &str = "application/vnd.docker.plugin.v1+json";
const DOCKER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const OCI_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const SCHEMA2: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// `ocipipe --json plugin build CONTEXT -t NAME ARGS`, asserting success;
/// its report.
fn build(context: &Path, name: &str, args: &[&str]) -> Value {
    let run = plugin_build(context, name, args);
    assert_eq!(run.code, 0, "plugin build {name} {args:?}: {}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    lines.into_iter().next().unwrap()
}

/// The manifest and config `name` (`REPO:TAG` of the plain test registry)
/// serves.
fn served(repo: &str, name: &str) -> (Value, Vec<u8>) {
    let manifest: Value = serde_json::from_str(&skopeo_raw(name)).unwrap();
    let config = blob(repo, manifest["config"]["digest"].as_str().unwrap());
    (manifest, config)
}

/// `docker plugin install --disable --grant-all-permissions --alias ALIAS
/// NAME`.
fn docker_install(alias: &str, name: &str) -> std::process::Output {
    docker(&[
        "plugin",
        "install",
        "--disable",
        "--grant-all-permissions",
        "--alias",
        alias,
        name,
    ])
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn plugins_built_by_ocipipe_ask_what_the_engine_says_they_ask() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("plugin-built");
    let mut asked_something = 0;
    for (case, extra) in cases() {
        let context = context(dir.path(), case, &config_with(extra));
        let name = format!("{}/{repo}:{case}", registry());
        let built = build(&context, &name, &["--push"]);
        assert_eq!(built["name"], name.as_str());

        let engine = engine_privileges(&name);
        assert_eq!(
            ocipipe_privileges(&[&name]),
            engine,
            "{case}: ocipipe and the engine differ"
        );
        asked_something += usize::from(!engine.is_empty());
    }
    assert_eq!(asked_something, 11, "the cases ask for privileges, mostly");
}

#[test]
fn the_config_is_the_one_docker_plugin_create_writes_but_for_the_diff_id() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("plugin-create");
    let (_, everything) = cases().pop().unwrap();
    let mut config = config_with(everything);
    // What the engine writes differently must be in it: HTML characters,
    // keys in another case, an unknown key, a rootfs of the context's own.
    config["Description"] = json!("a <test> & plugin");
    config["workdir"] = json!("/w");
    config["Unknown"] = json!({"x": 1});
    config["rootfs"] = json!({"type": "layers", "diff_ids": ["sha256:old"]});
    let context = context(dir.path(), "plugin", &config);

    let theirs_name = format!("{}/{repo}:docker", registry());
    create_and_push(&theirs_name, &context);
    let ours_name = format!("{}/{repo}:ocipipe", registry());
    let built = build(&context, &ours_name, &["--push"]);

    let (theirs, theirs_config) = served(&repo, &theirs_name);
    let (ours, ours_config) = served(&repo, &ours_name);
    assert_eq!(ours["config"]["mediaType"], PLUGIN_CONFIG);
    assert_eq!(ours["mediaType"], SCHEMA2);
    assert_eq!(ours["layers"][0]["mediaType"], DOCKER_GZIP);
    assert_eq!(theirs["layers"][0]["mediaType"], DOCKER_GZIP);
    assert_eq!(
        built["digest"],
        format!("sha256:{}", sha256_hex(skopeo_raw(&ours_name).as_bytes()))
    );

    // moby's diff ID is its gzip blob's digest; ours is the tar's.
    let their_layer = theirs["layers"][0]["digest"].as_str().unwrap();
    let our_layer = blob(&repo, ours["layers"][0]["digest"].as_str().unwrap());
    let our_diff_id = format!("sha256:{}", sha256_hex(&gunzip(&our_layer)));
    assert_eq!(built["diff_id"], our_diff_id.as_str());
    let theirs_text = String::from_utf8(theirs_config).unwrap();
    assert!(
        theirs_text.contains(&format!(r#""diff_ids":["{their_layer}"]"#)),
        "{theirs_text}"
    );
    // The engine stamps its own version where the context gives none;
    // ocipipe is not an engine and writes what the context says.
    let stamp_at = theirs_text
        .find(r#""DockerVersion":""#)
        .expect("the engine stamps it");
    let stamp_len = theirs_text[stamp_at..].find(r#"","#).unwrap() + 2;
    let theirs_text = format!(
        "{}{}",
        &theirs_text[..stamp_at],
        &theirs_text[stamp_at + stamp_len..]
    );
    // Byte for byte the same document otherwise.
    let ours_text = String::from_utf8(ours_config).unwrap();
    assert!(!ours_text.contains("DockerVersion"), "{ours_text}");
    assert_eq!(ours_text.replace(&our_diff_id, their_layer), theirs_text);
    assert!(ours_text.contains(r#""Description":"a \u003ctest\u003e \u0026 plugin""#));
    assert!(ours_text.contains(r#""WorkDir":"/w""#) && !ours_text.contains("Unknown"));
}

#[test]
fn docker_plugin_install_takes_a_plugin_ocipipe_built() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("plugin-install");
    let config = config_with(json!({
        "Network": {"Type": "host"},
        "Mounts": [{"Name": "state", "Source": "/var/lib/ocipipe-test", "Destination": "/state",
                    "Type": "bind", "Options": ["rbind"]}],
        "Linux": {"Capabilities": ["CAP_SYS_ADMIN"]},
    }));
    let context = context(dir.path(), "plugin", &config);
    let name = format!("{}/{repo}:1", registry());
    build(&context, &name, &["--push"]);

    let alias = format!("ocipipe-built-{}", &repo[repo.len() - 8..]);
    let _one_at_a_time = PLUGIN_MANAGER.lock().unwrap_or_else(|e| e.into_inner());
    let _installed = Created(alias.clone());
    let out = docker_install(&alias, &name);
    assert!(
        out.status.success(),
        "docker plugin install: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = docker(&["plugin", "inspect", &alias]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inspected: Value = serde_json::from_slice(&out.stdout).unwrap();
    let plugin = &inspected[0];
    assert_eq!(plugin["Enabled"], false);
    assert_eq!(plugin["PluginReference"], name.as_str());
    let shown = &plugin["Config"];
    assert_eq!(shown["Entrypoint"], base_config()["Entrypoint"]);
    assert_eq!(shown["Interface"]["Socket"], "ocipipe.sock");
    assert_eq!(
        shown["Interface"]["Types"],
        json!(["docker.volumedriver/1.0"])
    );
    assert_eq!(shown["Network"]["Type"], "host");
    assert_eq!(shown["Mounts"][0]["Source"], "/var/lib/ocipipe-test");
    assert_eq!(shown["Linux"]["Capabilities"], json!(["CAP_SYS_ADMIN"]));
    assert_eq!(shown["Description"], base_config()["Description"]);
}

#[test]
fn the_same_context_gives_the_same_digest_pushed_or_written() {
    let dir = tempfile::tempdir().unwrap();
    let repo = unique_repo("plugin-same");
    let context = context(dir.path(), "plugin", &config_with(json!({"IpcHost": true})));
    let first = build(&context, &format!("{}/{repo}:a", registry()), &["--push"]);
    let second = build(&context, &format!("{}/{repo}:b", registry()), &["--push"]);
    assert_eq!(first["digest"], second["digest"]);
    assert_eq!(first["config_digest"], second["config_digest"]);
    assert_eq!(first["layer"]["digest"], second["layer"]["digest"]);
    assert_eq!(
        skopeo_raw(&format!("{}/{repo}:a", registry())),
        skopeo_raw(&format!("{}/{repo}:b", registry()))
    );

    // Into a file: the same plugin, twice the same bytes, and skopeo
    // reads the manifest the registry serves.
    let one = dir.path().join("one.tar");
    let two = dir.path().join("two.tar");
    let name = format!("{}/{repo}:a", registry());
    let written = build(&context, &name, &["-o", one.to_str().unwrap()]);
    build(&context, &name, &["-o", two.to_str().unwrap()]);
    assert_eq!(written["digest"], first["digest"]);
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    let archive = format!("oci-archive:{}", one.display());
    assert_eq!(
        tool("skopeo", &["inspect", "--raw", &archive]),
        skopeo_raw(&name)
    );
    let listed = tool("tar", &["tf", one.to_str().unwrap()]);
    assert!(listed.lines().any(|l| l == "index.json"), "{listed}");
    assert!(
        !listed.lines().any(|l| l == "manifest.json"),
        "docker load must not take it: {listed}"
    );

    // skopeo copies it to a registry; the engine reads the privileges there.
    let copied = format!("{}/{repo}:copied", registry());
    tool(
        "skopeo",
        &[
            "copy",
            "--dest-tls-verify=false",
            &archive,
            &format!("docker://{copied}"),
        ],
    );
    assert_eq!(skopeo_raw(&copied), skopeo_raw(&name));
    assert_eq!(engine_privileges(&copied), ocipipe_privileges(&[&name]));

    // Another rootfs byte, another digest.
    std::fs::write(context.join("rootfs/etc/changed"), "x").unwrap();
    let changed = build(&context, &format!("{}/{repo}:c", registry()), &["--push"]);
    assert_ne!(changed["digest"], first["digest"]);
}

/// Pushes a plugin by hand whose config lists `diff_id` and whose layer
/// has `media_type`; its reference.
fn push_choice(repo: &str, tag: &str, layer: &[u8], diff_id: &str, media_type: &str) -> String {
    let mut config = base_config();
    config["rootfs"] = json!({"type": "layers", "diff_ids": [diff_id]});
    config["Description"] = json!(format!("choice {tag}"));
    let config = serde_json::to_vec(&config).unwrap();
    let layer_digest = push_blob(repo, layer);
    let config_digest = push_blob(repo, &config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": SCHEMA2,
        "config": {"mediaType": PLUGIN_CONFIG, "size": config.len(), "digest": config_digest},
        "layers": [{"mediaType": media_type, "size": layer.len(), "digest": layer_digest}],
    });
    put_manifest(repo, tag, SCHEMA2, &manifest).0
}

/// What Engine 20.10 installs, for each choice `plugin build` makes
/// differently from moby (see `host/src/pipeline/plugin_build.rs`): the
/// diff ID of the tar or of the gzip blob, the Docker or the OCI gzip
/// media type. It installs all four; ocipipe writes the tar's diff ID and
/// the Docker type.
#[test]
fn the_engine_installs_either_diff_id_and_either_gzip_media_type() {
    let repo = unique_repo("plugin-choices");
    let _one_at_a_time = PLUGIN_MANAGER.lock().unwrap_or_else(|e| e.into_inner());
    let mut installed = Vec::new();
    for (i, (diff_id_of, media_type)) in [
        ("tar", DOCKER_GZIP),
        ("gzip", DOCKER_GZIP),
        ("tar", OCI_GZIP),
        ("gzip", OCI_GZIP),
    ]
    .into_iter()
    .enumerate()
    {
        // Each plugin its own layer: the engine refuses a second plugin
        // holding a blob another holds.
        let tar = raw_tar(&[crate::harness::RawEntry::file(
            "etc/choice",
            format!("{repo} {i}").as_bytes(),
        )]);
        let layer = gzip(&tar);
        let diff_id = match diff_id_of {
            "tar" => format!("sha256:{}", sha256_hex(&tar)),
            _ => format!("sha256:{}", sha256_hex(&layer)),
        };
        let name = push_choice(&repo, &format!("choice{i}"), &layer, &diff_id, media_type);
        let (status, _) = engine_answer(&name);
        assert_eq!(status, 200, "{name}");
        let alias = format!("ocipipe-choice{i}-{}", &repo[repo.len() - 8..]);
        let guard = Created(alias.clone());
        let out = docker_install(&alias, &name);
        installed.push((
            diff_id_of,
            media_type,
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
        drop(guard);
    }
    for (diff_id_of, media_type, ok, stderr) in &installed {
        assert!(
            ok,
            "the engine refused a {diff_id_of} diff ID with {media_type}: {stderr}"
        );
    }
}

#[test]
fn a_push_the_registry_breaks_is_retried_or_tags_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), "plugin", &config_with(json!({"PidHost": true})));
    let repo = unique_repo("plugin-faults");
    let direct = build(
        &context,
        &format!("{}/{repo}:direct", registry()),
        &["--push"],
    );

    // The layer's upload cut once: made again into a new upload.
    let cut = json!([{"method": "PATCH", "path": "/blobs/uploads/", "nth": 1,
                      "action": "cut_request", "after": 100000}]);
    let proxy = FaultProxy::start(&registry(), cut);
    let cut_repo = unique_repo("plugin-cut");
    let through = build(
        &context,
        &format!("{}/{cut_repo}:1", proxy.address()),
        &["--push"],
    );
    assert_eq!(through["digest"], direct["digest"]);
    assert_eq!(proxy.faults("cut_request"), 1);

    // The manifest refused: the registry's words, and no tag.
    let refuse = json!([{"method": "PUT", "path": "/manifests/", "action": "status", "status": 400,
                         "body": {"errors": [{"code": "MANIFEST_INVALID", "message": "no plugins here"}]}}]);
    let proxy = FaultProxy::start(&registry(), refuse);
    let refused_repo = unique_repo("plugin-refused");
    let run = Ocipipe::new().run(&[
        "plugin",
        "build",
        context.to_str().unwrap(),
        "-t",
        &format!("{}/{refused_repo}:1", proxy.address()),
        "--push",
    ]);
    crate::harness::assert_refused(&run, "no plugins here");
    assert!(
        !manifest_exists(&refused_repo, "1"),
        "the tag exists after a refused push"
    );
}
