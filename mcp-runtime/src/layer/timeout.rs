//! Timeouts: a call that runs too long (waiting for a concurrency slot or its rate-limit turn
//! included) is dropped (its future, and with it the function's) and
//! answered with an `isError` result saying so; the server keeps serving. The call's
//! [`RequestContext`] is cancelled too, so work it handed its
//! cancellation token to (spawned tasks, say) stops as well.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tower::{Layer, Service};

use super::ready::{call_or_queue, ReadyCall};
use super::Human;
use crate::context::RequestContext;
use crate::protocol::content::CallToolResult;
use crate::tool::{BoxError, Tool, ToolCall};

/// Bounds each call to `duration`.
///
/// ```
/// # use mcp_runtime::{CallToolResult, Tool, ToolCall, ToolDef};
/// # use std::time::Duration;
/// use mcp_runtime::layer::timeout::TimeoutLayer;
/// # let tool = Tool::from_fn(ToolDef::new("t", Default::default()), |_: ToolCall| async {
/// #     Ok::<_, std::convert::Infallible>(CallToolResult::text("ok"))
/// # });
/// let bounded = tool.layer(TimeoutLayer::new(Duration::from_secs(5)));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TimeoutLayer {
    duration: Duration,
}

impl TimeoutLayer {
    /// A layer that gives each call `duration`.
    pub fn new(duration: Duration) -> Self {
        TimeoutLayer { duration }
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout {
            inner,
            duration: self.duration,
        }
    }
}

/// The service of [`TimeoutLayer`].
#[derive(Clone, Debug)]
pub struct Timeout<S> {
    inner: S,
    duration: Duration,
}

impl<S> Service<ToolCall> for Timeout<S>
where
    S: Service<ToolCall, Response = CallToolResult> + Clone,
    S::Error: Into<BoxError>,
{
    type Response = CallToolResult;
    type Error = BoxError;
    type Future = TimeoutFuture<ReadyCall<S>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // The inner service's readiness (a concurrency slot, say) is awaited inside the call's
        // future, so the timeout bounds that wait too.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: ToolCall) -> Self::Future {
        let tool = call.tool_arc();
        let context = call.context().clone();
        TimeoutFuture {
            inner: call_or_queue(&mut self.inner, call, None),
            sleep: tokio::time::sleep(self.duration),
            duration: self.duration,
            tool,
            context,
        }
    }
}

pin_project! {
    /// The future of [`Timeout`].
    pub struct TimeoutFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        sleep: Sleep,
        duration: Duration,
        tool: Arc<str>,
        context: RequestContext,
    }
}

impl<F, E> Future for TimeoutFuture<F>
where
    F: Future<Output = Result<CallToolResult, E>>,
    E: Into<BoxError>,
{
    type Output = Result<CallToolResult, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.inner.poll(cx) {
            return Poll::Ready(result.map_err(Into::into));
        }
        if this.sleep.poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.context.cancel();
        this.context.observed().timed_out();
        Poll::Ready(Ok(CallToolResult::error(format!(
            "Tool `{}` timed out after {}; try again, or ask for less at once",
            this.tool,
            Human(*this.duration)
        ))))
    }
}

impl Tool {
    /// Bounds every call to `duration`: a call still running then is dropped and answered with
    /// an `isError` result saying it timed out. (`#[tool(timeout = "5s")]`)
    pub fn timeout(self, duration: Duration) -> Self {
        let mut tool = self.layer(TimeoutLayer::new(duration));
        tool.has_timeout = true;
        tool
    }
}
