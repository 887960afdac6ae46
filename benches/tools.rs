//! Baseline benchmarks: a generated tool called directly through its service, and end to end
//! through the in-memory transport (the stdio code path without a process) with 1 and 64 calls
//! in flight.
//!
//! `cargo bench --bench tools`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures_util::future::join_all;
use mcp_toolkit::{tool, Server, ToolCall};
use serde_json::json;

/// Add two numbers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn direct(c: &mut Criterion) {
    let rt = runtime();
    let tool = add::tool();
    let mut group = c.benchmark_group("direct");
    group.throughput(Throughput::Elements(1));
    group.bench_function("tool_service_call", |b| {
        b.to_async(&rt)
            .iter(|| tool.call(ToolCall::new("add", json!({"a": 1, "b": 2}))));
    });
    group.finish();
}

fn in_memory(c: &mut Criterion) {
    let rt = runtime();
    let client = rt.block_on(async {
        let server = Server::builder("bench", "0")
            .tool(add::tool())
            .build()
            .unwrap();
        server.connect_in_memory().modern()
    });
    let mut group = c.benchmark_group("in_memory");
    for in_flight in [1_u64, 64] {
        group.throughput(Throughput::Elements(in_flight));
        group.bench_function(format!("{in_flight}_in_flight"), |b| {
            b.to_async(&rt).iter(|| {
                join_all((0..in_flight).map(|_| client.call_tool("add", json!({"a": 1, "b": 2}))))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, direct, in_memory);
criterion_main!(benches);
