//! The one image destination interface: where a content-addressed writer
//! puts an image, blob by blob, then its documents, then commits — as
//! go-containerregistry's `remote`/`layout`/`tarball`/`daemon` writers and
//! regclient's `scheme.API` take it. Every place an image goes implements
//! it once: a registry repository (`registry`), an OCI layout, for builds
//! and copies alike (`store::layout_writer`), an archive file and an
//! archive stream (`store::sink`), and the engine (an archive stream into
//! a load request, `pipeline::engine_stream`).
//!
//! The sequence every writer follows ([`Destination`]'s methods, in
//! order):
//! 1. **an image's layers** ([`Destination::put_layers`]), bottom first:
//!    each known blob looked for first ([`Destination::find_blob`]):
//!    skipped when present, mounted where the place can (a registry from
//!    another repository of it), else put from bytes that can be opened
//!    again for each try ([`Destination::put_blob`]); each layer made
//!    while it is written (a layer tar compressed as it is sent:
//!    `stream.Layer`), whose digest is known only at its end
//!    ([`Destination::put_made`]);
//! 2. **documents**: an image's config and manifest
//!    ([`Destination::put_image`]), and manifests and indexes, children
//!    before the index that lists them ([`Destination::put_manifest`]);
//! 3. **the commit** ([`Destination::commit`]): the output appears whole
//!    or not at all, and a tag never names a missing blob.
//!
//! [`write_images`] is that sequence for images whose documents are made
//! from the layers as put (a build, a load); a copy of documents already
//! made (`pipeline::copy::transfer`) walks the same steps blob by blob.
//!
//! ## What the archive places and the engine add
//! A tar archive or a load stores layers uncompressed, lays blobs out by
//! position, writes a blob's head before its bytes, and names images, not
//! manifests. The three additions below have defaults that registries and
//! layouts keep; the tar places override them:
//! - [`Destination::layer_compression`]: how the place stores a layer
//!   made for it (a tar place: uncompressed, whatever was asked). A known
//!   layer goes in as it is stored, so a build gives a place that keeps
//!   only uncompressed layers its base layers made (decompressed), not
//!   known.
//! - [`Destination::put_layers`]: one image's layers together, in order,
//!   each with what is known of it beforehand ([`Expected`]: its size for
//!   a tar head, its digest for a pipe's head or an omission). The
//!   default puts them one by one (several at once); an archive file lays
//!   them at computed offsets and writes them at once, a pipe writes them
//!   in order, the engine first learns which layers it holds (by their
//!   chains, the tar-assembly component decides) and puts those as
//!   placeholders: [`Moved::Omitted`], the image's layer `omitted`.
//! - [`Destination::put_image`]: an image's config and manifest with the
//!   layers they list and the names it goes by ([`ArchiveImage`]). The
//!   default puts the config as a known blob and the manifest as a
//!   document; a tar place keeps the image and writes it, with its
//!   `manifest.json`/`index.json`, at the commit, where it ignores the
//!   commit's root and tag (its names came with each image).
//!
//! Why here, in `model`: every place an image goes is owned by another
//! module — an OCI layout and an archive by `store`, a registry repository
//! by `registry`, the engine by `pipeline` over `docker` — and those
//! modules never import each other; `model` is what all of them share (as
//! they share [`super::Progress`]). The pipeline drives any
//! implementation without knowing which.
//!
//! The methods block: an implementation over an async client (a registry)
//! runs it on its runtime, and is called from threads outside it.
//!
//! Must not: decide anything about the documents (components do), or
//! hold an implementation.

use super::{ArchiveImage, Descriptor, Digest, Document, LayerCompression};
use std::io::{self, Read, Write};

/// A blob's bytes, opened once per try.
pub type BlobBytes = Box<dyn Read + Send>;

/// Opens a known blob's bytes; called again for each try.
pub type OpenBlob = dyn Fn() -> io::Result<BlobBytes> + Send + Sync;

/// Makes a blob into the writer it is given; called again for each try.
/// It may borrow what it makes the blob from (`'a`): a destination calls
/// it only while its `put_made` runs.
pub type MakeBlob<'a> = dyn Fn(&mut dyn Write) -> io::Result<()> + Send + Sync + 'a;

/// Makes a layer into the writer it is given, compressed as the
/// destination's [`Destination::layer_compression`] says, and returns
/// the digest and size of its tar (its diff_id: hashed by the maker, on
/// the way): where the layer is stored uncompressed, the blob's own. Called
/// again for each try, and by a place that needs a layer's digest before
/// its bytes once more to learn it.
pub type MakeLayer<'a> = dyn Fn(&mut dyn Write) -> io::Result<(Digest, u64)> + Send + Sync + 'a;

/// What a destination found when looking for a known blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Not there: it must be put.
    Absent,
    /// Already there: skipped.
    Present,
    /// Made present from elsewhere in the place (a registry mount).
    Mounted,
}

/// What is known of a made layer before it is made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    /// The size of its tar.
    pub size: Option<u64>,
    /// The digest of its tar (its diff_id).
    pub digest: Option<Digest>,
}

/// One layer of an image, for [`Destination::put_layers`].
pub enum Layer<'a> {
    /// A blob as stored: its descriptor, and its bytes opened for each try.
    Known {
        /// Its digest, size and media type.
        blob: Box<Descriptor>,
        /// Its bytes.
        open: Box<OpenBlob>,
    },
    /// A layer made as it is written.
    Made {
        /// What is known of it beforehand.
        expected: Expected,
        /// How it is made.
        make: Box<MakeLayer<'a>>,
    },
}

/// What a destination did with one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutLayer {
    /// The blob's digest.
    pub digest: Digest,
    /// The blob's size.
    pub size: u64,
    /// The digest of a made layer's tar (its diff_id); none for a known one.
    pub diff_id: Option<Digest>,
    /// What was done with it.
    pub moved: Moved,
}

impl PutLayer {
    /// Left out: the place holds it by other means (a placeholder goes in
    /// its stead).
    pub fn omitted(&self) -> bool {
        matches!(self.moved, Moved::Omitted(_))
    }
}

/// A place an image can be written into; see the [module
/// documentation](self) for the order of the calls.
pub trait Destination: Sync {
    /// What goes wrong writing into it.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Looks for blob `blob` (its digest and size), mounting it where the
    /// place can; what was found.
    fn find_blob(&self, blob: &Descriptor) -> Result<Found, Self::Error>;

    /// Puts blob `blob` from `open`, refusing bytes that do not hash to
    /// its digest or have another size.
    fn put_blob(&self, blob: &Descriptor, open: &OpenBlob) -> Result<(), Self::Error>;

    /// Puts a blob made while it is written; its digest and size.
    fn put_made(&self, make: &MakeBlob<'_>) -> Result<(Digest, u64), Self::Error>;

    /// Puts a manifest or an index, once every blob and child it names is in.
    fn put_manifest(&self, manifest: &Document) -> Result<(), Self::Error>;

    /// Makes what was put appear, `root` named `tag` when given; dropping a
    /// destination uncommitted leaves the place as it was.
    fn commit(self, root: &Descriptor, tag: Option<&str>) -> Result<(), Self::Error>
    where
        Self: Sized;

    /// How a layer made for this place is stored, `wanted` being what the
    /// command asked: as asked, or uncompressed where the place keeps
    /// layer tars (an archive, the engine).
    fn layer_compression(&self, wanted: LayerCompression) -> LayerCompression {
        wanted
    }

    /// Puts one image's layers, bottom first; what was done with each, in
    /// order. By default each on its own, several at once: a known one
    /// looked for, then put unless found ([`put_known`]); a made one
    /// [`Destination::put_made`], checked against what was expected.
    fn put_layers(&self, layers: &[Layer<'_>]) -> Result<Vec<PutLayer>, Self::Error> {
        put_each(self, layers)
    }

    /// Puts an image's documents, once its layers are in: by default its
    /// config as a known blob, then its manifest (its names go with the
    /// commit); a place that names images takes `image` whole. Returns the
    /// document bytes sent.
    fn put_image(&self, image: &ArchiveImage) -> Result<u64, Self::Error> {
        put_documents(self, image)
    }
}

/// [`Destination::put_image`]'s default: the config as a known blob, then
/// the manifest; the config bytes sent. For a place that overrides
/// `put_image` to keep more of the image.
pub fn put_documents<D: Destination + ?Sized>(
    destination: &D,
    image: &ArchiveImage,
) -> Result<u64, D::Error> {
    let bytes = image.config.bytes.clone();
    let open = move || Ok(Box::new(io::Cursor::new(bytes.clone())) as BlobBytes);
    let sent = put_known(destination, &image.config.descriptor, &open)?.sent();
    destination.put_manifest(&image.manifest)?;
    Ok(sent)
}

/// [`Destination::put_layers`]' default: each layer on its own, several
/// at once: a known one looked for, then put unless found ([`put_known`]);
/// a made one [`Destination::put_made`]. For a place that overrides
/// `put_layers` for some layers only.
pub fn put_each<D: Destination + ?Sized>(
    destination: &D,
    layers: &[Layer<'_>],
) -> Result<Vec<PutLayer>, D::Error> {
    let put = |i: usize| match &layers[i] {
        Layer::Known { blob, open } => Ok(PutLayer {
            digest: blob.digest.clone(),
            size: blob.size,
            diff_id: None,
            moved: put_known(destination, blob, &**open)?,
        }),
        Layer::Made { make, .. } => {
            let tar = std::sync::Mutex::new(None);
            let (digest, size) = destination.put_made(&|out| {
                let made = make(out)?;
                *tar.lock().expect("not poisoned") = Some(made);
                Ok(())
            })?;
            let (diff_id, _) = tar
                .into_inner()
                .expect("not poisoned")
                .expect("a whole layer has its digest");
            Ok(PutLayer {
                digest,
                size,
                diff_id: Some(diff_id),
                moved: Moved::Sent(size),
            })
        }
    };
    // The first known layer goes alone (a look-up, a mount): a place that
    // cannot be reached fails the put once, not once per layer at once.
    let Some(first) = layers.iter().position(|l| matches!(l, Layer::Known { .. })) else {
        return in_parallel(layers.len(), put);
    };
    let alone = put(first)?;
    let rest: Vec<usize> = (0..layers.len()).filter(|&i| i != first).collect();
    let mut put = in_parallel(rest.len(), |k| put(rest[k]))?;
    put.insert(first, alone);
    Ok(put)
}

/// What [`put_known`] did with a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// Sent: its bytes.
    Sent(u64),
    /// Already there: its bytes, not sent.
    Skipped(u64),
    /// Mounted from elsewhere in the place.
    Mounted,
    /// Left out as a placeholder: the place holds it by other means (a
    /// layer of an image the engine has); its bytes, not sent.
    Omitted(u64),
}

impl Moved {
    /// The bytes it sent: none when skipped, mounted or omitted.
    pub fn sent(self) -> u64 {
        match self {
            Moved::Sent(size) => size,
            Moved::Skipped(_) | Moved::Mounted | Moved::Omitted(_) => 0,
        }
    }
}

/// Step 1 for one known blob: looked for, then put unless found.
pub fn put_known<D: Destination + ?Sized>(
    destination: &D,
    blob: &Descriptor,
    open: &OpenBlob,
) -> Result<Moved, D::Error> {
    Ok(match destination.find_blob(blob)? {
        Found::Present => Moved::Skipped(blob.size),
        Found::Mounted => Moved::Mounted,
        Found::Absent => {
            destination.put_blob(blob, open)?;
            Moved::Sent(blob.size)
        }
    })
}

/// Each image written, with what the destination did with its layers.
pub type Written = Vec<(ArchiveImage, Vec<PutLayer>)>;

/// Steps 1 and 2 for images whose documents are made from their layers as
/// put: each image's layers ([`Destination::put_layers`]), then the
/// documents `documents` makes of them (the `i`-th image's), put
/// ([`Destination::put_image`]). The caller commits. Returns each image
/// with its layers as put, and the document bytes sent.
pub fn put_images<D, E>(
    destination: &D,
    images: &[Vec<Layer<'_>>],
    mut documents: impl FnMut(usize, &[PutLayer]) -> Result<ArchiveImage, E>,
) -> Result<(Written, u64), E>
where
    D: Destination,
    E: From<D::Error>,
{
    let mut written = Vec::with_capacity(images.len());
    let mut sent = 0;
    for (i, layers) in images.iter().enumerate() {
        let put = destination.put_layers(layers)?;
        let image = documents(i, &put)?;
        sent += destination.put_image(&image)?;
        written.push((image, put));
    }
    Ok((written, sent))
}

/// The whole sequence for images made from their layers as put
/// ([`put_images`]), then the commit: the last image's manifest is the
/// root, named `tag` where the place takes one. The output appears whole or
/// not at all: dropped on an error, `destination` leaves nothing behind.
pub fn write_images<D, E>(
    destination: D,
    images: &[Vec<Layer<'_>>],
    tag: Option<&str>,
    documents: impl FnMut(usize, &[PutLayer]) -> Result<ArchiveImage, E>,
) -> Result<Written, E>
where
    D: Destination,
    E: From<D::Error>,
{
    let (written, _) = put_images(&destination, images, documents)?;
    let (root, _) = written.last().expect("at least one image is written");
    let root = root.manifest.descriptor.clone();
    destination.commit(&root, tag)?;
    Ok(written)
}

/// Layers worked on at once at most: hashing runs at ≈1.8 GB/s per core,
/// so one stream cannot keep up with the page cache, but layers are
/// independent.
const MAX_WORKERS: usize = 4;

/// Writers at work at once in this process (a build's outputs written
/// together): they share the layer workers, as they share the cores and
/// the memory each worker's buffers take.
static WRITERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// `write` run while `writers` writers work at once, each given its share
/// of the layer workers ([`in_parallel`]), at least one.
pub fn sharing_workers<T>(writers: usize, write: impl FnOnce() -> T) -> T {
    use std::sync::atomic::Ordering;
    let before = WRITERS.swap(writers.max(1), Ordering::Relaxed);
    let written = write();
    WRITERS.store(before, Ordering::Relaxed);
    written
}

/// `work(i)` for every `i < count` on up to [`MAX_WORKERS`] threads (no more
/// than the machine has cores, shared among the writers at work:
/// [`sharing_workers`]); the results in order, or the first failure.
pub fn in_parallel<T: Send, E: Send>(
    count: usize,
    work: impl Fn(usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let writers = WRITERS.load(std::sync::atomic::Ordering::Relaxed);
    at_once(count, cores.min(MAX_WORKERS) / writers, work)
}

/// `work(i)` for every `i < count`, on up to `jobs` threads; the results
/// in order, or the first failure (once one fails, the others take no
/// more work).
pub fn at_once<T: Send, E: Send>(
    count: usize,
    jobs: usize,
    work: impl Fn(usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    type Slot<T, E> = Mutex<Option<Result<T, E>>>;
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Vec<Slot<T, E>> = (0..count).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, count.max(1)) {
            scope.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let result = work(i);
                    failed.fetch_or(result.is_err(), Ordering::Relaxed);
                    *results[i].lock().expect("not poisoned") = Some(result);
                }
            });
        }
    });
    let mut done = Vec::with_capacity(count);
    for slot in results {
        match slot.into_inner().expect("not poisoned") {
            Some(Ok(value)) => done.push(value),
            Some(Err(e)) => return Err(e),
            None => {}
        }
    }
    Ok(done)
}
