//! The manifest-generation operation's wrapper: platforms, image configs
//! and manifests, reading manifests and OCI layout indexes back for a
//! copy, and the decisions around pushing and pulling OCI artifacts,
//! called through the `manifest-generation` world.
//!
//! Must not: build, read or check a document itself (which media types
//! are manifests, which child of an index a platform means, how a layout's
//! `index.json` or a referrers index changes, what a layout's `oci-layout`
//! says, which entries of a page of referrers are listed, which answer
//! calls for the 1.0 form, what a pulled blob's file is called: the
//! component decides); answers are checked in `checked`.

use super::Error;
use super::bound::{Bound, bind};
use super::checked::{as_is, manifest_generation as check};
use super::operations::MANIFEST_GENERATION;
use crate::model::{
    ArtifactForm, ArtifactPlan, ArtifactRequest, ComponentWorld, ConfigEdits, ConfigRequest,
    Descriptor, Digest, Document, HostMachine, ImageLayer, IndexChild, IndexEntry,
    LayerCompression, ManifestContents, ManifestFormat, Platform, ReferrersPage, ReplacedChild,
};

/// A loaded manifest-generation component.
pub struct ManifestGeneration(Bound);

bind!(ManifestGeneration, MANIFEST_GENERATION);

/// The exported interface of image configs and platforms.
const CONFIGS: &str = "configs";
/// The exported interface of manifests, indexes and artifacts.
const MANIFESTS: &str = "manifests";

impl ManifestGeneration {
    /// A platform as a person writes it (`os/arch[/variant]`), normalised
    /// as containerd does; without `spec`, the platform of `host`.
    pub fn normalize_platform(
        &self,
        spec: Option<&str>,
        host: &HostMachine,
    ) -> Result<Platform, Error> {
        self.0
            .answer((CONFIGS, "normalize-platform"), (spec, host), as_is)
    }

    /// The image config; its digest is the image ID.
    pub fn image_config(&self, request: &ConfigRequest) -> Result<Document, Error> {
        self.0.answer((CONFIGS, "image-config"), (request,), as_is)
    }

    /// The image config `config` after `edits` (`image mutate`), with
    /// `image-config`'s rules and a history entry added. Since 0.3.0.
    pub fn edit_config(&self, config: &[u8], edits: &ConfigEdits) -> Result<Document, Error> {
        self.0
            .answer((CONFIGS, "edit-config"), (config, edits), as_is)
    }

    /// The platform an image config states: what an index lists the image
    /// with. Since 0.3.0.
    pub fn config_platform(&self, config: &[u8]) -> Result<Platform, Error> {
        self.0
            .answer((CONFIGS, "config-platform"), (config,), as_is)
    }

    /// A Docker schema2 manifest for a config and its layers; a config of
    /// media type `application/vnd.docker.plugin.v1+json` makes a managed
    /// plugin's manifest.
    pub fn docker_manifest(
        &self,
        config: &Descriptor,
        layers: &[Descriptor],
    ) -> Result<Document, Error> {
        self.0
            .answer((MANIFESTS, "docker-manifest"), (config, layers), as_is)
    }

    /// An OCI image index listing `manifests` (a copy of some platforms of
    /// an index lists the ones chosen).
    pub fn image_index(
        &self,
        manifests: &[Descriptor],
        annotations: &[(String, String)],
    ) -> Result<Document, Error> {
        self.0
            .answer((MANIFESTS, "image-index"), (manifests, annotations), as_is)
    }

    /// An OCI image manifest for a config and its layers.
    pub fn image_manifest(
        &self,
        config: &Descriptor,
        layers: &[Descriptor],
        annotations: &[(String, String)],
    ) -> Result<Document, Error> {
        let subject: Option<&Descriptor> = None;
        self.0.answer(
            (MANIFESTS, "image-manifest"),
            (config, layers, annotations, subject),
            as_is,
        )
    }

    /// The image manifest `manifest` listing `config` in place of its
    /// own, with `annotations` added; everything else kept. Since 0.3.0.
    pub fn edit_manifest(
        &self,
        manifest: &Document,
        config: &Descriptor,
        annotations: &[(String, String)],
    ) -> Result<Document, Error> {
        self.0.answer(
            (MANIFESTS, "edit-manifest"),
            (manifest, config, annotations),
            as_is,
        )
    }

    /// The index `index` listing each `replaced` child's new manifest in
    /// place of the old, with `annotations` added. Since 0.3.0.
    pub fn edit_index(
        &self,
        index: &Document,
        replaced: &[ReplacedChild],
        annotations: &[(String, String)],
    ) -> Result<Document, Error> {
        self.0.answer(
            (MANIFESTS, "edit-index"),
            (index, replaced, annotations),
            as_is,
        )
    }

    /// The index of `index create` (no `existing`) or `index append`:
    /// the existing entries, then `children`, with `annotations` added;
    /// duplicates refused. Since 0.3.0.
    pub fn plan_index(
        &self,
        existing: Option<&Document>,
        children: &[IndexChild],
        annotations: &[(String, String)],
    ) -> Result<Document, Error> {
        self.0.answer(
            (MANIFESTS, "plan-index"),
            (existing, children, annotations),
            as_is,
        )
    }

    /// The index `index` keeping the images of `platforms` (and their
    /// attestations); a platform it lacks is refused. Since 0.3.0.
    pub fn filter_index(
        &self,
        index: &Document,
        platforms: &[Platform],
    ) -> Result<Document, Error> {
        self.0
            .answer((MANIFESTS, "filter-index"), (index, platforms), as_is)
    }

    /// An OCI artifact manifest of `request` in `form` (1.1: the empty
    /// config and `artifactType`; 1.0: a config of the artifact's type).
    pub fn artifact_manifest(
        &self,
        request: &ArtifactRequest,
        form: ArtifactForm,
    ) -> Result<Document, Error> {
        self.0
            .answer((MANIFESTS, "artifact-manifest"), (request, form), as_is)
    }

    /// What the artifact manifest of `plan` must say: the artifact type
    /// and each file's descriptor as `plan.tool` writes them (oras's or
    /// compose's media types and annotations), annotations in order.
    pub fn plan_artifact(&self, plan: &ArtifactPlan) -> Result<ArtifactRequest, Error> {
        self.0
            .answer((MANIFESTS, "plan-artifact"), (plan,), |at, request| {
                check::artifact_request(at, plan, request)
            })
    }

    /// The blobs the artifact manifest of `request` in `form` refers to
    /// besides its files (the empty config `{}`), with their bytes: sent
    /// after the files, before the manifest.
    pub fn artifact_blobs(
        &self,
        request: &ArtifactRequest,
        form: ArtifactForm,
    ) -> Result<Vec<Document>, Error> {
        self.0
            .answer((MANIFESTS, "artifact-blobs"), (request, form), as_is)
    }

    /// The descriptor the referrers tag schema's index lists the pushed
    /// artifact manifest `manifest` of `request` by (its artifact type and
    /// annotations).
    pub fn artifact_referrer(
        &self,
        request: &ArtifactRequest,
        manifest: &Descriptor,
    ) -> Result<Descriptor, Error> {
        self.0.answer_plain(
            (MANIFESTS, "artifact-referrer"),
            (request, manifest),
            |at, referrer| check::referrer(at, manifest, referrer),
        )
    }

    /// What a manifest or index refers to. `media_type` is what the
    /// registry's `Content-Type` or the parent descriptor said (empty when
    /// nothing did); the component refuses Docker schema 1, other media
    /// types and malformed documents.
    pub fn read_manifest(&self, media_type: &str, bytes: &[u8]) -> Result<ManifestContents, Error> {
        self.0
            .answer((MANIFESTS, "read-manifest"), (media_type, bytes), as_is)
    }

    /// The referrers one page of a listing holds (a referrers API answer,
    /// or the index at the referrers tag): the valid entries, and what is
    /// wrong with each other one, so that one bad entry hides no other.
    pub fn read_referrers(&self, page: &[u8]) -> Result<ReferrersPage, Error> {
        self.0.answer((MANIFESTS, "read-referrers"), (page,), as_is)
    }

    /// Which of an index's `manifests` to copy for `wanted` (containerd's
    /// default matcher); the answer is one of `manifests`, unchanged. No
    /// match is a refusal that lists the platforms the index has.
    pub fn select_platform(
        &self,
        manifests: &[Descriptor],
        wanted: &Platform,
    ) -> Result<Descriptor, Error> {
        self.0.answer(
            (MANIFESTS, "select-platform"),
            (manifests, wanted),
            |at, chosen| check::chosen(at, manifests, chosen),
        )
    }

    /// The `index.json` of an OCI image layout after adding `manifest`
    /// (tagged `tag`, or named `image_name` as a build names its image,
    /// when given), as skopeo's `oci:` destination writes it; `existing`
    /// is the layout's current `index.json`, none for a new layout.
    pub fn layout_index(
        &self,
        existing: Option<&[u8]>,
        manifest: &Descriptor,
        tag: Option<&str>,
        image_name: Option<&str>,
    ) -> Result<Document, Error> {
        self.0.answer(
            (MANIFESTS, "layout-index"),
            (existing, manifest, tag, image_name),
            as_is,
        )
    }

    /// The entry of a layout's `index.json` that `oci:PATH[:TAG]` means:
    /// the one tagged `tag`, or without a tag the only one.
    pub fn layout_entry(&self, index: &[u8], tag: Option<&str>) -> Result<Descriptor, Error> {
        self.0
            .answer((MANIFESTS, "layout-entry"), (index, tag), as_is)
    }

    /// The tags an `oci:PATH:TAG` source can name in a layout's
    /// `index.json`, in order, each once.
    pub fn layout_tags(&self, index: &[u8]) -> Result<Vec<String>, Error> {
        self.0
            .answer((MANIFESTS, "layout-tags"), (index,), check::layout_tags)
    }

    /// The `oci-layout` of an OCI image layout: without `existing`, the
    /// bytes a new layout's holds; with an existing layout's, those bytes
    /// back once the component has accepted them (it refuses a version it
    /// does not read, naming what it found).
    pub fn layout_marker(&self, existing: Option<&[u8]>) -> Result<Vec<u8>, Error> {
        self.0
            .answer((MANIFESTS, "layout-marker"), (existing,), |at, marker| {
                check::layout_marker(at, existing, marker)
            })
    }

    /// Whether a registry's answer to an OCI 1.1 manifest push calls for a
    /// retry in the 1.0 form: `status` is the HTTP status, `code` the
    /// distribution error code of the answer's first error, if any.
    pub fn fallback_form(
        &self,
        status: u16,
        code: Option<&str>,
    ) -> Result<Option<ArtifactForm>, Error> {
        self.0
            .answer_plain((MANIFESTS, "fallback-form"), (status, code), as_is)
    }

    /// The file name each of an artifact's blobs is pulled to, in order of
    /// `layers`: one plain file name per blob, no two alike. Blobs without
    /// a name, or with an unsafe one, are a refusal naming the blob.
    pub fn artifact_file_names(&self, layers: &[Descriptor]) -> Result<Vec<String>, Error> {
        self.0.answer(
            (MANIFESTS, "artifact-file-names"),
            (layers,),
            |at, names| check::file_names(at, layers.len(), names),
        )
    }

    /// The tag under which the OCI referrers tag schema lists the
    /// referrers of `subject` (`sha256-<hex>`), for registries without the
    /// referrers API.
    pub fn referrers_tag(&self, subject: &Digest) -> Result<String, Error> {
        self.0
            .answer_plain((MANIFESTS, "referrers-tag"), (subject,), check::tag)
    }

    /// The image index to push to the referrers tag after pushing
    /// `referrer` (the descriptor of a manifest with a `subject`, with its
    /// artifact type and annotations); `existing` is the index at that tag
    /// now, none when the tag does not exist.
    pub fn referrers_index(
        &self,
        existing: Option<&[u8]>,
        referrer: &Descriptor,
    ) -> Result<Document, Error> {
        self.0
            .answer((MANIFESTS, "referrers-index"), (existing, referrer), as_is)
    }
}

/// Layers and listings: which media type a layer gets, what an image's
/// layers are, which of its blobs a copy transfers, which entries of an
/// index are images; a component as an artifact.
impl ManifestGeneration {
    /// The blobs of the WebAssembly component of digest `wasm` and `size`
    /// bytes that implements `world`, pushed as an OCI artifact (the CNCF
    /// wasm layout): the wasm config document, and the layer.
    pub fn component_blobs(
        &self,
        wasm: &Digest,
        size: u64,
        world: &ComponentWorld,
    ) -> Result<(Document, Descriptor), Error> {
        self.0.answer(
            (MANIFESTS, "component-blobs"),
            (wasm, size, world),
            |at, artifact| check::component_artifact(at, (wasm, size), artifact),
        )
    }

    /// The blobs a copy of the image manifest listing `config` and
    /// `layers` transfers with it, in order, each once: the config and
    /// every layer but the foreign ones (the component decides which).
    pub fn copied_blobs(
        &self,
        config: &Descriptor,
        layers: &[Descriptor],
    ) -> Result<Vec<Descriptor>, Error> {
        self.0.answer_plain(
            (MANIFESTS, "copied-blobs"),
            (config, layers),
            |at, blobs| check::copied_blobs(at, config, layers, blobs),
        )
    }

    /// The layer holding the component of a wasm component artifact whose
    /// manifest lists `config` and `layers`; refused when it has not
    /// exactly one.
    pub fn component_layer(
        &self,
        config: &Descriptor,
        layers: &[Descriptor],
    ) -> Result<Descriptor, Error> {
        self.0.answer(
            (MANIFESTS, "component-layer"),
            (config, layers),
            |at, layer| check::component_layer(at, layers, layer),
        )
    }

    /// Whether a base layer stored with `stored` compression (its digest
    /// known) is pushed as it is stored, rather than made again as the
    /// build's own layers are.
    pub fn base_layer_as_stored(&self, stored: LayerCompression) -> Result<bool, Error> {
        self.0
            .answer_plain((MANIFESTS, "base-layer-as-stored"), (stored,), as_is)
    }

    /// The media type of a layer stored with `compression` in a manifest
    /// of `format`.
    pub fn layer_media_type(
        &self,
        compression: LayerCompression,
        format: ManifestFormat,
    ) -> Result<String, Error> {
        self.0.answer_plain(
            (MANIFESTS, "layer-media-type"),
            (compression, format),
            as_is,
        )
    }

    /// The layers of an image whose manifest lists `layers` and whose
    /// config is `config`: how each is compressed and its `diff_id`.
    pub fn image_layers(
        &self,
        layers: &[Descriptor],
        config: &[u8],
    ) -> Result<Vec<ImageLayer>, Error> {
        self.0
            .answer((MANIFESTS, "image-layers"), (layers, config), |at, read| {
                check::image_layers(at, layers, read)
            })
    }

    /// The entries of the index `index`, in order, for reading every image
    /// of a layout: what each is (an image, an index, anything else) and
    /// its name. Without `media_type`, `index` is a layout's `index.json`;
    /// entries without a name of their own are called `name`.
    pub fn index_entries(
        &self,
        media_type: Option<&str>,
        index: &[u8],
        name: Option<&str>,
    ) -> Result<Vec<IndexEntry>, Error> {
        self.0.answer(
            (MANIFESTS, "index-entries"),
            (media_type, index, name),
            as_is,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Components, Limits, Runtime, Source};
    use super::*;
    use std::sync::Arc;

    fn with_built_in(test: impl FnOnce(&ManifestGeneration)) {
        let runtime = Arc::new(Runtime::new(Limits::default(), None).unwrap());
        let components = Components::new(runtime, |_| Source::Builtin);
        test(components.get::<ManifestGeneration>().unwrap());
    }

    #[test]
    fn a_layout_is_read_through_the_built_in_component() {
        with_built_in(|mg| {
            let layer_type = mg
                .layer_media_type(LayerCompression::Gzip, ManifestFormat::Oci)
                .unwrap();
            let layer = Descriptor::new(layer_type, Digest::sha256(b"gz"), 2);
            let diff_id = Digest::sha256(b"tar");
            let config = format!(r#"{{"rootfs":{{"type":"layers","diff_ids":["{diff_id}"]}}}}"#);
            let read = mg
                .image_layers(std::slice::from_ref(&layer), config.as_bytes())
                .unwrap();
            assert_eq!(read[0].descriptor, layer);
            assert_eq!(read[0].compression, LayerCompression::Gzip);
            assert_eq!(read[0].diff_id, diff_id);

            let manifest = mg
                .image_manifest(
                    &Descriptor::new("", Digest::sha256(b"{}"), 2),
                    &[layer],
                    &[],
                )
                .unwrap();
            let mut entry = manifest.descriptor.clone();
            entry.annotations = vec![("io.containerd.image.name".into(), "app:1".into())];
            let index = mg.layout_index(None, &entry, None, None).unwrap();
            let entries = mg.index_entries(None, &index.bytes, None).unwrap();
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].kind, crate::model::IndexEntryKind::Image);
            assert_eq!(entries[0].name.as_deref(), Some("app:1"));
            assert_eq!(entries[0].manifest.digest, manifest.descriptor.digest);
        });
    }

    #[test]
    fn a_component_artifact_round_trips_through_the_built_in_component() {
        with_built_in(|mg| {
            let wasm = Digest::sha256(b"\0asm");
            let world = ComponentWorld {
                target: "ocipipe:image/tagging@0.1.0".into(),
                imports: Vec::new(),
                exports: vec!["ocipipe:image/naming@0.1.0".into()],
            };
            let (config, layer) = mg.component_blobs(&wasm, 4, &world).unwrap();
            let read: serde_json::Value = serde_json::from_slice(&config.bytes).unwrap();
            assert_eq!(read["component"]["target"], world.target);
            assert_eq!(read["layerDigests"][0], wasm.as_str());
            assert_eq!((&layer.digest, layer.size), (&wasm, 4));
            let config = config.descriptor;
            let chosen = mg
                .component_layer(&config, std::slice::from_ref(&layer))
                .unwrap();
            assert_eq!(chosen, layer);
            let refused = mg.component_layer(&config, &[]).unwrap_err();
            assert!(matches!(
                refused,
                Error::Refused {
                    kind: "unsupported",
                    ..
                }
            ));
        });
    }
}
