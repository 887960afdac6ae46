//! The figures of one phase of a run: outcomes by kind and the latency of correct answers.
//!
//! Only calls answered correctly (`ok`) enter the latency histogram: a server that errors,
//! drops calls or answers the wrong id is reported by those counts, never counted as fast.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::timeline::Timeline;

/// Why a call did not count as answered correctly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    /// A JSON-RPC error reply.
    JsonRpc,
    /// A result with `isError: true`.
    IsError,
    /// No reply within the timeout.
    Timeout,
    /// A reply that is not a well-formed `tools/call` reply.
    Malformed,
    /// A reply whose id is not the call's: over HTTP, the body answering the call named
    /// another id; over stdio, a reply named an id no call had in flight (its call, if any,
    /// then ends as a timeout).
    WrongId,
    /// The connection or process failed, or HTTP answered a non-JSON error status.
    Transport,
}

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [ErrorKind; 6] = [
        ErrorKind::JsonRpc,
        ErrorKind::IsError,
        ErrorKind::Timeout,
        ErrorKind::Malformed,
        ErrorKind::WrongId,
        ErrorKind::Transport,
    ];

    /// The name in `--json` and in the summary.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::JsonRpc => "jsonrpc",
            ErrorKind::IsError => "is_error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Malformed => "malformed",
            ErrorKind::WrongId => "wrong_id",
            ErrorKind::Transport => "transport",
        }
    }
}

/// How one call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered correctly.
    Ok,
    /// Not, with a sample of what happened (kept for the first of each kind).
    Error(ErrorKind, String),
    /// A JSON-RPC error with this code.
    RpcError(i64),
}

/// Highest latency the histogram holds (longer ones are clamped): an hour.
const MAX_NANOS: u64 = 3_600_000_000_000;

/// Counts and latencies of one phase.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Latency of `ok` calls, in nanoseconds.
    pub latency: Histogram<u64>,
    /// Calls answered correctly.
    pub ok: u64,
    /// Errors by kind, indexed as [`ErrorKind::ALL`].
    errors: [u64; 6],
    /// The first message of each kind.
    pub samples: BTreeMap<ErrorKind, String>,
    /// JSON-RPC error codes and how often each came.
    pub rpc_codes: BTreeMap<i64, u64>,
    /// Replies to calls that had already timed out (not errors of their own).
    pub late_replies: u64,
    /// Calls finished (ok or not).
    pub finished: u64,
    /// Correct answers over time, when `--report` wants them.
    pub timeline: Option<Timeline>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            latency: Histogram::new_with_bounds(1, MAX_NANOS, 3).expect("valid bounds"),
            ok: 0,
            errors: [0; 6],
            samples: BTreeMap::new(),
            rpc_codes: BTreeMap::new(),
            late_replies: 0,
            finished: 0,
            timeline: None,
        }
    }
}

impl Stats {
    /// Empty figures; `timeline` keeps every correct answer's time and latency too.
    pub fn with_timeline(timeline: bool) -> Stats {
        Stats {
            timeline: timeline.then(Timeline::default),
            ..Stats::default()
        }
    }

    /// Counts one call's outcome; `latency` enters the histogram when it is `ok`.
    pub fn record(&mut self, outcome: Outcome, latency: Duration) {
        self.finished += 1;
        match outcome {
            Outcome::Ok => {
                self.ok += 1;
                let nanos = u64::try_from(latency.as_nanos()).unwrap_or(MAX_NANOS);
                self.latency.saturating_record(nanos.clamp(1, MAX_NANOS));
            }
            Outcome::RpcError(code) => {
                *self.rpc_codes.entry(code).or_default() += 1;
                self.count_error(ErrorKind::JsonRpc, || format!("JSON-RPC error {code}"));
            }
            Outcome::Error(kind, sample) => self.count_error(kind, || sample),
        }
    }

    /// Adds `other`'s figures (a later round of the same load) to these.
    pub fn merge(&mut self, other: Stats) {
        self.latency
            .add(&other.latency)
            .expect("histograms of the same bounds");
        self.ok += other.ok;
        for (mine, theirs) in self.errors.iter_mut().zip(other.errors) {
            *mine += theirs;
        }
        for (kind, sample) in other.samples {
            self.samples.entry(kind).or_insert(sample);
        }
        for (code, count) in other.rpc_codes {
            *self.rpc_codes.entry(code).or_default() += count;
        }
        self.late_replies += other.late_replies;
        self.finished += other.finished;
    }

    /// Counts an error that belongs to no call (a stray reply over stdio).
    pub fn record_stray(&mut self, kind: ErrorKind, sample: String) {
        self.count_error(kind, || sample);
    }

    fn count_error(&mut self, kind: ErrorKind, sample: impl FnOnce() -> String) {
        self.errors[kind as usize] += 1;
        self.samples.entry(kind).or_insert_with(sample);
    }

    /// Errors of `kind`.
    pub fn errors(&self, kind: ErrorKind) -> u64 {
        self.errors[kind as usize]
    }

    /// The latency at `quantile` (0..=1) of `ok` calls.
    pub fn percentile(&self, quantile: f64) -> Duration {
        Duration::from_nanos(self.latency.value_at_quantile(quantile))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_correct_answers_have_a_latency() {
        let mut stats = Stats::default();
        for micros in 1..=100 {
            stats.record(Outcome::Ok, Duration::from_micros(micros));
        }
        stats.record(
            Outcome::Error(ErrorKind::Timeout, "first".into()),
            Duration::from_secs(5),
        );
        stats.record(
            Outcome::Error(ErrorKind::Timeout, "second".into()),
            Duration::from_secs(5),
        );
        stats.record(Outcome::RpcError(-32602), Duration::ZERO);
        stats.record_stray(ErrorKind::WrongId, "id 99".into());
        assert_eq!((stats.ok, stats.finished), (100, 103));
        assert_eq!(stats.errors(ErrorKind::Timeout), 2);
        assert_eq!(stats.errors(ErrorKind::JsonRpc), 1);
        assert_eq!(stats.errors(ErrorKind::WrongId), 1);
        assert_eq!(stats.samples[&ErrorKind::Timeout], "first");
        assert_eq!(stats.rpc_codes[&-32602], 1);
        let p50 = stats.percentile(0.5).as_secs_f64() * 1e6;
        assert!((49.9..=50.1).contains(&p50), "{p50}");
        assert!(stats.percentile(1.0) < Duration::from_micros(101));

        let mut merged = Stats::default();
        merged.record(Outcome::Ok, Duration::from_micros(500));
        merged.record(Outcome::RpcError(-32602), Duration::ZERO);
        merged.merge(stats);
        assert_eq!((merged.ok, merged.finished), (101, 105));
        assert_eq!(merged.errors(ErrorKind::JsonRpc), 2);
        assert_eq!(merged.rpc_codes[&-32602], 2);
        assert_eq!(merged.samples[&ErrorKind::JsonRpc], "JSON-RPC error -32602");
        assert_eq!(merged.latency.len(), 101);
        assert!(merged.percentile(1.0) >= Duration::from_micros(500));
    }
}
