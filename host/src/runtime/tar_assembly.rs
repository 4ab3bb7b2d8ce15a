//! The tar-assembly operation's wrapper: layer tars, archives, layouts,
//! blob placement, incremental-load omissions and unpacking changesets,
//! called through the `tar-assembly` world.
//!
//! Must not: decide where a byte goes; conversions and contract checks
//! live in `convert::tar_assembly`.

use super::bindings::tar_assembly::{TarAssembly as World, TarAssemblyPre};
use super::bound::{Bound, bind};
use super::convert::digests_to_wit;
use super::convert::tar_assembly::{
    BlobRequest, chains_to_wit, changes_from_wit, entries_to_wit, format_to_wit, images_to_wit,
    layer_options_to_wit, layout_files_from_wit, members_to_wit, omissions_from_wit,
    placement_from_wit, segments_from_wit, written_to_wit,
};
use super::operations::TAR_ASSEMBLY;
use super::{Error, Sandbox};
use crate::model::{
    ArchiveFormat, ArchiveImage, BlobPlacement, Change, Digest, Entry, LayerOptions, LayoutFile,
    Member, Segment, WrittenBlob,
};

/// A loaded tar-assembly component.
pub struct TarAssembly(Bound<TarAssemblyPre<Sandbox>, World>);

bind!(TarAssembly, TAR_ASSEMBLY, TarAssemblyPre);

impl TarAssembly {
    /// The tar stream of one layer from the entries of a directory.
    pub fn plan_layer(
        &self,
        entries: &[Entry],
        options: LayerOptions,
    ) -> Result<Vec<Segment>, Error> {
        let entries = entries_to_wit(entries);
        self.0.invoke(
            "plan-layer",
            |w, s| {
                w.ocipipe_image_layers()
                    .call_plan_layer(s, &entries, layer_options_to_wit(options))
            },
            segments_from_wit,
        )
    }

    /// Where the `ordinal`-th blob the host writes, of `size` bytes, goes,
    /// given the blobs `written` so far: under a head (with a placeholder
    /// name when `digest` is not known yet), or nowhere because a blob of
    /// that digest is already stored. A `stored` answer is checked to
    /// name one of `written`.
    pub fn blob_entry(
        &self,
        format: ArchiveFormat,
        digest: Option<&Digest>,
        ordinal: u32,
        size: u64,
        written: &[WrittenBlob],
    ) -> Result<BlobPlacement, Error> {
        let wit_digest = digest.map(Digest::to_string);
        let wit_written = written_to_wit(written);
        let request = BlobRequest {
            format,
            digest,
            written,
        };
        self.0.invoke(
            "blob-entry",
            |w, s| {
                w.ocipipe_image_archives().call_blob_entry(
                    s,
                    format_to_wit(format),
                    wit_digest.as_ref(),
                    ordinal,
                    size,
                    &wit_written,
                )
            },
            |at, placement| placement_from_wit(at, &request, placement),
        )
    }

    /// Every entry of an archive except the `written` blobs, then the end.
    /// Not for [`ArchiveFormat::OciLayout`] (see [`Self::plan_layout`]).
    pub fn plan_archive(
        &self,
        format: ArchiveFormat,
        images: &[ArchiveImage],
        written: &[WrittenBlob],
    ) -> Result<Vec<Segment>, Error> {
        let (images, written) = (images_to_wit(images), written_to_wit(written));
        self.0.invoke(
            "plan-archive",
            |w, s| {
                w.ocipipe_image_archives().call_plan_archive(
                    s,
                    format_to_wit(format),
                    &images,
                    &written,
                )
            },
            segments_from_wit,
        )
    }

    /// The files of an OCI image layout directory except the `written`
    /// blobs (placed by [`Self::blob_entry`] with
    /// [`ArchiveFormat::OciLayout`]).
    pub fn plan_layout(
        &self,
        images: &[ArchiveImage],
        written: &[WrittenBlob],
    ) -> Result<Vec<LayoutFile>, Error> {
        let (images, written) = (images_to_wit(images), written_to_wit(written));
        self.0.invoke(
            "plan-layout",
            |w, s| {
                w.ocipipe_image_archives()
                    .call_plan_layout(s, &images, &written)
            },
            layout_files_from_wit,
        )
    }

    /// Which layers of an image (its `diff_ids`, bottom first) an
    /// incremental load may send as placeholders, given the diff IDs of
    /// the `bases` the engine has: one flag per layer (an answer of
    /// another length is a broken contract).
    pub fn layers_to_omit(
        &self,
        diff_ids: &[Digest],
        bases: &[Vec<Digest>],
    ) -> Result<Vec<bool>, Error> {
        let (wit_diff_ids, wit_bases) = (digests_to_wit(diff_ids), chains_to_wit(bases));
        self.0.call(
            "layers-to-omit",
            |w, s| {
                w.ocipipe_image_archives()
                    .call_layers_to_omit(s, &wit_diff_ids, &wit_bases)
            },
            |at, flags| omissions_from_wit(at, diff_ids.len(), flags),
        )
    }

    /// How one layer, given its `members` in tar order, changes the file
    /// system below it: removals first, then the members to apply. An
    /// answer out of that order, or applying a member twice or one that
    /// does not exist, is a broken contract.
    pub fn plan_changeset(&self, members: &[Member]) -> Result<Vec<Change>, Error> {
        let wit_members = members_to_wit(members);
        self.0.invoke(
            "plan-changeset",
            |w, s| {
                w.ocipipe_image_changesets()
                    .call_plan_changeset(s, &wit_members)
            },
            |at, changes| changes_from_wit(at, members.len(), changes),
        )
    }
}
