//! Request spans through a real OpenTelemetry pipeline: a `tracing-opentelemetry` layer
//! exporting to the SDK's in-memory exporter (feature `opentelemetry`).

#[path = "support/http.rs"]
mod support;

use std::time::Duration;

use mcp_toolkit::{tool, Server};
use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;

/// Add two numbers, saying so in an event and a span of its own.
#[tool]
async fn traced_add(a: i64, b: i64) -> i64 {
    tracing::info!(a, b, "adding");
    let _inner = tracing::info_span!("inner_work").entered();
    a + b
}

/// Always fails.
#[tool]
async fn refuse() -> Result<String, String> {
    Err("not today".into())
}

/// Never finishes within its timeout.
#[tool(timeout = "50ms")]
async fn stall() -> String {
    tokio::time::sleep(Duration::from_secs(60)).await;
    "late".into()
}

/// Doubles `k`, cached.
#[tool(cache_ttl = 300)]
async fn cached_double(k: i64) -> i64 {
    k * 2
}

fn server() -> Server {
    Server::builder("observed", "1")
        .tool(traced_add::tool())
        .tool(refuse::tool())
        .tool(stall::tool())
        .tool(cached_double::tool())
        .build()
        .unwrap()
}

/// A subscriber for this thread exporting every span to the returned exporter.
fn pipeline() -> (InMemorySpanExporter, tracing::subscriber::DefaultGuard) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("observe-test"));
    let subscriber = tracing_subscriber::registry().with(layer);
    (exporter, tracing::subscriber::set_default(subscriber))
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

/// The request spans exported so far, by their `otel.name`.
fn request_span(exporter: &InMemorySpanExporter, name: &str) -> SpanData {
    let spans = exporter.get_finished_spans().unwrap();
    let mut found: Vec<SpanData> = spans.into_iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "one span named {name}");
    found.pop().unwrap()
}

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const PARENT_ID: &str = "b7ad6b7169203331";

#[tokio::test]
async fn a_call_with_a_traceparent_joins_the_clients_trace() {
    let (exporter, _guard) = pipeline();
    let client = server().connect_in_memory().modern();
    let result = client
        .request(
            "tools/call",
            json!({
                "name": "traced_add",
                "arguments": {"a": 2, "b": 3},
                "_meta": {
                    "traceparent": format!("00-{TRACE_ID}-{PARENT_ID}-01"),
                    "tracestate": "vendor=opaque",
                },
            }),
        )
        .await
        .unwrap();
    assert_eq!(result["content"][0]["text"], "5");

    let span = request_span(&exporter, "tools/call traced_add");
    assert_eq!(
        span.span_context.trace_id(),
        TraceId::from_hex(TRACE_ID).unwrap()
    );
    assert_eq!(span.parent_span_id, SpanId::from_hex(PARENT_ID).unwrap());
    assert!(span.parent_span_is_remote);
    assert_eq!(
        span.span_context.trace_state().get("vendor"),
        Some("opaque")
    );
    assert_eq!(span.span_kind, SpanKind::Server);
    assert_eq!(span.status, Status::Unset);
    for (key, value) in [
        ("mcp.method.name", "tools/call"),
        ("gen_ai.tool.name", "traced_add"),
        ("gen_ai.operation.name", "execute_tool"),
        ("jsonrpc.request.id", "1"),
        ("mcp.protocol.version", "2026-07-28"),
        ("mcp.era", "stateless"),
        ("network.transport", "inproc"),
        ("mcp.transport", "memory"),
        ("mcp.outcome", "ok"),
    ] {
        assert_eq!(attribute(&span, key).as_deref(), Some(value), "{key}");
    }
    assert_eq!(attribute(&span, "error.type"), None);
    assert_eq!(
        attribute(&span, "traceparent"),
        None,
        "a parent, not a field"
    );
    let seconds: f64 = attribute(&span, "mcp.server.operation.duration")
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.0..10.0).contains(&seconds), "{seconds}");

    // The tool's event is one of the request span's events, and its span a child.
    assert!(
        span.events.iter().any(|event| event.name == "adding"),
        "{:?}",
        span.events
    );
    let inner = request_span(&exporter, "inner_work");
    assert_eq!(inner.parent_span_id, span.span_context.span_id());
    assert_eq!(inner.span_context.trace_id(), span.span_context.trace_id());
}

#[tokio::test]
async fn without_a_traceparent_the_request_starts_a_trace() {
    let (exporter, _guard) = pipeline();
    let client = server().connect_in_memory();
    client.initialize().await.unwrap();
    let result = client
        .call_tool("traced_add", json!({"a": 1, "b": 1}))
        .await;
    let result = result.unwrap();
    assert_eq!(result.content[0].as_text(), Some("2"));
    assert_eq!(result.structured_content, Some(json!({"result": 2})));

    let span = request_span(&exporter, "tools/call traced_add");
    assert_eq!(span.parent_span_id, SpanId::INVALID);
    assert_eq!(attribute(&span, "mcp.era").as_deref(), Some("legacy"));
    let initialize = request_span(&exporter, "initialize");
    assert_eq!(attribute(&initialize, "mcp.outcome").as_deref(), Some("ok"));
    assert_ne!(
        initialize.span_context.trace_id(),
        span.span_context.trace_id()
    );
}

#[tokio::test]
async fn outcomes_are_recorded() {
    let (exporter, _guard) = pipeline();
    let client = server().connect_in_memory().modern();

    let refused = client.call_tool("refuse", json!({})).await.unwrap();
    assert!(refused.is_error());
    let span = request_span(&exporter, "tools/call refuse");
    assert_eq!(
        attribute(&span, "mcp.outcome").as_deref(),
        Some("tool_error")
    );
    assert_eq!(
        attribute(&span, "error.type").as_deref(),
        Some("tool_error")
    );
    assert!(
        matches!(span.status, Status::Error { .. }),
        "{:?}",
        span.status
    );

    let stalled = client.call_tool("stall", json!({})).await.unwrap();
    assert!(stalled.is_error());
    let span = request_span(&exporter, "tools/call stall");
    assert_eq!(attribute(&span, "mcp.outcome").as_deref(), Some("timeout"));
    assert_eq!(attribute(&span, "error.type").as_deref(), Some("timeout"));

    for _ in 0..2 {
        client
            .call_tool("cached_double", json!({"k": 21}))
            .await
            .unwrap();
    }
    let spans = exporter.get_finished_spans().unwrap();
    let cache: Vec<Option<String>> = spans
        .iter()
        .filter(|s| s.name == "tools/call cached_double")
        .map(|s| attribute(s, "mcp.tool.cache"))
        .collect();
    assert_eq!(cache, [Some("miss".into()), Some("hit".into())]);

    let unknown = client
        .call_tool("no_such_tool", json!({}))
        .await
        .unwrap_err();
    assert_eq!(unknown.code, -32602);
    let span = request_span(&exporter, "tools/call");
    assert_eq!(attribute(&span, "mcp.outcome").as_deref(), Some("error"));
    assert_eq!(attribute(&span, "error.type").as_deref(), Some("-32602"));
    assert_eq!(
        attribute(&span, "rpc.response.status_code").as_deref(),
        Some("-32602")
    );
}

#[tokio::test]
async fn http_requests_name_their_transport_and_session() {
    let (exporter, _guard) = pipeline();
    let running = support::Running::start(server(), Default::default()).await;
    let mut conn = running.connect().await;

    let body = format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"traced_add","arguments":{{"a":1,"b":2}},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}},"traceparent":"00-{TRACE_ID}-{PARENT_ID}-01"}}}}}}"#
    );
    let headers = support::modern_headers("tools/call", Some("Mcp-Name: traced_add"));
    let reply = conn.post(&headers, &body).await;
    assert_eq!(reply.status, 200);
    let span = request_span(&exporter, "tools/call traced_add");
    assert_eq!(
        span.span_context.trace_id(),
        TraceId::from_hex(TRACE_ID).unwrap()
    );
    assert_eq!(
        attribute(&span, "network.transport").as_deref(),
        Some("tcp")
    );
    assert_eq!(
        attribute(&span, "mcp.transport").as_deref(),
        Some("streamable_http")
    );
    assert_eq!(attribute(&span, "jsonrpc.request.id").as_deref(), Some("7"));
    assert_eq!(attribute(&span, "mcp.session.id"), None);
    assert!(span.events.iter().any(|event| event.name == "adding"));

    // A legacy session's requests carry its id.
    let session = support::open_session(&mut conn, "2025-06-18").await;
    exporter.reset();
    let header = format!("Mcp-Session-Id: {session}");
    let reply = conn
        .post(&[&header], &support::legacy_call(8, "refuse", "{}"))
        .await;
    assert_eq!(reply.status, 200);
    let span = request_span(&exporter, "tools/call refuse");
    assert_eq!(attribute(&span, "mcp.session.id"), Some(session));
    assert_eq!(attribute(&span, "mcp.era").as_deref(), Some("legacy"));
    assert_eq!(
        attribute(&span, "mcp.outcome").as_deref(),
        Some("tool_error")
    );
    running.stop().await.unwrap();
}
