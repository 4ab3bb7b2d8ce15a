//! Images on disk: writing plans that components return (layer tars,
//! archives, OCI layouts) and reading archives safely (scan, unpack).
//! Streams every big byte itself; decides no layout and no changeset
//! (components do). Never imports runtime, docker or registry code.
//!
//! Modules: [`tar`] (what reading any tar needs, and the one safe-name
//! rule), [`archive`] (reading image
//! archives), [`unpack`] (applying layers into a root), [`plan`] (writing
//! plans), [`walk`] (reading a layer directory), [`sink`] (image outputs:
//! archive file, stream, layout), [`source`] (image inputs), [`atomic`]
//! (outputs that appear whole or not at all), [`files`] (inputs,
//! temporary and staged directories and hashed files, for `pipeline`),
//! [`compress`] (gzip and zstd for registries), [`cleanup`] (temporary
//! outputs removed on an interrupt), [`layout_writer`] (the one OCI layout
//! writer, for copies and builds, and a layout as a
//! [`crate::model::destination::Destination`]), [`locked`] (a small file
//! updated in place) and [`dir_lock`] (the lock both take, so that
//! concurrent runs lose nothing).

pub mod archive;
pub mod atomic;
pub mod cleanup;
pub mod compress;
pub mod dir_lock;
pub mod files;
pub mod layout_writer;
pub mod locked;
pub mod plan;
pub mod sink;
pub mod source;
pub mod spool;
pub mod tar;
pub mod unpack;
pub mod walk;

#[cfg(test)]
mod test_support;
