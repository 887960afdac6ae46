//! Rate budgets counted in Redis, so every instance of a server draws on one budget.
//!
//! The semantics are the local limiter's (`layer::rate_limit`): at most `calls` calls start in
//! any window of `period`. Each budget is one sorted set holding the start times of the calls
//! in the current window, read and changed by one Lua script, atomically, against Redis's own
//! clock (`TIME`), so instances whose clocks disagree still share one window. The script either
//! records a start and answers 0, or answers how long until the oldest start leaves the window;
//! the caller sleeps that long and asks again. Waiting is done by the instances, not by Redis:
//! each instance queues its own waiters in arrival order and asks for one at a time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

use super::{Redis, Unavailable};
use crate::layer::rate_limit::Kind;

/// KEYS[1]: the budget's sorted set (start times in µs of Redis's clock, as scores).
/// ARGV: calls allowed per window, the window in µs, a member name unique to this start.
/// Returns 0 when the call may start (its start is recorded), else the µs to wait.
///
/// A start leaves the window when `now - start >= period`, as in the local limiter. The set
/// never holds more than `calls` starts, and expires once a whole window passes unused.
/// `TIME` before a write needs effects replication: the default since Redis 5, and what
/// `replicate_commands` asks for on older servers (a no-op on newer ones).
const LUA: &str = r"
if redis.replicate_commands then pcall(redis.replicate_commands) end
local key = KEYS[1]
local calls = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
if redis.call('ZCARD', key) < calls then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(period / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, math.ceil(tonumber(oldest[2]) + period - now))
";

static SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(LUA));

/// The key of a budget: `PREFIX:SERVER:rate:KIND:NAME`. The script touches this one key only,
/// so on Redis Cluster it needs no hash tag (and budgets spread over the nodes).
pub(crate) fn key(redis: &Redis, server: &str, kind: Kind, name: &str) -> String {
    format!(
        "{}:{server}:rate:{}:{name}",
        redis.inner.prefix,
        match kind {
            Kind::Tool => "tool",
            Kind::Resource => "resource",
            Kind::Prompt => "prompt",
        }
    )
}

impl Redis {
    /// Asks the budget at `key` for one start: `Ok(None)` when the call may start now (the
    /// start is recorded), `Ok(Some(wait))` when the window is full and a start frees up after
    /// `wait`. `Err` when Redis cannot be asked (see [`Redis::query`]).
    pub(crate) async fn rate_turn(
        &self,
        key: &str,
        calls: usize,
        period: Duration,
    ) -> Result<Option<Duration>, Unavailable> {
        // Members must be unique (a repeated one would move an earlier start, not add one).
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let member = format!(
            "{:x}:{:x}",
            self.inner.instance,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let period_us = u64::try_from(period.as_micros()).unwrap_or(u64::MAX);
        let mut invocation = SCRIPT.prepare_invoke();
        invocation.key(key).arg(calls).arg(period_us).arg(member);
        let wait_us: u64 = self.invoke(&invocation).await?;
        Ok((wait_us > 0).then(|| Duration::from_micros(wait_us)))
    }
}
