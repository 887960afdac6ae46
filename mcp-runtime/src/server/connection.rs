//! One client connection: read lines, dispatch them, run tool calls concurrently, write replies.
//!
//! Everything happens in one task and one poll loop, so a message costs one wake-up: a read
//! hands every complete line to the dispatcher; a call whose tool finishes on its first poll is
//! answered on the spot; slower calls wait in a `FuturesUnordered` without holding up others;
//! and replies produced in one pass go out together, in writes of a few KiB.

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::call::{write_done, Done, Work};
use super::catalog::Tools;
use super::dispatch::{Action, Dispatcher, PendingCall, PendingRequest, Session};
use super::lines::{Frame, LineBuffer};
use super::rpc_batch::{self, BatchId, RpcBatches};
use super::ServerInner;
use crate::context::{Outbox, RequestContext};
use crate::layer::ready::call_or_queue;
use crate::log_scope;
use crate::observe::{Observed, Origin, Outcome, Scope, Transport};
use crate::protocol::jsonrpc::{write_error, ErrorObject, RequestId, INVALID_REQUEST};
use crate::protocol::version::Era;
use crate::tool::{ToolFuture, ToolService};

/// Stop reading while this much output waits for a slow client.
const MAX_BACKLOG: usize = 16 * 1024 * 1024;

/// Replies are written as soon as this much has built up, even mid-pass. When a client keeps
/// many calls in flight, the first replies of a burst then reach it (and its next requests reach
/// us) while the rest are still being answered, so client and server work at the same time
/// instead of taking turns. Measured on `benches/stdio.rs` with 64 in flight: 45% of the echo
/// limit when writing once per pass, 81–89% with 2–4 KiB writes, 63–66% with 8 KiB.
const EARLY_WRITE_BYTES: usize = 4096;

pin_project! {
    /// A call that did not finish on its first poll.
    struct InFlight {
        id: RequestId,
        era: Era,
        batch: Option<BatchId>,
        context: RequestContext,
        work: Work,
        observed: Observed,
        #[pin]
        cancelled: WaitForCancellationFutureOwned,
    }
}

/// How a running call is cancelled. The client's token is the connection's own: only it means
/// "drop the call, no reply". The tool's token (its `RequestContext`'s) is also cancelled by a
/// timeout, which does answer.
struct Cancellation {
    client: CancellationToken,
    tool: CancellationToken,
}

impl Cancellation {
    fn cancel(&self) {
        self.client.cancel();
        self.tool.cancel();
    }
}

struct Finished {
    id: RequestId,
    era: Era,
    /// The JSON-RPC batch the call came in, whose response array its reply joins.
    batch: Option<BatchId>,
    context: RequestContext,
    /// `None` when the client cancelled: no reply is sent.
    outcome: Option<Done>,
    observed: Observed,
}

impl Future for InFlight {
    type Output = Finished;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Finished> {
        let this = self.project();
        let outcome = if this.cancelled.poll(cx).is_ready() {
            None
        } else {
            let work = this.work;
            let observed = &*this.observed;
            Some(ready!(log_scope::scoped(this.context, || {
                let _entered = observed.enter();
                work.poll(cx)
            })))
        };
        Poll::Ready(Finished {
            id: this.id.clone(),
            era: *this.era,
            batch: *this.batch,
            context: this.context.clone(),
            outcome,
            observed: std::mem::take(this.observed),
        })
    }
}

pub(crate) struct Connection<R, W> {
    server: Arc<ServerInner>,
    reader: R,
    writer: W,
    lines: LineBuffer,
    session: Session,
    /// The tools this connection dispatches with, reloaded when the server's change.
    tools: Arc<Tools>,
    /// This connection's handle on each of `tools`' services (services are polled `&mut`).
    services: Vec<ToolService>,
    out: Vec<u8>,
    written: usize,
    inflight: FuturesUnordered<InFlight>,
    cancellations: HashMap<RequestId, Cancellation>,
    rpc_batches: RpcBatches,
    outbox: Outbox,
    eof: bool,
    /// Dispatch stopped at a limit (calls in flight, output backlog) with input still framed
    /// in `lines`: no more is read until it is dispatched.
    frames_waiting: bool,
    /// After end of input: when unfinished calls are abandoned.
    deadline: Option<Pin<Box<Sleep>>>,
    /// When it completes, input is treated as ended (graceful shutdown). Kept in a
    /// `FuturesUnordered`, which polls it only when it woke us: no cost per message.
    shutdown: FuturesUnordered<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// The transport, for the request spans.
    origin: Origin,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Connection<R, W> {
    pub(crate) fn new(server: Arc<ServerInner>, reader: R, writer: W) -> Self {
        let session = Session::with_listener(server.listeners.register());
        let tools = server.tools.load();
        Connection {
            services: tools.list.iter().map(|tool| tool.service()).collect(),
            tools,
            lines: LineBuffer::new(server.max_message_bytes),
            server,
            reader,
            writer,
            session,
            out: Vec::with_capacity(64 * 1024),
            written: 0,
            inflight: FuturesUnordered::new(),
            cancellations: HashMap::new(),
            rpc_batches: RpcBatches::default(),
            outbox: Outbox::closing_with(CancellationToken::new()),
            eof: false,
            frames_waiting: false,
            deadline: None,
            shutdown: FuturesUnordered::new(),
            origin: Origin::default(),
        }
    }

    /// Names the transport in the request spans.
    pub(crate) fn with_transport(mut self, transport: Transport) -> Self {
        self.origin = Origin::new(transport);
        self
    }

    /// Stops reading when `shutdown` completes: calls already received are answered (within
    /// the shutdown grace), then the connection ends.
    pub(crate) fn with_shutdown(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        self.shutdown.push(Box::pin(shutdown));
        self
    }

    pub(crate) async fn run(mut self) -> io::Result<()> {
        let result = poll_fn(|cx| self.poll_run(cx)).await;
        for cancellation in self.cancellations.values() {
            cancellation.cancel();
        }
        match result {
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
                tracing::debug!("the client closed its end; stopping");
                Ok(())
            }
            other => other,
        }
    }

    fn poll_run(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.outbox.register(cx.waker());
        if let Some(listener) = self.session.listener() {
            listener.register(cx.waker());
        }
        if !self.eof && matches!(self.shutdown.poll_next_unpin(cx), Poll::Ready(Some(()))) {
            tracing::info!("shutting down: answering the calls received, reading no more");
            self.eof = true;
            self.close_outbox();
            self.deadline = Some(Box::pin(tokio::time::sleep(self.server.shutdown_grace)));
        }
        loop {
            let mut progressed = false;
            if self.frames_waiting && self.can_dispatch() {
                progressed = true;
                self.handle_frames(cx)?;
            }
            if !self.eof && !self.frames_waiting && self.can_dispatch() {
                if let Poll::Ready(ended) = self.poll_read(cx) {
                    progressed = true;
                    if ended {
                        self.eof = true;
                        self.close_outbox();
                        self.lines.end_of_input();
                        self.deadline =
                            Some(Box::pin(tokio::time::sleep(self.server.shutdown_grace)));
                    }
                    self.handle_frames(cx)?;
                }
            }
            while let Poll::Ready(Some(finished)) = self.inflight.poll_next_unpin(cx) {
                self.finish(finished);
                self.write_early(cx)?;
                progressed = true;
            }
            // Notifications wait (coalescing) while the client is behind on reading.
            if self.backlog() < MAX_BACKLOG {
                progressed |= self.outbox.collect(&mut self.out);
                if let Some(listener) = self.session.listener() {
                    progressed |= listener.collect(&mut self.out);
                }
            }
            if self.written < self.out.len() {
                progressed |= self.poll_write(cx)?.is_ready();
            }
            if self.eof && !self.frames_waiting && self.written == self.out.len() {
                if self.inflight.is_empty() {
                    return Pin::new(&mut self.writer).poll_flush(cx);
                }
                if self
                    .deadline
                    .as_mut()
                    .is_some_and(|d| d.as_mut().poll(cx).is_ready())
                {
                    tracing::warn!(
                        calls = self.inflight.len(),
                        "input ended and calls were still running after {:?}; abandoning them",
                        self.server.shutdown_grace
                    );
                    self.inflight.clear();
                    // What batches of abandoned calls already collected still goes out.
                    self.rpc_batches.abandon_running_calls(&mut self.out);
                    continue;
                }
            }
            if !progressed {
                return Poll::Pending;
            }
        }
    }

    /// Input ended: requests that would run forever end gracefully.
    fn close_outbox(&self) {
        if let Some(closing) = self.outbox.closing() {
            closing.cancel();
        }
    }

    /// Output not yet written.
    fn backlog(&self) -> usize {
        self.out.len() - self.written
    }

    /// Whether another message may be dispatched now. Beyond the cap on calls in flight, or
    /// with a client that is not reading its replies, input waits (in the pipe, then in the
    /// client): backpressure, never a dropped or failed request.
    fn can_dispatch(&self) -> bool {
        self.inflight.len() < self.server.max_calls_in_flight && self.backlog() < MAX_BACKLOG
    }

    /// Reads what is available; `Ready(true)` at end of input (or on a read error, logged).
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let mut buf = ReadBuf::new(self.lines.spare());
        match Pin::new(&mut self.reader).poll_read(cx, &mut buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len();
                self.lines.filled(n);
                Poll::Ready(n == 0)
            }
            Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => Poll::Ready(false),
            Poll::Ready(Err(err)) => {
                tracing::warn!(
                    "reading from the client failed, treating it as end of input: {err}"
                );
                Poll::Ready(true)
            }
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.out.len() {
            let n = ready!(Pin::new(&mut self.writer).poll_write(cx, &self.out[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.out.clear();
        self.written = 0;
        ready!(Pin::new(&mut self.writer).poll_flush(cx))?;
        Poll::Ready(Ok(()))
    }

    /// Starts writing mid-pass once enough replies have built up (see [`EARLY_WRITE_BYTES`]).
    fn write_early(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if self.out.len() - self.written >= EARLY_WRITE_BYTES {
            if let Poll::Ready(Err(err)) = self.poll_write(cx) {
                return Err(err);
            }
        }
        Ok(())
    }

    fn handle_frames(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        loop {
            if !self.can_dispatch() {
                self.frames_waiting = true;
                return Ok(());
            }
            self.refresh_tools();
            let action = match self.lines.next_frame() {
                None => {
                    self.frames_waiting = false;
                    return Ok(());
                }
                Some(Frame::Line(line))
                    if line.first() == Some(&b'[') && self.session.accepts_batches() =>
                {
                    // Rare enough that copying the line (so `self` is free) costs nothing.
                    let line = line.to_vec();
                    self.handle_batch(&line, cx);
                    Action::Done
                }
                Some(Frame::Line(line)) => Dispatcher {
                    server: &self.server,
                    tools: &self.tools,
                    session: &mut self.session,
                    out: &mut self.out,
                    outbox: &self.outbox,
                    in_batch: false,
                    mirrored: None,
                    failure: None,
                    bad_meta: Default::default(),
                    observe: Scope::new(&self.origin),
                }
                .handle_line(line),
                Some(Frame::Oversized(id)) => {
                    let limit = self.server.max_message_bytes;
                    let error = ErrorObject::new(
                        INVALID_REQUEST,
                        format!("Message too large: the limit is {limit} bytes"),
                    );
                    write_error(&mut self.out, id.as_ref(), &error);
                    Action::Done
                }
            };
            self.act(action, None, cx);
            self.write_early(cx)?;
        }
    }

    /// Takes the server's current tools if they changed since this connection last looked: one
    /// atomic load per message while they do not (the common case), so the per-connection
    /// services are rebuilt only after a change.
    fn refresh_tools(&mut self) {
        if self.server.tools.generation() != self.tools.generation {
            self.tools = self.server.tools.load();
            self.services = self.tools.list.iter().map(|tool| tool.service()).collect();
        }
    }

    fn act(&mut self, action: Action, batch: Option<BatchId>, cx: &mut Context<'_>) {
        match action {
            Action::Done => {}
            Action::Call(call) => self.start_call(call, batch, cx),
            Action::Request(request) => self.start_request(request, batch, cx),
            Action::Cancel(id) => match self.cancellations.remove(&id) {
                Some(cancellation) => cancellation.cancel(),
                None => tracing::debug!(%id, "cancellation for a request that is not running"),
            },
        }
    }

    /// Dispatches each message of a batch array; their responses go out as one array.
    fn handle_batch(&mut self, line: &[u8], cx: &mut Context<'_>) {
        let messages = match rpc_batch::split(line) {
            Ok(messages) => messages,
            Err(error) => return write_error(&mut self.out, None, &error),
        };
        let limit = self.server.max_calls_in_flight;
        if messages.len() > limit {
            // A batch is dispatched whole: its size is what bounds the calls it starts.
            let error = ErrorObject::invalid_request(format!(
                "Invalid request: a batch of {} messages; the limit is {limit}",
                messages.len()
            ));
            return write_error(&mut self.out, None, &error);
        }
        self.refresh_tools();
        let batch = self.rpc_batches.open();
        let mut written = Vec::new();
        for message in messages {
            written.clear();
            let action = Dispatcher {
                server: &self.server,
                tools: &self.tools,
                session: &mut self.session,
                out: &mut written,
                outbox: &self.outbox,
                in_batch: true,
                mirrored: None,
                failure: None,
                bad_meta: Default::default(),
                observe: Scope::new(&self.origin),
            }
            .handle_line(message.get().as_bytes());
            self.rpc_batches.respond(batch, &written);
            self.act(action, Some(batch), cx);
        }
        self.rpc_batches.seal(batch, &mut self.out);
    }

    /// Starts a call and polls it once; only calls that do not finish at once are queued.
    fn start_call(&mut self, pending: PendingCall, batch: Option<BatchId>, cx: &mut Context<'_>) {
        let PendingCall {
            id,
            era,
            tool,
            name,
            call,
            context,
            observed,
        } = pending;
        if !self.id_is_free(&id, batch) {
            observed.finish(Outcome::Error(INVALID_REQUEST), None);
            return;
        }
        if let Some(batch) = batch {
            self.rpc_batches.call_started(batch);
        }
        let service = &mut self.services[tool];
        let entered = observed.enter();
        let started = catch_unwind(AssertUnwindSafe(|| -> ToolFuture {
            // Busy (a user's concurrency limit, say): the call waits in its own future.
            log_scope::scoped(&context, || call_or_queue(service, call, Some(cx)))
                .into_started()
                .unwrap_or_else(|queued| Box::pin(queued))
        }));
        drop(entered);
        let work = match started {
            Ok(future) => Work::Tool { name, future },
            Err(panic) => {
                return self.finish(Finished {
                    id,
                    era,
                    batch,
                    context,
                    outcome: Some(Done::Tool {
                        name,
                        outcome: Err(panic),
                    }),
                    observed,
                })
            }
        };
        self.start(id, era, batch, context, work, observed, cx);
    }

    /// Starts a request other than a tool call (a resource read, a prompt ...).
    fn start_request(
        &mut self,
        pending: PendingRequest,
        batch: Option<BatchId>,
        cx: &mut Context<'_>,
    ) {
        let PendingRequest {
            id,
            era,
            context,
            future,
            observed,
        } = pending;
        if !self.id_is_free(&id, batch) {
            return observed.finish(Outcome::Error(INVALID_REQUEST), None);
        }
        if let Some(batch) = batch {
            self.rpc_batches.call_started(batch);
        }
        self.start(id, era, batch, context, Work::Other(future), observed, cx);
    }

    /// Whether no request with this id is running; if one is, answers this one with an error.
    fn id_is_free(&mut self, id: &RequestId, batch: Option<BatchId>) -> bool {
        if self.cancellations.is_empty() || !self.cancellations.contains_key(id) {
            return true;
        }
        // Cancellation and replies are matched by id: a second request under the id of one
        // still running would make both ambiguous.
        let error = ErrorObject::invalid_request(format!(
            "Invalid request: id {id} is already used by a request still running"
        ));
        match batch {
            None => write_error(&mut self.out, Some(id), &error),
            Some(batch) => {
                let mut reply = Vec::new();
                write_error(&mut reply, Some(id), &error);
                self.rpc_batches.respond(batch, &reply);
            }
        }
        false
    }

    /// Polls started work once; work that does not finish at once is queued.
    // The parts of one request, moved in: a struct would be built only to be taken apart.
    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        id: RequestId,
        era: Era,
        batch: Option<BatchId>,
        context: RequestContext,
        mut work: Work,
        observed: Observed,
        cx: &mut Context<'_>,
    ) {
        let polled = log_scope::scoped(&context, || {
            let _entered = observed.enter();
            work.poll(cx)
        });
        if let Poll::Ready(done) = polled {
            return self.finish(Finished {
                id,
                era,
                batch,
                context,
                outcome: Some(done),
                observed,
            });
        }
        let cancellation = Cancellation {
            client: CancellationToken::new(),
            tool: context.cancellation_token(),
        };
        let cancelled = cancellation.client.clone().cancelled_owned();
        self.cancellations.insert(id.clone(), cancellation);
        self.inflight.push(InFlight {
            id,
            era,
            batch,
            context,
            work,
            observed,
            cancelled,
        });
    }

    fn finish(&mut self, finished: Finished) {
        let Finished {
            id,
            era,
            batch,
            context,
            outcome,
            observed,
        } = finished;
        self.cancellations.remove(&id);
        let ended = observed
            .is_active()
            .then(|| outcome.as_ref().map_or(Outcome::Cancelled, Done::outcome));
        match outcome {
            None => {
                tracing::debug!(%id, "call cancelled; no reply");
                context.close_notes(&mut Vec::new());
            }
            Some(done) => {
                // A call's notifications go out before its reply, and none after it.
                context.close_notes(&mut self.out);
                match batch {
                    None => write_done(&mut self.out, &id, era, done, &context, &self.server),
                    Some(batch) => {
                        let mut reply = Vec::new();
                        write_done(&mut reply, &id, era, done, &context, &self.server);
                        self.rpc_batches.respond(batch, &reply);
                    }
                }
            }
        }
        if let Some(ended) = ended {
            observed.finish(ended, Some(context.observed()));
        }
        if let Some(batch) = batch {
            self.rpc_batches.call_ended(batch, &mut self.out);
        }
    }
}

/// How long calls may run on after input ends, by default.
pub(crate) const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::content::CallToolResult;
    use serde_json::Value;

    /// Records each write.
    struct RecordingWriter(Vec<Vec<u8>>);

    impl AsyncWrite for RecordingWriter {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            data: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.0.push(data.to_vec());
            Poll::Ready(Ok(data.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_burst_of_calls_is_answered_in_writes_of_a_few_kib() {
        let echo = crate::Tool::from_fn(
            crate::ToolDef::new("echo", serde_json::Map::new()),
            |call: crate::ToolCall| async move {
                let text = call.arguments().map_or("", |raw| raw.get()).to_owned();
                Ok::<_, std::convert::Infallible>(CallToolResult::text(text))
            },
        );
        let server = crate::Server::builder("burst", "1")
            .tool(echo)
            .build()
            .unwrap();
        let calls = 200;
        let input: Vec<u8> = (0..calls)
            .flat_map(|id| {
                format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo","arguments":{{"n":{id}}},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#
                )
                .into_bytes()
                .into_iter()
                .chain([b'\n'])
            })
            .collect();
        let mut writer = RecordingWriter(Vec::new());
        server.serve(&input[..], &mut writer).await.unwrap();

        let all: Vec<u8> = writer.0.concat();
        let replies: Vec<Value> = all
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| serde_json::from_slice(line).unwrap())
            .collect();
        assert_eq!(replies.len(), calls);
        for (n, reply) in replies.iter().enumerate() {
            assert_eq!(reply["id"], n);
            assert_eq!(
                reply["result"]["content"][0]["text"],
                format!(r#"{{"n":{n}}}"#),
                "{reply}"
            );
        }
        // One read holds the whole burst; its replies still leave in several small writes.
        let largest_reply = all.split(|&b| b == b'\n').map(<[u8]>::len).max().unwrap() + 1;
        assert!(writer.0.len() > 1, "one write for the whole burst");
        for write in &writer.0 {
            assert!(
                write.len() < EARLY_WRITE_BYTES + largest_reply,
                "{}",
                write.len()
            );
        }
    }
}
