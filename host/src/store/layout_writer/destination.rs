//! An OCI image layout as a [`Destination`]: the one layout writer
//! ([`LayoutWriter`]) with the one decision of its `index.json` and its
//! `oci-layout`, the manifest-generation component's `layout-index` and
//! `layout-marker` ([`IndexPlanner`]), for builds and copies alike:
//! - a copy (`ocipipe copy … oci:DIR[:TAG]`, [`LayoutDestination::open`])
//!   writes into a new or an existing layout (one whose `oci-layout` the
//!   component accepts) and adds its root under its tag, every other
//!   entry kept;
//! - a build (`image build --oci-layout DIR`, [`LayoutDestination::create`])
//!   makes a new layout: the target must not exist or be an empty
//!   directory, and a layout that something else made there meanwhile is
//!   left as it is. Its layers are stored uncompressed, each hashed once
//!   into its own temporary blob file, several at once; its image is added
//!   once per name it was built with (`put_image`'s repo tags), as
//!   `docker save` names it.
//!
//! Must not: decide what `index.json` or `oci-layout` says, or where a
//! blob goes other than at its validated digest.

use super::{Error, IndexPlanner, LayoutWriter, StagedFile, blob_path, io_error};
use crate::hashing::OutputError;
use crate::model::destination::{
    Destination, Found, Layer, MakeBlob, Moved, OpenBlob, PutLayer, in_parallel, put_documents,
    put_each,
};
use crate::model::{ArchiveImage, Descriptor, Digest, Document, LayerCompression};
use crate::store::sink::{expected, make};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A layout as a [`Destination`]: [`LayoutWriter`] with the component
/// that decides its `index.json`.
pub struct LayoutDestination<P> {
    writer: LayoutWriter,
    index: Index<P>,
}

/// What the commit decides `index.json` with.
struct Index<P> {
    planner: P,
    /// A build's new layout (see [`LayoutDestination::create`]).
    build: bool,
    /// The layout, for errors.
    target: PathBuf,
    /// The names each image was put with, by its manifest's digest.
    names: Mutex<Vec<(Digest, Vec<String>)>>,
}

impl<P: IndexPlanner> LayoutDestination<P> {
    /// The layout `target` (new, or existing), its index decided by
    /// `planner`: a copy's destination.
    pub fn open(target: &Path, planner: P) -> Result<Self, Error> {
        Ok(Self {
            writer: LayoutWriter::open(target, &planner)?,
            index: Index {
                planner,
                build: false,
                target: target.to_path_buf(),
                names: Mutex::new(Vec::new()),
            },
        })
    }

    /// A new layout at `target`, which must not exist or be an empty
    /// directory: a build's output, its layers stored uncompressed.
    pub fn create(target: &Path, planner: P) -> Result<Self, Error> {
        crate::store::atomic::check_new_dir(target).map_err(io_error(target))?;
        let mut layout = Self::open(target, planner)?;
        layout.index.build = true;
        Ok(layout)
    }

    /// The writer, for a blob filled by its caller (a download that starts
    /// over in a new file when its connection breaks).
    pub fn writer(&self) -> &LayoutWriter {
        &self.writer
    }

    /// A build's layers: each made into its own temporary blob file,
    /// several at once, hashed once on the way (stored uncompressed, a
    /// layer's digest is its diff_id), then kept under its digest; a layer
    /// already there (the same layer twice) is dropped.
    fn put_uncompressed(&self, layers: &[Layer<'_>]) -> Result<Vec<PutLayer>, Error> {
        let made = in_parallel(layers.len(), |i| {
            let mut staged = self.writer.staged_file()?;
            let made = make(&layers[i], staged.file()).map_err(self.made_error())?;
            same_layer(i, &layers[i], &made)?;
            Ok::<_, Error>((staged, made))
        })?;
        let mut put = Vec::with_capacity(made.len());
        for (staged, (digest, size)) in made {
            let moved = self.keep(staged, &digest, size)?;
            put.push(PutLayer {
                diff_id: Some(digest.clone()),
                digest,
                size,
                moved,
            });
        }
        Ok(put)
    }

    /// Keeps `staged` as blob `digest`, unless the layout holds it.
    fn keep(&self, staged: StagedFile, digest: &Digest, size: u64) -> Result<Moved, Error> {
        if self.writer.has_blob(digest, size)? {
            return Ok(Moved::Skipped(size));
        }
        self.writer.keep_hashed(staged, digest)?;
        Ok(Moved::Sent(size))
    }

    /// A layer maker's failure to write, named as the layout's (a failure
    /// of its source is reported by the caller, as itself).
    fn made_error(&self) -> impl Fn(io::Error) -> Error + '_ {
        move |e| Error::Io {
            path: self.index.target.clone(),
            source: match OutputError::of(&e) {
                Some(inner) => io::Error::new(inner.kind(), inner.to_string()),
                None => e,
            },
        }
    }
}

impl<P: IndexPlanner> Index<P> {
    /// The `index.json` of the layout that holds `existing` after adding
    /// `root`: under `tag`, and once per name it was put with.
    fn decide(
        &self,
        existing: Option<&[u8]>,
        root: &Descriptor,
        tag: Option<&str>,
    ) -> Result<Vec<u8>, Error> {
        if self.build && existing.is_some() {
            // Another run made a layout there meanwhile: the blobs this
            // build moved in are taken back and its index is left as it is.
            return Err(Error::Io {
                path: self.target.clone(),
                source: io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "something else made it while this build ran; it was left as it is \
                     (name a new or empty directory)",
                ),
            });
        }
        let names = self.names.lock().expect("not poisoned");
        let names = names
            .iter()
            .rev()
            .find(|(digest, _)| *digest == root.digest)
            .map_or(&[][..], |(_, names)| &names[..]);
        let add = |existing: Option<&[u8]>, name: Option<&str>| {
            (self.planner)
                .layout_index(existing, root, tag, name)
                .map_err(Error::Planner)
        };
        let Some((first, rest)) = names.split_first() else {
            return add(existing, None);
        };
        let mut index = add(existing, Some(first))?;
        for name in rest {
            index = add(Some(&index), Some(name))?;
        }
        Ok(index)
    }
}

/// Refuses the `i`-th layer when its bytes were not what was known of them
/// beforehand: another digest or another size.
fn same_layer(i: usize, layer: &Layer<'_>, made: &(Digest, u64)) -> Result<(), Error> {
    let known = expected(layer);
    let detail = match (known.digest, known.size) {
        (Some(first), _) if first != made.0 => {
            format!("it hashed to {first}, then to {}", made.0)
        }
        (_, Some(size)) if size != made.1 => {
            format!("it was to have {size} bytes and has {}", made.1)
        }
        _ => return Ok(()),
    };
    Err(Error::Changed {
        ordinal: i + 1,
        detail,
    })
}

/// Size of the pieces a blob is copied in.
const PIECE: usize = 1 << 20;

impl<P: IndexPlanner> Destination for LayoutDestination<P> {
    type Error = Error;

    fn find_blob(&self, blob: &Descriptor) -> Result<Found, Error> {
        Ok(match self.writer.has_blob(&blob.digest, blob.size)? {
            true => Found::Present,
            false => Found::Absent,
        })
    }

    fn put_blob(&self, blob: &Descriptor, open: &OpenBlob) -> Result<(), Error> {
        let digest = &blob.digest;
        let read = |source| Error::Read {
            digest: digest.clone(),
            source,
        };
        let mut reader = open().map_err(read)?;
        let mut file = self.writer.blob_file(digest)?;
        let mut piece = vec![0u8; PIECE];
        loop {
            let n = reader.read(&mut piece).map_err(read)?;
            if n == 0 {
                break;
            }
            file.write(&piece[..n])
                .map_err(io_error(&blob_path(self.writer.root(), digest)))?;
        }
        self.writer.commit_blob(file, digest, blob.size)
    }

    fn put_made(&self, make: &MakeBlob<'_>) -> Result<(Digest, u64), Error> {
        let mut file = self.writer.made_blob()?;
        make(&mut file).map_err(io_error(&self.writer.root().join("blobs")))?;
        self.writer.commit_made(file)
    }

    fn put_manifest(&self, manifest: &Document) -> Result<(), Error> {
        self.writer
            .put_bytes(&manifest.descriptor.digest, &manifest.bytes)
    }

    fn commit(self, root: &Descriptor, tag: Option<&str>) -> Result<(), Error> {
        let Self { writer, index } = self;
        writer.finish(|existing| index.decide(existing, root, tag))
    }

    /// A build's layout keeps layer tars, as an archive does.
    fn layer_compression(&self, wanted: LayerCompression) -> LayerCompression {
        match self.index.build {
            true => LayerCompression::None,
            false => wanted,
        }
    }

    fn put_layers(&self, layers: &[Layer<'_>]) -> Result<Vec<PutLayer>, Error> {
        match self.index.build {
            true => self.put_uncompressed(layers),
            false => put_each(self, layers),
        }
    }

    /// The config and manifest, as any place takes them; the names the
    /// image goes by are kept for the commit.
    fn put_image(&self, image: &ArchiveImage) -> Result<u64, Error> {
        let sent = put_documents(self, image)?;
        let mut names = self.index.names.lock().expect("not poisoned");
        names.push((
            image.manifest.descriptor.digest.clone(),
            image.repo_tags.clone(),
        ));
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{LayoutMarker, PlannerError};
    use super::*;
    use crate::model::destination::{BlobBytes, Expected, write_images};
    use crate::model::{ArchiveLayer, Document};
    use crate::store::test_support::{NativeLayoutReader, names};
    use std::io::Write;

    /// A layout at `dir/layout` holding blob `kept` and index `{"old":1}`.
    fn existing(dir: &Path, kept: &[u8]) -> PathBuf {
        let target = dir.join("layout");
        let first = LayoutWriter::open(&target, &NativeLayoutReader).unwrap();
        first.put_bytes(&Digest::sha256(kept), kept).unwrap();
        first
            .finish(|_| Ok::<_, Error>(b"{\"old\":1}".to_vec()))
            .unwrap();
        target
    }

    /// An index planner that names the root and says what it was given;
    /// its layouts' `oci-layout` is the component core's.
    struct Naming;

    impl LayoutMarker for Naming {
        fn layout_marker(&self, existing: Option<&[u8]>) -> Result<Vec<u8>, PlannerError> {
            NativeLayoutReader.layout_marker(existing)
        }
    }

    impl IndexPlanner for Naming {
        fn layout_index(
            &self,
            existing: Option<&[u8]>,
            root: &Descriptor,
            tag: Option<&str>,
            _image_name: Option<&str>,
        ) -> Result<Vec<u8>, PlannerError> {
            if tag == Some("refused") {
                return Err("the tag is refused".into());
            }
            let before = existing.map_or(0, <[u8]>::len);
            Ok(format!(
                "{{\"root\":\"{}\",\"tag\":{tag:?},\"before\":{before}}}",
                root.digest
            )
            .into_bytes())
        }
    }

    fn descriptor(bytes: &[u8]) -> Descriptor {
        Descriptor::new(
            "application/octet-stream",
            Digest::sha256(bytes),
            bytes.len() as u64,
        )
    }

    fn opens(
        bytes: &'static [u8],
    ) -> impl Fn() -> io::Result<crate::model::destination::BlobBytes> {
        move || Ok(Box::new(bytes) as crate::model::destination::BlobBytes)
    }

    #[test]
    fn a_layout_destination_skips_what_it_holds_and_commits_its_index() {
        use crate::model::destination::{Moved, put_known};
        let dir = tempfile::tempdir().unwrap();
        let target = existing(dir.path(), b"kept");
        let layout = LayoutDestination::open(&target, Naming).unwrap();
        let kept = put_known(&layout, &descriptor(b"kept"), &opens(b"kept")).unwrap();
        assert_eq!(kept, Moved::Skipped(4));
        let sent = put_known(&layout, &descriptor(b"new"), &opens(b"new")).unwrap();
        assert_eq!(sent, Moved::Sent(3));
        let made = layout
            .put_made(&|out: &mut dyn Write| out.write_all(b"made here"))
            .unwrap();
        assert_eq!(made, (Digest::sha256(b"made here"), 9));
        let manifest = Document {
            descriptor: descriptor(b"{\"m\":1}"),
            bytes: b"{\"m\":1}".to_vec(),
        };
        layout.put_manifest(&manifest).unwrap();
        layout.commit(&manifest.descriptor, Some("v1")).unwrap();
        let index = String::from_utf8(std::fs::read(target.join("index.json")).unwrap()).unwrap();
        assert!(
            index.contains(manifest.descriptor.digest.as_str()),
            "{index}"
        );
        assert!(
            index.contains("\"v1\"") && index.contains("\"before\":9"),
            "{index}"
        );
        for blob in [&b"kept"[..], b"new", b"made here", b"{\"m\":1}"] {
            assert_eq!(
                std::fs::read(blob_path(&target, &Digest::sha256(blob))).unwrap(),
                blob
            );
        }
    }

    #[test]
    fn a_layout_destination_refuses_wrong_bytes_and_a_refused_index_leaves_the_layout_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let target = existing(dir.path(), b"kept");
        let before = names(&target.join("blobs/sha256"));
        let layout = LayoutDestination::open(&target, Naming).unwrap();
        let lying = descriptor(b"promised");
        let refused = layout.put_blob(&lying, &opens(b"delivered")).unwrap_err();
        assert!(matches!(refused, Error::Mismatch { .. }), "{refused}");
        assert_eq!(layout.find_blob(&lying).unwrap(), Found::Absent);
        layout
            .put_blob(&descriptor(b"fine"), &opens(b"fine"))
            .unwrap();
        let refused = layout
            .commit(&descriptor(b"fine"), Some("refused"))
            .unwrap_err();
        assert!(
            refused.to_string().contains("the tag is refused"),
            "{refused}"
        );
        assert_eq!(names(&target.join("blobs/sha256")), before, "nothing left");
        assert_eq!(
            std::fs::read(target.join("index.json")).unwrap(),
            b"{\"old\":1}"
        );
    }

    /// A layer made of `bytes`, with `expected` known of it beforehand.
    fn made_layer(bytes: &'static [u8], expected: Expected) -> Layer<'static> {
        Layer::Made {
            expected,
            make: Box::new(move |out: &mut dyn Write| {
                out.write_all(bytes)?;
                Ok((Digest::sha256(bytes), bytes.len() as u64))
            }),
        }
    }

    fn doc(media_type: &str, bytes: Vec<u8>) -> Document {
        Document {
            descriptor: Descriptor::new(media_type, Digest::sha256(&bytes), bytes.len() as u64),
            bytes,
        }
    }

    /// The image of the layers put, named `names`.
    fn image(put: &[PutLayer], names: &[&str]) -> ArchiveImage {
        let layers: Vec<String> = put.iter().map(|p| p.digest.to_string()).collect();
        ArchiveImage {
            config: doc(
                "application/vnd.oci.image.config.v1+json",
                format!("{{\"layers\":{layers:?}}}").into_bytes(),
            ),
            manifest: doc(
                "application/vnd.oci.image.manifest.v1+json",
                format!("{{\"schemaVersion\":2,\"layers\":{layers:?}}}").into_bytes(),
            ),
            layers: put
                .iter()
                .map(|p| ArchiveLayer {
                    descriptor: Descriptor::new(
                        "application/vnd.oci.image.layer.v1.tar",
                        p.digest.clone(),
                        p.size,
                    ),
                    omitted: false,
                })
                .collect(),
            repo_tags: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    /// Builds an image of `layers` named `names` into a new layout at
    /// `target`, as `image build --oci-layout` does.
    fn build(
        target: &Path,
        layers: Vec<Layer<'static>>,
        names: &[&str],
    ) -> Result<(ArchiveImage, Vec<PutLayer>), Error> {
        let layout = LayoutDestination::create(target, NativeLayoutReader)?;
        assert_eq!(
            layout.layer_compression(LayerCompression::Gzip),
            LayerCompression::None
        );
        let written = write_images(layout, &[layers], None, |_, put| {
            Ok::<_, Error>(image(put, names))
        })?;
        Ok(written.into_iter().next().expect("one image"))
    }

    #[test]
    fn a_build_stores_a_repeated_layer_once_and_names_its_image_once_per_name() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("layout");
        let layers = vec![
            made_layer(b"first", Expected::default()),
            made_layer(b"second", Expected::default()),
            made_layer(b"first", Expected::default()),
        ];
        let tags = ["docker.io/library/app:1.0", "example.com/app:latest"];
        let (image, put) = build(&target, layers, &tags).unwrap();
        let moved: Vec<Moved> = put.iter().map(|p| p.moved).collect();
        assert_eq!(
            moved,
            [Moved::Sent(5), Moved::Sent(6), Moved::Skipped(5)],
            "the repeated layer is kept once"
        );
        assert!(put.iter().all(|p| p.diff_id.as_ref() == Some(&p.digest)));
        // The manifest-generation core's own answer, one call per name.
        let root = &image.manifest.descriptor;
        let first = NativeLayoutReader
            .layout_index(None, root, None, Some(tags[0]))
            .unwrap();
        let expected = NativeLayoutReader
            .layout_index(Some(&first), root, None, Some(tags[1]))
            .unwrap();
        let index = std::fs::read(target.join("index.json")).unwrap();
        assert_eq!(index, expected);
        let text = String::from_utf8(index).unwrap();
        for wanted in [
            r#""io.containerd.image.name":"docker.io/library/app:1.0","org.opencontainers.image.ref.name":"1.0""#,
            r#""io.containerd.image.name":"example.com/app:latest","org.opencontainers.image.ref.name":"latest""#,
        ] {
            assert!(text.contains(wanted), "{text}");
        }
        assert_eq!(
            std::fs::read(target.join("oci-layout")).unwrap(),
            br#"{"imageLayoutVersion":"1.0.0"}"#
        );
        let mut blobs = names(&target.join("blobs/sha256"));
        blobs.sort();
        let mut expected: Vec<String> = [
            &b"first"[..],
            b"second",
            &image.config.bytes,
            &image.manifest.bytes,
        ]
        .iter()
        .map(|b| Digest::sha256(b).encoded().to_string())
        .collect();
        expected.sort();
        assert_eq!(blobs, expected, "every blob once, no temporary file");
    }

    #[test]
    fn an_unnamed_build_gets_one_plain_entry() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("layout");
        let (image, _) = build(&target, vec![made_layer(b"x", Expected::default())], &[]).unwrap();
        let index = std::fs::read(target.join("index.json")).unwrap();
        let d = &image.manifest.descriptor;
        assert_eq!(
            String::from_utf8(index).unwrap(),
            format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"{}","digest":"{}","size":{}}}]}}"#,
                d.media_type, d.digest, d.size
            )
        );
    }

    #[test]
    fn a_build_layout_appears_only_when_complete_and_only_where_nothing_is() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("layout");
        let place = LayoutDestination::create(&target, NativeLayoutReader).unwrap();
        place
            .put_layers(&[made_layer(b"abc", Expected::default())])
            .unwrap();
        drop(place); // a failure before the commit
        assert_eq!(names(dir.path()), Vec::<String>::new(), "nothing left");
        build(&target, vec![made_layer(b"abc", Expected::default())], &[]).unwrap();
        let err = LayoutDestination::create(&target, NativeLayoutReader)
            .err()
            .unwrap();
        assert!(err.to_string().contains("not empty"), "{err}");
        assert!(err.to_string().contains(&target.display().to_string()));
    }

    #[test]
    fn a_layout_made_meanwhile_by_another_run_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("layout");
        let second = LayoutDestination::create(&target, NativeLayoutReader).unwrap();
        build(&target, vec![made_layer(b"abc", Expected::default())], &[]).unwrap();
        let before = std::fs::read(target.join("index.json")).unwrap();
        let layers = [vec![made_layer(b"def", Expected::default())]];
        let err = write_images(second, &layers, None, |_, put| {
            Ok::<_, Error>(image(put, &["docker.io/library/late:1"]))
        })
        .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("while this build ran"), "{message}");
        assert!(message.contains(&target.display().to_string()), "{message}");
        assert_eq!(std::fs::read(target.join("index.json")).unwrap(), before);
        assert!(!blob_path(&target, &Digest::sha256(b"def")).exists());
        assert_eq!(names(dir.path()), ["layout"], "no staging directory left");
    }

    #[test]
    fn a_build_layer_unlike_what_was_known_is_refused_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("layout");
        for expected in [
            Expected {
                size: Some(4),
                digest: None,
            },
            Expected {
                size: None,
                digest: Some(Digest::sha256(b"before")),
            },
        ] {
            let err = build(&target, vec![made_layer(b"after", expected)], &[]).unwrap_err();
            assert!(matches!(err, Error::Changed { ordinal: 1, .. }), "{err}");
            assert!(
                err.to_string().contains("changed while it was read"),
                "{err}"
            );
            assert_eq!(names(dir.path()), Vec::<String>::new(), "nothing left");
        }
    }

    #[test]
    fn a_known_layer_is_hashed_as_it_is_copied() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("layout");
        let known = Layer::Known {
            blob: Box::new(descriptor(b"known layer")),
            open: Box::new(|| Ok(Box::new(&b"known layer"[..]) as BlobBytes)),
        };
        let (_, put) = build(&target, vec![known], &["docker.io/library/k:1"]).unwrap();
        assert_eq!(put[0].digest, Digest::sha256(b"known layer"));
        assert_eq!(
            std::fs::read(blob_path(&target, &put[0].digest)).unwrap(),
            b"known layer"
        );
        let lying = Layer::Known {
            blob: Box::new(descriptor(b"promised")),
            open: Box::new(|| Ok(Box::new(&b"delivered"[..]) as BlobBytes)),
        };
        let other = dir.path().join("other");
        assert!(build(&other, vec![lying], &[]).is_err());
        assert!(!other.exists());
    }
}
