//! Domain types shared by the host's modules: what a reference, digest or
//! descriptor is, independent of WIT bindings and of any backend.

mod reference;

pub use reference::Reference;
