//! The wire protocol: JSON-RPC framing, versions, and MCP message types.

pub mod content;
pub mod jsonrpc;
pub mod messages;
pub mod version;
