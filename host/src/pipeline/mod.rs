//! Operations end to end: gather inputs, let a component decide, perform
//! the I/O it planned. The only module that uses both `runtime` and a
//! backend (`docker`, `store`).

mod archive;
mod artifact;
mod build;
mod build_image;
mod build_push;
mod copy;
mod engine_source;
mod engine_stream;
#[cfg(test)]
mod lazy_base_tests;
mod login;
mod operations;
mod outputs;
mod planner;
mod plugin;
mod plugin_build;
mod plugin_install;
mod push;
pub mod sync;
mod tag;
mod unpack;
mod yaml_text;

pub use crate::store::compress::LayerCompression;
pub use archive::{IncrementalLoad, LoadInput, load, save};
pub use artifact::{
    ArtifactInput, ArtifactPush, OciVersion, PulledArtifact, PushedArtifact, fetch_component,
    list_referrers, pull_artifact, push_artifact, push_component,
};
pub use build::{BaseImage, BuildOutput, BuildSpec, Built, LayerInput, Operations};
pub use build_push::PushedName;
pub use copy::{
    Copied, CopyContext, Edited, EditedImage, Location, MAX_REFERRER_DEPTH, Mutation, Referrers,
    ReferrersCopied, RegistryAccess, base_image, copy, copy_referrers, index_create, index_filter,
    mutate,
};
pub use engine_source::EngineSource;
pub use login::{StoredLogin, remove_login, store_login};
pub use outputs::{BuiltOutputs, PushOutput, build_outputs};
pub use plugin::{ConfigInput, MAX_PLUGIN_CONFIG_BYTES, config_privileges, remote_privileges};
pub use plugin_build::{BuiltPlugin, PluginBuild, PluginOutput, build_plugin};
pub use plugin_install::{
    AskedPrivilege, InstalledPlugin, PluginInstall, install_plugin, judge, plugin_engine_name,
    plugin_name,
};
pub use push::{EnginePush, push_through_engine};
pub use tag::{TagPlan, apply_tags, engine_reference, plan_tags, plan_unique_tag};
pub use unpack::{UnpackComponents, UnpackFrom, unpack};

use crate::{docker, model, registry, runtime, store};

/// Failures of a pipeline step.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A component failed or refused its input.
    #[error(transparent)]
    Component(#[from] runtime::Error),
    /// The engine failed.
    #[error(transparent)]
    Docker(#[from] docker::Error),
    /// Walking a layer directory failed.
    #[error(transparent)]
    Walk(#[from] store::walk::Error),
    /// Writing a plan failed.
    #[error(transparent)]
    Plan(#[from] store::plan::Error),
    /// An archive is malformed or unsafe.
    #[error(transparent)]
    Archive(#[from] store::archive::Error),
    /// Unpacking failed.
    #[error(transparent)]
    Unpack(#[from] store::unpack::Error),
    /// Writing an image output failed.
    #[error(transparent)]
    Sink(#[from] store::sink::Error),
    /// Reading an image input failed.
    #[error(transparent)]
    Source(store::source::Error),
    /// Reading an input failed.
    #[error("cannot read {what}: {source}")]
    Input {
        /// The input.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A (third-party) tagging component answered a target without a tag.
    #[error("the tagging component gave the target {0} no tag; the engine needs one")]
    Untagged(String),
    /// A (third-party) tagging component answered a name with neither tag
    /// nor digest where a registry is asked for a manifest.
    #[error(
        "the tagging component gave {0} neither a tag nor a digest; a registry's manifest needs one"
    )]
    NoIdentifier(String),
    /// The host could not draw random bytes.
    #[error("cannot draw random bytes for a unique tag: {0}")]
    Entropy(String),
    /// A registry failed or refused.
    #[error(transparent)]
    Registry(#[from] registry::Error),
    /// Writing an OCI layout failed.
    #[error(transparent)]
    Layout(#[from] store::layout_writer::Error),
    /// A source does not hold what was named.
    #[error("{source_name}: {message}")]
    NotFound {
        /// The source, as named.
        source_name: String,
        /// What is missing, and what is there.
        message: String,
    },
    /// One entry of a sync file failed.
    #[error("{entry}: {source}")]
    Entry {
        /// The entry, as the file names it.
        entry: String,
        /// What failed.
        source: Box<Error>,
    },
    /// Two images of a sync would be written under one target.
    #[error("{first} and {second} both write {target}: give each image its own target")]
    SameTarget {
        /// The target.
        target: String,
        /// The first entry writing it, and its source.
        first: String,
        /// The second.
        second: String,
    },
    /// A component answered something its contract does not allow.
    #[error("{0}")]
    Contract(String),
    /// A referrer of a copied image could not be copied.
    #[error(
        "referrer {digest} ({}) of {subject} could not be copied: {source}",
        .artifact_type.as_deref().unwrap_or("no artifactType")
    )]
    Referrer {
        /// The referrer's manifest digest.
        digest: model::Digest,
        /// Its artifact type, as the listing gives it.
        artifact_type: Option<String>,
        /// What it refers to.
        subject: model::Digest,
        /// Why (boxed: the variant stays small).
        source: Box<Error>,
    },
    /// A destination named by digest got other content.
    #[error("{destination} names digest {named}, but the image copied is {actual}")]
    DigestMismatch {
        /// The destination.
        destination: String,
        /// The digest it names.
        named: model::Digest,
        /// The copied manifest's.
        actual: model::Digest,
    },
    /// A layer's tar is not the one its image's config names: the source
    /// holds another layer than its documents say.
    #[error(
        "layer {diff_id}: its tar hashes to {actual}, not to the diff_id its image's config names"
    )]
    NotItsDiffId {
        /// The diff_id the config names.
        diff_id: model::Digest,
        /// What the tar hashes to.
        actual: model::Digest,
    },
    /// A plugin asks for privileges that were not granted; nothing was
    /// installed.
    #[error(
        "plugin {plugin} asks for privileges that were not granted: {}; nothing was installed \
         (grant them with --grant {}, or --grant-all)",
        plugin_install::listed(.missing),
        plugin_install::grant_argument(.missing)
    )]
    NotGranted {
        /// The plugin's reference.
        plugin: String,
        /// The privileges not granted, in the order asked.
        missing: Vec<model::Privilege>,
    },
    /// The engine installed a plugin but could not enable it.
    #[error("the Docker Engine installed plugin {name} but could not enable it; {after}")]
    NotEnabled {
        /// The plugin's name in the engine.
        name: String,
        /// What became of it.
        after: String,
        /// Why it could not be enabled (boxed: the variant stays small).
        source: Box<docker::Error>,
    },
    /// A plugin name with a digest, where the engine needs a tag.
    #[error(
        "invalid plugin name {name:?}: a plugin is named with a tag, not a digest \
         (canonical references are not permitted)"
    )]
    PluginNameWithDigest {
        /// The name given.
        name: String,
    },
    /// An artifact push refused before anything was sent: `artifact
    /// pull` would refuse the manifest it makes.
    #[error(
        "cannot push {target}: `artifact pull` would refuse it (layers[0] is the first file \
         given): {source}"
    )]
    Unpullable {
        /// The artifact's reference.
        target: String,
        /// The pull's refusal.
        source: runtime::Error,
    },
    /// Writing an output failed.
    #[error("{what}: {source}")]
    Output {
        /// What was being written.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl From<store::source::Error> for Error {
    fn from(e: store::source::Error) -> Self {
        match e {
            store::source::Error::Archive(e) => Error::Archive(e),
            other => Error::Source(other),
        }
    }
}

impl Error {
    /// Whether the cause is a pipe its reader closed (the engine ending a
    /// load request, a consumer of `-o -` that stopped reading).
    pub fn is_closed_pipe(&self) -> bool {
        std::iter::successors(Some(self as &dyn std::error::Error), |c| c.source())
            .filter_map(|c| c.downcast_ref::<std::io::Error>())
            .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    }

    fn input(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.to_string();
        move |source| Error::Input { what, source }
    }

    fn output(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.to_string();
        move |source| Error::Output { what, source }
    }
}
