//! The `Docker` format: a `docker load` archive whose layer names come from
//! ordinals, not digests, so layers can be streamed before they are hashed;
//! layers the engine has may be zero-length placeholders.

use std::collections::{BTreeSet, HashMap};

use super::blob::{encoded, layer_path, parse_layer_path};
use super::catalog::{Catalog, Digests};
use super::documents::{document_entry, manifest_json};
use super::{ArchiveImage, WrittenBlob};
use crate::header::{self, Header};
use crate::plan::PlanBuilder;
use crate::{Error, Segment};

/// `<config-hex>.json`, where `docker save` puts a config.
fn config_path(image: &ArchiveImage) -> String {
    format!("{}.json", encoded(&image.config.descriptor.digest))
}

/// The plan (see the [module documentation](super)).
pub(super) fn plan(
    images: &[ArchiveImage],
    written: &[WrittenBlob],
) -> Result<Vec<Segment>, Error> {
    let catalog = Catalog::new(images, Digests::Sha256)?;
    // Paths of layers the host wrote, and the ordinals they use.
    let mut paths: HashMap<&str, String> = HashMap::new();
    let mut used = BTreeSet::new();
    for w in written {
        let what = format!("written blob {:?}", w.digest);
        Digests::Sha256.check(&w.digest, &what)?;
        if !catalog.is_layer(&w.digest) {
            return Err(Error::invalid(format!(
                "{what} is not a layer of any image (in the docker format the host writes layers only)"
            )));
        }
        let ordinal = parse_layer_path(&w.path).ok_or_else(|| {
            Error::invalid(format!(
                "{what} was written at {:?}, which is not a path blob-entry gives in the docker format (layer-<ordinal>.tar)",
                w.path
            ))
        })?;
        if !used.insert(ordinal) {
            return Err(Error::invalid(format!(
                "{what}: another written blob is at {:?} too",
                w.path
            )));
        }
        // The same layer written twice (a repeated layer streamed before
        // it was hashed): both copies hold the same bytes; `manifest.json`
        // names the first.
        paths
            .entry(w.digest.as_str())
            .or_insert_with(|| w.path.clone());
    }

    let mut plan = PlanBuilder::new();
    let mut configs_done = BTreeSet::new();
    let mut next_ordinal: u32 = 0;
    let mut blanks: u32 = 0;
    for image in images {
        if configs_done.insert(image.config.descriptor.digest.as_str()) {
            document_entry(&mut plan, &config_path(image), &image.config.bytes)?;
        }
        for layer in &image.layers {
            let digest = layer.descriptor.digest.as_str();
            if paths.contains_key(digest) {
                continue;
            }
            let blob = catalog.get(digest).expect("every layer is in the catalog");
            let path = if blob.stored {
                while used.contains(&next_ordinal) {
                    next_ordinal += 1;
                }
                used.insert(next_ordinal);
                layer_path(next_ordinal)
            } else {
                blanks += 1;
                format!("blank-{}.tar", blanks - 1)
            };
            let size = if blob.stored { blob.size } else { 0 };
            plan.bytes(&header::encode(&Header::archive(
                &path,
                header::TYPE_REG,
                size,
            ))?);
            if blob.stored {
                plan.blob(digest, blob.size);
            }
            paths.insert(digest, path);
        }
    }
    let manifest = manifest_json(images, config_path, |digest| paths[digest].clone());
    document_entry(&mut plan, "manifest.json", &manifest)?;
    Ok(plan.finish())
}
