//! A Streamable HTTP endpoint: one POST per call, on keep-alive HTTP/1.1 connections.
//!
//! Modern era: every POST carries `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers
//! mirroring its body's `_meta` and method. Legacy era: `initialize` opens one session whose
//! `Mcp-Session-Id` (and the negotiated version) every later POST carries; closing the target
//! ends it with `DELETE`. A reply comes as `application/json`, or as an SSE stream whose events
//! may hold notifications before the reply.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::outcome;
use crate::era::{self, Era, MODERN_VERSION};
use crate::reply::{classify, excerpt, Message, ReplyId, Verdict};
use crate::stats::{ErrorKind, Outcome};

/// What every connection to the endpoint shares.
pub struct HttpEndpoint {
    addr: SocketAddr,
    host: HeaderValue,
    path: String,
    era: Era,
    /// `MCP-Protocol-Version`: the modern version, or the one `initialize` negotiated.
    version: HeaderValue,
    /// The legacy session.
    session: Option<HeaderValue>,
    /// `--header`s.
    extra: Vec<(HeaderName, HeaderValue)>,
    pid: Option<u32>,
}

impl HttpEndpoint {
    /// Resolves `url`, checks that it answers, and opens the legacy session when `era` needs
    /// one.
    pub async fn open(
        url: &str,
        pid: Option<u32>,
        headers: &[String],
        era: Era,
        timeout: Duration,
    ) -> Result<Rc<HttpEndpoint>, String> {
        let extra = headers
            .iter()
            .map(|header| parse_header(header))
            .collect::<Result<Vec<_>, _>>()?;
        let uri: Uri = url.parse().map_err(|err| format!("{url:?}: {err}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("{url:?}: only http:// URLs are supported"));
        }
        let authority = uri.authority().ok_or_else(|| format!("{url:?}: no host"))?;
        let port = authority.port_u16().unwrap_or(80);
        let addr = tokio::net::lookup_host((authority.host(), port))
            .await
            .map_err(|err| format!("{url:?}: {err}"))?
            .next()
            .ok_or_else(|| format!("{url:?}: the host has no address"))?;
        let mut endpoint = HttpEndpoint {
            addr,
            host: HeaderValue::from_str(authority.as_str()).map_err(|err| err.to_string())?,
            path: uri
                .path_and_query()
                .map_or("/".into(), |path| path.as_str().to_owned()),
            era,
            version: HeaderValue::from_static(MODERN_VERSION),
            session: None,
            extra,
            pid,
        };
        if era == Era::Legacy {
            let opening = endpoint.initialize();
            match tokio::time::timeout(timeout, opening).await {
                Ok(result) => result?,
                Err(_) => return Err(format!("no reply to initialize in {timeout:?}")),
            }
        }
        Ok(Rc::new(endpoint))
    }

    /// The server's process, when given.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// `initialize`, then `notifications/initialized`, on a connection of their own.
    async fn initialize(&mut self) -> Result<(), String> {
        let mut sender = connect(self.addr).await?;
        let body = era::initialize_request().into_bytes();
        let response = sender
            .send_request(self.request(Method::POST, "initialize", None, body))
            .await
            .map_err(|err| format!("initialize: {err}"))?;
        let session = response.headers().get("mcp-session-id").cloned();
        let status = response.status();
        let message = read_message(response).await?;
        if !status.is_success() {
            return Err(format!("initialize: HTTP {status}: {}", excerpt(&message)));
        }
        let version = era::negotiated_version(&message)?;
        self.version = HeaderValue::from_str(&version).map_err(|err| err.to_string())?;
        self.session = session;
        let body = era::INITIALIZED.as_bytes().to_vec();
        let request = self.request(Method::POST, "notifications/initialized", None, body);
        let response = sender
            .send_request(request)
            .await
            .map_err(|err| format!("notifications/initialized: {err}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "notifications/initialized: HTTP {}",
                response.status()
            ));
        }
        Ok(())
    }

    /// A request to the endpoint with the era's headers.
    fn request(
        &self,
        method: Method,
        mcp_method: &str,
        tool: Option<&str>,
        body: Vec<u8>,
    ) -> Request<Full<Bytes>> {
        let mut request = Request::builder()
            .method(method)
            .uri(&self.path)
            .header(HOST, self.host.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream");
        // Before `initialize` has answered, a legacy request names no version.
        if self.era == Era::Modern || mcp_method != "initialize" {
            request = request.header("mcp-protocol-version", self.version.clone());
        }
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session.clone());
        }
        for (name, value) in &self.extra {
            request = request.header(name, value.clone());
        }
        if self.era == Era::Modern {
            request = request.header("mcp-method", mcp_method);
            if let Some(tool) = tool.and_then(|tool| HeaderValue::from_str(tool).ok()) {
                request = request.header("mcp-name", tool);
            }
        }
        request
            .body(Full::new(Bytes::from(body)))
            .expect("a valid request")
    }

    /// Ends the legacy session (the server would expire it anyway).
    pub async fn close(self: Rc<Self>) {
        if self.session.is_none() {
            return;
        }
        let delete = async {
            let mut sender = connect(self.addr).await?;
            let request = self.request(Method::DELETE, "", None, Vec::new());
            sender
                .send_request(request)
                .await
                .map_err(|err| err.to_string())
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), delete).await;
    }
}

/// One keep-alive connection, opened on first use and again after a failure.
pub struct HttpConn {
    endpoint: Rc<HttpEndpoint>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl HttpConn {
    /// A connection to `endpoint`, not yet open.
    pub fn new(endpoint: Rc<HttpEndpoint>) -> HttpConn {
        HttpConn {
            endpoint,
            sender: None,
        }
    }

    /// POSTs one call and reads its reply.
    pub async fn call(&mut self, id: u64, body: Vec<u8>, tool: &str, timeout: Duration) -> Outcome {
        match tokio::time::timeout(timeout, self.exchange(id, body, tool)).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(why)) => {
                self.sender = None;
                Outcome::Error(ErrorKind::Transport, why)
            }
            Err(_) => {
                // The reply may still come on this connection: start afresh.
                self.sender = None;
                Outcome::Error(
                    ErrorKind::Timeout,
                    format!("no reply to id {id} within {timeout:?}"),
                )
            }
        }
    }

    async fn exchange(&mut self, id: u64, body: Vec<u8>, tool: &str) -> Result<Outcome, String> {
        // A keep-alive connection the server closed is replaced.
        if let Some(sender) = &mut self.sender {
            if sender.ready().await.is_err() {
                self.sender = None;
            }
        }
        let sender = match &mut self.sender {
            Some(sender) => sender,
            None => self.sender.insert(connect(self.endpoint.addr).await?),
        };
        let request = self
            .endpoint
            .request(Method::POST, "tools/call", Some(tool), body);
        let response = sender
            .send_request(request)
            .await
            .map_err(|err| format!("HTTP: {err}"))?;
        let status = response.status();
        let message = read_message(response).await?;
        let success = status.is_success();
        let transport = || {
            Outcome::Error(
                ErrorKind::Transport,
                format!("HTTP {status}: {}", excerpt(&message)),
            )
        };
        Ok(match classify(&message) {
            Message::Reply { id: got, verdict } => {
                let theirs = got == ReplyId::Number(id);
                match verdict {
                    // An error names no id (null) when the server could not read the request's.
                    Verdict::RpcError(code) if theirs || got == ReplyId::Null => {
                        Outcome::RpcError(code)
                    }
                    _ if !success => transport(),
                    _ if theirs => outcome(verdict, &message),
                    _ => Outcome::Error(
                        ErrorKind::WrongId,
                        format!("the reply to id {id} names another: {}", excerpt(&message)),
                    ),
                }
            }
            _ if !success => transport(),
            Message::Unreadable(why) => Outcome::Error(ErrorKind::Malformed, why),
            Message::Unsolicited => Outcome::Error(
                ErrorKind::Malformed,
                format!(
                    "a message of the server's own, not a reply: {}",
                    excerpt(&message)
                ),
            ),
        })
    }
}

/// `Name: value` as a header.
fn parse_header(header: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = header
        .split_once(':')
        .ok_or_else(|| format!("--header {header:?}: not `Name: value`"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|err| format!("--header {header:?}: {err}"))?;
    let value =
        HeaderValue::from_str(value.trim()).map_err(|err| format!("--header {header:?}: {err}"))?;
    Ok((name, value))
}

/// A new HTTP/1.1 connection, its driver spawned on the current `LocalSet`.
async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|err| format!("cannot connect to {addr}: {err}"))?;
    // Each request is one write: without this, one would wait on a delayed ACK.
    stream
        .set_nodelay(true)
        .map_err(|err| format!("{addr}: {err}"))?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| format!("{addr}: {err}"))?;
    tokio::task::spawn_local(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// The reply in a response: its JSON body, or the first reply among its SSE events.
async fn read_message(response: Response<Incoming>) -> Result<Vec<u8>, String> {
    let sse = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    let mut body = response.into_body();
    if !sse {
        let bytes = body
            .collect()
            .await
            .map_err(|err| format!("reading the body: {err}"))?;
        return Ok(bytes.to_bytes().to_vec());
    }
    let mut events = SseEvents::default();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| format!("reading the event stream: {err}"))?;
        if let Some(data) = frame.data_ref() {
            if let Some(reply) = events.push(data) {
                return Ok(reply);
            }
        }
    }
    Ok(format!(
        "the event stream ended without a reply (after {} bytes)",
        events.seen
    )
    .into_bytes())
}

/// Server-sent events, cut as they arrive.
#[derive(Default)]
struct SseEvents {
    buffer: Vec<u8>,
    seen: usize,
}

impl SseEvents {
    /// Adds bytes; returns the data of the first event that is a reply, once one is complete.
    fn push(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        self.seen += bytes.len();
        // Line ends may be CRLF; events end at a blank line.
        self.buffer
            .extend(bytes.iter().copied().filter(|&b| b != b'\r'));
        while let Some(end) = memchr::memmem::find(&self.buffer, b"\n\n") {
            let event: Vec<u8> = self.buffer.drain(..end + 2).collect();
            let mut data = Vec::new();
            for line in event.split(|&b| b == b'\n') {
                if let Some(value) = line.strip_prefix(b"data:") {
                    if !data.is_empty() {
                        data.push(b'\n');
                    }
                    data.extend_from_slice(value.strip_prefix(b" ").unwrap_or(value));
                }
            }
            if !data.is_empty() && !matches!(classify(&data), Message::Unsolicited) {
                return Some(data);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_or_say_why() {
        let (name, value) = parse_header("Authorization:  Bearer abc ").unwrap();
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("authorization", "Bearer abc")
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: x").is_err());
    }

    #[test]
    fn sse_skips_notifications_and_finds_the_reply() {
        let mut events = SseEvents::default();
        let stream = b"id: 1\r\nevent: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\r\n\r\n:keep-alive\n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\n";
        assert_eq!(events.push(stream), None);
        let reply = events
            .push(b"data: \"result\":{\"content\":[]}}\n\n")
            .unwrap();
        assert_eq!(
            classify(&reply),
            Message::Reply {
                id: ReplyId::Number(3),
                verdict: Verdict::Ok
            }
        );
    }
}
