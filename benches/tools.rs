//! Tool-level benchmarks, each a ratio within one run:
//! - `macro`: a generated tool vs the same tool written by hand as a tower service;
//! - `layers`: a cache hit and a cache miss (a new key each call, its arguments built outside
//!   the timing), and a call through the timeout layer (not timing out), vs a plain call;
//! - `batch_1000_lookups`: 1,000 concurrent lookups through a `batch` tool vs one call each,
//!   against a backend with 1 ms latency per invocation and 10 connections (the backend
//!   invocations are printed, and the bench fails unless the batched calls were batched);
//! - `in_memory`: end to end through the in-memory transport, 1 and 64 calls in flight.
//!
//! `cargo bench --bench tools`

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use futures_util::future::join_all;
use mcp_toolkit::bench::ToolBench;
use mcp_toolkit::{
    schema, tool, BoxError, CallToolResult, Server, SharedState, State, Tool, ToolCall, ToolDef,
};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Semaphore;

/// Add two numbers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Add two numbers, cached.
#[tool(cache_ttl = 300)]
async fn cached_add(a: i64, b: i64) -> i64 {
    a + b
}

/// Add two numbers, with a timeout.
#[tool(timeout = "5s")]
async fn bounded_add(a: i64, b: i64) -> i64 {
    a + b
}

/// `add`, written by hand: what `#[tool]` saves you from writing.
#[derive(Clone)]
struct HandWrittenAdd;

#[derive(Deserialize, schemars::JsonSchema)]
struct AddArgs {
    a: i64,
    b: i64,
}

impl tower::Service<ToolCall> for HandWrittenAdd {
    type Response = CallToolResult;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<CallToolResult, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: ToolCall) -> Self::Future {
        Box::pin(async move {
            Ok(match call.parse_arguments::<AddArgs>() {
                // What the generated `add` answers: the sum as text and as `{"result": sum}`.
                Ok(args) => {
                    let sum = args.a + args.b;
                    CallToolResult {
                        structured_content: Some(json!({ "result": sum })),
                        ..CallToolResult::text(sum.to_string())
                    }
                }
                Err(invalid) => invalid,
            })
        })
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn macro_overhead(c: &mut Criterion) {
    let rt = runtime();
    let hand = Tool::new(
        ToolDef::new("add", schema::input_schema::<AddArgs>().unwrap())
            .with_output_schema(Some(schema::structured_output_schema::<i64>())),
        HandWrittenAdd,
    );
    let generated = ToolBench::new(add::tool(), json!({"a": 1, "b": 2}));
    let hand = ToolBench::new(hand, json!({"a": 1, "b": 2}));
    let mut group = c.benchmark_group("macro");
    group.bench_function("generated", |b| b.to_async(&rt).iter(|| generated.call()));
    group.bench_function("hand_written", |b| b.to_async(&rt).iter(|| hand.call()));
    group.finish();
}

fn layers(c: &mut Criterion) {
    let rt = runtime();
    let plain = ToolBench::new(add::tool(), json!({"a": 1, "b": 2}));
    let hit = ToolBench::new(cached_add::tool(), json!({"a": 1, "b": 2}));
    let bounded = ToolBench::new(bounded_add::tool(), json!({"a": 1, "b": 2}));
    let cached = cached_add::tool();
    let mut next = 0_i64;
    let mut group = c.benchmark_group("layers");
    group.bench_function("plain", |b| b.to_async(&rt).iter(|| plain.call()));
    group.bench_function("cache_hit", |b| b.to_async(&rt).iter(|| hit.call()));
    // A new key for every call, its JSON built outside the timing (as the hit's is). The
    // `ToolBench` is handed back so that freeing it is not timed either.
    group.bench_function("cache_miss", |b| {
        b.to_async(&rt).iter_batched(
            || {
                next += 1;
                ToolBench::new(cached.clone(), json!({"a": next, "b": 0}))
            },
            |miss| async move { (miss.call().await, miss) },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("timeout", |b| b.to_async(&rt).iter(|| bounded.call()));
    group.finish();
}

/// A backend with 1 ms latency per invocation and 10 connections.
#[derive(Clone)]
struct Backend {
    connections: Arc<Semaphore>,
    invocations: Arc<AtomicUsize>,
}

impl Backend {
    fn new() -> Self {
        Backend {
            connections: Arc::new(Semaphore::new(10)),
            invocations: Arc::new(AtomicUsize::new(0)),
        }
    }

    async fn query(&self, ids: &[u64]) -> Vec<u64> {
        let _connection = self.connections.acquire().await.unwrap();
        self.invocations.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(1)).await;
        ids.iter().map(|id| id * 2).collect()
    }
}

/// One lookup per call.
#[tool]
async fn lookup_one(id: u64, State(backend): State<Backend>) -> u64 {
    backend.query(&[id]).await[0]
}

/// Lookups coalesced into batches of up to 100.
#[tool(batch(max_size = 100, window = "1ms"))]
async fn lookup(ids: Vec<u64>, State(backend): State<Backend>) -> Vec<u64> {
    backend.query(&ids).await
}

fn batch(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("batch_1000_lookups");
    group.sample_size(10);
    for (label, tool, most_invocations) in [
        ("unbatched", lookup_one::tool(), 1000),
        // 1,000 calls started at once fill 10 batches of 100; twice that still shows batching.
        ("batched", lookup::tool(), 20),
    ] {
        let backend = Backend::new();
        // One state for all the calls, as one server has: batches are kept per state, and
        // `with_state` would give each `ToolBench` its own.
        let mut state = SharedState::default();
        state.insert(backend.clone());
        let calls: Vec<ToolBench> = (0..1000)
            .map(|id| {
                ToolBench::new(tool.clone(), json!({"id": id})).with_shared_state(state.clone())
            })
            .collect();

        let results = rt.block_on(join_all(calls.iter().map(ToolBench::call)));
        for (id, result) in results.iter().enumerate() {
            assert_eq!(
                result_text(result),
                (id * 2).to_string(),
                "{label}, id {id}"
            );
        }
        let invocations = backend.invocations.load(Ordering::Relaxed);
        println!("batch_1000_lookups/{label}: {invocations} backend invocations for 1000 calls");
        assert!(
            invocations <= most_invocations,
            "{label}: {invocations} backend invocations for 1000 calls (expected at most {most_invocations})"
        );

        group.bench_function(label, |b| {
            b.to_async(&rt)
                .iter(|| join_all(calls.iter().map(ToolBench::call)))
        });
    }
    group.finish();
}

/// The text of a result's only content block.
fn result_text(result: &CallToolResult) -> &str {
    match result.content.as_slice() {
        [block] => block.as_text().expect("a text block"),
        other => panic!("expected one block, got {other:?}"),
    }
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

criterion_group!(benches, macro_overhead, layers, batch, in_memory);
criterion_main!(benches);
