//! Conversions for the `manifest-generation` world: image-config requests
//! and the host machine.

use super::{digests_to_wit, platform_to_wit};
use crate::model::{ConfigRequest, HostMachine};
use crate::runtime::bindings::manifest_generation::exports::ocipipe::image::configs;

/// An image-config request, into WIT.
pub(in crate::runtime) fn config_request_to_wit(request: &ConfigRequest) -> configs::ConfigRequest {
    configs::ConfigRequest {
        base: request.base.clone(),
        platform: platform_to_wit(&request.platform),
        diff_ids: digests_to_wit(&request.diff_ids),
        history: request
            .history
            .iter()
            .map(|h| configs::History {
                created: h.created,
                created_by: h.created_by.clone(),
                comment: h.comment.clone(),
                empty_layer: h.empty_layer,
            })
            .collect(),
        created: request.created,
        env: request.env.clone(),
        entrypoint: request.entrypoint.clone(),
        cmd: request.cmd.clone(),
        working_dir: request.working_dir.clone(),
        user: request.user.clone(),
        labels: request.labels.clone(),
        exposed_ports: request.exposed_ports.clone(),
    }
}

/// The host machine, into WIT.
pub(in crate::runtime) fn host_machine_to_wit(host: &HostMachine) -> configs::HostMachine {
    configs::HostMachine {
        os: host.os.clone(),
        arch: host.arch.clone(),
        little_endian: host.little_endian,
    }
}
