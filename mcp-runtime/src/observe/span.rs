//! The request span: its fields, and the client's trace context as its parent.

use std::borrow::Cow;

use serde::Deserialize;
use tracing::field::Empty;
use tracing::Span;

use super::Origin;
use crate::protocol::jsonrpc::RequestId;

/// A request's span, disabled (and free) unless a subscriber wants it.
pub(super) fn request_span(origin: &Origin, method: &str, id: &RequestId) -> Span {
    tracing::info_span!(
        target: "mcp_runtime::request",
        "mcp.request",
        otel.name = method,
        otel.kind = "server",
        otel.status_code = Empty,
        mcp.method.name = method,
        gen_ai.tool.name = Empty,
        gen_ai.operation.name = Empty,
        jsonrpc.request.id = %id,
        mcp.session.id = origin.session.as_deref(),
        mcp.protocol.version = Empty,
        mcp.era = Empty,
        network.transport = origin.transport.network(),
        mcp.transport = origin.transport.name(),
        mcp.outcome = Empty,
        "error.type" = Empty,
        rpc.response.status_code = Empty,
        mcp.tool.cache = Empty,
        mcp.tool.batch_size = Empty,
        mcp.server.operation.duration = Empty,
        traceparent = Empty,
        tracestate = Empty,
    )
}

/// The W3C trace context in a message's `params._meta`.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    params: Option<Params<'a>>,
}

#[derive(Deserialize)]
struct Params<'a> {
    #[serde(rename = "_meta", borrow, default)]
    meta: Option<TraceMeta<'a>>,
}

#[derive(Deserialize)]
struct TraceMeta<'a> {
    #[serde(borrow, default)]
    traceparent: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tracestate: Option<Cow<'a, str>>,
}

/// Adopts the trace context of the message `line` (see [`adopt`]), if it has one.
pub(super) fn adopt_trace_context(span: &Span, line: &str) {
    let Ok(Message {
        params:
            Some(Params {
                meta:
                    Some(TraceMeta {
                        traceparent: Some(traceparent),
                        tracestate,
                    }),
            }),
    }) = serde_json::from_str(line)
    else {
        return;
    };
    adopt(span, &traceparent, tracestate.as_deref());
}

/// Makes the client's W3C trace context (`traceparent`, `tracestate` from `params._meta`) the
/// span's parent, for a `tracing-opentelemetry` layer. Must happen before the span is first
/// entered (the layer starts the OpenTelemetry span then).
#[cfg(feature = "opentelemetry")]
fn adopt(span: &Span, traceparent: &str, tracestate: Option<&str>) {
    use opentelemetry::propagation::{Extractor, TextMapPropagator};
    use opentelemetry_sdk::propagation::TraceContextPropagator;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    struct Meta<'a> {
        traceparent: &'a str,
        tracestate: Option<&'a str>,
    }
    impl Extractor for Meta<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            match key {
                "traceparent" => Some(self.traceparent),
                "tracestate" => self.tracestate,
                _ => None,
            }
        }
        fn keys(&self) -> Vec<&str> {
            let mut keys = vec!["traceparent"];
            keys.extend(self.tracestate.map(|_| "tracestate"));
            keys
        }
    }
    let parent = TraceContextPropagator::new().extract(&Meta {
        traceparent,
        tracestate,
    });
    // Without an OpenTelemetry layer there is nothing to parent; say what came instead.
    if span.set_parent(parent).is_err() {
        record_trace_context(span, traceparent, tracestate);
    }
}

/// Without the `opentelemetry` feature the client's trace context is recorded as fields.
#[cfg(not(feature = "opentelemetry"))]
fn adopt(span: &Span, traceparent: &str, tracestate: Option<&str>) {
    record_trace_context(span, traceparent, tracestate);
}

fn record_trace_context(span: &Span, traceparent: &str, tracestate: Option<&str>) {
    span.record("traceparent", traceparent);
    if let Some(tracestate) = tracestate {
        span.record("tracestate", tracestate);
    }
}

#[cfg(all(test, not(feature = "opentelemetry")))]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    use super::*;

    /// Keeps every string field recorded on any span.
    #[derive(Clone, Default)]
    struct Fields(Arc<Mutex<Vec<(String, String)>>>);

    impl Visit for Fields {
        fn record_str(&mut self, field: &Field, value: &str) {
            let mut fields = self.0.lock().unwrap();
            fields.push((field.name().to_owned(), value.to_owned()));
        }
        fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
    }

    impl Subscriber for Fields {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            span.record(&mut self.clone());
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, values: &Record<'_>) {
            values.record(&mut self.clone());
        }
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, _: &Event<'_>) {}
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    #[test]
    fn without_the_feature_the_trace_context_is_recorded_as_fields() {
        let fields = Fields::default();
        tracing::subscriber::with_default(fields.clone(), || {
            let span = request_span(&Origin::default(), "tools/call", &RequestId::Number(1));
            adopt_trace_context(
                &span,
                r#"{"id":1,"params":{"name":"t","_meta":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","tracestate":"a=b"}}}"#,
            );
            // A message without one records nothing.
            adopt_trace_context(&span, r#"{"id":2,"params":{"_meta":{}}}"#);
        });
        let fields = fields.0.lock().unwrap();
        let traced: Vec<_> = fields
            .iter()
            .filter(|(name, _)| name.starts_with("trace"))
            .collect();
        assert_eq!(
            traced,
            [
                &(
                    "traceparent".to_owned(),
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned()
                ),
                &("tracestate".to_owned(), "a=b".to_owned())
            ]
        );
    }
}
