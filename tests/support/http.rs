//! A raw HTTP/1.1 client for driving a real listening server: it sends exactly the bytes it is
//! given (so tests can send what a client library would refuse to), and reads responses with
//! `Content-Length` or chunked bodies, SSE streams included, event by event.

#![allow(dead_code)] // each test file uses its own part

use std::net::SocketAddr;
use std::time::Duration;

use mcp_toolkit::transport::http::HttpConfig;
use mcp_toolkit::Server;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The `_meta` of a stateless request.
pub const META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

/// A server listening on a loopback port, stopped (gracefully) by `stop`.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), mcp_toolkit::Error>>,
}

impl Running {
    pub async fn start(server: Server, config: HttpConfig) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .serve_http_with(listener, config, async {
                    let _ = stopped.await;
                })
                .await
        });
        Running {
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub async fn connect(&self) -> Conn {
        Conn::open(self.addr).await
    }

    /// Signals shutdown and waits until serving ended.
    pub async fn stop(mut self) -> Result<(), mcp_toolkit::Error> {
        let _ = self.stop.take().unwrap().send(());
        (&mut self.task).await.unwrap()
    }

    pub fn signal_stop(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
    }

    pub async fn stopped(self) -> Result<(), mcp_toolkit::Error> {
        self.task.await.unwrap()
    }
}

/// A response's head and whole body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!("not JSON ({err}): {}", String::from_utf8_lossy(&self.body))
        })
    }

    /// The `data` of every SSE event, as JSON.
    pub fn events(&self) -> Vec<Value> {
        sse_events(&self.body)
            .into_iter()
            .map(|(_, data)| serde_json::from_str(&data).unwrap())
            .collect()
    }

    pub fn error_code(&self) -> i64 {
        self.json()["error"]["code"].as_i64().unwrap()
    }
}

/// `(id, data)` of each event in an SSE body.
pub fn sse_events(body: &[u8]) -> Vec<(Option<String>, String)> {
    let text = String::from_utf8_lossy(body);
    text.split("\n\n")
        .filter_map(|block| {
            let mut id = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(v.to_owned());
                }
            }
            data.map(|d| (id, d))
        })
        .collect()
}

/// One keep-alive connection.
pub struct Conn {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (read, write) = stream.into_split();
        Conn {
            reader: BufReader::new(read),
            writer: write,
        }
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
    }

    /// Sends a POST to `/mcp` with the usual headers plus `extra` (`"Name: value"` each).
    pub async fn post(&mut self, extra: &[&str], body: &str) -> Reply {
        self.send_post(extra, body).await;
        self.read_reply().await
    }

    pub async fn send_post(&mut self, extra: &[&str], body: &str) {
        let mut head = String::from(
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\n",
        );
        for header in extra {
            head.push_str(header);
            head.push_str("\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        self.send_raw(head.as_bytes()).await;
        self.send_raw(body.as_bytes()).await;
    }

    /// Sends a request with any method and headers (the `Host` header is added).
    pub async fn request(&mut self, method: &str, extra: &[&str]) -> Reply {
        let mut head = format!("{method} /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for header in extra {
            head.push_str(header);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        self.send_raw(head.as_bytes()).await;
        self.read_reply().await
    }

    /// A stateless `tools/call`, with the headers the protocol asks for.
    pub async fn call_modern(&mut self, id: u64, tool: &str, arguments: &str) -> Reply {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments},{META}}}}}"#
        );
        let name = format!("Mcp-Name: {tool}");
        self.post(&modern_headers("tools/call", Some(&name)), &body)
            .await
    }

    /// Reads one whole response.
    pub async fn read_reply(&mut self) -> Reply {
        let (status, headers) = self.read_head().await;
        let body = self.read_body(&headers).await;
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn read_head(&mut self) -> (u16, Vec<(String, String)>) {
        let mut line = String::new();
        self.reader.read_line(&mut line).await.unwrap();
        let status: u16 = line
            .split(' ')
            .nth(1)
            .unwrap_or_else(|| panic!("no status line: {line:?}"))
            .parse()
            .unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).await.unwrap();
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            let (name, value) = trimmed.split_once(':').unwrap();
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        (status, headers)
    }

    async fn read_body(&mut self, headers: &[(String, String)]) -> Vec<u8> {
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        if let Some(length) = find("content-length") {
            let mut body = vec![0; length.parse().unwrap()];
            self.reader.read_exact(&mut body).await.unwrap();
            return body;
        }
        if find("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            let mut body = Vec::new();
            while let Some(chunk) = self.read_chunk().await {
                body.extend_from_slice(&chunk);
            }
            return body;
        }
        Vec::new()
    }

    /// The next chunk of a chunked body; `None` at its end.
    pub async fn read_chunk(&mut self) -> Option<Vec<u8>> {
        let mut line = String::new();
        self.reader.read_line(&mut line).await.unwrap();
        let size = usize::from_str_radix(line.trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size line {line:?}"));
        let mut chunk = vec![0; size + 2];
        self.reader.read_exact(&mut chunk).await.unwrap();
        chunk.truncate(size);
        (size > 0).then_some(chunk)
    }

    /// Reads chunks until one holds an SSE event with `data`; returns the events read.
    pub async fn read_events(&mut self) -> Vec<(Option<String>, String)> {
        loop {
            let chunk = self.read_chunk().await.expect("the stream ended");
            let events = sse_events(&chunk);
            if !events.is_empty() {
                return events;
            }
        }
    }

    /// Whether the server closed the connection within `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(wait, self.reader.read(&mut byte)).await,
            Ok(Ok(0) | Err(_))
        )
    }
}

/// The headers of a stateless request for `method` (and `Mcp-Name: ...` when given).
pub fn modern_headers<'a>(method: &str, name: Option<&'a str>) -> Vec<&'a str> {
    let method: &'static str = Box::leak(format!("Mcp-Method: {method}").into_boxed_str());
    let mut headers = vec!["MCP-Protocol-Version: 2026-07-28", method];
    headers.extend(name);
    headers
}

/// An `initialize` body.
pub fn initialize(version: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{version}","capabilities":{{}},"clientInfo":{{"name":"test","version":"1"}}}}}}"#
    )
}

/// Opens a legacy session on `conn`; returns its id.
pub async fn open_session(conn: &mut Conn, version: &str) -> String {
    let reply = conn.post(&[], &initialize(version)).await;
    assert_eq!(
        reply.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&reply.body)
    );
    let session = reply
        .header("mcp-session-id")
        .expect("a session id")
        .to_owned();
    let note = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let header = format!("Mcp-Session-Id: {session}");
    assert_eq!(conn.post(&[&header], note).await.status, 202);
    session
}

/// A legacy `tools/call` body.
pub fn legacy_call(id: u64, tool: &str, arguments: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments}}}}}"#
    )
}
