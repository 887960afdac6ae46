//! Graceful shutdown of the quickstart process: on SIGTERM, over stdio and over HTTP, a call in
//! flight is still answered and the process exits 0.
#![cfg(unix)]

#[path = "support/http.rs"]
mod support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::timeout;

fn quickstart() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir
        .join("examples")
        .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX))
}

fn terminate(child: &Child) {
    let pid = child.id().expect("running") as libc::pid_t;
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
}

async fn exits_zero(mut child: Child) {
    let status = timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("the server did not exit after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}

/// A countdown of half a second, so SIGTERM comes while it runs.
const COUNTDOWN: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"countdown","arguments":{"from":5,"step_ms":100},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;

#[tokio::test]
async fn stdio_answers_the_call_in_flight_on_sigterm_and_exits_zero() {
    let mut child = Command::new(quickstart())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run `cargo build --examples` first");
    // The client keeps stdin open: only the signal can end the server.
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdin
        .write_all(format!("{COUNTDOWN}\n").as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    terminate(&child);
    let mut line = String::new();
    timeout(Duration::from_secs(10), stdout.read_line(&mut line))
        .await
        .expect("no reply after SIGTERM")
        .unwrap();
    let reply: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(reply["id"], 7);
    assert_eq!(reply["result"]["content"][0]["text"], "counted down from 5");
    exits_zero(child).await;
}

#[tokio::test]
async fn http_answers_the_call_in_flight_on_sigterm_and_exits_zero() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new(quickstart())
        .args(["--http", &addr.to_string()])
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("run `cargo build --examples` first");
    let mut conn = None;
    for _ in 0..200 {
        if let Ok(stream) = tokio::net::TcpStream::connect(addr).await {
            drop(stream);
            conn = Some(support::Conn::open(addr).await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut conn = conn.expect("the server never listened");
    let headers = support::modern_headers("tools/call", Some("Mcp-Name: countdown"));
    conn.send_post(&headers, COUNTDOWN).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    terminate(&child);
    let reply = timeout(Duration::from_secs(10), conn.read_reply())
        .await
        .expect("no reply after SIGTERM");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json()["result"]["content"][0]["text"],
        "counted down from 5"
    );
    exits_zero(child).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
