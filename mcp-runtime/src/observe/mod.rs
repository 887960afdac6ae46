//! Observability: one `tracing` span and a set of `metrics` per request.
//!
//! Every JSON-RPC request the server answers (over stdio, Streamable HTTP or in memory) gets a
//! span named after the OpenTelemetry semantic conventions for MCP, entered while the request's
//! handler (a tool's own code included) runs, so the handler's events and spans are its
//! children. When it ends, the span records the outcome and the duration, and the request is
//! counted through the [`metrics`] facade. Both cost next to nothing until a `tracing`
//! subscriber or a `metrics` recorder is installed (measured in the README, Observability).
//!
//! # The span
//!
//! Named `mcp.request` (target `mcp_runtime::request`, level `INFO`); `otel.name` gives
//! OpenTelemetry exporters the conventional name, `{mcp.method.name} {gen_ai.tool.name}`.
//!
//! | field | value |
//! | --- | --- |
//! | `otel.kind` | `server` |
//! | `otel.status_code` | `error` for an `isError` result, a timeout or a JSON-RPC error |
//! | `mcp.method.name` | `tools/call`, `resources/read` ... |
//! | `gen_ai.tool.name`, `gen_ai.operation.name` | the tool, `execute_tool` (tool calls) |
//! | `jsonrpc.request.id` | the request's id |
//! | `mcp.session.id` | the legacy HTTP session's id |
//! | `mcp.protocol.version`, `mcp.era` | the version; `stateless` (`2026-07-28`) or `legacy` |
//! | `network.transport`, `mcp.transport` | `pipe`/`stdio`, `tcp`/`streamable_http`, `inproc`/`memory` (`pipe`/`stream` for [`Server::serve`](crate::Server::serve)) |
//! | `mcp.outcome` | `ok`, `tool_error`, `timeout`, `error` (JSON-RPC) or `cancelled` |
//! | `error.type` | `tool_error`, `timeout`, `cancelled`, or the JSON-RPC error code |
//! | `rpc.response.status_code` | the JSON-RPC error code |
//! | `mcp.tool.cache` | `hit` or `miss` (tools with a result cache) |
//! | `mcp.tool.batch_size` | the size of the batch the call ran in (`batch` tools) |
//! | `mcp.server.operation.duration` | seconds from the request to its answer |
//! | `traceparent`, `tracestate` | the client's W3C trace context from `params._meta` |
//!
//! With the `opentelemetry` feature, the client's trace context is not recorded as fields but
//! becomes the span's parent (through `tracing-opentelemetry`), so the request joins the
//! client's trace.
//!
//! # The metrics
//!
//! Named in [`names`]; labelled `mcp.method.name`, and `gen_ai.tool.name` for tool calls
//! (Prometheus shows the dots as underscores). Handles are registered once per tool and method
//! with the recorder installed at the first request that sees one.

mod handles;
mod notes;
mod request;
mod span;

pub(crate) use handles::ToolHandles;
pub(crate) use notes::CallNotes;
pub(crate) use request::{Observed, Outcome, Scope};

/// The names of the metrics the server records.
pub mod names {
    /// Counter: requests answered (or cancelled).
    pub const REQUESTS: &str = "mcp.server.requests";
    /// Counter: requests that failed, labelled `error.type`: `tool_error`, `timeout`,
    /// `cancelled`, or the JSON-RPC error code.
    pub const ERRORS: &str = "mcp.server.errors";
    /// Counter: tool calls a timeout ended.
    pub const TIMEOUTS: &str = "mcp.server.timeouts";
    /// Counter: tool calls answered from the result cache.
    pub const CACHE_HITS: &str = "mcp.server.cache.hits";
    /// Counter: tool calls the result cache did not answer (the tool ran).
    pub const CACHE_MISSES: &str = "mcp.server.cache.misses";
    /// Histogram: the size of the batch each call of a `batch` tool ran in.
    pub const BATCH_SIZE: &str = "mcp.server.batch.size";
    /// Gauge: requests running (dispatched and not answered yet).
    pub const IN_FLIGHT: &str = "mcp.server.in_flight";
    /// Histogram: seconds from a request to its answer.
    pub const DURATION: &str = "mcp.server.operation.duration";
}

/// How requests reach the server (the span's `network.transport` and `mcp.transport`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Transport {
    Stdio,
    Http,
    Memory,
    /// [`Server::serve`](crate::Server::serve) over streams the caller chose.
    #[default]
    Stream,
}

impl Transport {
    /// The OpenTelemetry `network.transport`.
    fn network(self) -> &'static str {
        match self {
            Transport::Stdio | Transport::Stream => "pipe",
            Transport::Http => "tcp",
            Transport::Memory => "inproc",
        }
    }

    /// The MCP transport.
    fn name(self) -> &'static str {
        match self {
            Transport::Stdio => "stdio",
            Transport::Http => "streamable_http",
            Transport::Memory => "memory",
            Transport::Stream => "stream",
        }
    }
}

/// Where a connection's requests come from.
#[derive(Clone, Debug, Default)]
pub(crate) struct Origin {
    pub transport: Transport,
    /// The legacy HTTP session's id.
    pub session: Option<std::sync::Arc<str>>,
}

impl Origin {
    pub(crate) fn new(transport: Transport) -> Self {
        Origin {
            transport,
            session: None,
        }
    }
}
