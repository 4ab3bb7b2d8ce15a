//! Managed Docker plugins: `plugin privileges`.
//!
//! A plugin in a registry is read as the engine's privileges endpoint
//! reads it: the manifest (what it refers to is the manifest-generation
//! component's `read-manifest`), then its config blob, checked against
//! its digest; a manifest the privileges component does not judge a
//! plugin's (by its config's media type) is not a plugin. Tokens are
//! asked for the plugin scope (`repository(plugin):NAME:pull`) besides
//! the repository's, as moby asks. A config may also come from a file or
//! stdin. The privileges component computes what the config asks for and
//! refuses a config it cannot read.
//!
//! Must not: read a plugin config's fields or decide what they ask for.

use super::Error;
use super::copy::{CopyContext, Registries};
use super::tag::identifier;
use crate::model::{ImageContents, IndexContents, ManifestContents, Privilege, Reference};
use crate::runtime::Privileges;
use std::io::Read;
use std::path::Path;

/// The largest plugin config read, in bytes (4 MiB, as for manifests; a
/// real one is a few KiB). The engine sets none; this keeps a hostile
/// registry or file from filling memory.
pub const MAX_PLUGIN_CONFIG_BYTES: u64 = 4 << 20;

/// Where a plugin config comes from, besides a registry.
#[derive(Debug, Clone)]
pub enum ConfigInput<'a> {
    /// A file (or a FIFO, a device: read once, to its end).
    File(&'a Path),
    /// Standard input.
    Stdin,
}

/// The privileges the plugin `reference` names in a registry asks for.
pub fn remote_privileges(
    ctx: &CopyContext<'_>,
    privileges: &Privileges,
    reference: &Reference,
) -> Result<Vec<Privilege>, Error> {
    let what = format!("the plugin config of {}", reference.full);
    let config = text(remote_config(ctx, privileges, reference)?, &what)?;
    Ok(privileges.compute_privileges(&config)?)
}

/// The privileges the plugin config in `input` asks for.
pub fn config_privileges(
    privileges: &Privileges,
    input: &ConfigInput<'_>,
) -> Result<Vec<Privilege>, Error> {
    let (what, reader): (String, Box<dyn Read>) = match input {
        ConfigInput::File(path) => {
            let what = path.display().to_string();
            let file = crate::store::files::open_input(path, "a plugin config")
                .map_err(Error::input(&what))?;
            (what, Box::new(file))
        }
        ConfigInput::Stdin => ("standard input".to_string(), Box::new(std::io::stdin())),
    };
    let config = read_config(reader, &what)?;
    Ok(privileges.compute_privileges(&config)?)
}

/// A plugin config read from `reader` (named `what`): at most
/// [`MAX_PLUGIN_CONFIG_BYTES`], UTF-8.
pub(super) fn read_config(reader: impl Read, what: &str) -> Result<String, Error> {
    let mut config = Vec::new();
    reader
        .take(MAX_PLUGIN_CONFIG_BYTES + 1)
        .read_to_end(&mut config)
        .map_err(Error::input(what))?;
    if config.len() as u64 > MAX_PLUGIN_CONFIG_BYTES {
        return Err(Error::Input {
            what: what.to_string(),
            source: std::io::Error::other(format!(
                "the plugin config is larger than {MAX_PLUGIN_CONFIG_BYTES} bytes (4 MiB), \
                 the most that is read"
            )),
        });
    }
    text(config, what)
}

/// The config blob of the plugin `reference` names, checked against its
/// digest.
fn remote_config(
    ctx: &CopyContext<'_>,
    privileges: &Privileges,
    reference: &Reference,
) -> Result<Vec<u8>, Error> {
    let repository = Registries::new(ctx.access).plugin_source(reference)?;
    let fetched = ctx
        .runtime
        .block_on(repository.manifest(&identifier(reference)?))?;
    let not_a_plugin = |message: String| Error::NotFound {
        source_name: reference.full.clone(),
        message: format!("not a plugin: {message}"),
    };
    let config = match ctx
        .ops
        .manifest_generation
        .read_manifest(&fetched.media_type, &fetched.bytes)?
    {
        ManifestContents::Image(ImageContents { config, .. }) => config,
        ManifestContents::Index(IndexContents { media_type, .. }) => {
            return Err(not_a_plugin(format!(
                "it names an index ({media_type}), not a plugin manifest"
            )));
        }
    };
    if let Some(why) = privileges.why_not_a_plugin(&config)? {
        return Err(not_a_plugin(why));
    }
    if config.size > MAX_PLUGIN_CONFIG_BYTES {
        return Err(Error::NotFound {
            source_name: reference.full.clone(),
            message: format!(
                "its plugin config is {} bytes; at most {MAX_PLUGIN_CONFIG_BYTES} (4 MiB) are read",
                config.size
            ),
        });
    }
    Ok(ctx.runtime.block_on(repository.fetch_blob(
        &config.digest,
        config.size,
        "cannot hold the plugin config",
        || Ok(Vec::with_capacity(config.size as usize)),
    ))?)
}

/// A plugin config's bytes (read from `what`) as text.
fn text(config: Vec<u8>, what: &str) -> Result<String, Error> {
    // JSON is UTF-8 (RFC 8259); the engine would read bytes that are not
    // as U+FFFD, we refuse them.
    String::from_utf8(config).map_err(|e| Error::Input {
        what: what.to_string(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the plugin config is not UTF-8 text (byte {} is not)",
                e.utf8_error().valid_up_to()
            ),
        ),
    })
}
