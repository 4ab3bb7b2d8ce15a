//! The run of a sync: the planned images copied, several at once, each
//! through the one copy path, pinned to the digest the plan saw.
//!
//! Images go out in plan order to as many workers as the largest
//! `parallel` of the plan, and no target repository has more than its
//! entry's `parallel` at once. Without `keep_going` the first failure stops
//! the start of new copies (those under way finish); with it every image
//! is tried. Each result is reported as it is known.

use super::file::Compression;
use super::{Action, Done, Reason, Summary, Work};
use crate::model::{LayerCompression, Together};
use crate::pipeline::Error;
use crate::pipeline::Operations;
use crate::pipeline::copy::{self, CopyContext, Location};
use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex};

/// The most images copied at once, whatever the file asks: each copy has
/// its own blobs in flight, and the machine its memory.
const MOST_AT_ONCE: usize = 32;

/// Copies `work`, reporting each image's result to `report` as it is
/// known (from several threads, one call at a time); the totals.
pub fn run(
    ctx: &CopyContext<'_>,
    work: Vec<Work>,
    keep_going: bool,
    report: &(dyn Fn(&Done) + Sync),
) -> Summary {
    let workers = work
        .iter()
        .map(|w| w.planned.settings.parallel)
        .max()
        .unwrap_or(1)
        .clamp(1, MOST_AT_ONCE)
        .min(work.len().max(1));
    let images = work.len();
    let queue = Queue {
        state: Mutex::new(State {
            waiting: work.into(),
            running: HashMap::new(),
            stopped: false,
            summary: Summary::default(),
        }),
        changed: Condvar::new(),
    };
    // Copies at once would each start and finish their own tasks: shown
    // as one, of every image's bytes.
    let together = Together::named(ctx.ops.progress, &format!("{images} images"));
    let ops = Operations {
        progress: &together,
        ..*ctx.ops
    };
    let ctx = &CopyContext {
        ops: &ops,
        platforms: Vec::new(),
        ..*ctx
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| queue.work(ctx, keep_going, report));
        }
    });
    together.done();
    let state = queue.state.into_inner().expect("not poisoned");
    let mut summary = state.summary;
    summary.not_started = state.waiting.len();
    summary
}

/// The images not yet started, and how many of each target repository are
/// under way.
struct Queue {
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    waiting: VecDeque<Work>,
    running: HashMap<String, usize>,
    stopped: bool,
    summary: Summary,
}

impl Queue {
    /// One worker: takes the next image its repository has room for,
    /// copies it, reports it, until none is left (or the run stopped).
    fn work(&self, ctx: &CopyContext<'_>, keep_going: bool, report: &(dyn Fn(&Done) + Sync)) {
        while let Some(item) = self.next() {
            let repository = item.repository();
            let done = copy_one(ctx, &item);
            let mut state = self.state.lock().expect("not poisoned");
            if let Some(n) = state.running.get_mut(&repository) {
                *n -= 1;
            }
            state.summary.add(&done);
            if done.action == Action::Failed && !keep_going {
                state.stopped = true;
            }
            // Reported under the lock: one line at a time, and the summary
            // never ahead of the lines.
            report(&done);
            drop(state);
            self.changed.notify_all();
        }
    }

    /// The first waiting image whose repository is below its entry's
    /// `parallel`; waits while every waiting image's repository is full.
    fn next(&self) -> Option<Work> {
        let mut state = self.state.lock().expect("not poisoned");
        loop {
            if state.stopped || state.waiting.is_empty() {
                return None;
            }
            let free = state.waiting.iter().position(|w| {
                state.running.get(&w.repository()).copied().unwrap_or(0)
                    < w.planned.settings.parallel
            });
            if let Some(i) = free {
                let item = state.waiting.remove(i).expect("found");
                *state.running.entry(item.repository()).or_insert(0) += 1;
                return Some(item);
            }
            state = self.changed.wait(state).expect("not poisoned");
        }
    }
}

/// Copies one image (unless the target has it), then its referrers when
/// asked; the result line, failed with the error when anything failed.
fn copy_one(ctx: &CopyContext<'_>, item: &Work) -> Done {
    let planned = &item.planned;
    let mut done = Done {
        source: planned.source.clone(),
        tag: planned.tag.clone(),
        digest: Some(planned.digest.clone()),
        target: planned.target.clone(),
        action: Action::Unchanged,
        bytes_sent: 0,
        referrers_copied: 0,
        error: None,
    };
    if let Err(e) = copy_image(ctx, item, &mut done) {
        done.action = Action::Failed;
        done.error = Some(format!("{}: {e}", item.entry));
    }
    done
}

fn copy_image(ctx: &CopyContext<'_>, item: &Work, done: &mut Done) -> Result<(), Error> {
    let settings = &item.planned.settings;
    let platforms = super::platforms(ctx.ops, settings)?;
    let ctx = CopyContext {
        ops: ctx.ops,
        runtime: ctx.runtime,
        engine: ctx.engine,
        access: ctx.access,
        platforms,
        compression: match settings.compression {
            Compression::Keep => None,
            Compression::Gzip => Some(LayerCompression::Gzip),
            Compression::Zstd => Some(LayerCompression::Zstd),
        },
    };
    let mut subject = item.planned.digest.clone();
    if item.planned.reason != Reason::Unchanged {
        still_there(&ctx, item)?;
        let copied = copy::copy(&ctx, &item.from, &item.to)?;
        done.action = Action::Copied;
        done.bytes_sent += copied.bytes_sent;
        // Some platforms of an index are another manifest at the target.
        subject = copied.digest.unwrap_or(subject);
    }
    if let (true, Location::Registry(from), Location::Registry(to)) =
        (settings.referrers, &item.from, &item.to)
    {
        let more = copy::copy_referrers(&ctx, from, to, &subject, &settings.referrer_types)?;
        done.referrers_copied = more.copied;
        done.bytes_sent += more.bytes_sent;
    }
    Ok(())
}

/// The source must still name the planned digest: a layout's tag, an
/// archive's or the engine's image (by its image ID). A registry source
/// is read by digest, so it cannot have moved.
fn still_there(ctx: &CopyContext<'_>, item: &Work) -> Result<(), Error> {
    let now = match &item.from {
        Location::Registry(_) => return Ok(()),
        Location::Layout { path, tag } => super::plan::layout_digest(ctx, path, tag.as_deref())?,
        from => ctx.runtime.block_on(super::identity::image_id(ctx, from))?,
    };
    if now.as_ref() == Some(&item.planned.digest) {
        return Ok(());
    }
    Err(Error::NotFound {
        source_name: item.from.to_string(),
        message: match now {
            Some(now) => format!(
                "it now names {now}, not the planned {}",
                item.planned.digest
            ),
            None => format!("the planned {} is gone", item.planned.digest),
        },
    })
}
