//! Transports: stdio (newline-delimited JSON on stdin/stdout), Streamable HTTP, and in-memory.

#[cfg(feature = "http")]
pub mod http;
mod memory;
mod shutdown;
pub mod stdio;

pub use shutdown::shutdown_signal;
