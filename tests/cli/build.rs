//! `ocipipe image build -o|--oci-layout` and `image unpack`, no engine:
//! skopeo and umoci are the independent checks of what we write.

use crate::harness::{
    EPOCH, Ocipipe, a_layer, build, busybox_root, docker_archive, extract, ocipipe, simple_layer,
    tool, umoci_unpack, write,
};
use std::path::Path;

#[test]
fn builds_are_byte_identical_across_days() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let first = dir.path().join("first.tar");
    let second = dir.path().join("second.tar");
    build(&[
        "--layer",
        root.to_str().unwrap(),
        "-t",
        "repro:1",
        "-o",
        first.to_str().unwrap(),
    ]);
    // Another day: every file touched, owned by someone else.
    for path in ["bin/busybox", "etc/app/greeting", "etc/app", "bin"] {
        let p = root.join(path);
        let f = std::fs::File::options().read(true).open(&p).unwrap();
        f.set_modified(
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000),
        )
        .unwrap();
        std::os::unix::fs::chown(&p, Some(1234), Some(5678)).unwrap();
    }
    build(&[
        "--layer",
        root.to_str().unwrap(),
        "-t",
        "repro:1",
        "-o",
        second.to_str().unwrap(),
    ]);
    let a = std::fs::read(&first).unwrap();
    let b = std::fs::read(&second).unwrap();
    assert!(a == b, "two builds with the same SOURCE_DATE_EPOCH differ");

    // And through a pipe (the two-pass path) the bytes are the same too.
    let piped = Ocipipe::new().env("SOURCE_DATE_EPOCH", EPOCH).run_bytes(&[
        "image",
        "build",
        "--layer",
        root.to_str().unwrap(),
        "-t",
        "repro:1",
        "-o",
        "-",
    ]);
    assert!(piped == a, "the streamed archive differs from the file");
}

#[test]
fn skopeo_and_umoci_read_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let archive = dir.path().join("image.tar");
    let layout = dir.path().join("layout");
    let args = [
        "--layer",
        root.to_str().unwrap(),
        "--label",
        "k=v",
        "-t",
        "checked/image:1.0",
    ];
    let a = build(&[&args[..], &["-o", archive.to_str().unwrap()]].concat());
    let b = build(&[&args[..], &["--oci-layout", layout.to_str().unwrap()]].concat());
    assert_eq!(a["image_id"], b["image_id"]);

    let inspected: serde_json::Value = serde_json::from_str(&tool(
        "skopeo",
        &["inspect", &format!("docker-archive:{}", archive.display())],
    ))
    .unwrap();
    assert_eq!(inspected["Labels"]["k"], "v");
    assert_eq!(inspected["Layers"].as_array().unwrap().len(), 1);

    // The same tar read as an OCI layout.
    let extracted = dir.path().join("extracted");
    extract(&archive, &extracted);
    for oci in [&layout, &extracted] {
        let inspected: serde_json::Value = serde_json::from_str(&tool(
            "skopeo",
            &["inspect", &format!("oci:{}:1.0", oci.display())],
        ))
        .unwrap();
        assert_eq!(inspected["Labels"]["k"], "v", "{}", oci.display());
        let copy = dir.path().join(format!(
            "copy-{}",
            oci.file_name().unwrap().to_str().unwrap()
        ));
        tool(
            "skopeo",
            &[
                "copy",
                &format!("oci:{}:1.0", oci.display()),
                &format!("oci:{}:copied", copy.display()),
            ],
        );
        let stat = tool(
            "umoci",
            &["stat", "--image", &format!("{}:1.0", oci.display())],
        );
        assert!(
            stat.contains("LAYER") || stat.contains("layer") || !stat.is_empty(),
            "{stat}"
        );
        let bundle = dir.path().join(format!(
            "bundle-{}",
            oci.file_name().unwrap().to_str().unwrap()
        ));
        umoci_unpack(&format!("{}:1.0", oci.display()), &bundle);
        assert_eq!(
            std::fs::read_to_string(bundle.join("etc/app/greeting")).unwrap(),
            "hello from ocipipe\n"
        );
    }
}

#[test]
fn failures_leave_no_output_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("image.tar");
    let out = out.to_str().unwrap();
    let missing = dir.path().join("missing");
    let root = a_layer(dir.path(), "ok", "x");
    let root = root.to_str().unwrap();
    let layout = dir.path().join("layout");
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "image",
                "build",
                "--layer",
                missing.to_str().unwrap(),
                "-o",
                out,
            ],
            "missing",
        ),
        (
            &[
                "image", "build", "--layer", root, "-t", "Bad/Name", "-o", out,
            ],
            "must be lowercase",
        ),
        (
            &[
                "image",
                "build",
                "--layer",
                root,
                "--env",
                "NOEQUALS",
                "--oci-layout",
                layout.to_str().unwrap(),
            ],
            // The component checks the syntax; the refusal names it.
            "component manifest-generation (built-in) refused image-config",
        ),
    ];
    for (args, words) in cases {
        let run = ocipipe(args);
        assert_eq!(run.code, 1, "{args:?}");
        assert!(
            run.first_error_line().contains(words),
            "{args:?}: {}",
            run.stderr
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "only the layer dir remains: {left:?}");
}

#[test]
fn unpack_gives_the_root_filesystem() {
    let dir = tempfile::tempdir().unwrap();
    let root = busybox_root(dir.path());
    let top = dir.path().join("top");
    std::fs::create_dir_all(top.join("etc/app")).unwrap();
    std::fs::write(top.join("etc/app/.wh.greeting"), "").unwrap();
    std::fs::write(top.join("etc/app/new"), "new\n").unwrap();
    let archive = dir.path().join("image.tar");
    build(&[
        "--layer",
        root.to_str().unwrap(),
        "--layer",
        top.to_str().unwrap(),
        "-o",
        archive.to_str().unwrap(),
    ]);
    let rootfs = dir.path().join("rootfs");
    let run = ocipipe(&[
        "image",
        "unpack",
        "--json",
        archive.to_str().unwrap(),
        rootfs.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json_lines()[0]["layers"], 2);
    assert!(!rootfs.join("etc/app/greeting").exists(), "whited out");
    assert_eq!(
        std::fs::read_to_string(rootfs.join("etc/app/new")).unwrap(),
        "new\n"
    );
    assert_eq!(
        std::fs::read_link(rootfs.join("bin/sh")).unwrap(),
        Path::new("busybox")
    );
    assert_eq!(
        std::fs::read(rootfs.join("bin/busybox")).unwrap(),
        std::fs::read("/bin/busybox").unwrap()
    );
}

#[test]
fn unpack_finds_an_image_by_any_spelling_of_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let layer = a_layer(dir.path(), "named", "named\n");
    let archive = dir.path().join("image.tar");
    let layout = dir.path().join("layout");
    build(&[
        "--layer",
        layer.to_str().unwrap(),
        "-t",
        "ubuntu:1",
        "-o",
        archive.to_str().unwrap(),
        "--oci-layout",
        layout.to_str().unwrap(),
    ]);
    // A docker-save archive names its images in the familiar form.
    let (saved, _) = docker_archive("ubuntu:1", "named", &[simple_layer("f", b"x")]);
    let saved = write(dir.path(), "saved.tar", &saved);
    let spellings = ["ubuntu:1", "library/ubuntu:1", "docker.io/library/ubuntu:1"];
    let inputs = [archive.to_str().unwrap(), layout.to_str().unwrap(), &saved];
    let cases = inputs.into_iter().flat_map(|i| spellings.map(|s| (i, s)));
    for (n, (input, spelling)) in cases.enumerate() {
        let rootfs = dir.path().join(format!("rootfs{n}"));
        let run = ocipipe(&[
            "image",
            "unpack",
            "--image",
            spelling,
            input,
            rootfs.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{input} as {spelling}: {}", run.stderr);
        assert!(
            rootfs.read_dir().unwrap().next().is_some(),
            "{input} as {spelling}: unpacked"
        );
    }
    // Another tag of the same repository is not it.
    let rootfs = dir.path().join("other");
    let run = ocipipe(&[
        "image",
        "unpack",
        "--image",
        "ubuntu",
        &saved,
        rootfs.to_str().unwrap(),
    ]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr
            .contains("no image tagged \"ubuntu\" (it has ubuntu:1)"),
        "{}",
        run.stderr
    );
    assert!(!rootfs.exists());
}

#[test]
fn json_progress_events_go_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let layer = a_layer(dir.path(), "p", &"x".repeat(100_000));
    let out = dir.path().join("image.tar");
    let run = ocipipe(&[
        "image",
        "build",
        "--json",
        "--layer",
        layer.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json_lines().len(), 1, "stdout holds only the result");
    let events: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.first().unwrap()["event"], "start");
    assert_eq!(events.first().unwrap()["task"], "layer 1/1");
    let done = events.last().unwrap();
    assert_eq!(done["event"], "done");
    assert_eq!(done["bytes"], done["total"], "every byte counted: {done}");
    assert!(done["bytes"].as_u64().unwrap() > 100_000);
}

#[test]
fn from_scratch_is_a_build_without_a_base_and_only_scratch_is() {
    let dir = tempfile::tempdir().unwrap();
    let app = a_layer(dir.path(), "app", "x\n");
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let plain = build(&["--layer", app.to_str().unwrap(), "-o", &out("a.tar")]);
    let scratch = build(&[
        "--from",
        "scratch",
        "--layer",
        app.to_str().unwrap(),
        "-o",
        &out("b.tar"),
    ]);
    assert_eq!(scratch["image_id"], plain["image_id"]);
    assert_eq!(scratch["layers"].as_array().unwrap().len(), 1);
    // Another spelling names an image, here with no transport: refused.
    let run = ocipipe(&[
        "image",
        "build",
        "--from",
        "Scratch",
        "--layer",
        app.to_str().unwrap(),
        "-o",
        &out("c.tar"),
    ]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("names no transport"), "{}", run.stderr);
    assert!(!dir.path().join("c.tar").exists());
}
