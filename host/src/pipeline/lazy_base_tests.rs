//! A base image is lazy: its layers' bytes are read only by an output that
//! needs them, and once. The base's layers here are blobs opened through a
//! function that counts how often it is called, as a registry's downloads.

use super::build::{BaseImage, BuildOutput, BuildSpec, LayerInput, Operations};
use super::build_image::put_image;
use super::outputs::build_outputs;
use super::planner::IndexPlanning;
use crate::model::destination::{BlobBytes, Destination, OpenBlob};
use crate::model::{ConfigRequest, Descriptor, Digest, Document, LayerOptions, Platform, Quiet};
use crate::runtime::{Components, Limits, Runtime};
use crate::store::compress::LayerCompression;
use crate::store::layout_writer::LayoutDestination;
use crate::store::plan::LayerSource;
use crate::store::source::{Compression, LayoutSource, OpenedBlob, SourceLayer};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// The built-in components, loaded once for every test here.
pub(super) fn components() -> &'static Components {
    static LOADED: OnceLock<Components> = OnceLock::new();
    LOADED.get_or_init(|| {
        Components::builtin(Arc::new(Runtime::new(Limits::default(), None).unwrap()))
    })
}

/// A base of `count` gzip layers, each a blob opened through a function
/// that counts its calls in `opens`.
fn base(count: usize, opens: &Arc<AtomicUsize>) -> BaseImage {
    let mut layers = Vec::new();
    for i in 0..count {
        let tar = layer_tar(&format!("base layer {i}\n"));
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&tar).unwrap();
        let gzip = bytes::Bytes::from(gzip.finish().unwrap());
        let counted = opens.clone();
        let stored = gzip.clone();
        let open: Arc<OpenBlob> = Arc::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok(Box::new(std::io::Cursor::new(stored.clone())) as BlobBytes)
        });
        layers.push(SourceLayer {
            digest: Some(Digest::sha256(&gzip)),
            size: gzip.len() as u64,
            diff_id: Digest::sha256(&tar),
            compression: Compression::Gzip,
            blob: LayerSource::Opened(OpenedBlob::new(
                format!("base {i}"),
                gzip.len() as u64,
                open,
            )),
        });
    }
    let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.to_string()).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    BaseImage {
        config: Document {
            descriptor: Descriptor::new(
                "application/vnd.oci.image.config.v1+json",
                Digest::sha256(&config),
                config.len() as u64,
            ),
            bytes: config,
        },
        layers,
        origin: None,
        _kept: None,
    }
}

/// A one-file layer tar.
fn layer_tar(content: &str) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "greeting", content.as_bytes())
        .unwrap();
    tar.into_inner().unwrap()
}

/// A build on `base` with one layer of its own, from `dir`.
fn spec(base: BaseImage, dir: &Path) -> BuildSpec {
    let layer = dir.join("top");
    std::fs::create_dir_all(&layer).unwrap();
    std::fs::write(layer.join("top"), "the top layer\n").unwrap();
    BuildSpec {
        layers: vec![LayerInput::Dir(layer)],
        config: ConfigRequest {
            base: None,
            platform: Platform {
                architecture: "amd64".into(),
                os: "linux".into(),
                os_version: None,
                os_features: Vec::new(),
                cpu_variant: None,
            },
            diff_ids: Vec::new(),
            history: Vec::new(),
            created: Some(0),
            env: Vec::new(),
            entrypoint: None,
            cmd: None,
            working_dir: None,
            user: None,
            labels: Vec::new(),
            exposed_ports: Vec::new(),
        },
        targets: None,
        layer_options: LayerOptions {
            mtime: 0,
            keep_owner: false,
        },
        base: Some(Arc::new(base)),
        base_as_stored: false,
    }
}

/// Pushes the image of `spec` into the layout `target` by the destination
/// sequence; its manifest.
fn push_into_layout(ops: &Operations<'_>, spec: &BuildSpec, target: &Path) -> Descriptor {
    let mut spooled = Vec::new();
    let sources = super::build::layer_sources(ops, spec, &mut spooled).unwrap();
    let destination =
        LayoutDestination::open(target, IndexPlanning(ops.manifest_generation)).unwrap();
    let gzip = LayerCompression::Gzip;
    let put = put_image(ops, spec, &sources, gzip, Vec::new(), &destination).unwrap();
    let manifest = put.image.manifest.descriptor;
    destination.commit(&manifest, Some("1")).unwrap();
    manifest
}

#[test]
fn a_push_reads_a_base_layer_only_where_the_destination_lacks_it() {
    let components = components();
    let ops = Operations::new(components, &Quiet).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opens = Arc::new(AtomicUsize::new(0));
    let spec = spec(base(2, &opens), dir.path());
    let layout = dir.path().join("layout");

    // Into an empty layout: each base layer read once, as it is stored.
    let first = push_into_layout(&ops, &spec, &layout);
    assert_eq!(opens.load(Ordering::SeqCst), 2);
    let image = LayoutSource::open(&layout)
        .unwrap()
        .images(&super::planner::IndexPlanning(ops.manifest_generation))
        .unwrap()
        .remove(0);
    assert_eq!(image.manifest.unwrap().descriptor.digest, first.digest);
    let base = spec.base.as_ref().unwrap();
    for (put, base) in image.layers.iter().zip(&base.layers) {
        assert_eq!(put.digest, base.digest, "a base layer kept as it is stored");
        assert_eq!(put.compression, Compression::Gzip);
    }
    assert_eq!(image.layers.len(), 3);

    // Into a layout that holds them: none read, the same image.
    let again = push_into_layout(&ops, &spec, &layout);
    assert_eq!(
        opens.load(Ordering::SeqCst),
        2,
        "a base layer was read again"
    );
    assert_eq!(again.digest, first.digest);
}

#[test]
fn local_outputs_read_each_base_layer_once() {
    let components = components();
    let ops = Operations::new(components, &Quiet).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opens = Arc::new(AtomicUsize::new(0));
    let spec = spec(base(3, &opens), dir.path());

    // An archive file alone needs each layer's size before its bytes.
    let archive = dir.path().join("image.tar");
    let built = build_outputs(&ops, &spec, vec![BuildOutput::File(archive.clone())], None)
        .unwrap()
        .built;
    assert_eq!(opens.load(Ordering::SeqCst), 3);
    assert!(archive.metadata().unwrap().len() > 0);
    let base = spec.base.as_ref().unwrap();
    for (layer, base) in built[0].layers.iter().zip(&base.layers) {
        assert_eq!(
            layer.digest, base.diff_id,
            "stored uncompressed, as its diff_id"
        );
    }

    // A layout and an archive together: still once.
    opens.store(0, Ordering::SeqCst);
    let outputs = vec![
        BuildOutput::File(dir.path().join("again.tar")),
        BuildOutput::OciLayout(dir.path().join("layout")),
    ];
    let built = build_outputs(&ops, &spec, outputs, None).unwrap().built;
    assert_eq!(opens.load(Ordering::SeqCst), 3);
    assert_eq!(built[0].image_id, built[1].image_id);
}

#[test]
fn a_push_to_a_registry_that_holds_or_mounts_the_base_reads_none_of_it() {
    use crate::registry::RepositoryDestination;
    use crate::registry::test_registry::{Auth, TestRegistry};
    use std::io::Read;
    let ops = Operations::new(components(), &Quiet).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opens = Arc::new(AtomicUsize::new(0));
    let base = base(2, &opens);
    // The base's blobs in its own repository, as a registry holds them.
    let registry = TestRegistry::start(Auth::None);
    for layer in &base.layers {
        let mut stored = Vec::new();
        layer
            .blob
            .open_stored()
            .unwrap()
            .read_to_end(&mut stored)
            .unwrap();
        registry.add_blob("base", &stored);
    }
    opens.store(0, Ordering::SeqCst);
    let spec = spec(base, dir.path());
    let mut spooled = Vec::new();
    let sources = super::build::layer_sources(&ops, &spec, &mut spooled).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = registry.client(None);
    // Blobs mounted: mount requests the registry answered 201.
    let mounted = || {
        let log = registry.log();
        log.iter()
            .filter(|l| l.param("mount").is_some() && l.status == Some(201))
            .count()
    };
    let push = |repository, mount_from: Option<&str>| {
        registry.clear_log();
        let destination = RepositoryDestination::new(
            repository,
            runtime.handle().clone(),
            mount_from.map(Into::into),
        );
        let gzip = LayerCompression::Gzip;
        let put = put_image(&ops, &spec, &sources, gzip, Vec::new(), &destination).unwrap();
        let image = put.image.manifest.descriptor;
        destination.commit(&image, Some("1")).unwrap();
        (image, mounted())
    };

    // Another repository of the same registry: mounted, none read.
    let (image, mounted) = push(registry.pushing(&client, "app", &["base"]), Some("base"));
    assert_eq!(mounted, 2);
    assert_eq!(opens.load(Ordering::SeqCst), 0);
    let downloads: Vec<String> = registry
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("GET") && l.contains("/blobs/"))
        .collect();
    assert!(downloads.is_empty(), "{downloads:?}");
    let (_, manifest) = registry.manifest("app", "1").unwrap();
    assert_eq!(Digest::sha256(&manifest), image.digest);

    // Again: found by HEAD, none read, nothing mounted.
    let (again, mounted) = push(registry.pushing(&client, "app", &["base"]), Some("base"));
    assert_eq!((mounted, opens.load(Ordering::SeqCst)), (0, 0));
    assert_eq!(again.digest, image.digest);

    // A repository with nothing to mount from: each base layer read once.
    let (_, mounted) = push(registry.pushing(&client, "other", &[]), None);
    assert_eq!((mounted, opens.load(Ordering::SeqCst)), (0, 2));
    assert!(registry.manifest("other", "1").is_some());
}

#[test]
fn a_base_layer_that_reads_as_another_diff_id_is_refused() {
    let ops = Operations::new(components(), &Quiet).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opens = Arc::new(AtomicUsize::new(0));
    let mut base = base(1, &opens);
    base.layers[0].diff_id = Digest::sha256(b"what the config says");
    let spec = spec(base, dir.path());
    let layout = dir.path().join("layout");
    let outputs = vec![BuildOutput::OciLayout(layout.clone())];
    let err = build_outputs(&ops, &spec, outputs, None).unwrap_err();
    assert!(err.to_string().contains("reads as"), "{err}");
    assert!(!layout.exists(), "a refused build left its output");
}
