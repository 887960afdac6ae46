//! A server for memory measurements (issue 9, "Bounded memory"): each tool is one way a client
//! can make a server hold memory. `cargo bench --bench memory` drives its release build and
//! `tests/memory.rs` its debug build, as a separate process over stdio, and read its resident
//! size from `/proc`.
//!
//! `MEMORY_SERVER_CACHE_BYTES=N` sets the server's cache byte budget (default: the runtime's).

use std::time::Duration;

use mcp_toolkit::{tool, RequestContext, Server};

/// The size of each `big` result.
const BIG_BYTES: usize = 1 << 20;

/// Sleep 30 s, then answer: a call that stays in flight.
#[tool]
async fn sleep() -> &'static str {
    tokio::time::sleep(Duration::from_secs(30)).await;
    "slept"
}

/// A 1 MiB text that depends on `n`, cached for an hour: each distinct `n` is one more 1 MiB
/// entry in the cache.
#[tool(cache_ttl = 3600)]
async fn big(n: u64) -> String {
    // `n` in 64 digits, so the text is exactly `BIG_BYTES` long; nothing to escape in JSON, so
    // the debug build serializes it quickly too.
    let unit = format!("{n:064}");
    unit.repeat(BIG_BYTES / unit.len())
}

/// Report progress `count` times as fast as possible, then answer.
#[tool]
async fn chatty(count: u64, ctx: RequestContext) -> String {
    let total = count as f64;
    for i in 1..=count {
        ctx.progress(i as f64, Some(total));
        // A real tool awaits something now and then, which lets the writer send meanwhile.
        if i % 1_000 == 0 {
            tokio::task::yield_now().await;
        }
    }
    format!("reported progress {count} times")
}

/// `MEMORY_SERVER_CACHE_BYTES`, when set.
fn cache_bytes() -> Option<u64> {
    let value = std::env::var("MEMORY_SERVER_CACHE_BYTES").ok()?;
    Some(value.parse().unwrap_or_else(|_| {
        panic!("MEMORY_SERVER_CACHE_BYTES must be a number of bytes, not {value:?}")
    }))
}

// A current-thread runtime, like the other stdio examples: one client per process.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), mcp_toolkit::Error> {
    let mut builder = Server::builder("memory_server", env!("CARGO_PKG_VERSION")).tools([
        sleep::tool(),
        big::tool(),
        chatty::tool(),
    ]);
    if let Some(bytes) = cache_bytes() {
        builder = builder.cache_max_bytes(bytes);
    }
    builder.serve_stdio().await
}
