//! Helpers shared by the integration tests: materialising a plan the way the
//! host does, and reading a tar back with the `tar` crate.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use tar_assembly_core::{BlobRef, FileRef, Segment};

/// Fake contents of a layer file: a function of its path, `size` bytes.
pub fn file_bytes(path: &str, size: u64) -> Vec<u8> {
    path.bytes().cycle().take(size as usize).collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    digest_of(bytes)["sha256:".len()..].to_owned()
}

pub fn digest_of(bytes: &[u8]) -> String {
    ocipipe_sdk::digest::sha256(bytes)
}

/// The bytes of a plan, with `File` segments filled by [`file_bytes`] and
/// `Blob` segments from `blobs` (by digest).
pub fn materialise(plan: &[Segment], blobs: &HashMap<String, Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for segment in plan {
        match segment {
            Segment::Bytes(b) => out.extend_from_slice(b),
            Segment::File(FileRef { path, size }) => out.extend(file_bytes(path, *size)),
            Segment::Blob(BlobRef { digest, size }) => {
                let bytes = blobs
                    .get(digest)
                    .unwrap_or_else(|| panic!("no blob {digest}"));
                assert_eq!(bytes.len() as u64, *size, "size of {digest}");
                out.extend_from_slice(bytes);
            }
        }
    }
    out
}

/// No two `Bytes` segments are adjacent, and none is empty.
pub fn assert_coalesced(plan: &[Segment]) {
    for pair in plan.windows(2) {
        assert!(
            !matches!(pair, [Segment::Bytes(_), Segment::Bytes(_)]),
            "adjacent bytes segments"
        );
    }
    for s in plan {
        if let Segment::Bytes(b) = s {
            assert!(!b.is_empty(), "empty bytes segment");
        }
    }
}

/// One entry as the `tar` crate reads it.
#[derive(Debug, Clone)]
pub struct TarEntry {
    pub path: String,
    pub kind: tar::EntryType,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: u64,
    pub size: u64,
    pub link: Option<String>,
    pub dev: Option<(u32, u32)>,
    pub pax: Vec<(String, Vec<u8>)>,
    pub data: Vec<u8>,
}

/// Every entry of a tar, in order.
pub fn read_tar(bytes: &[u8]) -> Vec<TarEntry> {
    assert_eq!(bytes.len() % 512, 0, "whole blocks");
    assert!(bytes.ends_with(&[0u8; 1024]), "two zero blocks at the end");
    let mut archive = tar::Archive::new(bytes);
    let mut out = Vec::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let header = entry.header().clone();
        let pax = match entry.pax_extensions().expect("pax") {
            Some(exts) => exts
                .map(|e| {
                    let e = e.expect("pax record");
                    (
                        e.key().expect("utf-8 key").to_owned(),
                        e.value_bytes().to_vec(),
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        let path = String::from_utf8(entry.path_bytes().into_owned()).expect("utf-8 path");
        let link = entry
            .link_name_bytes()
            .map(|l| String::from_utf8(l.into_owned()).expect("utf-8 link"));
        let dev = match (header.device_major(), header.device_minor()) {
            (Ok(Some(a)), Ok(Some(b))) => Some((a, b)),
            _ => None,
        };
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("data");
        out.push(TarEntry {
            path,
            kind: header.entry_type(),
            mode: header.mode().expect("mode"),
            uid: header.uid().expect("uid"),
            gid: header.gid().expect("gid"),
            mtime: header.mtime().expect("mtime"),
            size: entry.size(),
            link,
            dev,
            pax,
            data,
        });
    }
    out
}
