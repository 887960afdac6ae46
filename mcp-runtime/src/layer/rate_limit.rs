//! Rate limiting: at most `calls` calls start in any window of `period`; a call over the rate
//! waits for its turn (bounded by the tool's timeout) rather than being rejected.
//!
//! The budget is shared by every clone of the layer's services, so one limit holds across all
//! connections and servers using the tool: what a rate limit protecting a downstream API needs
//! (tower's own `RateLimit` keeps a budget per service clone). Waiting calls start in arrival
//! order; a call dropped while it waits (cancelled, timed out) leaves the queue, so under
//! sustained overload the tool still serves its full rate.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Semaphore;
use tower::{Layer, Service, ServiceExt};

use crate::protocol::content::CallToolResult;
use crate::tool::{BoxError, ToolCall, ToolFuture};

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
            limiter: Limiter {
                starts: Arc::new(Semaphore::new(calls.max(1) as usize)),
                period: period.min(MAX_PERIOD),
            },
        }
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

/// One permit per start that may happen now; a start returns its permit one period later, so
/// no window of a period holds more starts than there are permits. tokio's semaphore queues
/// waiters in arrival order and drops a waiter that gives up from the queue.
#[derive(Clone, Debug)]
struct Limiter {
    starts: Arc<Semaphore>,
    period: Duration,
}

impl Limiter {
    /// Waits for this call's turn to start.
    async fn turn(&self) {
        let permit = self
            .starts
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        permit.forget();
        let (starts, period) = (self.starts.clone(), self.period);
        tokio::spawn(async move {
            tokio::time::sleep(period).await;
            starts.add_permits(1);
        });
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
