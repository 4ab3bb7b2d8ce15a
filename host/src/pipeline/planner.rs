//! The components as the planners the store's outputs and unpacking ask:
//! `store` never imports `runtime`, so the pipeline lends it the
//! tar-assembly component (archives, changesets) and the
//! manifest-generation component (a layout's `index.json`, for builds and
//! copies, and what a layout's documents say when it is read) through
//! `store`'s traits.

use crate::model::{
    ArchiveFormat, ArchiveImage, BlobPlacement, Change, Descriptor, Digest, ImageLayer, IndexEntry,
    ManifestContents, Member, Segment, WrittenBlob,
};
use crate::runtime::{ManifestGeneration, TarAssembly};
use crate::store::layout_writer::IndexPlanner;
use crate::store::sink::{ArchivePlanner, PlannerError};
use crate::store::source::LayoutReader;
use crate::store::unpack::ChangesetPlanner;

/// The tar-assembly component, planning outputs and changesets.
pub(super) struct Planner<'a>(pub(super) &'a TarAssembly);

impl ArchivePlanner for Planner<'_> {
    fn blob_entry(
        &self,
        format: ArchiveFormat,
        digest: Option<&Digest>,
        ordinal: u32,
        size: u64,
        written: &[WrittenBlob],
    ) -> Result<BlobPlacement, PlannerError> {
        Ok(self.0.blob_entry(format, digest, ordinal, size, written)?)
    }

    fn plan_archive(
        &self,
        format: ArchiveFormat,
        images: &[ArchiveImage],
        written: &[WrittenBlob],
    ) -> Result<Vec<Segment>, PlannerError> {
        Ok(self.0.plan_archive(format, images, written)?)
    }

    fn layers_to_omit(
        &self,
        diff_ids: &[Digest],
        bases: &[Vec<Digest>],
    ) -> Result<Vec<bool>, PlannerError> {
        Ok(self.0.layers_to_omit(diff_ids, bases)?)
    }
}

impl ChangesetPlanner for Planner<'_> {
    fn plan_changeset(&self, members: &[Member]) -> Result<Vec<Change>, PlannerError> {
        Ok(self.0.plan_changeset(members)?)
    }
}

/// The manifest-generation component, deciding a layout's `index.json`
/// and reading a layout's documents.
pub(crate) struct IndexPlanning<'a>(pub(super) &'a ManifestGeneration);

impl IndexPlanner for IndexPlanning<'_> {
    fn layout_index(
        &self,
        existing: Option<&[u8]>,
        root: &Descriptor,
        tag: Option<&str>,
        image_name: Option<&str>,
    ) -> Result<Vec<u8>, PlannerError> {
        Ok(self.0.layout_index(existing, root, tag, image_name)?.bytes)
    }
}

impl LayoutReader for IndexPlanning<'_> {
    fn index_entries(
        &self,
        media_type: Option<&str>,
        index: &[u8],
        name: Option<&str>,
    ) -> Result<Vec<IndexEntry>, PlannerError> {
        Ok(self.0.index_entries(media_type, index, name)?)
    }

    fn read_manifest(
        &self,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<ManifestContents, PlannerError> {
        Ok(self.0.read_manifest(media_type, bytes)?)
    }

    fn image_layers(
        &self,
        layers: &[Descriptor],
        config: &[u8],
    ) -> Result<Vec<ImageLayer>, PlannerError> {
        Ok(self.0.image_layers(layers, config)?)
    }
}
