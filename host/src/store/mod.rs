//! Images on disk: writing plans that components return (layer tars,
//! archives, OCI layouts) and reading archives safely (scan, unpack).
//! Streams every big byte itself; decides no layout (components do).
//! Never imports runtime, docker or registry code.

pub mod archive_reader;
pub mod atomic;
pub mod cleanup;
pub mod hashing;
pub mod plan;
pub mod sink;
pub mod source;
pub mod unpack;
pub mod walk;
