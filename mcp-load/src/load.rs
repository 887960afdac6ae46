//! The load: workers that start calls as the shape says, until the count or the time is up.
//!
//! One worker per call in flight, each with its own [`Client`]. Closed loop: a worker starts
//! its next call when the last one ends. Open loop: call `i` is due at `start + i / rate`; the
//! free worker that takes it waits until then, and a call that falls due while every worker is
//! busy starts late, its latency counted from when it was due, so a server that falls behind
//! shows its queue (a closed loop would quietly slow down instead). A worker that was waiting
//! counts from when it actually sent (the timer wakes up to a millisecond late: the driver's
//! lateness, not the server's).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::cli::{Plan, Shape};
use crate::request::Rng;
use crate::scenario::Mix;
use crate::stats::{ErrorKind, Outcome, Stats};
use crate::target::{Client, Target};

/// Seed of the generator that picks scenario entries and `$rand` keys (runs repeat exactly).
const SEED: u64 = 0x6d63_702d_6c6f_6164;

/// One phase of a run (the warm-up, or the measured calls).
#[derive(Clone, Copy, Debug)]
pub struct Phase {
    /// Calls at most.
    pub calls: u64,
    /// No call starts after this long.
    pub duration: Duration,
    /// The id of the phase's first call (ids are unique over the run).
    pub first_id: u64,
    /// Whether to keep every correct answer's time and latency (for `--report`).
    pub timeline: bool,
}

/// What a phase did.
pub struct PhaseResult {
    /// Its figures.
    pub stats: Stats,
    /// From its start to the end of its last call.
    pub elapsed: Duration,
    /// Calls started.
    pub started: u64,
    /// Why it stopped early, when the target failed.
    pub failure: Option<String>,
}

/// A phase's progress, readable while it runs (for the progress bar).
#[derive(Default)]
pub struct Progress {
    /// Calls finished.
    pub finished: Cell<u64>,
    /// Of which answered correctly.
    pub ok: Cell<u64>,
}

/// What the workers of a phase share (one thread: cells, no locks).
struct Shared {
    mix: Rc<Mix>,
    shape: Shape,
    timeout: Duration,
    phase: Phase,
    start: Instant,
    deadline: Instant,
    /// The next call's index in the phase.
    next: Cell<u64>,
    stopped: Cell<bool>,
    failure: RefCell<Option<String>>,
    rng: RefCell<Rng>,
    stats: RefCell<Stats>,
    progress: Rc<Progress>,
}

impl Shared {
    /// The index of the next call and when it is due (open loop), or `None` when the phase
    /// is over.
    fn take(&self, now: Instant) -> Option<(u64, Option<Instant>)> {
        let index = self.next.get();
        if index >= self.phase.calls || self.stopped.get() {
            return None;
        }
        let due = match self.shape {
            Shape::Open { rate, .. } => {
                let due = self.start + Duration::from_secs_f64(index as f64 / rate);
                if due >= self.deadline {
                    return None;
                }
                Some(due)
            }
            Shape::Closed { .. } if now >= self.deadline => return None,
            Shape::Closed { .. } => None,
        };
        self.next.set(index + 1);
        Some((index, due))
    }
}

/// Runs one phase with `clients` (one per call in flight) and gives them back for the next.
/// Must run inside a `LocalSet`.
pub async fn run_phase(
    target: &Target,
    clients: Vec<Client>,
    mix: Rc<Mix>,
    plan: &Plan,
    phase: Phase,
    progress: Rc<Progress>,
) -> (Vec<Client>, PhaseResult) {
    let start = Instant::now();
    let shared = Rc::new(Shared {
        mix,
        shape: plan.shape,
        timeout: plan.timeout,
        phase,
        start,
        deadline: start + phase.duration,
        next: Cell::new(0),
        stopped: Cell::new(false),
        failure: RefCell::new(None),
        // Each phase draws the same sequence: a warm-up primes what the run then calls.
        rng: RefCell::new(Rng::new(SEED)),
        stats: RefCell::new(Stats::with_timeline(phase.timeline)),
        progress,
    });
    let workers: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::task::spawn_local(work(shared.clone(), client)))
        .collect();
    let mut clients = Vec::with_capacity(workers.len());
    for worker in workers {
        clients.push(worker.await.expect("a worker does not panic"));
    }
    let elapsed = start.elapsed();
    let mut stats = shared.stats.take();
    target.drain_strays(&mut stats);
    let result = PhaseResult {
        stats,
        elapsed,
        started: shared.next.get(),
        failure: shared.failure.take(),
    };
    (clients, result)
}

/// One worker: takes calls until the phase is over.
async fn work(shared: Rc<Shared>, mut client: Client) -> Client {
    // One clock reading per call: the end of one call is the start of the next.
    let mut now = Instant::now();
    while let Some((index, due)) = shared.take(now) {
        let begin = match due {
            Some(due) if due > now => {
                tokio::time::sleep_until(due.into()).await;
                Instant::now()
            }
            // Late: every worker was busy when it fell due; the wait is part of its latency.
            Some(due) => due,
            None => now,
        };
        let id = shared.phase.first_id + index;
        let mut request = Vec::with_capacity(256);
        let template = {
            let mut rng = shared.rng.borrow_mut();
            let template = shared.mix.pick(&mut rng);
            template.write(id, &mut rng, &mut request);
            template
        };
        let outcome = client
            .call(id, request, &template.tool, shared.timeout)
            .await;
        let end = Instant::now();
        now = end;
        let latency = end - begin;
        let ok = outcome == Outcome::Ok;
        let transport = matches!(outcome, Outcome::Error(ErrorKind::Transport, _));
        let mut stats = shared.stats.borrow_mut();
        stats.record(outcome, latency);
        if let (true, Some(timeline)) = (ok, &mut stats.timeline) {
            timeline.record(end - shared.start, latency);
        }
        drop(stats);
        let progress = &shared.progress;
        progress.finished.set(progress.finished.get() + 1);
        progress.ok.set(progress.ok.get() + u64::from(ok));
        if transport {
            if let Some(failure) = client.failure() {
                // The process is gone: more calls would only fail at once.
                shared.failure.borrow_mut().get_or_insert(failure);
                shared.stopped.set(true);
            }
        }
    }
    client
}
