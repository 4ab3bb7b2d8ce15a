//! The argument grammar (clap). Raw values only; [`super::Config`]
//! validates and resolves them.

use crate::runtime::operations;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// A WebAssembly-hosted pipeline of small container-image tools.
#[derive(Debug, Parser)]
#[command(name = "ocipipe", version, about, propagate_version = true)]
pub struct Cli {
    /// Print JSON Lines: one object per result.
    #[arg(long, global = true)]
    pub json: bool,

    /// Docker Engine address.
    #[arg(
        long,
        global = true,
        env = "DOCKER_HOST",
        default_value = "unix:///var/run/docker.sock"
    )]
    pub docker_host: String,

    /// Use a component file instead of a built-in one: OPERATION=PATH.wasm
    /// (the operations are listed in the help, from the operation table).
    #[arg(
        long = "component",
        global = true,
        value_name = "OPERATION=PATH",
        value_parser = parse_override,
        help = component_help(),
        long_help = component_long_help()
    )]
    pub components: Vec<ComponentOverride>,

    /// Allow `--component OPERATION=docker://REF` without a digest: the
    /// component run is then whatever the tag names at the time.
    #[arg(long, global = true)]
    pub allow_unpinned: bool,

    /// Memory limit per component call, MiB [default: 256].
    #[arg(long, global = true, value_name = "MIB")]
    pub component_memory_mib: Option<usize>,

    /// Time limit per component call, e.g. 10s, 500ms [default: 10s].
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub component_timeout: Option<Timeout>,

    /// Compile cache directory [default: $XDG_CACHE_HOME/ocipipe].
    #[arg(long, global = true, env = "OCIPIPE_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Compile components on every call instead of caching.
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// A registry to speak plain HTTP to (loopback always is); repeat.
    #[arg(
        long = "insecure-registry",
        global = true,
        value_name = "HOST[:PORT]",
        env = "OCIPIPE_INSECURE_REGISTRIES",
        value_delimiter = ','
    )]
    pub insecure_registries: Vec<String>,

    /// Log more (repeat for more); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and normalise image references.
    #[command(subcommand)]
    Ref(RefCommand),
    /// Give an image in the Docker Engine more names.
    Tag(TagArgs),
    /// Images in the Docker Engine.
    #[command(subcommand)]
    Image(ImageCommand),
    /// Multi-platform indexes: made from images anywhere, appended to,
    /// filtered.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Copy an image between registries, the engine, archives and layouts.
    Copy(CopyArgs),
    /// Mirror and promote many images, as a YAML sync file declares them.
    Sync(SyncArgs),
    /// Log in to a registry: check the credentials and keep them in the
    /// Docker config.
    Login(LoginArgs),
    /// Log out of a registry: remove its credentials from the Docker config.
    Logout(LogoutArgs),
    /// OCI artifacts in registries: push files, pull them, list referrers.
    #[command(subcommand)]
    Artifact(ArtifactCommand),
    /// Docker Compose projects as OCI artifacts.
    #[command(subcommand)]
    Compose(ComposeCommand),
    /// Components as OCI artifacts, for `--component OPERATION=docker://REF@DIGEST`.
    #[command(subcommand)]
    Component(ComponentCommand),
    /// Managed Docker plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

/// `ocipipe plugin …`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// List the privileges a plugin asks for, as the engine computes them
    /// before an install: from a plugin in a registry, or from a config.
    Privileges(PluginPrivilegesArgs),
    /// Build a plugin from a plugin context (`config.json` and `rootfs/`,
    /// as `docker plugin create` takes it), with no engine: push it, or
    /// write it into an OCI-layout tar.
    Build(PluginBuildArgs),
    /// Install a plugin from a registry into the engine, only when every
    /// privilege it asks for is granted (--grant or --grant-all); then
    /// enable it.
    Install(PluginInstallArgs),
    /// List the engine's plugins.
    Ls,
    /// Remove plugins from the engine.
    Rm {
        /// Plugins: names or ID prefixes.
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        /// Remove a plugin even when it is enabled.
        #[arg(short, long)]
        force: bool,
    },
    /// Enable (start) a plugin.
    Enable {
        /// The plugin: a name or an ID prefix.
        name: String,
        /// Seconds the engine's client of the plugin waits for an answer.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        timeout: u64,
    },
    /// Disable (stop) a plugin.
    Disable {
        /// The plugin: a name or an ID prefix.
        name: String,
        /// Disable it even while something uses it.
        #[arg(short, long)]
        force: bool,
    },
    /// Have the engine push a plugin it holds to the registry its name
    /// names, with the credentials of the Docker config.
    Push {
        /// The plugin's name, REGISTRY/REPO[:TAG] (a missing tag is `latest`).
        name: String,
    },
}

/// `ocipipe plugin build`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("destination").required(true).args(["output", "push"])))]
pub struct PluginBuildArgs {
    /// The plugin context: a directory holding `config.json` and `rootfs/`.
    pub context: PathBuf,
    /// The plugin's name, REGISTRY/REPO[:TAG] (a digest is refused).
    #[arg(short, long, value_name = "NAME")]
    pub tag: String,
    /// Push to the registry the name gives: the rootfs layer as it is
    /// made, then the config, the manifest last.
    #[arg(long)]
    pub push: bool,
    /// Write an OCI image layout in one tar (skopeo's `oci-archive:`).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Keep file owners from disk instead of root.
    #[arg(long)]
    pub keep_owner: bool,
}

/// `ocipipe plugin install`.
#[derive(Debug, Args)]
pub struct PluginInstallArgs {
    /// The plugin, REGISTRY/REPO[:TAG|@DIGEST].
    pub reference: String,
    /// Its name in the engine [default: the reference's familiar name with
    /// its tag, as docker names it].
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// Grant every privilege of these kinds, whatever its value (every
    /// mount for `mount`); comma-separated or repeated.
    #[arg(
        long = "grant",
        help = grant_help(),
        value_name = "PRIVILEGE[,PRIVILEGE...]",
        value_delimiter = ',',
        value_parser = parse_grant,
        conflicts_with = "grant_all"
    )]
    pub grants: Vec<String>,
    /// Grant every privilege the plugin asks for.
    #[arg(long)]
    pub grant_all: bool,
    /// Leave it disabled once installed.
    #[arg(long)]
    pub disable: bool,
}

/// `--grant`'s help, naming the privileges it takes.
fn grant_help() -> String {
    format!(
        "Grant every privilege of these kinds, whatever its value (every mount for \
         `mount`); comma-separated or repeated. Kinds: {}",
        crate::model::PRIVILEGE_NAMES.join(", ")
    )
}

/// One `--grant` name: one of moby's privilege names (spaces around it
/// dropped), else a usage error naming them all.
fn parse_grant(s: &str) -> Result<String, String> {
    let name = s.trim();
    if crate::model::PRIVILEGE_NAMES.contains(&name) {
        return Ok(name.to_string());
    }
    Err(format!(
        "{s:?} is not a privilege name; the names are: {}",
        crate::model::PRIVILEGE_NAMES
            .map(|n| format!("{n:?}"))
            .join(", ")
    ))
}

/// `ocipipe plugin privileges`.
#[derive(Debug, Args)]
pub struct PluginPrivilegesArgs {
    /// The plugin, REGISTRY/REPO[:TAG|@DIGEST].
    #[arg(required_unless_present = "config", conflicts_with = "config")]
    pub reference: Option<String>,
    /// Read the plugin config (its `config.json`) from FILE instead; `-`
    /// reads stdin.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `ocipipe component …`.
#[derive(Debug, Subcommand)]
pub enum ComponentCommand {
    /// Push a component as a wasm OCI artifact (config
    /// `application/vnd.wasm.config.v0+json` naming its world, one
    /// `application/wasm` layer); it must implement an operation's world.
    Push {
        /// Where it goes, REGISTRY/REPO[:TAG].
        reference: String,
        /// The component.
        file: PathBuf,
    },
    /// The author's kit: `new`, `build`.
    #[command(flatten)]
    Kit(super::component_kit::KitCommand),
    /// Call one function of OPERATION (the built-in, or the `--component`
    /// chain) with JSON arguments; print its answer as JSON.
    Call {
        /// The operation: tagging, tar-assembly, manifest-generation or
        /// privileges.
        operation: String,
        /// The function: IFACE.FUNCTION (`naming.parse`), or FUNCTION alone
        /// when one interface has it.
        function: String,
        /// The arguments: a JSON array (by position) or an object (by
        /// parameter name), e.g. '["ubuntu"]'.
        args: String,
    },
    /// Run the operation's shipped vectors on FILE and on the built-in and
    /// list every difference; exit 0 when there is none (or only in
    /// functions given with --expect-differ).
    Test {
        /// The component.
        file: PathBuf,
        /// A function whose answers may differ from the built-in's
        /// (IFACE.FUNCTION or FUNCTION); repeatable.
        #[arg(long, value_name = "FUNCTION")]
        expect_differ: Vec<String>,
    },
    /// Print which component functions each command calls (the table of
    /// docs/contract.md; `--json`: one object per command).
    Contract,
}

/// `ocipipe artifact …`.
#[derive(Debug, Subcommand)]
pub enum ArtifactCommand {
    /// Push files as an OCI artifact (each file's name becomes its
    /// `org.opencontainers.image.title`, as oras does).
    Push(ArtifactPushArgs),
    /// Pull an artifact's files, each verified, into a new directory.
    Pull {
        /// The artifact, REGISTRY/REPO[:TAG|@DIGEST].
        reference: String,
        /// The directory to create (it must not exist or be empty).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
    },
    /// List the artifacts that refer to a manifest (its referrers).
    Ls {
        /// The manifest, REGISTRY/REPO[:TAG|@DIGEST].
        reference: String,
    },
}

/// `ocipipe artifact push REF FILE[:MEDIATYPE]...`.
#[derive(Debug, Args)]
pub struct ArtifactPushArgs {
    /// Where it goes, REGISTRY/REPO[:TAG].
    pub reference: String,
    /// The files, each with its media type after a colon [default:
    /// application/vnd.oci.image.layer.v1.tar, as oras].
    #[arg(value_name = "FILE[:MEDIATYPE]", required = true)]
    pub files: Vec<String>,
    /// The artifact's type.
    #[arg(long, value_name = "TYPE")]
    pub artifact_type: String,
    /// A manifest annotation; repeat.
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// The manifest it refers to, in the same repository: REPO's tag or
    /// digest, REGISTRY/REPO[:TAG|@DIGEST].
    #[arg(long, value_name = "REF")]
    pub subject: Option<String>,
    /// The manifest's form.
    #[arg(long, value_enum, default_value = "auto")]
    pub oci_version: OciVersionArg,
}

/// `ocipipe compose …`.
#[derive(Debug, Subcommand)]
pub enum ComposeCommand {
    /// Publish compose files as an OCI artifact, as `docker compose
    /// publish` does; `SOURCE_DATE_EPOCH` sets its creation time, so the
    /// same files give the same digest.
    Publish {
        /// Where it goes, REGISTRY/REPO[:TAG].
        reference: String,
        /// The compose files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The manifest's form.
        #[arg(long, value_enum, default_value = "auto")]
        oci_version: OciVersionArg,
    },
}

/// `--oci-version`, named as `docker compose publish` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OciVersionArg {
    /// OCI 1.1, then 1.0 if the registry refuses the manifest itself.
    Auto,
    /// OCI 1.1 only.
    #[value(name = "1.1")]
    V1_1,
    /// OCI 1.0 only.
    #[value(name = "1.0")]
    V1_0,
}

/// `ocipipe copy SRC DST`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Where the image is: docker://REF, docker-daemon:NAME,
    /// docker-archive:PATH[:NAME] or oci:PATH[:TAG].
    pub source: String,
    /// Where it goes, in the same terms.
    pub destination: String,
    /// One platform of a multi-platform image, os/arch[/variant] [default:
    /// the whole index; this machine's for docker-daemon: and docker-archive:].
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Blobs sent at once.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// Compress layers stored uncompressed (in docker-archive:,
    /// docker-daemon: or oci: sources) for a docker:// or oci: destination;
    /// the manifest is written anew [default: every blob as it is].
    #[arg(long, value_enum)]
    pub compression: Option<CompressionArg>,
    /// Copy the image's referrers too (signatures, SBOMs, attestations,
    /// and what refers to them), registry to registry.
    #[arg(long)]
    pub referrers: bool,
    /// Only the image's referrers of this artifactType (repeatable);
    /// implies --referrers.
    #[arg(long = "referrer-type", value_name = "TYPE")]
    pub referrer_types: Vec<String>,
}

/// `ocipipe sync FILE`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The sync file (YAML; see the README; `-`: standard input). With
    /// --from-lock, only its `registries` budgets are used.
    #[arg(required_unless_present = "from_lock")]
    pub file: Option<PathBuf>,
    /// Print the plan as JSON Lines (source, tag, digest, target, reason)
    /// and write nothing to any target.
    #[arg(long)]
    pub plan: bool,
    /// Write the plan to FILE, a lockfile for --from-lock (with --plan,
    /// only that).
    #[arg(long, value_name = "FILE", conflicts_with = "from_lock")]
    pub lock: Option<PathBuf>,
    /// Copy exactly the digests a lockfile holds (`-`: standard input),
    /// resolving no tag.
    #[arg(long, value_name = "FILE")]
    pub from_lock: Option<PathBuf>,
    /// Go on when an image fails; the exit code still says that some did.
    #[arg(long)]
    pub keep_going: bool,
    /// Take part I of N (I from 0) of the target repositories, for N
    /// machines sharing one sync.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::pipeline::sync::Shard>,
    /// Blobs sent at once per image.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
}

/// `ocipipe login [SERVER] -u USER --password-stdin`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The registry [default: Docker Hub].
    pub server: Option<String>,
    /// User name.
    #[arg(short, long)]
    pub username: String,
    /// Read the password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `ocipipe logout [SERVER]`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The registry [default: Docker Hub].
    pub server: Option<String>,
}

/// `ocipipe ref …`
#[derive(Debug, Subcommand)]
pub enum RefCommand {
    /// Validate references without normalising them (Go `reference.Parse`).
    Parse(RefArgs),
    /// Normalise references (Go `reference.ParseNormalizedNamed`).
    Normalize(RefArgs),
}

/// References to read.
#[derive(Debug, Args)]
pub struct RefArgs {
    /// References; `-` reads one per line from stdin.
    #[arg(required = true, value_name = "REF")]
    pub refs: Vec<String>,
}

/// `ocipipe tag SOURCE TARGET[,TARGET...]` or `ocipipe tag --unique SOURCE NAME`.
#[derive(Debug, Args)]
pub struct TagArgs {
    /// The image to tag: a name or an image ID.
    pub source: String,
    /// Target names, comma-separated (with --unique: one repository name).
    pub targets: String,
    /// Make a unique tag `NAME:<32 hex>` and print it.
    #[arg(long)]
    pub unique: bool,
}

/// `ocipipe image …`
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Show what the engine knows of images.
    Inspect {
        /// Images: names or IDs.
        #[arg(required = true, value_name = "REF")]
        refs: Vec<String>,
    },
    /// Build an image from directories or layer tars, without Docker.
    Build(Box<BuildArgs>),
    /// Change an image's config and annotations without a rebuild, every
    /// platform of an index: only new configs and manifests are written,
    /// the layers stay as they are (registry to registry, never
    /// downloaded).
    Mutate(Box<MutateArgs>),
    /// Put new layers on top of an image, made as `image build` makes them:
    /// the image's own layers are not read for a registry destination
    /// (mounted or found), only the new ones are sent.
    Append(Box<AppendArgs>),
    /// Load an archive into the engine, streamed.
    Load {
        /// The archive; `-` reads stdin.
        #[arg(value_name = "FILE|-")]
        input: String,
        /// An image in the engine whose layers need not be sent (a file
        /// only; repeat).
        #[arg(long, value_name = "IMAGE")]
        base: Vec<String>,
    },
    /// Save images from the engine into an archive, streamed, atomically.
    Save {
        /// Images: names or IDs.
        #[arg(required = true, value_name = "REF")]
        refs: Vec<String>,
        /// The archive to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// List the images in the engine.
    Ls,
    /// Unpack an image of an archive or an OCI layout into a root filesystem directory.
    Unpack {
        /// The archive (`docker save`, `ocipipe image build -o`), an OCI
        /// layout directory, or `docker-daemon:NAME` for an image in the engine.
        #[arg(value_name = "ARCHIVE|LAYOUT|docker-daemon:NAME")]
        archive: PathBuf,
        /// The directory to create.
        dir: PathBuf,
        /// Which image, by one of its names in any spelling (`ubuntu:1`
        /// finds `docker.io/library/ubuntu:1`) [default: the first].
        #[arg(long)]
        image: Option<String>,
    },
    /// Remove images (names) from the engine.
    Rm {
        /// Images: names or IDs.
        #[arg(required = true, value_name = "REF")]
        refs: Vec<String>,
        /// Remove even when containers use the image or it has other names.
        #[arg(short, long)]
        force: bool,
        /// An image the engine does not have is no error (as imgutil's
        /// `Delete`): removing it again is a no-op.
        #[arg(long)]
        ignore_missing: bool,
    },
    /// Have the engine push images to their registries, with the
    /// credentials of the Docker config.
    Push {
        /// Images: names with a registry (a missing tag is `latest`).
        #[arg(required = true, value_name = "NAME")]
        refs: Vec<String>,
    },
    /// Whether the engine has images: exit 0 when it has every one, 1 when
    /// it lacks any (imgutil's `Contains`).
    Exists {
        /// Images: names or IDs.
        #[arg(required = true, value_name = "REF")]
        refs: Vec<String>,
    },
}

/// `ocipipe index …`.
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Make an index of images (or indexes) from anywhere, each listed
    /// under the platform its config states; duplicates refused.
    Create(IndexCreateArgs),
    /// Add images (or indexes) to the index at DST, written back there.
    Append(IndexCreateArgs),
    /// Keep only some platforms of an index (and their attestations).
    Filter(IndexFilterArgs),
}

/// `ocipipe index create|append DST SRC...`.
#[derive(Debug, Args)]
pub struct IndexCreateArgs {
    /// Where the index goes: docker://REF or oci:PATH[:TAG] (for append,
    /// also the index appended to).
    pub destination: String,
    /// The images: docker://REF, docker-daemon:NAME,
    /// docker-archive:PATH[:NAME] or oci:PATH[:TAG].
    #[arg(required = true, value_name = "SRC")]
    pub sources: Vec<String>,
    /// Annotation of the index, KEY=value; repeat.
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// Blobs sent at once.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
}

/// `ocipipe index filter SRC DST --platform P...`.
#[derive(Debug, Args)]
pub struct IndexFilterArgs {
    /// The index: docker://REF or oci:PATH[:TAG].
    pub source: String,
    /// Where the filtered index goes, in the same terms.
    pub destination: String,
    /// A platform to keep, os/arch[/variant]; repeat.
    #[arg(long, required = true, value_name = "OS/ARCH")]
    pub platform: Vec<String>,
    /// Blobs sent at once.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
}

/// `ocipipe image append SRC DST --layer PATH...`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// The image: docker://REF, docker-daemon:NAME,
    /// docker-archive:PATH[:NAME] or oci:PATH[:TAG].
    pub source: String,
    /// Where the image with the new layers goes, in the same terms.
    pub destination: String,
    /// A layer: a directory, a .tar, .tar.gz or .tar.zst; repeat, bottom
    /// layer first.
    #[arg(long = "layer", required = true, value_name = "PATH")]
    pub layers: Vec<PathBuf>,
    /// Creation time, seconds since 1970 [default: SOURCE_DATE_EPOCH, else
    /// the image's].
    #[arg(long, value_name = "SECONDS")]
    pub created: Option<i64>,
    /// The platform of an index to append to, os/arch[/variant] (an index
    /// needs one).
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Keep file owners from disk instead of root.
    #[arg(long)]
    pub keep_owner: bool,
    /// How the new layers are compressed for docker://.
    #[arg(long, value_enum, default_value = "gzip")]
    pub compression: CompressionArg,
}

/// `ocipipe image mutate SRC DST`.
#[derive(Debug, Args)]
pub struct MutateArgs {
    /// The image: docker://REF, docker-daemon:NAME,
    /// docker-archive:PATH[:NAME] or oci:PATH[:TAG].
    pub source: String,
    /// Where the edited image goes, in the same terms.
    pub destination: String,
    /// Environment variable set, KEY=value; repeat.
    #[arg(long, value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Environment variable removed; repeat.
    #[arg(long, value_name = "KEY")]
    pub env_rm: Vec<String>,
    /// Label set, KEY=value; repeat.
    #[arg(long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Label removed; repeat.
    #[arg(long, value_name = "KEY")]
    pub label_rm: Vec<String>,
    /// Entrypoint: a JSON array, or a command line run by /bin/sh -c.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Command: a JSON array, or a command line run by /bin/sh -c.
    #[arg(long)]
    pub cmd: Option<String>,
    /// User (name or uid[:gid]).
    #[arg(long)]
    pub user: Option<String>,
    /// Working directory.
    #[arg(long)]
    pub workdir: Option<String>,
    /// Exposed port added, e.g. 8080 or 53/udp; repeat.
    #[arg(long, value_name = "PORT[/PROTO]")]
    pub expose: Vec<String>,
    /// Annotation of each image manifest, KEY=value; repeat.
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// Annotation of the index, KEY=value; repeat.
    #[arg(long, value_name = "KEY=VALUE")]
    pub index_annotation: Vec<String>,
    /// Creation time, seconds since 1970 [default: SOURCE_DATE_EPOCH, else
    /// the image's].
    #[arg(long, value_name = "SECONDS")]
    pub created: Option<i64>,
    /// Only this platform of an index, os/arch[/variant] [default: every
    /// platform; this machine's for docker-daemon: and docker-archive:].
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Blobs sent at once.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
}

/// `ocipipe image build`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("destination").required(true).multiple(true).args(["output", "oci_layout", "load", "push"])))]
pub struct BuildArgs {
    /// The image to build on: docker://REF, docker-daemon:NAME,
    /// docker-archive:PATH[:NAME], oci:PATH[:TAG], or scratch (none) [default:
    /// scratch]. Its layers come first; the config starts from its config.
    #[arg(long, value_name = "SRC")]
    pub from: Option<String>,
    /// A layer: a directory, a .tar, .tar.gz or .tar.zst; repeat, bottom
    /// layer first. Needed unless --from gives the layers.
    #[arg(
        long = "layer",
        required_unless_present = "from",
        value_name = "DIR|TAR"
    )]
    pub layers: Vec<PathBuf>,
    /// Names for the image, comma-separated.
    #[arg(short, long, value_name = "NAME[,NAME...]")]
    pub tag: Option<String>,
    /// Write a docker-load + OCI archive; `-` writes stdout.
    #[arg(short, long, value_name = "FILE|-")]
    pub output: Option<String>,
    /// Write an OCI image layout directory.
    #[arg(long, value_name = "DIR")]
    pub oci_layout: Option<PathBuf>,
    /// Load straight into the engine, streamed.
    #[arg(long)]
    pub load: bool,
    /// Push to the registry names given with -t, with no archive and no engine.
    #[arg(long)]
    pub push: bool,
    /// With --push: how layers are sent (gzip, as docker push sends them,
    /// or none).
    #[arg(long, requires = "push", value_enum, default_value = "gzip")]
    pub compression: CompressionArg,
    /// With --load: an image in the engine whose layers need not be sent.
    #[arg(long, requires = "load", value_name = "IMAGE")]
    pub base: Vec<String>,
    /// Environment variable, KEY=value; repeat.
    #[arg(long, value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Entrypoint: a JSON array, or a command line run by /bin/sh -c.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Command: a JSON array, or a command line run by /bin/sh -c.
    #[arg(long)]
    pub cmd: Option<String>,
    /// Working directory.
    #[arg(long)]
    pub workdir: Option<String>,
    /// User (name or uid[:gid]).
    #[arg(long)]
    pub user: Option<String>,
    /// Label, KEY=value; repeat.
    #[arg(long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Exposed port, e.g. 8080 or 53/udp; repeat.
    #[arg(long, value_name = "PORT[/PROTO]")]
    pub expose: Vec<String>,
    /// Platform, os/arch[/variant] [default: this machine's].
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Keep file owners from disk instead of root.
    #[arg(long)]
    pub keep_owner: bool,
}

/// `--compression`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompressionArg {
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
    /// None.
    None,
}

impl CompressionArg {
    /// How layers are compressed.
    pub fn layers(self) -> crate::store::compress::LayerCompression {
        use crate::store::compress::LayerCompression;
        match self {
            CompressionArg::Gzip => LayerCompression::Gzip,
            CompressionArg::Zstd => LayerCompression::Zstd,
            CompressionArg::None => LayerCompression::None,
        }
    }
}

/// `--component OPERATION=PATH`.
#[derive(Debug, Clone)]
pub struct ComponentOverride {
    /// The operation, e.g. `tagging`.
    pub operation: String,
    /// The component file.
    pub path: PathBuf,
}

/// The names of the operations, for help and errors: `tagging, …`.
pub(super) fn operation_names() -> String {
    operations::ALL
        .iter()
        .map(|o| o.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--component`'s short help: the operations by name.
fn component_help() -> String {
    format!(
        "Use a component file instead of a built-in one: OPERATION=PATH.wasm \
         (operations: {})",
        operation_names()
    )
}

/// `--component`'s long help: each operation with what it decides.
fn component_long_help() -> String {
    let mut help = String::from(
        "Use a component file instead of a built-in one: OPERATION=PATH.wasm, \
         built against the operation's world in wit/. Repeat for several; several \
         for one operation run the first over the next, the last over the built-in, \
         each that imports its own world delegating to the one after it. Operations:",
    );
    for operation in operations::ALL {
        help.push_str(&format!("\n  {:<20} {}", operation.name, operation.summary));
    }
    help
}

fn parse_override(s: &str) -> Result<ComponentOverride, String> {
    let (operation, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected OPERATION=PATH, got {s:?}"))?;
    if operation.is_empty() || path.is_empty() {
        return Err(format!("expected OPERATION=PATH, got {s:?}"));
    }
    Ok(ComponentOverride {
        operation: operation.to_string(),
        path: PathBuf::from(path),
    })
}

/// A parsed `--component-timeout`.
#[derive(Debug, Clone, Copy)]
pub struct Timeout(pub Duration);

fn parse_duration(s: &str) -> Result<Timeout, String> {
    let (number, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| s.split_at(i))
        .unwrap_or((s, "s"));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("expected a duration such as 10s or 500ms, got {s:?}"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit {unit:?} in {s:?}: use ms, s or m")),
    };
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err(format!("the time limit must be positive, got {s:?}"));
    }
    Ok(Timeout(Duration::from_secs_f64(seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn component_arg_help(long: bool) -> String {
        let command = Cli::command();
        let arg = command
            .get_arguments()
            .find(|a| a.get_id() == "components")
            .expect("--component exists");
        let help = if long {
            arg.get_long_help()
        } else {
            arg.get_help()
        };
        help.expect("--component has help").to_string()
    }

    #[test]
    fn component_help_lists_every_operation_of_the_table() {
        let (short, long) = (component_arg_help(false), component_arg_help(true));
        for operation in operations::ALL {
            assert!(short.contains(operation.name), "{short}");
            assert!(long.contains(operation.name), "{long}");
            assert!(long.contains(operation.summary), "{long}");
        }
    }

    #[test]
    fn component_overrides_parse_raw() {
        let o = parse_override("tar-assembly=./my.wasm").unwrap();
        assert_eq!(o.operation, "tar-assembly");
        assert_eq!(o.path, PathBuf::from("./my.wasm"));
        assert!(parse_override("tagging").is_err());
        assert!(parse_override("=x.wasm").is_err());
    }
}
