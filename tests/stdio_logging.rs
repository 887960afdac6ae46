//! `examples/tool_logs` as a separate process over stdio: its tools' `tracing` events reach the
//! client that asked for them (and stderr, through the console layer beside the forwarding
//! one), and a flood of them stays bounded while the client does not read.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use mcp_toolkit::Client;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

/// `target/<profile>/examples/tool_logs`, which `cargo test` builds with the tests.
fn tool_logs() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir
        .join("examples")
        .join(format!("tool_logs{}", std::env::consts::EXE_SUFFIX))
}

fn spawn() -> Child {
    Command::new(tool_logs())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run `cargo build --examples` first")
}

/// Calls `tool`, with `level` as the request's log level when given; returns the result's text.
async fn call(client: &Client, tool: &str, arguments: Value, level: Option<&str>) -> String {
    let mut params = json!({"name": tool, "arguments": arguments});
    if let Some(level) = level {
        params["_meta"] = json!({"io.modelcontextprotocol/logLevel": level});
    }
    let result = timeout(
        Duration::from_secs(20),
        client.request("tools/call", params),
    )
    .await
    .expect("a reply within 20 s")
    .unwrap();
    result["content"][0]["text"].as_str().unwrap().to_owned()
}

/// The log messages received so far: (level, message, data).
fn received(notifications: &mut UnboundedReceiver<Value>) -> Vec<(String, String, Value)> {
    let mut messages = Vec::new();
    while let Ok(message) = notifications.try_recv() {
        assert_eq!(message["method"], "notifications/message", "{message}");
        let params = &message["params"];
        assert_eq!(params["logger"], "tool_logs", "{message}");
        messages.push((
            params["level"].as_str().unwrap().to_owned(),
            params["data"]["message"].as_str().unwrap().to_owned(),
            params["data"].clone(),
        ));
    }
    messages
}

#[tokio::test]
async fn events_reach_the_client_that_asked_at_its_level_and_stderr_too() {
    let mut child = spawn();
    let mut stderr = child.stderr.take().unwrap();
    let client = Client::new(child.stdout.take().unwrap(), child.stdin.take().unwrap()).modern();
    let mut notifications = client.notifications().unwrap();

    let text = call(
        &client,
        "search",
        json!({"query": "lamps", "limit": 500}),
        Some("info"),
    )
    .await;
    assert_eq!(text, "5 items");
    let messages = received(&mut notifications);
    assert_eq!(
        messages,
        [
            (
                "warning".into(),
                "limit capped at 100".into(),
                json!({"message": "limit capped at 100", "limit": 500})
            ),
            (
                "info".into(),
                "search done".into(),
                json!({"message": "search done", "query": "lamps", "found": 5})
            ),
        ]
    );

    call(&client, "search", json!({"query": "x", "limit": 500}), None).await;
    assert!(received(&mut notifications).is_empty(), "not asked");

    // Two calls in flight on the connection: the import asked for debug, the search for
    // nothing; only the import's events arrive (and every one of them: the client keeps up).
    let (imported, searched) = tokio::join!(
        call(&client, "import", json!({"rows": 300}), Some("debug")),
        call(
            &client,
            "search",
            json!({"query": "chairs", "limit": 500}),
            None
        ),
    );
    assert_eq!(
        (imported.as_str(), searched.as_str()),
        ("imported 300 rows", "6 items")
    );
    let messages = received(&mut notifications);
    let texts: Vec<&str> = messages.iter().map(|(_, text, _)| text.as_str()).collect();
    assert_eq!(texts.len(), 302, "{texts:?}");
    assert_eq!(texts[0], "import started");
    assert!(texts[1..301].iter().all(|text| *text == "row imported"));
    assert_eq!(messages[300].2["row"], 299);
    assert_eq!(texts[301], "import finished");

    // The console layer got the warnings on stderr, independently of the client's level.
    client.close().await;
    let status = timeout(Duration::from_secs(5), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    let mut console = String::new();
    stderr.read_to_string(&mut console).await.unwrap();
    assert_eq!(
        console.matches("limit capped at 100").count(),
        3,
        "{console}"
    );
    assert!(!console.contains("search done"), "{console}");
}

/// Peak resident memory of a process, in KiB.
#[cfg(target_os = "linux")]
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// CPU time a process has used, in clock ticks.
#[cfg(target_os = "linux")]
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // After the command name: state, then utime and stime as the 12th and 13th fields.
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Returns once the process has used no CPU for a second.
#[cfg(target_os = "linux")]
async fn until_idle(pid: u32) {
    let mut last = cpu_ticks(pid);
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = cpu_ticks(pid);
        if now == last {
            return;
        }
        last = now;
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_flood_to_a_client_that_does_not_read_stays_bounded() {
    const ROWS: u32 = 500_000;
    let mut child = spawn();
    let pid = child.id().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "import", "arguments": {"rows": ROWS},
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/logLevel": "debug",
        },
    }});
    stdin
        .write_all(format!("{request}\n").as_bytes())
        .await
        .unwrap();
    // Not reading: what the server has not written waits in its bounded backlog, and what does
    // not fit is dropped and counted, without holding the tool up: the server finishes the
    // call (and goes idle) while nobody reads.
    timeout(Duration::from_secs(120), until_idle(pid))
        .await
        .expect("the server finishes the call while nobody reads");
    let (mut forwarded, mut drop_warnings) = (0u32, Vec::new());
    let reply = timeout(Duration::from_secs(120), async {
        loop {
            let line = stdout.next_line().await.unwrap().expect("the reply");
            if line.contains(r#""logger":"tool_logs""#) {
                forwarded += 1;
            } else if line.contains("were dropped") {
                drop_warnings.push(line);
            } else {
                return line;
            }
        }
    })
    .await
    .expect("the reply within 120 s");
    let reply: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(
        reply["result"]["content"][0]["text"],
        format!("imported {ROWS} rows")
    );
    let peak = peak_rss_kib(pid);
    assert!(
        !drop_warnings.is_empty() && forwarded < ROWS,
        "{forwarded} forwarded, warnings {drop_warnings:?}"
    );
    let dropped: u64 = drop_warnings
        .iter()
        .map(|line| {
            let message: Value = serde_json::from_str(line).unwrap();
            let text = message["params"]["data"].as_str().unwrap().to_owned();
            text.split(' ').next().unwrap().parse::<u64>().unwrap()
        })
        .sum();
    assert_eq!(
        u64::from(forwarded) + dropped,
        u64::from(ROWS) + 2,
        "every event was either sent or counted"
    );
    // 500,000 messages of about 130 bytes would be 62 MiB; the backlog is capped at 16 MiB.
    eprintln!("{forwarded} forwarded, {dropped} dropped, peak RSS {peak} KiB");
    assert!(peak < 48 * 1024, "peak RSS {peak} KiB");
    drop(stdin);
    let status = timeout(Duration::from_secs(5), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
}
