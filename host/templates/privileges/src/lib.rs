//! {{crate}}: an ocipipe `privileges` component (the world
//! `ocipipe:image/privileges@{{wit}}`, whose WIT is in `wit/`).
//!
//! Every function answers what the next implementation answers: `next` is
//! the WIT import of the same interface, which ocipipe links to the
//! built-in (or to the component named before this one with
//! `--component privileges=…`). Change the answers you need; the rest stay
//! the built-in's. Which command calls which function: `ocipipe component contract`.
//!
//! `compute-privileges` must answer exactly what the Docker Engine computes
//! (moby's list): the engine checks it again when it installs the plugin.
//! Be stricter in `judge-privileges` instead.

use ocipipe_sdk::{Descriptor, Document, Error};
use privileges_core::wit::exports::ocipipe::image::plugins::{self, Grants, Privilege};
use privileges_core::wit::ocipipe::image::plugins as next;

struct Component;

impl plugins::Guest for Component {
    fn compute_privileges(plugin_config: String) -> Result<Vec<Privilege>, Error> {
        next::compute_privileges(&plugin_config)
    }

    fn plugin_config(context_config: String, rootfs_diff_id: String) -> Result<Document, Error> {
        next::plugin_config(&context_config, &rootfs_diff_id)
    }

    fn why_not_a_plugin(config: Descriptor) -> Option<String> {
        next::why_not_a_plugin(&config)
    }

    fn judge_privileges(asked: Vec<Privilege>, grants: Grants) -> Vec<bool> {
        let granted = next::judge_privileges(&asked, &grants);
        asked
            .iter()
            .zip(granted)
            .map(|(p, g)| allowed(&p.name, g))
            .collect()
    }
}

/// Whether the privilege named `name`, which the grants given allow when
/// `granted`, is allowed: the place to change an answer. As it is, what
/// the grants say.
fn allowed(name: &str, granted: bool) -> bool {
    // Stricter: never the host's PID namespace, whatever is granted.
    // if name == "host pid namespace" {
    //     return false;
    // }
    let _ = name;
    granted
}

privileges_core::wit::export!(Component);

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn a_granted_privilege_is_allowed() {
        // Stricter, as in the comment: false here.
        assert!(allowed("host pid namespace", true));
        assert!(!allowed("network", false));
    }
}
