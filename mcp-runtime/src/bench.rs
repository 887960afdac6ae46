//! Helpers to measure your own tools: call one through its whole layer stack with fixed JSON
//! arguments (for criterion), and plain statistics over N calls for quick checks.
//!
//! ```ignore
//! // benches/my_tools.rs (with `criterion` as a dev-dependency and `harness = false`)
//! use criterion::{criterion_group, criterion_main, Criterion};
//! use mcp_toolkit::bench::ToolBench;
//! # use mcp_toolkit::tool;
//! # /// Add.
//! # #[tool] async fn add(a: i64, b: i64) -> i64 { a + b }
//!
//! fn bench_add(c: &mut Criterion) {
//!     let rt = tokio::runtime::Runtime::new().unwrap();
//!     let add = ToolBench::new(add::tool(), serde_json::json!({"a": 1, "b": 2}));
//!     c.bench_function("add", |b| b.to_async(&rt).iter(|| add.call()));
//! }
//! criterion_group!(benches, bench_add);
//! criterion_main!(benches);
//! ```

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use serde_json::Value;
use tower::ServiceExt;

use crate::context::RequestContext;
use crate::protocol::content::CallToolResult;
use crate::tool::{failure_result, SharedState, Tool, ToolCall};

/// One tool with fixed arguments, ready to be called again and again.
#[derive(Clone, Debug)]
pub struct ToolBench {
    tool: Tool,
    arguments: Box<RawValue>,
    state: SharedState,
}

impl ToolBench {
    /// Calls of `tool` with `arguments`.
    ///
    /// # Panics
    /// When `arguments` cannot be serialized (only with non-string map keys).
    pub fn new(tool: Tool, arguments: Value) -> Self {
        let arguments = serde_json::value::to_raw_value(&arguments).expect("arguments serialize");
        ToolBench {
            tool,
            arguments,
            state: SharedState::default(),
        }
    }

    /// Adds shared state the tool takes as `State<T>`.
    ///
    /// This gives the `ToolBench` a state of its own (as if each were a separate server), so
    /// calls of a `batch` tool made through different `ToolBench`es are never batched together,
    /// even when they were given the same value. To batch them, give them one state with
    /// [`with_shared_state`](Self::with_shared_state). Clones of a `ToolBench` share its state.
    #[must_use]
    pub fn with_state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Uses `state` as the shared state of the calls, in place of any added with
    /// [`with_state`](Self::with_state).
    ///
    /// Calls of a `#[tool(batch(...))]` tool are batched only with calls that share their state
    /// (as calls to one server do), so `ToolBench`es meant to be batched together need clones of
    /// one state:
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// use mcp_toolkit::{bench::ToolBench, tool, SharedState, State};
    ///
    /// /// Doubles numbers, counting its invocations.
    /// #[tool(batch(max_size = 100, window = "1ms"))]
    /// async fn double(numbers: Vec<u64>, State(calls): State<Arc<AtomicUsize>>) -> Vec<u64> {
    ///     calls.fetch_add(1, Ordering::Relaxed);
    ///     numbers.iter().map(|n| n * 2).collect()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let invocations = Arc::new(AtomicUsize::new(0));
    /// let mut state = SharedState::default();
    /// state.insert(invocations.clone());
    /// let calls: Vec<ToolBench> = (0..10)
    ///     .map(|n| {
    ///         ToolBench::new(double::tool(), serde_json::json!({ "number": n }))
    ///             .with_shared_state(state.clone())
    ///     })
    ///     .collect();
    /// let results = futures_util::future::join_all(calls.iter().map(ToolBench::call)).await;
    /// assert!(results.iter().all(|result| !result.is_error()));
    /// assert_eq!(invocations.load(Ordering::Relaxed), 1, "ten calls, one batch");
    /// # }
    /// ```
    #[must_use]
    pub fn with_shared_state(mut self, state: SharedState) -> Self {
        self.state = state;
        self
    }

    /// Calls of the tool `name` of `server` as that server makes them: with its layers and its
    /// shared state (so a cached tool uses the server's own store, and its Redis level 2 on a
    /// server with Redis, `ServerBuilder::redis`). `None` when the
    /// server has no such tool.
    ///
    /// # Panics
    /// When `arguments` cannot be serialized (only with non-string map keys).
    pub fn on_server(server: &crate::Server, name: &str, arguments: Value) -> Option<Self> {
        let tool = server
            .tools()
            .into_iter()
            .find(|tool| tool.name() == name)?;
        Some(ToolBench::new(tool, arguments).with_shared_state(server.shared_state().clone()))
    }

    /// One call through the tool's full service (every layer), as the server makes it.
    pub async fn call(&self) -> CallToolResult {
        let call = ToolCall::from_parts(
            self.tool.def().name.clone(),
            Some(self.arguments.clone()),
            RequestContext::detached(),
            self.state.clone(),
        );
        match self.tool.service().oneshot(call).await {
            Ok(result) => result,
            Err(err) => failure_result(self.tool.name(), &*err),
        }
    }
}

/// Plain statistics of call latency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// How many calls were measured.
    pub calls: usize,
    /// Average.
    pub mean: Duration,
    /// Middle value.
    pub median: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// Fastest.
    pub min: Duration,
    /// Slowest.
    pub max: Duration,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} calls: mean {:?}, median {:?}, p95 {:?}, min {:?}, max {:?}",
            self.calls, self.mean, self.median, self.p95, self.min, self.max
        )
    }
}

/// Runs `call` `calls` times, one after another, and summarizes the latencies.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let stats = mcp_runtime::bench::measure(100, || async { 1 + 1 }).await;
/// assert_eq!(stats.calls, 100);
/// assert!(stats.min <= stats.median && stats.median <= stats.p95 && stats.p95 <= stats.max);
/// println!("{stats}");
/// # }
/// ```
pub async fn measure<F, Fut>(calls: usize, mut call: F) -> Stats
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    let mut samples = Vec::with_capacity(calls.max(1));
    for _ in 0..calls.max(1) {
        let start = Instant::now();
        call().await;
        samples.push(start.elapsed());
    }
    samples.sort_unstable();
    let at = |fraction: f64| samples[((samples.len() - 1) as f64 * fraction).round() as usize];
    let total: Duration = samples.iter().sum();
    Stats {
        calls: samples.len(),
        mean: total / u32::try_from(samples.len()).unwrap_or(u32::MAX),
        median: at(0.5),
        p95: at(0.95),
        min: samples[0],
        max: samples[samples.len() - 1],
    }
}
