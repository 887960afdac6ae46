use mcp_toolkit::tool;

const TIMEOUT_SECS: u64 = 5;
const LIMIT: &str = "8";
const RATE: u32 = 10;

/// Look up.
#[tool(timeout = TIMEOUT_SECS, concurrency = LIMIT, rate_limit = RATE)]
async fn lookup(id: u64) -> u64 {
    id
}

fn main() {}
