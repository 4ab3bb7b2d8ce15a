//! What `image build` writes into the image config and names: the
//! platform as the manifest-generation component normalises it, and the
//! names `-t` gives.

use crate::harness::{a_layer, archive_config, build, ocipipe, only, tar_files};

#[test]
fn a_platform_in_any_case_or_as_a_machine_name_is_normalised() {
    let dir = tempfile::tempdir().unwrap();
    let layer = a_layer(dir.path(), "layer", "x\n");
    for given in ["LINUX/AMD64", "linux/amd64", "x86_64", "linux/x86_64"] {
        let archive = dir.path().join("image.tar");
        build(&[
            "--layer",
            layer.to_str().unwrap(),
            "--platform",
            given,
            "-o",
            archive.to_str().unwrap(),
        ]);
        let config = archive_config(&archive);
        assert_eq!(
            (&config["os"], &config["architecture"]),
            (&"linux".into(), &"amd64".into()),
            "--platform {given}"
        );
        assert!(config.get("variant").is_none(), "--platform {given}");
    }
}

#[test]
fn an_unknown_platform_is_refused_with_the_known_ones_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let layer = a_layer(dir.path(), "layer", "x\n");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for output in [
        ["-o", &*out.join("image.tar").to_string_lossy()],
        ["--oci-layout", &*out.join("layout").to_string_lossy()],
    ] {
        let run = ocipipe(
            &[
                &[
                    "image",
                    "build",
                    "--layer",
                    layer.to_str().unwrap(),
                    "--platform",
                    "foo/bar",
                ][..],
                &output,
            ]
            .concat(),
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        let line = run.first_error_line();
        assert!(
            line.contains("refused normalize-platform")
                && line.contains("unknown operating system \"foo\"")
                && line.contains("known ones are aix, android, darwin")
                && line.contains(" linux, ")
                && line.contains(" windows"),
            "{}",
            run.stderr
        );
        only(&out, &[]);
    }
}

#[test]
fn a_name_given_twice_tags_once() {
    let dir = tempfile::tempdir().unwrap();
    let layer = a_layer(dir.path(), "layer", "x\n");
    let archive = dir.path().join("image.tar");
    for names in ["a,a", "a,docker.io/library/a:latest,a:latest"] {
        let built = build(&[
            "--layer",
            layer.to_str().unwrap(),
            "-t",
            names,
            "-o",
            archive.to_str().unwrap(),
        ]);
        assert_eq!(
            built["repo_tags"],
            serde_json::json!(["docker.io/library/a:latest"]),
            "-t {names}"
        );
        let files = tar_files(&archive);
        let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(
            manifest[0]["RepoTags"],
            serde_json::json!(["docker.io/library/a:latest"])
        );
        let index: serde_json::Value = serde_json::from_slice(&files["index.json"]).unwrap();
        assert_eq!(index["manifests"].as_array().unwrap().len(), 1, "{index}");
    }
}
