//! Tools that log with `tracing`, and a subscriber that forwards their events to the client
//! whose request they serve (`ClientLogLayer`, feature `log-forwarding`), beside the usual
//! console output on stderr.
//!
//! `cargo run --example tool_logs` serves stdio. A client that asked for log messages (a legacy
//! `logging/setLevel`, or `io.modelcontextprotocol/logLevel` in a `2026-07-28` request's
//! `_meta`) gets each event at its level or above as a `notifications/message`; `RUST_LOG`
//! (default `warn`) says what stderr shows, independently.

use mcp_toolkit::logging::ClientLogLayer;
use mcp_toolkit::{tool, Server};
use tracing_subscriber::prelude::*;
use tracing_subscriber::{fmt, EnvFilter};

/// Search the catalogue for `query`; returns how many items matched.
#[tool]
async fn search(
    /// What to look for.
    query: String,
    /// The most results to return (at most 100).
    limit: u32,
) -> String {
    tracing::debug!(%query, "searching");
    if limit > 100 {
        tracing::warn!(limit, "limit capped at 100");
    }
    let found = query.len().min(limit.min(100) as usize);
    tracing::info!(%query, found, "search done");
    format!("{found} items")
}

/// Import `rows` rows, logging each at debug (a chatty tool: the client gets at most what it
/// reads, the rest is dropped and counted).
#[tool]
async fn import(
    /// How many rows to import.
    rows: u32,
) -> String {
    tracing::info!(rows, "import started");
    for row in 0..rows {
        tracing::debug!(row, "row imported");
        if row % 10 == 9 {
            // As a real import would, waiting for its database every few rows.
            tokio::task::yield_now().await;
        }
    }
    tracing::info!(rows, "import finished");
    format!("imported {rows} rows")
}

fn main() -> Result<(), mcp_toolkit::Error> {
    // One line for the client's logs; the console layer keeps its own filter (a global one
    // would also hide from the client the events it asked for). stdout carries the protocol.
    tracing_subscriber::registry()
        .with(ClientLogLayer::new())
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into())),
        )
        .init();

    let server = Server::builder("tool-logs", env!("CARGO_PKG_VERSION"))
        .tools([search::tool(), import::tool()]);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(server.serve_stdio())
}
