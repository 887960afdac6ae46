//! One request observed: its span and metrics from dispatch to answer.

use std::sync::Arc;
use std::time::Instant;

use tracing::Span;

use super::handles::{recorder_installed, Handles, ToolHandles};
use super::notes::{CallNotes, Noted};
use super::{span, Origin};
use crate::protocol::jsonrpc::RequestId;
use crate::protocol::version::Era;

/// How a request ended, as far as its answer tells (a timeout is an `isError` result the
/// call's notes explain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    /// An `isError` result.
    ToolError,
    /// A JSON-RPC error, by code.
    Error(i32),
    /// The client cancelled, or went away.
    Cancelled,
}

/// The observation of one request: nothing at all (no allocation, no clock read) while no
/// subscriber wants its span and no recorder is installed.
///
/// Dropped without [`Observed::finish`] (a call abandoned at shutdown, a client gone), the
/// request counts as cancelled.
#[derive(Default)]
pub(crate) struct Observed(Option<Box<Active>>);

struct Active {
    span: Span,
    start: Instant,
    handles: Option<Arc<Handles>>,
    in_flight: bool,
}

impl Observed {
    /// Whether anything observes this request.
    #[inline]
    pub(crate) fn is_active(&self) -> bool {
        self.0.is_some()
    }

    #[inline(never)]
    fn begin(origin: &Origin, handles: &ToolHandles, method: &str, id: &RequestId) -> Observed {
        let span = span::request_span(origin, method, id);
        let metrics = recorder_installed();
        if span.is_disabled() && !metrics {
            return Observed(None);
        }
        Observed(Some(Box::new(Active {
            span,
            start: Instant::now(),
            handles: metrics.then(|| handles.method(method)),
            in_flight: false,
        })))
    }

    /// The request calls the tool at `index` of a snapshot whose handles are `handles`.
    #[inline]
    pub(crate) fn tool(&mut self, handles: &ToolHandles, index: usize, name: &str) {
        let Some(active) = &mut self.0 else { return };
        if !active.span.is_disabled() {
            active
                .span
                .record("otel.name", format!("tools/call {name}"))
                .record("gen_ai.tool.name", name)
                .record("gen_ai.operation.name", "execute_tool");
        }
        if active.handles.is_some() {
            active.handles = Some(handles.tool(index, name));
        }
    }

    /// The request is served in `era`.
    #[inline]
    pub(crate) fn era(&self, era: Era) {
        let Some(active) = &self.0 else { return };
        if !active.span.is_disabled() {
            let name = if era.is_modern() {
                "stateless"
            } else {
                "legacy"
            };
            active
                .span
                .record("mcp.protocol.version", era.version())
                .record("mcp.era", name);
        }
    }

    /// Takes the client's trace context from the request's `params._meta` (`line`, the whole
    /// message). Read again only when the span is recorded: the request's own parse keeps
    /// `_meta` small, as its moves are on every call's path.
    #[inline]
    pub(crate) fn adopt_trace_context(&self, line: &str) {
        let Some(active) = &self.0 else { return };
        if !active.span.is_disabled() {
            span::adopt_trace_context(&active.span, line);
        }
    }

    /// The request's handler starts running (it is in flight until answered).
    #[inline]
    pub(crate) fn started(&mut self) {
        if let Some(active) = &mut self.0 {
            if let Some(handles) = &active.handles {
                handles.in_flight.increment(1);
                active.in_flight = true;
            }
        }
    }

    /// Enters the span (while the request's handler runs).
    #[inline]
    pub(crate) fn enter(&self) -> Option<tracing::span::Entered<'_>> {
        self.0.as_ref().map(|active| active.span.enter())
    }

    /// The request was answered (or cancelled): records how, and how long it took. `notes` are
    /// those its call's layers left.
    #[inline]
    pub(crate) fn finish(mut self, outcome: Outcome, notes: Option<&CallNotes>) {
        if let Some(active) = self.0.take() {
            finish(
                *active,
                outcome,
                notes.map(CallNotes::read).unwrap_or_default(),
            );
        }
    }
}

impl Drop for Observed {
    #[inline]
    fn drop(&mut self) {
        if let Some(active) = self.0.take() {
            finish(*active, Outcome::Cancelled, Noted::default());
        }
    }
}

#[inline(never)]
fn finish(active: Active, outcome: Outcome, noted: Noted) {
    let elapsed = active.start.elapsed().as_secs_f64();
    let timed_out = outcome == Outcome::ToolError && noted.timed_out;
    let (name, error_type) = match outcome {
        Outcome::Ok => ("ok", None),
        Outcome::ToolError if timed_out => ("timeout", Some("timeout")),
        Outcome::ToolError => ("tool_error", Some("tool_error")),
        Outcome::Error(_) => ("error", None),
        Outcome::Cancelled => ("cancelled", Some("cancelled")),
    };
    let span = &active.span;
    if !span.is_disabled() {
        span.record("mcp.outcome", name)
            .record("mcp.server.operation.duration", elapsed);
        if let Some(error_type) = error_type {
            span.record("error.type", error_type);
        }
        if let Outcome::Error(code) = outcome {
            let code = tracing::field::display(code);
            span.record("error.type", &code)
                .record("rpc.response.status_code", &code);
        }
        if !matches!(outcome, Outcome::Ok | Outcome::Cancelled) {
            span.record("otel.status_code", "error");
        }
        if let Some(hit) = noted.cache {
            span.record("mcp.tool.cache", if hit { "hit" } else { "miss" });
        }
        if let Some(size) = noted.batch {
            span.record("mcp.tool.batch_size", size);
        }
    }
    let Some(handles) = &active.handles else {
        return;
    };
    handles.requests.increment(1);
    match outcome {
        Outcome::Ok => {}
        Outcome::ToolError if timed_out => {
            handles.timeout_errors.increment(1);
            handles.timeouts.increment(1);
        }
        Outcome::ToolError => handles.tool_errors.increment(1),
        Outcome::Error(code) => handles.jsonrpc_error(code),
        Outcome::Cancelled => handles.cancelled.increment(1),
    }
    match noted.cache {
        Some(true) => handles.cache_hits.increment(1),
        Some(false) => handles.cache_misses.increment(1),
        None => {}
    }
    if let Some(size) = noted.batch {
        handles.batch_size.record(size);
    }
    if active.in_flight {
        handles.in_flight.decrement(1);
    }
    handles.duration.record(elapsed);
}

/// The observation a dispatcher keeps of the request it is handling.
pub(crate) struct Scope<'a> {
    origin: &'a Origin,
    current: Observed,
}

impl<'a> Scope<'a> {
    pub(crate) fn new(origin: &'a Origin) -> Self {
        Scope {
            origin,
            current: Observed::default(),
        }
    }

    /// A request arrives (`handles`: those of the tools it is dispatched with). With no
    /// subscriber for its span and no recorder, it costs these two checks.
    #[inline]
    pub(crate) fn begin(&mut self, handles: &ToolHandles, method: &str, id: &RequestId) {
        if tracing::level_enabled!(tracing::Level::INFO) || recorder_installed() {
            self.current = Observed::begin(self.origin, handles, method, id);
        }
    }

    #[inline]
    pub(crate) fn current(&self) -> &Observed {
        &self.current
    }

    #[inline]
    pub(crate) fn current_mut(&mut self) -> &mut Observed {
        &mut self.current
    }

    /// The request's observation, for whatever runs its handler.
    #[inline]
    pub(crate) fn take(&mut self) -> Observed {
        std::mem::take(&mut self.current)
    }
}
