use std::sync::atomic::{AtomicUsize, Ordering};

use mcp_toolkit::{tool, ToolCall};
use serde_json::json;

static SEEN: AtomicUsize = AtomicUsize::new(0);

fn count(call: ToolCall) -> ToolCall {
    SEEN.fetch_add(1, Ordering::SeqCst);
    call
}

/// Square a number, with every performance option at once.
#[tool(
    read_only,
    cache_ttl = "5m",
    cache_capacity = 1_000,
    cache_max_bytes = 67_108_864,
    cache_lock = "5s",
    timeout = "5s",
    concurrency = 4,
    rate_limit = "1000/s",
    layer = tower::util::MapRequestLayer::new(count as fn(ToolCall) -> ToolCall),
    layer = tower::util::MapRequestLayer::new(|call: ToolCall| call),
)]
async fn square(k: i64) -> i64 {
    k * k
}

/// Seconds as a bare integer, milliseconds and hours as text.
#[tool(cache_ttl = 300, timeout = "250ms")]
fn cube(k: i64) -> i64 {
    k * k * k
}

/// Kept per instance even on a server with Redis.
#[tool(cache_ttl = "1h", concurrency = 1, instance_local)]
async fn echo(text: String) -> String {
    text
}

fn main() {
    let tool = square::tool();
    assert!(tool.cache().is_some());
    assert!(cube::tool().cache().is_some());
    assert!(echo::tool().cache().is_some());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for _ in 0..3 {
            let result = tool.call_json(json!({"k": 12})).await;
            assert_eq!(result.content[0].as_text(), Some("144"));
        }
        let result = cube::tool().call_json(json!({"k": 2})).await;
        assert_eq!(result.content[0].as_text(), Some("8"));
        let result = echo::tool().call_json(json!({"text": "hi"})).await;
        assert_eq!(result.content[0].as_text(), Some("hi"));
    });
    assert_eq!(SEEN.load(Ordering::SeqCst), 3, "the layer sees every call");
    let stats = tool.cache().unwrap().stats();
    assert_eq!((stats.hits, stats.misses), (2, 1), "{stats:?}");
}
