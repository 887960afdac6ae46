use mcp_toolkit::tool;

#[tool(cache_ttl = 300, cache_lock = "0s")]
async fn square(k: i64) -> i64 {
    k * k
}

fn main() {}
