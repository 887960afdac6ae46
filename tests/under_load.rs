//! The layers as users combine them under load: several connections, several runtimes, calls
//! queued behind busy slots, clients that reuse ids. Each test names a defect it guards against.

use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::join_all;
use mcp_toolkit::{tool, Server};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::time::Instant;

/// Holds its slot for a while.
#[tool(concurrency = 1)]
async fn one_at_a_time(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[tokio::test(start_paused = true)]
async fn a_call_queued_behind_a_busy_slot_is_answered() {
    let server = Server::builder("s", "1")
        .tool(one_at_a_time::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let both = join_all([10, 20].map(|ms| client.call_tool("one_at_a_time", json!({"ms": ms}))));
    let results = tokio::time::timeout(Duration::from_secs(60), both)
        .await
        .expect("the second call hung behind the first one's slot");
    let texts: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().unwrap().content[0].as_text().unwrap().to_owned())
        .collect();
    assert_eq!(texts, ["10", "20"]);
}

/// Three at once, for every connection together.
#[tool(concurrency = 3)]
async fn three_at_a_time() -> &'static str {
    tokio::time::sleep(Duration::from_millis(5)).await;
    "ok"
}

#[tokio::test(start_paused = true)]
async fn calls_spread_over_connections_share_the_slots_and_all_finish() {
    let server = Server::builder("s", "1")
        .tool(three_at_a_time::tool())
        .build()
        .unwrap();
    let clients: Vec<_> = (0..3)
        .map(|_| server.connect_in_memory().modern())
        .collect();
    let calls = (0..30).map(|n| clients[n % 3].call_tool("three_at_a_time", json!({})));
    let results = tokio::time::timeout(Duration::from_secs(60), join_all(calls))
        .await
        .expect("calls hung waiting for slots");
    assert!(results
        .iter()
        .all(|r| r.as_ref().unwrap().content[0].as_text() == Some("ok")));
}

/// One slot, and a timeout that covers the wait for it.
#[tool(concurrency = 1, timeout = "200ms")]
async fn slot_with_timeout(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[tokio::test(start_paused = true)]
async fn the_timeout_bounds_the_wait_for_a_slot() {
    let server = Server::builder("s", "1")
        .tool(slot_with_timeout::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let start = Instant::now();
    let timed = |ms: u64| {
        let client = client.clone();
        async move {
            let result = client
                .call_tool("slot_with_timeout", json!({"ms": ms}))
                .await
                .unwrap();
            (result, start.elapsed())
        }
    };
    // The first holds the slot for 150 ms; the second waits 150 ms for it, then needs 150 ms
    // more: it must get its timeout result 200 ms after it was called, not 300 ms.
    let both = async { tokio::join!(timed(150), timed(150)) };
    let ((first, _), (second, second_at)) = tokio::time::timeout(Duration::from_secs(60), both)
        .await
        .expect("the second call hung behind the first one's slot");
    assert_eq!(first.content[0].as_text(), Some("150"));
    assert!(second.is_error(), "{second:?}");
    assert!(
        second.content[0]
            .as_text()
            .unwrap()
            .contains("timed out after 200ms"),
        "{second:?}"
    );
    assert_eq!(second_at, Duration::from_millis(200));
}

static BACKLOG_STARTS: Mutex<Vec<Instant>> = Mutex::new(Vec::new());

/// One slot, one start per 100 ms.
#[tool(concurrency = 1, rate_limit = "1/100ms")]
async fn slot_then_rate(n: u64) -> u64 {
    BACKLOG_STARTS.lock().unwrap().push(Instant::now());
    if n == 0 {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    n
}

#[tokio::test(start_paused = true)]
async fn a_backlog_behind_a_busy_slot_does_not_burst_past_the_rate() {
    let server = Server::builder("s", "1")
        .tool(slot_then_rate::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let calls = (0..5_u64).map(|n| {
        let client = client.clone();
        async move {
            // In order: call 0 takes the slot first.
            tokio::time::sleep(Duration::from_millis(n)).await;
            client.call_tool("slot_then_rate", json!({"n": n})).await
        }
    });
    for result in join_all(calls).await {
        assert!(!result.unwrap().is_error());
    }
    let starts = BACKLOG_STARTS.lock().unwrap().clone();
    assert_eq!(starts.len(), 5);
    for pair in starts.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(100),
            "two starts {:?} apart: {starts:?}",
            pair[1] - pair[0]
        );
    }
}

/// Two starts per 300 ms.
#[tool(rate_limit = "2/300ms")]
async fn limited_across_runtimes(n: u64) -> u64 {
    n
}

#[test]
fn a_rate_limit_outlives_the_runtime_that_first_used_it() {
    let tool = limited_across_runtimes::tool();
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    };
    // The first runtime spends the budget and ends (a test, a library's own runtime).
    runtime().block_on(async {
        for n in 0..2 {
            assert!(!tool.call_json(json!({"n": n})).await.is_error());
        }
    });
    // The next one still gets its turns, one window later.
    runtime().block_on(async {
        let started = std::time::Instant::now();
        let calls = join_all((0..3).map(|n| tool.call_json(json!({"n": n}))));
        let results = tokio::time::timeout(Duration::from_secs(10), calls)
            .await
            .expect("the budget died with the first runtime");
        assert!(results.iter().all(|r| !r.is_error()));
        assert!(started.elapsed() < Duration::from_secs(5));
    });
}

/// Waits until told.
#[tool]
async fn wait_ms(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

/// A raw connection: write lines, read replies one by one.
struct Raw {
    writer: tokio::io::DuplexStream,
    lines: tokio::io::Lines<BufReader<tokio::io::DuplexStream>>,
}

impl Raw {
    fn connect(server: &Server) -> Self {
        let (writer, server_in) = tokio::io::duplex(1 << 16);
        let (server_out, reader) = tokio::io::duplex(1 << 16);
        let server = server.clone();
        tokio::spawn(async move { server.serve(server_in, server_out).await });
        Raw {
            writer,
            lines: BufReader::new(reader).lines(),
        }
    }

    async fn send(&mut self, message: Value) {
        let mut line = message.to_string().into_bytes();
        line.push(b'\n');
        self.writer.write_all(&line).await.unwrap();
    }

    async fn reply(&mut self) -> Value {
        let line = self.lines.next_line().await.unwrap().expect("a reply");
        serde_json::from_str(&line).unwrap()
    }
}

fn modern_call(id: u64, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
        "name": tool, "arguments": arguments,
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {}
        }
    }})
}

#[tokio::test(start_paused = true)]
async fn a_second_request_under_a_running_requests_id_is_refused_and_both_stay_whole() {
    let server = Server::builder("s", "1")
        .tool(wait_ms::tool())
        .build()
        .unwrap();
    let mut raw = Raw::connect(&server);
    raw.send(modern_call(7, "wait_ms", json!({"ms": 100})))
        .await;
    raw.send(modern_call(7, "wait_ms", json!({"ms": 1}))).await;
    let refused = raw.reply().await;
    assert_eq!(refused["id"], 7);
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    let answered = raw.reply().await;
    assert_eq!(
        answered["result"]["content"][0]["text"], "100",
        "{answered}"
    );

    // Cancelling id 7 now cancels nothing that runs; a new call under 7 runs and is
    // cancellable.
    raw.send(modern_call(7, "wait_ms", json!({"ms": 100})))
        .await;
    raw.send(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 7}}),
    )
    .await;
    raw.send(modern_call(8, "wait_ms", json!({"ms": 1}))).await;
    let next = raw.reply().await;
    assert_eq!(
        next["id"], 8,
        "the cancelled call is never answered: {next}"
    );
}

static RUNNING_NOW: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static MOST_RUNNING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts how many of its calls run at once.
#[tool]
async fn counted(ms: u64) -> u64 {
    use std::sync::atomic::Ordering::SeqCst;
    let now = RUNNING_NOW.fetch_add(1, SeqCst) + 1;
    MOST_RUNNING.fetch_max(now, SeqCst);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    RUNNING_NOW.fetch_sub(1, SeqCst);
    ms
}

#[tokio::test(start_paused = true)]
async fn beyond_the_cap_on_calls_in_flight_input_waits_and_every_call_is_answered() {
    let server = Server::builder("s", "1")
        .tool(counted::tool())
        .max_calls_in_flight(4)
        .build()
        .unwrap();
    let mut raw = Raw::connect(&server);
    for id in 0..40 {
        raw.send(modern_call(id, "counted", json!({"ms": 10})))
            .await;
    }
    let mut answered: Vec<u64> = Vec::new();
    for _ in 0..40 {
        let reply = raw.reply().await;
        assert_eq!(reply["result"]["content"][0]["text"], "10", "{reply}");
        answered.push(reply["id"].as_u64().unwrap());
    }
    answered.sort_unstable();
    assert_eq!(answered, (0..40).collect::<Vec<_>>());
    assert_eq!(
        MOST_RUNNING.load(std::sync::atomic::Ordering::SeqCst),
        4,
        "never more than the cap at once"
    );
}
