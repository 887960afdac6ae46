//! Whether Redis is reachable, as this instance last saw it: after a failure, calls stop
//! asking Redis and one probe goes through every `retry_every`; the outage is logged once when
//! it starts and once when it ends, never per call.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) struct Health {
    retry_every: Duration,
    down: AtomicBool,
    /// Milliseconds since `epoch` at which the next probe may go (while down).
    next_probe_ms: AtomicU64,
    epoch: Instant,
    /// When the current outage started (for the recovery log line).
    since: Mutex<Option<Instant>>,
}

impl Health {
    pub(crate) fn new(retry_every: Duration) -> Health {
        Health {
            retry_every,
            down: AtomicBool::new(false),
            next_probe_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            since: Mutex::new(None),
        }
    }

    pub(crate) fn retry_every(&self) -> Duration {
        self.retry_every
    }

    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether an operation may try Redis now: always while it is up; while it is down, one
    /// caller per `retry_every` (the probe).
    pub(crate) fn may_try(&self) -> bool {
        if !self.is_down() {
            return true;
        }
        let now = self.now_ms();
        let due = self.next_probe_ms.load(Ordering::Relaxed);
        now >= due
            && self
                .next_probe_ms
                .compare_exchange(
                    due,
                    now + self.retry_ms(),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
    }

    fn retry_ms(&self) -> u64 {
        u64::try_from(self.retry_every.as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// An operation failed for want of Redis. Logs when this starts an outage.
    pub(crate) fn failed(&self, why: &str) {
        self.next_probe_ms
            .store(self.now_ms() + self.retry_ms(), Ordering::Relaxed);
        if !self.down.swap(true, Ordering::AcqRel) {
            *crate::sync::lock(&self.since) = Some(Instant::now());
            tracing::warn!(
                target: "mcp_toolkit::redis",
                reason = why,
                "Redis unavailable: instances go on alone (level-1 cache, local rate budgets) \
                 and retry every {:?}",
                self.retry_every,
            );
        }
    }

    /// An operation reached Redis. `true` when that ends an outage.
    pub(crate) fn succeeded(&self) -> bool {
        if !self.is_down() || !self.down.swap(false, Ordering::AcqRel) {
            return false;
        }
        let since = crate::sync::lock(&self.since).take();
        tracing::info!(
            target: "mcp_toolkit::redis",
            outage = ?since.map(|at| at.elapsed()),
            "Redis is back: sharing resumes",
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn while_down_one_probe_goes_through_per_period() {
        let health = Health::new(Duration::from_secs(3600));
        assert!(health.may_try());
        health.failed("refused");
        assert!(health.is_down());
        assert!(!health.may_try(), "no probe before the period is over");
    }

    #[test]
    fn recovery_is_reported_once() {
        let health = Health::new(Duration::from_millis(1));
        health.failed("refused");
        health.failed("refused again");
        std::thread::sleep(Duration::from_millis(5));
        assert!(health.may_try(), "a probe is due after the period");
        assert!(!health.may_try(), "one probe per period");
        assert!(health.succeeded());
        assert!(!health.succeeded());
        assert!(!health.is_down());
    }
}
