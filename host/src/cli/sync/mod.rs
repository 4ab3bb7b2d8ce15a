//! `ocipipe sync FILE`: the sync file (or a lockfile) read into the
//! pipeline's jobs, the plan printed or kept, the images copied, one
//! result line each and a summary.

mod jobs;
mod lock;

use super::args::SyncArgs;
use super::copy::CopyEnv;
use super::output::Printer;
use super::{Config, Outcome, progress};
use crate::pipeline::Operations;
use crate::pipeline::sync::{self, Action, Done, Summary, Work, file};
use anyhow::Context as _;

pub(super) fn run(config: &Config, args: SyncArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(args.jobs > 0, "--jobs must be at least 1");
    let file = args
        .file
        .as_deref()
        .map(file::read)
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let components = config.components()?;
    let progress = progress::for_run(config.json || args.plan);
    let ops = Operations::new(&components, progress.as_ref())?;
    // Every entry (or lockfile line) is read and checked before any
    // request.
    let jobs = match (&file, &args.from_lock) {
        (Some(file), None) => Some(jobs::jobs(&ops, file)?),
        _ => None,
    };
    let jobs = jobs.map(|jobs| match args.shard {
        Some(shard) => shard.take(jobs, |j| sync::repository_key(&j.target)),
        None => jobs,
    });
    let locked = match &args.from_lock {
        Some(path) => Some(shard(&args, lock::read(&ops, path)?)),
        None => None,
    };
    let budgets = file
        .as_ref()
        .map(|f| f.registries.clone())
        .unwrap_or_default();
    let sides = (jobs.iter().flatten().map(|j| [&j.source, &j.target]))
        .chain(locked.iter().flatten().map(|w| [&w.from, &w.to]));
    // The engine is connected only when a side is in it.
    let needs_engine = sides
        .flatten()
        .any(|l| matches!(l, crate::pipeline::Location::Daemon(_)));
    let env = CopyEnv::with_budgets(config, needs_engine, args.jobs, budgets)?;
    let ctx = env.context(&ops, None);
    let (work, failed) = match (locked, jobs) {
        (Some(work), _) => (sync::recheck(&ctx, work)?, Vec::new()),
        (None, Some(jobs)) => sync::plan(&ctx, &jobs, args.keep_going)?,
        (None, None) => anyhow::bail!("give a sync file, or --from-lock LOCKFILE"),
    };
    if let Some(path) = &args.lock {
        lock::write(path, &work).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.plan {
        return print_plan(config, &args, &work, &failed);
    }
    let summary = copy_all(config, &ctx, work, failed, args.keep_going)?;
    Ok(match summary.failed + summary.not_started {
        0 => Outcome::Success,
        _ => Outcome::SomeFailed,
    })
}

/// The part of `work` read from a lockfile that `--shard` takes.
fn shard(args: &SyncArgs, work: Vec<Work>) -> Vec<Work> {
    match args.shard {
        Some(shard) => shard.take(work, Work::repository),
        None => work,
    }
}

/// `--plan`: the plan's lines on stdout (unless they went to `--lock`),
/// failed entries on stderr.
fn print_plan(
    config: &Config,
    args: &SyncArgs,
    work: &[Work],
    failed: &[Done],
) -> anyhow::Result<Outcome> {
    if args.lock.is_none() {
        let mut printer = Printer::new(true);
        for item in work {
            printer.result(&item.planned, String::new)?;
        }
    }
    let mut errors = Printer::new(config.json);
    for done in failed {
        errors.note(|| format!("failed {}", done.target))?;
        eprintln!("error: {}", done.error.as_deref().unwrap_or("failed"));
    }
    Ok(match failed.len() {
        0 => Outcome::Success,
        _ => Outcome::SomeFailed,
    })
}

/// Copies `work` and prints each result as it comes (entries that failed
/// to resolve first), then the summary.
fn copy_all(
    config: &Config,
    ctx: &crate::pipeline::CopyContext<'_>,
    work: Vec<Work>,
    failed: Vec<Done>,
    keep_going: bool,
) -> anyhow::Result<Summary> {
    let mut printer = Printer::new(config.json);
    let mut summary = Summary::default();
    for done in &failed {
        summary.add(done);
        print_done(&mut printer, done)?;
    }
    // Results are printed here, on this thread (stdout's lock is not
    // shared), as the copies' threads send them.
    let (tx, rx) = std::sync::mpsc::channel::<Done>();
    let copied = std::thread::scope(|scope| -> anyhow::Result<Summary> {
        let copies = scope.spawn(move || {
            let report = move |done: &Done| drop(tx.send(done.clone()));
            sync::run(ctx, work, keep_going, &report)
        });
        let mut printed = Ok(());
        for done in rx {
            if printed.is_ok() {
                printed = print_done(&mut printer, &done);
            }
        }
        let copied = copies.join().expect("the copies do not panic");
        printed?;
        Ok(copied)
    })?;
    summary.merge(&copied);
    printer.result(&serde_json::json!({ "summary": summary }), || {
        format!(
            "{} images: {} copied, {} unchanged, {} failed{}; {} bytes sent",
            summary.images,
            summary.copied,
            summary.unchanged,
            summary.failed,
            match summary.not_started {
                0 => String::new(),
                n => format!(", {n} not started"),
            },
            summary.bytes_sent
        )
    })?;
    Ok(summary)
}

/// One image's line; a failure's error also on stderr.
fn print_done(printer: &mut Printer, done: &Done) -> anyhow::Result<()> {
    let action = match done.action {
        Action::Copied => "copied",
        Action::Unchanged => "unchanged",
        Action::Failed => "failed",
    };
    printer.result(done, || match &done.digest {
        Some(digest) => format!("{action} {} {digest}", done.target),
        None => format!("{action} {}", done.target),
    })?;
    if let Some(error) = &done.error {
        eprintln!("error: {error}");
    }
    Ok(())
}
