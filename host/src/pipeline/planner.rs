//! The tar-assembly component as the planner the store's outputs and
//! unpacking ask: `store` never imports `runtime`, so the pipeline lends it
//! the component through `store`'s traits.

use crate::model::{
    ArchiveFormat, ArchiveImage, BlobPlacement, Change, Digest, LayoutFile, Member, Segment,
    WrittenBlob,
};
use crate::runtime::TarAssembly;
use crate::store::sink::{ArchivePlanner, PlannerError};
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

    fn plan_layout(
        &self,
        images: &[ArchiveImage],
        written: &[WrittenBlob],
    ) -> Result<Vec<LayoutFile>, PlannerError> {
        Ok(self.0.plan_layout(images, written)?)
    }
}

impl ChangesetPlanner for Planner<'_> {
    fn plan_changeset(&self, members: &[Member]) -> Result<Vec<Change>, PlannerError> {
        Ok(self.0.plan_changeset(members)?)
    }
}
