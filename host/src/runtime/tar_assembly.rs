//! The tar-assembly operation's wrapper: layer tars, archives, blob
//! placement, incremental-load omissions (and whether an engine takes
//! them) and unpacking changesets,
//! called through the `tar-assembly` world.
//!
//! Must not: decide where a byte goes; answers are checked in `checked`.

use super::Error;
use super::bound::{Bound, bind};
use super::checked::as_is;
use super::checked::tar_assembly::{self as check, BlobRequest};
use super::operations::TAR_ASSEMBLY;
use crate::model::{
    ArchiveFormat, ArchiveImage, BlobPlacement, Change, Digest, Entry, ImageStore, LayerOptions,
    Member, Segment, WrittenBlob,
};

/// A loaded tar-assembly component.
pub struct TarAssembly(Bound);

bind!(TarAssembly, TAR_ASSEMBLY);

/// The exported interface of layer tars.
const LAYERS: &str = "layers";
/// The exported interface of archives and blob placement.
const ARCHIVES: &str = "archives";
/// The exported interface of unpacking changesets.
const CHANGESETS: &str = "changesets";

impl TarAssembly {
    /// The tar stream of one layer from the entries of a directory.
    pub fn plan_layer(
        &self,
        entries: &[Entry],
        options: LayerOptions,
    ) -> Result<Vec<Segment>, Error> {
        self.0
            .answer((LAYERS, "plan-layer"), (entries, options), as_is)
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
        let request = BlobRequest { digest, written };
        self.0.answer(
            (ARCHIVES, "blob-entry"),
            (format, digest, ordinal, size, written),
            |at, placement| check::placement(at, &request, placement),
        )
    }

    /// Every entry of an archive except the `written` blobs, then the end.
    pub fn plan_archive(
        &self,
        format: ArchiveFormat,
        images: &[ArchiveImage],
        written: &[WrittenBlob],
    ) -> Result<Vec<Segment>, Error> {
        self.0
            .answer((ARCHIVES, "plan-archive"), (format, images, written), as_is)
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
        self.0.answer_plain(
            (ARCHIVES, "layers-to-omit"),
            (diff_ids, bases),
            |at, flags| check::omissions(at, diff_ids.len(), flags),
        )
    }

    /// Whether an incremental load into an engine keeping its images in
    /// `store` may leave any layer out.
    pub fn omits_layers(&self, store: ImageStore) -> Result<bool, Error> {
        self.0
            .answer_plain((ARCHIVES, "omits-layers"), (store,), as_is)
    }

    /// How one layer, given its `members` in tar order, changes the file
    /// system below it: removals first, then the members to apply. An
    /// answer out of that order, or applying a member twice or one that
    /// does not exist, is a broken contract.
    pub fn plan_changeset(&self, members: &[Member]) -> Result<Vec<Change>, Error> {
        self.0
            .answer((CHANGESETS, "plan-changeset"), (members,), |at, changes| {
                check::changeset(at, members.len(), changes)
            })
    }
}
