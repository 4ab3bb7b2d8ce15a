//! The privileges component: exports `ocipipe:image/plugins` by delegating
//! to the pure function in `privileges-core`.
//!
//! The world's bindings are generated once, in `privileges-core`
//! ([`privileges_core::wit`]), so every WIT type has one Rust definition
//! (the shared ones `ocipipe_sdk`'s, the world's `privilege` and `grants`
//! the core's) and values cross the boundary without conversion. This
//! crate implements the world's `Guest` trait and exports it. No logic
//! lives here.

use ocipipe_sdk::{Descriptor, Document, Error};
use privileges_core::wit::exports::ocipipe::image::plugins::Guest;
use privileges_core::{Grants, Privilege};

struct Privileges;

impl Guest for Privileges {
    fn compute_privileges(plugin_config: String) -> Result<Vec<Privilege>, Error> {
        privileges_core::compute_privileges(&plugin_config)
    }

    fn plugin_config(context_config: String, rootfs_diff_id: String) -> Result<Document, Error> {
        privileges_core::plugin_config(&context_config, &rootfs_diff_id)
    }

    fn why_not_a_plugin(config: Descriptor) -> Option<String> {
        privileges_core::why_not_a_plugin(&config)
    }

    fn judge_privileges(asked: Vec<Privilege>, grants: Grants) -> Vec<bool> {
        privileges_core::judge_privileges(&asked, &grants)
    }
}

privileges_core::wit::export!(Privileges);
