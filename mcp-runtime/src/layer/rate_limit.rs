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

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

use crate::protocol::content::CallToolResult;
use crate::tool::{BoxError, Tool, ToolCall, ToolFuture};

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
#[derive(Clone, Debug)]
pub struct RateLimitLayer {
    limiter: Limiter,
}

impl RateLimitLayer {
    /// A layer letting `calls` calls (at least one) start in any window of `period`.
    pub fn new(calls: u32, period: Duration) -> Self {
        RateLimitLayer {
            limiter: Limiter(Arc::new(Window {
                calls: calls.max(1) as usize,
                period: period.min(MAX_PERIOD),
                starts: Mutex::new(VecDeque::new()),
                head: Semaphore::new(1),
            })),
        }
    }
}

impl RateLimitLayer {
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

/// The shared budget of a [`RateLimitLayer`].
#[derive(Clone, Debug)]
pub(crate) struct Limiter(Arc<Window>);

#[derive(Debug)]
struct Window {
    calls: usize,
    period: Duration,
    /// When the most recent calls started, oldest first; never more than `calls` of them.
    starts: Mutex<VecDeque<Instant>>,
    /// One permit: the caller holding it is next to start. tokio's semaphore queues waiters in
    /// arrival order and drops a waiter that gives up from the queue.
    head: Semaphore,
}

impl Limiter {
    /// Waits for this call's turn to start, and records the start.
    pub(crate) async fn turn(&self) {
        let window = &*self.0;
        let _head = window.head.acquire().await.expect("never closed");
        loop {
            let next_free = {
                let mut starts = window.starts.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                while starts
                    .front()
                    .is_some_and(|&start| now.saturating_duration_since(start) >= window.period)
                {
                    starts.pop_front();
                }
                if starts.len() < window.calls {
                    starts.push_back(now);
                    return;
                }
                starts[0] + window.period
            };
            // Dropped here (a timeout, a cancelled call), the caller records nothing and its
            // `_head` permit passes to the next in line.
            tokio::time::sleep_until(next_free).await;
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
            limiter.turn().await;
            inner.oneshot(call).await.map_err(Into::into)
        })
    }
}

impl Tool {
    /// Lets at most `calls` calls start in any window of `period`, shared by every connection;
    /// calls over the rate wait for their turn (bounded by the tool's timeout, when it has
    /// one).
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
            limiter.turn().await;
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
        limiter.turn().await;
        // A hundred callers wait, then give up (timeouts under overload)...
        let gave_up = join_all(
            (0..100).map(|_| tokio::time::timeout(Duration::from_millis(10), limiter.turn())),
        )
        .await;
        assert!(gave_up.iter().all(Result::is_err));
        // ...and the next caller waits for the period, not behind them.
        assert_eq!(start_times(&limiter, 1, start).await, [1000]);
    }

    #[tokio::test(start_paused = true)]
    async fn huge_periods_are_capped() {
        let limiter = RateLimitLayer::new(1, Duration::MAX).limiter;
        limiter.turn().await;
        let waited = tokio::time::timeout(Duration::from_secs(3600), limiter.turn()).await;
        assert!(waited.is_err(), "the second call waits (for a century)");
    }
}
