//! Result caches as users combine them: several servers in one process, extractors that tell
//! callers apart, and hostile arguments.

use std::sync::atomic::{AtomicUsize, Ordering};

use mcp_toolkit::{tool, BoxError, CacheKey, FromToolCall, Server, State, ToolCall};
use serde_json::{json, Value};

/// A tenant's database.
#[derive(Clone)]
struct Database(&'static str);

/// Look a key up in the tenant's database.
#[tool(cache_ttl = 300)]
async fn lookup(key: String, State(db): State<Database>) -> String {
    format!("{}:{key}", db.0)
}

#[tokio::test]
async fn servers_with_different_state_never_serve_each_others_results() {
    let tool = lookup::tool();
    let tenants = ["alpha", "beta"].map(|name| {
        Server::builder(name, "1")
            .tool(tool.clone())
            .state(Database(name))
            .build()
            .unwrap()
    });
    for _ in 0..2 {
        for (server, name) in tenants.iter().zip(["alpha", "beta"]) {
            let client = server.connect_in_memory().modern();
            let result = client
                .call_tool("lookup", json!({"key": "k"}))
                .await
                .unwrap();
            assert_eq!(
                result.content[0].as_text(),
                Some(format!("{name}:k").as_str())
            );
        }
    }
    let stats = tool.cache().unwrap().stats();
    assert_eq!((stats.misses, stats.hits), (2, 2), "one miss per server");
}

/// Who is calling: here the parity of the request id stands in for an authenticated user.
struct Caller(String);

impl FromToolCall for Caller {
    fn from_tool_call(call: &ToolCall) -> Result<Self, BoxError> {
        let id: i64 = call.context().request_id().to_string().parse()?;
        Ok(Caller(if id % 2 == 0 { "even" } else { "odd" }.into()))
    }
}

impl CacheKey for Caller {
    fn cache_key(&self) -> String {
        self.0.clone()
    }
}

static GREETINGS_RUN: AtomicUsize = AtomicUsize::new(0);

/// Greet on behalf of the caller.
#[tool(cache_ttl = 300)]
async fn greet(#[extract] caller: Caller, name: String) -> String {
    GREETINGS_RUN.fetch_add(1, Ordering::SeqCst);
    format!("{} greets {name}", caller.0)
}

#[tokio::test]
async fn an_extracted_value_that_keys_the_cache_keeps_callers_apart() {
    let server = Server::builder("s", "1")
        .tool(greet::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let mut texts = Vec::new();
    for id in [2, 3, 4, 5] {
        let params = json!({"name": "greet", "arguments": {"name": "ada"}});
        let result = client
            .request_with_id(id, "tools/call", params)
            .await
            .unwrap();
        texts.push(result["content"][0]["text"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        texts,
        [
            "even greets ada",
            "odd greets ada",
            "even greets ada",
            "odd greets ada"
        ]
    );
    assert_eq!(
        GREETINGS_RUN.load(Ordering::SeqCst),
        2,
        "one run per caller"
    );
    // Invalidating the arguments drops them for every caller.
    greet::tool()
        .cache()
        .unwrap()
        .invalidate(&json!({"name": "ada"}))
        .await;
    for id in [6, 7] {
        let params = json!({"name": "greet", "arguments": {"name": "ada"}});
        client
            .request_with_id(id, "tools/call", params)
            .await
            .unwrap();
    }
    assert_eq!(GREETINGS_RUN.load(Ordering::SeqCst), 4);
}

/// Echo any JSON value.
#[tool(cache_ttl = 60)]
async fn echo_value(value: Value) -> String {
    value.to_string()
}

#[tokio::test]
async fn arguments_nested_far_too_deep_get_an_error_and_the_server_keeps_serving() {
    let server = Server::builder("s", "1")
        .tool(echo_value::tool())
        .build()
        .unwrap();
    let meta = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;
    let depth = 100_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let mut input = String::new();
    for (id, value) in [(1, deep.as_str()), (2, "[1,{\"b\":2,\"a\":1}]")] {
        input.push_str(&format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo_value","arguments":{{"value":{value}}},{meta}}}}}"#
        ));
        input.push('\n');
    }
    let mut output = Vec::new();
    server.serve(input.as_bytes(), &mut output).await.unwrap();
    let replies: Vec<Value> = output
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).unwrap())
        .collect();
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0]["id"], 1);
    assert_eq!(replies[0]["result"]["isError"], true, "{}", replies[0]);
    assert!(replies[0]["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("recursion limit"));
    assert_eq!(
        replies[1]["result"]["content"][0]["text"],
        r#"[1,{"a":1,"b":2}]"#
    );
}
