//! `image build --from SRC`: an image on a base from the engine, a
//! registry or a layout; the same base gives the same image from each.

use crate::harness::{a_layer, build, busybox_root, docker_ok, ocipipe, registry, unique_repo};

/// `docker history`'s `CreatedBy` column of `image`, newest first.
fn history(image: &str) -> Vec<String> {
    docker_ok(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", image])
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn an_image_built_on_a_base_runs_with_the_base_history_below_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(&dir.path().join("base-src"));
    let base = format!("{}:1", unique_repo("from-base"));
    let base_built = build(&[
        "--layer",
        root.to_str().unwrap(),
        "--env",
        "FROM_BASE=yes",
        "--cmd",
        r#"["/bin/busybox","echo","base"]"#,
        "-t",
        &base,
        "--load",
    ]);
    let app = a_layer(dir.path(), "app", "hello from a layer on the base\n");
    let image = format!("{}:1", unique_repo("from-app"));
    let cmd = r#"["/bin/busybox","sh","-c","cat /data/app; echo $FROM_BASE"]"#;
    let from_engine = build(&[
        "--from",
        &format!("docker-daemon:{base}"),
        "--layer",
        app.to_str().unwrap(),
        "--cmd",
        cmd,
        "-t",
        &image,
        "--load",
    ]);
    let out = docker_ok(&["run", "--rm", "--network", "none", &image]);
    assert_eq!(out, "hello from a layer on the base\nyes\n");
    // The base's layers were in the engine: none was sent again.
    let base_size = base_built["layers"][0]["size"].as_u64().unwrap();
    assert_eq!(from_engine["bytes_skipped"].as_u64().unwrap(), base_size);
    // Its layers: the base's, then ours; its history: ours on top of the base's.
    assert_eq!(from_engine["layers"][0], base_built["layers"][0]);
    assert_eq!(from_engine["layers"].as_array().unwrap().len(), 2);
    let (base_history, history) = (history(&base), history(&image));
    assert_eq!(history.len(), base_history.len() + 1, "{history:?}");
    assert_eq!(history[1..], base_history[..]);

    // The same base through a registry, and through a layout: the same image.
    let pushed = format!("{}/{}", registry(), base);
    let copied = ocipipe(&[
        "copy",
        &format!("docker-daemon:{base}"),
        &format!("docker://{pushed}"),
    ]);
    assert_eq!(copied.code, 0, "{}", copied.stderr);
    let layout = dir.path().join("base-layout");
    let copied = ocipipe(&[
        "copy",
        &format!("docker://{pushed}"),
        &format!("oci:{}:1", layout.display()),
    ]);
    assert_eq!(copied.code, 0, "{}", copied.stderr);
    for from in [
        format!("docker://{pushed}"),
        format!("oci:{}:1", layout.display()),
    ] {
        let out = dir.path().join("out.tar");
        let built = build(&[
            "--from",
            &from,
            "--layer",
            app.to_str().unwrap(),
            "--cmd",
            cmd,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(built["image_id"], from_engine["image_id"], "--from {from}");
    }

    // scratch is no base.
    let scratch = build(&[
        "--from",
        "scratch",
        "--layer",
        app.to_str().unwrap(),
        "-o",
        dir.path().join("s.tar").to_str().unwrap(),
    ]);
    assert_eq!(scratch["layers"].as_array().unwrap().len(), 1);
}

#[test]
fn a_base_that_is_not_there_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let app = a_layer(dir.path(), "app", "x\n");
    let missing = format!("{}/{}:1", registry(), unique_repo("no-base"));
    let run = ocipipe(&[
        "image",
        "build",
        "--from",
        &format!("docker://{missing}"),
        "--layer",
        app.to_str().unwrap(),
        "-o",
        dir.path().join("out.tar").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.first_error_line().contains("as the base image"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("MANIFEST_UNKNOWN") || run.stderr.contains("404"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("out.tar").exists());
}
