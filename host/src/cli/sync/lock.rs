//! Lockfiles: a plan kept as JSON Lines (`--lock FILE`), one image a line
//! as `--plan` prints it, and read back by `--from-lock FILE` into work
//! pinned to each line's digest.

use crate::model::Digest;
use crate::pipeline::Location;
use crate::pipeline::Operations;
use crate::pipeline::sync::{Planned, Reason, Settings, Work, file::Compression};
use crate::store::files::Output;
use anyhow::Context as _;
use serde::Deserialize;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The largest lockfile read: a million images' lines.
const MAX_LOCK_BYTES: u64 = 512 << 20;

/// Writes the plan lines of `work` to `path`, whole or not at all.
pub(super) fn write(path: &Path, work: &[Work]) -> anyhow::Result<()> {
    let mut out = Output::create(path)?;
    for item in work {
        let line = serde_json::to_string(&item.planned)?;
        writeln!(out, "{}", crate::model::json_line(&line))?;
    }
    out.commit()?;
    Ok(())
}

/// `source` (a name without its tag, and an optional `@DIGEST`) with
/// `tag`: `NAME:TAG[@DIGEST]`.
fn with_tag(source: &str, tag: Option<&str>) -> String {
    let Some(tag) = tag else {
        return source.to_string();
    };
    match source.rsplit_once('@') {
        Some((name, digest)) if digest.contains(':') => format!("{name}:{tag}@{digest}"),
        _ => format!("{source}:{tag}"),
    }
}

/// One line of a lockfile, as [`Planned`] writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    source: String,
    tag: Option<String>,
    digest: String,
    target: String,
    reason: Option<Reason>,
    parallel: usize,
    platforms: Option<Vec<String>>,
    referrers: bool,
    referrer_types: Vec<String>,
    compression: Compression,
}

/// The work a lockfile holds, in its order; a line that cannot be read is
/// refused naming the file and line, before any request.
pub(super) fn read(ops: &Operations<'_>, path: &Path) -> anyhow::Result<Vec<Work>> {
    let (path, shown) = crate::store::files::input(path);
    let bytes = crate::store::files::read_at_most(path, MAX_LOCK_BYTES)
        .with_context(|| format!("cannot read the lockfile {shown}"))?
        .with_context(|| format!("{shown}: larger than {} MiB", MAX_LOCK_BYTES >> 20))?;
    let text = String::from_utf8(bytes).with_context(|| format!("{shown}: not UTF-8"))?;
    let mut work = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry = format!("{shown}:{}", n + 1);
        let parsed: Line = serde_json::from_str(line)
            .with_context(|| format!("{entry}: not a line of an ocipipe sync plan"))?;
        work.push(item(ops, parsed, entry.clone()).with_context(|| entry)?);
    }
    anyhow::ensure!(!work.is_empty(), "{shown}: the lockfile lists no image");
    Ok(work)
}

/// The work of one line: the source pinned to the line's digest (a
/// registry's by digest; a layout's tag, an archive's or the engine's image
/// checked against it before the copy).
fn item(ops: &Operations<'_>, line: Line, entry: String) -> anyhow::Result<Work> {
    let digest = Digest::parse(&line.digest)?;
    anyhow::ensure!(line.parallel > 0, "parallel must be at least 1");
    let tagging = ops.tagging;
    let source = line.source.as_str();
    let from = if let Some(name) = source.strip_prefix("docker://") {
        let pinned = match &line.tag {
            Some(tag) => format!("{name}:{tag}@{digest}"),
            None => format!("{name}@{digest}"),
        };
        Location::Registry(tagging.parse_normalized_named(&pinned)?)
    } else if let Some(path) = source.strip_prefix("oci:") {
        Location::Layout {
            path: PathBuf::from(path),
            tag: line.tag.clone(),
        }
    } else if source.starts_with("docker-archive:") || source.starts_with("docker-daemon:") {
        let named = with_tag(source, line.tag.as_deref());
        super::super::copy::location(tagging, &named)
            .with_context(|| format!("source {source:?}"))?
    } else {
        anyhow::bail!(
            "source {source:?}: expected docker://HOST/PATH, oci:PATH, \
             docker-archive:PATH[:NAME] or docker-daemon:NAME"
        )
    };
    let to = super::super::copy::location(tagging, &line.target)?;
    if let Location::Daemon(crate::model::AnyReference::Id(_)) = to {
        anyhow::bail!(
            "target {:?}: an image goes into the engine under a name",
            line.target
        );
    }
    Ok(Work {
        planned: Planned {
            source: line.source,
            tag: line.tag,
            digest,
            target: to.to_string(),
            reason: line.reason.unwrap_or(Reason::New),
            settings: Settings {
                parallel: line.parallel,
                platforms: line.platforms,
                referrers: line.referrers,
                referrer_types: line.referrer_types,
                compression: line.compression,
            },
        },
        from,
        to,
        entry,
    })
}

#[cfg(test)]
mod tests {
    use super::with_tag;

    #[test]
    fn a_tag_goes_back_before_the_digest_of_a_source() {
        let digest = format!("sha256:{}", "a".repeat(64));
        for (source, tag, named) in [
            (
                "docker-daemon:docker.io/library/app",
                Some("1"),
                "docker-daemon:docker.io/library/app:1".to_string(),
            ),
            (
                "docker-archive:/a.tar:app",
                Some("1"),
                "docker-archive:/a.tar:app:1".to_string(),
            ),
            (
                "docker-archive:/a.tar",
                None,
                "docker-archive:/a.tar".to_string(),
            ),
            (
                &format!("docker-daemon:app@{digest}"),
                Some("1"),
                format!("docker-daemon:app:1@{digest}"),
            ),
            (
                &format!("docker-daemon:{digest}"),
                None,
                format!("docker-daemon:{digest}"),
            ),
        ] {
            assert_eq!(with_tag(source, tag), named, "{source} {tag:?}");
        }
    }
}
