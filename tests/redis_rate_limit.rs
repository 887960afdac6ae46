//! Global rate limits against a real Redis (and a real 3-master Redis Cluster): in-process
//! servers, each with its own Redis handle, stand for instances. The multi-process version is
//! tests/redis_instances.rs.

#[path = "support/redis.rs"]
mod redis_support;

use std::convert::Infallible;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use mcp_toolkit::layer::rate_limit::RateLimitLayer;
use mcp_toolkit::prompt::{GetPromptResult, Prompt, PromptDef, PromptGet};
use mcp_toolkit::resource::{ReadResourceResult, Resource, ResourceDef, ResourceRead};
use mcp_toolkit::store::redis::{RateLimitFallback, Redis};
use mcp_toolkit::{CallToolResult, Client, Server, Tool, ToolCall, ToolDef};
use redis_support::{RedisCluster, RedisServer};
use serde_json::json;

/// 3 calls per 300 ms: short enough for quick tests, long enough to measure on a busy machine.
const CALLS: u32 = 3;
const PERIOD: Duration = Duration::from_millis(300);
/// Clocks and timers are a few ms coarse.
const SLACK: Duration = Duration::from_millis(25);

fn limited(layer: RateLimitLayer) -> Tool {
    Tool::from_fn(
        ToolDef::new("limited", Default::default()),
        |_: ToolCall| async { Ok::<_, Infallible>(CallToolResult::text("ok")) },
    )
    .layer(layer)
}

/// An instance: its own server, tool (so its own local budget) and Redis handle.
async fn instance(redis: Option<Redis>, layer: RateLimitLayer) -> Client {
    let mut builder = Server::builder("rate_test", "1.0.0").tool(limited(layer));
    if let Some(redis) = redis {
        assert!(redis.ping().await, "Redis answers before the test starts");
        builder = builder.redis(redis);
    }
    builder.build().unwrap().connect_in_memory().modern()
}

async fn instances(count: usize, redis: impl Fn() -> Option<Redis>) -> Vec<Client> {
    let mut clients = Vec::new();
    for _ in 0..count {
        clients.push(instance(redis(), RateLimitLayer::new(CALLS, PERIOD)).await);
    }
    clients
}

/// Calls `limited` `each` times on every client, all at once. Returns when each call was
/// answered (sorted), and the results' texts.
async fn burst(clients: &[Client], each: usize) -> (Vec<Duration>, Vec<String>) {
    let start = Instant::now();
    let calls = clients.iter().flat_map(|client| {
        (0..each).map(move |_| async move {
            let result = client.call_tool("limited", json!({})).await.unwrap();
            let text = result.content[0].as_text().unwrap_or_default().to_owned();
            (start.elapsed(), text)
        })
    });
    let (mut times, texts): (Vec<_>, Vec<_>) = join_all(calls).await.into_iter().unzip();
    times.sort();
    (times, texts)
}

/// No window of `PERIOD` holds more than `CALLS` starts: the n-th call (from 0) is answered
/// no sooner than `n / CALLS` periods after the burst began.
fn assert_windowed(times: &[Duration]) {
    for (n, at) in times.iter().enumerate() {
        let earliest = PERIOD * (n as u32 / CALLS);
        assert!(
            *at + SLACK >= earliest,
            "call {n} answered at {at:?}, before {earliest:?}: {times:?}"
        );
    }
}

#[tokio::test]
async fn instances_share_one_window() {
    let redis = RedisServer::start();
    let clients = instances(3, || Some(Redis::new(&redis.url()).unwrap())).await;
    let (times, texts) = burst(&clients, 4).await;
    assert!(texts.iter().all(|t| t == "ok"), "{texts:?}");
    assert_windowed(&times);
    // 12 calls at 3 per window: four windows, the last starting 900 ms in.
    assert!(times[11] < Duration::from_secs(3), "{times:?}");
    // The budget lives in one sorted set, trimmed to the window: never more than CALLS.
    let card = redis.cli(&["zcard", "mcp:rate_test:rate:tool:limited"]);
    assert!(card.trim().parse::<u32>().unwrap() <= CALLS, "{card}");
    let ttl: i64 = redis
        .cli(&["pttl", "mcp:rate_test:rate:tool:limited"])
        .trim()
        .parse()
        .unwrap();
    assert!(ttl > 0, "an idle budget expires: {ttl}");

    // After a quiet window, a whole burst is available again.
    tokio::time::sleep(PERIOD).await;
    let (times, _) = burst(&clients, 1).await;
    assert!(times[2] < PERIOD, "{times:?}");
}

#[tokio::test]
async fn without_redis_each_instance_has_its_own_budget() {
    let clients = instances(3, || None).await;
    let (times, _) = burst(&clients, 3).await;
    assert!(times[8] < PERIOD, "9 calls at once: {times:?}");
}

#[tokio::test]
async fn instance_local_budgets_stay_in_the_instance() {
    let redis = RedisServer::start();
    let mut clients = Vec::new();
    for _ in 0..3 {
        let layer = RateLimitLayer::new(CALLS, PERIOD).instance_local();
        clients.push(instance(Some(Redis::new(&redis.url()).unwrap()), layer).await);
    }
    let (times, _) = burst(&clients, 3).await;
    assert!(times[8] < PERIOD, "{times:?}");
    // Each instance still keeps its own: a 4th call waits.
    let (times, _) = burst(&clients[..1], 1).await;
    assert!(times[0] + SLACK >= PERIOD / 2, "{times:?}");
    assert_eq!(
        redis.cli(&["dbsize"]).trim(),
        "0",
        "nothing was counted in Redis"
    );
}

#[tokio::test]
async fn while_redis_is_away_each_instance_counts_alone() {
    let mut redis = RedisServer::start();
    let handle = || {
        Some(
            Redis::new(&redis.url())
                .unwrap()
                .retry_every(Duration::from_secs(60)),
        )
    };
    let clients = instances(2, handle).await;
    redis.kill();
    let (times, texts) = burst(&clients, 4).await;
    assert!(texts.iter().all(|t| t == "ok"), "{texts:?}");
    // Per instance: 3 at once and the 4th a period later, so 6 within the first window.
    assert!(times[5] < PERIOD, "{times:?}");
    assert!(times[6] + SLACK >= PERIOD, "{times:?}");
    assert!(times[7] < PERIOD * 2, "{times:?}");
}

#[tokio::test]
async fn failing_closed_refuses_while_redis_is_away_then_recovers() {
    let mut redis = RedisServer::start();
    let handle = Redis::new(&redis.url())
        .unwrap()
        .retry_every(Duration::from_millis(100))
        .rate_limit_fallback(RateLimitFallback::FailClosed);
    let client = instance(Some(handle), RateLimitLayer::new(CALLS, PERIOD)).await;
    let ok = client.call_tool("limited", json!({})).await.unwrap();
    assert!(!ok.is_error());

    redis.kill();
    let asked = Instant::now();
    let refused = client.call_tool("limited", json!({})).await.unwrap();
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    assert!(refused.is_error(), "refused with an isError result");
    let message = refused.content[0].as_text().unwrap();
    assert!(
        message.contains("limited") && message.contains("Redis") && message.contains("try again"),
        "{message}"
    );

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let result = client.call_tool("limited", json!({})).await.unwrap();
        if !result.is_error() {
            break;
        }
        assert!(Instant::now() < deadline, "never recovered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_cluster_counts_one_window() {
    let cluster = RedisCluster::start();
    let clients = instances(3, || Some(Redis::new(&cluster.url()).unwrap())).await;
    let (times, texts) = burst(&clients, 4).await;
    assert!(texts.iter().all(|t| t == "ok"), "{texts:?}");
    assert_windowed(&times);
    assert!(times[11] < Duration::from_secs(3), "{times:?}");
}

#[tokio::test]
async fn resources_and_prompts_count_in_redis_too() {
    let redis = RedisServer::start();
    let mut clients = Vec::new();
    for _ in 0..2 {
        let resource = Resource::from_fn(
            ResourceDef::new("test://limited", "limited"),
            |read: ResourceRead| async move {
                Ok::<_, Infallible>(ReadResourceResult::text(read.uri(), "text/plain", "ok"))
            },
        )
        .rate_limit(CALLS, PERIOD);
        let prompt = Prompt::from_fn(PromptDef::new("limited"), |_: PromptGet| async {
            Ok::<_, Infallible>(GetPromptResult::new(Vec::new()))
        })
        .rate_limit(CALLS, PERIOD);
        let handle = Redis::new(&redis.url()).unwrap();
        assert!(handle.ping().await);
        let server = Server::builder("rate_test", "1.0.0")
            .resource(resource)
            .prompt(prompt)
            .redis(handle)
            .build()
            .unwrap();
        clients.push(server.connect_in_memory().modern());
    }
    let start = Instant::now();
    let reads = clients.iter().flat_map(|client| {
        (0..2).map(move |_| async move {
            client
                .request("resources/read", json!({"uri": "test://limited"}))
                .await
                .unwrap();
            start.elapsed()
        })
    });
    let mut times = join_all(reads).await;
    times.sort();
    assert_windowed(&times);
    assert!(times[3] + SLACK >= PERIOD, "{times:?}");

    clients[1]
        .request("prompts/get", json!({"name": "limited"}))
        .await
        .unwrap();
    let keys = redis.cli(&["--scan", "--pattern", "mcp:rate_test:rate:*"]);
    let mut keys: Vec<&str> = keys.lines().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "mcp:rate_test:rate:prompt:limited",
            "mcp:rate_test:rate:resource:test://limited"
        ]
    );
}

#[tokio::test]
async fn a_stalled_redis_holds_a_call_no_longer_than_the_redis_timeout() {
    let redis = RedisServer::start();
    let handle = Redis::new(&redis.url())
        .unwrap()
        .timeout(Duration::from_millis(100))
        .retry_every(Duration::from_secs(60));
    let client = instance(Some(handle), RateLimitLayer::new(CALLS, PERIOD)).await;
    assert!(!client
        .call_tool("limited", json!({}))
        .await
        .unwrap()
        .is_error());
    // Redis stops answering anyone for 2 s (as `DEBUG SLEEP` would, which servers disable).
    redis.cli(&["client", "pause", "2000", "all"]);
    let asked = Instant::now();
    let result = client.call_tool("limited", json!({})).await.unwrap();
    let took = asked.elapsed();
    assert!(!result.is_error(), "the local budget serves it");
    // It waited for Redis (so Redis was asked, and stalled) but no longer than the timeout.
    assert!(
        took >= Duration::from_millis(90) && took < Duration::from_millis(500),
        "held up {took:?}"
    );
    // Until Redis is tried again, calls do not wait for it at all.
    let asked = Instant::now();
    client.call_tool("limited", json!({})).await.unwrap();
    assert!(asked.elapsed() < Duration::from_millis(50));
}

/// `#[tool(rate_limit, instance_local)]` keeps the budget out of Redis; without the flag the
/// same tool counts there.
#[tokio::test]
async fn the_instance_local_flag_keeps_a_macro_tools_budget_out_of_redis() {
    /// Counted per instance.
    #[mcp_toolkit::tool(rate_limit = "3/300ms", instance_local)]
    async fn local_limited() -> &'static str {
        "ok"
    }
    /// Counted across instances.
    #[mcp_toolkit::tool(rate_limit = "3/300ms")]
    async fn shared_limited() -> &'static str {
        "ok"
    }
    let redis = RedisServer::start();
    let client = Server::builder("macro_rate", "1.0.0")
        .tools([local_limited::tool(), shared_limited::tool()])
        .redis(Redis::new(&redis.url()).unwrap())
        .build()
        .unwrap()
        .connect_in_memory()
        .modern();
    for tool in ["local_limited", "shared_limited"] {
        let result = client.call_tool(tool, json!({})).await.unwrap();
        assert_eq!(result.content[0].as_text(), Some("ok"));
    }
    let keys = redis.cli(&["keys", "*"]);
    assert!(keys.contains("rate:tool:shared_limited"), "{keys}");
    assert!(!keys.contains("local_limited"), "{keys}");
}
