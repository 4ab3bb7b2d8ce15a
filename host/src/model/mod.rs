//! Domain types shared by the host's modules: what a reference, digest or
//! descriptor is, independent of any backend. A type with the shape of a
//! WIT record, variant or enum crosses the sandbox as itself: it derives
//! wasmtime's component traits, with the names the WIT spells (a
//! [`Digest`] implements them by hand, to be validated as it is lifted),
//! and `runtime` calls components with it and takes their answers as it,
//! converting none.

mod archive;
mod changeset;
mod descriptor;
pub mod destination;
mod digest;
mod edit;
mod layer;
mod manifest;
mod plugin;
mod progress;
mod reference;
mod tag_filter;
mod text;

pub use archive::{
    ArchiveFormat, ArchiveImage, ArchiveLayer, BlobHead, BlobPlacement, ImageStore, WrittenBlob,
};
pub use changeset::{Change, Member, MemberKind};
pub use descriptor::{ConfigRequest, Descriptor, Document, History, HostMachine, Platform};
pub use digest::{Digest, DigestError};
pub use edit::{ConfigEdits, IndexChild, ReplacedChild};
pub use layer::{BlobRef, Entry, EntryKind, FileRef, LayerOptions, Segment};
pub use manifest::{
    ArtifactFile, ArtifactForm, ArtifactPlan, ArtifactRequest, ArtifactTool, ComponentArtifact,
    ComponentWorld, ImageContents, ImageLayer, IndexContents, IndexEntry, IndexEntryKind,
    LayerCompression, ManifestContents, ManifestFormat, ReferrersPage,
};
pub use plugin::{Grants, PRIVILEGE_NAMES, Privilege};
pub use progress::{Progress, Quiet, Together};
pub use reference::{AnyReference, Reference};
pub use tag_filter::{FilterError, FilterField, TagFilter};
pub use text::{json_line, one_line, printable};
