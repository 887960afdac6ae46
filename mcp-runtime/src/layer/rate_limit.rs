//! Rate limiting: at most `calls` calls start per `period`, in bursts of up to `calls`; a call
//! over the rate waits for its turn (bounded by the tool's timeout) rather than being
//! rejected.
//!
//! The budget is shared by every clone of the layer's services, so one limit holds across all
//! connections and servers using the tool: what a rate limit protecting a downstream API needs.
//! (tower's own `RateLimit` keeps a budget per service clone.) Each call reserves its start
//! time when it arrives, so waiting calls start in arrival order; a call dropped while it
//! waits (cancelled, timed out) does not give its turn back.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

use crate::protocol::content::CallToolResult;
use crate::tool::{BoxError, ToolCall};

/// Lets at most `calls` calls start per `period`.
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
    limiter: Arc<Limiter>,
}

impl RateLimitLayer {
    /// A layer letting `calls` calls start per `period` (at least one call, and one nanosecond).
    pub fn new(calls: u32, period: Duration) -> Self {
        let calls = calls.max(1);
        let interval = (period / calls).max(Duration::from_nanos(1));
        RateLimitLayer {
            limiter: Arc::new(Limiter {
                interval,
                burst: interval * (calls - 1),
                next_start: Mutex::new(None),
            }),
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

/// The budget, kept as the generic cell rate algorithm: calls are spaced `interval` apart, and
/// may run up to `burst` ahead of that schedule.
#[derive(Debug)]
struct Limiter {
    interval: Duration,
    burst: Duration,
    /// When the next call would start if calls were spaced evenly (`None` before the first).
    next_start: Mutex<Option<Instant>>,
}

impl Limiter {
    /// Reserves a start time for one call; how long it must wait for it.
    fn reserve(&self) -> Duration {
        let now = Instant::now();
        let mut next_start = self.next_start.lock().unwrap_or_else(|e| e.into_inner());
        let scheduled = next_start.map_or(now, |at| at.max(now));
        *next_start = Some(scheduled + self.interval);
        scheduled.saturating_duration_since(now + self.burst)
    }
}

/// The service of [`RateLimitLayer`].
#[derive(Clone, Debug)]
pub struct RateLimit<S> {
    inner: S,
    limiter: Arc<Limiter>,
}

impl<S> Service<ToolCall> for RateLimit<S>
where
    S: Service<ToolCall, Response = CallToolResult> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    type Response = CallToolResult;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<CallToolResult, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // The inner service's readiness (a concurrency permit, say) is awaited after the wait
        // for the call's turn, so waiting calls hold nothing.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: ToolCall) -> Self::Future {
        let wait = self.limiter.reserve();
        let inner = self.inner.clone();
        Box::pin(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            inner.oneshot(call).await.map_err(Into::into)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bursts_then_evenly_spaced_then_refilled() {
        let limiter = RateLimitLayer::new(5, Duration::from_millis(100)).limiter;
        let waits: Vec<u128> = (0..8).map(|_| limiter.reserve().as_millis()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 20, 40, 60]);
        // After a quiet period the full burst is available again.
        tokio::time::advance(Duration::from_secs(1)).await;
        let waits: Vec<u128> = (0..6).map(|_| limiter.reserve().as_millis()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 20]);
    }

    #[tokio::test(start_paused = true)]
    async fn one_call_per_period() {
        let limiter = RateLimitLayer::new(1, Duration::from_secs(2)).limiter;
        let waits: Vec<u64> = (0..3).map(|_| limiter.reserve().as_secs()).collect();
        assert_eq!(waits, [0, 2, 4]);
    }
}
