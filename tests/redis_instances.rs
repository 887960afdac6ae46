//! Several server PROCESSES on one real Redis, as a deployment runs them: over stdio (one
//! process per client) and over Streamable HTTP (replicas behind a load balancer).
//! `bench_server`'s `limited_add` allows 10 calls a second, counted across the instances
//! through Redis; its `whose_square` is cached in Redis and says which process computed it;
//! the quickstart's legacy sessions move between instances.

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

/// `target/<profile>/examples/NAME` (tests/run.sh builds the examples first).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// `bench_server` with `args`, sharing the Redis at `redis` when given (and never one from the
/// environment otherwise).
fn command(args: &[&str], redis: Option<&str>) -> Command {
    let mut command = Command::new(example("bench_server"));
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
    listening(child, addr).await
}

/// Waits until the server process `child` accepts connections at `addr`.
async fn listening(child: Child, addr: SocketAddr) -> (Child, SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the server never listened on {addr}"
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

/// `whose_square(k)` over stdio: the text, `"K² computed by pid P"`.
async fn whose_square(client: &Client, k: i64) -> String {
    let result = client
        .call_tool("whose_square", json!({ "k": k }))
        .await
        .unwrap();
    assert!(!result.is_error(), "{result:?}");
    result.content[0].as_text().unwrap().to_owned()
}

fn computed_by(pid: u32) -> String {
    format!("49 computed by pid {pid}")
}

#[tokio::test]
async fn a_result_computed_in_one_stdio_process_is_a_hit_in_the_others_until_invalidate_all() {
    let redis = RedisServer::start();
    let instances: Vec<_> = (0..3).map(|_| stdio_instance(Some(&redis.url()))).collect();
    let pids: Vec<u32> = instances
        .iter()
        .map(|(child, _)| child.id().unwrap())
        .collect();
    let clients: Vec<&Client> = instances.iter().map(|(_, client)| client).collect();

    assert_eq!(whose_square(clients[0], 7).await, computed_by(pids[0]));
    for client in &clients[1..] {
        assert_eq!(
            whose_square(client, 7).await,
            computed_by(pids[0]),
            "a level-2 hit"
        );
    }

    // `forget_squares` on the second instance invalidates everywhere: the third computes
    // anew, and the first (whose level 1 held the result) soon gets the third's.
    let forgotten = clients[1]
        .call_tool("forget_squares", json!({}))
        .await
        .unwrap();
    assert_eq!(forgotten.content[0].as_text(), Some("forgotten"));
    assert_eq!(whose_square(clients[2], 7).await, computed_by(pids[2]));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let seen = whose_square(clients[0], 7).await;
        if seen == computed_by(pids[2]) {
            break;
        }
        assert_eq!(
            seen,
            computed_by(pids[0]),
            "only its own old level-1 entry, if any"
        );
        assert!(
            Instant::now() < deadline,
            "the invalidation never reached the first"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(whose_square(clients[1], 7).await, computed_by(pids[2]));
}

/// A stateless `whose_square` over HTTP: the text.
async fn http_whose_square(addr: SocketAddr, k: i64) -> String {
    let mut conn = http_support::Conn::open(addr).await;
    let reply = conn
        .call_modern(1, "whose_square", &format!(r#"{{"k":{k}}}"#))
        .await;
    let json = reply.json();
    json["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("{json}"))
        .to_owned()
}

#[tokio::test]
async fn a_result_computed_in_one_http_process_is_a_hit_in_the_others() {
    let redis = RedisServer::start();
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(http_instance(&redis.url()).await);
    }
    let first = instances[0].0.id().unwrap();
    assert_eq!(
        http_whose_square(instances[0].1, 7).await,
        computed_by(first)
    );
    for (_, addr) in &instances[1..] {
        assert_eq!(http_whose_square(*addr, 7).await, computed_by(first));
    }
}

/// A quickstart instance over Streamable HTTP, sharing the Redis at `redis` (`REDIS_URL`).
async fn quickstart_instance(redis: &str) -> (Child, SocketAddr) {
    let addr = free_addr();
    let child = Command::new(example("quickstart"))
        .args(["--http", &addr.to_string()])
        .env("REDIS_URL", redis)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("run `cargo build --examples` first");
    listening(child, addr).await
}

#[tokio::test]
async fn a_legacy_session_moves_between_processes_and_resumes_its_stream_on_another() {
    let redis = RedisServer::start();
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(quickstart_instance(&redis.url()).await);
    }
    let (a, b, c) = (instances[0].1, instances[1].1, instances[2].1);

    // Opened on A...
    let session =
        http_support::open_session(&mut http_support::Conn::open(a).await, "2025-06-18").await;
    let session_header = format!("Mcp-Session-Id: {session}");
    let headers = ["MCP-Protocol-Version: 2025-06-18", session_header.as_str()];
    // ...continued on B: a countdown streams its progress, and the client's connection
    // breaks after two events...
    let mut on_b = http_support::Conn::open(b).await;
    on_b.send_post(
        &headers,
        r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"countdown","arguments":{"from":6,"step_ms":150},"_meta":{"progressToken":"p"}}}"#,
    )
    .await;
    assert_eq!(on_b.read_head().await.0, 200);
    let mut seen = Vec::new();
    while seen.len() < 2 {
        seen.extend(on_b.read_events().await);
    }
    drop(on_b);
    let last_id = seen.last().unwrap().0.clone().expect("events carry ids");

    // ...and resumed on C, which follows the call still running on B to its end.
    let last = format!("Last-Event-ID: {last_id}");
    let mut resume = headers.to_vec();
    resume.extend(["Accept: text/event-stream", last.as_str()]);
    let reply = http_support::Conn::open(c)
        .await
        .request("GET", &resume)
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let mut events: Vec<serde_json::Value> = seen
        .iter()
        .map(|(_, data)| serde_json::from_str(data).unwrap())
        .collect();
    events.extend(reply.events());
    let progress: Vec<f64> = events
        .iter()
        .filter(|e| e["method"] == "notifications/progress")
        .map(|e| e["params"]["progress"].as_f64().unwrap())
        .collect();
    assert_eq!(progress, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "{events:?}");
    let result = events.last().unwrap();
    assert_eq!(result["id"], 5);
    assert_eq!(
        result["result"]["content"][0]["text"],
        "counted down from 6"
    );

    // DELETE on C ends it on A and B as well.
    let deleted = http_support::Conn::open(c)
        .await
        .request("DELETE", &headers)
        .await;
    assert_eq!(deleted.status, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    for addr in [a, b] {
        loop {
            let reply = http_support::Conn::open(addr)
                .await
                .post(
                    &headers,
                    &http_support::legacy_call(6, "add", r#"{"a":1,"b":2}"#),
                )
                .await;
            if reply.status == 404 {
                break;
            }
            assert!(Instant::now() < deadline, "the session lives on at {addr}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
