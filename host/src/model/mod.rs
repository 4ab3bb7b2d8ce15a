//! Domain types shared by the host's modules: what a reference, digest or
//! descriptor is, independent of WIT bindings and of any backend. The
//! runtime converts generated binding types to and from these.

mod archive;
mod changeset;
mod descriptor;
pub mod destination;
mod digest;
mod layer;
mod manifest;
mod plugin;
mod progress;
mod reference;
mod text;

pub use archive::{
    ArchiveFormat, ArchiveImage, ArchiveLayer, BlobHead, BlobPlacement, LayoutFile, WrittenBlob,
};
pub use changeset::{Change, Member, MemberKind};
pub use descriptor::{ConfigRequest, Descriptor, Document, History, HostMachine, Platform};
pub use digest::{Digest, DigestError};
pub use layer::{Entry, EntryKind, LayerOptions, Segment};
pub use manifest::{ArtifactForm, ArtifactRequest, ManifestContents, ReferrersPage};
pub use plugin::{PRIVILEGE_NAMES, Privilege};
pub use progress::{Progress, Quiet};
pub use reference::{AnyReference, Reference};
pub use text::{json_line, one_line, printable};
