//! Rate limiting: at most `calls` calls start in any window of `period`; a call over the rate
//! waits for its turn (bounded by the tool's timeout) rather than being rejected.
//!
//! The budget is shared by every clone of the layer's services, so one limit holds across all
//! connections using the tool: what a rate limit protecting a downstream API needs (tower's
//! own `RateLimit` keeps a budget per service clone). It is plain data read against the clock
//! (the start times of the last `calls` calls), with no task of its own: it works on any
//! runtime, outlives the runtimes that used it, and costs nothing between calls. Waiting calls
//! start in arrival order; a call dropped while it waits (cancelled, timed out) leaves the
//! queue without spending the budget, so under sustained overload the tool still serves its
//! full rate.
//!
//! On a server built with `ServerBuilder::redis` (feature `redis`), the budget is counted in
//! Redis, across every instance of the server (`store/redis/rate.rs`), with the same window and
//! the same waiting: each instance still queues its own callers in arrival order and asks Redis
//! for the one at the head. While Redis is unavailable, the server's `RateLimitFallback`
//! decides: the local budget alone (the default) or refusal.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

use crate::protocol::content::CallToolResult;
use crate::tool::{BoxError, SharedState, Tool, ToolCall, ToolFuture};

/// Periods are capped at a century, far beyond any real quota.
const MAX_PERIOD: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Lets at most `calls` calls start in any window of `period`.
///
/// ```
/// # use mcp_runtime::{CallToolResult, Tool, ToolCall, ToolDef};
/// # use std::time::Duration;
/// use mcp_runtime::layer::rate_limit::RateLimitLayer;
/// # let tool = Tool::from_fn(ToolDef::new("t", Default::default()), |_: ToolCall| async {
/// #     Ok::<_, std::convert::Infallible>(CallToolResult::text("ok"))
/// # });
/// // The weather API allows 10 requests a second.
/// let limited = tool.layer(RateLimitLayer::new(10, Duration::from_secs(1)));
/// ```
///
/// On a server sharing a Redis (`ServerBuilder::redis`, feature `redis`), the budget is
/// counted per tool name across every instance (so two tools sharing one layer have one budget
/// in each instance but one per tool in Redis), unless the layer is
/// [`instance_local`](RateLimitLayer::instance_local).
#[derive(Clone, Debug)]
pub struct RateLimitLayer {
    limiter: Limiter,
}

impl RateLimitLayer {
    /// A layer letting `calls` calls (at least one) start in any window of `period`.
    pub fn new(calls: u32, period: Duration) -> Self {
        RateLimitLayer {
            limiter: Limiter {
                window: Arc::new(Window {
                    calls: calls.max(1) as usize,
                    period: period.min(MAX_PERIOD),
                    starts: Mutex::new(VecDeque::new()),
                    head: Semaphore::new(1),
                }),
                instance_local: false,
            },
        }
    }

    /// Counts this instance's calls only, even on a server sharing a Redis: for a limit that
    /// protects something each instance has its own of (a local process, a per-host quota),
    /// where the budget is rightly per instance. (`#[tool(instance_local)]`)
    ///
    /// ```
    /// # use std::time::Duration;
    /// use mcp_runtime::layer::rate_limit::RateLimitLayer;
    /// // Each instance may spawn 2 renderer processes a second, whatever the others do.
    /// let per_instance = RateLimitLayer::new(2, Duration::from_secs(1)).instance_local();
    /// ```
    #[must_use]
    pub fn instance_local(mut self) -> Self {
        self.limiter.instance_local = true;
        self
    }

    /// The budget, for the layers of reads and gets (which are not tool calls).
    pub(crate) fn limiter(&self) -> Limiter {
        self.limiter.clone()
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> RateLimit<S> {
        RateLimit {
            inner,
            limiter: self.limiter.clone(),
        }
    }
}

/// What a budget limits; with Redis, part of its key, so a tool, a resource and a prompt of
/// one name keep apart.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Tool,
    Resource,
    Prompt,
}

/// The shared budget of a [`RateLimitLayer`].
#[derive(Clone, Debug)]
pub(crate) struct Limiter {
    window: Arc<Window>,
    /// Never counted in Redis ([`RateLimitLayer::instance_local`]).
    instance_local: bool,
}

#[derive(Debug)]
struct Window {
    calls: usize,
    period: Duration,
    /// When the most recent calls of this instance started, oldest first; never more than
    /// `calls` of them. With Redis, kept too: when Redis goes away, the local fallback goes on
    /// from what this instance did, not from an empty window.
    starts: Mutex<VecDeque<Instant>>,
    /// One permit: the caller holding it is next to start. tokio's semaphore queues waiters in
    /// arrival order and drops a waiter that gives up from the queue.
    head: Semaphore,
}

impl Window {
    /// Records a start now when the window has room; else says when it will.
    fn try_start(&self) -> Result<(), Instant> {
        let mut starts = crate::sync::lock(&self.starts);
        let now = Instant::now();
        self.trim(&mut starts, now);
        if starts.len() < self.calls {
            starts.push_back(now);
            return Ok(());
        }
        Err(starts[0] + self.period)
    }

    /// Records a start now that Redis allowed.
    #[cfg(feature = "redis")]
    fn record(&self) {
        let mut starts = crate::sync::lock(&self.starts);
        let now = Instant::now();
        self.trim(&mut starts, now);
        // Redis's clock and ours may disagree by a little: the window stays bounded.
        if starts.len() == self.calls {
            starts.pop_front();
        }
        starts.push_back(now);
    }

    fn trim(&self, starts: &mut VecDeque<Instant>, now: Instant) {
        while starts
            .front()
            .is_some_and(|&start| now.saturating_duration_since(start) >= self.period)
        {
            starts.pop_front();
        }
    }
}

/// Why a call was refused: its budget is counted in Redis, Redis is unavailable, and the
/// server fails closed (`RateLimitFallback::FailClosed`).
#[derive(Debug)]
pub(crate) struct BudgetUnavailable;

impl std::fmt::Display for BudgetUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "its rate limit is shared through Redis, which is unavailable, and the server \
             refuses calls it cannot count; try again later",
        )
    }
}

impl std::error::Error for BudgetUnavailable {}

impl Limiter {
    /// Waits for this call's turn to start, and records the start: in Redis when the server
    /// shares one (`state`) and this budget is not instance-local, under the key of `kind`
    /// `name`; else (or while Redis is away, by default) in this instance.
    pub(crate) async fn turn(
        &self,
        state: &SharedState,
        kind: Kind,
        name: &str,
    ) -> Result<(), BudgetUnavailable> {
        #[cfg(feature = "redis")]
        if let (false, Some(shared)) = (self.instance_local, state.shared()) {
            return self.global_turn(shared, kind, name).await;
        }
        #[cfg(not(feature = "redis"))]
        let _ = (state, kind, name);
        self.local_turn().await;
        Ok(())
    }

    /// [`Limiter::turn`] counted in this instance only.
    async fn local_turn(&self) {
        let window = &*self.window;
        let _head = window.head.acquire().await.expect("never closed");
        while let Err(next_free) = window.try_start() {
            // Dropped here (a timeout, a cancelled call), the caller records nothing and its
            // `_head` permit passes to the next in line.
            tokio::time::sleep_until(next_free).await;
        }
    }

    /// [`Limiter::turn`] counted in Redis. Only the head of this instance's queue asks Redis,
    /// so a burst of waiting calls costs one request per start (plus one per wake-up), not
    /// one per caller per wake-up. Across instances, whichever head asks first after a start
    /// leaves the window gets it (each instance keeps its own callers in order).
    ///
    /// A call dropped (timed out) while Redis runs its script may still have its start
    /// recorded there: a slot of that window goes unused, and the limit is never exceeded.
    #[cfg(feature = "redis")]
    async fn global_turn(
        &self,
        shared: &crate::store::Shared,
        kind: Kind,
        name: &str,
    ) -> Result<(), BudgetUnavailable> {
        use crate::store::redis::{rate, RateLimitFallback};
        let window = &*self.window;
        let _head = window.head.acquire().await.expect("never closed");
        let redis = &shared.redis;
        let key = rate::key(redis, &shared.server, kind, name);
        loop {
            match redis.rate_turn(&key, window.calls, window.period).await {
                Ok(None) => {
                    window.record();
                    return Ok(());
                }
                Ok(Some(wait)) => tokio::time::sleep(wait).await,
                // Redis away: `rate_turn` answers at once until a probe is due (the core logs
                // the outage once), so the fallback costs no Redis round trip per call.
                Err(_) => match redis.inner.rate_fallback {
                    RateLimitFallback::FailClosed => return Err(BudgetUnavailable),
                    RateLimitFallback::Local => match window.try_start() {
                        Ok(()) => return Ok(()),
                        // Then Redis is asked again: back by then, it counts again.
                        Err(next_free) => tokio::time::sleep_until(next_free).await,
                    },
                },
            }
        }
    }
}

/// The service of [`RateLimitLayer`].
#[derive(Clone, Debug)]
pub struct RateLimit<S> {
    inner: S,
    limiter: Limiter,
}

impl<S> Service<ToolCall> for RateLimit<S>
where
    S: Service<ToolCall, Response = CallToolResult> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    type Response = CallToolResult;
    type Error = BoxError;
    type Future = ToolFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // The inner service's readiness (a concurrency permit, say) is awaited after the wait
        // for the call's turn, so waiting calls hold nothing.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: ToolCall) -> Self::Future {
        let limiter = self.limiter.clone();
        let inner = self.inner.clone();
        Box::pin(async move {
            // Refused (Redis away, failing closed): an error, which the server answers with an
            // `isError` result naming the tool, as for a timeout.
            limiter
                .turn(call.state(), Kind::Tool, call.tool_name())
                .await?;
            inner.oneshot(call).await.map_err(Into::into)
        })
    }
}

impl Tool {
    /// Lets at most `calls` calls start in any window of `period`, shared by every connection
    /// (and, on a server sharing a Redis, by every instance); calls over the rate wait for
    /// their turn (bounded by the tool's timeout, when it has one).
    /// (`#[tool(rate_limit = "10/s")]`)
    pub fn rate_limit(self, calls: u32, period: Duration) -> Self {
        self.layer(RateLimitLayer::new(calls, period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::future::join_all;
    use tokio::time::Instant;

    /// Starts `count` calls at once; each returns when it started, in ms after `from`.
    async fn start_times(limiter: &Limiter, count: usize, from: Instant) -> Vec<u128> {
        join_all((0..count).map(|_| async {
            limiter.local_turn().await;
            (Instant::now() - from).as_millis()
        }))
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_holds_more_than_the_limit() {
        let limiter = RateLimitLayer::new(3, Duration::from_millis(100)).limiter;
        let start = Instant::now();
        let starts = start_times(&limiter, 8, start).await;
        assert_eq!(starts, [0, 0, 0, 100, 100, 100, 200, 200]);
        // After a quiet period a whole burst is available again.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let later = Instant::now();
        assert_eq!(start_times(&limiter, 4, later).await, [0, 0, 0, 100]);
    }

    #[tokio::test(start_paused = true)]
    async fn callers_that_give_up_leave_the_queue() {
        let limiter = RateLimitLayer::new(1, Duration::from_secs(1)).limiter;
        let start = Instant::now();
        limiter.local_turn().await;
        // A hundred callers wait, then give up (timeouts under overload)...
        let gave_up = join_all(
            (0..100).map(|_| tokio::time::timeout(Duration::from_millis(10), limiter.local_turn())),
        )
        .await;
        assert!(gave_up.iter().all(Result::is_err));
        // ...and the next caller waits for the period, not behind them.
        assert_eq!(start_times(&limiter, 1, start).await, [1000]);
    }

    #[tokio::test(start_paused = true)]
    async fn huge_periods_are_capped() {
        let limiter = RateLimitLayer::new(1, Duration::MAX).limiter;
        limiter.local_turn().await;
        let waited = tokio::time::timeout(Duration::from_secs(3600), limiter.local_turn()).await;
        assert!(waited.is_err(), "the second call waits (for a century)");
    }
}
