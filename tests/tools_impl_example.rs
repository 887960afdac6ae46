//! `examples/tools_impl` as a separate process over stdio: `#[tools]` methods sharing the
//! server's struct, with options read from it (the rate limit from the environment).

use std::process::Stdio;
use std::time::{Duration, Instant};

use mcp_toolkit::Client;
use serde_json::json;
use tokio::process::{Child, Command};

fn spawn(envs: &[(&str, &str)]) -> (Child, Client) {
    let exe = std::env::current_exe().unwrap();
    let examples = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples");
    let mut child = Command::new(examples.join("tools_impl"))
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run `cargo build --examples` first");
    let client = Client::new(child.stdout.take().unwrap(), child.stdin.take().unwrap());
    (child, client)
}

#[tokio::test]
async fn methods_share_the_notebook() {
    let (mut child, client) = spawn(&[("NOTEBOOK_MAX_NOTE", "20")]);
    client.initialize().await.unwrap();
    let listed = client.list_tools().await.unwrap();
    let tools = listed["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 3, "{listed}");
    let write = tools.iter().find(|t| t["name"] == "write_note").unwrap();
    assert_eq!(
        write["inputSchema"]["properties"]["text"]["description"],
        "The note's text."
    );

    for text in ["Buy milk", "Call the plumber", "milk the cow"] {
        let written = client
            .call_tool("write_note", json!({"text": text}))
            .await
            .unwrap();
        assert!(!written.is_error(), "{written:?}");
    }
    let too_long = client
        .call_tool("write_note", json!({"text": "x".repeat(21)}))
        .await
        .unwrap();
    assert!(too_long.is_error());
    assert_eq!(
        too_long.content[0].as_text(),
        Some("a note holds at most 20 characters")
    );

    let found = client
        .call_tool("search_notes", json!({"word": "MILK"}))
        .await
        .unwrap();
    let notes = &found.structured_content.as_ref().unwrap()["notes"];
    let ids: Vec<u64> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|note| note["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 3]);
    let count = client.call_tool("count_notes", json!({})).await.unwrap();
    assert_eq!(count.content[0].as_text(), Some("3"));

    client.close().await;
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn the_rate_limit_comes_from_the_struct() {
    // 2 writes per second: the 5th of 5 quick writes starts about 2 s after the first.
    let (mut child, client) = spawn(&[("NOTEBOOK_RATE", "2/s")]);
    let client = client.modern();
    let started = Instant::now();
    let writes = futures_util::future::join_all(
        (0..5).map(|n| client.call_tool("write_note", json!({"text": format!("note {n}")}))),
    )
    .await;
    let elapsed = started.elapsed();
    assert!(writes
        .iter()
        .all(|w| w.as_ref().is_ok_and(|w| !w.is_error())));
    assert!(
        elapsed >= Duration::from_millis(1900),
        "5 writes at 2/s took {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    client.close().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
}
