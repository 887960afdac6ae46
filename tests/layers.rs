//! The performance options of `#[tool]`, each shown not to be a stub.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use mcp_toolkit::{tool, CallToolResult, Server, State};
use serde_json::{json, Value};

static SQUARES_RUN: AtomicUsize = AtomicUsize::new(0);

/// Square a number (slowly, so concurrent misses overlap).
#[tool(cache_ttl = 300)]
async fn cached_square(k: i64) -> Result<i64, String> {
    SQUARES_RUN.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(20)).await;
    if k < 0 {
        return Err("negative numbers are not allowed".into());
    }
    Ok(k * k)
}

/// What a `#[tool]` returning a number answers (and a cache hit repeats): text and `{"result": n}`.
fn wrapped(text: &str, value: Value) -> CallToolResult {
    CallToolResult {
        structured_content: Some(json!({ "result": value })),
        ..CallToolResult::text(text)
    }
}

#[tokio::test]
async fn cache_hits_skip_the_function_and_keys_are_canonical() {
    let tool = cached_square::tool();
    let before = SQUARES_RUN.load(Ordering::SeqCst);
    for _ in 0..10 {
        assert_eq!(
            tool.call_json(json!({"k": 12})).await,
            wrapped("144", json!(144))
        );
    }
    assert_eq!(
        SQUARES_RUN.load(Ordering::SeqCst) - before,
        1,
        "ran once for 10 calls"
    );
    let stats = tool.cache().unwrap().stats();
    assert!(stats.hits >= 9 && stats.misses >= 1, "{stats:?}");

    // Bad input and tool errors are answered, never cached.
    for _ in 0..2 {
        assert!(tool.call_json(json!({"k": "twelve"})).await.is_error());
        assert!(tool.call_json(json!({"k": -1})).await.is_error());
    }
    assert_eq!(
        SQUARES_RUN.load(Ordering::SeqCst) - before,
        3,
        "-1 ran twice, the bad input never"
    );

    // Invalidation from code.
    tool.cache().unwrap().invalidate(&json!({"k": 12})).await;
    tool.call_json(json!({"k": 12})).await;
    assert_eq!(SQUARES_RUN.load(Ordering::SeqCst) - before, 4);
}

static KEYED_RUN: AtomicUsize = AtomicUsize::new(0);

/// Echo a record.
#[tool(cache_ttl = "1m", cache_capacity = 100)]
async fn keyed(a: i64, b: Value) -> String {
    KEYED_RUN.fetch_add(1, Ordering::SeqCst);
    format!("{a} {b}")
}

#[tokio::test]
async fn key_order_and_whitespace_do_not_matter_over_the_wire() {
    let server = Server::builder("s", "1")
        .tool(keyed::tool())
        .build()
        .unwrap();
    let meta = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;
    // Sent as written (a `Value` would be re-serialized in one canonical order).
    let variants = [
        r#"{"a":1,"b":{"x":[1,{"p":1,"q":2}],"y":2}}"#,
        r#"{ "b" : { "y" : 2 , "x" : [ 1 , { "q" : 2 , "p" : 1 } ] } , "a" : 1 }"#,
        "{\t\"b\":{\"x\":[1,{\"q\":2,\"p\":1}],\t\"y\":2},\"\\u0061\":1}",
        r#"{"b":{"y":2,"x":[ 1,{"p":1, "q":2} ]},"a":1}"#,
    ];
    let mut input = Vec::new();
    for (id, arguments) in variants.iter().enumerate() {
        input.extend_from_slice(
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"keyed","arguments":{arguments},{meta}}}}}"#)
                .as_bytes(),
        );
        input.push(b'\n');
    }
    let mut output = Vec::new();
    server.serve(&input[..], &mut output).await.unwrap();
    let texts: Vec<Value> = output
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            serde_json::from_slice::<Value>(line).unwrap()["result"]["content"][0]["text"].clone()
        })
        .collect();
    assert_eq!(texts.len(), variants.len());
    assert!(texts.iter().all(|text| *text == texts[0]), "{texts:?}");
    assert_eq!(
        KEYED_RUN.load(Ordering::SeqCst),
        1,
        "one run for every way of writing it"
    );
    // A different value misses.
    let client = server.connect_in_memory().modern();
    client
        .call_tool(
            "keyed",
            json!({"a": 1, "b": {"x": [1, {"p": 1, "q": 3}], "y": 2}}),
        )
        .await
        .unwrap();
    assert_eq!(KEYED_RUN.load(Ordering::SeqCst), 2);
    // A client can bypass or refresh the cache for one call.
    let bypass = json!({"name": "keyed", "arguments": {"a": 1, "b": {"x": 1, "y": 2}}, "_meta": {"mcp-toolkit/cache": "bypass"}});
    client.request("tools/call", bypass).await.unwrap();
    assert_eq!(KEYED_RUN.load(Ordering::SeqCst), 3);
    let refresh = json!({"name": "keyed", "arguments": {"a": 1, "b": {"y": 2, "x": 1}}, "_meta": {"mcp-toolkit/cache": "refresh"}});
    client.request("tools/call", refresh).await.unwrap();
    client
        .call_tool("keyed", json!({"a": 1, "b": {"x": 1, "y": 2}}))
        .await
        .unwrap();
    assert_eq!(
        KEYED_RUN.load(Ordering::SeqCst),
        4,
        "refresh ran and stored; the next call hit"
    );
    let invalid = json!({"name": "keyed", "arguments": {"a": 1, "b": 2}, "_meta": {"mcp-toolkit/cache": "sometimes"}});
    assert_eq!(
        client
            .request("tools/call", invalid)
            .await
            .unwrap_err()
            .code,
        -32602
    );
}

static EXPIRING_RUN: AtomicUsize = AtomicUsize::new(0);

/// Cached for five seconds.
#[tool(cache_ttl = "5s")]
async fn expiring(k: u8) -> u8 {
    EXPIRING_RUN.fetch_add(1, Ordering::SeqCst);
    k
}

#[tokio::test(start_paused = true)]
async fn entries_expire_after_the_ttl() {
    let tool = expiring::tool();
    tool.call_json(json!({"k": 1})).await;
    tokio::time::advance(Duration::from_secs(4)).await;
    tool.call_json(json!({"k": 1})).await;
    assert_eq!(EXPIRING_RUN.load(Ordering::SeqCst), 1, "fresh at 4 s");
    tokio::time::advance(Duration::from_secs(2)).await;
    tool.call_json(json!({"k": 1})).await;
    assert_eq!(EXPIRING_RUN.load(Ordering::SeqCst), 2, "expired at 6 s");
}

static FLIGHT_RUN: AtomicUsize = AtomicUsize::new(0);

/// Slow and cached.
#[tool(cache_ttl = 60)]
async fn single_flight(k: u8) -> u8 {
    FLIGHT_RUN.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    k
}

#[tokio::test]
async fn concurrent_misses_run_the_function_once() {
    let tool = single_flight::tool();
    let results = join_all((0..20).map(|_| tool.call_json(json!({"k": 7})))).await;
    assert!(results.iter().all(|r| *r == wrapped("7", json!(7))));
    assert_eq!(FLIGHT_RUN.load(Ordering::SeqCst), 1);
}

/// Sleeps for `ms` milliseconds.
#[tool(timeout = "100ms")]
async fn sleepy(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "awake".into()
}

#[tokio::test]
async fn a_call_past_its_timeout_gets_an_error_and_the_next_call_works() {
    let server = Server::builder("s", "1")
        .tool(sleepy::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let timed_out = client
        .call_tool("sleepy", json!({"ms": 10_000}))
        .await
        .unwrap();
    assert!(timed_out.is_error());
    assert_eq!(
        timed_out.content[0].as_text(),
        Some("Tool `sleepy` timed out after 100ms; try again, or ask for less at once")
    );
    let fine = client.call_tool("sleepy", json!({"ms": 1})).await.unwrap();
    assert_eq!(fine.content[0].as_text(), Some("awake"));
}

static BACKGROUND_STOPPED: AtomicUsize = AtomicUsize::new(0);

/// Hands its cancellation token to background work, then hangs.
#[tool(timeout = "50ms")]
async fn hands_off(ctx: mcp_toolkit::RequestContext) -> String {
    let token = ctx.cancellation_token();
    tokio::spawn(async move {
        token.cancelled().await;
        BACKGROUND_STOPPED.fetch_add(1, Ordering::SeqCst);
    });
    std::future::pending::<()>().await;
    unreachable!()
}

#[tokio::test]
async fn a_timeout_cancels_the_calls_context_and_still_answers() {
    let server = Server::builder("s", "1")
        .tool(hands_off::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let result = client.call_tool("hands_off", json!({})).await.unwrap();
    assert!(result.is_error());
    assert_eq!(
        result.content[0].as_text(),
        Some("Tool `hands_off` timed out after 50ms; try again, or ask for less at once")
    );
    tokio::time::timeout(Duration::from_secs(5), async {
        while BACKGROUND_STOPPED.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the background work saw the cancellation");
}

/// No timeout of its own.
#[tool]
async fn unbounded(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "done".into()
}

#[tokio::test]
async fn the_server_wide_default_timeout_applies_to_tools_without_one() {
    let server = Server::builder("s", "1")
        .tools([unbounded::tool(), sleepy::tool()])
        .default_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let result = client
        .call_tool("unbounded", json!({"ms": 10_000}))
        .await
        .unwrap();
    assert!(result.content[0]
        .as_text()
        .unwrap()
        .contains("timed out after 50ms"));
    // `sleepy` keeps its own 100 ms.
    let result = client.call_tool("sleepy", json!({"ms": 70})).await.unwrap();
    assert_eq!(result.content[0].as_text(), Some("awake"));
}

static STARTS: std::sync::Mutex<Vec<tokio::time::Instant>> = std::sync::Mutex::new(Vec::new());

/// Calls a rate-limited API.
#[tool(rate_limit = "5/100ms", timeout = "1s")]
async fn limited_api(n: u32) -> u32 {
    STARTS.lock().unwrap().push(tokio::time::Instant::now());
    n
}

#[tokio::test(start_paused = true)]
async fn rate_limited_calls_wait_their_turn() {
    let server = Server::builder("s", "1")
        .tool(limited_api::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let start = tokio::time::Instant::now();
    let results = join_all((0..8).map(|n| client.call_tool("limited_api", json!({"n": n})))).await;
    for (n, result) in results.into_iter().enumerate() {
        assert_eq!(
            result.unwrap().content[0].as_text(),
            Some(n.to_string().as_str())
        );
    }
    let mut offsets: Vec<u128> = STARTS
        .lock()
        .unwrap()
        .iter()
        .map(|at| (*at - start).as_millis())
        .collect();
    offsets.sort_unstable();
    // Never more than five starts in any 100 ms.
    assert_eq!(offsets, [0, 0, 0, 0, 0, 100, 100, 100]);
}

static OVERLOADED_RUNS: std::sync::Mutex<Vec<tokio::time::Instant>> =
    std::sync::Mutex::new(Vec::new());

/// A rate-limited API that callers overload.
#[tool(rate_limit = "10/s", timeout = "1s")]
async fn overloaded_api() -> &'static str {
    OVERLOADED_RUNS
        .lock()
        .unwrap()
        .push(tokio::time::Instant::now());
    "ok"
}

#[tokio::test(start_paused = true)]
async fn under_overload_the_limit_keeps_serving_its_rate() {
    let server = Server::builder("s", "1")
        .tool(overloaded_api::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let start = tokio::time::Instant::now();
    // 20 calls a second for 5 seconds against a limit of 10: half must time out, and the
    // turns they booked must not pile up and starve the callers after them.
    let calls = (0..100).map(|n| {
        let client = client.clone();
        async move {
            tokio::time::sleep_until(start + Duration::from_millis(50 * n)).await;
            client.call_tool("overloaded_api", json!({})).await.unwrap()
        }
    });
    let results = join_all(calls).await;
    let timed_out = results.iter().filter(|r| r.is_error()).count();
    let runs = OVERLOADED_RUNS.lock().unwrap().clone();
    assert_eq!(runs.len() + timed_out, 100);
    for second in 0..5_u64 {
        let window = start + Duration::from_secs(second)..start + Duration::from_secs(second + 1);
        let ran = runs.iter().filter(|at| window.contains(at)).count();
        assert!(
            (9..=10).contains(&ran),
            "{ran} calls ran in second {second}"
        );
    }
}

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MOST_RUNNING: AtomicUsize = AtomicUsize::new(0);

/// At most three at once.
#[tool(concurrency = 3)]
async fn limited() -> String {
    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    MOST_RUNNING.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(20)).await;
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    "ok".into()
}

#[tokio::test]
async fn the_concurrency_limit_is_never_exceeded() {
    let server = Server::builder("s", "1")
        .tool(limited::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let results = join_all((0..30).map(|_| client.call_tool("limited", json!({})))).await;
    assert!(results
        .iter()
        .all(|r| r.as_ref().unwrap().content[0].as_text() == Some("ok")));
    assert_eq!(
        MOST_RUNNING.load(Ordering::SeqCst),
        3,
        "all 30 ran, never more than 3 at once"
    );
}

static BATCHES: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone)]
struct Greeting(&'static str);

/// Look up users by id.
#[tool(batch(max_size = 50, window = "5ms"))]
async fn get_user(
    /// The user's id.
    ids: Vec<u32>,
    State(greeting): State<Greeting>,
) -> Result<Vec<String>, String> {
    BATCHES.fetch_add(1, Ordering::SeqCst);
    if ids.contains(&0) {
        return Err("user 0 does not exist".into());
    }
    Ok(ids
        .iter()
        .map(|id| format!("{} user {id}", greeting.0))
        .collect())
}

#[tokio::test]
async fn batch_coalesces_concurrent_calls_and_answers_each_caller() {
    let tool = get_user::tool();
    let schema = Value::Object(tool.def().input_schema.clone());
    assert_eq!(
        schema["required"],
        json!(["id"]),
        "the tool takes one key: {schema}"
    );
    assert_eq!(schema["properties"]["id"]["description"], "The user's id.");

    let server = Server::builder("s", "1")
        .tool(tool)
        .state(Greeting("hello"))
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let before = BATCHES.load(Ordering::SeqCst);
    let results =
        join_all((1..=200).map(|id| client.call_tool("get_user", json!({"id": id})))).await;
    for (id, result) in (1..=200).zip(results) {
        assert_eq!(
            result.unwrap().content[0].as_text(),
            Some(format!("hello user {id}").as_str())
        );
    }
    let batches = BATCHES.load(Ordering::SeqCst) - before;
    assert!(
        (4..=8).contains(&batches),
        "200 calls in {batches} invocations (max 50 per batch)"
    );

    // An error of the batch reaches every caller in it; bad input never joins a batch.
    let (a, b, bad) = tokio::join!(
        client.call_tool("get_user", json!({"id": 0})),
        client.call_tool("get_user", json!({"id": 5})),
        client.call_tool("get_user", json!({"id": "five"})),
    );
    for result in [a.unwrap(), b.unwrap()] {
        assert_eq!(
            result.content[0].as_text(),
            Some("Tool `get_user` failed: user 0 does not exist")
        );
    }
    assert!(bad.unwrap().content[0]
        .as_text()
        .unwrap()
        .starts_with("Invalid arguments"));
}

/// Doubles numbers; a batch holding 13 hangs.
#[tool(batch(window = "5ms"), timeout = "100ms")]
async fn slow_double(ns: Vec<u32>) -> Vec<u32> {
    if ns.contains(&13) {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    ns.iter().map(|n| n * 2).collect()
}

#[tokio::test]
async fn a_batch_that_times_out_times_out_every_caller_in_it() {
    let server = Server::builder("s", "1")
        .tool(slow_double::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let results =
        join_all([1, 13, 2].map(|n| client.call_tool("slow_double", json!({"n": n})))).await;
    for result in results {
        let result = result.unwrap();
        assert!(result.is_error());
        assert_eq!(
            result.content[0].as_text(),
            Some("Tool `slow_double` timed out after 100ms; try again, or ask for less at once")
        );
    }
    // The next batch is not held up by the one still hanging.
    let (a, b) = tokio::join!(
        client.call_tool("slow_double", json!({"n": 4})),
        client.call_tool("slow_double", json!({"n": 5})),
    );
    assert_eq!(a.unwrap().content[0].as_text(), Some("8"));
    assert_eq!(b.unwrap().content[0].as_text(), Some("10"));
}

static LAYERED: AtomicUsize = AtomicUsize::new(0);

fn counting_layer(
) -> tower::util::MapRequestLayer<fn(mcp_toolkit::ToolCall) -> mcp_toolkit::ToolCall> {
    tower::util::MapRequestLayer::new(|call| {
        LAYERED.fetch_add(1, Ordering::SeqCst);
        call
    })
}

/// With a user layer outside its cache.
#[tool(cache_ttl = 60, layer = counting_layer())]
async fn with_layer(k: u8) -> u8 {
    k
}

#[tokio::test]
async fn user_layers_wrap_everything() {
    let tool = with_layer::tool();
    for _ in 0..3 {
        tool.call_json(json!({"k": 1})).await;
    }
    assert_eq!(
        LAYERED.load(Ordering::SeqCst),
        3,
        "the user layer sees cache hits too"
    );
    assert_eq!(tool.cache().unwrap().stats().hits, 2);
}

/// Stream a long result.
#[tool]
async fn report(pages: u32) -> mcp_toolkit::ContentStream {
    let pages = (1..=pages).map(|page| mcp_toolkit::Content::text(format!("page {page}")));
    mcp_toolkit::ContentStream::new(futures_util::stream::iter(pages))
}

#[tokio::test]
async fn streamed_results_arrive_as_progress_and_as_one_result() {
    let server = Server::builder("s", "1")
        .tool(report::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let mut notifications = client.notifications().unwrap();
    let params =
        json!({"name": "report", "arguments": {"pages": 3}, "_meta": {"progressToken": "r"}});
    let result = client.request("tools/call", params).await.unwrap();
    let texts: Vec<&str> = result["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["page 1", "page 2", "page 3"]);
    let progress: Vec<Value> = std::iter::from_fn(|| notifications.try_recv().ok())
        .map(|n| n["params"].clone())
        .collect();
    assert_eq!(
        progress,
        [
            json!({"progressToken": "r", "progress": 1.0, "message": "page 1"}),
            json!({"progressToken": "r", "progress": 2.0, "message": "page 2"}),
            json!({"progressToken": "r", "progress": 3.0, "message": "page 3"}),
        ]
    );
    assert!(report::tool().def().output_schema.is_none());
}

static SERVER_LAYERED: AtomicUsize = AtomicUsize::new(0);

#[tokio::test]
async fn a_server_wide_layer_wraps_every_tool() {
    let counting = tower::util::MapRequestLayer::new(|call: mcp_toolkit::ToolCall| {
        SERVER_LAYERED.fetch_add(1, Ordering::SeqCst);
        call
    });
    let server = Server::builder("s", "1")
        .tools([keyed_plain::tool(), unbounded::tool()])
        .layer(counting)
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    client
        .call_tool("keyed_plain", json!({"a": 1}))
        .await
        .unwrap();
    client
        .call_tool("unbounded", json!({"ms": 1}))
        .await
        .unwrap();
    assert_eq!(SERVER_LAYERED.load(Ordering::SeqCst), 2);
}

/// Plain.
#[tool]
async fn keyed_plain(a: i64) -> i64 {
    a
}
