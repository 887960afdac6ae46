//! The runtime behind [mcp-toolkit](https://docs.rs/mcp-toolkit): the Model Context Protocol
//! wire format, a dual-era server (the stateless `2026-07-28` revision and the
//! `initialize`-based ones), tools as tower services, and the stdio and in-memory transports.
//!
//! Most users depend on `mcp-toolkit`, which re-exports this crate with the `#[tool]` macro.

#![warn(missing_docs)]

pub mod bench;
mod client;
pub mod completion;
pub mod context;
pub mod layer;
mod log_scope;
#[cfg(feature = "log-forwarding")]
pub mod logging;
pub mod observe;
#[doc(hidden)]
pub mod private;
/// What generated code names when `#[tool(crate = "mcp_runtime")]` points it here.
#[doc(hidden)]
pub use private as __private;
pub mod prompt;
pub mod protocol;
pub mod resource;
mod server;
pub mod store;
mod sync;
mod tool;
pub mod transport;

pub use client::Client;
pub use context::RequestContext;
pub use prompt::Prompt;
pub use protocol::content::{CallToolResult, Content};
pub use protocol::jsonrpc::ErrorObject;
pub use protocol::messages::{Implementation, LogLevel, ToolAnnotations};
pub use resource::Resource;
/// Checks for the fuzz targets in `fuzz/`: not API.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub use server::fuzzing;
pub use server::{BuildError, Error, Server, ServerBuilder};
pub use tool::schema;
pub use tool::{
    is_valid_tool_name, Args, BoxError, CacheKey, ContentStream, FromToolCall, IntoToolResult,
    Json, SharedState, State, StateRequirement, Tool, ToolCall, ToolDef, ToolService,
};
#[doc(hidden)]
pub use tool::{
    OutputKind, OutputMode, ViaFallback, ViaIntoToolResult, ViaSerialize, ViaSerializeResult,
    ViaStream,
};
