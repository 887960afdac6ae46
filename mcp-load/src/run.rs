//! One run: open the target(s), warm up, load, measure, close, and gather a [`Report`] each.
//!
//! With `--compare`, two targets get the same load in interleaved rounds (A then B, then B then
//! A, ...): a drift in the machine's load hits both alike, and each side's figures are its
//! rounds together.

use std::rc::Rc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Plan, Shape};
use crate::era::Era;
use crate::load::{run_phase, Phase, Progress};
use crate::output::{self, Latency, ProcessFigures, Report, Warmup};
use crate::procfs;
use crate::scenario::Mix;
use crate::stats::Stats;
use crate::target::{Client, Spec, Target};
use crate::timeline::Timeline;

/// What to run.
pub struct Run {
    /// The server, and the one it is compared with.
    pub specs: Vec<Spec>,
    /// The era spoken.
    pub era: Era,
    /// What is called.
    pub mix: Mix,
    /// The load.
    pub plan: Plan,
    /// Rounds the measured load is cut into (1 without `--compare`).
    pub rounds: u32,
    /// Whether to draw a progress bar (on stderr, when it is a terminal).
    pub progress_bar: bool,
    /// Whether to keep latency over time (for `--report`; one round only).
    pub timeline: bool,
}

/// One target during a run, and its figures so far.
struct Side {
    spec: Spec,
    target: Target,
    clients: Vec<Client>,
    /// The id of its next call.
    next_id: u64,
    warmup: Warmup,
    stats: Stats,
    elapsed: Duration,
    server_cpu: Option<Duration>,
    driver_cpu: Option<Duration>,
    failure: Option<String>,
}

impl Run {
    /// Runs it (inside a `LocalSet`): a report per target, with its timeline when asked for.
    pub async fn go(self) -> Result<Vec<(Report, Option<Timeline>)>, String> {
        let mix = Rc::new(self.mix.clone());
        let mut sides = Vec::with_capacity(self.specs.len());
        for spec in &self.specs {
            let target = Target::open(spec, self.era, self.plan.timeout).await?;
            let clients = (0..self.plan.shape.in_flight())
                .map(|_| target.client())
                .collect();
            sides.push(Side {
                spec: spec.clone(),
                target,
                clients,
                next_id: 1,
                warmup: Warmup { calls: 0, ok: 0 },
                stats: Stats::default(),
                elapsed: Duration::ZERO,
                server_cpu: Some(Duration::ZERO),
                driver_cpu: Some(Duration::ZERO),
                failure: None,
            });
        }
        if self.plan.warmup > 0 {
            for side in &mut sides {
                let phase = Phase {
                    calls: self.plan.warmup,
                    duration: self.plan.duration,
                    first_id: side.next_id,
                    timeline: false,
                };
                let bar = bar(self.progress_bar, "warm-up", phase.calls, None);
                let progress = Rc::new(Progress::default());
                let ticker = tick(bar.clone(), progress.clone(), true);
                let clients = std::mem::take(&mut side.clients);
                let (clients, result) = run_phase(
                    &side.target,
                    clients,
                    mix.clone(),
                    &self.plan,
                    phase,
                    progress,
                )
                .await;
                ticker.abort();
                bar.finish_and_clear();
                side.clients = clients;
                side.next_id += result.started;
                side.warmup = Warmup {
                    calls: result.stats.finished,
                    ok: result.stats.ok,
                };
                if let Some(failure) = result.failure {
                    for side in sides {
                        side.target.close().await;
                    }
                    return Err(format!("during the warm-up: {failure}"));
                }
            }
        }

        let by_count = self.plan.calls != u64::MAX;
        let total = if by_count {
            self.plan.calls * sides.len() as u64
        } else {
            (self.plan.duration * sides.len() as u32).as_millis() as u64
        };
        let bar = bar(self.progress_bar, "load", total, Some(by_count));
        let progress = Rc::new(Progress::default());
        let ticker = tick(bar.clone(), progress.clone(), by_count);
        let me = std::process::id();
        'rounds: for round in 0..self.rounds {
            let calls = if by_count {
                let (share, rest) = (
                    self.plan.calls / u64::from(self.rounds),
                    self.plan.calls % u64::from(self.rounds),
                );
                share + u64::from(u64::from(round) < rest)
            } else {
                u64::MAX
            };
            if calls == 0 {
                continue;
            }
            // Alternate who goes first, so a steady drift favours neither.
            let order: Vec<usize> = if round % 2 == 0 {
                (0..sides.len()).collect()
            } else {
                (0..sides.len()).rev().collect()
            };
            for index in order {
                let side = &mut sides[index];
                let phase = Phase {
                    calls,
                    duration: self.plan.duration / self.rounds,
                    first_id: side.next_id,
                    timeline: self.timeline,
                };
                let pid = side.target.pid();
                let server_before = pid.and_then(procfs::cpu_time);
                let driver_before = procfs::cpu_time(me);
                let clients = std::mem::take(&mut side.clients);
                let (clients, mut result) = run_phase(
                    &side.target,
                    clients,
                    mix.clone(),
                    &self.plan,
                    phase,
                    progress.clone(),
                )
                .await;
                let add =
                    |total: Option<Duration>, before: Option<Duration>, after: Option<Duration>| {
                        Some(total? + after?.checked_sub(before?)?)
                    };
                side.server_cpu = add(
                    side.server_cpu,
                    server_before,
                    pid.and_then(procfs::cpu_time),
                );
                side.driver_cpu = add(side.driver_cpu, driver_before, procfs::cpu_time(me));
                side.clients = clients;
                side.next_id += result.started;
                side.elapsed += result.elapsed;
                if side.stats.timeline.is_none() {
                    side.stats.timeline = result.stats.timeline.take();
                }
                side.stats.merge(result.stats);
                if let Some(failure) = result.failure {
                    side.failure = Some(failure);
                    break 'rounds;
                }
            }
        }
        ticker.abort();
        bar.finish_and_clear();

        let mut reports = Vec::with_capacity(sides.len());
        for mut side in sides {
            let server = side.target.pid().map(|pid| ProcessFigures {
                pid,
                cpu_us_per_call: per_call(side.server_cpu, &side.stats),
                peak_rss_kib: procfs::peak_rss_kib(pid),
            });
            side.target.close().await;
            let timeline = side.stats.timeline.take();
            let report = Report {
                target: match &side.spec {
                    Spec::Stdio(command) => command.join(" "),
                    Spec::Http { url, .. } => url.clone(),
                },
                era: match self.era {
                    Era::Modern => "modern",
                    Era::Legacy => "legacy",
                },
                tools: mix.tools().into_iter().map(str::to_owned).collect(),
                shape: match self.plan.shape {
                    Shape::Closed { .. } => "closed",
                    Shape::Open { .. } => "open",
                },
                concurrency: self.plan.shape.in_flight(),
                rate: match self.plan.shape {
                    Shape::Open { rate, .. } => Some(rate),
                    Shape::Closed { .. } => None,
                },
                calls: side.stats.finished,
                ok: side.stats.ok,
                errors: output::errors(&side.stats),
                jsonrpc_error_codes: side.stats.rpc_codes.clone(),
                late_replies: side.stats.late_replies,
                elapsed_s: side.elapsed.as_secs_f64(),
                calls_per_s: side.stats.ok as f64 / side.elapsed.as_secs_f64().max(1e-9),
                latency_us: Latency::of(&side.stats),
                warmup: side.warmup,
                server,
                driver_cpu_us_per_call: per_call(side.driver_cpu, &side.stats),
                error_samples: output::samples(&side.stats),
                stopped_early: side.failure,
                buckets: output::buckets(&side.stats),
            };
            reports.push((report, timeline));
        }
        Ok(reports)
    }
}

/// CPU time per finished call, in microseconds.
fn per_call(cpu: Option<Duration>, stats: &Stats) -> Option<f64> {
    Some(cpu?.as_secs_f64() * 1e6 / stats.finished.max(1) as f64)
}

/// A progress bar over `len` calls, or `len` milliseconds when `by_count` is `Some(false)`.
fn bar(shown: bool, label: &str, len: u64, by_count: Option<bool>) -> ProgressBar {
    if !shown {
        return ProgressBar::hidden();
    }
    let template = if by_count == Some(false) {
        "{prefix:>7} [{bar:40}] {msg} ({elapsed}/{duration})"
    } else {
        "{prefix:>7} [{bar:40}] {pos}/{len} calls, {msg} ({elapsed})"
    };
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_owned());
    bar
}

/// Updates `bar` ten times a second from `progress` (calls, or milliseconds elapsed).
fn tick(bar: ProgressBar, progress: Rc<Progress>, by_count: bool) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_local(async move {
        let start = tokio::time::Instant::now();
        let mut interval = tokio::time::interval(Duration::from_millis(100));
        loop {
            interval.tick().await;
            let (finished, ok) = (progress.finished.get(), progress.ok.get());
            if by_count {
                bar.set_position(finished);
            } else {
                bar.set_position(start.elapsed().as_millis() as u64);
            }
            bar.set_message(format!("{ok} ok, {} errors", finished - ok));
        }
    })
}
