//! The tar-assembly component: exports `ocipipe:image/layers`,
//! `ocipipe:image/archives` and `ocipipe:image/changesets` by delegating to
//! the pure plans in `tar-assembly-core`.
//!
//! The world's bindings are generated once, in `tar-assembly-core`
//! ([`tar_assembly_core::wit`]), so every WIT type has one Rust definition
//! (the shared ones `ocipipe_sdk`'s, the world's own the core's) and values
//! cross the boundary without conversion. This crate implements the
//! world's `Guest` traits and exports them. No logic lives here.

use ocipipe_sdk::{Digest, Error, Segment};
use tar_assembly_core::wit::exports::ocipipe::image::{archives, changesets, layers};
use tar_assembly_core::{
    self as core, ArchiveFormat, ArchiveImage, BlobPlacement, Change, Entry, ImageStore,
    LayerOptions, Member, WrittenBlob,
};

struct TarAssembly;

impl layers::Guest for TarAssembly {
    fn plan_layer(entries: Vec<Entry>, options: LayerOptions) -> Result<Vec<Segment>, Error> {
        core::plan_layer(&entries, &options)
    }
}

impl archives::Guest for TarAssembly {
    fn blob_entry(
        format: ArchiveFormat,
        digest: Option<Digest>,
        ordinal: u32,
        size: u64,
        written: Vec<WrittenBlob>,
    ) -> Result<BlobPlacement, Error> {
        core::blob_entry(format, digest.as_deref(), ordinal, size, &written)
    }

    fn plan_archive(
        format: ArchiveFormat,
        images: Vec<ArchiveImage>,
        written: Vec<WrittenBlob>,
    ) -> Result<Vec<Segment>, Error> {
        core::plan_archive(format, &images, &written)
    }

    fn layers_to_omit(diff_ids: Vec<Digest>, bases: Vec<Vec<Digest>>) -> Vec<bool> {
        core::layers_to_omit(&diff_ids, &bases)
    }

    fn omits_layers(store: ImageStore) -> bool {
        core::omits_layers(store)
    }
}

impl changesets::Guest for TarAssembly {
    fn plan_changeset(members: Vec<Member>) -> Result<Vec<Change>, Error> {
        core::plan_changeset(&members)
    }
}

tar_assembly_core::wit::export!(TarAssembly);
