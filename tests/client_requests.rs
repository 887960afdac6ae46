//! Requests a tool sends to the client (sampling, elicitation, roots), legacy era: on stdio
//! framing in process, and on the call's SSE stream over HTTP with the answer POSTed back.

#[path = "support/http.rs"]
mod http;

use std::time::Duration;

use mcp_toolkit::context::{Elicitation, SamplingMessage};
use mcp_toolkit::transport::http::HttpConfig;
use mcp_toolkit::{tool, Client, RequestContext, Server};
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

/// Asks the client's model.
#[tool(timeout = "2s")]
async fn ask_model(question: String, ctx: RequestContext) -> Result<String, String> {
    let answer = ctx
        .sample(vec![SamplingMessage::user(question)], 50)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "model said: {}",
        answer.content.as_text().unwrap_or_default()
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Contact {
    /// Your name.
    name: String,
    /// Your age.
    age: u8,
}

/// Asks the user for a contact.
#[tool]
async fn ask_user(ctx: RequestContext) -> Result<String, String> {
    match ctx
        .elicit::<Contact>("Who are you?")
        .await
        .map_err(|e| e.to_string())?
    {
        Elicitation::Accept(contact) => Ok(format!("{} ({})", contact.name, contact.age)),
        Elicitation::Decline => Ok("declined".into()),
        Elicitation::Cancel => Ok("cancelled".into()),
    }
}

/// Lists the client's roots.
#[tool]
async fn roots(ctx: RequestContext) -> Result<String, String> {
    let roots = ctx.list_roots().await.map_err(|e| e.to_string())?;
    Ok(roots
        .iter()
        .map(|r| r.uri.as_str())
        .collect::<Vec<_>>()
        .join(","))
}

fn server() -> Server {
    Server::builder("asker", "1")
        .tools([ask_model::tool(), ask_user::tool(), roots::tool()])
        .build()
        .unwrap()
}

struct Raw {
    client: Client,
    incoming: UnboundedReceiver<Value>,
}

impl Raw {
    async fn initialized(capabilities: Value) -> Raw {
        let client = server().connect_in_memory();
        let incoming = client.notifications().unwrap();
        let mut raw = Raw { client, incoming };
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": capabilities,
            "clientInfo": {"name": "t", "version": "1"}}});
        raw.send(&init).await;
        assert_eq!(raw.next().await["id"], 0);
        raw
    }

    async fn send(&self, message: &Value) {
        self.client.send_raw(&message.to_string()).await;
    }

    async fn next(&mut self) -> Value {
        timeout(Duration::from_secs(5), self.incoming.recv())
            .await
            .expect("a message within 5 s")
            .expect("open")
    }

    async fn call(&self, id: u64, tool: &str, arguments: Value) {
        let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}});
        self.send(&call).await;
    }
}

fn text(reply: &Value) -> &str {
    reply["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_tool_asks_the_client_and_gets_its_answers() {
    let mut raw = Raw::initialized(json!({"sampling": {}, "elicitation": {}, "roots": {}})).await;
    raw.call(1, "ask_model", json!({"question": "2+2?"})).await;
    let request = raw.next().await;
    assert_eq!(request["method"], "sampling/createMessage");
    assert_eq!(request["params"]["maxTokens"], 50);
    assert_eq!(request["params"]["messages"][0]["content"]["text"], "2+2?");
    let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": {
        "role": "assistant", "content": {"type": "text", "text": "4"}, "model": "m"}});
    raw.send(&answer).await;
    let reply = raw.next().await;
    assert_eq!(
        (reply["id"].clone(), text(&reply)),
        (json!(1), "model said: 4")
    );

    raw.call(2, "ask_user", json!({})).await;
    let request = raw.next().await;
    assert_eq!(request["method"], "elicitation/create");
    let schema = &request["params"]["requestedSchema"];
    assert_eq!(schema["properties"]["name"]["description"], "Your name.");
    assert!(schema.get("$schema").is_none());
    let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": {
        "action": "accept", "content": {"name": "Ada", "age": 36}}});
    raw.send(&answer).await;
    assert_eq!(text(&raw.next().await), "Ada (36)");

    raw.call(3, "roots", json!({})).await;
    let request = raw.next().await;
    assert_eq!(request["method"], "roots/list");
    let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": {
        "roots": [{"uri": "file:///a"}, {"uri": "file:///b", "name": "b"}]}});
    raw.send(&answer).await;
    assert_eq!(text(&raw.next().await), "file:///a,file:///b");

    // The client's error answer reaches the tool.
    raw.call(4, "ask_model", json!({"question": "?"})).await;
    let request = raw.next().await;
    let refusal = json!({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -1, "message": "user refused"}});
    raw.send(&refusal).await;
    let reply = raw.next().await;
    assert_eq!(reply["result"]["isError"], true);
    assert!(text(&reply).contains("user refused"), "{reply}");
}

#[tokio::test]
async fn undeclared_capabilities_silent_clients_and_the_stateless_era_get_clear_errors() {
    let mut raw = Raw::initialized(json!({})).await;
    raw.call(1, "ask_model", json!({"question": "?"})).await;
    let reply = raw.next().await;
    assert_eq!(reply["result"]["isError"], true);
    assert!(
        text(&reply).contains("did not declare the `sampling` capability"),
        "{reply}"
    );

    // A client that never answers: the tool's timeout ends the wait, and a late answer is
    // ignored.
    let mut raw = Raw::initialized(json!({"sampling": {}})).await;
    raw.call(2, "ask_model", json!({"question": "?"})).await;
    let request = raw.next().await;
    let reply = raw.next().await;
    assert_eq!(reply["id"], 2);
    assert_eq!(reply["result"]["isError"], true);
    assert!(text(&reply).contains("timed out"), "{reply}");
    let late = json!({"jsonrpc": "2.0", "id": request["id"], "result": {"role": "assistant", "content": {"type": "text", "text": "late"}}});
    raw.send(&late).await;
    raw.call(3, "roots", json!({})).await;
    let reply = raw.next().await;
    assert!(text(&reply).contains("`roots`"), "{reply}");

    // A stateless client that did not declare sampling is told so.
    let modern = server().connect_in_memory().modern();
    let result = modern
        .call_tool("ask_model", json!({"question": "?"}))
        .await
        .unwrap();
    assert!(result.is_error());
    assert!(result.content[0].as_text().unwrap().contains("`sampling`"));
}

/// The `_meta` of a stateless client that can elicit and sample.
const CAPABLE: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{},"sampling":{}}}"#;

/// Two rounds of input, keyed.
#[tool]
async fn two_steps(ctx: RequestContext) -> Result<String, String> {
    let first = ctx
        .input("first")
        .elicit::<Contact>("Who?")
        .await
        .map_err(|e| e.to_string())?;
    let second = ctx
        .input("second")
        .sample(vec![SamplingMessage::user("Hi")], 5)
        .await
        .map_err(|e| e.to_string())?;
    match first {
        Elicitation::Accept(c) => Ok(format!(
            "{} / {}",
            c.name,
            second.content.as_text().unwrap_or_default()
        )),
        _ => Ok("no contact".into()),
    }
}

#[tokio::test]
async fn a_stateless_request_asks_through_input_required_rounds() {
    let server = Server::builder("mrtr", "1")
        .tool(two_steps::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory();
    let mut incoming = client.notifications().unwrap();
    let call = |id: u64, extra: String| {
        let line = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"two_steps","arguments":{{}},{CAPABLE}{extra}}}}}"#
        );
        let client = client.clone();
        async move { client.send_raw(&line).await }
    };
    call(1, String::new()).await;
    let round1 = timeout(Duration::from_secs(5), incoming.recv())
        .await
        .unwrap()
        .unwrap();
    let result = &round1["result"];
    assert_eq!(result["resultType"], "input_required", "{round1}");
    assert_eq!(
        result["inputRequests"]["first"]["method"],
        "elicitation/create"
    );
    assert!(
        result["inputRequests"].get("second").is_none(),
        "asked one at a time"
    );
    let state = result["requestState"].as_str().unwrap().to_owned();

    let answer = json!({"first": {"action": "accept", "content": {"name": "Ada", "age": 36}}});
    call(
        2,
        format!(r#","inputResponses":{answer},"requestState":"{state}""#),
    )
    .await;
    let round2 = timeout(Duration::from_secs(5), incoming.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        round2["result"]["inputRequests"]["second"]["method"],
        "sampling/createMessage"
    );
    let state = round2["result"]["requestState"]
        .as_str()
        .unwrap()
        .to_owned();

    // The first answer travels in the state: this round answers only the second.
    let answer = json!({"second": {"role": "assistant", "content": {"type": "text", "text": "hello"}, "model": "m"}});
    call(
        3,
        format!(r#","inputResponses":{answer},"requestState":"{state}""#),
    )
    .await;
    let done = timeout(Duration::from_secs(5), incoming.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done["result"]["resultType"], "complete");
    assert_eq!(text(&done), "Ada / hello");

    // A tampered state is refused; a malformed answer is asked for again.
    call(
        4,
        format!(r#","inputResponses":{answer},"requestState":"{state}x""#),
    )
    .await;
    let tampered = timeout(Duration::from_secs(5), incoming.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tampered["error"]["code"], -32602);
    call(5, r#","inputResponses":{"first":42}"#.to_owned()).await;
    let again = timeout(Duration::from_secs(5), incoming.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again["result"]["resultType"], "input_required");
    assert!(again["result"]["inputRequests"].get("first").is_some());
}

#[tokio::test]
async fn over_http_the_request_rides_the_calls_stream_and_the_answer_is_posted_back() {
    let running = http::Running::start(server(), HttpConfig::default()).await;
    let mut conn = running.connect().await;
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {"elicitation": {}},
        "clientInfo": {"name": "t", "version": "1"}}});
    let reply = conn.post(&[], &init.to_string()).await;
    let session = reply.header("mcp-session-id").unwrap().to_owned();
    let header = format!("Mcp-Session-Id: {session}");
    let mut caller = running.connect().await;
    caller
        .send_post(&[&header], &http::legacy_call(1, "ask_user", "{}"))
        .await;
    let (status, headers) = caller.read_head().await;
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(n, v)| n == "content-type" && v == "text/event-stream"));
    let events = caller.read_events().await;
    let request: Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(request["method"], "elicitation/create");
    let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": {"action": "decline"}});
    let posted = conn.post(&[&header], &answer.to_string()).await;
    assert_eq!(posted.status, 202);
    let events = timeout(Duration::from_secs(5), caller.read_events())
        .await
        .unwrap();
    let reply: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    assert_eq!(text(&reply), "declined");
}
