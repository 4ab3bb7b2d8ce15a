//! A `docker load` archive as a source: `docker save`'s layout or ocipipe's
//! dual-format one, indexed and checked by [`crate::store::archive`] (every
//! name safe, `manifest.json` naming only regular entries, configs matching
//! the digests their names claim). Each layer is read in place: a slice of
//! the archive file, never copied.

use super::{Compression, Error, ImageSource, SourceImage, SourceLayer};
use crate::model::{Descriptor, Digest, Document};
use crate::store::archive::{ArchiveIndex, MAX_CONFIG_BYTES};
use crate::store::plan::LayerSource;
use crate::store::tar::{read_prefix, sniff};
use std::path::Path;

/// A docker archive says nothing of its config's media type: the
/// descriptor has none, and the component that writes a manifest for the
/// image decides it (`image-manifest` in `wit/manifest-generation.wit`).
const CONFIG_MEDIA_TYPE: &str = "";

/// An indexed archive file.
pub struct ArchiveSource {
    index: ArchiveIndex,
}

impl ArchiveSource {
    /// Scans the archive at `path` (one pass over its headers).
    pub fn open(path: &Path) -> Result<Self, Error> {
        Self::open_as(path, path)
    }

    /// [`Self::open`], errors naming the archive `name` (e.g. `standard
    /// input`, for a spooled copy).
    pub fn open_as(path: &Path, name: &Path) -> Result<Self, Error> {
        Ok(Self {
            index: ArchiveIndex::scan_as(path, name)?,
        })
    }

    /// The index, for what only an archive has.
    pub fn index(&self) -> &ArchiveIndex {
        &self.index
    }

    /// A layer entry: where its bytes are and how they are compressed.
    fn layer(&self, name: &str, diff_id: Digest) -> Result<SourceLayer, Error> {
        let (target, entry) = self.index.resolve(name, "manifest.json (Layers)")?;
        let (offset, size) = (entry.offset, entry.size);
        let mut magic = [0u8; 4];
        let got =
            read_prefix(&mut self.index.open(target)?, &mut magic).map_err(|source| Error::Io {
                path: self.index.shown().to_path_buf(),
                source,
            })?;
        let compression = sniff(&magic[..got]);
        Ok(SourceLayer {
            digest: (compression == Compression::None && size > 0).then(|| diff_id.clone()),
            size,
            diff_id,
            compression,
            blob: LayerSource::Slice {
                path: self.index.path().to_path_buf(),
                offset,
                size,
            },
        })
    }
}

impl ImageSource for ArchiveSource {
    fn images(&self) -> Result<Vec<SourceImage>, Error> {
        let mut images = Vec::new();
        for image in self.index.images()? {
            let diff_ids = self.index.diff_ids(&image)?;
            let config = self.index.read_small(
                &image.config_path,
                MAX_CONFIG_BYTES,
                "manifest.json (Config)",
            )?;
            let layers = image
                .layers
                .iter()
                .zip(diff_ids)
                .map(|(name, diff_id)| self.layer(name, diff_id))
                .collect::<Result<_, _>>()?;
            images.push(SourceImage {
                config: Document {
                    descriptor: Descriptor::new(
                        CONFIG_MEDIA_TYPE,
                        Digest::sha256(&config),
                        config.len() as u64,
                    ),
                    bytes: config,
                },
                manifest: None,
                layers,
                repo_tags: image.repo_tags,
            });
        }
        Ok(images)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{Image, TarBuilder, gzip, legacy_files, tar_of, write};

    #[test]
    fn layers_are_slices_of_the_archive_with_their_compression() {
        let dir = tempfile::tempdir().unwrap();
        let plain = TarBuilder::new().file("a", b"plain").finish();
        let zipped = gzip(&TarBuilder::new().file("b", b"zipped").finish());
        let files = legacy_files(&[Image {
            tags: &["app:1"],
            layers: vec![plain.clone(), zipped.clone()],
        }]);
        let path = write(dir.path(), "a.tar", &tar_of(&files));
        let images = ArchiveSource::open(&path).unwrap().images().unwrap();
        assert_eq!(images.len(), 1);
        let image = &images[0];
        assert_eq!(image.repo_tags, ["app:1"]);
        assert_eq!(
            image.config.descriptor.digest,
            Digest::sha256(&image.config.bytes)
        );
        let [first, second] = &image.layers[..] else {
            panic!("two layers")
        };
        assert_eq!(first.compression, Compression::None);
        assert_eq!(first.digest, Some(Digest::sha256(&plain)));
        assert_eq!(second.compression, Compression::Gzip);
        assert_eq!(
            second.digest, None,
            "a compressed layer's digest is not known unread"
        );
        for (layer, bytes) in [(first, &plain), (second, &zipped)] {
            let LayerSource::Slice { path, offset, size } = &layer.blob else {
                panic!("{:?}", layer.blob)
            };
            let all = std::fs::read(path).unwrap();
            assert_eq!(
                &all[*offset as usize..(*offset + *size) as usize],
                &bytes[..]
            );
        }
    }
}
