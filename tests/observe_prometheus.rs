//! `examples/metrics_prometheus` as a separate process: a known sequence of calls over its
//! stdio, then its `/metrics` page, scraped as Prometheus would.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

/// Starts the example with its metrics on a free loopback port; returns it and that port.
async fn start() -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let exe = std::env::current_exe().unwrap();
    let examples = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples");
    let mut child = Command::new(examples.join("metrics_prometheus"))
        .arg(format!("127.0.0.1:{port}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run `cargo build --examples` first");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.starts_with("metrics_prometheus: metrics at") {
                return;
            }
        }
        panic!("the example exited before serving");
    })
    .await
    .expect("the example says where its metrics are");
    (child, port)
}

/// `/metrics`, parsed: `(name, sorted labels)` → value.
async fn scrape(port: u16) -> HashMap<(String, Vec<String>), f64> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut page = String::new();
    stream.read_to_string(&mut page).await.unwrap();
    let (head, body) = page.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let mut labels: Vec<String> = labels
                .split(',')
                .filter(|l| !l.is_empty())
                .map(|l| l.replace('"', ""))
                .collect();
            labels.sort();
            ((name.to_owned(), labels), value.parse().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn the_calls_made_are_the_calls_scraped() {
    let (mut child, port) = start().await;
    let mut stdin = child.stdin.take().unwrap();
    let mut replies = BufReader::new(child.stdout.take().unwrap()).lines();
    let calls = [
        ("add", r#"{"a":1,"b":2}"#),
        ("add", r#"{"a":3,"b":4}"#),
        ("add", r#"{"a":5,"b":6}"#),
        ("divide", r#"{"a":1,"b":0}"#),
        ("divide", r#"{"a":9,"b":3}"#),
        ("cached_square", r#"{"k":7}"#),
        ("cached_square", r#"{"k":7}"#),
        ("cached_square", r#"{"k":7}"#),
        ("sleep", r#"{"ms":60000}"#),
        ("no_such_tool", "{}"),
    ];
    // One at a time, so the cache's first call is the miss.
    for (id, (tool, arguments)) in calls.iter().enumerate() {
        let line = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments},{META}}}}}"#
        );
        stdin.write_all(line.as_bytes()).await.unwrap();
        stdin.write_all(b"\n").await.unwrap();
        stdin.flush().await.unwrap();
        let reply = tokio::time::timeout(Duration::from_secs(20), replies.next_line())
            .await
            .expect("a reply")
            .unwrap()
            .unwrap();
        let reply: Value = serde_json::from_str(&reply).unwrap();
        assert_eq!(reply["id"], id, "{reply}");
    }

    let got = scrape(port).await;
    let value = |name: &str, labels: &[&str]| {
        let mut labels: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        labels.sort();
        got.get(&(name.to_owned(), labels.clone()))
            .copied()
            .unwrap_or_else(|| panic!("no {name} {labels:?} in {got:#?}"))
    };
    let call = "mcp_method_name=tools/call";
    let tool = |name: &str| format!("gen_ai_tool_name={name}");
    let add = tool("add");
    let divide = tool("divide");
    let cached = tool("cached_square");
    let sleep = tool("sleep");
    assert_eq!(value("mcp_server_requests", &[call, &add]), 3.0);
    assert_eq!(value("mcp_server_requests", &[call, &divide]), 2.0);
    assert_eq!(
        value(
            "mcp_server_errors",
            &[call, &divide, "error_type=tool_error"]
        ),
        1.0
    );
    assert_eq!(value("mcp_server_cache_hits", &[call, &cached]), 2.0);
    assert_eq!(value("mcp_server_cache_misses", &[call, &cached]), 1.0);
    assert_eq!(value("mcp_server_timeouts", &[call, &sleep]), 1.0);
    assert_eq!(
        value("mcp_server_errors", &[call, "error_type=-32602"]),
        1.0
    );
    assert_eq!(value("mcp_server_in_flight", &[call, &add]), 0.0);
    // Latency: a histogram per tool, one observation per call.
    assert_eq!(
        value("mcp_server_operation_duration_count", &[call, &add]),
        3.0
    );
    assert_eq!(
        value(
            "mcp_server_operation_duration_bucket",
            &[call, &sleep, "le=0.05"]
        ),
        0.0,
        "the timed-out call took 100 ms"
    );
    assert_eq!(
        value(
            "mcp_server_operation_duration_bucket",
            &[call, &sleep, "le=+Inf"]
        ),
        1.0
    );

    drop(stdin);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the example stops at end of input")
        .unwrap();
    assert!(status.success());
}
