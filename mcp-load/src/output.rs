//! The results: one [`Report`], printed as a terminal summary or as one JSON object.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use crate::stats::{ErrorKind, Stats};

/// Latency percentiles of the calls answered correctly, in microseconds.
#[derive(Serialize, Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p99_9: f64,
    /// Slowest.
    pub max: f64,
    /// Fastest.
    pub min: f64,
    /// Mean.
    pub mean: f64,
}

impl Latency {
    /// The percentiles of `stats` (zeros when nothing was answered correctly).
    pub fn of(stats: &Stats) -> Latency {
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        let hist = &stats.latency;
        Latency {
            p50: micros(stats.percentile(0.5)),
            p90: micros(stats.percentile(0.9)),
            p99: micros(stats.percentile(0.99)),
            p99_9: micros(stats.percentile(0.999)),
            max: hist.max() as f64 / 1e3,
            min: hist.min() as f64 / 1e3,
            mean: hist.mean() / 1e3,
        }
    }
}

/// A local server process's use of the machine during the measured calls.
#[derive(Serialize, Debug, Clone, Copy)]
pub struct ProcessFigures {
    /// Its process id.
    pub pid: u32,
    /// CPU time (user + system) per call, in microseconds.
    pub cpu_us_per_call: Option<f64>,
    /// Most resident memory it ever had (`VmHWM`), in KiB.
    pub peak_rss_kib: Option<u64>,
}

/// The warm-up, left out of every other figure.
#[derive(Serialize, Debug, Clone, Copy)]
pub struct Warmup {
    /// Calls made.
    pub calls: u64,
    /// Of which answered correctly.
    pub ok: u64,
}

/// Everything a run found.
#[derive(Serialize, Debug)]
pub struct Report {
    /// The server command or URL.
    pub target: String,
    /// `modern` or `legacy`.
    pub era: &'static str,
    /// The tools called.
    pub tools: Vec<String>,
    /// `closed` (fixed concurrency) or `open` (fixed arrival rate).
    pub shape: &'static str,
    /// Calls in flight (closed), or at most (open).
    pub concurrency: usize,
    /// The arrival rate asked for (open loop), calls/s.
    pub rate: Option<f64>,
    /// Measured calls finished (each counted once: ok, or one error kind).
    pub calls: u64,
    /// Calls answered correctly: a result with content, no `isError`, their own id.
    pub ok: u64,
    /// Errors by kind.
    pub errors: BTreeMap<&'static str, u64>,
    /// JSON-RPC error codes and how often each came.
    pub jsonrpc_error_codes: BTreeMap<i64, u64>,
    /// Replies that came after their call had timed out.
    pub late_replies: u64,
    /// From the first measured call's start to the last one's end, in seconds.
    pub elapsed_s: f64,
    /// Correct answers per second.
    pub calls_per_s: f64,
    /// Percentiles of the correct answers' latency, in microseconds.
    pub latency_us: Latency,
    /// The warm-up.
    pub warmup: Warmup,
    /// The server's CPU and memory, when it runs here (stdio, or `--pid`).
    pub server: Option<ProcessFigures>,
    /// mcp-load's own CPU time per call, in microseconds: its overhead.
    pub driver_cpu_us_per_call: Option<f64>,
    /// The first message of each error kind.
    pub error_samples: BTreeMap<&'static str, String>,
    /// Why the run stopped early, if it did.
    pub stopped_early: Option<String>,
    /// Buckets of the latency histogram: `[from_us, to_us, calls]`.
    #[serde(skip)]
    pub buckets: Vec<(f64, f64, u64)>,
}

/// Errors by kind, every kind named (zeros too, so scripts find each key).
pub fn errors(stats: &Stats) -> BTreeMap<&'static str, u64> {
    ErrorKind::ALL
        .iter()
        .map(|&kind| (kind.name(), stats.errors(kind)))
        .collect()
}

/// The first message of each error kind that came.
pub fn samples(stats: &Stats) -> BTreeMap<&'static str, String> {
    stats
        .samples
        .iter()
        .map(|(kind, sample)| (kind.name(), sample.clone()))
        .collect()
}

impl Report {
    /// As one line of JSON.
    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("a report serializes")
    }

    /// As a terminal summary.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let shape = match self.rate {
            Some(rate) => format!(
                "open loop, {rate} calls/s, at most {} in flight",
                self.concurrency
            ),
            None => format!("closed loop, {} in flight", self.concurrency),
        };
        let _ = writeln!(out, "target   {} ({} era)", self.target, self.era);
        let _ = writeln!(out, "calls    {} ({shape})", self.tools.join(", "));
        if self.warmup.calls > 0 {
            let _ = writeln!(
                out,
                "warm-up  {} calls ({} ok), not counted below",
                self.warmup.calls, self.warmup.ok
            );
        }
        let _ = writeln!(
            out,
            "\n{} calls in {:.2} s: {} ok, {:.0} ok calls/s",
            self.calls, self.elapsed_s, self.ok, self.calls_per_s
        );
        let failed: Vec<String> = self
            .errors
            .iter()
            .filter(|(_, &count)| count > 0)
            .map(|(kind, count)| format!("{kind} {count}"))
            .collect();
        if failed.is_empty() {
            let _ = writeln!(out, "errors   none");
        } else {
            let _ = writeln!(out, "errors   {}", failed.join(", "));
            for (kind, sample) in &self.error_samples {
                let _ = writeln!(out, "  first {kind}: {sample}");
            }
            if !self.jsonrpc_error_codes.is_empty() {
                let codes: Vec<String> = self
                    .jsonrpc_error_codes
                    .iter()
                    .map(|(code, count)| format!("{code} ×{count}"))
                    .collect();
                let _ = writeln!(out, "  JSON-RPC codes: {}", codes.join(", "));
            }
        }
        if self.late_replies > 0 {
            let _ = writeln!(
                out,
                "late     {} replies after their call timed out",
                self.late_replies
            );
        }
        if let Some(why) = &self.stopped_early {
            let _ = writeln!(out, "stopped early: {why}");
        }
        if self.ok > 0 {
            let l = &self.latency_us;
            let _ = writeln!(
                out,
                "\nlatency  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (mean {})",
                micros(l.p50),
                micros(l.p90),
                micros(l.p99),
                micros(l.p99_9),
                micros(l.max),
                micros(l.mean)
            );
            out.push_str(&self.histogram());
        }
        if let Some(server) = &self.server {
            let cpu = server
                .cpu_us_per_call
                .map_or("?".into(), |cpu| format!("{cpu:.2} µs"));
            let rss = server
                .peak_rss_kib
                .map_or("?".into(), |kib| format!("{:.1} MiB", kib as f64 / 1024.0));
            let _ = writeln!(
                out,
                "\nserver   pid {}: {cpu} CPU per call, peak memory {rss}",
                server.pid
            );
        }
        if let Some(driver) = self.driver_cpu_us_per_call {
            let _ = writeln!(
                out,
                "mcp-load {driver:.2} µs CPU per call (its own overhead)"
            );
        }
        out
    }

    /// The latency histogram as bars, one line per bucket.
    fn histogram(&self) -> String {
        let mut out = String::new();
        let most = self.buckets.iter().map(|b| b.2).max().unwrap_or(1).max(1);
        let total: u64 = self.buckets.iter().map(|b| b.2).sum();
        for &(from, to, count) in &self.buckets {
            let width = (count * 40).div_ceil(most) as usize;
            let _ = writeln!(
                out,
                "  {:>9} – {:<9} {:<40} {count} ({:.1}%)",
                micros(from),
                micros(to),
                "█".repeat(width),
                100.0 * count as f64 / total.max(1) as f64
            );
        }
        out
    }
}

/// How the second server of `--compare` fared against the first: each figure of `b` divided
/// by `a`'s (above 1: `b` is faster in calls/s, slower in latency and CPU).
#[derive(Serialize, Debug)]
pub struct Ratio {
    /// Correct answers per second.
    pub calls_per_s: f64,
    /// Median latency.
    pub p50: f64,
    /// 99th percentile latency.
    pub p99: f64,
    /// Server CPU time per call, when both run here.
    pub cpu_us_per_call: Option<f64>,
}

impl Ratio {
    /// `b / a`.
    pub fn of(a: &Report, b: &Report) -> Ratio {
        let cpu = |r: &Report| r.server.and_then(|s| s.cpu_us_per_call);
        Ratio {
            calls_per_s: b.calls_per_s / a.calls_per_s,
            p50: b.latency_us.p50 / a.latency_us.p50,
            p99: b.latency_us.p99 / a.latency_us.p99,
            cpu_us_per_call: cpu(b).zip(cpu(a)).map(|(b, a)| b / a),
        }
    }

    /// One line for the terminal.
    pub fn line(&self) -> String {
        let cpu = self.cpu_us_per_call.map_or(String::new(), |cpu| {
            format!(", server CPU per call {cpu:.2}×")
        });
        format!(
            "B / A: calls/s {:.2}×, p50 {:.2}×, p99 {:.2}×{cpu}",
            self.calls_per_s, self.p50, self.p99
        )
    }
}

/// Latency buckets that double in width from the fastest call to the slowest, in µs.
pub fn buckets(stats: &Stats) -> Vec<(f64, f64, u64)> {
    let hist = &stats.latency;
    if hist.is_empty() {
        return Vec::new();
    }
    let (min, max) = (hist.min().max(1), hist.max());
    // Start at a power of two of nanoseconds at or below the fastest call.
    let mut from = 1_u64 << (63 - min.leading_zeros());
    let mut rows = Vec::new();
    while from <= max {
        let to = from.saturating_mul(2);
        rows.push((
            from as f64 / 1e3,
            to as f64 / 1e3,
            hist.count_between(from, to - 1),
        ));
        from = to;
    }
    rows
}

/// Microseconds in a unit that suits them.
fn micros(us: f64) -> String {
    if us < 1_000.0 {
        format!("{us:.0} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Outcome;

    #[test]
    fn buckets_hold_every_call() {
        let mut stats = Stats::default();
        for micros in [3, 5, 9, 40, 41, 42, 900, 1500] {
            stats.record(Outcome::Ok, Duration::from_micros(micros));
        }
        let rows = buckets(&stats);
        assert_eq!(rows.iter().map(|r| r.2).sum::<u64>(), 8);
        assert!(rows[0].0 <= 3.0 && rows.last().unwrap().1 >= 1500.0);
        for pair in rows.windows(2) {
            assert_eq!(pair[0].1, pair[1].0);
        }
    }

    #[test]
    fn units_follow_the_size() {
        assert_eq!(micros(12.4), "12 µs");
        assert_eq!(micros(1_500.0), "1.50 ms");
        assert_eq!(micros(2_500_000.0), "2.50 s");
    }
}
