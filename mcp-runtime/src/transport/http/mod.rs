//! Streamable HTTP: the same [`Server`] over HTTP, both eras on one endpoint.
//!
//! - **`2026-07-28`, stateless**: every message is one POST carrying its protocol version and
//!   capabilities in `_meta`, mirrored into the `MCP-Protocol-Version`, `Mcp-Method` and
//!   `Mcp-Name` headers (checked against the body). No sessions: any instance can answer any
//!   request, so N instances behind any load balancer just work.
//! - **`2025-11-25` and earlier**: `initialize` opens a session (`Mcp-Session-Id`, 128 random
//!   bits); later requests carry it; `DELETE` ends it. Sessions expire when idle and are capped in
//!   number. A call's SSE events carry ids and are kept (bounded) in an [`EventStore`], so a
//!   client whose stream broke resumes with `GET` and `Last-Event-ID`. A server built with
//!   `ServerBuilder::redis` (feature `redis`) keeps its sessions and their events in Redis too,
//!   so any of its instances can serve a session's requests, its `DELETE`, its resumes, and the
//!   client's answers to requests a call sent it: no load-balancer affinity needed.
//!
//! A call answers `application/json` when it sends nothing before its result, and an SSE stream
//! (`text/event-stream`) once it sends a progress or log notification first. In the stateless
//! era a client that closes the stream cancels the call; in the legacy era the call runs on and
//! its events wait for a resume (the protocol says a disconnect is not a cancellation there).
//!
//! Hardened by default: bound to loopback unless told otherwise, `Host` and `Origin` checked
//! against loopback names (DNS rebinding), a body size limit, header and body read timeouts, a
//! cap on connections and on calls in flight per session.
//!
//! ```no_run
//! use mcp_toolkit::{tool, Server};
//!
//! /// Add two numbers.
//! #[tool]
//! async fn add(a: i64, b: i64) -> i64 {
//!     a + b
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), mcp_toolkit::Error> {
//!     Server::builder("calculator", "1.0.0")
//!         .tool(add::tool())
//!         .serve_http("127.0.0.1:3000") // http://127.0.0.1:3000/mcp
//!         .await
//! }
//! ```
//!
//! To mount the endpoint in an axum or hyper stack of your own (behind your own auth, tracing
//! or CORS layers), take [`Server::http_service`]: a tower `Service<http::Request<B>>`.
//!
//! [`Server`]: crate::Server
//! [`Server::http_service`]: crate::Server::http_service

mod body;
mod config;
mod event_store;
mod guard;
mod response;
mod serve;
mod service;
mod session;
#[cfg(feature = "redis")]
mod shared;
mod sse;

pub use body::HttpBody;
pub use config::HttpConfig;
pub use event_store::{EventId, EventStore, MemoryEventStore, ReplayFuture, StoredEvent};
pub use service::StreamableHttpService;
