use std::collections::HashMap;

use mcp_toolkit::{tool, Server, State};
use serde_json::{json, Value};

#[derive(Clone)]
struct Prefix(&'static str);

/// Results matched by key.
#[tool(batch)]
async fn by_map(ids: Vec<u32>) -> HashMap<u32, String> {
    ids.into_iter()
        .filter(|id| *id != 0)
        .map(|id| (id, format!("map {id}")))
        .collect()
}

/// Results by position, or one error for the whole batch.
#[tool(batch(max_size = 10, window = "1ms"))]
async fn fallible(ids: Vec<u32>) -> Result<Vec<String>, String> {
    if ids.contains(&0) {
        return Err("no user 0".into());
    }
    Ok(ids.iter().map(|id| format!("fallible {id}")).collect())
}

/// The key renamed.
#[tool(batch(key = "user_id"))]
async fn renamed(users: Vec<u64>) -> Vec<u64> {
    users.iter().map(|id| id * 10).collect()
}

/// A plain `fn` runs on the blocking pool.
#[tool(batch(window = "1ms"), timeout = "5s")]
fn doubled(values: Vec<i64>) -> Vec<i64> {
    values.iter().map(|v| v * 2).collect()
}

/// State next to the keys, in any order.
#[tool(batch)]
async fn greeted(State(prefix): State<Prefix>, names: Vec<String>) -> Result<HashMap<String, String>, String> {
    Ok(names
        .into_iter()
        .map(|name| (name.clone(), format!("{} {name}", prefix.0)))
        .collect())
}

fn required(tool: &mcp_toolkit::Tool) -> Value {
    Value::Object(tool.def().input_schema.clone())["required"].clone()
}

fn main() {
    assert_eq!(required(&by_map::tool()), json!(["id"]));
    assert_eq!(required(&fallible::tool()), json!(["id"]));
    assert_eq!(required(&renamed::tool()), json!(["user_id"]));
    assert_eq!(required(&doubled::tool()), json!(["value"]));
    assert_eq!(required(&greeted::tool()), json!(["name"]));
    assert_eq!(greeted::tool().def().state_requirements.len(), 1);

    let server = Server::builder("batches", "1")
        .tools([
            by_map::tool(),
            fallible::tool(),
            renamed::tool(),
            doubled::tool(),
            greeted::tool(),
        ])
        .state(Prefix("hello"))
        .build()
        .unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = server.connect_in_memory().modern();
        let text = |result: Result<mcp_toolkit::CallToolResult, _>| {
            let result = result.unwrap();
            (result.is_error(), result.content[0].as_text().unwrap().to_owned())
        };

        let (a, b, missing) = tokio::join!(
            client.call_tool("by_map", json!({"id": 1})),
            client.call_tool("by_map", json!({"id": 2})),
            client.call_tool("by_map", json!({"id": 0})),
        );
        assert_eq!(text(a), (false, "map 1".into()));
        assert_eq!(text(b), (false, "map 2".into()));
        let (is_error, message) = text(missing);
        assert!(is_error && message.contains("no result for this key"), "{message}");

        let ok = client.call_tool("fallible", json!({"id": 7})).await;
        assert_eq!(text(ok), (false, "fallible 7".into()));
        let (is_error, message) = text(client.call_tool("fallible", json!({"id": 0})).await);
        assert!(is_error && message.contains("no user 0"), "{message}");

        let (is_error, message) = text(client.call_tool("renamed", json!({"user_id": 4})).await);
        assert_eq!((is_error, message.as_str()), (false, "40"));

        let (x, y) = tokio::join!(
            client.call_tool("doubled", json!({"value": 21})),
            client.call_tool("doubled", json!({"value": -3})),
        );
        assert_eq!(text(x), (false, "42".into()));
        assert_eq!(text(y), (false, "-6".into()));

        let greeting = client.call_tool("greeted", json!({"name": "ada"})).await;
        assert_eq!(text(greeting), (false, "hello ada".into()));
    });
}
