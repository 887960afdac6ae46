//! Tool code's `tracing` events forwarded to the requesting client by `ClientLogLayer`, through
//! in-memory connections and Streamable HTTP (tests/stdio_logging.rs drives a separate
//! process).

#[path = "support/http.rs"]
mod support;

use std::sync::{Arc, Once};

use mcp_toolkit::logging::ClientLogLayer;
use mcp_toolkit::transport::http::HttpConfig;
use mcp_toolkit::{tool, Client, Server, State};
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::Barrier;
use tracing::Instrument;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;

/// One subscriber for the whole test binary (tests run in parallel on many threads): the
/// forwarding layer beside a console layer with its own filter, as the README sets it up.
fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        tracing_subscriber::registry()
            .with(ClientLogLayer::new())
            .with(
                tracing_subscriber::fmt::layer()
                    .with_test_writer()
                    .with_filter(LevelFilter::WARN),
            )
            .init();
    });
}

/// Logs at every level, with fields.
#[tool]
async fn report(tag: String) -> String {
    tracing::trace!(%tag, "trace line");
    tracing::debug!(%tag, "debug line");
    tracing::info!(
        tag = tag.as_str(),
        rows = 3,
        ok = true,
        ratio = 0.5,
        "query done"
    );
    tracing::warn!(tag = tag.as_str(), "warning line");
    // Looks like the runtime's own: never forwarded.
    tracing::error!(target: "mcp_runtime::transport", "runtime line");
    "reported".into()
}

/// Logs a step, waits for every other caller to get there, logs another.
#[tool]
async fn together(tag: String, State(barrier): State<Arc<Barrier>>) -> String {
    for step in 0..3 {
        tracing::info!(tag = tag.as_str(), step, "before");
        tokio::task::yield_now().await;
    }
    barrier.wait().await;
    for step in 0..3 {
        tracing::info!(tag = tag.as_str(), step, "after");
        tokio::task::yield_now().await;
    }
    tag
}

/// Emits `n` events without ever yielding.
#[tool]
async fn flood(n: u32) -> String {
    for i in 0..n {
        tracing::info!(i, "flood");
    }
    format!("emitted {n}")
}

/// Hands work to other tasks: in a span made while the call runs, and without one.
#[tool]
async fn spawns() -> String {
    in_a_span().await;
    let span = tracing::info_span!("background");
    tokio::spawn(async { tracing::info!("instrumented work") }.instrument(span))
        .await
        .unwrap();
    tokio::spawn(async { tracing::info!("work outside any span") })
        .await
        .unwrap();
    "spawned".into()
}

#[tracing::instrument]
async fn in_a_span() {
    tokio::spawn(async { tracing::info!("work in the current span") }.in_current_span())
        .await
        .unwrap();
}

/// A plain `fn`: it runs on the blocking pool.
#[tool]
fn blocking() -> String {
    tracing::info!("from the blocking pool");
    "blocked".into()
}

fn server(barrier: Arc<Barrier>) -> Server {
    Server::builder("logging", "1.0.0")
        .tools([
            report::tool(),
            together::tool(),
            flood::tool(),
            spawns::tool(),
            blocking::tool(),
        ])
        .state(barrier)
        .build()
        .unwrap()
}

/// A modern client on a new in-memory connection, with the stream of what is not a reply.
fn modern(server: &Server) -> (Client, UnboundedReceiver<Value>) {
    let client = server.connect_in_memory().modern();
    let notifications = client.notifications().unwrap();
    (client, notifications)
}

/// Calls `tool` with the client's log level in `_meta` (none when `None`); returns the result's
/// text and the log messages that came before the reply.
async fn call(
    client: &Client,
    notifications: &mut UnboundedReceiver<Value>,
    tool: &str,
    arguments: Value,
    level: Option<&str>,
) -> (String, Vec<Value>) {
    let mut params = json!({"name": tool, "arguments": arguments});
    if let Some(level) = level {
        params["_meta"] = json!({"io.modelcontextprotocol/logLevel": level});
    }
    let result = client.request("tools/call", params).await.unwrap();
    // Notifications are read before the reply that follows them.
    let mut messages = Vec::new();
    while let Ok(message) = notifications.try_recv() {
        assert_eq!(message["method"], "notifications/message", "{message}");
        messages.push(message["params"].clone());
    }
    (
        result["content"][0]["text"].as_str().unwrap().to_owned(),
        messages,
    )
}

fn texts(messages: &[Value]) -> Vec<&str> {
    messages
        .iter()
        .map(|m| m["data"]["message"].as_str().unwrap_or("?"))
        .collect()
}

#[tokio::test]
async fn events_reach_a_modern_client_at_its_level_with_their_fields() {
    init();
    let server = server(Arc::new(Barrier::new(1)));
    let (client, mut notifications) = modern(&server);

    let (text, messages) = call(
        &client,
        &mut notifications,
        "report",
        json!({"tag": "a"}),
        Some("info"),
    )
    .await;
    assert_eq!(text, "reported");
    assert_eq!(
        messages,
        [
            json!({"level": "info", "logger": "logging", "data": {"message": "query done", "tag": "a", "rows": 3, "ok": true, "ratio": 0.5}}),
            json!({"level": "warning", "logger": "logging", "data": {"message": "warning line", "tag": "a"}}),
        ]
    );

    let (_, messages) = call(
        &client,
        &mut notifications,
        "report",
        json!({"tag": "b"}),
        Some("debug"),
    )
    .await;
    assert_eq!(
        texts(&messages),
        ["debug line", "query done", "warning line"]
    );
    assert_eq!(
        messages[0]["data"]["tag"], "b",
        "a %display field is its text"
    );

    let (_, messages) = call(
        &client,
        &mut notifications,
        "report",
        json!({"tag": "c"}),
        Some("warning"),
    )
    .await;
    assert_eq!(texts(&messages), ["warning line"]);

    let (_, messages) = call(
        &client,
        &mut notifications,
        "report",
        json!({"tag": "d"}),
        Some("critical"),
    )
    .await;
    assert!(messages.is_empty(), "{messages:?}");
}

#[tokio::test]
async fn nothing_is_sent_to_a_client_that_did_not_ask() {
    init();
    let server = server(Arc::new(Barrier::new(1)));
    let (client, mut notifications) = modern(&server);
    let (text, messages) = call(
        &client,
        &mut notifications,
        "report",
        json!({"tag": "a"}),
        None,
    )
    .await;
    assert_eq!(text, "reported");
    assert!(messages.is_empty(), "{messages:?}");

    // Legacy: nothing until logging/setLevel, then that level and above.
    let client = server.connect_in_memory();
    let mut notifications = client.notifications().unwrap();
    client.initialize().await.unwrap();
    let (_, messages) = call(
        &client,
        &mut notifications,
        "report",
        json!({"tag": "l"}),
        None,
    )
    .await;
    assert!(messages.is_empty(), "{messages:?}");
    client
        .request("logging/setLevel", json!({"level": "info"}))
        .await
        .unwrap();
    let (_, messages) = call(
        &client,
        &mut notifications,
        "report",
        json!({"tag": "l"}),
        None,
    )
    .await;
    assert_eq!(texts(&messages), ["query done", "warning line"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_connections_and_servers_each_get_only_their_own_calls_logs() {
    init();
    // Four calls in flight at once (the barrier holds each until all four got there): two
    // connections to one server, one to another server, and a fourth that did not ask.
    let barrier = Arc::new(Barrier::new(4));
    let (first, second) = (server(barrier.clone()), server(barrier.clone()));
    let tags = ["one", "two", "three", "quiet"];
    let calls = tags.map(|tag| {
        let (client, mut notifications) = modern(if tag == "three" { &second } else { &first });
        tokio::spawn(async move {
            let level = (tag != "quiet").then_some("info");
            call(
                &client,
                &mut notifications,
                "together",
                json!({"tag": tag}),
                level,
            )
            .await
        })
    });
    for (tag, call) in tags.into_iter().zip(calls) {
        let (text, messages) = call.await.unwrap();
        assert_eq!(text, tag);
        if tag == "quiet" {
            assert!(messages.is_empty(), "{messages:?}");
            continue;
        }
        let seen: Vec<(&str, &str, i64)> = messages
            .iter()
            .map(|m| {
                let data = &m["data"];
                (
                    data["tag"].as_str().unwrap(),
                    data["message"].as_str().unwrap(),
                    data["step"].as_i64().unwrap(),
                )
            })
            .collect();
        let expected: Vec<(&str, &str, i64)> = ["before", "after"]
            .into_iter()
            .flat_map(|when| (0..3).map(move |step| (tag, when, step)))
            .collect();
        assert_eq!(seen, expected, "{tag}");
    }
}

#[tokio::test]
async fn a_flood_of_events_is_capped_and_the_drop_reported() {
    init();
    let server = server(Arc::new(Barrier::new(1)));
    let (client, mut notifications) = modern(&server);
    let (text, messages) = call(
        &client,
        &mut notifications,
        "flood",
        json!({"n": 100_000}),
        Some("info"),
    )
    .await;
    assert_eq!(text, "emitted 100000", "the tool is never held up");
    // The call's queue holds 64 messages; the rest were dropped and counted.
    assert_eq!(messages.len(), 65);
    assert_eq!(messages[0]["data"], json!({"message": "flood", "i": 0}));
    assert_eq!(messages[63]["data"]["i"], 63);
    assert_eq!(messages[64]["logger"], "mcp-toolkit");
    assert!(
        messages[64]["data"]
            .as_str()
            .unwrap()
            .starts_with("99936 log messages of this request were dropped"),
        "{}",
        messages[64]
    );

    // The connection serves on, and the next call's messages go through.
    let (_, messages) = call(
        &client,
        &mut notifications,
        "flood",
        json!({"n": 2}),
        Some("info"),
    )
    .await;
    assert_eq!(messages.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_work_forwards_from_spans_made_during_the_call_and_blocking_tools_forward() {
    init();
    let server = server(Arc::new(Barrier::new(1)));
    let (client, mut notifications) = modern(&server);
    let (_, messages) = call(
        &client,
        &mut notifications,
        "spawns",
        json!({}),
        Some("info"),
    )
    .await;
    assert_eq!(
        texts(&messages),
        ["work in the current span", "instrumented work"],
        "work outside any span has no request"
    );
    assert!(messages.iter().all(|m| m["logger"] == "logging"));

    let (text, messages) = call(
        &client,
        &mut notifications,
        "blocking",
        json!({}),
        Some("info"),
    )
    .await;
    assert_eq!(text, "blocked");
    assert_eq!(texts(&messages), ["from the blocking pool"]);

    // A client that did not ask gets nothing from spawned or blocking work either.
    let (_, messages) = call(&client, &mut notifications, "spawns", json!({}), None).await;
    assert!(messages.is_empty(), "{messages:?}");
}

#[tokio::test]
async fn over_http_the_messages_stream_before_the_reply_of_the_request_that_asked() {
    init();
    let running =
        support::Running::start(server(Arc::new(Barrier::new(1))), HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let headers = support::modern_headers("tools/call", Some("Mcp-Name: report"));
    let body = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"report","arguments":{"tag":"h"},"_meta":{"io.modelcontextprotocol/logLevel":"warning","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;
    let reply = conn.post(&headers, body).await;
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let events = reply.events();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        events[0]["params"],
        json!({"level": "warning", "logger": "logging", "data": {"message": "warning line", "tag": "h"}})
    );
    assert_eq!(events[1]["id"], 7);

    // Not asked: plain JSON, no messages.
    let reply = conn.call_modern(8, "report", r#"{"tag":"q"}"#).await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.json()["result"]["content"][0]["text"], "reported");
    running.stop().await.unwrap();
}
