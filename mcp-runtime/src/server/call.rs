//! Running one tool call to its reply: what every transport shares once a `tools/call` has been
//! dispatched. The stdio connection keeps many calls in one `FuturesUnordered`; transports that
//! frame each message themselves (HTTP) drive one [`RunningCall`] per request.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll};

use serde_json::Value;

use super::catalog::Tools;
use super::dispatch::{PendingCall, PendingRequest, ReplyFuture};
use super::reply::{write_call_result, write_modern_result};
use super::ServerInner;
use crate::context::RequestContext;
use crate::layer::ready::call_or_queue;
use crate::private::panic_message;
use crate::protocol::content::CallToolResult;
use crate::protocol::jsonrpc::{
    write_error, write_result, write_result_with, ErrorObject, RequestId, INTERNAL_ERROR,
};
use crate::protocol::messages::meta_keys;
use crate::protocol::version::Era;
use crate::tool::{failure_result, BoxError, ToolFuture};

/// How a tool's future ended: its result, its error, or its panic.
pub(crate) type Outcome = std::thread::Result<Result<CallToolResult, BoxError>>;

/// What a request runs: a tool call (the hot path, kept apart) or another method's handler.
pub(crate) enum Work {
    /// A tool call, with the tool's name (for its error messages; the tool itself may be
    /// removed while the call runs).
    Tool {
        name: Arc<str>,
        future: ToolFuture,
    },
    Other(ReplyFuture),
}

/// How a [`Work`] ended.
pub(crate) enum Done {
    Tool { name: Arc<str>, outcome: Outcome },
    Other(std::thread::Result<Result<Value, ErrorObject>>),
}

impl Work {
    /// Polls the work, turning a panic into an outcome instead of unwinding into the server.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Done> {
        match self {
            Work::Tool { name, future } => poll_guarded(future, cx).map(|outcome| Done::Tool {
                name: name.clone(),
                outcome,
            }),
            Work::Other(future) => {
                match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                    Ok(Poll::Pending) => Poll::Pending,
                    Ok(Poll::Ready(reply)) => Poll::Ready(Done::Other(Ok(reply))),
                    Err(panic) => Poll::Ready(Done::Other(Err(panic))),
                }
            }
        }
    }
}

/// Writes the reply of finished work. A stateless request whose handler asked the client for
/// input it did not get is answered with `input_required` instead, whatever the handler
/// returned.
pub(crate) fn write_done(
    out: &mut Vec<u8>,
    id: &RequestId,
    era: Era,
    done: Done,
    context: &RequestContext,
    server: &ServerInner,
) {
    if let Some(mut input_required) = context.input_required(&server.state_key) {
        let info = serde_json::to_value(&server.info).unwrap_or_default();
        input_required["_meta"] = serde_json::json!({ meta_keys::SERVER_INFO: info });
        return write_result(out, id, &input_required);
    }
    match done {
        Done::Tool { name, outcome } => {
            let result = call_result(&name, outcome);
            write_call_result(out, id, era, result, server);
        }
        Done::Other(Ok(Ok(mut result))) if era.is_modern() => {
            // A result with a `_meta` of its own gets the server's info added to it (a second
            // `_meta` member would replace the first).
            match result.get_mut("_meta").and_then(Value::as_object_mut) {
                Some(meta) => {
                    let info = serde_json::to_value(&server.info).unwrap_or_default();
                    meta.insert(meta_keys::SERVER_INFO.to_owned(), info);
                    write_result_with(out, id, &result, br#""resultType":"complete""#);
                }
                None => write_modern_result(out, id, &result, server),
            }
        }
        Done::Other(Ok(Ok(result))) => write_result(out, id, &result),
        Done::Other(Ok(Err(error))) => write_error(out, Some(id), &error),
        Done::Other(Err(panic)) => {
            let message = panic_message(&*panic);
            tracing::error!(%id, "request handler panicked: {message}");
            let error = ErrorObject::new(
                INTERNAL_ERROR,
                format!("Internal error: the handler panicked ({message})"),
            );
            write_error(out, Some(id), &error);
        }
    }
}

/// Polls a tool future, turning a panic into an outcome instead of unwinding into the server.
pub(crate) fn poll_guarded(future: &mut ToolFuture, cx: &mut Context<'_>) -> Poll<Outcome> {
    match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
        Err(panic) => Poll::Ready(Err(panic)),
    }
}

/// The result a call's outcome is answered with: failures and panics become `isError`.
pub(crate) fn call_result(name: &str, outcome: Outcome) -> CallToolResult {
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
    context: RequestContext,
    /// `None` once the reply was written.
    work: Option<Work>,
}

impl RunningCall {
    /// Starts the call (a busy service makes it wait inside its own future).
    /// `tools` is the snapshot the call was dispatched with.
    pub(crate) fn start(
        server: Arc<ServerInner>,
        tools: &Tools,
        pending: PendingCall,
    ) -> RunningCall {
        let PendingCall {
            id,
            era,
            tool,
            name,
            call,
            context,
        } = pending;
        let mut service = tools.list[tool].service();
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
            context,
            work: Some(Work::Tool { name, future }),
        }
    }

    /// Starts a request other than a tool call.
    pub(crate) fn start_request(server: Arc<ServerInner>, pending: PendingRequest) -> RunningCall {
        RunningCall {
            server,
            id: pending.id,
            era: pending.era,
            context: pending.context,
            work: Some(Work::Other(pending.future)),
        }
    }

    /// The id of the request the call answers.
    pub(crate) fn request_id(&self) -> &RequestId {
        &self.id
    }

    /// Polls the call; when it ends, appends its last notifications and its reply to `out`.
    /// Must not be polled again after it returned `Ready`.
    pub(crate) fn poll_reply(&mut self, cx: &mut Context<'_>, out: &mut Vec<u8>) -> Poll<()> {
        let work = self.work.as_mut().expect("polled after its reply");
        let done = std::task::ready!(work.poll(cx));
        self.work = None;
        // A call's notifications go out before its reply, and none after it.
        self.context.close_notes(out);
        write_done(out, &self.id, self.era, done, &self.context, &self.server);
        Poll::Ready(())
    }
}

impl Drop for RunningCall {
    fn drop(&mut self) {
        if self.work.is_some() {
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
