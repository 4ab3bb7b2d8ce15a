//! Tests of the real `ocipipe` binary and the real components in wasmtime
//! that need no Docker Engine: references, the sandbox, the compile
//! cache, `image build -o|--oci-layout`, `image unpack`, reading
//! manifests and layout indexes back, plugin configs, hostile inputs and
//! outputs, copies into one layout at once, foreign layers left behind by
//! a copy. They run outside `scripts/services`. One module per area.

#[path = "../harness.rs"]
mod harness;
#[path = "../hostile/mod.rs"]
mod hostile;

mod bad_archives;
mod build;
mod cache;
mod component_call;
mod config;
mod contract;
mod edits;
mod foreign_layers;
mod golden;
mod hostile_io;
mod kit;
mod layers;
mod layout_writes;
mod login;
mod manifests;
mod outputs;
mod plugin;
mod plugin_build;
mod refs;
mod sandbox;
