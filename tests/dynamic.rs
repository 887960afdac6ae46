//! Tools added and removed while serving: the lists follow, clients are told (legacy
//! `notifications/tools/list_changed` after `initialize`, modern `subscriptions/listen` streams
//! that asked for `toolsListChanged`), and calls already running are not disturbed.

#[path = "support/http.rs"]
mod http;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use mcp_toolkit::prompt::{GetPromptResult, PromptDef, PromptGet};
use mcp_toolkit::transport::http::HttpConfig;
use mcp_toolkit::{BuildError, CallToolResult, Prompt, Resource, Server, Tool, ToolCall, ToolDef};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

fn answering(name: &str, answer: &'static str) -> Tool {
    Tool::from_fn(
        ToolDef::new(name, serde_json::Map::new()),
        move |_: ToolCall| async move { Ok::<_, Infallible>(CallToolResult::text(answer)) },
    )
}

fn server() -> Server {
    Server::builder("dynamic", "1")
        .tool(answering("first", "one"))
        .build()
        .unwrap()
}

fn names(list: &Value) -> Vec<String> {
    list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn next(incoming: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(5), incoming.recv())
        .await
        .expect("a notification in time")
        .expect("the connection is open")
}

async fn quiet(incoming: &mut mpsc::UnboundedReceiver<Value>) -> bool {
    tokio::time::timeout(Duration::from_millis(200), incoming.recv())
        .await
        .is_err()
}

#[tokio::test]
async fn legacy_clients_hear_of_changes_after_initialize_and_lists_follow() {
    let server = server();
    let client = server.connect_in_memory();
    let mut incoming = client.notifications().unwrap();
    server.add_tool(answering("early", "e")).unwrap();
    let init = client.initialize().await.unwrap();
    assert_eq!(init["capabilities"]["tools"]["listChanged"], true);
    assert!(
        quiet(&mut incoming).await,
        "a change before initialize is not announced"
    );

    // Several changes before the client reads: one notification.
    server.add_tool(answering("second", "two")).unwrap();
    assert!(server.remove_tool("early"));
    let note = next(&mut incoming).await;
    assert_eq!(note["method"], "notifications/tools/list_changed");
    assert!(quiet(&mut incoming).await, "changes coalesce");
    let list = client.request("tools/list", json!({})).await.unwrap();
    assert_eq!(names(&list), ["first", "second"]);
    let called = client.call_tool("second", json!({})).await.unwrap();
    assert_eq!(
        serde_json::to_value(&called).unwrap()["content"][0]["text"],
        "two"
    );

    assert!(server.remove_tool("second"));
    assert!(!server.remove_tool("second"), "already gone");
    assert_eq!(
        next(&mut incoming).await["method"],
        "notifications/tools/list_changed"
    );
    let error = client.call_tool("second", json!({})).await.unwrap_err();
    assert!(error.message.contains("Unknown tool"), "{error:?}");
    assert_eq!(
        names(&client.request("tools/list", json!({})).await.unwrap()),
        ["first"]
    );
}

#[tokio::test]
async fn adding_checks_what_build_checks_and_changes_nothing_on_error() {
    let server = server();
    assert!(matches!(
        server.add_tool(answering("first", "again")),
        Err(BuildError::DuplicateTool(name)) if name == "first"
    ));
    assert!(matches!(
        server.add_tool(answering("no spaces", "x")),
        Err(BuildError::InvalidToolName(_))
    ));
    let names: Vec<_> = server
        .tools()
        .iter()
        .map(|t| t.def().name.to_string())
        .collect();
    assert_eq!(names, ["first"]);
}

#[tokio::test]
async fn modern_listen_streams_hear_of_changes_only_when_they_asked() {
    let server = server();
    let client = server.connect_in_memory();
    let mut incoming = client.notifications().unwrap();
    let listen = |id: &str, filter: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","id":"{id}","method":"subscriptions/listen","params":{{"notifications":{filter},{}}}}}"#,
            http::META
        )
    };
    client.send_raw(&listen("deaf", "{}")).await;
    let ack = next(&mut incoming).await;
    assert_eq!(ack["params"]["notifications"], json!({}), "{ack}");
    client
        .send_raw(&listen("tools", r#"{"toolsListChanged":true}"#))
        .await;
    let ack = next(&mut incoming).await;
    assert_eq!(
        ack["params"]["notifications"],
        json!({"toolsListChanged": true})
    );

    server.add_tool(answering("second", "two")).unwrap();
    let note = next(&mut incoming).await;
    assert_eq!(note["method"], "notifications/tools/list_changed");
    assert_eq!(
        note["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "tools"
    );
    assert!(
        quiet(&mut incoming).await,
        "the stream that did not ask hears nothing"
    );
}

#[tokio::test]
async fn a_legacy_http_session_hears_of_changes_on_its_get_stream() {
    let server = server();
    let running = http::Running::start(server.clone(), HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let session = http::open_session(&mut conn, "2025-11-25").await;
    let header = format!("Mcp-Session-Id: {session}");
    let mut stream = running.connect().await;
    stream
        .send_raw(format!("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\nAccept: text/event-stream\r\n\r\n").as_bytes())
        .await;
    assert_eq!(stream.read_head().await.0, 200);
    server.add_tool(answering("second", "two")).unwrap();
    let events = tokio::time::timeout(Duration::from_secs(5), stream.read_events())
        .await
        .unwrap();
    let note: Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(note["method"], "notifications/tools/list_changed");
    let list = r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;
    let reply = conn.post(&[&header], list).await.json();
    assert_eq!(names(&reply["result"]), ["first", "second"]);
    let call = http::legacy_call(3, "second", "{}");
    let reply = conn.post(&[&header], &call).await.json();
    assert_eq!(reply["result"]["content"][0]["text"], "two");
}

/// A tool whose calls wait until released.
fn gated(name: &str, gate: Arc<Notify>) -> Tool {
    Tool::from_fn(
        ToolDef::new(name, serde_json::Map::new()),
        move |_: ToolCall| {
            let gate = gate.clone();
            async move {
                gate.notified().await;
                Ok::<_, Infallible>(CallToolResult::text("released"))
            }
        },
    )
}

#[tokio::test]
async fn a_call_in_flight_survives_its_tools_removal() {
    let gate = Arc::new(Notify::new());
    let server = Server::builder("dynamic", "1")
        .tool(gated("slow", gate.clone()))
        .build()
        .unwrap();
    let client = server.connect_in_memory();
    client.initialize().await.unwrap();
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.call_tool("slow", json!({})).await }
    });
    // Let the call start before the tool goes.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(server.remove_tool("slow"));
    // A later call on the same connection sees the change (its services are rebuilt).
    let error = client.call_tool("slow", json!({})).await.unwrap_err();
    assert!(error.message.contains("Unknown tool"), "{error:?}");
    gate.notify_waiters();
    let result = call.await.unwrap().unwrap();
    assert_eq!(
        serde_json::to_value(&result).unwrap()["content"][0]["text"],
        "released"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_changes_while_calls_run_keep_lists_consistent() {
    let server = server();
    let client = server.connect_in_memory();
    client.initialize().await.unwrap();
    let churn = tokio::spawn({
        let server = server.clone();
        async move {
            for round in 0..200 {
                let name = format!("t{}", round % 7);
                if !server.remove_tool(&name) {
                    server.add_tool(answering(&name, "x")).unwrap();
                }
                tokio::task::yield_now().await;
            }
        }
    });
    let mut calls = 0;
    while !churn.is_finished() {
        let first = client.call_tool("first", json!({})).await.unwrap();
        assert_eq!(
            serde_json::to_value(&first).unwrap()["content"][0]["text"],
            "one"
        );
        // A tool that may come and go either answers or is unknown: never anything else.
        if let Err(error) = client.call_tool("t3", json!({})).await {
            assert!(error.message.contains("Unknown tool"), "{error:?}");
        }
        let list = client.request("tools/list", json!({})).await.unwrap();
        let listed = names(&list);
        assert_eq!(listed[0], "first");
        let mut distinct = listed.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), listed.len(), "no name twice: {listed:?}");
        calls += 1;
    }
    churn.await.unwrap();
    assert!(calls > 0);
    // 200 rounds over 7 names: each added and removed in turn, so the even count is left.
    let left: Vec<_> = server
        .tools()
        .iter()
        .map(|t| t.def().name.to_string())
        .collect();
    assert_eq!(
        left.len(),
        1 + (0..7).filter(|i| (200 - i + 6) / 7 % 2 == 1).count()
    );
}

fn text_prompt(name: &str, text: &'static str) -> Prompt {
    Prompt::from_fn(PromptDef::new(name), move |_: PromptGet| async move {
        Ok::<_, Infallible>(GetPromptResult::user_text(text))
    })
}

fn with_surface() -> Server {
    Server::builder("dynamic", "1")
        .resource(Resource::text("app://status", "status", "text/plain", "ok"))
        .prompt(text_prompt("hello", "Hello."))
        .build()
        .unwrap()
}

#[tokio::test]
async fn prompts_and_resources_change_too_and_each_list_is_announced() {
    let server = with_surface();
    let client = server.connect_in_memory();
    let mut incoming = client.notifications().unwrap();
    client.initialize().await.unwrap();

    server.add_prompt(text_prompt("bye", "Bye.")).unwrap();
    assert_eq!(
        next(&mut incoming).await["method"],
        "notifications/prompts/list_changed"
    );
    let got = client
        .request("prompts/get", json!({"name": "bye"}))
        .await
        .unwrap();
    assert_eq!(got["messages"][0]["content"]["text"], "Bye.");
    assert!(matches!(
        server.add_prompt(text_prompt("bye", "Again.")),
        Err(BuildError::DuplicatePrompt(_))
    ));
    assert!(server.remove_prompt("bye"));
    assert_eq!(
        next(&mut incoming).await["method"],
        "notifications/prompts/list_changed"
    );
    let error = client
        .request("prompts/get", json!({"name": "bye"}))
        .await
        .unwrap_err();
    assert!(error.message.contains("Unknown prompt"), "{error:?}");

    server
        .add_resource(Resource::text("app://motd", "motd", "text/plain", "hi"))
        .unwrap();
    assert_eq!(
        next(&mut incoming).await["method"],
        "notifications/resources/list_changed"
    );
    let read = client
        .request("resources/read", json!({"uri": "app://motd"}))
        .await
        .unwrap();
    assert_eq!(read["contents"][0]["text"], "hi");
    let listed = client.request("resources/list", json!({})).await.unwrap();
    assert_eq!(listed["resources"].as_array().unwrap().len(), 2);
    assert!(server.remove_resource("app://motd"));
    assert!(!server.remove_resource("app://motd"));
    assert_eq!(
        next(&mut incoming).await["method"],
        "notifications/resources/list_changed"
    );
    assert!(client
        .request("resources/read", json!({"uri": "app://motd"}))
        .await
        .is_err());
}

#[tokio::test]
async fn a_server_built_without_prompts_or_resources_refuses_to_add_them() {
    let server = server();
    assert!(matches!(
        server.add_prompt(text_prompt("bye", "Bye.")),
        Err(BuildError::NotDeclared("prompts"))
    ));
    assert!(matches!(
        server.add_resource(Resource::text("app://motd", "motd", "text/plain", "hi")),
        Err(BuildError::NotDeclared("resources"))
    ));
    assert!(!server.remove_prompt("bye"));
}

#[tokio::test]
async fn listen_streams_acknowledge_and_hear_prompt_and_resource_list_changes() {
    let server = with_surface();
    let client = server.connect_in_memory();
    let mut incoming = client.notifications().unwrap();
    let listen = format!(
        r#"{{"jsonrpc":"2.0","id":9,"method":"subscriptions/listen","params":{{"notifications":{{"promptsListChanged":true,"resourcesListChanged":true}},{}}}}}"#,
        http::META
    );
    client.send_raw(&listen).await;
    let ack = next(&mut incoming).await;
    assert_eq!(
        ack["params"]["notifications"],
        json!({"promptsListChanged": true, "resourcesListChanged": true})
    );
    server.add_tool(answering("second", "two")).unwrap();
    server.add_prompt(text_prompt("bye", "Bye.")).unwrap();
    let note = next(&mut incoming).await;
    assert_eq!(
        note["method"], "notifications/prompts/list_changed",
        "not tools: {note}"
    );
    assert_eq!(
        note["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        9
    );
    assert!(server.remove_resource("app://status"));
    assert_eq!(
        next(&mut incoming).await["method"],
        "notifications/resources/list_changed"
    );
}
