//! The performance layers: tower layers over [`ToolCall`](crate::ToolCall)s, each usable on
//! its own (`ServiceBuilder`, [`Tool::layer`](crate::Tool::layer)) and behind one `#[tool]`
//! option.
//!
//! `#[tool]` stacks them in a fixed order, outermost first:
//!
//! 1. user layers (`layer = ...`): they see every call, cache hits included;
//! 2. [`cache`] (`cache_ttl`): a hit skips everything below;
//! 3. [`timeout`] (`timeout`): bounds the whole remaining call, including the waits below;
//! 4. concurrency limit (`concurrency`, tower's `ConcurrencyLimitLayer`): calls over the limit
//!    wait for a slot (bounded by the timeout), they are not rejected;
//! 5. [`rate_limit`] (`rate_limit`): a call with a slot waits for its turn, so a backlog that
//!    queued behind the slots cannot start faster than the rate when slots free up (cache
//!    hits never spend the budget);
//! 6. the function, or for `batch` tools the [`batch::Batcher`] that coalesces calls.

pub mod batch;
pub mod cache;
pub mod rate_limit;
pub mod ready;
pub mod timeout;

use std::fmt;
use std::time::Duration;

/// A duration as people write it: `250ms`, `5s`, `2m`, `1h`.
pub(crate) struct Human(pub Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        match ms {
            0 => write!(f, "{}µs", self.0.as_micros()),
            _ if ms % 3_600_000 == 0 => write!(f, "{}h", ms / 3_600_000),
            _ if ms % 60_000 == 0 => write!(f, "{}m", ms / 60_000),
            _ if ms % 1000 == 0 => write!(f, "{}s", ms / 1000),
            _ => write!(f, "{ms}ms"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        let show = |ms| Human(Duration::from_millis(ms)).to_string();
        assert_eq!(
            [
                show(250),
                show(5000),
                show(120_000),
                show(7_200_000),
                show(1500)
            ],
            ["250ms", "5s", "2m", "2h", "1500ms"]
        );
    }
}
