//! The two-level cache against a real `redis-server` (started here, on a free loopback port),
//! each figure a ratio within one run:
//! - `level2_hit`: a call answered from Redis. The calling instance's level 1 holds one entry
//!   (capacity 1) and the calls cycle through 4,096 arguments another instance stored in
//!   Redis beforehand, so each call misses level 1, reads Redis and fills level 1 (as a real
//!   level-2 hit does);
//! - `bare_get`: the limit: a `GET` of a value of the same bytes, with the client and
//!   connection kind the runtime uses (redis-rs' multiplexed `ConnectionManager`);
//! - `level1_hit`: a call answered from this instance's moka;
//! - `miss`: a call with new arguments each time: the level-2 read, the tool, the write.
//!
//! The level-2 hit's goal is at most 1.5× the bare `GET`. After the run the counters are
//! printed, and the bench fails if a `level2_hit` call was not one.
//!
//! `cargo bench --bench redis`

#[path = "../tests/support/redis.rs"]
mod redis_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use mcp_toolkit::bench::ToolBench;
use mcp_toolkit::layer::cache::ToolCache;
use mcp_toolkit::store::redis::Redis;
use mcp_toolkit::{CallToolResult, Server, Tool, ToolCall, ToolDef};
use redis_support::RedisServer;
use serde_json::json;

/// How many argument sets the level-2 hits cycle through.
const KEYS: u64 = 4096;

/// A lookup answering about 200 bytes, as a small real tool would.
fn lookup(cache: ToolCache) -> Tool {
    let schema = json!({"type": "object", "properties": {"q": {"type": "integer"}}});
    let serde_json::Value::Object(schema) = schema else {
        unreachable!()
    };
    Tool::from_fn(
        ToolDef::new("lookup", schema),
        |call: ToolCall| async move {
            let q = call.arguments().map(|raw| raw.get().to_owned());
            let text = format!("{q:?}: {}", "lorem ipsum dolor sit amet ".repeat(7));
            Ok::<_, std::convert::Infallible>(CallToolResult::text(text))
        },
    )
    .with_cache(cache)
}

fn instance(url: &str, capacity: u64) -> Server {
    Server::builder("bench", "1")
        .tool(lookup(ToolCache::new(Duration::from_secs(3600), capacity)))
        .redis(Redis::new(url).unwrap())
        .build()
        .unwrap()
}

fn two_levels(c: &mut Criterion) {
    let redis = RedisServer::start();
    let url = redis.url();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Another instance stores the results the level-2 hits read.
    let writer = instance(&url, 100_000);
    let reader = instance(&url, 1);
    let local = instance(&url, 100_000);
    let call = |server: &Server, q: u64| {
        ToolBench::on_server(server, "lookup", json!({"q": q})).expect("the server has lookup")
    };
    rt.block_on(async {
        for q in 0..KEYS {
            assert!(!call(&writer, q).call().await.is_error());
        }
        // Both instances know the tool's generation before anything is timed.
        call(&reader, KEYS + 1).call().await;
        call(&local, 0).call().await;
    });
    let stored = redis.cli(&["--scan", "--pattern", "mcp:cache:*"]);
    let entry = stored
        .lines()
        .find(|key| !key.ends_with(":gen"))
        .expect("entries in Redis")
        .to_owned();
    let value = redis.cli(&["HGET", &entry, "-"]);
    let value = value.trim_end_matches('\n').as_bytes().to_vec();
    let mut conn = rt.block_on(async {
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut conn = redis::aio::ConnectionManager::new(client).await.unwrap();
        let _: () = redis::cmd("SET")
            .arg("bench:bare")
            .arg(&value)
            .query_async(&mut conn)
            .await
            .unwrap();
        conn
    });

    let mut group = c.benchmark_group("redis");
    let next = AtomicU64::new(0);
    group.bench_function("level2_hit", |b| {
        b.to_async(&rt).iter_batched(
            || call(&reader, next.fetch_add(1, Ordering::Relaxed) % KEYS),
            |bench| async move {
                let result = bench.call().await;
                // Handed back so that freeing it is not timed.
                (result, bench)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("bare_get", |b| {
        b.to_async(&rt).iter(|| {
            let mut conn = conn.clone();
            async move {
                let value: Vec<u8> = redis::cmd("GET")
                    .arg("bench:bare")
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                value
            }
        })
    });
    let hit = call(&local, 0);
    group.bench_function("level1_hit", |b| b.to_async(&rt).iter(|| hit.call()));
    let fresh = AtomicU64::new(KEYS * 2);
    group.bench_function("miss", |b| {
        b.to_async(&rt).iter_batched(
            || call(&writer, fresh.fetch_add(1, Ordering::Relaxed)),
            |bench| async move { (bench.call().await, bench) },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let cache = |server: &Server| server.tools()[0].cache().unwrap().stats();
    let read = cache(&reader);
    println!(
        "level2_hit instance: {read:?}; miss instance: {:?}",
        cache(&writer)
    );
    assert_eq!(
        read.misses, 1,
        "only the warm-up call missed: every level2_hit call was answered by Redis"
    );
    assert!(
        read.l2_hits >= read.hits * 99 / 100,
        "level-1 hits crept in: {read:?}"
    );
    let _: () = rt.block_on(async {
        redis::cmd("DEL")
            .arg("bench:bare")
            .query_async(&mut conn)
            .await
            .unwrap()
    });
}

criterion_group!(benches, two_levels);
criterion_main!(benches);
