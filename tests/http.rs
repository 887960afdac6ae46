//! Streamable HTTP against a real listening server, over raw TCP: both eras, streaming,
//! cancellation, resumption, sessions, and every kind of bad request, after each of which the
//! server must keep serving.

#[path = "support/http.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mcp_toolkit::transport::http::HttpConfig;
use mcp_toolkit::{tool, RequestContext, Server, State};
use support::{initialize, legacy_call, modern_headers, open_session, Conn, Reply, Running, META};

/// Add two integers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Counts down, one progress report (and one log message) per step.
#[tool]
async fn countdown(from: u32, step_ms: u64, ctx: RequestContext) -> String {
    for left in (0..from).rev() {
        tokio::time::sleep(Duration::from_millis(step_ms)).await;
        ctx.progress(f64::from(from - left), Some(f64::from(from)));
        ctx.info(&format!("{left} to go"));
    }
    format!("counted down from {from}")
}

/// Counts the calls that ended without finishing (their future dropped).
#[derive(Clone, Default)]
struct Dropped(Arc<AtomicUsize>);

struct CountOnDrop(Dropped, bool);

impl Drop for CountOnDrop {
    fn drop(&mut self) {
        if !self.1 {
            self.0 .0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Reports progress, then waits long; counts itself when dropped unfinished.
#[tool]
async fn hang(dropped: State<Dropped>, ctx: RequestContext) -> &'static str {
    let mut guard = CountOnDrop(dropped.0.clone(), false);
    ctx.progress(1.0, None);
    tokio::time::sleep(Duration::from_secs(30)).await;
    guard.1 = true;
    "done"
}

/// Sleeps `ms`, then answers.
#[tool(timeout = "300ms")]
async fn sleepy(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

fn server(dropped: &Dropped) -> Server {
    Server::builder("http-test", "1.0.0")
        .tools([add::tool(), countdown::tool(), hang::tool(), sleepy::tool()])
        .state(dropped.clone())
        .build()
        .unwrap()
}

async fn start(config: HttpConfig) -> (Running, Dropped) {
    let dropped = Dropped::default();
    (Running::start(server(&dropped), config).await, dropped)
}

fn text(reply: &Reply) -> String {
    reply.json()["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Still answering a plain call, on a fresh connection.
async fn assert_serving(running: &Running) {
    let mut conn = running.connect().await;
    let reply = conn.call_modern(99, "add", r#"{"a":40,"b":2}"#).await;
    assert_eq!((reply.status, text(&reply)), (200, "42".to_owned()));
}

#[tokio::test]
async fn a_stateless_call_is_answered_as_json() {
    let (running, _) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    for id in 1..=3 {
        let reply = conn
            .call_modern(id, "add", &format!(r#"{{"a":{id},"b":1}}"#))
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let json = reply.json();
        assert_eq!(json["id"], id);
        assert_eq!(json["result"]["resultType"], "complete");
        assert_eq!(text(&reply), (id + 1).to_string());
    }
    // A notification is accepted without a body.
    let note = r#"{"jsonrpc":"2.0","method":"notifications/whatever"}"#;
    let reply = conn
        .post(&modern_headers("notifications/whatever", None), note)
        .await;
    assert_eq!((reply.status, reply.body.len()), (202, 0));
    running.stop().await.unwrap();
}

#[tokio::test]
async fn headers_that_disagree_with_the_body_are_refused() {
    let (running, _) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let call = format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"add","arguments":{{"a":1,"b":2}},{META}}}}}"#
    );
    let cases: [(&[&str], u16, i64); 6] = [
        // No MCP-Protocol-Version, though the body is stateless.
        (&["Mcp-Method: tools/call", "Mcp-Name: add"], 400, -32020),
        (
            &[
                "MCP-Protocol-Version: 2026-07-28",
                "Mcp-Method: tools/list",
                "Mcp-Name: add",
            ],
            400,
            -32020,
        ),
        (
            &[
                "MCP-Protocol-Version: 2026-07-28",
                "Mcp-Method: tools/call",
                "Mcp-Name: sub",
            ],
            400,
            -32020,
        ),
        (
            &["MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call"],
            400,
            -32020,
        ),
        (
            &[
                "MCP-Protocol-Version: 2030-01-01",
                "Mcp-Method: tools/call",
                "Mcp-Name: add",
            ],
            400,
            -32022,
        ),
        // The name may come base64-encoded.
        (
            &[
                "MCP-Protocol-Version: 2026-07-28",
                "Mcp-Method: tools/call",
                "Mcp-Name: =?base64?YWRk?=",
            ],
            200,
            0,
        ),
    ];
    for (headers, status, code) in cases {
        let reply = conn.post(headers, &call).await;
        assert_eq!(
            reply.status,
            status,
            "{headers:?}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        if code != 0 {
            assert_eq!(reply.error_code(), code, "{headers:?}");
        }
    }
    let reply = conn
        .post(&["MCP-Protocol-Version: 2030-01-01"], &call)
        .await;
    assert_eq!(reply.json()["error"]["data"]["supported"][0], "2026-07-28");
    // An unknown method is a 404 with -32601 (so clients tell it from "no MCP here").
    let body = format!(r#"{{"jsonrpc":"2.0","id":8,"method":"nope/nope","params":{{{META}}}}}"#);
    let reply = conn.post(&modern_headers("nope/nope", None), &body).await;
    assert_eq!((reply.status, reply.error_code()), (404, -32601));
    assert_serving(&running).await;
}

#[tokio::test]
async fn bad_requests_get_their_status_and_the_server_keeps_serving() {
    let config = HttpConfig::default().max_body_bytes(4096);
    let (running, _) = start(config).await;
    let mut conn = running.connect().await;
    let call = legacy_call(1, "add", r#"{"a":1,"b":2}"#);

    // Missing Accept, wrong content type.
    let head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    conn.send_raw(format!("{head}Content-Length: {}\r\n\r\n{call}", call.len()).as_bytes())
        .await;
    assert_eq!(conn.read_reply().await.status, 406);
    let head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n\
                Accept: application/json, text/event-stream\r\n";
    conn.send_raw(format!("{head}Content-Length: {}\r\n\r\n{call}", call.len()).as_bytes())
        .await;
    assert_eq!(conn.read_reply().await.status, 415);

    // Malformed and truncated JSON.
    for body in ["{not json", r#"{"jsonrpc":"2.0","id":1,"method":"tools/ca"#] {
        let reply = conn.post(&modern_headers("tools/call", None), body).await;
        assert_eq!(reply.status, 400, "{body}");
    }
    let reply = conn.post(&[], "{oops").await;
    assert_eq!((reply.status, reply.error_code()), (400, -32700));

    // Too large, declared (refused before the body is read) or not (refused once the limit is
    // passed).
    let mut declared = running.connect().await;
    let head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                Accept: application/json, text/event-stream\r\nContent-Length: 100000\r\n\r\n";
    declared.send_raw(head.as_bytes()).await;
    assert_eq!(declared.read_reply().await.status, 413);
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(5000));
    let mut chunked = running.connect().await;
    let head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                Accept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    chunked
        .send_raw(format!("{head}{:x}\r\n{big}\r\n0\r\n\r\n", big.len()).as_bytes())
        .await;
    assert_eq!(chunked.read_reply().await.status, 413);

    // Other methods, other paths, other hosts and origins.
    let mut conn = running.connect().await;
    assert_eq!(conn.request("PUT", &[]).await.status, 405);
    assert_eq!(
        conn.request("GET", &["Accept: text/event-stream"])
            .await
            .status,
        405
    );
    assert_eq!(conn.request("DELETE", &[]).await.status, 405);
    conn.send_raw(b"POST /other HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
        .await;
    assert_eq!(conn.read_reply().await.status, 404);
    conn.send_raw(b"POST /mcp HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 0\r\n\r\n")
        .await;
    assert_eq!(conn.read_reply().await.status, 403);
    // A request refused before its body was read may end its connection: use a fresh one.
    let reply = running
        .connect()
        .await
        .post(&["Origin: http://evil.example"], &call)
        .await;
    assert_eq!(reply.status, 403);
    let mut conn = running.connect().await;
    let reply = conn
        .post(
            &["Origin: http://localhost:6274"],
            &initialize("2025-06-18"),
        )
        .await;
    assert_eq!(reply.status, 200, "a page served from localhost may call");

    // Requests of a session that does not exist, or without one.
    let reply = conn
        .post(&["Mcp-Session-Id: 00000000000000000000000000000000"], &call)
        .await;
    assert_eq!((reply.status, reply.error_code()), (404, -32001));
    let reply = conn.post(&[], &call).await;
    assert_eq!(reply.status, 400);
    assert_serving(&running).await;
}

#[tokio::test]
async fn a_call_that_reports_progress_streams_it_before_its_reply() {
    let (running, _) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let body = r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"countdown","arguments":{"from":3,"step_ms":20},"_meta":{"progressToken":"p","io.modelcontextprotocol/logLevel":"info","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;
    let reply = conn
        .post(
            &modern_headers("tools/call", Some("Mcp-Name: countdown")),
            body,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert_eq!(reply.header("x-accel-buffering"), Some("no"));
    let events = reply.events();
    let progress: Vec<_> = events
        .iter()
        .filter(|e| e["method"] == "notifications/progress")
        .map(|e| e["params"]["progress"].as_f64().unwrap())
        .collect();
    assert_eq!(progress, [1.0, 2.0, 3.0]);
    let logs = events
        .iter()
        .filter(|e| e["method"] == "notifications/message");
    assert_eq!(logs.count(), 3);
    let last = events.last().unwrap();
    assert_eq!(last["id"], 5);
    assert_eq!(last["result"]["content"][0]["text"], "counted down from 3");

    // Without a progress token or log level, the same call is plain JSON.
    let reply = conn
        .call_modern(6, "countdown", r#"{"from":2,"step_ms":1}"#)
        .await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(text(&reply), "counted down from 2");
}

#[tokio::test]
async fn closing_a_stateless_stream_cancels_its_call() {
    let (running, dropped) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hang","arguments":{},"_meta":{"progressToken":1,"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;
    conn.send_post(&modern_headers("tools/call", Some("Mcp-Name: hang")), body)
        .await;
    let (status, _) = conn.read_head().await;
    assert_eq!(status, 200);
    let events = conn.read_events().await;
    assert!(events[0].1.contains("notifications/progress"));
    assert_eq!(dropped.0.load(Ordering::SeqCst), 0);
    drop(conn);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while dropped.0.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the call was not cancelled"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_serving(&running).await;
}

#[tokio::test]
async fn a_legacy_session_lives_until_deleted() {
    let (running, _) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let session = open_session(&mut conn, "2025-11-25").await;
    let with_session = format!("Mcp-Session-Id: {session}");
    let headers = [with_session.as_str(), "MCP-Protocol-Version: 2025-11-25"];

    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let reply = conn.post(&headers, list).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["result"]["tools"][0]["name"], "add");
    assert!(reply.json()["result"].get("resultType").is_none());
    let reply = conn
        .post(&headers, &legacy_call(2, "add", r#"{"a":2,"b":2}"#))
        .await;
    assert_eq!(text(&reply), "4");
    // Unknown tools are -32602; any version header this server speaks is accepted.
    let reply = conn.post(&headers, &legacy_call(3, "nope", "{}")).await;
    assert_eq!((reply.status, reply.error_code()), (200, -32602));
    let reply = conn
        .post(&[&with_session, "MCP-Protocol-Version: 2025-03-26"], list)
        .await;
    assert_eq!(reply.status, 200);
    // A second connection may use the same session.
    let mut other = running.connect().await;
    let reply = other
        .post(&headers, &legacy_call(4, "add", r#"{"a":1,"b":1}"#))
        .await;
    assert_eq!(text(&reply), "2");

    let reply = conn.request("DELETE", &[&with_session]).await;
    assert_eq!(reply.status, 200);
    let reply = conn.post(&headers, list).await;
    assert_eq!((reply.status, reply.error_code()), (404, -32001));
    assert_eq!(conn.request("DELETE", &[&with_session]).await.status, 404);
}

#[tokio::test]
async fn legacy_logging_and_progress_stream_on_the_call() {
    let (running, _) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let session = open_session(&mut conn, "2025-06-18").await;
    let with_session = format!("Mcp-Session-Id: {session}");
    let headers = [with_session.as_str(), "MCP-Protocol-Version: 2025-06-18"];
    let level = r#"{"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"info"}}"#;
    assert_eq!(conn.post(&headers, level).await.status, 200);
    let body = r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"countdown","arguments":{"from":2,"step_ms":10},"_meta":{"progressToken":"t"}}}"#;
    let reply = conn.post(&headers, body).await;
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let events = support::sse_events(&reply.body);
    assert!(
        events.iter().all(|(id, _)| id.is_some()),
        "legacy events carry ids"
    );
    let methods: Vec<String> = reply
        .events()
        .iter()
        .map(|e| e["method"].as_str().unwrap_or("reply").to_owned())
        .collect();
    assert_eq!(
        methods,
        [
            "notifications/progress",
            "notifications/message",
            "notifications/progress",
            "notifications/message",
            "reply"
        ]
    );
}

#[tokio::test]
async fn a_broken_legacy_stream_resumes_where_it_stopped() {
    let (running, _) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let session = open_session(&mut conn, "2025-11-25").await;
    let with_session = format!("Mcp-Session-Id: {session}");
    let headers = [with_session.as_str(), "MCP-Protocol-Version: 2025-11-25"];
    let body = r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"countdown","arguments":{"from":4,"step_ms":100},"_meta":{"progressToken":"t"}}}"#;
    conn.send_post(&headers, body).await;
    assert_eq!(conn.read_head().await.0, 200);
    let first = conn.read_events().await;
    let (Some(last_id), data) = first.last().unwrap().clone() else {
        panic!("an event without an id");
    };
    assert!(data.contains(r#""progress":1.0"#), "{data}");
    // The connection breaks; the call runs on.
    drop(conn);

    let mut again = running.connect().await;
    let last = format!("Last-Event-ID: {last_id}");
    let reply = again
        .request("GET", &[&with_session, "Accept: text/event-stream", &last])
        .await;
    assert_eq!(reply.status, 200);
    let events = reply.events();
    let progress: Vec<_> = events
        .iter()
        .filter_map(|e| e["params"]["progress"].as_f64())
        .collect();
    assert_eq!(progress, [2.0, 3.0, 4.0], "exactly what was missed");
    assert_eq!(events.last().unwrap()["id"], 9);

    // Unknown or foreign event ids are 404, not an empty stream.
    let mut other = running.connect().await;
    let foreign_session = open_session(&mut other, "2025-11-25").await;
    let foreign = format!("Mcp-Session-Id: {foreign_session}");
    for (session, id) in [
        (&with_session, "0000000000000000-1"),
        (&foreign, last_id.as_str()),
    ] {
        let last = format!("Last-Event-ID: {id}");
        let reply = other
            .request("GET", &[session, "Accept: text/event-stream", &last])
            .await;
        assert_eq!(reply.status, 404, "{id}");
    }
}

#[tokio::test]
async fn a_legacy_call_can_be_cancelled_and_ids_are_not_reused_while_running() {
    let (running, dropped) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let session = open_session(&mut conn, "2025-11-25").await;
    let with_session = format!("Mcp-Session-Id: {session}");
    let headers = [with_session.as_str(), "MCP-Protocol-Version: 2025-11-25"];
    let mut caller = running.connect().await;
    caller
        .send_post(&headers, &legacy_call(1, "hang", "{}"))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let reply = conn
        .post(&headers, &legacy_call(1, "add", r#"{"a":1,"b":1}"#))
        .await;
    assert_eq!((reply.status, reply.error_code()), (400, -32600));
    let cancel = r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#;
    assert_eq!(conn.post(&headers, cancel).await.status, 202);
    let reply = tokio::time::timeout(Duration::from_secs(10), caller.read_reply())
        .await
        .expect("the cancelled call's POST was not ended");
    assert_eq!(reply.status, 202, "no reply for a cancelled request");
    assert_eq!(dropped.0.load(Ordering::SeqCst), 1);
    // The id is free again.
    let reply = conn
        .post(&headers, &legacy_call(1, "add", r#"{"a":1,"b":1}"#))
        .await;
    assert_eq!(text(&reply), "2");

    // A client that vanishes while its call runs: the call stops and its id is free again.
    let mut vanishing = running.connect().await;
    vanishing
        .send_post(&headers, &legacy_call(5, "hang", "{}"))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(vanishing);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while dropped.0.load(Ordering::SeqCst) < 2 {
        assert!(tokio::time::Instant::now() < deadline, "the call ran on");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let reply = conn
        .post(&headers, &legacy_call(5, "add", r#"{"a":2,"b":3}"#))
        .await;
    assert_eq!(text(&reply), "5", "the vanished call still holds its id");
}

#[tokio::test]
async fn layers_hold_over_http() {
    let (running, _) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let reply = conn.call_modern(1, "sleepy", r#"{"ms":5000}"#).await;
    assert_eq!(
        reply.json()["result"]["isError"],
        true,
        "the tool's timeout answers"
    );
    let reply = conn.call_modern(2, "sleepy", r#"{"ms":1}"#).await;
    assert_eq!(text(&reply), "1");
    let reply = conn.call_modern(3, "add", r#"{"a":"x"}"#).await;
    assert_eq!(
        reply.json()["result"]["isError"],
        true,
        "bad arguments are a tool error"
    );
}

#[tokio::test]
async fn sessions_expire_and_are_capped() {
    let config = HttpConfig::default()
        .session_idle_timeout(Duration::from_millis(300))
        .max_sessions(2);
    let (running, _) = start(config).await;
    let mut conn = running.connect().await;
    let first = open_session(&mut conn, "2025-11-25").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = open_session(&mut conn, "2025-11-25").await;
    let third = open_session(&mut conn, "2025-11-25").await;
    assert_eq!(
        post(&mut conn, &first).await,
        404,
        "the cap ended the oldest"
    );
    assert_eq!(post(&mut conn, &second).await, 200);
    assert_eq!(post(&mut conn, &third).await, 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(post(&mut conn, &second).await, 404, "idle sessions expire");
}

/// A legacy `tools/list` in `session`: its status.
async fn post(conn: &mut Conn, session: &str) -> u16 {
    let header = format!("Mcp-Session-Id: {session}");
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    conn.post(&[&header], list).await.status
}

#[tokio::test]
async fn slow_clients_are_cut_off_without_holding_up_others() {
    let config = HttpConfig::default()
        .header_read_timeout(Duration::from_millis(300))
        .body_read_timeout(Duration::from_millis(300));
    let (running, _) = start(config).await;
    // Headers that never end.
    let mut slow_head = running.connect().await;
    slow_head
        .send_raw(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await;
    // A body that never comes.
    let mut slow_body = running.connect().await;
    slow_body
        .send_raw(
            b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Accept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{",
        )
        .await;
    assert_serving(&running).await;
    let reply = tokio::time::timeout(Duration::from_secs(10), slow_body.read_reply())
        .await
        .unwrap();
    assert_eq!(reply.status, 408);
    assert!(slow_head.closed_within(Duration::from_secs(10)).await);
    assert_serving(&running).await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_their_turn() {
    let (running, _) = start(HttpConfig::default().max_connections(1)).await;
    let mut first = running.connect().await;
    assert_eq!(
        first.call_modern(1, "add", r#"{"a":1,"b":1}"#).await.status,
        200
    );
    let mut second = running.connect().await;
    second
        .send_post(
            &modern_headers("tools/call", Some("Mcp-Name: add")),
            &format!(
                r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"add","arguments":{{"a":2,"b":2}},{META}}}}}"#
            ),
        )
        .await;
    let waited = tokio::time::timeout(Duration::from_millis(300), second.read_head()).await;
    assert!(
        waited.is_err(),
        "a second connection was served beyond the cap"
    );
    drop(first);
    let reply = tokio::time::timeout(Duration::from_secs(10), second.read_reply())
        .await
        .expect("the waiting connection was never served");
    assert_eq!(text(&reply), "4");
}

#[tokio::test]
async fn shutdown_answers_the_calls_in_flight_then_stops() {
    let (mut running, _) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    conn.send_post(
        &modern_headers("tools/call", Some("Mcp-Name: sleepy")),
        &format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"sleepy","arguments":{{"ms":200}},{META}}}}}"#
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    running.signal_stop();
    let reply = conn.read_reply().await;
    assert_eq!(text(&reply), "200", "the call in flight was answered");
    let addr = running.addr;
    tokio::time::timeout(Duration::from_secs(10), running.stopped())
        .await
        .expect("serving did not end")
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting"
    );
}

#[tokio::test]
async fn two_servers_and_both_eras_at_once() {
    let (a, _) = start(HttpConfig::default()).await;
    let (b, _) = start(HttpConfig::default()).await;
    let mut calls = Vec::new();
    for n in 0..8u64 {
        let addr = if n % 2 == 0 { a.addr } else { b.addr };
        calls.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await;
            if n % 4 < 2 {
                let reply = conn
                    .call_modern(n, "add", &format!(r#"{{"a":{n},"b":1}}"#))
                    .await;
                text(&reply)
            } else {
                let session = open_session(&mut conn, "2025-11-25").await;
                let header = format!("Mcp-Session-Id: {session}");
                let body = legacy_call(n, "add", &format!(r#"{{"a":{n},"b":1}}"#));
                text(&conn.post(&[&header], &body).await)
            }
        }));
    }
    for (n, call) in calls.into_iter().enumerate() {
        assert_eq!(call.await.unwrap(), (n + 1).to_string());
    }
}

#[tokio::test]
async fn a_session_beyond_its_call_cap_waits_instead_of_failing() {
    let (running, _) = start(HttpConfig::default().max_calls_per_session(1)).await;
    let mut conn = running.connect().await;
    let session = open_session(&mut conn, "2025-11-25").await;
    let header = format!("Mcp-Session-Id: {session}");
    let mut first = running.connect().await;
    first
        .send_post(&[&header], &legacy_call(1, "sleepy", r#"{"ms":250}"#))
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut second = running.connect().await;
    second
        .send_post(&[&header], &legacy_call(2, "add", r#"{"a":1,"b":1}"#))
        .await;
    let early = tokio::time::timeout(Duration::from_millis(100), second.read_head()).await;
    assert!(early.is_err(), "the second call ran beside the first");
    assert_eq!(text(&first.read_reply().await), "250");
    assert_eq!(text(&second.read_reply().await), "2");
}

#[tokio::test]
async fn deeply_nested_arguments_get_a_short_error_and_the_server_keeps_serving() {
    let (running, _) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let reply = conn.call_modern(1, "add", &deep).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["result"]["isError"], true);
    assert!(
        reply.body.len() < 1024,
        "the error echoed the arguments back"
    );
    let deep_object = format!("{}{}", r#"{"a":"#.repeat(200), "}".repeat(200));
    let reply = conn.call_modern(2, "add", &deep_object).await;
    assert!(
        reply.status == 200 || reply.status == 400,
        "{}",
        reply.status
    );
    assert_serving(&running).await;
}

#[tokio::test]
async fn oversized_headers_are_refused_and_the_server_keeps_serving() {
    let (running, _) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let huge = format!("X-Padding: {}", "x".repeat(100 * 1024));
    conn.send_raw(format!("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n{huge}\r\n\r\n").as_bytes())
        .await;
    let reply = conn.read_reply().await;
    assert_eq!(reply.status, 431);
    assert_serving(&running).await;
}

#[tokio::test]
async fn a_cancelled_legacy_stream_stays_open_and_its_resume_is_not_a_404() {
    let (running, dropped) = start(HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let session = open_session(&mut conn, "2025-11-25").await;
    let with_session = format!("Mcp-Session-Id: {session}");
    let headers = [with_session.as_str(), "MCP-Protocol-Version: 2025-11-25"];
    let mut caller = running.connect().await;
    let body = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"hang","arguments":{},"_meta":{"progressToken":"t"}}}"#;
    caller.send_post(&headers, body).await;
    assert_eq!(caller.read_head().await.0, 200);
    let events = caller.read_events().await;
    let last_id = events.last().unwrap().0.clone().expect("an event id");
    let cancel = r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#;
    assert_eq!(conn.post(&headers, cancel).await.status, 202);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while dropped.0.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the call was not cancelled"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // No reply, and the stream does not end: an ended stream would be resumed.
    let chunk = tokio::time::timeout(Duration::from_millis(300), caller.read_chunk()).await;
    assert!(
        chunk.is_err(),
        "the cancelled call's stream ended or sent {chunk:?}"
    );
    // A client that resumes it anyway gets an open (quiet) stream, not "session gone".
    let mut resumer = running.connect().await;
    let last = format!("Last-Event-ID: {last_id}");
    resumer
        .send_raw(
            format!(
                "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n{with_session}\r\nAccept: text/event-stream\r\n{last}\r\n\r\n"
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(resumer.read_head().await.0, 200);
    // The session serves on; ending it ends the quiet streams.
    let list = r#"{"jsonrpc":"2.0","id":4,"method":"tools/list"}"#;
    assert_eq!(conn.post(&headers, list).await.status, 200);
    assert_eq!(conn.request("DELETE", &[&with_session]).await.status, 200);
    let end = tokio::time::timeout(Duration::from_secs(10), caller.read_chunk()).await;
    assert_eq!(end.expect("the stream outlived its session"), None);
}

/// Needs the client's sampling capability.
fn needs_sampling() -> mcp_toolkit::Tool {
    let def = mcp_toolkit::ToolDef::new("needs_sampling", serde_json::Map::new())
        .requires_client_capability("sampling");
    mcp_toolkit::Tool::from_fn(def, |_: mcp_toolkit::ToolCall| async {
        Ok::<_, std::convert::Infallible>(mcp_toolkit::CallToolResult::text("sampled"))
    })
}

#[tokio::test]
async fn the_stateless_era_refuses_what_2026_07_28_removed_or_requires() {
    let server = Server::builder("s", "1")
        .tools([add::tool(), needs_sampling()])
        .build()
        .unwrap();
    let running = Running::start(server, HttpConfig::default()).await;
    let mut conn = running.connect().await;
    // Removed methods: 404 with -32601, the request's id kept.
    for method in ["initialize", "ping", "logging/setLevel"] {
        let body =
            format!(r#"{{"jsonrpc":"2.0","id":11,"method":"{method}","params":{{{META}}}}}"#);
        let reply = conn.post(&modern_headers(method, None), &body).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (404, -32601),
            "{method}"
        );
        assert_eq!(reply.json()["id"], 11);
    }
    // Missing or incomplete _meta: -32602 and 400.
    for params in [
        "{}".to_owned(),
        r#"{"_meta":{"io.modelcontextprotocol/clientCapabilities":{}}}"#.to_owned(),
        r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}"#.to_owned(),
    ] {
        let body =
            format!(r#"{{"jsonrpc":"2.0","id":12,"method":"tools/list","params":{params}}}"#);
        let reply = conn.post(&modern_headers("tools/list", None), &body).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (400, -32602),
            "{params}"
        );
        assert_eq!(reply.json()["id"], 12);
    }
    // An unsupported version keeps the id and names what a stateless request may use.
    let body = format!(r#"{{"jsonrpc":"2.0","id":13,"method":"tools/list","params":{{{META}}}}}"#);
    let reply = conn
        .post(
            &["MCP-Protocol-Version: 2031-01-01", "Mcp-Method: tools/list"],
            &body,
        )
        .await;
    assert_eq!((reply.status, reply.error_code()), (400, -32022));
    assert_eq!(reply.json()["id"], 13);
    assert_eq!(
        reply.json()["error"]["data"]["supported"],
        serde_json::json!(["2026-07-28"])
    );
    // A tool that needs a capability the client did not declare: -32021 and 400.
    let reply = conn.call_modern(14, "needs_sampling", "{}").await;
    assert_eq!((reply.status, reply.error_code()), (400, -32021));
    assert_eq!(
        reply.json()["error"]["data"]["requiredCapabilities"],
        serde_json::json!({"sampling": {}})
    );
    let body = r#"{"jsonrpc":"2.0","id":15,"method":"tools/call","params":{"name":"needs_sampling","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"sampling":{}}}}}"#;
    let reply = conn
        .post(
            &modern_headers("tools/call", Some("Mcp-Name: needs_sampling")),
            body,
        )
        .await;
    assert_eq!(text(&reply), "sampled");
    // The legacy era checks what initialize declared.
    let mut legacy = running.connect().await;
    let session = open_session(&mut legacy, "2025-11-25").await;
    let header = format!("Mcp-Session-Id: {session}");
    let reply = legacy
        .post(&[&header], &legacy_call(16, "needs_sampling", "{}"))
        .await;
    assert_eq!(reply.error_code(), -32021);
}

/// Runs in a region, which travels in the `Mcp-Param-Region` header too.
fn regional() -> mcp_toolkit::Tool {
    let serde_json::Value::Object(schema) = serde_json::json!({
        "type": "object",
        "properties": {"region": {"type": "string", "x-mcp-header": "Region"}},
    }) else {
        unreachable!()
    };
    let def = mcp_toolkit::ToolDef::new("regional", schema);
    mcp_toolkit::Tool::from_fn(def, |_: mcp_toolkit::ToolCall| async {
        Ok::<_, std::convert::Infallible>(mcp_toolkit::CallToolResult::text("ran"))
    })
}

#[tokio::test]
async fn mirrored_parameters_must_agree_with_the_body() {
    let server = Server::builder("s", "1").tool(regional()).build().unwrap();
    let running = Running::start(server, HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let body = |region: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"regional","arguments":{{"region":"{region}"}},{META}}}}}"#
        )
    };
    let mut headers = modern_headers("tools/call", Some("Mcp-Name: regional"));
    let cases: [(&str, Option<&str>, u16); 5] = [
        ("eu", Some("Mcp-Param-Region: eu"), 200),
        ("Hello", Some("Mcp-Param-Region: =?base64?SGVsbG8=?="), 200),
        ("eu", Some("Mcp-Param-Region: us"), 400),
        ("eu", None, 400),
        (
            "Hello",
            Some("Mcp-Param-Region: =?base64?SGVs!!!bG8=?="),
            400,
        ),
    ];
    for (region, header, status) in cases {
        let mut with = headers.clone();
        with.extend(header);
        let reply = conn.post(&with, &body(region)).await;
        assert_eq!(reply.status, status, "{region} {header:?}");
        if status == 400 {
            assert_eq!(reply.error_code(), -32020);
        }
    }
    headers.push("Mcp-Param-Region: eu");
    let no_value = format!(
        r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"regional","arguments":{{}},{META}}}}}"#
    );
    assert_eq!(
        conn.post(&headers, &no_value).await.status,
        400,
        "a header for no value"
    );
}
