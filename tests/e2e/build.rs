//! `ocipipe image build --load|load|save|ls` against the real engine;
//! `docker` runs what we load.

use crate::harness::{
    MixedLayers, Ocipipe, a_layer, build, busybox_root, docker_ok, engine_layers, engine_tags,
    layer_digests, ocipipe, unique_repo,
};

#[test]
fn a_built_image_loads_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let repo = unique_repo("runs");
    let archive = dir.path().join("image.tar");
    let names = format!("{repo}:v1,{repo}:stable");
    let built = build(&[
        "--layer",
        root.to_str().unwrap(),
        "--cmd",
        r#"["/bin/busybox","cat","/etc/app/greeting"]"#,
        "--env",
        "GREETING=hi",
        "--label",
        "org.example.team=images",
        "--workdir",
        "/etc/app",
        "-t",
        &names,
        "-o",
        archive.to_str().unwrap(),
    ]);
    let id = built["image_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    assert_eq!(
        built["repo_tags"],
        serde_json::json!([
            format!("docker.io/{repo}:v1"),
            format!("docker.io/{repo}:stable")
        ])
    );

    let loaded = ocipipe(&["image", "load", "--json", archive.to_str().unwrap()]);
    assert_eq!(loaded.code, 0, "{}", loaded.stderr);
    let report = &loaded.json_lines()[0];
    assert_eq!(
        report["names"],
        serde_json::json!([format!("{repo}:v1"), format!("{repo}:stable")])
    );
    assert_eq!(
        engine_tags(&id),
        [format!("{repo}:stable"), format!("{repo}:v1")]
    );

    let out = docker_ok(&["run", "--rm", "--network", "none", &format!("{repo}:v1")]);
    assert_eq!(out, "hello from ocipipe\n");
    let out = docker_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        &format!("{repo}:v1"),
        "/bin/busybox",
        "sh",
        "-c",
        "echo $GREETING; pwd",
    ]);
    assert_eq!(out, "hi\n/etc/app\n");

    let inspect: serde_json::Value =
        serde_json::from_str(&docker_ok(&["image", "inspect", &id])).unwrap();
    let config = &inspect[0]["Config"];
    assert_eq!(
        config["Cmd"],
        serde_json::json!(["/bin/busybox", "cat", "/etc/app/greeting"])
    );
    assert!(
        config["Env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "GREETING=hi")
    );
    assert_eq!(config["Labels"]["org.example.team"], "images");
    assert_eq!(inspect[0]["Created"], "2023-11-14T22:13:20Z");
    let history = docker_ok(&["history", "--no-trunc", "--format", "{{.CreatedAt}}", &id]);
    assert_eq!(history.lines().count(), 1, "{history}");
}

#[test]
fn build_load_streams_into_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let repo = unique_repo("load");
    let built = build(&[
        "--layer",
        root.to_str().unwrap(),
        "--layer",
        a_layer(dir.path(), "extra", "more\n").to_str().unwrap(),
        "--cmd",
        r#"["/bin/busybox","cat","/data/extra"]"#,
        "-t",
        &repo,
        "--load",
    ]);
    assert_eq!(built["layers"].as_array().unwrap().len(), 2);
    assert_eq!(
        built["loaded"]["names"],
        serde_json::json!([format!("{repo}:latest")])
    );
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &repo]),
        "more\n"
    );

    // The same image to a file has the same ID: one config, three outputs.
    let archive = dir.path().join("same.tar");
    let again = build(&[
        "--layer",
        root.to_str().unwrap(),
        "--layer",
        dir.path().join("extra").to_str().unwrap(),
        "--cmd",
        r#"["/bin/busybox","cat","/data/extra"]"#,
        "-o",
        archive.to_str().unwrap(),
    ]);
    assert_eq!(again["image_id"], built["image_id"]);
}

#[test]
fn docker_save_round_trips_through_ocipipe_load() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let repo = unique_repo("roundtrip");
    // A label of its own: the same files and config make the same image
    // as other tests' (the fallback test's base), whose names would show.
    let built = build(&[
        "--layer",
        root.to_str().unwrap(),
        "--label",
        &format!("org.ocipipe.test={repo}"),
        "-t",
        &repo,
        "--load",
    ]);
    let id = built["image_id"].as_str().unwrap();

    let saved = dir.path().join("saved.tar");
    docker_ok(&["save", "-o", saved.to_str().unwrap(), &repo]);
    docker_ok(&["rmi", &repo]);
    let loaded = ocipipe(&["image", "load", "--json", saved.to_str().unwrap()]);
    assert_eq!(loaded.code, 0, "{}", loaded.stderr);
    assert_eq!(
        loaded.json_lines()[0]["names"],
        serde_json::json!([format!("{repo}:latest")])
    );
    assert_eq!(engine_tags(id), [format!("{repo}:latest")]);

    // ocipipe save, then load from stdin.
    let ours = dir.path().join("ours.tar");
    let run = ocipipe(&["image", "save", &repo, "-o", ours.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    docker_ok(&["rmi", &repo]);
    let bytes = std::fs::read(&ours).unwrap();
    let run = Ocipipe::new().run_with_stdin_bytes(&["image", "load", "-"], &bytes);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("Loaded image: {repo}:latest")),
        "{}",
        run.stdout
    );

    let listed = ocipipe(&["image", "ls", "--json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(
        listed.json_lines().iter().any(|i| i["id"] == id),
        "image ls lists it"
    );
}

#[test]
fn a_save_of_a_missing_image_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("saved.tar");
    let run = ocipipe(&[
        "image",
        "save",
        &unique_repo("nothing"),
        "-o",
        save.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.first_error_line().contains("no such image"),
        "{}",
        run.stderr
    );
    crate::harness::only(dir.path(), &[]);
}

#[test]
fn tar_gzip_and_repeated_layers_load_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let layers = MixedLayers::new(dir.path());
    let repo = unique_repo("mixed");
    let archive = dir.path().join("image.tar");
    let cmd = [
        "--cmd",
        r#"["/bin/busybox","cat","/data/from-tar","/data/from-gz","/data/twice"]"#,
    ];
    let built = build(
        &[
            &layers.flags()[..],
            &cmd,
            &["-t", &repo, "-o", archive.to_str().unwrap()],
        ]
        .concat(),
    );
    let loaded = ocipipe(&["image", "load", archive.to_str().unwrap()]);
    assert_eq!(loaded.code, 0, "{}", loaded.stderr);
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &repo]),
        "from a tar\nfrom a gzip tar\ngiven twice\n"
    );
    assert_eq!(
        engine_layers(&repo),
        layer_digests(&built),
        "five layers, the last two the same"
    );

    // Straight into the engine, the repeated layer is streamed twice (its
    // digest is known only after it is sent) and the image is the same.
    docker_ok(&["rmi", &repo]);
    let loaded = build(&[&layers.flags()[..], &cmd, &["-t", &repo, "--load"]].concat());
    assert_eq!(loaded["image_id"], built["image_id"]);
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", &repo]),
        "from a tar\nfrom a gzip tar\ngiven twice\n"
    );
}

#[test]
fn a_platform_given_in_capitals_loads_as_linux_amd64() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let repo = unique_repo("platform");
    build(&[
        "--layer",
        root.to_str().unwrap(),
        "--platform",
        "LINUX/AMD64",
        // An image of its own, not one another test names.
        "--label",
        &format!("org.ocipipe.test={repo}"),
        "-t",
        &repo,
        "--load",
    ]);
    assert_eq!(
        docker_ok(&[
            "image",
            "inspect",
            "--format",
            "{{.Os}}/{{.Architecture}}",
            &repo
        ]),
        "linux/amd64\n"
    );
    assert_eq!(
        docker_ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            &repo,
            "/bin/busybox",
            "cat",
            "/etc/app/greeting"
        ]),
        "hello from ocipipe\n"
    );
}
