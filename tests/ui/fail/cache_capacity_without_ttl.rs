use mcp_toolkit::tool;

#[tool(cache_capacity = 100)]
async fn square(k: i64) -> i64 {
    k * k
}

fn main() {}
