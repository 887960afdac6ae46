//! Running one tool call to its reply: what every transport shares once a `tools/call` has been
//! dispatched. The stdio connection keeps many calls in one `FuturesUnordered`; transports that
//! frame each message themselves (HTTP) drive one `RunningCall` (in `exchange.rs`) per request.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll};

use serde_json::Value;

use super::dispatch::ReplyFuture;
use super::reply::{write_call_result, write_modern_result};
use super::ServerInner;
use crate::context::RequestContext;
use crate::observe::Outcome as Ended;
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

impl Done {
    /// How the request ended, for its span and metrics (before [`write_done`] consumes it).
    pub(crate) fn outcome(&self) -> Ended {
        match self {
            Done::Tool {
                outcome: Ok(Ok(result)),
                ..
            } if !result.is_error() => Ended::Ok,
            // A tool's error and its panic are answered as `isError` results.
            Done::Tool { .. } => Ended::ToolError,
            Done::Other(Ok(Ok(_))) => Ended::Ok,
            Done::Other(Ok(Err(error))) => Ended::Error(error.code),
            Done::Other(Err(_)) => Ended::Error(INTERNAL_ERROR),
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
