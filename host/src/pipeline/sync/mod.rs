//! `ocipipe sync`: many images mirrored or promoted from one declarative
//! file. [`file`] reads and checks that file before any request is made;
//! the plan, the lockfile, the shards and the run that copies build on
//! the typed [`file::SyncFile`] it gives.

pub mod file;
