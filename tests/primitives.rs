//! Resources, prompts and completions, in both eras, in process (the stdio framing) and over
//! HTTP.

#[path = "support/http.rs"]
mod http;

use std::convert::Infallible;

use mcp_toolkit::completion::{completer, values, CompletionRequest};
use mcp_toolkit::prompt::{GetPromptResult, PromptArgument, PromptDef, PromptGet, PromptMessage};
use mcp_toolkit::resource::{ReadResourceResult, ResourceRead};
use mcp_toolkit::transport::http::HttpConfig;
use mcp_toolkit::{BuildError, Client, Content, ErrorObject, Prompt, Resource, Server};
use serde_json::{json, Value};

fn server() -> Server {
    let template = Resource::template(
        "test://template/{id}/data",
        "template",
        |read: ResourceRead| async move {
            let id = read.variable("id").unwrap_or_default().to_owned();
            if id == "missing" {
                return Err(ErrorObject::new(-32002, "no such item").into());
            }
            if id == "broken" {
                return Err::<ReadResourceResult, Box<dyn std::error::Error + Send + Sync>>(
                    "the disk is on fire".into(),
                );
            }
            Ok(ReadResourceResult::text(
                read.uri(),
                "application/json",
                format!(r#"{{"id":"{id}"}}"#),
            ))
        },
    )
    .unwrap()
    .with_description("One item")
    .with_completion("id", values(["123", "124", "200"]));
    let image = Resource::from_fn(
        mcp_toolkit::resource::ResourceDef::new("test://static-binary", "binary")
            .with_mime_type("image/png"),
        |read: ResourceRead| async move {
            Ok::<_, Infallible>(ReadResourceResult::blob(
                read.uri(),
                "image/png",
                "iVBORw0KGgo=",
            ))
        },
    );
    let greet = Prompt::from_fn(
        PromptDef::new("greet")
            .with_description("Greet someone")
            .with_argument(PromptArgument::required("name").with_description("Who"))
            .with_argument(PromptArgument::optional("style")),
        |get: PromptGet| async move {
            let name = get.argument("name").unwrap_or_default();
            let style = get.argument("style").unwrap_or("plainly");
            Ok::<_, Infallible>(GetPromptResult::new(vec![
                PromptMessage::user(Content::text(format!("Greet {name} {style}."))),
                PromptMessage::assistant(Content::text("Hello!")),
            ]))
        },
    )
    .with_completion(
        "style",
        completer(|req: CompletionRequest| async move {
            let who = req.other("name").unwrap_or("anyone").to_owned();
            vec![format!("warmly, for {who}"), format!("{}...", req.value())]
        }),
    );
    Server::builder("primitives", "1.0.0")
        .resource(Resource::text(
            "test://static-text",
            "static",
            "text/plain",
            "Hello, resource",
        ))
        .resource(template)
        .resource(image)
        .prompt(greet)
        .build()
        .unwrap()
}

async fn legacy() -> Client {
    let client = server().connect_in_memory();
    client.initialize().await.unwrap();
    client
}

#[tokio::test]
async fn capabilities_name_what_the_server_has() {
    let client = server().connect_in_memory();
    let init = client.initialize().await.unwrap();
    let capabilities = &init["capabilities"];
    assert_eq!(
        capabilities["resources"],
        json!({"subscribe": true, "listChanged": true})
    );
    assert_eq!(capabilities["prompts"], json!({"listChanged": true}));
    assert_eq!(capabilities["completions"], json!({}));
    let bare = Server::builder("b", "1")
        .build()
        .unwrap()
        .connect_in_memory();
    let init = bare.initialize().await.unwrap();
    assert!(init["capabilities"].get("resources").is_none());
    assert!(init["capabilities"].get("prompts").is_none());
    for method in ["resources/list", "prompts/list", "completion/complete"] {
        let error = bare.request(method, json!({})).await.unwrap_err();
        assert_eq!(error.code, -32601, "{method} without the capability");
    }
}

#[tokio::test]
async fn resources_are_listed_and_read_in_both_eras() {
    for modern in [false, true] {
        let client = if modern {
            server().connect_in_memory().modern()
        } else {
            legacy().await
        };
        let list = client.request("resources/list", json!({})).await.unwrap();
        let uris: Vec<_> = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["uri"].clone())
            .collect();
        assert_eq!(
            uris,
            [json!("test://static-text"), json!("test://static-binary")]
        );
        assert_eq!(list["resources"][0]["mimeType"], "text/plain");
        assert_eq!(
            list.get("ttlMs").is_some(),
            modern,
            "cache hints only in the modern era"
        );
        let templates = client
            .request("resources/templates/list", json!({}))
            .await
            .unwrap();
        assert_eq!(
            templates["resourceTemplates"][0]["uriTemplate"],
            "test://template/{id}/data"
        );
        assert_eq!(templates["resourceTemplates"][0]["description"], "One item");

        let read = client
            .request("resources/read", json!({"uri": "test://static-text"}))
            .await
            .unwrap();
        assert_eq!(
            read["contents"][0],
            json!({"uri": "test://static-text", "mimeType": "text/plain", "text": "Hello, resource"})
        );
        assert_eq!(read.get("resultType").is_some(), modern);
        let read = client
            .request("resources/read", json!({"uri": "test://template/123/data"}))
            .await
            .unwrap();
        assert_eq!(read["contents"][0]["text"], r#"{"id":"123"}"#);
        let read = client
            .request("resources/read", json!({"uri": "test://static-binary"}))
            .await
            .unwrap();
        assert_eq!(read["contents"][0]["blob"], "iVBORw0KGgo=");

        let missing = client
            .request("resources/read", json!({"uri": "test://nope"}))
            .await
            .unwrap_err();
        assert_eq!(missing.code, if modern { -32602 } else { -32002 });
        assert_eq!(missing.data, Some(json!({"uri": "test://nope"})));
        let own = client
            .request(
                "resources/read",
                json!({"uri": "test://template/missing/data"}),
            )
            .await
            .unwrap_err();
        // A handler's own error, in its era's form: 2026-07-28 retired -32002 for -32602.
        assert_eq!(
            (own.code, own.message.as_str()),
            (if modern { -32602 } else { -32002 }, "no such item"),
            "a handler's own error"
        );
        let broken = client
            .request(
                "resources/read",
                json!({"uri": "test://template/broken/data"}),
            )
            .await
            .unwrap_err();
        assert_eq!(broken.code, -32603);
        assert!(
            broken.message.contains("the disk is on fire"),
            "{}",
            broken.message
        );
        let bad = client
            .request("resources/read", json!({}))
            .await
            .unwrap_err();
        assert_eq!(bad.code, -32602);
    }
}

#[tokio::test]
async fn prompts_are_listed_and_rendered_with_their_arguments() {
    for modern in [false, true] {
        let client = if modern {
            server().connect_in_memory().modern()
        } else {
            legacy().await
        };
        let list = client.request("prompts/list", json!({})).await.unwrap();
        assert_eq!(
            list["prompts"][0],
            json!({"name": "greet", "description": "Greet someone", "arguments": [
                {"name": "name", "description": "Who", "required": true},
                {"name": "style", "required": false},
            ]})
        );
        let got = client
            .request(
                "prompts/get",
                json!({"name": "greet", "arguments": {"name": "Ada", "style": "warmly"}}),
            )
            .await
            .unwrap();
        assert_eq!(
            got["messages"][0],
            json!({"role": "user", "content": {"type": "text", "text": "Greet Ada warmly."}})
        );
        assert_eq!(got["messages"][1]["role"], "assistant");
        let missing = client
            .request("prompts/get", json!({"name": "greet"}))
            .await
            .unwrap_err();
        assert_eq!(missing.code, -32602);
        assert!(missing.message.contains("`name`"), "{}", missing.message);
        let unknown = client
            .request("prompts/get", json!({"name": "nope"}))
            .await
            .unwrap_err();
        assert_eq!(unknown.code, -32602);
    }
}

#[tokio::test]
async fn completions_come_from_the_completer_declared_with_the_argument() {
    let client = legacy().await;
    let complete = |reference: Value, name: &str, value: &str, context: Value| {
        let params = json!({"ref": reference, "argument": {"name": name, "value": value}, "context": {"arguments": context}});
        client.request("completion/complete", params)
    };
    let ids = complete(
        json!({"type": "ref/resource", "uri": "test://template/{id}/data"}),
        "id",
        "12",
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(
        ids["completion"],
        json!({"values": ["123", "124"], "total": 2, "hasMore": false})
    );
    let styles = complete(
        json!({"type": "ref/prompt", "name": "greet"}),
        "style",
        "bo",
        json!({"name": "Ada"}),
    )
    .await
    .unwrap();
    assert_eq!(
        styles["completion"]["values"],
        json!(["warmly, for Ada", "bo..."])
    );
    let none = complete(
        json!({"type": "ref/prompt", "name": "greet"}),
        "name",
        "A",
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(
        none["completion"]["values"],
        json!([]),
        "no completer: no values, no error"
    );
    let unknown = complete(
        json!({"type": "ref/prompt", "name": "nope"}),
        "x",
        "",
        json!({}),
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.code, -32602);
}

#[test]
fn build_refuses_duplicates_and_completers_for_nothing() {
    let text = || Resource::text("a://x", "x", "text/plain", "x");
    let err = Server::builder("s", "1")
        .resources([text(), text()])
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::DuplicateResource(uri) if uri == "a://x"));
    let prompt = || {
        Prompt::from_fn(PromptDef::new("p"), |_: PromptGet| async {
            Ok::<_, Infallible>(GetPromptResult::default())
        })
    };
    let err = Server::builder("s", "1")
        .prompts([prompt(), prompt()])
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::DuplicatePrompt(name) if name == "p"));
    let err = Server::builder("s", "1")
        .prompt(prompt().with_completion("nope", values(["a"])))
        .build()
        .unwrap_err();
    assert!(
        matches!(err, BuildError::UnknownCompletionArgument { argument, .. } if argument == "nope")
    );
}

#[tokio::test]
async fn resources_and_prompts_over_http_in_both_eras() {
    let running = http::Running::start(server(), HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{{"uri":"test://template/7/data",{}}}}}"#,
        http::META
    );
    let reply = conn
        .post(
            &http::modern_headers("resources/read", Some("Mcp-Name: test://template/7/data")),
            &body,
        )
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.json()["result"]["contents"][0]["text"],
        r#"{"id":"7"}"#
    );
    assert_eq!(reply.json()["result"]["resultType"], "complete");
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{{"uri":"test://nope",{}}}}}"#,
        http::META
    );
    let reply = conn
        .post(
            &http::modern_headers("resources/read", Some("Mcp-Name: test://nope")),
            &body,
        )
        .await;
    assert_eq!(reply.error_code(), -32602);
    let reply = conn
        .post(
            &http::modern_headers("resources/read", Some("Mcp-Name: test://other")),
            &body,
        )
        .await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (400, -32020),
        "Mcp-Name must match the URI"
    );

    let session = http::open_session(&mut conn, "2025-11-25").await;
    let header = format!("Mcp-Session-Id: {session}");
    let get = r#"{"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":"greet","arguments":{"name":"Bo"}}}"#;
    let reply = conn.post(&[&header], get).await;
    assert_eq!(
        reply.json()["result"]["messages"][0]["content"]["text"],
        "Greet Bo plainly."
    );
}

#[tokio::test]
async fn subscribers_hear_of_resource_updates_until_they_unsubscribe() {
    let server = server();
    let client = server.connect_in_memory();
    let init = client.initialize().await.unwrap();
    assert_eq!(init["capabilities"]["resources"]["subscribe"], true);
    let mut notes = client.notifications().unwrap();
    let other = server.connect_in_memory();
    other.initialize().await.unwrap();
    let mut other_notes = other.notifications().unwrap();

    client
        .request("resources/subscribe", json!({"uri": "test://static-text"}))
        .await
        .unwrap();
    client
        .request(
            "resources/subscribe",
            json!({"uri": "test://template/9/data"}),
        )
        .await
        .unwrap();
    let unknown = client
        .request("resources/subscribe", json!({"uri": "test://nope"}))
        .await
        .unwrap_err();
    assert_eq!(unknown.code, -32002);
    server.notify_resource_updated("test://static-text");
    server.notify_resource_updated("test://template/9/data");
    for uri in ["test://static-text", "test://template/9/data"] {
        let note = tokio::time::timeout(std::time::Duration::from_secs(5), notes.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            note,
            json!({"jsonrpc": "2.0", "method": "notifications/resources/updated", "params": {"uri": uri}})
        );
    }
    client
        .request(
            "resources/unsubscribe",
            json!({"uri": "test://static-text"}),
        )
        .await
        .unwrap();
    server.notify_resource_updated("test://static-text");
    // A request after the update: anything sent for it would have arrived first.
    client.request("resources/list", json!({})).await.unwrap();
    assert!(notes.try_recv().is_err(), "an update after unsubscribing");
    assert!(
        other_notes.try_recv().is_err(),
        "an update for a client that did not subscribe"
    );

    let modern = server.connect_in_memory().modern();
    let error = modern
        .request("resources/subscribe", json!({"uri": "test://static-text"}))
        .await
        .unwrap_err();
    assert_eq!(error.code, -32601, "2026-07-28 has no resources/subscribe");
}

#[tokio::test]
async fn an_http_session_hears_of_updates_on_its_get_stream() {
    let server = server();
    let running = http::Running::start(server.clone(), HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let session = http::open_session(&mut conn, "2025-11-25").await;
    let header = format!("Mcp-Session-Id: {session}");
    let subscribe = r#"{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"test://static-text"}}"#;
    assert_eq!(
        conn.post(&[&header], subscribe).await.json()["result"],
        json!({})
    );
    let mut stream = running.connect().await;
    stream
        .send_raw(format!("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\nAccept: text/event-stream\r\n\r\n").as_bytes())
        .await;
    let (status, headers) = stream.read_head().await;
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(n, v)| n == "content-type" && v == "text/event-stream"));
    let second = running
        .connect()
        .await
        .request("GET", &[&header, "Accept: text/event-stream"])
        .await;
    assert_eq!(second.status, 409, "one GET stream per session");
    server.notify_resource_updated("test://static-text");
    let events = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_events())
        .await
        .unwrap();
    let note: Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(note["method"], "notifications/resources/updated");
    assert_eq!(note["params"]["uri"], "test://static-text");
    // Ending the session ends its stream.
    assert_eq!(conn.request("DELETE", &[&header]).await.status, 200);
    let end = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_chunk())
        .await
        .unwrap();
    assert_eq!(end, None);
}

#[tokio::test]
async fn a_stateless_listen_stream_is_acknowledged_then_carries_tagged_updates() {
    let server = server();
    let client = server.connect_in_memory();
    let mut incoming = client.notifications().unwrap();
    let listen = format!(
        r#"{{"jsonrpc":"2.0","id":"sub-1","method":"subscriptions/listen","params":{{"notifications":{{"resourceSubscriptions":["test://static-text"],"toolsListChanged":true}},{}}}}}"#,
        http::META
    );
    client.send_raw(&listen).await;
    let ack = next(&mut incoming).await;
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "sub-1"
    );
    assert_eq!(
        ack["params"]["notifications"],
        json!({"resourceSubscriptions": ["test://static-text"], "toolsListChanged": true}),
        "tool list changes are offered (tools may be added while serving)"
    );
    server.notify_resource_updated("test://static-binary");
    server.notify_resource_updated("test://static-text");
    let update = next(&mut incoming).await;
    assert_eq!(update["method"], "notifications/resources/updated");
    assert_eq!(update["params"]["uri"], "test://static-text");
    assert_eq!(
        update["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "sub-1"
    );
    // Cancelling ends it without a response.
    client
        .send_raw(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"sub-1"}}"#)
        .await;
    server.notify_resource_updated("test://static-text");
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(200), incoming.recv()).await;
    assert!(quiet.is_err(), "something after the cancel: {quiet:?}");

    let legacy = legacy().await;
    let error = legacy
        .request("subscriptions/listen", json!({}))
        .await
        .unwrap_err();
    assert_eq!(error.code, -32601);
}

#[tokio::test]
async fn over_http_a_listen_stream_is_an_open_sse_response() {
    let server = server();
    let running = http::Running::start(server.clone(), HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let listen = format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"subscriptions/listen","params":{{"notifications":{{"resourceSubscriptions":["test://template/1/data"]}},{}}}}}"#,
        http::META
    );
    conn.send_post(&http::modern_headers("subscriptions/listen", None), &listen)
        .await;
    assert_eq!(conn.read_head().await.0, 200);
    let ack = conn.read_events().await;
    assert!(ack[0]
        .1
        .contains("notifications/subscriptions/acknowledged"));
    server.notify_resource_updated("test://template/1/data");
    let update = tokio::time::timeout(std::time::Duration::from_secs(5), conn.read_events())
        .await
        .unwrap();
    let update: Value = serde_json::from_str(&update[0].1).unwrap();
    assert_eq!(update["params"]["uri"], "test://template/1/data");
    assert_eq!(
        update["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        7
    );
}

async fn next(incoming: &mut tokio::sync::mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(std::time::Duration::from_secs(5), incoming.recv())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_listen_stream_ends_gracefully_when_its_connection_does() {
    let listen = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"subscriptions/listen\",\"params\":{{{}}}}}\n",
        http::META
    );
    let mut output = Vec::new();
    let started = std::time::Instant::now();
    server()
        .serve(listen.as_bytes(), &mut output)
        .await
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "it waited for the listen stream"
    );
    let messages: Vec<Value> = output
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(
        messages[0]["method"],
        "notifications/subscriptions/acknowledged"
    );
    assert_eq!(
        messages[1]["id"], 5,
        "the listen request is answered when it ends"
    );
    assert_eq!(
        messages[1]["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        5
    );
}
