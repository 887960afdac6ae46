use mcp_toolkit::tool;

#[tool(cache_ttl = 60, cache_max_bytes = 0)]
async fn square(k: i64) -> i64 {
    k * k
}

fn main() {}
