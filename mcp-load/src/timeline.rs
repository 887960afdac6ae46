//! Latency over time, for `--report`: every correct answer's end time and latency, kept compact
//! (8 bytes a call) and thinned evenly past a cap, so a long run stays bounded in memory.

use std::time::Duration;

/// Samples kept at most (32 MiB); past it every other one is dropped and then only every
/// `stride`-th call is kept.
const CAP: usize = 4 << 20;

/// `(milliseconds since the phase started, latency in microseconds)` of correct answers.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    samples: Vec<(u32, u32)>,
    /// One call in `stride` is kept.
    stride: u32,
    /// Calls seen since the last kept one.
    skipped: u32,
}

/// One slice of time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bin {
    /// Its middle, in seconds since the phase started.
    pub at_s: f64,
    /// Correct answers in it (of those kept).
    pub calls: usize,
    /// Latency percentiles in it, in microseconds.
    pub p50: u32,
    /// 99th percentile.
    pub p99: u32,
    /// Slowest.
    pub max: u32,
}

impl Timeline {
    /// Adds one correct answer that ended `at` after the phase started.
    pub fn record(&mut self, at: Duration, latency: Duration) {
        self.skipped += 1;
        if self.skipped < self.stride.max(1) {
            return;
        }
        self.skipped = 0;
        if self.samples.len() == CAP {
            let mut keep = false;
            self.samples.retain(|_| {
                keep = !keep;
                keep
            });
            self.stride = self.stride.max(1) * 2;
        }
        let ms = u32::try_from(at.as_millis()).unwrap_or(u32::MAX);
        let us = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
        self.samples.push((ms, us));
    }

    /// The samples in at most `bins` slices of equal length (empty ones left out).
    pub fn bins(&self, bins: usize) -> Vec<Bin> {
        let Some(last) = self.samples.iter().map(|s| s.0).max() else {
            return Vec::new();
        };
        let width = (u64::from(last) + 1).div_ceil(bins.max(1) as u64).max(1);
        let mut slices: Vec<Vec<u32>> = vec![Vec::new(); bins.max(1)];
        for &(ms, us) in &self.samples {
            slices[(u64::from(ms) / width) as usize].push(us);
        }
        slices
            .into_iter()
            .enumerate()
            .filter(|(_, slice)| !slice.is_empty())
            .map(|(index, mut slice)| {
                slice.sort_unstable();
                let at = |q: f64| slice[((slice.len() - 1) as f64 * q).round() as usize];
                Bin {
                    at_s: (index as f64 + 0.5) * width as f64 / 1e3,
                    calls: slice.len(),
                    p50: at(0.5),
                    p99: at(0.99),
                    max: slice[slice.len() - 1],
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_slice_time_evenly() {
        let mut timeline = Timeline::default();
        for ms in 0..1000_u64 {
            // Slower in the second half.
            let latency = if ms < 500 { 100 } else { 300 };
            timeline.record(Duration::from_millis(ms), Duration::from_micros(latency));
        }
        let bins = timeline.bins(10);
        assert_eq!(bins.len(), 10);
        assert_eq!(bins.iter().map(|b| b.calls).sum::<usize>(), 1000);
        assert_eq!((bins[0].p50, bins[9].p99), (100, 300));
        assert!((bins[0].at_s - 0.05).abs() < 1e-9);
    }

    #[test]
    fn a_long_run_is_thinned_not_dropped() {
        let mut timeline = Timeline::default();
        let calls = CAP as u64 + 10;
        for i in 0..calls {
            timeline.record(Duration::from_micros(i), Duration::from_micros(5));
        }
        assert!(timeline.samples.len() <= CAP);
        assert!(timeline.samples.len() > CAP / 2);
        // The kept samples still span the whole run.
        assert!(timeline.samples.last().unwrap().0 >= (calls / 1000 - 1) as u32);
    }
}
