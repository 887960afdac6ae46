//! One run: open the target, warm up, load it, measure, close, and gather the [`Report`].

use std::rc::Rc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Plan, Shape};
use crate::era::Era;
use crate::load::{run_phase, Phase, PhaseResult, Progress};
use crate::output::{self, Latency, ProcessFigures, Report, Warmup};
use crate::procfs;
use crate::scenario::Mix;
use crate::target::{Spec, Target};
use crate::timeline::Timeline;

/// What to run.
pub struct Run {
    /// The server.
    pub spec: Spec,
    /// The era spoken.
    pub era: Era,
    /// What is called.
    pub mix: Mix,
    /// The load.
    pub plan: Plan,
    /// Whether to draw a progress bar (on stderr, when it is a terminal).
    pub progress_bar: bool,
    /// Whether to keep latency over time (for `--report`).
    pub timeline: bool,
}

impl Run {
    /// Runs it (inside a `LocalSet`); the timeline when asked for.
    pub async fn go(self) -> Result<(Report, Option<Timeline>), String> {
        let Run {
            spec,
            era,
            mix,
            plan,
            progress_bar,
            timeline,
        } = self;
        let target = Target::open(&spec, era, plan.timeout).await?;
        let mix = Rc::new(mix);
        let mut clients: Vec<_> = (0..plan.shape.in_flight())
            .map(|_| target.client())
            .collect();
        let mut next_id = 1;
        let mut warmup = Warmup { calls: 0, ok: 0 };
        if plan.warmup > 0 {
            let phase = Phase {
                calls: plan.warmup,
                duration: plan.duration,
                first_id: next_id,
                timeline: false,
            };
            let bar = bar(progress_bar, "warm-up", &phase, &plan);
            let progress = Rc::new(Progress::default());
            let ticker = tick(bar.clone(), progress.clone(), phase);
            let (back, result) =
                run_phase(&target, clients, mix.clone(), &plan, phase, progress).await;
            ticker.abort();
            bar.finish_and_clear();
            clients = back;
            next_id += result.started;
            warmup = Warmup {
                calls: result.stats.finished,
                ok: result.stats.ok,
            };
            if let Some(failure) = result.failure {
                target.close().await;
                return Err(format!("during the warm-up: {failure}"));
            }
        }

        let pid = target.pid();
        let me = std::process::id();
        let (server_before, driver_before) = (pid.and_then(procfs::cpu_time), procfs::cpu_time(me));
        let phase = Phase {
            calls: plan.calls,
            duration: plan.duration,
            first_id: next_id,
            timeline,
        };
        let bar = bar(progress_bar, "load", &phase, &plan);
        let progress = Rc::new(Progress::default());
        let ticker = tick(bar.clone(), progress.clone(), phase);
        let (_clients, mut result) =
            run_phase(&target, clients, mix.clone(), &plan, phase, progress).await;
        ticker.abort();
        bar.finish_and_clear();
        let (server_after, driver_after) = (pid.and_then(procfs::cpu_time), procfs::cpu_time(me));
        let per_call = |before: Option<Duration>, after: Option<Duration>| {
            let calls = result.stats.finished.max(1) as f64;
            Some((after? - before?).as_secs_f64() * 1e6 / calls)
        };
        let server = pid.map(|pid| ProcessFigures {
            pid,
            cpu_us_per_call: per_call(server_before, server_after),
            peak_rss_kib: procfs::peak_rss_kib(pid),
        });
        let driver_cpu_us_per_call = per_call(driver_before, driver_after);
        target.close().await;
        let timeline = result.stats.timeline.take();
        let report = report(
            &spec,
            era,
            &mix,
            &plan,
            result,
            warmup,
            server,
            driver_cpu_us_per_call,
        );
        Ok((report, timeline))
    }
}

#[allow(clippy::too_many_arguments)]
fn report(
    spec: &Spec,
    era: Era,
    mix: &Mix,
    plan: &Plan,
    result: PhaseResult,
    warmup: Warmup,
    server: Option<ProcessFigures>,
    driver_cpu_us_per_call: Option<f64>,
) -> Report {
    let stats = &result.stats;
    let elapsed = result.elapsed.as_secs_f64();
    Report {
        target: match spec {
            Spec::Stdio(command) => command.join(" "),
            Spec::Http { url, .. } => url.clone(),
        },
        era: match era {
            Era::Modern => "modern",
            Era::Legacy => "legacy",
        },
        tools: mix.tools().into_iter().map(str::to_owned).collect(),
        shape: match plan.shape {
            Shape::Closed { .. } => "closed",
            Shape::Open { .. } => "open",
        },
        concurrency: plan.shape.in_flight(),
        rate: match plan.shape {
            Shape::Open { rate, .. } => Some(rate),
            Shape::Closed { .. } => None,
        },
        calls: stats.finished,
        ok: stats.ok,
        errors: output::errors(stats),
        jsonrpc_error_codes: stats.rpc_codes.clone(),
        late_replies: stats.late_replies,
        elapsed_s: elapsed,
        calls_per_s: if elapsed > 0.0 {
            stats.ok as f64 / elapsed
        } else {
            0.0
        },
        latency_us: Latency::of(stats),
        warmup,
        server,
        driver_cpu_us_per_call,
        error_samples: output::samples(stats),
        stopped_early: result.failure,
        buckets: output::buckets(stats),
    }
}

/// A progress bar: by calls when the count bounds the phase first, else by time.
fn bar(shown: bool, label: &str, phase: &Phase, plan: &Plan) -> ProgressBar {
    if !shown {
        return ProgressBar::hidden();
    }
    let by_count = phase.calls != u64::MAX;
    let (len, template) = if by_count {
        (
            phase.calls,
            "{prefix:>7} [{bar:40}] {pos}/{len} calls, {msg} ({elapsed})",
        )
    } else {
        (
            phase.duration.as_millis() as u64,
            "{prefix:>7} [{bar:40}] {msg} ({elapsed}/{duration})",
        )
    };
    let _ = plan;
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_owned());
    bar
}

/// Updates `bar` ten times a second from `progress`.
fn tick(bar: ProgressBar, progress: Rc<Progress>, phase: Phase) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_local(async move {
        let start = tokio::time::Instant::now();
        let mut interval = tokio::time::interval(Duration::from_millis(100));
        loop {
            interval.tick().await;
            let (finished, ok) = (progress.finished.get(), progress.ok.get());
            if phase.calls != u64::MAX {
                bar.set_position(finished);
            } else {
                bar.set_position(start.elapsed().as_millis() as u64);
            }
            bar.set_message(format!("{ok} ok, {} errors", finished - ok));
        }
    })
}
