//! Tool code's `tracing` events, sent to the client whose request the tool serves as
//! `notifications/message` (feature `log-forwarding`).
//!
//! Add [`ClientLogLayer`] to your subscriber, next to your own layers:
//!
//! ```
//! use mcp_runtime::logging::ClientLogLayer;
//! use tracing_subscriber::prelude::*;
//! use tracing_subscriber::{fmt, EnvFilter};
//!
//! tracing_subscriber::registry()
//!     .with(ClientLogLayer::new())
//!     // Your console output, filtered on its own: a global filter would also hide from the
//!     // client the events it asked for.
//!     .with(fmt::layer().with_writer(std::io::stderr).with_filter(EnvFilter::from_default_env()))
//!     .init();
//! ```
//!
//! Then `tracing::info!(rows = 3, "query done")` in a tool reaches the client as
//! `{"level":"info","logger":"my_crate::tools","data":{"message":"query done","rows":3}}`
//! when it asked for messages at `info` or below: with a legacy `logging/setLevel`, or with the
//! log level in a `2026-07-28` request's `_meta`, exactly as [`RequestContext::log`] decides.
//!
//! - **Levels**: `ERROR` → `error`, `WARN` → `warning`, `INFO` → `info`, `DEBUG` → `debug`.
//!   `TRACE` is below the lowest level a client can ask for (`debug`), so it is never sent.
//! - **`logger`** is the event's target (by default its module path); **`data`** an object with
//!   the message under `"message"` and each field under its name (numbers and booleans as
//!   JSON, `?debug` and `%display` values as strings).
//! - **Filtering**: the layer sends what the client asked for and nothing else; to forward
//!   fewer events (say, only your own crate's), give it a per-layer filter:
//!   `ClientLogLayer::new().with_filter(Targets::new().with_target("my_crate", Level::DEBUG))`.
//!
//! # Which client gets an event
//! Calls of many connections, and of several servers, run in one process, often on one thread
//! (a stdio connection polls all its calls in its own task). While the runtime polls a request's
//! work (and while it calls the tool service that creates a tool's future), it makes that
//! request the thread's current one; an event emitted then goes to that request's client. This
//! is a task-local in effect, set exactly where the request's code runs: it is cheaper than a
//! tokio task-local (no future wrapper), and it also works for calls that the connection polls
//! inline rather than as tasks of their own. A blocking tool (a plain `fn`) carries it onto its
//! blocking thread.
//!
//! Work a tool spawns runs in other tasks, where no request is current. For that work the layer
//! also marks every span created while a request is current (an `#[instrument]`ed function the
//! tool calls, an `info_span!` in its body) with that request, and an event with no current
//! request goes to the request of the nearest marked span around it. So a tool that spawns
//! `work.in_current_span()` (or `.instrument(span)`) from inside such a span still forwards the
//! work's events. The span keeps only a weak handle: a span that outlives its call keeps
//! nothing alive, and events after the call's reply are dropped (nothing is sent for a call
//! after its reply). Both lookups are needed: the current request alone misses spawned work,
//! and spans alone would cost a span per call and miss events of tools that create none.
//!
//! # Costs and bounds
//! - Not installed: the runtime checks one flag (a relaxed load) per poll of a request's work
//!   and when a tool's future is created; callgrind shows no difference on the stdio hot path
//!   (about 10.4k instructions per trivial call either way; README, Performance).
//! - Installed, client not asking for messages: the same, plus the request's log level; each
//!   event costs the layer a check of the thread's current request (none) and, while marked
//!   spans exist, a walk up the event's spans. A request that asks for messages costs about 90
//!   instructions more (its context made current around the call and each poll).
//! - Forwarded messages go through the call's bounded queue, as [`RequestContext::log`] does: at
//!   most 64 wait per call while the client reads slowly; beyond that they are dropped and
//!   counted (the client gets one warning with the count) without ever blocking the tool, and a
//!   dropped event is not even serialized.
//! - No loops: events of the runtime itself (targets `mcp_runtime`, `mcp_toolkit`) are never
//!   forwarded, and an event emitted while the layer forwards another (by a field's `Debug`
//!   impl, say) is not forwarded either.
//!
//! Install the layer once: each installed layer forwards every event.
//!
//! [`RequestContext::log`]: crate::RequestContext::log

mod data;

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::context::{RequestContext, WeakContext};
use crate::log_scope;
use crate::protocol::messages::LogLevel;

/// A [`tracing_subscriber::Layer`] that sends tool code's events to the client whose request
/// the tool serves, as `notifications/message`, when that client asked for log messages.
///
/// See the [module docs](self) for what is sent, to whom, and at what cost.
///
/// ```
/// use tracing_subscriber::prelude::*;
///
/// let subscriber = tracing_subscriber::registry()
///     .with(mcp_runtime::logging::ClientLogLayer::new())
///     .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
/// # drop(subscriber);
/// ```
#[derive(Debug)]
pub struct ClientLogLayer {
    /// Live spans marked with a request: while there are none, an event without a current
    /// request costs no span walk.
    marked_spans: AtomicUsize,
}

impl ClientLogLayer {
    /// The layer. Making it tells the runtime to make each request current while its work
    /// runs (when its client asked for log messages); until one is made, the runtime does
    /// nothing of the sort.
    pub fn new() -> Self {
        log_scope::install();
        ClientLogLayer {
            marked_spans: AtomicUsize::new(0),
        }
    }
}

impl Default for ClientLogLayer {
    fn default() -> Self {
        ClientLogLayer::new()
    }
}

/// The request a span was created for (see the module docs).
struct SpanRequest(WeakContext);

thread_local! {
    /// Set while this thread forwards an event: events emitted meanwhile are not forwarded.
    static FORWARDING: Cell<bool> = const { Cell::new(false) };
}

impl<S> Layer<S> for ClientLogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, _attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(request) =
            log_scope::with_current(|current| current.map(RequestContext::downgrade))
        else {
            return;
        };
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanRequest(request));
            self.marked_spans.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if self.marked_spans.load(Ordering::Relaxed) == 0 {
            return;
        }
        if let Some(span) = ctx.span(&id) {
            if span.extensions().get::<SpanRequest>().is_some() {
                self.marked_spans.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let Some(level) = mcp_level(*metadata.level()) else {
            return;
        };
        if is_runtime(metadata.target()) {
            return;
        }
        log_scope::with_current(|current| {
            if let Some(request) = current {
                return forward(request, level, event);
            }
            if self.marked_spans.load(Ordering::Relaxed) == 0 {
                return;
            }
            let Some(scope) = ctx.event_scope(event) else {
                return;
            };
            for span in scope {
                let request = span
                    .extensions()
                    .get::<SpanRequest>()
                    .map(|marked| marked.0.clone());
                if let Some(request) = request {
                    if let Some(request) = request.upgrade() {
                        forward(&request, level, event);
                    }
                    return;
                }
            }
        });
    }
}

/// Sends `event` to `request`'s client if it asked for messages at `level` (and the call's
/// queue has room).
fn forward(request: &RequestContext, level: LogLevel, event: &Event<'_>) {
    if !request.logs_enabled(level) || FORWARDING.get() {
        return;
    }
    FORWARDING.set(true);
    // Reset even if a field's `Debug` impl panics (the tool's poll catches the panic).
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            FORWARDING.set(false);
        }
    }
    let _reset = Reset;
    let target = event.metadata().target();
    request.log(level, Some(target), data::EventData(event));
}

/// MCP's level for a tracing level; `None` for `TRACE`, below any level a client can ask for.
fn mcp_level(level: Level) -> Option<LogLevel> {
    match level {
        Level::ERROR => Some(LogLevel::Error),
        Level::WARN => Some(LogLevel::Warning),
        Level::INFO => Some(LogLevel::Info),
        Level::DEBUG => Some(LogLevel::Debug),
        _ => None,
    }
}

/// Whether an event comes from the runtime itself (the transport, the forwarding, ...): those
/// are never forwarded, which keeps the layer out of loops and out of the call's locks.
fn is_runtime(target: &str) -> bool {
    ["mcp_runtime", "mcp_toolkit"].iter().any(|crate_name| {
        target
            .strip_prefix(crate_name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_targets_are_recognized() {
        assert!(is_runtime("mcp_runtime"));
        assert!(is_runtime("mcp_runtime::server::connection"));
        assert!(is_runtime("mcp_toolkit"));
        assert!(!is_runtime("mcp_runtime_plugin"));
        assert!(!is_runtime("my_tools::mcp_runtime"));
    }

    #[test]
    fn levels_map_to_syslog_names_and_trace_is_never_sent() {
        assert_eq!(mcp_level(Level::ERROR), Some(LogLevel::Error));
        assert_eq!(mcp_level(Level::WARN), Some(LogLevel::Warning));
        assert_eq!(mcp_level(Level::INFO), Some(LogLevel::Info));
        assert_eq!(mcp_level(Level::DEBUG), Some(LogLevel::Debug));
        assert_eq!(mcp_level(Level::TRACE), None);
    }
}
