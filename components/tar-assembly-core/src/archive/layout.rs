//! The `OciLayout` output: the files of an OCI image layout directory.

use super::blob::blob_path;
use super::catalog::{Catalog, Digests};
use super::documents::{OCI_LAYOUT, index_json};
use super::{ArchiveImage, LayoutFile, WrittenBlob};
use crate::{BlobRef, Error, Segment};

/// The files of an OCI image layout directory except the `written` blobs
/// (placed by [`super::blob_entry`] with `OciLayout`); see the [module
/// documentation](super).
pub fn plan_layout(
    images: &[ArchiveImage],
    written: &[WrittenBlob],
) -> Result<Vec<LayoutFile>, Error> {
    let catalog = Catalog::new(images, Digests::Any)?;
    catalog.refuse_omitted("an OCI image layout")?;
    let skip = catalog.written_by_digest(written)?;
    let mut files: Vec<LayoutFile> = catalog
        .blobs
        .iter()
        .filter(|blob| !skip.contains(blob.digest))
        .map(|blob| LayoutFile {
            path: blob_path(blob.digest),
            contents: vec![match blob.document {
                Some(bytes) => Segment::Bytes(bytes.to_vec()),
                None => Segment::Blob(BlobRef {
                    digest: blob.digest.to_owned(),
                    size: blob.size,
                }),
            }],
        })
        .collect();
    files.push(LayoutFile {
        path: "oci-layout".to_owned(),
        contents: vec![Segment::Bytes(OCI_LAYOUT.to_vec())],
    });
    files.push(LayoutFile {
        path: "index.json".to_owned(),
        contents: vec![Segment::Bytes(index_json(images))],
    });
    Ok(files)
}
