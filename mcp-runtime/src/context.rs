//! The request context a tool can take as an argument: progress, logging to the client, and
//! cancellation.

use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::layer::cache::CacheControl;
use crate::protocol::jsonrpc::{write_notification, RequestId};
use crate::protocol::messages::{LogLevel, LogMessageParams, ProgressParams};
use crate::protocol::version::Era;

/// Messages a request's tool sends to the client while it runs (progress, log messages),
/// already framed as lines. The connection writes them before the request's response.
#[derive(Clone, Debug)]
pub(crate) struct Outbox(mpsc::UnboundedSender<Vec<u8>>);

impl Outbox {
    pub(crate) fn channel() -> (Outbox, mpsc::UnboundedReceiver<Vec<u8>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Outbox(tx), rx)
    }

    fn send<P: Serialize>(&self, method: &str, params: &P) {
        let mut line = Vec::with_capacity(128);
        write_notification(&mut line, method, params);
        // The connection is gone when this fails; nobody is left to tell.
        let _ = self.0.send(line);
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
    last_progress: Mutex<Option<f64>>,
    cache_control: CacheControl,
}

impl RequestContext {
    pub(crate) fn new(
        request_id: RequestId,
        era: Era,
        progress_token: Option<Box<RawValue>>,
        log_level: Option<LogLevel>,
        outbox: Outbox,
        cache_control: CacheControl,
    ) -> Self {
        RequestContext {
            inner: Arc::new(ContextInner {
                request_id,
                era,
                progress_token,
                log_level,
                cancellation: OnceLock::new(),
                outbox: Some(outbox),
                last_progress: Mutex::new(None),
                cache_control,
            }),
        }
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
                last_progress: Mutex::new(None),
                cache_control,
            }),
        }
    }

    /// How this call uses a result cache (the client's `mcp-toolkit/cache` `_meta`).
    pub fn cache_control(&self) -> CacheControl {
        self.inner.cache_control
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
        let (Some(token), Some(outbox)) = (&self.inner.progress_token, &self.inner.outbox) else {
            return;
        };
        {
            let mut last = self
                .inner
                .last_progress
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|last| progress <= last) || !progress.is_finite() {
                tracing::debug!(progress, "dropped a progress report that did not increase");
                return;
            }
            *last = Some(progress);
        }
        outbox.send(
            "notifications/progress",
            &ProgressParams {
                progress_token: token,
                progress,
                total,
                message,
            },
        );
    }

    /// Whether a log message at `level` would reach the client: the client asked for messages
    /// (a legacy `logging/setLevel`, or a modern request's `logLevel`) at this level or below.
    pub fn logs_enabled(&self, level: LogLevel) -> bool {
        self.inner.outbox.is_some() && self.inner.log_level.is_some_and(|min| level >= min)
    }

    /// Sends a `notifications/message` with structured `data`, when the client asked for
    /// messages at this level.
    pub fn log<D: Serialize>(&self, level: LogLevel, logger: Option<&str>, data: D) {
        if !self.logs_enabled(level) {
            return;
        }
        if let Some(outbox) = &self.inner.outbox {
            outbox.send(
                "notifications/message",
                &LogMessageParams {
                    level,
                    logger,
                    data,
                },
            );
        }
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

    fn attached(log_level: Option<LogLevel>) -> (RequestContext, mpsc::UnboundedReceiver<Vec<u8>>) {
        let (outbox, rx) = Outbox::channel();
        let token = RawValue::from_string("\"tok\"".into()).unwrap();
        let ctx = RequestContext::new(
            RequestId::Number(1),
            Era::Modern,
            Some(token),
            log_level,
            outbox,
            CacheControl::Default,
        );
        (ctx, rx)
    }

    fn drain(rx: &mut mpsc::UnboundedReceiver<Vec<u8>>) -> Vec<String> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .map(|l| String::from_utf8(l).unwrap())
            .collect()
    }

    #[test]
    fn progress_is_sent_only_while_increasing() {
        let (ctx, mut rx) = attached(None);
        ctx.progress(1.0, Some(3.0));
        ctx.progress(1.0, Some(3.0));
        ctx.progress_with_message(2.0, None, "half");
        let lines = drain(&mut rx);
        assert_eq!(
            lines,
            [
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"tok\",\"progress\":1.0,\"total\":3.0}}\n",
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"tok\",\"progress\":2.0,\"message\":\"half\"}}\n",
            ]
        );
    }

    #[test]
    fn log_messages_respect_the_requested_level() {
        let (quiet, mut rx) = attached(None);
        quiet.error("nobody asked");
        assert!(drain(&mut rx).is_empty());

        let (ctx, mut rx) = attached(Some(LogLevel::Warning));
        ctx.info("too low");
        ctx.warning("shown");
        let lines = drain(&mut rx);
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
