//! Several `bench_server` PROCESSES on one real Redis, as a deployment runs them: over stdio
//! (one process per client) and over Streamable HTTP (replicas behind a load balancer). Their
//! `limited_add` tool allows 10 calls a second, counted across the instances through Redis.

#[path = "support/http.rs"]
mod http_support;
#[path = "support/redis.rs"]
mod redis_support;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use mcp_toolkit::Client;
use redis_support::RedisServer;
use serde_json::json;
use tokio::process::{Child, Command};

/// `limited_add`'s budget: 10 calls in any window of a second.
const RATE: usize = 10;
const PERIOD: Duration = Duration::from_secs(1);
/// `limited_add`'s timeout.
const TOOL_TIMEOUT: Duration = Duration::from_secs(5);

/// `target/<profile>/examples/bench_server` (tests/run.sh builds the examples first).
fn bench_server() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir
        .join("examples")
        .join(format!("bench_server{}", std::env::consts::EXE_SUFFIX))
}

/// `bench_server` with `args`, sharing the Redis at `redis` when given (and never one from the
/// environment otherwise).
fn command(args: &[&str], redis: Option<&str>) -> Command {
    let mut command = Command::new(bench_server());
    command.args(args).env_remove("REDIS_URL");
    if let Some(url) = redis {
        command.args(["--redis", url]);
    }
    command
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    command
}

/// A stdio instance and its client (modern era).
fn stdio_instance(redis: Option<&str>) -> (Child, Client) {
    let mut child = command(&[], redis)
        .spawn()
        .expect("run `cargo build --examples` first");
    let client = Client::new(child.stdout.take().unwrap(), child.stdin.take().unwrap());
    (child, client.modern())
}

/// Three stdio instances, each warmed up by one `limited_add` (process started, Redis
/// connected, script loaded), then a quiet window so the measured burst starts from a full
/// budget.
async fn three_stdio_instances(redis: Option<&str>) -> Vec<(Child, Client)> {
    let instances: Vec<_> = (0..3).map(|_| stdio_instance(redis)).collect();
    for (_, client) in &instances {
        assert_eq!(add(client, 1).await, Ok(2));
    }
    tokio::time::sleep(PERIOD).await;
    instances
}

/// `limited_add(a, 1)`: its sum, or the error text.
async fn add(client: &Client, a: i64) -> Result<i64, String> {
    let result = client
        .call_tool("limited_add", json!({"a": a, "b": 1}))
        .await
        .map_err(|err| err.message.clone())?;
    let text = result.content[0].as_text().unwrap_or_default().to_owned();
    if result.is_error() {
        return Err(text);
    }
    text.parse().map_err(|_| text)
}

/// `each` calls on every client at once; when each was answered (sorted).
async fn stdio_burst(instances: &[(Child, Client)], each: usize) -> Vec<Duration> {
    let start = Instant::now();
    let calls = instances.iter().flat_map(|(_, client)| {
        (0..each).map(move |n| async move {
            assert_eq!(add(client, n as i64).await, Ok(n as i64 + 1));
            start.elapsed()
        })
    });
    let mut times = join_all(calls).await;
    times.sort();
    times
}

/// At most `RATE` calls start in any window: the n-th answer (from 0) comes no sooner than
/// `n / RATE` periods after the burst began (less a little for coarse clocks).
fn assert_windowed(times: &[Duration]) {
    for (n, at) in times.iter().enumerate() {
        let earliest = PERIOD * (n / RATE) as u32;
        assert!(
            *at + Duration::from_millis(50) >= earliest,
            "call {n} answered at {at:?}, before {earliest:?}: {times:?}"
        );
    }
}

#[tokio::test]
async fn thirty_calls_over_three_stdio_instances_share_one_budget() {
    let redis = RedisServer::start();
    let instances = three_stdio_instances(Some(&redis.url())).await;
    let times = stdio_burst(&instances, 10).await;
    eprintln!(
        "30 calls over 3 stdio instances sharing Redis: {:?}",
        times[29]
    );
    assert_windowed(&times);
    assert!(times[29] >= Duration::from_millis(1800), "{times:?}");
    assert!(times[29] < Duration::from_secs(4), "{times:?}");
}

#[tokio::test]
async fn thirty_calls_over_three_stdio_instances_without_redis_are_not_held_back() {
    let instances = three_stdio_instances(None).await;
    let times = stdio_burst(&instances, 10).await;
    eprintln!("30 calls over 3 stdio instances alone: {:?}", times[29]);
    assert!(times[29] < Duration::from_millis(800), "{times:?}");
}

/// A free loopback address (for a server process to bind right after).
fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// An HTTP instance, once it accepts connections.
async fn http_instance(redis: &str) -> (Child, SocketAddr) {
    let addr = free_addr();
    let child = command(&["--http", &addr.to_string()], Some(redis))
        .spawn()
        .expect("run `cargo build --examples` first");
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "bench_server --http never listened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (child, addr)
}

/// A stateless (2026-07-28) `limited_add` on a connection of its own.
async fn http_add(addr: SocketAddr, id: u64) -> Result<i64, String> {
    let mut conn = http_support::Conn::open(addr).await;
    let reply = conn
        .call_modern(id, "limited_add", &format!(r#"{{"a":{id},"b":1}}"#))
        .await;
    let json = reply.json();
    let text = json["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    match (reply.status, json["result"]["isError"].as_bool()) {
        (200, None | Some(false)) => text.parse().map_err(|_| text.to_owned()),
        _ => Err(format!("{}: {json}", reply.status)),
    }
}

#[tokio::test]
async fn thirty_calls_over_three_http_instances_share_one_budget() {
    let redis = RedisServer::start();
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(http_instance(&redis.url()).await);
    }
    for (_, addr) in &instances {
        assert_eq!(http_add(*addr, 1).await, Ok(2));
    }
    tokio::time::sleep(PERIOD).await;

    let start = Instant::now();
    let calls = (0..30u64).map(|id| {
        let addr = instances[id as usize % 3].1;
        async move {
            assert_eq!(http_add(addr, id).await, Ok(id as i64 + 1));
            start.elapsed()
        }
    });
    let mut times = join_all(calls).await;
    times.sort();
    eprintln!(
        "30 calls over 3 HTTP instances sharing Redis: {:?}",
        times[29]
    );
    assert_windowed(&times);
    assert!(times[29] >= Duration::from_millis(1800), "{times:?}");
    assert!(times[29] < Duration::from_secs(4), "{times:?}");
}

#[tokio::test]
async fn redis_killed_mid_load_then_restarted() {
    let mut redis = RedisServer::start();
    let instances = three_stdio_instances(Some(&redis.url())).await;

    // Load: every instance calls as fast as its answers come, for 6 s; Redis is killed 1 s
    // in and restarted 2 s later.
    let start = Instant::now();
    let load_for = Duration::from_secs(6);
    let load = join_all(instances.iter().map(|(_, client)| async move {
        let mut calls = Vec::new();
        let mut a = 0;
        while start.elapsed() < load_for {
            let asked = Instant::now();
            let outcome = add(client, a).await;
            calls.push((asked - start, asked.elapsed(), outcome.clone()));
            assert_eq!(outcome, Ok(a + 1), "no call fails while Redis is away");
            a += 1;
        }
        calls
    }));
    let faults = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        redis.kill();
        tokio::time::sleep(Duration::from_secs(2)).await;
        redis.restart();
    };
    let (calls, ()) = tokio::join!(load, faults);
    let calls: Vec<_> = calls.into_iter().flatten().collect();
    let slowest = calls.iter().map(|(_, took, _)| *took).max().unwrap();
    assert!(slowest < TOOL_TIMEOUT, "a call hung: {slowest:?}");
    // Each instance calls in bursts of its budget: with Redis, 10 a second in all; while
    // Redis is away, 10 a second each.
    let asked_in = |from: f64, to: f64| {
        let (from, to) = (Duration::from_secs_f64(from), Duration::from_secs_f64(to));
        calls
            .iter()
            .filter(|(at, _, _)| (from..to).contains(at))
            .count()
    };
    // (Counted by when they were asked: a second's count includes the few asked just before
    // the next window opened.)
    let (before, alone, after) = (asked_in(0.0, 1.0), asked_in(1.0, 3.0), asked_in(4.0, 6.0));
    eprintln!(
        "Redis killed at 1 s, back at 3 s: {before} calls in 0-1 s (shared), {alone} in 1-3 s \
         (alone), {after} in 4-6 s (shared again); slowest {slowest:?}"
    );
    assert!(before <= RATE + 6, "{before} calls in the first second");
    // Each instance probes Redis within a second of its return (`retry_every`).
    assert!(
        after <= 2 * RATE + 6,
        "{after} calls in 4-6 s: not shared again"
    );
    assert!(
        alone > 3 * RATE,
        "while Redis is away instances serve their local budgets: {alone} calls in 2 s"
    );

    // Recovered (each instance probed Redis while calls kept coming): one budget again.
    tokio::time::sleep(PERIOD).await;
    let times = stdio_burst(&instances, 10).await;
    eprintln!("30 calls after Redis came back: {:?}", times[29]);
    assert_windowed(&times);
    assert!(times[29] >= Duration::from_millis(1800), "{times:?}");
}
