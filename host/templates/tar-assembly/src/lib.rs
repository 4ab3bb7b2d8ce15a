//! {{crate}}: an ocipipe `tar-assembly` component (the world
//! `ocipipe:image/tar-assembly@{{wit}}`, whose WIT is in `wit/`).
//!
//! Every function answers what the next implementation answers: `next` is
//! the WIT import of the same interface, which ocipipe links to the
//! built-in (or to the component named before this one with
//! `--component tar-assembly=…`). Change the answers you need; the rest
//! stay the built-in's. Which command calls which function: `ocipipe
//! contract`.

use ocipipe_sdk::{Digest, Error, Segment};
use tar_assembly_core::wit::exports::ocipipe::image::{archives, changesets, layers};
use tar_assembly_core::wit::ocipipe::image::archives as next_archives;
use tar_assembly_core::wit::ocipipe::image::changesets as next_changesets;
use tar_assembly_core::wit::ocipipe::image::layers as next_layers;

struct Component;

impl layers::Guest for Component {
    fn plan_layer(
        entries: Vec<layers::Entry>,
        options: layers::LayerOptions,
    ) -> Result<Vec<Segment>, Error> {
        next_layers::plan_layer(&entries, options_for(options))
    }
}

impl archives::Guest for Component {
    fn blob_entry(
        format: archives::ArchiveFormat,
        digest: Option<Digest>,
        ordinal: u32,
        size: u64,
        written: Vec<archives::WrittenBlob>,
    ) -> Result<archives::BlobPlacement, Error> {
        next_archives::blob_entry(format, digest.as_deref(), ordinal, size, &written)
    }

    fn plan_archive(
        format: archives::ArchiveFormat,
        images: Vec<archives::ArchiveImage>,
        written: Vec<archives::WrittenBlob>,
    ) -> Result<Vec<Segment>, Error> {
        next_archives::plan_archive(format, &images, &written)
    }

    fn layers_to_omit(diff_ids: Vec<Digest>, bases: Vec<Vec<Digest>>) -> Vec<bool> {
        next_archives::layers_to_omit(&diff_ids, &bases)
    }

    fn omits_layers(store: archives::ImageStore) -> bool {
        next_archives::omits_layers(store)
    }
}

impl changesets::Guest for Component {
    fn plan_changeset(members: Vec<changesets::Member>) -> Result<Vec<changesets::Change>, Error> {
        next_changesets::plan_changeset(&members)
    }
}

/// How a layer's headers are normalised, from what the host asked: the
/// place to change an answer. As it is, as asked.
fn options_for(options: layers::LayerOptions) -> layers::LayerOptions {
    // Every entry dated the epoch, whatever SOURCE_DATE_EPOCH says.
    // return layers::LayerOptions { mtime: 0, ..options };
    options
}

tar_assembly_core::wit::export!(Component);

#[cfg(test)]
mod tests {
    use super::{layers::LayerOptions, options_for};

    #[test]
    fn options_stay_as_asked() {
        let asked = LayerOptions {
            mtime: 1_700_000_000,
            keep_owner: false,
        };
        // Dated the epoch, as in the comment: mtime 0 here.
        assert_eq!(options_for(asked).mtime, 1_700_000_000);
    }
}
