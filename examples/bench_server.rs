//! A fixed server for load tests, so the same load can be driven against it and against other
//! MCP servers: `cargo build --release --example bench_server`, then drive
//! `target/release/examples/bench_server` over stdio, or over Streamable HTTP with
//! `bench_server --http 127.0.0.1:PORT`.

use std::time::Duration;

use mcp_toolkit::{tool, Server};

/// Add two integers; the sum comes back as text.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Return the text unchanged.
#[tool]
async fn echo(text: String) -> String {
    text
}

/// Sleep 1 ms, then add.
#[tool]
async fn slow_add(a: i64, b: i64) -> i64 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    a + b
}

/// Quotient and remainder.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct DivMod {
    quotient: i64,
    remainder: i64,
}

/// Divide `a` by `b` (not zero); the result is structured. Yields to the runtime once first, so
/// the call is not finished on its first poll: the path of tools that await I/O.
#[tool]
async fn divmod(a: i64, b: i64) -> Result<DivMod, String> {
    tokio::task::yield_now().await;
    match (a.checked_div(b), a.checked_rem(b)) {
        (Some(quotient), Some(remainder)) => Ok(DivMod {
            quotient,
            remainder,
        }),
        _ => Err(format!("cannot divide {a} by {b}")),
    }
}

/// Square `k`; results are cached for five minutes.
#[tool(cache_ttl = 300)]
async fn cached_square(k: i64) -> i64 {
    k.wrapping_mul(k)
}

/// `bench_server` serves stdio; `bench_server --http 127.0.0.1:PORT` serves Streamable HTTP at
/// `http://127.0.0.1:PORT/mcp`.
fn main() -> Result<(), mcp_toolkit::Error> {
    let server = Server::builder("bench_server", env!("CARGO_PKG_VERSION")).tools([
        add::tool(),
        echo::tool(),
        slow_add::tool(),
        divmod::tool(),
        cached_square::tool(),
    ]);
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        // Many connections at once: the multi-thread runtime spreads them over the cores.
        (Some("--http"), Some(addr)) => {
            tokio::runtime::Runtime::new()?.block_on(server.serve_http(addr))
        }
        // One client per stdio process: a current-thread runtime answers each message with one
        // thread wake-up (the multi-thread runtime wakes a second worker to look for work, about
        // doubling the CPU per call and halving calls/s with one call in flight; see
        // `cargo bench --bench stdio`).
        (None, _) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(server.serve_stdio()),
        _ => {
            eprintln!("usage: bench_server [--http ADDR]");
            std::process::exit(2);
        }
    }
}
