//! The quickstart example as a separate process, driven over its stdin/stdout.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use mcp_toolkit::Client;
use serde_json::{json, Value};
use tokio::process::{Child, Command};
use tokio::time::timeout;

/// `target/<profile>/examples/quickstart`, which `cargo test` builds with the tests.
fn quickstart() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir
        .join("examples")
        .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX))
}

/// The quickstart server with piped stdin and stdout, logging at `log_level` to `stderr`.
fn spawn_process(log_level: &str, stderr: Stdio) -> Child {
    Command::new(quickstart())
        .env("RUST_LOG", log_level)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("run `cargo build --examples` first")
}

fn spawn() -> (Child, Client) {
    let mut child = spawn_process("warn", Stdio::inherit());
    let client = Client::new(child.stdout.take().unwrap(), child.stdin.take().unwrap());
    (child, client)
}

async fn exits_cleanly(mut child: Child) {
    let status = timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("exits after stdin closes")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn modern_client_lists_and_calls_tools() {
    let (child, client) = spawn();
    let client = client.modern();
    let discover = client.request("server/discover", json!({})).await.unwrap();
    assert_eq!(discover["supportedVersions"], json!(["2026-07-28"]));
    let tools = client.list_tools().await.unwrap();
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["add", "divide", "add_note", "list_notes", "countdown"]
    );
    let result = client
        .call_tool("add", json!({"a": 2, "b": 3}))
        .await
        .unwrap();
    assert_eq!(result.content[0].as_text(), Some("5"));
    let result = client
        .call_tool("divide", json!({"dividend": 1, "divisor": 0}))
        .await
        .unwrap();
    assert!(result.is_error());
    client
        .call_tool("add_note", json!({"text": "milk"}))
        .await
        .unwrap();
    let notes = client.call_tool("list_notes", json!({})).await.unwrap();
    assert_eq!(
        notes.structured_content,
        Some(json!({"notes": ["milk"], "count": 1}))
    );
    client.close().await;
    exits_cleanly(child).await;
}

#[tokio::test]
async fn legacy_client_with_progress_logging_and_cancellation() {
    let (child, client) = spawn();
    let mut incoming = client.notifications().unwrap();
    let init = client.initialize().await.unwrap();
    assert_eq!(init["protocolVersion"], "2025-11-25");
    client
        .request("logging/setLevel", json!({"level": "info"}))
        .await
        .unwrap();

    // A slow call, cancelled; a fast call in the meantime is answered at once.
    let slow_id = client.next_id();
    let slow = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .request_with_id(
                    slow_id,
                    "tools/call",
                    json!({"name": "countdown", "arguments": {"from": 100, "step_ms": 50}}),
                )
                .await
        }
    });
    let fast = timeout(
        Duration::from_millis(500),
        client.call_tool("add", json!({"a": 1, "b": 1})),
    )
    .await;
    assert_eq!(
        fast.expect("not held up by the slow call").unwrap().content[0].as_text(),
        Some("2")
    );
    client
        .notify(
            "notifications/cancelled",
            json!({"requestId": slow_id, "reason": "test"}),
        )
        .await;
    assert!(
        timeout(Duration::from_millis(400), slow).await.is_err(),
        "a cancelled call gets no reply"
    );

    let progress = client
        .request("tools/call", json!({"name": "countdown", "arguments": {"from": 3, "step_ms": 1}, "_meta": {"progressToken": "tok"}}))
        .await
        .unwrap();
    assert_eq!(progress["content"][0]["text"], "counted down from 3");
    let mut seen = Vec::new();
    while let Ok(message) = incoming.try_recv() {
        seen.push(message);
    }
    let progress: Vec<&Value> = seen
        .iter()
        .filter(|m| m["params"]["progressToken"] == "tok")
        .collect();
    assert_eq!(
        progress
            .iter()
            .map(|m| m["params"]["progress"].as_f64().unwrap())
            .collect::<Vec<_>>(),
        [1.0, 2.0, 3.0]
    );
    assert!(seen
        .iter()
        .any(|m| m["method"] == "notifications/message"
            && m["params"]["data"] == "countdown finished"));
    client.close().await;
    exits_cleanly(child).await;
}

#[tokio::test]
async fn bad_input_gets_errors_and_the_server_keeps_serving() {
    let (child, client) = spawn();
    let mut incoming = client.notifications().unwrap();
    client.send_raw("this is not json").await;
    client
        .send_raw(r#"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"add"}}"#)
        .await;
    let parse_error = timeout(Duration::from_secs(5), incoming.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(parse_error["error"]["code"], -32700);
    let not_initialized = timeout(Duration::from_secs(5), incoming.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            not_initialized["id"].clone(),
            not_initialized["error"]["code"].clone()
        ),
        (json!("x"), json!(-32602))
    );
    let client = client.modern();
    let result = client
        .call_tool("add", json!({"a": 40, "b": 2}))
        .await
        .unwrap();
    assert_eq!(result.content[0].as_text(), Some("42"));
    client.close().await;
    exits_cleanly(child).await;
}

#[tokio::test]
async fn calls_running_at_end_of_input_still_get_their_replies() {
    let (child, client) = spawn();
    let client = client.modern();
    let call = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .call_tool("countdown", json!({"from": 3, "step_ms": 50}))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    client.close().await;
    let result = timeout(Duration::from_secs(5), call)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(result.content[0].as_text(), Some("counted down from 3"));
    exits_cleanly(child).await;
}

#[tokio::test]
async fn a_client_that_vanishes_mid_call_does_not_hang_or_crash_the_server() {
    use tokio::io::AsyncWriteExt;
    let mut child = spawn_process("off", Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let request = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"countdown","arguments":{"from":3,"step_ms":50},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;
    stdin
        .write_all(format!("{request}\n").as_bytes())
        .await
        .unwrap();
    // The client goes away: both pipes close while the call runs.
    drop(stdin);
    drop(child.stdout.take());
    let output = timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .expect("exits")
        .unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}

#[tokio::test]
async fn a_burst_larger_than_the_pipe_is_answered_in_full() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut child = spawn_process("off", Stdio::inherit());
    let calls = 3_000_usize;
    // About 600 KiB of requests in one write: the server answers while the client still
    // writes, and its replies fill the pipe before the client reads them.
    let burst: String = (0..calls)
        .map(|i| {
            format!(
                r#"{{"jsonrpc":"2.0","id":{i},"method":"tools/call","params":{{"name":"add","arguments":{{"a":{i},"b":1}},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#
            ) + "\n"
        })
        .collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = tokio::spawn(async move {
        stdin.write_all(burst.as_bytes()).await.unwrap();
        stdin
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut answered = vec![false; calls];
    for _ in 0..calls {
        let line = timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("replies keep coming")
            .unwrap()
            .expect("the server is still writing");
        let reply: Value = serde_json::from_str(&line).unwrap();
        let id = reply["id"].as_u64().unwrap() as usize;
        assert!(!answered[id], "{id} answered twice");
        answered[id] = true;
        assert_eq!(
            reply["result"]["content"][0]["text"],
            (id + 1).to_string(),
            "{reply}"
        );
    }
    drop(writer.await.unwrap());
    exits_cleanly(child).await;
}
