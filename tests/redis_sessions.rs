//! Legacy HTTP sessions that move between instances through a real Redis (and a Redis
//! Cluster): three servers in one process, each with its own Redis handle (as separate
//! processes would have), on their own ports; a raw HTTP client sends each request of one
//! session to whichever instance the test picks, as a load balancer without affinity would.

#[path = "support/http.rs"]
mod support;

#[path = "support/redis.rs"]
mod redis_support;

use std::time::{Duration, Instant};

use mcp_toolkit::store::redis::Redis;
use mcp_toolkit::transport::http::HttpConfig;
use mcp_toolkit::{tool, RequestContext, Server};
use redis_support::{RedisCluster, RedisServer};
use support::{legacy_call, open_session, Reply, Running};

/// Add two integers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Takes `count` steps `step_ms` apart, reporting progress (and logging at info) after each.
#[tool]
async fn steps(count: u32, step_ms: u64, ctx: RequestContext) -> String {
    for step in 1..=count {
        tokio::time::sleep(Duration::from_millis(step_ms)).await;
        ctx.progress(f64::from(step), Some(f64::from(count)));
        ctx.info(&format!("step {step}"));
    }
    format!("took {count} steps")
}

/// Needs the client's sampling capability (which must move with the session).
fn needs_sampling() -> mcp_toolkit::Tool {
    let def = mcp_toolkit::ToolDef::new("needs_sampling", serde_json::Map::new())
        .requires_client_capability("sampling");
    mcp_toolkit::Tool::from_fn(def, |_: mcp_toolkit::ToolCall| async {
        Ok::<_, std::convert::Infallible>(mcp_toolkit::CallToolResult::text("sampled"))
    })
}

/// Opens a session whose client declares `capabilities` (JSON); returns its id.
async fn open_with(on: &Running, capabilities: &str) -> String {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"2025-11-25","capabilities":{capabilities},"clientInfo":{{"name":"test","version":"1"}}}}}}"#
    );
    let reply = on.connect().await.post(&[], &body).await;
    assert_eq!(reply.status, 200);
    reply.header("mcp-session-id").unwrap().to_owned()
}

/// Asks the user to confirm (an elicitation: a request to the client, answered by a POST).
#[tool(timeout = "5s")]
async fn confirm(ctx: RequestContext) -> Result<String, String> {
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Answer {
        /// Yes or no.
        ok: bool,
    }
    match ctx
        .elicit::<Answer>("Go on?")
        .await
        .map_err(|e| e.to_string())?
    {
        mcp_toolkit::context::Elicitation::Accept(answer) => Ok(format!("ok: {}", answer.ok)),
        _ => Ok("no answer".into()),
    }
}

fn server(url: &str) -> Server {
    let redis = Redis::new(url)
        .unwrap()
        .prefix("moving-test")
        .timeout(Duration::from_millis(300))
        .retry_every(Duration::from_millis(200));
    Server::builder("moving", "1.0.0")
        .tools([
            add::tool(),
            steps::tool(),
            confirm::tool(),
            needs_sampling(),
        ])
        .redis(redis)
        .build()
        .unwrap()
}

async fn instances(url: &str, n: usize) -> Vec<Running> {
    let mut running = Vec::new();
    for _ in 0..n {
        // A short idle timeout makes the refresh period short (an eighth of it).
        let config = HttpConfig::default().session_idle_timeout(Duration::from_secs(8));
        running.push(Running::start(server(url), config).await);
    }
    running
}

fn text(reply: &Reply) -> String {
    reply.json()["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text: {}", String::from_utf8_lossy(&reply.body)))
        .to_owned()
}

struct Client {
    headers: Vec<String>,
}

impl Client {
    fn new(session: &str) -> Client {
        Client {
            headers: vec![
                format!("Mcp-Session-Id: {session}"),
                "MCP-Protocol-Version: 2025-11-25".to_owned(),
            ],
        }
    }

    fn headers(&self) -> Vec<&str> {
        self.headers.iter().map(String::as_str).collect()
    }

    async fn post(&self, on: &Running, body: &str) -> Reply {
        on.connect().await.post(&self.headers(), body).await
    }
}

const STEPS: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"steps","arguments":{"count":6,"step_ms":150},"_meta":{"progressToken":"p"}}}"#;

/// The progress values and log messages of a run of events, and whether they end in the reply.
fn progress_of(events: &[serde_json::Value]) -> Vec<f64> {
    events
        .iter()
        .filter_map(|e| e["params"]["progress"].as_f64())
        .collect()
}

/// A session opened on the first instance serves calls on the others, its log level with it;
/// a streaming call broken off on one instance is resumed on another, which follows it live
/// from Redis to its reply, every event exactly once and in order.
async fn a_session_moves(url: &str) {
    let servers = instances(url, 3).await;
    let (a, b, c) = (&servers[0], &servers[1], &servers[2]);
    let mut conn = a.connect().await;
    let session = open_session(&mut conn, "2025-11-25").await;
    let client = Client::new(&session);

    let reply = client
        .post(b, &legacy_call(1, "add", r#"{"a":2,"b":2}"#))
        .await;
    assert_eq!((reply.status, text(&reply)), (200, "4".to_owned()));
    let reply = client
        .post(c, r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#)
        .await;
    assert_eq!(reply.status, 200);

    // setLevel on B reaches C, which already holds the session.
    let level = r#"{"jsonrpc":"2.0","id":3,"method":"logging/setLevel","params":{"level":"info"}}"#;
    assert_eq!(client.post(b, level).await.status, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let quick = r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"steps","arguments":{"count":1,"step_ms":1}}}"#;
        let reply = client.post(c, quick).await;
        if reply.header("content-type") == Some("text/event-stream") {
            let events = reply.events();
            assert_eq!(events[0]["method"], "notifications/message");
            break;
        }
        assert!(Instant::now() < deadline, "the log level never reached C");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A streaming call on A, broken after its first events, resumed on B while it runs on.
    let mut conn = a.connect().await;
    conn.send_post(&client.headers(), STEPS).await;
    assert_eq!(conn.read_head().await.0, 200);
    let mut seen = Vec::new();
    while seen.len() < 3 {
        seen.extend(conn.read_events().await);
    }
    drop(conn);
    let (Some(last_id), _) = seen.last().unwrap().clone() else {
        panic!("an event without an id");
    };
    let seen: Vec<serde_json::Value> = seen
        .iter()
        .map(|(_, data)| serde_json::from_str(data).unwrap())
        .collect();
    let mut resumed_on_b = b.connect().await;
    let last = format!("Last-Event-ID: {last_id}");
    let mut headers = client.headers();
    headers.extend(["Accept: text/event-stream", last.as_str()]);
    let started = Instant::now();
    let reply = resumed_on_b.request("GET", &headers).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(
        started.elapsed() > Duration::from_millis(200),
        "followed live, not replayed after the end"
    );
    let rest = reply.events();
    let mut all = seen.clone();
    all.extend(rest.iter().cloned());
    assert_eq!(progress_of(&all), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "{all:?}");
    let replies: Vec<_> = all.iter().filter(|e| e.get("method").is_none()).collect();
    assert_eq!(replies.len(), 1, "the reply exactly once");
    assert_eq!(replies[0]["id"], 7);
    assert_eq!(all.last().unwrap()["id"], 7, "the reply comes last");
    assert_eq!(
        all.iter()
            .filter(|e| e["method"] == "notifications/message")
            .count(),
        6,
        "the log level moved with the session"
    );
    let ids: Vec<String> = support::sse_events(&reply.body)
        .into_iter()
        .map(|(id, _)| id.expect("resumed events carry ids"))
        .collect();
    assert!(!ids.contains(&last_id));

    // Resumed on C after the call ended: replayed from Redis.
    let reply = c.connect().await.request("GET", &headers).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.events(), rest);

    // DELETE on B ends the session on A and C; it is gone everywhere.
    let reply = b
        .connect()
        .await
        .request("DELETE", &[&client.headers[0]])
        .await;
    assert_eq!(reply.status, 200);
    for server in [a, c, b] {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let reply = client
                .post(server, &legacy_call(9, "add", r#"{"a":1,"b":1}"#))
                .await;
            if reply.status == 404 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the session lives on on {}",
                server.addr
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    for server in servers {
        server.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_session_moves_between_instances() {
    let redis = RedisServer::start();
    a_session_moves(&redis.url()).await;
}

#[tokio::test]
async fn a_session_moves_between_instances_on_a_cluster() {
    let cluster = RedisCluster::start();
    a_session_moves(&cluster.url()).await;
}

#[tokio::test]
async fn unknown_sessions_are_404_everywhere() {
    let redis = RedisServer::start();
    let servers = instances(&redis.url(), 2).await;
    for server in &servers {
        for id in ["0123456789abcdef0123456789abcdef", "not-a-session"] {
            let client = Client::new(id);
            let reply = client
                .post(server, &legacy_call(1, "add", r#"{"a":1,"b":1}"#))
                .await;
            assert_eq!((reply.status, reply.error_code()), (404, -32001));
            let reply = server
                .connect()
                .await
                .request("DELETE", &[&client.headers[0]])
                .await;
            assert_eq!(reply.status, 404);
            let mut headers = client.headers();
            headers.extend([
                "Accept: text/event-stream",
                "Last-Event-ID: 0000000000000001-1",
            ]);
            assert_eq!(
                server.connect().await.request("GET", &headers).await.status,
                404
            );
        }
    }
    // A stream id unknown to Redis is 404 too, in a live session.
    let mut conn = servers[0].connect().await;
    let session = open_session(&mut conn, "2025-11-25").await;
    let client = Client::new(&session);
    let mut headers = client.headers();
    headers.extend([
        "Accept: text/event-stream",
        "Last-Event-ID: 00000000000000ff-1",
    ]);
    assert_eq!(
        servers[1]
            .connect()
            .await
            .request("GET", &headers)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn with_redis_down_each_instance_serves_its_own_sessions() {
    let mut redis = RedisServer::start();
    let servers = instances(&redis.url(), 2).await;
    let (a, b) = (&servers[0], &servers[1]);
    let mut conn = a.connect().await;
    let before = Client::new(&open_session(&mut conn, "2025-11-25").await);
    redis.kill();

    let started = Instant::now();
    // Opened while Redis is away: served by its own instance.
    let mut conn = b.connect().await;
    let during = Client::new(&open_session(&mut conn, "2025-11-25").await);
    for (client, on) in [(&before, a), (&during, b)] {
        for id in 1..=5 {
            let reply = client
                .post(on, &legacy_call(id, "add", r#"{"a":1,"b":2}"#))
                .await;
            assert_eq!((reply.status, text(&reply)), (200, "3".to_owned()));
        }
    }
    // A streaming call resumes on its own instance, from memory.
    let mut conn = b.connect().await;
    conn.send_post(&during.headers(), STEPS).await;
    assert_eq!(conn.read_head().await.0, 200);
    let (Some(last_id), _) = conn.read_events().await.last().unwrap().clone() else {
        panic!("an event without an id");
    };
    drop(conn);
    let last = format!("Last-Event-ID: {last_id}");
    let mut headers = during.headers();
    headers.extend(["Accept: text/event-stream", last.as_str()]);
    let reply = b.connect().await.request("GET", &headers).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.events().last().unwrap()["id"], 7);
    // Another instance cannot find the session: 404, within the Redis timeout.
    let asked = Instant::now();
    let reply = during
        .post(a, &legacy_call(9, "add", r#"{"a":1,"b":2}"#))
        .await;
    assert_eq!(reply.status, 404);
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Redis comes back (empty): the session opened meanwhile is stored at its next use, and
    // moves from then on.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let _ = during
            .post(b, &legacy_call(10, "add", r#"{"a":1,"b":2}"#))
            .await;
        let reply = during
            .post(a, &legacy_call(11, "add", r#"{"a":1,"b":2}"#))
            .await;
        if reply.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the session never moved after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A call on A asks the client something; the client's answer is POSTed to B (no affinity):
/// B hands it through Redis to A, whose call goes on with it. Calls on B ask with ids of their
/// own, so answers are never mixed up.
#[tokio::test]
async fn a_clients_answer_posted_to_another_instance_reaches_the_asking_call() {
    let redis = RedisServer::start();
    let servers = instances(&redis.url(), 2).await;
    let (a, b) = (&servers[0], &servers[1]);
    let client = Client::new(&open_with(a, r#"{"elicitation":{}}"#).await);
    let mut asks = Vec::new();
    let mut calls = Vec::new();
    for (n, on) in [(1, a), (2, b)] {
        let mut conn = on.connect().await;
        conn.send_post(&client.headers(), &legacy_call(n, "confirm", "{}"))
            .await;
        assert_eq!(conn.read_head().await.0, 200);
        let events = conn.read_events().await;
        let ask: serde_json::Value = serde_json::from_str(&events[0].1).unwrap();
        assert_eq!(ask["method"], "elicitation/create");
        asks.push(ask);
        calls.push(conn);
    }
    assert_ne!(asks[0]["id"], asks[1]["id"], "ids apart across instances");
    // Each answer goes to the other instance than the one that asked.
    for (ask, answer_on, ok) in [(&asks[0], b, true), (&asks[1], a, false)] {
        let answer = serde_json::json!({"jsonrpc": "2.0", "id": ask["id"],
            "result": {"action": "accept", "content": {"ok": ok}}});
        let reply = client.post(answer_on, &answer.to_string()).await;
        assert_eq!(reply.status, 202);
    }
    for (conn, expected) in calls.iter_mut().zip(["ok: true", "ok: false"]) {
        let events = tokio::time::timeout(Duration::from_secs(5), conn.read_events())
            .await
            .expect("the asking call never got its answer");
        let reply: serde_json::Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
        assert_eq!(reply["result"]["content"][0]["text"], expected, "{reply}");
    }
}

/// An instance stops (a rolling deploy) while a call of a shared session streams: the client
/// resumes on another instance and gets the events it missed, then an error reply for the
/// call (not a stream that waits forever), and the session goes on there.
#[tokio::test]
async fn a_call_on_a_stopping_instance_is_answered_with_an_error_where_the_client_resumes() {
    let redis = RedisServer::start();
    let config = HttpConfig::default().shutdown_timeout(Duration::from_millis(200));
    let a = Running::start(server(&redis.url()), config).await;
    let b = instances(&redis.url(), 1).await.remove(0);
    let client = Client::new(&open_with(&a, "{}").await);
    let long = r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"steps","arguments":{"count":50,"step_ms":100},"_meta":{"progressToken":"p"}}}"#;
    let mut conn = a.connect().await;
    conn.send_post(&client.headers(), long).await;
    assert_eq!(conn.read_head().await.0, 200);
    let (Some(last_id), _) = conn.read_events().await.last().unwrap().clone() else {
        panic!("an event without an id");
    };
    drop(conn);
    a.stop().await.unwrap();

    let last = format!("Last-Event-ID: {last_id}");
    let mut headers = client.headers();
    headers.extend(["Accept: text/event-stream", last.as_str()]);
    let reply = tokio::time::timeout(
        Duration::from_secs(5),
        b.connect().await.request("GET", &headers),
    )
    .await
    .expect("the resumed stream never ended");
    assert_eq!(reply.status, 200);
    let events = reply.events();
    let end = events.last().unwrap();
    assert_eq!(
        (&end["id"], &end["error"]["code"]),
        (&serde_json::json!(8), &serde_json::json!(-32603)),
        "{events:?}"
    );
    let reply = client
        .post(&b, &legacy_call(9, "add", r#"{"a":1,"b":1}"#))
        .await;
    assert_eq!(text(&reply), "2");
}
