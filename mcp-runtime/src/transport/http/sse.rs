//! Server-sent events: a call's notifications, then its reply, as `text/event-stream`.
//!
//! Stateless era: the response body drives the call ([`SseCall`]); a client that closes the
//! stream drops the body and so cancels the call. Legacy era: a task drives the call and keeps
//! each event in the [`EventStore`]; the response (and any resumption of it, `GET` with
//! `Last-Event-ID`) follows the stored events ([`follow`]), so a broken stream loses nothing.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Sleep;

use super::event_store::{EventId, EventStore, StoredEvent};
use super::session::{LegacySession, LiveStream, RegisteredCall};
use crate::context::Outbox;
use crate::protocol::jsonrpc::{write_error, ErrorObject, INTERNAL_ERROR};
use crate::server::exchange::RunningCall;

/// A comment line: keeps a quiet stream open through proxies and client timeouts.
const KEEP_ALIVE: &[u8] = b":\n\n";

/// Appends one event carrying `message` (a JSON-RPC message without its newline).
pub(crate) fn write_event(out: &mut Vec<u8>, id: Option<EventId>, message: &[u8]) {
    if let Some(id) = id {
        out.extend_from_slice(b"id: ");
        out.extend_from_slice(id.to_string().as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"event: message\ndata: ");
    out.extend_from_slice(message);
    out.extend_from_slice(b"\n\n");
}

/// The messages of `lines` (newline-terminated JSON), one by one.
fn messages(lines: &[u8]) -> impl Iterator<Item = &[u8]> {
    lines.split(|&b| b == b'\n').filter(|line| !line.is_empty())
}

/// A stateless-era call answered as SSE: the body polls the call itself.
pub(crate) struct SseCall {
    call: Option<RunningCall>,
    outbox: Outbox,
    /// Messages not yet sent, one per line.
    lines: Vec<u8>,
    keep_alive: Pin<Box<Sleep>>,
    interval: Duration,
}

impl SseCall {
    /// Continues `call`, whose first notifications are already in `lines`.
    pub(crate) fn new(
        call: RunningCall,
        outbox: Outbox,
        lines: Vec<u8>,
        interval: Duration,
    ) -> Self {
        SseCall {
            call: Some(call),
            outbox,
            lines,
            keep_alive: Box::pin(tokio::time::sleep(interval)),
            interval,
        }
    }

    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        self.outbox.register(cx.waker());
        if let Some(call) = &mut self.call {
            if call.poll_reply(cx, &mut self.lines).is_ready() {
                self.call = None;
            }
        }
        self.outbox.collect(&mut self.lines);
        if !self.lines.is_empty() {
            let mut frame = Vec::with_capacity(self.lines.len() + 64);
            for message in messages(&self.lines) {
                write_event(&mut frame, None, message);
            }
            self.lines.clear();
            self.reset_keep_alive();
            return Poll::Ready(Some(frame.into()));
        }
        if self.call.is_none() {
            return Poll::Ready(None);
        }
        if self.keep_alive.as_mut().poll(cx).is_ready() {
            self.reset_keep_alive();
            return Poll::Ready(Some(Bytes::from_static(KEEP_ALIVE)));
        }
        Poll::Pending
    }

    fn reset_keep_alive(&mut self) {
        let next = tokio::time::Instant::now() + self.interval;
        self.keep_alive.as_mut().reset(next);
    }
}

/// A legacy-era call going on as a stream of stored events.
pub(crate) struct LegacyStream {
    pub session: Arc<LegacySession>,
    pub store: Arc<dyn EventStore>,
    pub stream: u64,
    /// The call's registration under its id (cancellation comes through it).
    pub registered: RegisteredCall,
    /// The session's slot the call holds.
    pub slot: OwnedSemaphorePermit,
}

impl LegacyStream {
    /// Runs `call` to its end on a task of its own (a client that drops the response does not
    /// stop it), keeping every message as an event; returns the events to answer with.
    pub(crate) fn spawn(
        self,
        call: RunningCall,
        outbox: Outbox,
        first: Vec<u8>,
        keep_alive: Duration,
    ) -> BoxStream<'static, Bytes> {
        let live = self.session.open_stream(self.stream);
        let mut stored = Stored {
            session: self.session.id.clone(),
            store: self.store.clone(),
            stream: self.stream,
            seq: 0,
            live: live.clone(),
        };
        stored.append(&first);
        let follow = follow(
            self.store.clone(),
            self.session.clone(),
            EventId {
                stream: self.stream,
                seq: 0,
            },
            keep_alive,
        );
        tokio::spawn(async move {
            let mut call = call;
            let request = call.request_id().clone();
            let finished = poll_fn(|cx| {
                outbox.register(cx.waker());
                let mut lines = Vec::new();
                let done = call.poll_reply(cx, &mut lines).is_ready();
                outbox.collect(&mut lines);
                stored.append(&lines);
                if done {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            });
            let cancelled = tokio::select! {
                () = finished => false,
                () = self.registered.cancelled.cancelled() => true,
            };
            drop(call);
            drop(self.registered);
            if cancelled && !self.session.ended.is_cancelled() {
                tracing::debug!("legacy call cancelled");
                self.session.cancel_stream(self.stream);
            } else {
                if cancelled && self.session.ended_here() {
                    // This instance let go of a session that lives on elsewhere (shutdown,
                    // idleness here): a client resuming the stream on another instance gets
                    // an answer rather than waiting for one that cannot come.
                    let mut line = Vec::new();
                    let error = ErrorObject::new(
                        INTERNAL_ERROR,
                        "Internal error: the server instance running this call stopped before \
                         it finished; send the request again",
                    );
                    write_error(&mut line, Some(&request), &error);
                    stored.append(&line);
                }
                if !cancelled || self.session.ended_here() {
                    // Its reply is the last event: clients following it elsewhere stop there.
                    let last = EventId {
                        stream: self.stream,
                        seq: stored.seq,
                    };
                    self.store.finish_stream(&self.session.id, last);
                }
                self.session.close_stream(self.stream);
            }
            drop(self.slot);
        });
        follow
    }
}

/// Appends a call's messages to its stream in the store.
struct Stored {
    session: Arc<str>,
    store: Arc<dyn EventStore>,
    stream: u64,
    seq: u64,
    live: Arc<LiveStream>,
}

impl Stored {
    fn append(&mut self, lines: &[u8]) {
        if lines.is_empty() {
            return;
        }
        for message in messages(lines) {
            self.seq += 1;
            self.store.append(StoredEvent {
                session: self.session.clone(),
                id: EventId {
                    stream: self.stream,
                    seq: self.seq,
                },
                message: Bytes::copy_from_slice(message),
            });
        }
        self.live.changed.notify_waiters();
    }
}

/// The events of a stream after `last`, as they are stored, until its call has ended and
/// everything was sent (or the session ends, or the stream is unknown to the store).
pub(crate) fn follow(
    store: Arc<dyn EventStore>,
    session: Arc<LegacySession>,
    last: EventId,
    keep_alive: Duration,
) -> BoxStream<'static, Bytes> {
    struct Follow {
        store: Arc<dyn EventStore>,
        session: Arc<LegacySession>,
        last: EventId,
        keep_alive: Duration,
        /// The call runs on another instance (the store says when the stream is complete).
        remote: bool,
    }
    let state = Follow {
        remote: session.live_stream(last.stream).is_none(),
        store,
        session,
        last,
        keep_alive,
    };
    stream::unfold(state, |mut st| async move {
        if st.remote {
            return follow_remote(st.store.clone(), &st.session, &mut st.last, st.keep_alive)
                .await
                .map(|bytes| (bytes, st));
        }
        let live = st.session.live_stream(st.last.stream);
        let notified = live.as_ref().map(|l| l.changed.notified());
        tokio::pin!(notified);
        if let Some(notified) = notified.as_mut().as_pin_mut() {
            // Registered before reading the store: an event appended meanwhile still wakes us.
            notified.enable();
        }
        let events = match st.store.replay_after(&st.session.id, st.last).await {
            Some(events) => events,
            // Unknown to the store, and no call will add to it: the stream is over.
            None if live.is_none() => return None,
            // The store let go of the stream (under its byte budget) while its call runs on:
            // wait for the call's next events, its reply above all.
            None => Vec::new(),
        };
        if let Some(newest) = events.last() {
            st.last = newest.id;
            let mut frame = Vec::new();
            for event in &events {
                write_event(&mut frame, Some(event.id), &event.message);
            }
            return Some((Bytes::from(frame), st));
        }
        match notified.as_mut().as_pin_mut() {
            // The call ended and every event was sent: the stream is complete.
            None => {
                st.store.end_stream(st.last.stream);
                None
            }
            Some(notified) => {
                if tokio::time::timeout(st.keep_alive, notified).await.is_err() {
                    return Some((Bytes::from_static(KEEP_ALIVE), st));
                }
                // Something changed: loop by yielding nothing new yet.
                Some((Bytes::new(), st))
            }
        }
    })
    .filter(|bytes| std::future::ready(!bytes.is_empty()))
    .boxed()
}

/// The next events of a stream whose call runs on another instance (or ran here and ended),
/// as the store has them; a keep-alive when none came within `keep_alive`; `None` once the
/// stream is complete or the session ended.
async fn follow_remote(
    store: Arc<dyn EventStore>,
    session: &LegacySession,
    last: &mut EventId,
    keep_alive: Duration,
) -> Option<Bytes> {
    let events = match store.replay_after(&session.id, *last).await {
        Some(events) if !events.is_empty() => Some(events),
        _ => tokio::select! {
            events = store.wait_after(&session.id, *last, keep_alive) => events,
            () = session.ended.cancelled() => return None,
        },
    };
    let Some(events) = events else {
        store.end_stream(last.stream);
        return None;
    };
    let Some(newest) = events.last() else {
        return Some(Bytes::from_static(KEEP_ALIVE));
    };
    *last = newest.id;
    let mut frame = Vec::new();
    for event in &events {
        write_event(&mut frame, Some(event.id), &event.message);
    }
    Some(Bytes::from(frame))
}

/// The stream of a session's unprompted notifications (its `GET` stream), until the session
/// ends or the client closes it; `None` when one is already open.
pub(crate) fn standalone(
    session: Arc<LegacySession>,
    keep_alive: Duration,
) -> Option<BoxStream<'static, Bytes>> {
    use std::sync::atomic::Ordering;
    if session.standalone_open.swap(true, Ordering::AcqRel) {
        return None;
    }
    /// Lets another stream open once this one is gone.
    struct Open(Arc<LegacySession>);
    impl Drop for Open {
        fn drop(&mut self) {
            self.0.standalone_open.store(false, Ordering::Release);
        }
    }
    let open = Open(session.clone());
    let mut ended = Box::pin(session.ended.clone().cancelled_owned());
    let mut quiet = Box::pin(tokio::time::sleep(keep_alive));
    let events = stream::poll_fn(move |cx| {
        let session = &open.0;
        if ended.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        session.listener.register(cx.waker());
        let mut lines = Vec::new();
        session.listener.collect(&mut lines);
        let next = tokio::time::Instant::now() + keep_alive;
        if !lines.is_empty() {
            let mut frame = Vec::with_capacity(lines.len() + 32);
            for message in messages(&lines) {
                write_event(&mut frame, None, message);
            }
            quiet.as_mut().reset(next);
            return Poll::Ready(Some(Bytes::from(frame)));
        }
        if quiet.as_mut().poll(cx).is_ready() {
            quiet.as_mut().reset(next);
            return Poll::Ready(Some(Bytes::from_static(KEEP_ALIVE)));
        }
        Poll::Pending
    });
    Some(events.boxed())
}
