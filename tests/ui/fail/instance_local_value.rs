use mcp_toolkit::tool;

#[tool(cache_ttl = 300, instance_local = "yes")]
async fn square(k: i64) -> i64 {
    k * k
}

fn main() {}
