//! A small MCP client over any byte stream: for tests, benchmarks and in-process use.
//!
//! It speaks both eras: [`Client::initialize`] performs the legacy handshake;
//! [`Client::modern`] instead puts the `2026-07-28` `_meta` on every request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

use crate::protocol::content::CallToolResult;
use crate::protocol::jsonrpc::{ErrorObject, INTERNAL_ERROR};
use crate::protocol::messages::meta_keys;
use crate::protocol::version::{LEGACY_VERSIONS, MODERN_VERSION};

type Reply = Result<Value, ErrorObject>;
type BoxWriter = Box<dyn AsyncWrite + Send + Unpin>;

/// An MCP client connection.
///
/// ```
/// # use mcp_toolkit::{tool, Server};
/// /// Add two numbers.
/// #[tool]
/// async fn add(a: i64, b: i64) -> i64 { a + b }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = Server::builder("calc", "1.0").tool(add::tool()).build().unwrap();
/// let client = server.connect_in_memory().modern();
/// let result = client.call_tool("add", serde_json::json!({"a": 2, "b": 3})).await.unwrap();
/// assert_eq!(result.content[0].as_text(), Some("5"));
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    /// `None` once closed.
    writer: tokio::sync::Mutex<Option<BoxWriter>>,
    pending: Mutex<HashMap<i64, oneshot::Sender<Reply>>>,
    next_id: AtomicI64,
    modern: AtomicBool,
    notifications: Mutex<Option<mpsc::UnboundedReceiver<Value>>>,
}

impl Client {
    /// A client reading replies from `reader` and writing requests to `writer`.
    /// Spawns a task (on the current tokio runtime) that reads replies.
    pub fn new<R, W>(reader: R, writer: W) -> Self
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let (notify_tx, notify_rx) = mpsc::unbounded_channel();
        let inner = Arc::new(ClientInner {
            writer: tokio::sync::Mutex::new(Some(Box::new(writer))),
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicI64::new(1),
            modern: AtomicBool::new(false),
            notifications: Mutex::new(Some(notify_rx)),
        });
        tokio::spawn(read_replies(Arc::downgrade(&inner), reader, notify_tx));
        Client { inner }
    }

    /// Switches to the stateless `2026-07-28` protocol: every request carries its `_meta`.
    #[must_use]
    pub fn modern(self) -> Self {
        self.inner.modern.store(true, Ordering::Relaxed);
        self
    }

    /// Performs the legacy handshake (`initialize` + `notifications/initialized`) and returns
    /// the server's `initialize` result.
    ///
    /// # Errors
    /// The server's error reply.
    pub async fn initialize(&self) -> Result<Value, ErrorObject> {
        self.inner.modern.store(false, Ordering::Relaxed);
        let result = self
            .request(
                "initialize",
                json!({
                    "protocolVersion": LEGACY_VERSIONS[0],
                    "capabilities": {},
                    "clientInfo": {"name": "mcp-runtime-client", "version": env!("CARGO_PKG_VERSION")},
                }),
            )
            .await?;
        self.notify("notifications/initialized", json!({})).await;
        Ok(result)
    }

    /// Sends a request and waits for its reply. In modern mode the `_meta` fields are added.
    ///
    /// # Errors
    /// The server's error reply, or `-32603` when the connection closed first.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, ErrorObject> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        self.request_with_id(id, method, params).await
    }

    /// Like [`Client::request`], with an id chosen by the caller (to cancel it later).
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn request_with_id(
        &self,
        id: i64,
        method: &str,
        params: Value,
    ) -> Result<Value, ErrorObject> {
        let (tx, rx) = oneshot::channel();
        self.inner
            .pending
            .lock()
            .expect("client lock")
            .insert(id, tx);
        let params = self.with_meta(params);
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        rx.await
            .unwrap_or_else(|_| Err(ErrorObject::new(INTERNAL_ERROR, "the connection closed")))
    }

    /// Allocates a request id for [`Client::request_with_id`].
    pub fn next_id(&self) -> i64 {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends a notification.
    pub async fn notify(&self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// Sends one raw line (a newline is added).
    pub async fn send_raw(&self, line: &str) {
        let mut writer = self.inner.writer.lock().await;
        let Some(writer) = writer.as_mut() else {
            return;
        };
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        if writer.write_all(&bytes).await.is_ok() {
            let _ = writer.flush().await;
        }
    }

    /// Closes the writing side: the server sees end of input. Later sends are dropped.
    pub async fn close(&self) {
        if let Some(mut writer) = self.inner.writer.lock().await.take() {
            let _ = writer.shutdown().await;
        }
    }

    /// Takes the stream of notifications the server sent (once).
    pub fn notifications(&self) -> Option<mpsc::UnboundedReceiver<Value>> {
        self.inner.notifications.lock().expect("client lock").take()
    }

    /// `tools/list` (first page).
    ///
    /// # Errors
    /// The server's error reply.
    pub async fn list_tools(&self) -> Result<Value, ErrorObject> {
        self.request("tools/list", json!({})).await
    }

    /// `tools/call`.
    ///
    /// # Errors
    /// The server's error reply, or `-32603` if the result is not a `CallToolResult`.
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<CallToolResult, ErrorObject> {
        let result = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await?;
        serde_json::from_value(result)
            .map_err(|err| ErrorObject::new(INTERNAL_ERROR, err.to_string()))
    }

    fn with_meta(&self, params: Value) -> Value {
        if !self.inner.modern.load(Ordering::Relaxed) {
            return params;
        }
        let mut params = match params {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let meta = params.entry("_meta").or_insert_with(|| json!({}));
        if let Value::Object(meta) = meta {
            meta.entry(meta_keys::PROTOCOL_VERSION)
                .or_insert_with(|| json!(MODERN_VERSION));
            meta.entry(meta_keys::CLIENT_CAPABILITIES)
                .or_insert_with(|| json!({}));
            meta.entry(meta_keys::CLIENT_INFO).or_insert_with(
                || json!({"name": "mcp-runtime-client", "version": env!("CARGO_PKG_VERSION")}),
            );
        }
        Value::Object(params)
    }

    async fn send(&self, message: &Value) {
        self.send_raw(&message.to_string()).await;
    }
}

async fn read_replies<R: AsyncRead + Unpin>(
    inner: std::sync::Weak<ClientInner>,
    reader: R,
    notifications: mpsc::UnboundedSender<Value>,
) {
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            tracing::warn!("client: unreadable line from the server: {line}");
            continue;
        };
        let Some(inner) = inner.upgrade() else { return };
        let id = message.get("id").and_then(Value::as_i64);
        let sender = id.and_then(|id| inner.pending.lock().expect("client lock").remove(&id));
        match sender {
            Some(sender) => {
                let reply = match message.get("error") {
                    Some(error) => Err(serde_json::from_value(error.clone())
                        .unwrap_or_else(|_| ErrorObject::new(INTERNAL_ERROR, error.to_string()))),
                    None => Ok(message.get("result").cloned().unwrap_or(Value::Null)),
                };
                let _ = sender.send(reply);
            }
            None => {
                let _ = notifications.send(message);
            }
        }
    }
    if let Some(inner) = inner.upgrade() {
        inner.pending.lock().expect("client lock").clear();
    }
}
