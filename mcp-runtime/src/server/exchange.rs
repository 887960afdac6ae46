//! One message handled on its own, for transports that frame each message themselves (HTTP:
//! one POST, one message). The stdio connection reads a stream of lines instead and keeps its
//! own loop; both dispatch through the same [`Dispatcher`].

use std::sync::Arc;

use super::call::RunningCall;
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

/// Handles `message` in `session` (a fresh one for the stateless era).
pub(crate) fn exchange(
    server: &Arc<ServerInner>,
    session: &mut Session,
    message: &[u8],
    mirrored: Option<&Mirrored<'_>>,
    outbox: &Outbox,
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
