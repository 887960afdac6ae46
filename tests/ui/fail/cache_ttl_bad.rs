use mcp_toolkit::tool;

#[tool(cache_ttl = "soon")]
async fn square(k: i64) -> i64 {
    k * k
}

fn main() {}
