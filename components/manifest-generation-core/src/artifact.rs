//! What `artifact pull` writes: the file name of each blob of an artifact
//! ([`artifact_file_names`]), as oras names pulled files (the
//! `org.opencontainers.image.title` annotation) and docker compose names
//! a project's files (`com.docker.compose.file`).
//!
//! Owns: which annotation names a blob, and which names are safe to create
//! in the directory the host pulls into: one plain path component each,
//! never two blobs under one name.
//! Must not: touch files (the host creates them), or judge the blobs'
//! descriptors (`read-manifest` did when the manifest was read).

use crate::{Descriptor, Error};

/// The annotation oras and the OCI image spec name a blob's file by
/// (`AnnotationTitle`).
pub const ANNOTATION_TITLE: &str = "org.opencontainers.image.title";
/// The annotation docker compose names a project file by when it publishes
/// one (`ocipush`).
pub const ANNOTATION_COMPOSE_FILE: &str = "com.docker.compose.file";
/// The longest file name, in bytes: `NAME_MAX` on Linux and the macOS and
/// Windows limits, so a name that passes can be created anywhere.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// The file name of each of an artifact's blobs, in order; see the WIT
/// `artifact-file-names`.
pub fn artifact_file_names(layers: &[Descriptor]) -> Result<Vec<String>, Error> {
    let mut names: Vec<String> = Vec::with_capacity(layers.len());
    for (i, blob) in layers.iter().enumerate() {
        let refuse = |why: String| Error::invalid(format!("layers[{i}] ({}): {why}", blob.digest));
        let name = file_name(blob).ok_or_else(|| {
            refuse(format!(
                "no file name: neither {ANNOTATION_TITLE:?} nor {ANNOTATION_COMPOSE_FILE:?} is annotated"
            ))
        })?;
        check_file_name(name).map_err(|why| refuse(format!("file name {name:?} {why}")))?;
        if let Some(first) = names.iter().position(|n| n == name) {
            return Err(refuse(format!(
                "file name {name:?} is also the name of layers[{first}] ({})",
                layers[first].digest
            )));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

/// The name a blob asks for: its title, else its compose file name. An
/// annotation that is there names the blob even when empty, so that an
/// empty title is refused rather than silently replaced.
fn file_name(blob: &Descriptor) -> Option<&str> {
    let annotation = |key: &str| {
        blob.annotations
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    annotation(ANNOTATION_TITLE).or_else(|| annotation(ANNOTATION_COMPOSE_FILE))
}

/// Why `name` cannot be created as one file in the pull directory, if it
/// cannot: anything that would land elsewhere (`..`, `/`, `\` on Windows,
/// an absolute path), name no new file (empty, `.`), be cut short by the
/// system (NUL) or be too long for a file system, or hide in a terminal
/// (control characters).
fn check_file_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".to_owned());
    }
    if name == "." || name == ".." {
        return Err("names a directory, not a file".to_owned());
    }
    if name.starts_with('/') {
        return Err("is an absolute path".to_owned());
    }
    if name.contains(['/', '\\']) {
        return Err("contains a path separator (`/` or `\\`)".to_owned());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!("contains the control character U+{:04X}", c as u32));
    }
    if name.len() > MAX_FILE_NAME_BYTES {
        return Err(format!(
            "is {} bytes long; at most {MAX_FILE_NAME_BYTES} are allowed",
            name.len()
        ));
    }
    Ok(())
}
