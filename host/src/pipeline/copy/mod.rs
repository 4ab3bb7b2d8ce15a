//! `ocipipe copy SRC DST`: images between registries, OCI layouts,
//! `docker load` archives and the engine.
//!
//! Between registries and layouts the copy is content-addressed and byte
//! for byte: manifests and blobs keep their digests, an index is copied
//! whole (or one platform of it). Each blob is looked for at the
//! destination first and skipped when there, mounted from another
//! repository of the same registry, or streamed, several at once; the
//! manifests go last, children before their index, so a tag never points
//! at something missing. An archive or the engine, which hold no
//! manifests of their own and keep layer tars, take the one image by the
//! one sequence, each layer streamed from the source and checked against
//! the diff_id its config names (see `transfer`): an archive appears
//! whole or not at all, and a load cut short loads nothing.
//!
//! Decisions are the manifest-generation component's: what a manifest
//! refers to, which platform of an index, what a layout's `index.json`
//! says, which of its entries a tag names.

mod base;
#[cfg(test)]
mod conformance;
mod edit;
mod index;
pub(crate) mod referrers;
mod source;
mod transfer;

pub use base::base_image;
pub use edit::{Edited, EditedImage, Mutation, mutate};
pub use index::{index_create, index_filter};
pub use referrers::{MAX_DEPTH as MAX_REFERRER_DEPTH, Referrers, ReferrersCopied, copy_referrers};

use super::Error;
use super::build::Operations;
use super::tag::identifier;
use crate::docker::Engine;
use crate::model::destination::{BlobBytes, Destination, Moved, put_known as put_known_blob};
use crate::model::{AnyReference, Descriptor, Digest, Document, ManifestContents, Reference};
use crate::registry::{
    CredentialStore, Registry, Repository, RepositoryDestination, Scope, Transports,
};
use source::Source;
pub(crate) use source::{Chosen, archive_image_id, chosen_platforms};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// An image location, in skopeo's transport terms.
#[derive(Debug, Clone)]
pub enum Location {
    /// `docker://`: a registry; the reference normalised.
    Registry(Reference),
    /// `docker-daemon:`: the engine; a name normalised with a tag, or (as
    /// a source) an image ID.
    Daemon(AnyReference),
    /// `docker-archive:PATH[:NAME]`.
    Archive {
        /// The archive file.
        path: PathBuf,
        /// The image's name in it.
        name: Option<Reference>,
    },
    /// `oci:PATH[:TAG]`.
    Layout {
        /// The layout directory.
        path: PathBuf,
        /// The `org.opencontainers.image.ref.name` of its entry.
        tag: Option<String>,
    },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Registry(r) => write!(f, "docker://{}", r.full),
            Location::Daemon(r) => write!(f, "docker-daemon:{}", r.for_engine()),
            Location::Archive { path, name } => {
                write!(f, "docker-archive:{}", path.display())?;
                match name {
                    Some(name) => write!(f, ":{}", name.familiar),
                    None => Ok(()),
                }
            }
            Location::Layout { path, tag } => {
                write!(f, "oci:{}", path.display())?;
                match tag {
                    Some(tag) => write!(f, ":{tag}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// How registries are reached.
#[derive(Debug, Clone)]
pub struct RegistryAccess {
    /// Where credentials come from.
    pub credentials: CredentialStore,
    /// Hosts spoken to in plain HTTP besides loopback.
    pub insecure: Vec<String>,
    /// The HTTP client of each host and the retry policy.
    pub transports: Transports,
    /// Blobs sent at once per copy.
    pub jobs: usize,
    /// Each registry made once for the whole run, so that the copies of a
    /// run (a `sync` copies many) share its challenge, tokens and
    /// connections.
    made: Arc<Mutex<Made>>,
}

/// The registries of a run, by domain.
#[derive(Default)]
struct Made(HashMap<String, Arc<Registry>>);

impl std::fmt::Debug for Made {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl RegistryAccess {
    /// Registries reached with `credentials`, in plain HTTP for
    /// `insecure` hosts besides loopback, through `transports`, `jobs`
    /// blobs at once per copy.
    pub fn new(
        credentials: CredentialStore,
        insecure: Vec<String>,
        transports: Transports,
        jobs: usize,
    ) -> Self {
        Self {
            credentials,
            insecure,
            transports,
            jobs,
            made: Arc::default(),
        }
    }
}

/// What `copy` needs besides its locations.
pub struct CopyContext<'a> {
    /// The components and progress.
    pub ops: &'a Operations<'a>,
    /// The async runtime registry and engine I/O runs on.
    pub runtime: &'a tokio::runtime::Runtime,
    /// The engine, connected when a location needs it.
    pub engine: Option<&'a Engine>,
    /// Registries.
    pub access: &'a RegistryAccess,
    /// Which platforms of an index, normalised: none, every one (the index
    /// as it is); one (`--platform`), that platform's image; several, a new
    /// index of theirs.
    pub platforms: Vec<crate::model::Platform>,
    /// `--compression`: how layers stored uncompressed (in an archive, the
    /// engine, a layout) are sent to a registry or a layout; none keeps
    /// every blob as it is.
    pub compression: Option<crate::store::compress::LayerCompression>,
}

/// What a copy did, per image copied.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Copied {
    /// The manifest digest at the destination (none in the engine, which
    /// keeps no manifest).
    pub digest: Option<Digest>,
    /// The image ID (config digest), for one image; none for an index.
    pub image_id: Option<Digest>,
    /// Where it went.
    pub destination: String,
    /// Blob bytes sent.
    pub bytes_sent: u64,
    /// Blob bytes the destination already had.
    pub bytes_skipped: u64,
    /// Blobs mounted from another repository of the same registry.
    pub blobs_mounted: u64,
    /// Referrers copied with it (`--referrers`; their bytes are in
    /// `bytes_sent`); none when not asked.
    pub referrers_copied: Option<u64>,
}

/// The images a copy moves: manifests, children before the index that
/// lists them, and the blobs they refer to, each once.
pub(crate) struct Tree {
    /// The manifest the destination is tagged with.
    pub root: Document,
    /// Every manifest, the root last.
    pub manifests: Vec<Document>,
    /// Configs and layers, each digest once.
    pub blobs: Vec<Descriptor>,
    /// The image ID, when the root is one image.
    pub config: Option<Digest>,
}

/// Copies the image `from` names to `to`.
pub fn copy(ctx: &CopyContext<'_>, from: &Location, to: &Location) -> Result<Copied, Error> {
    let mut registries = Registries::new(ctx.access);
    let source = Source::open(ctx, &mut registries, from)?;
    let platforms = platforms_for(ctx, from, to)?;
    let tree = ctx.runtime.block_on(source.tree(ctx.ops, &platforms))?;
    write_tree(ctx, source, tree, (from, to))
}

/// The platforms of an index that a copy or an edit takes: those asked
/// for; for an archive or the engine, which hold one image, the host's
/// when none was asked for.
fn platforms_for(
    ctx: &CopyContext<'_>,
    from: &Location,
    to: &Location,
) -> Result<Vec<crate::model::Platform>, Error> {
    let single = matches!(to, Location::Archive { .. } | Location::Daemon(_));
    Ok(match (&ctx.platforms[..], single) {
        ([], true) => vec![
            ctx.ops
                .manifest_generation
                .normalize_platform(None, &crate::model::HostMachine::current())?,
        ],
        ([_, _, ..], true) => {
            return Err(Error::NotFound {
                source_name: from.to_string(),
                message: format!("{to} holds one image: name one platform"),
            });
        }
        (chosen, _) => chosen.to_vec(),
    })
}

/// Writes the images `tree` holds, read from `source`, to `to`.
fn write_tree(
    ctx: &CopyContext<'_>,
    source: Source,
    tree: Tree,
    (from, to): (&Location, &Location),
) -> Result<Copied, Error> {
    let mut registries = Registries::new(ctx.access);
    let destination = to.to_string();
    match to {
        Location::Registry(reference) => {
            let repository = registries.destination(reference, &source)?;
            if let Some(digest) = &reference.digest
                && digest != &tree.root.descriptor.digest
            {
                return Err(Error::DigestMismatch {
                    destination,
                    named: digest.clone(),
                    actual: tree.root.descriptor.digest.clone(),
                });
            }
            // A reference with a digest names the root by it, as it is put:
            // nothing to tag.
            identifier(reference)?;
            let tag = reference
                .tag
                .as_deref()
                .filter(|_| reference.digest.is_none());
            let into = transfer::registry(ctx, repository, &source);
            let stats = transfer::transfer(ctx, &source, &tree, into, tag)?;
            Ok(stats.report(
                Some(tree.root.descriptor.digest.clone()),
                tree.config.clone(),
                destination,
            ))
        }
        Location::Layout { path, tag } => {
            let stats = transfer::transfer(
                ctx,
                &source,
                &tree,
                transfer::layout(ctx.ops, path)?,
                tag.as_deref(),
            )?;
            Ok(stats.report(
                Some(tree.root.descriptor.digest.clone()),
                tree.config.clone(),
                destination,
            ))
        }
        Location::Archive { .. } | Location::Daemon(_) => {
            transfer::to_images(ctx, &source, &tree, (from, to), destination)
        }
    }
}

/// Adds `document` to `list` unless a document of its digest is there.
fn push_new_document(list: &mut Vec<Document>, document: Document) {
    if !list
        .iter()
        .any(|d| d.descriptor.digest == document.descriptor.digest)
    {
        list.push(document);
    }
}

/// Adds `blob` to `list` unless a blob of its digest is there.
fn push_new_blob(list: &mut Vec<Descriptor>, blob: Descriptor) {
    if !list.iter().any(|b| b.digest == blob.digest) {
        list.push(blob);
    }
}

/// A document held in memory (a config, an artifact's empty config) put
/// into `destination` as a blob, unless it has it; bytes sent.
pub(crate) fn put_document<D: Destination>(
    destination: &D,
    document: &Document,
) -> Result<u64, D::Error> {
    let bytes = bytes::Bytes::copy_from_slice(&document.bytes);
    let open = move || Ok(Box::new(std::io::Cursor::new(bytes.clone())) as BlobBytes);
    put_known_blob(destination, &document.descriptor, &open).map(Moved::sent)
}

/// `repository` as a push's destination (no mounts), on the runtime of
/// `ctx`.
pub(crate) fn push_destination(
    ctx: &CopyContext<'_>,
    repository: Repository,
) -> RepositoryDestination {
    RepositoryDestination::new(repository, ctx.runtime.handle().clone(), None)
}

/// The registries of a run, each made once (in [`RegistryAccess`]) so
/// that they share their challenge, tokens and connections.
pub(crate) struct Registries<'a> {
    access: &'a RegistryAccess,
}

impl<'a> Registries<'a> {
    pub(crate) fn new(access: &'a RegistryAccess) -> Self {
        Self { access }
    }

    fn registry(&mut self, domain: &str) -> Result<Arc<Registry>, Error> {
        let mut made = self.access.made.lock().expect("not poisoned");
        if let Some(made) = made.0.get(domain) {
            return Ok(made.clone());
        }
        let host = crate::registry::api_host(domain);
        let registry = Registry::new(
            host,
            crate::registry::plain_http(host, &self.access.insecure),
            crate::registry::credential_key(domain),
            self.access.credentials.clone(),
            None,
            &self.access.transports,
        )?;
        made.0.insert(domain.to_string(), registry.clone());
        Ok(registry)
    }

    /// The repository a pull reads.
    pub(crate) fn source(&mut self, reference: &Reference) -> Result<Repository, Error> {
        let registry = self.registry(&reference.domain)?;
        Ok(registry.repository(
            &reference.path,
            vec![Scope::repository(&reference.path, &["pull"])],
        ))
    }

    /// The repository a managed plugin is read from: tokens carry the
    /// plugin scope (`repository(plugin):NAME:pull`) besides the
    /// repository's, as moby asks for them.
    pub(crate) fn plugin_source(&mut self, reference: &Reference) -> Result<Repository, Error> {
        self.plugin_repository(reference, &["pull"])
    }

    /// The repository a managed plugin is pushed to, with the plugin scope
    /// `repository(plugin):NAME:pull,push` as moby's plugin push asks.
    pub(crate) fn plugin_target(&mut self, reference: &Reference) -> Result<Repository, Error> {
        self.plugin_repository(reference, &["pull", "push"])
    }

    fn plugin_repository(
        &mut self,
        reference: &Reference,
        actions: &[&str],
    ) -> Result<Repository, Error> {
        let registry = self.registry(&reference.domain)?;
        Ok(registry.repository(
            &reference.path,
            vec![
                Scope::repository(&reference.path, actions),
                Scope::plugin(&reference.path, actions),
            ],
        ))
    }

    /// The repository a push of a new image writes, with the pull scope
    /// of `mount_from`, a repository of the same registry.
    pub(crate) fn push_target(
        &mut self,
        reference: &Reference,
        mount_from: Option<&str>,
    ) -> Result<Repository, Error> {
        let registry = self.registry(&reference.domain)?;
        let mut scopes = vec![Scope::repository(&reference.path, &["pull", "push"])];
        scopes.extend(mount_from.map(|from| Scope::repository(from, &["pull"])));
        Ok(registry.repository(&reference.path, scopes))
    }

    /// The repository a push writes, with the pull scope of a source
    /// repository on the same registry to mount from.
    fn destination(&mut self, reference: &Reference, source: &Source) -> Result<Repository, Error> {
        let registry = self.registry(&reference.domain)?;
        let mut scopes = vec![Scope::repository(&reference.path, &["pull", "push"])];
        for from in source.mounts_into(&registry).repositories() {
            if from != reference.path {
                scopes.push(Scope::repository(&from, &["pull"]));
            }
        }
        Ok(registry.repository(&reference.path, scopes))
    }
}

/// What the manifest-generation component read of `manifest`, whose media
/// type becomes the one the component decided (the document's own when the
/// registry or the layout gave a generic one): what it is pushed or stored as.
pub(crate) fn contents(
    ops: &Operations<'_>,
    manifest: &mut Document,
) -> Result<ManifestContents, Error> {
    let contents = ops
        .manifest_generation
        .read_manifest(&manifest.descriptor.media_type, &manifest.bytes)?;
    manifest.descriptor.media_type = contents.media_type().to_string();
    Ok(contents)
}
