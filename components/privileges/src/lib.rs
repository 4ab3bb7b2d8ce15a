//! The privileges component: exports `ocipipe:image/plugins` by delegating
//! to the pure function in `privileges-core`.
//!
//! The shared WIT types are `ocipipe_sdk`'s and the world's `privilege`
//! record and `grants` variant are the core's own (`with` below), so values
//! cross the boundary without conversion. No logic lives here.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "privileges",
        with: {
            "ocipipe:image/types@0.1.0": ocipipe_sdk::types,
            "ocipipe:image/plugins@0.1.0/privilege": privileges_core::Privilege,
            "ocipipe:image/plugins@0.1.0/grants": privileges_core::Grants,
        },
    });
}

use bindings::exports::ocipipe::image::plugins::Guest;
use ocipipe_sdk::{Descriptor, Document, Error};
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

bindings::export!(Privileges with_types_in bindings);
