//! The privileges operation's wrapper: what a managed Docker plugin asks
//! to be allowed on the host, computed from its config through the
//! `privileges` world.
//!
//! Must not: read or judge a plugin config itself (which fields ask for
//! what, how the JSON is read, what is malformed: the component decides),
//! or judge which privileges grants cover; answers are checked in
//! `checked`.

use super::Error;
use super::bound::{Bound, bind};
use super::checked::as_is;
use super::operations::PRIVILEGES;
use crate::model::{Descriptor, Digest, Document, Grants, Privilege};

/// A loaded privileges component (built-in or third-party).
pub struct Privileges(Bound);

bind!(Privileges, PRIVILEGES);

/// The exported interface every function is in.
const PLUGINS: &str = "plugins";

impl Privileges {
    /// The privileges the plugin config `plugin_config` (the JSON document
    /// of media type `application/vnd.docker.plugin.v1+json`) asks for, in
    /// moby's order. A config the component cannot read is refused
    /// ([`Error::Refused`]).
    pub fn compute_privileges(&self, plugin_config: &str) -> Result<Vec<Privilege>, Error> {
        self.0
            .answer((PLUGINS, "compute-privileges"), (plugin_config,), as_is)
    }

    /// The config blob of a plugin made from a context whose `config.json`
    /// is `context_config` and whose rootfs is the one layer of
    /// uncompressed digest `rootfs_diff_id`: checked, its `rootfs` set, and
    /// written as the engine's `docker plugin create` writes it. A config
    /// the component refuses is [`Error::Refused`].
    pub fn plugin_config(
        &self,
        context_config: &str,
        rootfs_diff_id: &Digest,
    ) -> Result<Document, Error> {
        self.0.answer(
            (PLUGINS, "plugin-config"),
            (context_config, rootfs_diff_id),
            as_is,
        )
    }

    /// Why a manifest whose config is `config` is not a managed plugin's;
    /// none when it is one.
    pub fn why_not_a_plugin(&self, config: &Descriptor) -> Result<Option<String>, Error> {
        self.0.answer_plain(
            (PLUGINS, "why-not-a-plugin"),
            (config,),
            |_, why: Option<String>| Ok(why.map(|m| crate::model::printable(&m))),
        )
    }

    /// Whether `grants` grant each of the privileges `asked`, one flag per
    /// privilege in order (an answer of another length is a broken
    /// contract).
    pub fn judge_privileges(
        &self,
        asked: &[Privilege],
        grants: &Grants,
    ) -> Result<Vec<bool>, Error> {
        self.0.answer_plain(
            (PLUGINS, "judge-privileges"),
            (asked, grants),
            |at, flags: Vec<bool>| {
                if flags.len() == asked.len() {
                    Ok(flags)
                } else {
                    Err(at.contract(format!(
                        "answered {} flags for {} privileges",
                        flags.len(),
                        asked.len()
                    )))
                }
            },
        )
    }
}
