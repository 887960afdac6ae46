//! Running one tool call to its reply: what every transport shares once a `tools/call` has been
//! dispatched. The stdio connection keeps many calls in one `FuturesUnordered`; transports that
//! frame each message themselves (HTTP) drive one [`RunningCall`] per request.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll};

use super::dispatch::PendingCall;
use super::reply::write_call_result;
use super::ServerInner;
use crate::context::RequestContext;
use crate::layer::ready::call_or_queue;
use crate::private::panic_message;
use crate::protocol::content::CallToolResult;
use crate::protocol::jsonrpc::RequestId;
use crate::protocol::version::Era;
use crate::tool::{failure_result, BoxError, ToolFuture};

/// How a tool's future ended: its result, its error, or its panic.
pub(crate) type Outcome = std::thread::Result<Result<CallToolResult, BoxError>>;

/// Polls a tool future, turning a panic into an outcome instead of unwinding into the server.
pub(crate) fn poll_guarded(future: &mut ToolFuture, cx: &mut Context<'_>) -> Poll<Outcome> {
    match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
        Err(panic) => Poll::Ready(Err(panic)),
    }
}

/// The result a call's outcome is answered with: failures and panics become `isError`.
pub(crate) fn call_result(server: &ServerInner, tool: usize, outcome: Outcome) -> CallToolResult {
    let name = &server.tools[tool].def().name;
    match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(err)) => failure_result(name, &*err),
        Err(panic) => {
            let message = panic_message(&*panic);
            tracing::error!(tool = %name, "tool panicked: {message}");
            CallToolResult::error(format!("Tool `{name}` failed: it panicked ({message})"))
        }
    }
}

/// One dispatched call, run on a service of its own, up to its reply.
///
/// Dropped before it finished, the call is cancelled: its future is dropped and its
/// `RequestContext` reports cancellation to anything the tool handed its token to.
pub(crate) struct RunningCall {
    server: Arc<ServerInner>,
    id: RequestId,
    era: Era,
    tool: usize,
    context: RequestContext,
    /// `None` once the reply was written.
    future: Option<ToolFuture>,
}

impl RunningCall {
    /// Starts the call (a busy service makes it wait inside its own future).
    pub(crate) fn start(server: Arc<ServerInner>, pending: PendingCall) -> RunningCall {
        let PendingCall {
            id,
            era,
            tool,
            call,
            context,
        } = pending;
        let mut service = server.tools[tool].service();
        let started = catch_unwind(AssertUnwindSafe(|| -> ToolFuture {
            call_or_queue(&mut service, call, None)
                .into_started()
                .unwrap_or_else(|queued| Box::pin(queued))
        }));
        let future = started.unwrap_or_else(|panic| {
            Box::pin(std::future::ready(Err(panic_error(panic)))) as ToolFuture
        });
        RunningCall {
            server,
            id,
            era,
            tool,
            context,
            future: Some(future),
        }
    }

    /// The id of the request the call answers.
    pub(crate) fn request_id(&self) -> &RequestId {
        &self.id
    }

    /// Polls the call; when it ends, appends its last notifications and its reply to `out`.
    /// Must not be polled again after it returned `Ready`.
    pub(crate) fn poll_reply(&mut self, cx: &mut Context<'_>, out: &mut Vec<u8>) -> Poll<()> {
        let future = self.future.as_mut().expect("polled after its reply");
        let outcome = std::task::ready!(poll_guarded(future, cx));
        self.future = None;
        // A call's notifications go out before its reply, and none after it.
        self.context.close_notes(out);
        let result = call_result(&self.server, self.tool, outcome);
        write_call_result(out, &self.id, self.era, result, &self.server);
        Poll::Ready(())
    }
}

impl Drop for RunningCall {
    fn drop(&mut self) {
        if self.future.is_some() {
            tracing::debug!(id = %self.id, "call cancelled: its client went away");
            self.context.cancel();
            self.context.close_notes(&mut Vec::new());
        }
    }
}

/// A panic while starting a call, as the error its reply reports.
fn panic_error(panic: Box<dyn std::any::Any + Send>) -> BoxError {
    format!("it panicked ({})", panic_message(&*panic)).into()
}
