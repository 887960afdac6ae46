//! The limit a Streamable HTTP server is measured against (`cargo bench --bench http`): a bare
//! hyper server, built as `bench_server --http` builds its own (hyper-util's auto builder on a
//! multi-thread runtime, `TCP_NODELAY`), that answers every POST with a canned `tools/call`
//! result of the real `add` reply's shape and length, copying the request's id into it. It
//! parses no JSON: it finds the id with a byte search, as `echo_limit` does.
//!
//! `http_limit --http 127.0.0.1:PORT`; the path is not checked.
//!
//! - A request with `MCP-Protocol-Version: 2026-07-28` gets the stateless era's reply
//!   (`resultType` and `serverInfo` included); any other, the legacy era's shorter one.
//! - An `initialize` gets a canned result and an `Mcp-Session-Id` header.
//! - A message without an id (a notification) gets 202 and no body.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

const BEFORE_ID: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":";
/// What follows the id in `bench_server`'s reply to a stateless `add`.
const MODERN_AFTER_ID: &[u8] = b",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"3\"}],\"structuredContent\":{\"result\":3},\"resultType\":\"complete\",\"_meta\":{\"io.modelcontextprotocol/serverInfo\":{\"name\":\"bench_server\",\"version\":\"0.1.0\"}}}}";
/// ... and in a session.
const LEGACY_AFTER_ID: &[u8] =
    b",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"3\"}],\"structuredContent\":{\"result\":3}}}";
const INITIALIZE_AFTER_ID: &[u8] = b",\"result\":{\"capabilities\":{\"tools\":{}},\"protocolVersion\":\"2025-11-25\",\"serverInfo\":{\"name\":\"http_limit\",\"version\":\"0.1.0\"}}}";
const SESSION_ID: &str = "00000000000000000000000000000001";

const ID_KEY: &[u8] = b"\"id\":";

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let modern = request
        .headers()
        .get("mcp-protocol-version")
        .is_some_and(|v| v == "2026-07-28");
    let Ok(body) = request.into_body().collect().await else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    let body = body.to_bytes();
    // The first `"id":` is the request's (drivers put it before the params); its value runs to
    // the next `,` or `}`. None: a notification.
    let Some(at) = memchr::memmem::find(&body, ID_KEY) else {
        return Ok(status(StatusCode::ACCEPTED));
    };
    let value = &body[at + ID_KEY.len()..];
    let id = &value[..memchr::memchr2(b',', b'}', value).unwrap_or(value.len())];
    let initialize = memchr::memmem::find(&body, b"\"method\":\"initialize\"").is_some();
    let after = if initialize {
        INITIALIZE_AFTER_ID
    } else if modern {
        MODERN_AFTER_ID
    } else {
        LEGACY_AFTER_ID
    };
    let mut reply = Vec::with_capacity(BEFORE_ID.len() + id.len() + after.len());
    reply.extend_from_slice(BEFORE_ID);
    reply.extend_from_slice(id);
    reply.extend_from_slice(after);
    let mut response = Response::new(Full::new(Bytes::from(reply)));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if initialize {
        headers.insert("mcp-session-id", HeaderValue::from_static(SESSION_ID));
    }
    Ok(response)
}

fn status(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = match (args.next().as_deref(), args.next()) {
        (Some("--http"), Some(addr)) => addr,
        _ => {
            eprintln!("usage: http_limit --http ADDR");
            std::process::exit(2);
        }
    };
    tokio::runtime::Runtime::new()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let builder = auto::Builder::new(TokioExecutor::new());
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service_fn(answer))
                .into_owned();
            tokio::spawn(async move {
                let _ = connection.await;
            });
        }
    })
}
