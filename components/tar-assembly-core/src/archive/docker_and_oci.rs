//! The `DockerAndOci` format: one tar that is both a `docker load` archive
//! and an OCI image layout, every blob once at `blobs/sha256/<hex>`; and
//! `OciArchive`, the same without `manifest.json`.

use super::blob::blob_path;
use super::catalog::{Catalog, Digests};
use super::documents::{OCI_LAYOUT, document_entry, index_json, manifest_json};
use super::{ArchiveImage, WrittenBlob};
use crate::header::{self, Header};
use crate::plan::PlanBuilder;
use crate::{Error, Segment};

/// The plan (see the [module documentation](super)); `manifest.json`
/// only `for_docker`.
pub(super) fn plan(
    images: &[ArchiveImage],
    written: &[WrittenBlob],
    for_docker: bool,
) -> Result<Vec<Segment>, Error> {
    let catalog = Catalog::new(images, Digests::Sha256)?;
    catalog.refuse_omitted(if for_docker {
        "the docker-and-oci format"
    } else {
        "the oci-archive format"
    })?;
    let skip = catalog.written_by_digest(written)?;

    let mut plan = PlanBuilder::new();
    for dir in ["blobs/", "blobs/sha256/"] {
        plan.bytes(&header::encode(&Header::archive(dir, header::TYPE_DIR, 0))?);
    }
    for blob in &catalog.blobs {
        if skip.contains(blob.digest) {
            continue;
        }
        let path = blob_path(blob.digest);
        plan.bytes(&header::encode(&Header::archive(
            &path,
            header::TYPE_REG,
            blob.size,
        ))?);
        match blob.document {
            Some(bytes) => plan.data(bytes),
            None => plan.blob(blob.digest, blob.size),
        }
    }
    document_entry(&mut plan, "oci-layout", OCI_LAYOUT)?;
    document_entry(&mut plan, "index.json", &index_json(images))?;
    if !for_docker {
        return Ok(plan.finish());
    }
    let manifest = manifest_json(
        images,
        |image| blob_path(&image.config.descriptor.digest),
        blob_path,
    );
    document_entry(&mut plan, "manifest.json", &manifest)?;
    Ok(plan.finish())
}
