//! The privileges operation's wrapper: what a managed Docker plugin asks
//! to be allowed on the host, computed from its config through the
//! `privileges` world.
//!
//! Must not: read or judge a plugin config itself (which fields ask for
//! what, how the JSON is read, what is malformed: the component decides);
//! conversions live in `convert::privileges`.

use super::bindings::privileges::{Privileges as World, PrivilegesPre};
use super::bound::{Bound, bind};
use super::convert::privileges::privileges_from_wit;
use super::convert::{descriptor_to_wit, document_from_wit};
use super::operations::PRIVILEGES;
use super::{Error, Sandbox};
use crate::model::{Descriptor, Digest, Document, Privilege};

/// A loaded privileges component (built-in or third-party).
pub struct Privileges(Bound<PrivilegesPre<Sandbox>, World>);

bind!(Privileges, PRIVILEGES, PrivilegesPre);

impl Privileges {
    /// The privileges the plugin config `plugin_config` (the JSON document
    /// of media type `application/vnd.docker.plugin.v1+json`) asks for, in
    /// moby's order. A config the component cannot read is refused
    /// ([`Error::Refused`]).
    pub fn compute_privileges(&self, plugin_config: &str) -> Result<Vec<Privilege>, Error> {
        self.0.invoke(
            "compute-privileges",
            |w, s| {
                w.ocipipe_image_plugins()
                    .call_compute_privileges(s, plugin_config)
            },
            privileges_from_wit,
        )
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
        let rootfs_diff_id = rootfs_diff_id.to_string();
        self.0.invoke(
            "plugin-config",
            |w, s| {
                w.ocipipe_image_plugins()
                    .call_plugin_config(s, context_config, &rootfs_diff_id)
            },
            document_from_wit,
        )
    }

    /// Why a manifest whose config is `config` is not a managed plugin's;
    /// none when it is one.
    pub fn why_not_a_plugin(&self, config: &Descriptor) -> Result<Option<String>, Error> {
        let config = descriptor_to_wit(config);
        self.0.call(
            "why-not-a-plugin",
            |w, s| w.ocipipe_image_plugins().call_why_not_a_plugin(s, &config),
            |_, why| Ok(why.map(|m| crate::model::printable(&m))),
        )
    }
}
