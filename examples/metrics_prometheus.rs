//! An MCP server on stdio whose request metrics Prometheus scrapes over HTTP:
//! `cargo run --example metrics_prometheus -- 127.0.0.1:9464`, then
//! `curl http://127.0.0.1:9464/metrics` while a client calls its tools.
//!
//! The server records through the `metrics` facade; installing `metrics-exporter-prometheus`'s
//! recorder (with its HTTP listener) is all it takes. Request spans go to stderr as log lines
//! when `RUST_LOG` asks for them (`RUST_LOG=mcp_runtime::request=info`).

use std::net::SocketAddr;
use std::time::Duration;

use mcp_toolkit::observe::names;
use mcp_toolkit::{tool, Server};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

/// Add two integers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Divide `a` by `b`; dividing by zero is a tool error.
#[tool]
async fn divide(a: i64, b: i64) -> Result<i64, String> {
    a.checked_div(b)
        .ok_or_else(|| format!("cannot divide {a} by {b}"))
}

/// Square `k`; results are cached for five minutes.
#[tool(cache_ttl = 300)]
async fn cached_square(k: i64) -> i64 {
    k.wrapping_mul(k)
}

/// Sleep `ms` milliseconds; calls longer than 100 ms time out.
#[tool(timeout = "100ms")]
async fn sleep(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("slept {ms} ms")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("127.0.0.1:9464")
        .parse()?;
    // Spans on stderr (stdout carries the protocol), each logged when it closes.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::from_default_env())
        .with_span_events(FmtSpan::CLOSE)
        .init();
    // Latency as a histogram with buckets (the exporter's default is a summary).
    let seconds = [0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets_for_metric(Matcher::Full(names::DURATION.into()), &seconds)?
        .install()?;
    eprintln!("metrics_prometheus: metrics at http://{addr}/metrics");
    Server::builder("metrics-prometheus", "1.0.0")
        .tool(add::tool())
        .tool(divide::tool())
        .tool(cached_square::tool())
        .tool(sleep::tool())
        .serve_stdio()
        .await?;
    Ok(())
}
