//! Transports: stdio (newline-delimited JSON on stdin/stdout) and in-memory.

mod memory;
pub mod stdio;
