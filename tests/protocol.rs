//! Protocol tests: every method and error path, through the in-memory transport (the same
//! bytes and code path as stdio, without a process).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mcp_toolkit::{tool, Client, RequestContext, Server, State};
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

const MODERN_META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

/// Add two numbers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Sleep, then answer.
#[tool]
async fn slow(ms: u64, State(drops): State<DropCounter>) -> String {
    let _guard = drops.guard();
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("slept {ms} ms")
}

/// Report progress and log.
#[tool]
async fn chatty(ctx: RequestContext) -> String {
    ctx.progress(1.0, Some(2.0));
    ctx.debug("debug line");
    ctx.warning("warning line");
    tokio::task::yield_now().await;
    ctx.progress(2.0, Some(2.0));
    "done".into()
}

/// Always panics.
#[tool]
async fn explode() -> String {
    panic!("kaboom")
}

/// Counts tool futures dropped before they finished.
#[derive(Clone, Default)]
struct DropCounter(Arc<AtomicUsize>);

struct Guard(Arc<AtomicUsize>, bool);

impl DropCounter {
    fn guard(&self) -> Guard {
        Guard(self.0.clone(), true)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.1 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn server(drops: DropCounter) -> Server {
    Server::builder("test-server", "9.9.9")
        .instructions("be nice")
        .tools([add::tool(), slow::tool(), chatty::tool(), explode::tool()])
        .state(drops)
        .page_size(3)
        .max_message_size(4096)
        .build()
        .unwrap()
}

/// A connection driven with raw lines; every reply and notification comes back as JSON.
struct Raw {
    client: Client,
    incoming: UnboundedReceiver<Value>,
}

impl Raw {
    fn connect(server: &Server) -> Self {
        let client = server.connect_in_memory();
        let incoming = client.notifications().unwrap();
        Raw { client, incoming }
    }

    async fn send(&self, line: &str) {
        self.client.send_raw(line).await;
    }

    async fn next(&mut self) -> Value {
        timeout(Duration::from_secs(5), self.incoming.recv())
            .await
            .expect("a message within 5 s")
            .expect("open")
    }

    async fn exchange(&mut self, line: &str) -> Value {
        self.send(line).await;
        self.next().await
    }

    async fn silent_for(&mut self, ms: u64) {
        if let Ok(Some(message)) = timeout(Duration::from_millis(ms), self.incoming.recv()).await {
            panic!("expected silence, got {message}");
        }
    }

    async fn initialize(&mut self) -> Value {
        self.exchange(r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#).await
    }
}

fn modern(id: u64, method: &str, params: &str) -> String {
    let sep = if params.is_empty() { "" } else { "," };
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{{{params}{sep}{MODERN_META}}}}}"#
    )
}

fn error_code(reply: &Value) -> i64 {
    reply["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an error, got {reply}"))
}

#[tokio::test]
async fn initialize_negotiates_the_legacy_version() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    let reply = raw.exchange(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#).await;
    assert_eq!(reply["id"], 1);
    assert_eq!(reply["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(
        reply["result"]["serverInfo"],
        json!({"name": "test-server", "version": "9.9.9"})
    );
    assert_eq!(
        reply["result"]["capabilities"],
        json!({"tools": {"listChanged": true}, "logging": {}}),
        "tools may be added and removed while serving"
    );
    assert_eq!(reply["result"]["instructions"], "be nice");
    assert!(reply["result"].get("resultType").is_none());

    let reply = raw.exchange(r#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"1999-01-01","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#).await;
    assert_eq!(reply["result"]["protocolVersion"], "2025-11-25");
}

#[tokio::test]
async fn legacy_requests_need_initialize_but_ping_does_not() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .await;
    assert_eq!(error_code(&reply), -32602);
    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":"p","method":"ping"}"#)
        .await;
    assert_eq!(reply, json!({"jsonrpc": "2.0", "id": "p", "result": {}}));
    raw.initialize().await;
    raw.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        .await;
    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#)
        .await;
    assert_eq!(reply["id"], 3);
    assert!(reply["result"]["tools"].is_array());
}

#[tokio::test]
async fn discover_describes_the_modern_server() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    let reply = raw.exchange(&modern(1, "server/discover", "")).await;
    let result = &reply["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(
        result["capabilities"]["tools"],
        json!({"listChanged": true})
    );
    assert_eq!(result["cacheScope"], "public");
    assert!(result["ttlMs"].as_u64().is_some());
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "test-server"
    );
    assert_eq!(result["instructions"], "be nice");

    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":2,"method":"server/discover"}"#)
        .await;
    assert_eq!(error_code(&reply), -32602, "discover without _meta");
}

#[tokio::test]
async fn modern_requests_are_validated() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2030-01-01","io.modelcontextprotocol/clientCapabilities":{}}}}"#)
        .await;
    assert_eq!(error_code(&reply), -32022);
    assert_eq!(
        reply["error"]["data"],
        json!({"supported": ["2026-07-28"], "requested": "2030-01-01"})
    );

    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#)
        .await;
    assert_eq!(error_code(&reply), -32602, "missing clientCapabilities");

    let reply = raw
        .exchange(&modern(3, "tools/list", r#""cursor":"nope""#))
        .await;
    assert_eq!(error_code(&reply), -32602, "invalid cursor");

    let line = modern(4, "tools/call", r#""name":"add","arguments":{"a":1,"b":2}"#)
        .replace(r#""io.modelcontextprotocol/clientCapabilities":{}"#, r#""io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/logLevel":"loud""#);
    assert_eq!(
        error_code(&raw.exchange(&line).await),
        -32602,
        "invalid log level"
    );

    let reply = raw
        .exchange(&modern(5, "logging/setLevel", r#""level":"info""#))
        .await;
    assert_eq!(error_code(&reply), -32601, "no setLevel in the modern era");
}

#[tokio::test]
async fn tools_list_pages_in_registration_order() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    let first = raw.exchange(&modern(1, "tools/list", "")).await["result"].clone();
    let names: Vec<_> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, ["add", "slow", "chatty"]);
    assert_eq!(first["resultType"], "complete");
    assert_eq!(first["cacheScope"], "public");
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let second = raw
        .exchange(&modern(2, "tools/list", &format!(r#""cursor":"{cursor}""#)))
        .await["result"]
        .clone();
    assert_eq!(second["tools"].as_array().unwrap().len(), 1);
    assert_eq!(second["tools"][0]["name"], "explode");
    assert!(second.get("nextCursor").is_none());

    let tool = &first["tools"][0];
    assert_eq!(tool["description"], "Add two numbers.");
    assert_eq!(tool["inputSchema"]["type"], "object");
    assert_eq!(tool["inputSchema"]["required"], json!(["a", "b"]));
}

#[tokio::test]
async fn json_rpc_errors_have_the_right_codes_and_ids() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    let reply = raw.exchange("{not json").await;
    assert_eq!(
        (error_code(&reply), reply["id"].clone()),
        (-32700, Value::Null)
    );
    let reply = raw.exchange(r#"{"id":7,"method":"ping"}"#).await;
    assert_eq!(
        (error_code(&reply), reply["id"].clone()),
        (-32600, json!(7)),
        "missing jsonrpc"
    );
    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#)
        .await;
    assert_eq!(
        (error_code(&reply), reply["id"].clone()),
        (-32600, Value::Null)
    );
    let reply = raw.exchange(r#"{"jsonrpc":"2.0","id":8,"method":5}"#).await;
    assert_eq!(
        (error_code(&reply), reply["id"].clone()),
        (-32600, json!(8)),
        "method not a string"
    );
    let reply = raw
        .exchange(r#"[{"jsonrpc":"2.0","id":9,"method":"ping"}]"#)
        .await;
    assert_eq!(error_code(&reply), -32600, "batch");
    let reply = raw.exchange("42").await;
    assert_eq!(error_code(&reply), -32600, "not an object");
    let reply = raw.exchange(&modern(10, "prompts/list", "")).await;
    assert_eq!(error_code(&reply), -32601);
    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":"str-id","method":"nope/nope"}"#)
        .await;
    assert_eq!(
        (error_code(&reply), reply["id"].clone()),
        (-32601, json!("str-id"))
    );
}

#[tokio::test]
async fn notifications_and_responses_get_no_reply() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    raw.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        .await;
    raw.send(r#"{"jsonrpc":"2.0","method":"notifications/whatever","params":{}}"#)
        .await;
    raw.send(
        r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":12345}}"#,
    )
    .await;
    raw.send(r#"{"jsonrpc":"2.0","id":99,"result":{}}"#).await;
    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .await;
    assert_eq!(reply["id"], 1);
}

#[tokio::test]
async fn tool_call_errors() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    let reply = raw
        .exchange(&modern(1, "tools/call", r#""name":"missing""#))
        .await;
    assert_eq!(error_code(&reply), -32602);
    assert!(reply["error"]["message"]
        .as_str()
        .unwrap()
        .contains("missing"));
    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":2,"method":"tools/call"}"#)
        .await;
    assert_eq!(error_code(&reply), -32602, "no params");
    let reply = raw
        .exchange(&modern(3, "tools/call", r#""arguments":{}"#))
        .await;
    assert_eq!(error_code(&reply), -32602, "no name");

    // Arguments that do not fit the tool: a result the model can read, not a protocol error.
    for arguments in [r#"{"a":"x","b":1}"#, r#"{"a":1}"#, "[1,2]", "{}"] {
        let reply = raw
            .exchange(&modern(
                4,
                "tools/call",
                &format!(r#""name":"add","arguments":{arguments}"#),
            ))
            .await;
        assert_eq!(reply["result"]["isError"], true, "{arguments}: {reply}");
        assert!(reply["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Invalid arguments for tool `add`"));
    }
    let reply = raw
        .exchange(&modern(
            5,
            "tools/call",
            r#""name":"add","arguments":{"a":1,"b":2}"#,
        ))
        .await;
    assert_eq!(
        reply["result"]["content"],
        json!([{"type": "text", "text": "3"}])
    );
    assert_eq!(reply["result"]["resultType"], "complete");
}

#[tokio::test]
async fn a_panicking_tool_gets_an_error_result_and_the_server_keeps_serving() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    let reply = raw
        .exchange(&modern(1, "tools/call", r#""name":"explode""#))
        .await;
    assert_eq!(reply["result"]["isError"], true);
    assert!(reply["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("kaboom"));
    let reply = raw
        .exchange(&modern(
            2,
            "tools/call",
            r#""name":"add","arguments":{"a":1,"b":1}"#,
        ))
        .await;
    assert_eq!(reply["result"]["content"][0]["text"], "2");
}

#[tokio::test]
async fn oversized_messages_are_refused_and_the_server_keeps_serving() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    let big = "x".repeat(10_000);
    let reply = raw
        .exchange(&modern(
            1,
            "tools/call",
            &format!(r#""name":"add","arguments":{{"pad":"{big}"}}"#),
        ))
        .await;
    assert_eq!(
        (error_code(&reply), reply["id"].clone()),
        (-32600, json!(1))
    );
    assert!(reply["error"]["message"].as_str().unwrap().contains("4096"));
    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#)
        .await;
    assert_eq!(reply["id"], 2);
}

#[tokio::test]
async fn a_slow_call_does_not_hold_up_a_fast_one() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    raw.send(&modern(
        1,
        "tools/call",
        r#""name":"slow","arguments":{"ms":300}"#,
    ))
    .await;
    raw.send(&modern(
        2,
        "tools/call",
        r#""name":"add","arguments":{"a":1,"b":1}"#,
    ))
    .await;
    assert_eq!(raw.next().await["id"], 2);
    let reply = raw.next().await;
    assert_eq!(
        (
            reply["id"].clone(),
            reply["result"]["content"][0]["text"].clone()
        ),
        (json!(1), json!("slept 300 ms"))
    );
}

#[tokio::test]
async fn cancellation_drops_the_call_and_sends_no_reply() {
    let drops = DropCounter::default();
    let mut raw = Raw::connect(&server(drops.clone()));
    raw.send(&modern(
        1,
        "tools/call",
        r#""name":"slow","arguments":{"ms":10000}"#,
    ))
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    raw.send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"user"}}"#).await;
    let reply = raw
        .exchange(&modern(
            2,
            "tools/call",
            r#""name":"add","arguments":{"a":2,"b":2}"#,
        ))
        .await;
    assert_eq!(reply["id"], 2);
    raw.silent_for(300).await;
    assert_eq!(
        drops.0.load(Ordering::SeqCst),
        1,
        "the tool's future was dropped"
    );
}

#[tokio::test]
async fn progress_and_logs_precede_the_reply_and_logs_need_a_level() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    // Modern, no logLevel: progress only.
    raw.send(&modern(1, "tools/call", r#""name":"chatty","_meta":{"progressToken":"t1","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#).replace(&format!(",{MODERN_META}"), "")).await;
    let methods: Vec<Value> = vec![raw.next().await, raw.next().await, raw.next().await];
    assert_eq!(
        methods[0]["params"],
        json!({"progressToken": "t1", "progress": 1.0, "total": 2.0})
    );
    assert_eq!(methods[1]["params"]["progress"], 2.0);
    assert_eq!(methods[2]["id"], 1);

    // Modern with logLevel warning: the warning but not the debug line.
    raw.send(r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"chatty","_meta":{"io.modelcontextprotocol/logLevel":"warning","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#).await;
    let log = raw.next().await;
    assert_eq!(log["method"], "notifications/message");
    assert_eq!(
        log["params"],
        json!({"level": "warning", "data": "warning line"})
    );
    assert_eq!(raw.next().await["id"], 2);

    // Legacy: nothing until logging/setLevel, then messages at that level and above.
    raw.initialize().await;
    assert_eq!(
        raw.exchange(
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"chatty"}}"#
        )
        .await["id"],
        3
    );
    let reply = raw
        .exchange(
            r#"{"jsonrpc":"2.0","id":4,"method":"logging/setLevel","params":{"level":"debug"}}"#,
        )
        .await;
    assert_eq!(reply["result"], json!({}));
    let reply = raw
        .exchange(
            r#"{"jsonrpc":"2.0","id":5,"method":"logging/setLevel","params":{"level":"chatty"}}"#,
        )
        .await;
    assert_eq!(error_code(&reply), -32602);
    raw.send(r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"chatty"}}"#)
        .await;
    assert_eq!(raw.next().await["params"]["level"], "debug");
    assert_eq!(raw.next().await["params"]["level"], "warning");
    assert_eq!(raw.next().await["id"], 6);
}

#[tokio::test]
async fn running_calls_finish_after_the_client_closes_its_input() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    raw.send(&modern(
        1,
        "tools/call",
        r#""name":"slow","arguments":{"ms":200}"#,
    ))
    .await;
    raw.client.close().await;
    let reply = raw.next().await;
    assert_eq!(reply["result"]["content"][0]["text"], "slept 200 ms");
}

#[test]
fn build_checks_names_and_state() {
    let err = Server::builder("s", "1")
        .tools([add::tool(), add::tool()])
        .build()
        .unwrap_err();
    assert_eq!(err.to_string(), "two tools are named `add`");
    let err = Server::builder("s", "1")
        .tool(slow::tool())
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("State<protocol::DropCounter>"),
        "{err}"
    );
}

#[tokio::test]
async fn invalid_utf8_is_a_parse_error() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (client, server_side) = tokio::io::duplex(4096);
    let (server_read, server_write) = tokio::io::split(server_side);
    let served = tokio::spawn(async move {
        server(DropCounter::default())
            .serve(server_read, server_write)
            .await
    });
    let (client_read, mut client_write) = tokio::io::split(client);
    client_write.write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n").await.unwrap();
    client_write.shutdown().await.unwrap();
    let mut lines = BufReader::new(client_read).lines();
    let first: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(
        (error_code(&first), first["id"].clone()),
        (-32700, Value::Null)
    );
    let second: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(second["id"], 2);
    served.await.unwrap().unwrap();
}

#[tokio::test]
async fn batches_are_answered_as_one_array_in_2025_03_26_sessions_only() {
    let mut raw = Raw::connect(&server(DropCounter::default()));
    // A 2025-11-25 session (like a modern request) rejects batches.
    raw.initialize().await;
    let reply = raw
        .exchange(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#)
        .await;
    assert_eq!(error_code(&reply), -32600);

    let mut raw = Raw::connect(&server(DropCounter::default()));
    let init = raw.exchange(r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#).await;
    assert_eq!(init["result"]["protocolVersion"], "2025-03-26");
    let reply = raw
        .exchange(concat!(
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":30}}},"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"},"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"ping"},"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}},"#,
            r#"{"jsonrpc":"2.0","id":4,"method":"nope"},"#,
            r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"add","arguments":{"a":"x"}}},"#,
            r#"[{"jsonrpc":"2.0","id":6,"method":"ping"}],"#,
            r#"7]"#
        ))
        .await;
    let responses = reply
        .as_array()
        .unwrap_or_else(|| panic!("one array: {reply}"));
    assert_eq!(responses.len(), 7, "{reply}");
    let by_id = |id: Value| {
        responses
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no response {id} in {reply}"))
    };
    assert_eq!(
        by_id(json!(1))["result"]["content"][0]["text"],
        "slept 30 ms"
    );
    assert_eq!(by_id(json!(2))["result"], json!({}));
    assert_eq!(by_id(json!(3))["result"]["content"][0]["text"], "3");
    assert_eq!(error_code(by_id(json!(4))), -32601);
    assert_eq!(by_id(json!(5))["result"]["isError"], true);
    let invalid: Vec<_> = responses.iter().filter(|r| r["id"].is_null()).collect();
    assert_eq!(invalid.len(), 2, "a nested array and a number: {reply}");
    assert!(invalid.iter().all(|r| error_code(r) == -32600));

    // Notifications alone get no response; empty or broken arrays get one error.
    raw.send(r#"[{"jsonrpc":"2.0","method":"notifications/initialized"}]"#)
        .await;
    raw.silent_for(50).await;
    assert_eq!(error_code(&raw.exchange("[]").await), -32600);
    assert_eq!(error_code(&raw.exchange("[{},").await), -32700);
    let reply = raw
        .exchange(r#"{"jsonrpc":"2.0","id":8,"method":"ping"}"#)
        .await;
    assert_eq!(reply["id"], 8, "still serving");
}

#[tokio::test]
async fn batch_members_can_be_cancelled_and_abandoned_without_losing_the_rest() {
    let server = Server::builder("test-server", "9.9.9")
        .tool(slow::tool())
        .state(DropCounter::default())
        .shutdown_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let mut raw = Raw::connect(&server);
    raw.exchange(r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#).await;

    // `initialize` may not be batched; a cancelled member adds nothing to the array.
    raw.send(concat!(
        r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":60000}}},"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}]"#
    ))
    .await;
    raw.silent_for(50).await;
    raw.send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#)
        .await;
    let reply = raw.next().await;
    assert_eq!(reply.as_array().map(Vec::len), Some(1), "{reply}");
    assert_eq!(reply[0]["id"], 2);
    assert_eq!(error_code(&reply[0]), -32600);

    // Input ends while a member still runs: the responses already collected still go out.
    raw.send(concat!(
        r#"[{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slow","arguments":{"ms":60000}}},"#,
        r#"{"jsonrpc":"2.0","id":4,"method":"ping"}]"#
    ))
    .await;
    raw.client.close().await;
    let reply = raw.next().await;
    assert_eq!(reply, json!([{"jsonrpc": "2.0", "id": 4, "result": {}}]));
}
