//! `examples/http_auth` as a separate process: the MCP endpoint mounted in an axum router
//! behind a bearer-token layer.

#[path = "support/http.rs"]
mod support;

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use support::{modern_headers, Conn, META};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Starts the example on a free port; returns it with the address it serves.
async fn start(token: &str) -> (Child, SocketAddr) {
    let exe = std::env::current_exe().unwrap();
    let examples = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples");
    let mut child = Command::new(examples.join("http_auth"))
        .arg("127.0.0.1:0")
        .env("MCP_TOKEN", token)
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run `cargo build --examples` first");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("http_auth: serving http://") {
                return rest.trim_end_matches("/mcp").parse().unwrap();
            }
        }
        panic!("the example exited before serving");
    })
    .await
    .expect("the example says where it serves");
    (child, addr)
}

async fn call_add(conn: &mut Conn, auth: Option<&str>) -> support::Reply {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"add","arguments":{{"a":1,"b":2}},{META}}}}}"#
    );
    let mut headers = modern_headers("tools/call", Some("Mcp-Name: add"));
    let auth = auth.map(|token| format!("Authorization: Bearer {token}"));
    headers.extend(auth.as_deref());
    conn.post(&headers, &body).await
}

#[tokio::test]
async fn only_requests_with_the_token_reach_the_tools() {
    let (_child, addr) = start("test-token-1234").await;
    // A refused request's body goes unread, so hyper closes its connection: one each.
    let refused = call_add(&mut Conn::open(addr).await, None).await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.header("www-authenticate"),
        Some(r#"Bearer realm="mcp""#)
    );

    let wrong = call_add(&mut Conn::open(addr).await, Some("test-token-1235")).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));

    let mut conn = Conn::open(addr).await;
    let answered = call_add(&mut conn, Some("test-token-1234")).await;
    assert_eq!(
        answered.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&answered.body)
    );
    assert_eq!(answered.json()["result"]["content"][0]["text"], "3");

    // The health route is outside the auth layer.
    conn.send_raw(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await;
    let health = conn.read_reply().await;
    assert_eq!((health.status, &health.body[..]), (200, &b"ok\n"[..]));
}
