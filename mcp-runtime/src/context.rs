//! The request context a tool can take as an argument: progress, logging to the client,
//! cancellation, and requests to the client (sampling, elicitation, roots).

mod client;
pub(crate) mod input;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::Waker;

use futures_util::task::AtomicWaker;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

pub(crate) use client::{ClientCaps, ClientLink, ClientRequests};
pub use client::{
    ClientRequestError, CreateMessageResult, ElicitAction, ElicitResult, Elicitation, InputRequest,
    Root, SamplingMessage,
};

use crate::protocol::jsonrpc::{write_notification, RequestId};
use crate::protocol::messages::{LogLevel, LogMessageParams, ProgressParams};
use crate::protocol::version::Era;
use crate::sync::lock;

/// Log messages a call may have waiting for the client; beyond this they are dropped (and
/// counted) until the client catches up.
pub(crate) const MAX_QUEUED_LOGS_PER_CALL: usize = 64;

/// Progress reports a call may have waiting for the client; beyond this the newest replaces
/// the last one queued (only the latest matters), so a client that keeps up sees every
/// report and one that falls behind sees the latest.
pub(crate) const MAX_QUEUED_PROGRESS_PER_CALL: usize = 16;

/// How one call uses the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CacheControl {
    /// Serve a fresh cached result when there is one; store a new successful result.
    #[default]
    Default,
    /// Neither read nor write the cache.
    Bypass,
    /// Run the tool and store its successful result, replacing any cached one.
    Refresh,
}

impl CacheControl {
    /// Parses the value of the `mcp-toolkit/cache` `_meta` key
    /// ([`CACHE_META_KEY`](crate::layer::cache::CACHE_META_KEY)).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "default" => Some(CacheControl::Default),
            "bypass" => Some(CacheControl::Bypass),
            "refresh" => Some(CacheControl::Refresh),
            _ => None,
        }
    }
}

/// Where the calls of one connection leave notifications (progress, log messages) for it.
///
/// Nothing here grows with what a tool sends: each call keeps its own bounded notes (at most
/// [`MAX_QUEUED_PROGRESS_PER_CALL`] progress reports, coalescing beyond, and
/// [`MAX_QUEUED_LOGS_PER_CALL`] log messages) and is listed here
/// once until the connection collects them, which it does only while the client keeps up.
#[derive(Clone, Debug)]
pub(crate) struct Outbox(Arc<OutboxShared>);

#[derive(Debug, Default)]
struct OutboxShared {
    /// Calls with notes to collect, each listed once. Weak: a call that ended (or whose
    /// connection did) is not kept alive by being listed.
    listed: Mutex<Vec<Weak<ContextInner>>>,
    /// Set when a call is listed: the connection checks it on every pass, the lock only when
    /// something is there.
    pending: AtomicBool,
    /// The connection's task, woken when a call is listed.
    waker: AtomicWaker,
    /// Cancelled when the connection (or server) is ending: requests that would run forever
    /// (`subscriptions/listen`) end gracefully.
    closing: Option<CancellationToken>,
}

impl Outbox {
    #[cfg(any(test, feature = "http"))]
    pub(crate) fn new() -> Outbox {
        Outbox(Arc::default())
    }

    /// An outbox whose requests end gracefully when `closing` is cancelled.
    pub(crate) fn closing_with(closing: CancellationToken) -> Outbox {
        Outbox(Arc::new(OutboxShared {
            closing: Some(closing),
            ..OutboxShared::default()
        }))
    }

    /// The token cancelled when the connection ends, if it has one.
    pub(crate) fn closing(&self) -> Option<&CancellationToken> {
        self.0.closing.as_ref()
    }

    fn list(&self, call: Weak<ContextInner>) {
        lock(&self.0.listed).push(call);
        self.0.pending.store(true, Ordering::Release);
        self.0.waker.wake();
    }

    /// Registers the connection's task to be woken when a call has notes.
    pub(crate) fn register(&self, waker: &Waker) {
        self.0.waker.register(waker);
    }

    /// Writes the notes of every listed call; `false` when there were none.
    pub(crate) fn collect(&self, out: &mut Vec<u8>) -> bool {
        if !self.0.pending.swap(false, Ordering::Acquire) {
            return false;
        }
        let listed = std::mem::take(&mut *lock(&self.0.listed));
        for call in listed.iter().filter_map(Weak::upgrade) {
            call.write_notes(out, false);
        }
        !listed.is_empty()
    }
}

/// A [`RequestContext`] that does not keep its call alive.
#[cfg(feature = "log-forwarding")]
#[derive(Clone, Debug)]
pub(crate) struct WeakContext(Weak<ContextInner>);

#[cfg(feature = "log-forwarding")]
impl WeakContext {
    /// The context, while its call (or anything else holding it) is alive.
    pub(crate) fn upgrade(&self) -> Option<RequestContext> {
        self.0.upgrade().map(|inner| RequestContext { inner })
    }
}

/// A call's notifications not yet collected by its connection.
#[derive(Debug, Default)]
struct Notes {
    /// The last progress value reported (progress must increase).
    last_progress: Option<f64>,
    /// Progress not yet sent, oldest first.
    progress: VecDeque<PendingProgress>,
    /// Log messages not yet sent, already framed, with their place in the call's order.
    logs: VecDeque<(u64, Vec<u8>)>,
    /// The place of the next note: progress and logs go out in the order the tool sent them.
    next_seq: u64,
    /// Log messages dropped because the queue was full.
    dropped_logs: u64,
    /// Listed with the outbox, waiting to be collected.
    listed: bool,
    /// The call was answered (or abandoned): nothing more is sent for it.
    closed: bool,
}

#[derive(Debug)]
struct PendingProgress {
    seq: u64,
    progress: f64,
    total: Option<f64>,
    message: Option<String>,
}

impl Notes {
    fn take_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }
}

/// What a tool knows about the request it serves, and its way to talk back while it runs.
///
/// Take it as an argument of a `#[tool]` function (it is not part of the input schema):
///
/// ```
/// use mcp_toolkit::{tool, RequestContext};
///
/// /// Count to `n`, reporting progress.
/// #[tool]
/// async fn count(n: u32, ctx: RequestContext) -> String {
///     for i in 1..=n {
///         if ctx.is_cancelled() {
///             return "cancelled".into();
///         }
///         ctx.progress(f64::from(i), Some(f64::from(n)));
///     }
///     ctx.info("done counting");
///     format!("counted to {n}")
/// }
/// ```
#[derive(Clone, Debug)]
pub struct RequestContext {
    inner: Arc<ContextInner>,
}

#[derive(Debug)]
struct ContextInner {
    request_id: RequestId,
    era: Era,
    progress_token: Option<Box<RawValue>>,
    log_level: Option<LogLevel>,
    /// Created on first use: most calls finish before anyone asks.
    cancellation: OnceLock<CancellationToken>,
    outbox: Option<Outbox>,
    notes: Mutex<Notes>,
    cache_control: CacheControl,
    /// How to ask the client things (attached contexts only).
    client: Option<ClientLink>,
    /// Numbers the input requests made without a key of their own.
    input_seq: std::sync::atomic::AtomicU32,
    /// What the call's layers tell its request's span and metrics.
    observed: crate::observe::CallNotes,
}

impl ContextInner {
    /// Writes the call's pending notes to `out`; `close` means the call is being answered, so
    /// whatever it sends later is dropped.
    fn write_notes(&self, out: &mut Vec<u8>, close: bool) {
        let mut notes = lock(&self.notes);
        notes.listed = false;
        notes.closed |= close;
        let notes = &mut *notes;
        let token = self.progress_token.as_deref();
        // Logs and progress merged back into the order they were sent in.
        loop {
            let log_seq = notes.logs.front().map(|(seq, _)| *seq);
            let progress_seq = notes.progress.front().map(|p| p.seq);
            match (log_seq, progress_seq) {
                (Some(log), Some(progress)) if log < progress => write_log(out, &mut notes.logs),
                (Some(_), None) => write_log(out, &mut notes.logs),
                (_, Some(_)) => {
                    let pending = notes.progress.pop_front().expect("checked above");
                    if let Some(token) = token {
                        write_notification(
                            out,
                            "notifications/progress",
                            &ProgressParams {
                                progress_token: token,
                                progress: pending.progress,
                                total: pending.total,
                                message: pending.message.as_deref(),
                            },
                        );
                    }
                }
                (None, None) => break,
            }
        }
        if notes.dropped_logs > 0 {
            let dropped = std::mem::take(&mut notes.dropped_logs);
            tracing::debug!(dropped, "log messages dropped: the client reads too slowly");
            write_notification(
                out,
                "notifications/message",
                &LogMessageParams {
                    level: LogLevel::Warning,
                    logger: Some("mcp-toolkit"),
                    data: format!(
                        "{dropped} log messages of this request were dropped: the client read \
                         them too slowly"
                    ),
                },
            );
        }
    }
}

fn write_log(out: &mut Vec<u8>, logs: &mut VecDeque<(u64, Vec<u8>)>) {
    if let Some((_, line)) = logs.pop_front() {
        out.extend_from_slice(&line);
    }
}

impl RequestContext {
    pub(crate) fn new(
        request_id: RequestId,
        era: Era,
        progress_token: Option<Box<RawValue>>,
        log_level: Option<LogLevel>,
        outbox: Outbox,
        cache_control: CacheControl,
        client: Option<ClientLink>,
    ) -> Self {
        RequestContext {
            inner: Arc::new(ContextInner {
                request_id,
                era,
                progress_token,
                log_level,
                cancellation: OnceLock::new(),
                outbox: Some(outbox),
                notes: Mutex::default(),
                cache_control,
                client,
                input_seq: Default::default(),
                observed: Default::default(),
            }),
        }
    }

    fn client_link(&self) -> Option<&ClientLink> {
        self.inner
            .client
            .as_ref()
            .filter(|_| self.inner.outbox.is_some())
    }

    /// Queues a request to the client on the call's stream. Unlike log messages it is never
    /// dropped (a tool waits for each answer, so a call has few at a time).
    fn leave_request(&self, line: Vec<u8>) {
        self.leave_line(line);
    }

    /// Queues one message of the server's own on the call's stream (a subscription's
    /// notifications); callers bound how many wait, with [`RequestContext::lines_waiting`].
    pub(crate) fn leave_line(&self, line: Vec<u8>) {
        self.leave_note(|notes| {
            let seq = notes.take_seq();
            notes.logs.push_back((seq, line));
            true
        });
    }

    /// A context that is not attached to any client: progress and log messages go nowhere.
    /// For calling tools directly, in tests and benchmarks.
    pub fn detached() -> Self {
        Self::detached_with(CacheControl::Default)
    }

    /// A detached context whose call uses the cache as `cache_control` says.
    pub fn detached_with(cache_control: CacheControl) -> Self {
        RequestContext {
            inner: Arc::new(ContextInner {
                request_id: RequestId::Number(0),
                era: Era::Modern,
                progress_token: None,
                log_level: None,
                cancellation: OnceLock::new(),
                outbox: None,
                notes: Mutex::default(),
                cache_control,
                client: None,
                input_seq: Default::default(),
                observed: Default::default(),
            }),
        }
    }

    /// How this call uses a result cache (the client's `mcp-toolkit/cache` `_meta`).
    pub fn cache_control(&self) -> CacheControl {
        self.inner.cache_control
    }

    /// Where layers note what the request's span and metrics should say (cache hit, timeout).
    pub(crate) fn observed(&self) -> &crate::observe::CallNotes {
        &self.inner.observed
    }

    /// The id of the request being served.
    pub fn request_id(&self) -> &RequestId {
        &self.inner.request_id
    }

    /// The protocol version of the request.
    pub fn protocol_version(&self) -> &'static str {
        self.inner.era.version()
    }

    /// Whether the client asked for progress (sent a `progressToken`).
    pub fn wants_progress(&self) -> bool {
        self.inner.progress_token.is_some() && self.inner.outbox.is_some()
    }

    /// Reports progress: `progress` out of `total` (when known).
    ///
    /// Sent only when the client asked for progress. Progress must increase; a value not above
    /// the last one reported is dropped, as the protocol requires.
    pub fn progress(&self, progress: f64, total: Option<f64>) {
        self.send_progress(progress, total, None);
    }

    /// Reports progress with a human-readable message.
    pub fn progress_with_message(&self, progress: f64, total: Option<f64>, message: &str) {
        self.send_progress(progress, total, Some(message));
    }

    fn send_progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        if self.inner.progress_token.is_none() {
            return;
        }
        self.leave_note(|notes| {
            if notes.last_progress.is_some_and(|last| progress <= last) || !progress.is_finite() {
                tracing::debug!(progress, "dropped a progress report that did not increase");
                return false;
            }
            notes.last_progress = Some(progress);
            let report = PendingProgress {
                seq: notes.take_seq(),
                progress,
                total,
                message: message.map(str::to_owned),
            };
            if notes.progress.len() >= MAX_QUEUED_PROGRESS_PER_CALL {
                notes.progress.pop_back();
            }
            notes.progress.push_back(report);
            true
        });
    }

    /// Changes the call's notes with `note` (which says whether it left one), and lists the
    /// call with its connection if it was not listed yet.
    fn leave_note(&self, note: impl FnOnce(&mut Notes) -> bool) {
        let Some(outbox) = &self.inner.outbox else {
            return;
        };
        let mut notes = lock(&self.inner.notes);
        if notes.closed || !note(&mut notes) || notes.listed {
            return;
        }
        notes.listed = true;
        drop(notes);
        outbox.list(Arc::downgrade(&self.inner));
    }

    /// The `input_required` result of a stateless request that asked the client for input it
    /// did not get.
    pub(crate) fn input_required(&self, key: &input::StateKey) -> Option<serde_json::Value> {
        self.inner
            .client
            .as_ref()?
            .input
            .as_ref()?
            .input_required(key)
    }

    /// Cancelled when the connection or server is ending (when the context has one).
    pub(crate) fn closing(&self) -> Option<CancellationToken> {
        self.inner.outbox.as_ref()?.closing().cloned()
    }

    /// Messages queued on the call's stream and not yet collected.
    pub(crate) fn lines_waiting(&self) -> usize {
        lock(&self.inner.notes).logs.len()
    }

    /// Writes the call's last notes before its reply; nothing is sent for it afterwards.
    pub(crate) fn close_notes(&self, out: &mut Vec<u8>) {
        if self.inner.outbox.is_some() {
            self.inner.write_notes(out, true);
        }
    }

    /// Whether a log message at `level` would reach the client: the client asked for messages
    /// (a legacy `logging/setLevel`, or a modern request's `logLevel`) at this level or below.
    pub fn logs_enabled(&self, level: LogLevel) -> bool {
        self.inner.outbox.is_some() && self.inner.log_level.is_some_and(|min| level >= min)
    }

    /// Whether the client asked for log messages at any level: what decides whether a call
    /// runs with its context reachable by the log-forwarding layer.
    #[cfg(feature = "log-forwarding")]
    pub(crate) fn wants_logs(&self) -> bool {
        self.inner.log_level.is_some() && self.inner.outbox.is_some()
    }

    /// A handle that does not keep the call's context alive (kept by tracing spans, which may
    /// outlive the call).
    #[cfg(feature = "log-forwarding")]
    pub(crate) fn downgrade(&self) -> WeakContext {
        WeakContext(Arc::downgrade(&self.inner))
    }

    /// Sends a `notifications/message` with structured `data`, when the client asked for
    /// messages at this level.
    pub fn log<D: Serialize>(&self, level: LogLevel, logger: Option<&str>, data: D) {
        if !self.logs_enabled(level) || !self.log_has_room() {
            return;
        }
        let mut line = Vec::with_capacity(128);
        write_notification(
            &mut line,
            "notifications/message",
            &LogMessageParams {
                level,
                logger,
                data,
            },
        );
        // Checked again: a clone of this context on another thread may have filled the queue
        // (or the call may have been answered) while the message was being serialized.
        self.leave_note(|notes| {
            if notes.logs.len() >= MAX_QUEUED_LOGS_PER_CALL {
                notes.dropped_logs += 1;
                return false;
            }
            let seq = notes.take_seq();
            notes.logs.push_back((seq, line));
            true
        });
    }

    /// Whether a log message can still be queued, checked before it is serialized so that a
    /// tool flooding a slow client pays nothing for the messages dropped. A message refused
    /// for a full queue is counted as dropped here.
    ///
    /// The message is serialized after the lock is released, not under it: a `Serialize`
    /// impl that logs through this context would otherwise deadlock.
    fn log_has_room(&self) -> bool {
        let mut notes = lock(&self.inner.notes);
        if notes.closed {
            return false;
        }
        if notes.logs.len() >= MAX_QUEUED_LOGS_PER_CALL {
            notes.dropped_logs += 1;
            return false;
        }
        true
    }

    /// Logs a text message at `debug`.
    pub fn debug(&self, message: &str) {
        self.log(LogLevel::Debug, None, message);
    }

    /// Logs a text message at `info`.
    pub fn info(&self, message: &str) {
        self.log(LogLevel::Info, None, message);
    }

    /// Logs a text message at `warning`.
    pub fn warning(&self, message: &str) {
        self.log(LogLevel::Warning, None, message);
    }

    /// Logs a text message at `error`.
    pub fn error(&self, message: &str) {
        self.log(LogLevel::Error, None, message);
    }

    /// Whether the request was cancelled: by the client, by the client going away, or by the
    /// tool's timeout.
    ///
    /// The server also drops the tool's future when that happens, so checking is only needed
    /// around blocking work or to clean up.
    pub fn is_cancelled(&self) -> bool {
        self.inner
            .cancellation
            .get()
            .is_some_and(CancellationToken::is_cancelled)
    }

    /// Completes when the request is cancelled.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.token().cancelled()
    }

    /// The request's cancellation token, to hand to spawned work.
    pub fn cancellation_token(&self) -> CancellationToken {
        self.token().clone()
    }

    /// Cancels the request's token (for a timeout: the call is abandoned but still answered).
    pub(crate) fn cancel(&self) {
        self.token().cancel();
    }

    fn token(&self) -> &CancellationToken {
        self.inner.cancellation.get_or_init(CancellationToken::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attached(log_level: Option<LogLevel>) -> (RequestContext, Outbox) {
        let outbox = Outbox::new();
        let token = RawValue::from_string("\"tok\"".into()).unwrap();
        let ctx = RequestContext::new(
            RequestId::Number(1),
            Era::Modern,
            Some(token),
            log_level,
            outbox.clone(),
            CacheControl::Default,
            None,
        );
        (ctx, outbox)
    }

    fn drain(outbox: &Outbox) -> Vec<String> {
        let mut out = Vec::new();
        outbox.collect(&mut out);
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| format!("{line}\n"))
            .collect()
    }

    #[test]
    fn progress_is_sent_only_while_increasing() {
        let (ctx, outbox) = attached(None);
        ctx.progress(1.0, Some(3.0));
        assert_eq!(
            drain(&outbox),
            ["{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"tok\",\"progress\":1.0,\"total\":3.0}}\n"]
        );
        ctx.progress(1.0, Some(3.0));
        assert!(drain(&outbox).is_empty());
        ctx.progress_with_message(2.0, None, "half");
        assert_eq!(
            drain(&outbox),
            ["{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"tok\",\"progress\":2.0,\"message\":\"half\"}}\n"]
        );
    }

    #[test]
    fn progress_not_yet_collected_is_capped_and_ends_with_the_latest() {
        let (ctx, outbox) = attached(None);
        for i in 1..=100_000 {
            ctx.progress(f64::from(i), Some(100_000.0));
        }
        let lines = drain(&outbox);
        assert_eq!(lines.len(), MAX_QUEUED_PROGRESS_PER_CALL);
        assert!(lines[0].contains("\"progress\":1.0"), "{}", lines[0]);
        let last = lines.last().unwrap();
        assert!(last.contains("\"progress\":100000.0"), "{last}");
    }

    #[test]
    fn log_messages_not_yet_collected_are_capped_and_the_drop_is_reported() {
        let (ctx, outbox) = attached(Some(LogLevel::Debug));
        for i in 0..1000 {
            ctx.info(&format!("line {i}"));
        }
        let lines = drain(&outbox);
        assert_eq!(lines.len(), MAX_QUEUED_LOGS_PER_CALL + 1);
        assert!(lines[0].contains("\"line 0\""));
        let last = lines.last().unwrap();
        assert!(
            last.contains("936 log messages of this request were dropped"),
            "{last}"
        );
        // Collected, the queue takes new messages again.
        ctx.info("after");
        assert_eq!(drain(&outbox).len(), 1);
    }

    #[test]
    fn log_messages_dropped_for_a_full_queue_are_not_serialized() {
        use std::sync::atomic::AtomicUsize;

        /// Counts how often it is serialized.
        struct Counted<'a>(&'a AtomicUsize);
        impl Serialize for Counted<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.fetch_add(1, Ordering::Relaxed);
                serializer.serialize_str("counted")
            }
        }

        let (ctx, outbox) = attached(Some(LogLevel::Debug));
        let serialized = AtomicUsize::new(0);
        for _ in 0..1000 {
            ctx.log(LogLevel::Info, None, Counted(&serialized));
        }
        assert_eq!(serialized.load(Ordering::Relaxed), MAX_QUEUED_LOGS_PER_CALL);
        let lines = drain(&outbox);
        assert_eq!(lines.len(), MAX_QUEUED_LOGS_PER_CALL + 1);
        assert!(lines.last().unwrap().contains("936 log messages"));

        // Nor are those sent after the reply.
        ctx.close_notes(&mut Vec::new());
        ctx.log(LogLevel::Info, None, Counted(&serialized));
        assert_eq!(serialized.load(Ordering::Relaxed), MAX_QUEUED_LOGS_PER_CALL);
    }

    #[test]
    fn nothing_is_sent_after_the_call_is_answered() {
        let (ctx, outbox) = attached(Some(LogLevel::Debug));
        ctx.info("before");
        ctx.progress(1.0, None);
        let mut reply = Vec::new();
        ctx.close_notes(&mut reply);
        assert_eq!(String::from_utf8(reply).unwrap().lines().count(), 2);
        ctx.info("after");
        ctx.progress(2.0, None);
        assert!(drain(&outbox).is_empty());
    }

    #[test]
    fn log_messages_respect_the_requested_level() {
        let (quiet, outbox) = attached(None);
        quiet.error("nobody asked");
        assert!(drain(&outbox).is_empty());

        let (ctx, outbox) = attached(Some(LogLevel::Warning));
        ctx.info("too low");
        ctx.warning("shown");
        let lines = drain(&outbox);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].contains("\"level\":\"warning\"") && lines[0].contains("\"data\":\"shown\"")
        );
    }

    #[test]
    fn detached_contexts_send_nothing() {
        let ctx = RequestContext::detached();
        assert!(!ctx.wants_progress());
        ctx.progress(1.0, None);
        ctx.error("x");
        assert!(!ctx.is_cancelled());
    }
}
