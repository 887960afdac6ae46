//! One message handled on its own, for transports that frame each message themselves (HTTP:
//! one POST, one message). The stdio connection reads a stream of lines instead and keeps its
//! own loop; both dispatch through the same [`Dispatcher`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll};

use super::call::{write_done, Work};
use super::catalog::Tools;
use super::dispatch::{PendingCall, PendingRequest};
use crate::context::RequestContext;
use crate::layer::ready::call_or_queue;
use crate::log_scope;
use crate::observe::{Observed, Origin, Scope};
use crate::private::panic_message;
use crate::protocol::version::Era;
use crate::tool::{BoxError, ToolFuture};

use super::dispatch::{Action, Dispatcher};
use super::ServerInner;
use crate::context::Outbox;
use crate::protocol::jsonrpc::RequestId;

pub(crate) use super::dispatch::{Mirrored, Session};

/// What became of one message.
pub(crate) enum Exchanged {
    /// Answered at once. `reply` is the JSON-RPC response (one line), or empty when the message
    /// needs none (a notification, a response); `failure` is the error code it carries, if any.
    Answered {
        reply: Vec<u8>,
        failure: Option<i32>,
        /// The error is about the request's `_meta` (stateless HTTP answers it with 400).
        bad_meta: bool,
    },
    /// A tool call to run; its notes are left in the outbox the message was handled with.
    Call(RunningCall),
    /// The client cancelled one of its requests.
    Cancel(RequestId),
}

/// Handles `message` in `session` (a fresh one for the stateless era), which came from
/// `origin`.
pub(crate) fn exchange(
    server: &Arc<ServerInner>,
    session: &mut Session,
    message: &[u8],
    mirrored: Option<&Mirrored<'_>>,
    outbox: &Outbox,
    origin: &Origin,
) -> Exchanged {
    let mut reply = Vec::new();
    let tools = server.tools.load();
    let mut dispatcher = Dispatcher {
        server,
        tools: &tools,
        session,
        out: &mut reply,
        outbox,
        in_batch: false,
        mirrored,
        failure: None,
        bad_meta: Default::default(),
        observe: Scope::new(origin),
    };
    let action = dispatcher.handle_line(message);
    let failure = dispatcher.failure;
    let bad_meta = dispatcher.bad_meta.get() && failure.is_some();
    match action {
        Action::Done => Exchanged::Answered {
            reply,
            failure,
            bad_meta,
        },
        Action::Call(pending) => {
            Exchanged::Call(RunningCall::start(server.clone(), &tools, pending))
        }
        Action::Request(pending) => {
            Exchanged::Call(RunningCall::start_request(server.clone(), pending))
        }
        Action::Cancel(id) => Exchanged::Cancel(id),
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
    observed: Observed,
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
            observed,
        } = pending;
        let mut service = tools.list[tool].service();
        let entered = observed.enter();
        let started = catch_unwind(AssertUnwindSafe(|| -> ToolFuture {
            log_scope::scoped(&context, || call_or_queue(&mut service, call, None))
                .into_started()
                .unwrap_or_else(|queued| Box::pin(queued))
        }));
        drop(entered);
        let future = started.unwrap_or_else(|panic| {
            Box::pin(std::future::ready(Err(panic_error(panic)))) as ToolFuture
        });
        RunningCall {
            server,
            id,
            era,
            context,
            work: Some(Work::Tool { name, future }),
            observed,
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
            observed: pending.observed,
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
        let observed = &self.observed;
        let done = std::task::ready!(log_scope::scoped(&self.context, || {
            let _entered = observed.enter();
            work.poll(cx)
        }));
        self.work = None;
        let ended = self.observed.is_active().then(|| done.outcome());
        // A call's notifications go out before its reply, and none after it.
        self.context.close_notes(out);
        write_done(out, &self.id, self.era, done, &self.context, &self.server);
        if let Some(ended) = ended {
            std::mem::take(&mut self.observed).finish(ended, Some(self.context.observed()));
        }
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
