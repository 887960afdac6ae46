//! The two-level cache against a real Redis: several `Server`s built in one process on one
//! Redis stand for instances (each has its own level 1, its own Redis handle and instance id),
//! and calls go through the in-memory transport as a client's would.

#[path = "support/redis.rs"]
mod redis_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_toolkit::layer::cache::ToolCache;
use mcp_toolkit::store::redis::Redis;
use mcp_toolkit::{
    tool, BoxError, CacheKey, CallToolResult, FromToolCall, Server, Tool, ToolCall, ToolDef,
};
use redis_support::{RedisCluster, RedisServer};
use serde_json::{json, Value};

/// A tool named `name` that counts its runs in `runs`, answers `run N` and takes `delay`.
fn counting(name: &str, runs: &Arc<AtomicUsize>, delay: Duration, schema: Value) -> Tool {
    let Value::Object(schema) = schema else {
        panic!("a schema is an object")
    };
    let runs = runs.clone();
    Tool::from_fn(ToolDef::new(name, schema), move |_call: ToolCall| {
        let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            tokio::time::sleep(delay).await;
            Ok::<_, std::convert::Infallible>(CallToolResult::text(format!("run {run}")))
        }
    })
}

fn schema() -> Value {
    json!({"type": "object", "properties": {"q": {"type": "string"}}})
}

/// One instance: a server named `app` on `url` with `tool`.
struct Instance {
    server: Server,
    redis: Redis,
    cache: ToolCache,
}

impl Instance {
    fn new(url: &str, tool: Tool, configure: impl FnOnce(Redis) -> Redis) -> Instance {
        let redis = configure(Redis::new(url).unwrap());
        let cache = tool.cache().expect("a cached tool").clone();
        let server = Server::builder("app", "1")
            .tool(tool)
            .redis(redis.clone())
            .build()
            .unwrap();
        Instance {
            server,
            redis,
            cache,
        }
    }

    async fn call(&self, name: &str, arguments: Value) -> String {
        let client = self.server.connect_in_memory().modern();
        let result = client.call_tool(name, arguments).await.unwrap();
        result.content[0].as_text().unwrap().to_owned()
    }
}

/// `n` instances of a counting tool `lookup` cached with `cache`'s settings.
fn instances(
    url: &str,
    n: usize,
    runs: &Arc<AtomicUsize>,
    delay: Duration,
    cache: impl Fn() -> ToolCache,
) -> Vec<Instance> {
    (0..n)
        .map(|_| {
            let tool = counting("lookup", runs, delay, schema()).with_cache(cache());
            Instance::new(url, tool, |redis| redis)
        })
        .collect()
}

fn minutes() -> ToolCache {
    ToolCache::new(Duration::from_secs(300), 1000)
}

/// Waits until every instance is subscribed to the broadcasts (what reaches an instance
/// before its subscription is up is never heard; it clears its level 1 once subscribed).
async fn subscribed(instances: &[Instance], nodes: &[&RedisServer]) {
    for instance in instances {
        assert!(instance.redis.ping().await, "Redis answers");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let total: usize = nodes
            .iter()
            .map(|node| {
                let out = node.cli(&["PUBSUB", "NUMSUB", "mcp:broadcast"]);
                out.lines()
                    .nth(1)
                    .and_then(|n| n.trim().parse::<usize>().ok())
                    .unwrap_or(0)
            })
            .sum();
        if total >= instances.len() {
            return;
        }
        assert!(Instant::now() < deadline, "instances never subscribed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Calls `instance` until it answers something other than `stale` (its level 1 heard the
/// broadcast); panics after a few seconds.
async fn until_changed(instance: &Instance, name: &str, arguments: Value, stale: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = instance.call(name, arguments.clone()).await;
        if text != stale {
            return text;
        }
        assert!(Instant::now() < deadline, "the broadcast never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_result_computed_on_one_instance_is_a_level_2_hit_on_the_others() {
    let redis = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let all = instances(&redis.url(), 3, &runs, Duration::ZERO, minutes);
    subscribed(&all, &[&redis]).await;
    for instance in &all {
        assert_eq!(instance.call("lookup", json!({"q": "a"})).await, "run 1");
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "computed once for all instances"
    );
    let first = all[0].cache.stats();
    assert_eq!((first.misses, first.hits), (1, 0));
    for instance in &all[1..] {
        let stats = instance.cache.stats();
        assert_eq!((stats.misses, stats.hits, stats.l2_hits), (0, 1, 1));
    }
    // The level-2 hit filled level 1: the next call does not reach Redis.
    assert_eq!(all[1].call("lookup", json!({"q": "a"})).await, "run 1");
    let stats = all[1].cache.stats();
    assert_eq!((stats.hits, stats.l2_hits), (2, 1));
    // Other arguments are another entry.
    assert_eq!(all[2].call("lookup", json!({"q": "b"})).await, "run 2");
}

#[tokio::test]
async fn entries_expire_in_redis() {
    let redis = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let all = instances(&redis.url(), 2, &runs, Duration::ZERO, || {
        ToolCache::new(Duration::from_secs(1), 100)
    });
    assert_eq!(all[0].call("lookup", json!({"q": "a"})).await, "run 1");
    let keys = redis.cli(&["--scan", "--pattern", "mcp:cache:*"]);
    let entry = keys
        .lines()
        .find(|key| !key.ends_with(":gen"))
        .expect("an entry in Redis")
        .to_owned();
    assert!(
        entry.starts_with("mcp:cache:{app:lookup}:"),
        "namespaced: {entry}"
    );
    let ttl: i64 = redis.cli(&["PTTL", &entry]).trim().parse().unwrap();
    assert!(ttl > 0 && ttl <= 1000, "expires in Redis: {ttl} ms");
    std::thread::sleep(Duration::from_millis(1300));
    assert_eq!(
        redis.cli(&["EXISTS", &entry]).trim(),
        "0",
        "Redis expired it"
    );
    assert_eq!(all[1].call("lookup", json!({"q": "a"})).await, "run 2");
}

#[tokio::test]
async fn a_changed_tool_definition_never_reads_old_entries() {
    let redis = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let old = Instance::new(
        &redis.url(),
        counting("lookup", &runs, Duration::ZERO, schema()).with_cache(minutes()),
        |r| r,
    );
    let changed = json!({"type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "integer"}}});
    let new = Instance::new(
        &redis.url(),
        counting("lookup", &runs, Duration::ZERO, changed).with_cache(minutes()),
        |r| r,
    );
    let same = Instance::new(
        &redis.url(),
        counting("lookup", &runs, Duration::ZERO, schema()).with_cache(minutes()),
        |r| r,
    );
    assert_eq!(old.call("lookup", json!({"q": "a"})).await, "run 1");
    assert_eq!(new.call("lookup", json!({"q": "a"})).await, "run 2");
    assert_eq!(same.call("lookup", json!({"q": "a"})).await, "run 1");
    assert_eq!(same.cache.stats().l2_hits, 1);
}

#[tokio::test]
async fn invalidate_reaches_level_2_and_the_other_instances_level_1() {
    let redis = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let all = instances(&redis.url(), 3, &runs, Duration::ZERO, minutes);
    subscribed(&all, &[&redis]).await;
    let a = json!({"q": "a"});
    assert_eq!(all[0].call("lookup", a.clone()).await, "run 1");
    assert_eq!(all[1].call("lookup", a.clone()).await, "run 1");
    all[0].cache.invalidate(&a).await;
    // Level 2 is gone when `invalidate` returns: an instance without it in level 1 runs.
    assert_eq!(all[2].call("lookup", a.clone()).await, "run 2");
    // The instance that had it in level 1 heard the broadcast and reads level 2 again.
    assert_eq!(until_changed(&all[1], "lookup", a, "run 1").await, "run 2");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn invalidate_all_reaches_every_instance() {
    let redis = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let all = instances(&redis.url(), 3, &runs, Duration::ZERO, minutes);
    subscribed(&all, &[&redis]).await;
    let (a, b) = (json!({"q": "a"}), json!({"q": "b"}));
    assert_eq!(all[0].call("lookup", a.clone()).await, "run 1");
    assert_eq!(all[1].call("lookup", a.clone()).await, "run 1");
    // The third knows the current generation from another entry, and has `a` only in Redis.
    assert_eq!(all[2].call("lookup", b.clone()).await, "run 2");
    all[0].cache.invalidate_all().await;
    // When `invalidate_all` returns, level-2 reads miss everywhere, broadcast heard or not.
    assert_eq!(all[2].call("lookup", a.clone()).await, "run 3");
    assert_eq!(all[0].call("lookup", b.clone()).await, "run 4");
    // Level 1 of the others clears as the broadcast arrives.
    assert_eq!(until_changed(&all[1], "lookup", a, "run 1").await, "run 3");
    assert_eq!(until_changed(&all[2], "lookup", b, "run 2").await, "run 4");
    assert_eq!(runs.load(Ordering::SeqCst), 4);
}

/// Who is calling: the parity of the request id stands in for a tenant.
struct Tenant(String);

impl FromToolCall for Tenant {
    fn from_tool_call(call: &ToolCall) -> Result<Self, BoxError> {
        let id: i64 = call.context().request_id().to_string().parse()?;
        Ok(Tenant(if id % 2 == 0 { "even" } else { "odd" }.into()))
    }
}

impl CacheKey for Tenant {
    fn cache_key(&self) -> String {
        self.0.clone()
    }
}

static GREETINGS: AtomicUsize = AtomicUsize::new(0);

/// Greet on behalf of a tenant.
#[tool(cache_ttl = 300)]
async fn greet(#[extract] tenant: Tenant, name: String) -> String {
    let run = GREETINGS.fetch_add(1, Ordering::SeqCst) + 1;
    format!("{} greets {name} (run {run})", tenant.0)
}

async fn greet_as(instance: &Instance, id: i64) -> String {
    let client = instance.server.connect_in_memory().modern();
    let params = json!({"name": "greet", "arguments": {"name": "ada"}});
    let result = client
        .request_with_id(id, "tools/call", params)
        .await
        .unwrap();
    result["content"][0]["text"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn tenants_keyed_by_an_extractor_stay_apart_across_instances() {
    let redis = RedisServer::start();
    let all: Vec<Instance> = (0..2)
        .map(|_| Instance::new(&redis.url(), greet::tool(), |r| r))
        .collect();
    subscribed(&all, &[&redis]).await;
    assert_eq!(greet_as(&all[0], 2).await, "even greets ada (run 1)");
    assert_eq!(greet_as(&all[1], 3).await, "odd greets ada (run 2)");
    assert_eq!(greet_as(&all[1], 4).await, "even greets ada (run 1)");
    assert_eq!(greet_as(&all[0], 5).await, "odd greets ada (run 2)");
    // `greet::tool()` is one tool (one `ToolCache`) for the process: counts add up over
    // both instances, each still with a level 1 of its own.
    assert_eq!(all[0].cache.stats().l2_hits, 2);
    // Invalidating the arguments drops every tenant's entry, in level 2 and level 1.
    all[0].cache.invalidate(&json!({"name": "ada"})).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut id = 6;
    let (even, odd) = loop {
        let even = greet_as(&all[1], id).await;
        let odd = greet_as(&all[1], id + 1).await;
        if !even.ends_with("(run 1)") && !odd.ends_with("(run 2)") {
            break (even, odd);
        }
        assert!(Instant::now() < deadline, "the broadcast never arrived");
        id += 2;
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(even.starts_with("even greets ada"), "{even}");
    assert!(odd.starts_with("odd greets ada"), "{odd}");
}

#[tokio::test]
async fn with_a_shared_lock_concurrent_misses_on_three_instances_run_once() {
    let redis = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let all = instances(&redis.url(), 3, &runs, Duration::from_millis(300), || {
        minutes().shared_lock(Duration::from_secs(5))
    });
    // Each instance knows the generation, so the three misses race to the lock.
    for instance in &all {
        instance.call("lookup", json!({"q": "warm"})).await;
    }
    runs.store(0, Ordering::SeqCst);
    let a = json!({"q": "a"});
    let texts =
        futures_util::future::join_all(all.iter().map(|i| i.call("lookup", a.clone()))).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "{texts:?}");
    assert!(texts.iter().all(|t| t == &texts[0]), "{texts:?}");
    let l2_hits: u64 = all.iter().map(|i| i.cache.stats().l2_hits).sum();
    assert!(
        l2_hits >= 2,
        "the waiters read the holder's result: {l2_hits}"
    );
}

#[tokio::test]
async fn a_lock_holder_that_never_releases_delays_waiters_by_at_most_the_lease() {
    let redis = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let lease = Duration::from_millis(800);
    let all = instances(&redis.url(), 2, &runs, Duration::ZERO, || {
        minutes().shared_lock(lease)
    });
    let a = json!({"q": "a"});
    assert_eq!(all[0].call("lookup", a.clone()).await, "run 1");
    let keys = redis.cli(&["--scan", "--pattern", "mcp:cache:*"]);
    let entry = keys
        .lines()
        .find(|k| !k.ends_with(":gen"))
        .unwrap()
        .to_owned();
    // The entry is gone and a holder that died took its lock (for far longer than the
    // waiters' lease).
    redis.cli(&["DEL", &entry]);
    redis.cli(&["SET", &format!("{entry}:-:lock"), "dead", "PX", "60000"]);
    let asked = Instant::now();
    assert_eq!(all[1].call("lookup", a).await, "run 2");
    let waited = asked.elapsed();
    assert!(waited >= lease / 2, "it waited for the holder: {waited:?}");
    assert!(waited < lease + Duration::from_secs(2), "{waited:?}");
}

#[tokio::test]
async fn calls_are_answered_while_redis_is_down_and_sharing_resumes_when_it_is_back() {
    let mut redis = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let all: Vec<Instance> = (0..2)
        .map(|_| {
            let tool = counting("lookup", &runs, Duration::ZERO, schema()).with_cache(minutes());
            Instance::new(&redis.url(), tool, |r| {
                r.timeout(Duration::from_millis(200))
                    .retry_every(Duration::from_millis(100))
            })
        })
        .collect();
    subscribed(&all, &[&redis]).await;
    let a = json!({"q": "a"});
    assert_eq!(all[0].call("lookup", a.clone()).await, "run 1");
    assert_eq!(all[1].call("lookup", a.clone()).await, "run 1");
    redis.kill();
    let bound = Duration::from_secs(1);
    for i in 0..20 {
        for instance in &all {
            let asked = Instant::now();
            // Level 1 serves alone. (It was cleared once when the subscription dropped:
            // invalidations may have been lost then.)
            let q = json!({"q": format!("down {i}")});
            let first = instance.call("lookup", q.clone()).await;
            assert_eq!(instance.call("lookup", q).await, first, "a level-1 hit");
            instance.call("lookup", a.clone()).await;
            assert!(asked.elapsed() < bound, "held up: {:?}", asked.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    let before = all[1].cache.stats().l2_hits;
    for i in 0.. {
        let q = json!({"q": format!("back {i}")});
        all[0].call("lookup", q.clone()).await;
        all[1].call("lookup", q).await;
        if all[1].cache.stats().l2_hits > before {
            break;
        }
        assert!(Instant::now() < deadline, "sharing never resumed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_slow_redis_does_not_hold_calls_up() {
    let redis = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let all: Vec<Instance> = (0..2)
        .map(|_| {
            let tool = counting("lookup", &runs, Duration::ZERO, schema()).with_cache(minutes());
            Instance::new(&redis.url(), tool, |r| {
                r.timeout(Duration::from_millis(200))
                    .retry_every(Duration::from_millis(100))
            })
        })
        .collect();
    assert_eq!(all[0].call("lookup", json!({"q": "a"})).await, "run 1");
    let port = redis.port;
    let sleeper = std::thread::spawn(move || {
        std::process::Command::new("redis-cli")
            .args(["-p", &port.to_string(), "DEBUG", "SLEEP", "2"])
            .output()
            .unwrap();
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 0..5 {
        for instance in &all {
            let asked = Instant::now();
            instance
                .call("lookup", json!({"q": format!("slow {i}")}))
                .await;
            assert!(
                asked.elapsed() < Duration::from_secs(1),
                "held up: {:?}",
                asked.elapsed()
            );
        }
    }
    sleeper.join().unwrap();
}

#[tokio::test]
async fn instances_share_through_a_redis_cluster() {
    let cluster = RedisCluster::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let all = instances(&cluster.url(), 3, &runs, Duration::ZERO, || {
        minutes().shared_lock(Duration::from_secs(2))
    });
    let nodes: Vec<&RedisServer> = cluster.nodes.iter().collect();
    subscribed(&all, &nodes).await;
    for i in 0..5 {
        let q = json!({"q": format!("k{i}")});
        for instance in &all {
            assert_eq!(
                instance.call("lookup", q.clone()).await,
                format!("run {}", i + 1)
            );
        }
    }
    assert_eq!(all[1].cache.stats().l2_hits, 5);
    all[1].cache.invalidate_all().await;
    // Its own level 1 is clear at once, and the others' as the broadcast arrives.
    assert_eq!(all[1].call("lookup", json!({"q": "k0"})).await, "run 6");
    for instance in [&all[0], &all[2]] {
        assert_eq!(
            until_changed(instance, "lookup", json!({"q": "k0"}), "run 1").await,
            "run 6"
        );
    }
    assert_eq!(runs.load(Ordering::SeqCst), 6);
}
