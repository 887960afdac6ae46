//! What observability costs per call, as ratios within one run: a connection (`Server::serve`
//! over in-memory buffers, so no client's work is timed) answering 1,000 `add` calls with
//! - `off`: no `tracing` subscriber and no `metrics` recorder (the default);
//! - `tracing`: a subscriber that formats every request span's fields (`tracing-subscriber`'s
//!   registry and `fmt` layer, writing to a sink);
//! - `otel`: a `tracing-opentelemetry` layer exporting every span (an in-memory exporter,
//!   emptied between iterations);
//! - `metrics`: `metrics-exporter-prometheus`'s recorder;
//! - `both`: the `tracing` subscriber and the recorder.
//!
//! Each iteration checks every reply. `cargo bench --bench observe`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mcp_toolkit::{tool, Server};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;

/// Add two numbers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

const CALLS: usize = 1_000;

fn requests() -> Vec<u8> {
    (0..CALLS)
        .flat_map(|id| {
            format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"add","arguments":{{"a":{id},"b":1}},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#
            )
            .into_bytes()
            .into_iter()
            .chain([b'\n'])
        })
        .collect()
}

/// Serves `input` on one connection and checks that every call was answered with its sum.
fn serve(rt: &tokio::runtime::Runtime, server: &Server, input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    rt.block_on(server.serve(input, &mut *out)).unwrap();
    let answered = out
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .enumerate()
        .all(|(id, line)| {
            let text = format!(r#""text":"{}""#, id + 1);
            memchr::memmem::find(line, text.as_bytes()).is_some()
        });
    assert!(answered, "{}", String::from_utf8_lossy(out));
}

fn observe(c: &mut Criterion) {
    // Current-thread: the connection runs on this thread, where the subscriber and recorder
    // of each case are installed.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = Server::builder("bench", "0")
        .tool(add::tool())
        .build()
        .unwrap();
    let input = requests();
    let mut out = Vec::with_capacity(input.len());
    let mut group = c.benchmark_group("observe_1000_calls");
    group.throughput(Throughput::Elements(CALLS as u64));

    group.bench_function("off", |b| b.iter(|| serve(&rt, &server, &input, &mut out)));

    let fmt = || {
        tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::sink)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE),
        )
    };
    tracing::subscriber::with_default(fmt(), || {
        group.bench_function("tracing", |b| {
            b.iter(|| serve(&rt, &server, &input, &mut out));
        });
    });

    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let otel = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench")));
    tracing::subscriber::with_default(otel, || {
        group.bench_function("otel", |b| {
            b.iter(|| {
                serve(&rt, &server, &input, &mut out);
                exporter.reset();
            });
        });
    });

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || {
        group.bench_function("metrics", |b| {
            b.iter(|| serve(&rt, &server, &input, &mut out));
        });
        tracing::subscriber::with_default(fmt(), || {
            group.bench_function("both", |b| {
                b.iter(|| serve(&rt, &server, &input, &mut out));
            });
        });
    });
    group.finish();
}

criterion_group!(benches, observe);
criterion_main!(benches);
