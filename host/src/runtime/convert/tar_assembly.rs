//! Conversions for the `tar-assembly` world: a plan's segments (WIT
//! `segment`, a variant whose `file` and `blob` cases are records, where
//! `model` has struct cases), alone or in a layout's files.

use crate::model::{LayoutFile, Segment};
use crate::runtime::bindings::tar_assembly::exports::ocipipe::image::archives;
use crate::runtime::bindings::tar_assembly::ocipipe::image::plans;

/// A plan a component answered.
pub(in crate::runtime) fn segments_from_wit(plan: Vec<plans::Segment>) -> Vec<Segment> {
    plan.into_iter()
        .map(|s| match s {
            plans::Segment::Bytes(b) => Segment::Bytes(b),
            plans::Segment::File(f) => Segment::File {
                path: f.path,
                size: f.size,
            },
            plans::Segment::Blob(b) => Segment::Blob {
                digest: b.digest,
                size: b.size,
            },
        })
        .collect()
}

/// The files of a layout a component answered.
pub(in crate::runtime) fn layout_files_from_wit(
    files: Vec<archives::LayoutFile>,
) -> Vec<LayoutFile> {
    files
        .into_iter()
        .map(|f| LayoutFile {
            path: f.path,
            contents: segments_from_wit(f.contents),
        })
        .collect()
}
