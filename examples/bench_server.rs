//! A fixed server for load tests, so the same load can be driven against it and against other
//! MCP servers: `cargo build --release --example bench_server`, then drive
//! `target/release/examples/bench_server` over stdio, or over Streamable HTTP with
//! `bench_server --http 127.0.0.1:PORT`.
//!
//! With `--redis redis://HOST:PORT` (or `redis-cluster://HOST:PORT,...`; else the `REDIS_URL`
//! environment variable, when set), instances share that Redis: `cached_square` gets the
//! two-level cache and `limited_add`'s 10 calls a second hold across every instance, so load
//! tests can drive several `bench_server` processes as one deployment.

use std::time::Duration;

use mcp_toolkit::store::redis::Redis;
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

/// Square `k`, saying which process computed it; results are cached for five minutes (in
/// Redis too, with `--redis`: another instance's result comes back with its pid).
#[tool(cache_ttl = 300)]
async fn whose_square(k: i64) -> String {
    format!(
        "{} computed by pid {}",
        k.wrapping_mul(k),
        std::process::id()
    )
}

/// Forget every cached `whose_square` result, in every instance sharing the Redis.
#[tool(destructive)]
async fn forget_squares() -> &'static str {
    if let Some(cache) = whose_square::tool().cache() {
        cache.invalidate_all().await;
    }
    "forgotten"
}

/// Add, at most 10 calls a second (across instances sharing a Redis); a call waits for its
/// turn, 5 s at most.
#[tool(rate_limit = "10/s", timeout = "5s")]
async fn limited_add(a: i64, b: i64) -> i64 {
    a + b
}

/// `bench_server` serves stdio; `bench_server --http 127.0.0.1:PORT` serves Streamable HTTP at
/// `http://127.0.0.1:PORT/mcp`. Either way, `--redis URL` shares a Redis with other instances.
fn main() -> Result<(), mcp_toolkit::Error> {
    let Some(Args { http, redis }) = Args::parse() else {
        eprintln!("usage: bench_server [--http ADDR] [--redis URL]   (or REDIS_URL=URL)");
        std::process::exit(2);
    };
    let mut server = Server::builder("bench_server", env!("CARGO_PKG_VERSION")).tools([
        add::tool(),
        echo::tool(),
        slow_add::tool(),
        divmod::tool(),
        cached_square::tool(),
        limited_add::tool(),
        whose_square::tool(),
        forget_squares::tool(),
    ]);
    if let Some(url) = redis {
        // Nothing connects yet: the server starts (and serves alone) while Redis is down.
        let redis = Redis::new(&url).unwrap_or_else(|err| {
            eprintln!("bench_server: bad Redis URL {url:?}: {err}");
            std::process::exit(2);
        });
        server = server.redis(redis);
    }
    match http {
        // Many connections at once: the multi-thread runtime spreads them over the cores.
        Some(addr) => tokio::runtime::Runtime::new()?.block_on(server.serve_http(addr)),
        // One client per stdio process: a current-thread runtime answers each message with one
        // thread wake-up (the multi-thread runtime wakes a second worker to look for work, about
        // doubling the CPU per call and halving calls/s with one call in flight; see
        // `cargo bench --bench stdio`).
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(server.serve_stdio()),
    }
}

/// The command line: `[--http ADDR] [--redis URL]`, in any order.
struct Args {
    http: Option<String>,
    redis: Option<String>,
}

impl Args {
    /// `None` for anything else.
    fn parse() -> Option<Args> {
        let mut parsed = Args {
            http: None,
            redis: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let slot = match flag.as_str() {
                "--http" => &mut parsed.http,
                "--redis" => &mut parsed.redis,
                _ => return None,
            };
            *slot = Some(args.next()?);
        }
        parsed.redis = parsed.redis.or_else(|| {
            std::env::var("REDIS_URL")
                .ok()
                .filter(|url| !url.is_empty())
        });
        Some(parsed)
    }
}
